// DescribeTransactions and ListTransactions over one shard's committed state, as Kafka answers
// them: an unknown id is TRANSACTIONAL_ID_NOT_FOUND; filters are ANDed (state names, producer
// ids, and v1's "running longer than" duration, which only matches open transactions).

import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import { TxnState, txnStateName } from './txn-records.ts'
import type { TxnShard } from './txn-shard.ts'

export interface DescribedTxn {
  readonly errorCode: number
  readonly transactionalId: string
  readonly state: string
  readonly timeoutMs: number
  readonly startMs: number
  readonly producerId: bigint
  readonly producerEpoch: number
  readonly topics: { topic: string; partitions: number[] }[]
}

export interface ListedTxn {
  readonly transactionalId: string
  readonly producerId: bigint
  readonly state: string
}

export function describeTxn(s: TxnShard, transactionalId: string): DescribedTxn {
  const m = s.txns.get(transactionalId)
  if (m === undefined || m.state === TxnState.Dead)
    return {
      errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND,
      transactionalId,
      state: '',
      timeoutMs: 0,
      startMs: -1,
      producerId: -1n,
      producerEpoch: -1,
      topics: [],
    }
  return {
    errorCode: ErrorCode.NONE,
    transactionalId,
    state: txnStateName(m.state),
    timeoutMs: m.timeoutMs,
    startMs: m.startMs,
    producerId: m.producerId,
    producerEpoch: m.producerEpoch,
    topics: [...m.partitionList()].map(([topic, partitions]) => ({ topic, partitions })),
  }
}

export function listTxns(
  s: TxnShard,
  states: readonly string[],
  producerIds: readonly bigint[],
  durationMs: number,
  now: number,
): ListedTxn[] {
  const out: ListedTxn[] = []
  for (const m of s.txns.values()) {
    if (m.state === TxnState.Dead) continue
    const name = txnStateName(m.state)
    if (states.length > 0 && !states.includes(name)) continue
    if (producerIds.length > 0 && !producerIds.includes(m.producerId)) continue
    if (durationMs >= 0 && (m.state !== TxnState.Ongoing || m.startMs < 0 || now - m.startMs < durationMs))
      continue
    out.push({ transactionalId: m.transactionalId, producerId: m.producerId, state: name })
  }
  return out
}
