// The records of __transaction_state, in Kafka's own format so Kafka's tools (and Kafka itself)
// read our log: key = int16 version 0 + TransactionLogKey { transactionalId }; value = int16
// version + TransactionLogValue (v0 written; v1, flexible with tagged fields, is read too); a null
// value is the tombstone of an expired transactional id. The status byte is Kafka's numbering.

import { transactionLogKeyCodec } from '../../protocol/generated/records/transaction-log-key.ts'
import {
  type TransactionLogValue,
  transactionLogValueCodec,
} from '../../protocol/generated/records/transaction-log-value.ts'
import { Reader } from '../../protocol/primitives/reader.ts'
import { Writer } from '../../protocol/primitives/writer.ts'
import type { CoordinatorRecord } from '../runtime/coordinator-log.ts'

/** Kafka's TransactionState ids, as stored in TransactionStatus. */
export const TxnState = {
  Empty: 0,
  Ongoing: 1,
  PrepareCommit: 2,
  PrepareAbort: 3,
  CompleteCommit: 4,
  CompleteAbort: 5,
  Dead: 6,
  PrepareEpochFence: 7,
} as const
export type TxnState = (typeof TxnState)[keyof typeof TxnState]

const NAMES = [
  'Empty',
  'Ongoing',
  'PrepareCommit',
  'PrepareAbort',
  'CompleteCommit',
  'CompleteAbort',
  'Dead',
  'PrepareEpochFence',
] as const

/** The state's name as DescribeTransactions/ListTransactions report it. */
export function txnStateName(s: TxnState): string {
  return NAMES[s] ?? 'Unknown'
}

export function txnStateOfName(name: string): TxnState | undefined {
  const i = NAMES.findIndex((n) => n.toLowerCase() === name.toLowerCase())
  return i < 0 ? undefined : (i as TxnState)
}

export const TXN_KEY_VERSION = 0
export const TXN_VALUE_VERSION = 0

export interface TxnRecordValue {
  readonly producerId: bigint
  readonly producerEpoch: number
  readonly timeoutMs: number
  readonly state: TxnState
  /** topic -> partition ids */
  readonly partitions: ReadonlyMap<string, readonly number[]>
  readonly lastUpdateMs: number
  readonly startMs: number
}

export function txnKey(transactionalId: string): Buffer {
  const w = new Writer(2 + transactionLogKeyCodec.size({ transactionalId }, TXN_KEY_VERSION, null))
  w.int16(TXN_KEY_VERSION)
  transactionLogKeyCodec.write(w, { transactionalId }, TXN_KEY_VERSION)
  return w.finish()
}

export function decodeTxnKey(key: Buffer): string {
  const r = new Reader(key)
  const version = r.int16()
  if (r.error !== null || version !== TXN_KEY_VERSION)
    throw new Error(`TransactionLogKey: unknown version ${version}`)
  const k = transactionLogKeyCodec.decode(r, 0)
  if (r.error !== null) throw new Error(`TransactionLogKey: ${(r.error as Error).message}`)
  return k.transactionalId
}

export function txnRecord(transactionalId: string, v: TxnRecordValue): CoordinatorRecord {
  const value: TransactionLogValue = {
    producerId: v.producerId,
    previousProducerId: -1n,
    nextProducerId: -1n,
    producerEpoch: v.producerEpoch,
    transactionTimeoutMs: v.timeoutMs,
    transactionStatus: v.state,
    transactionPartitions: [...v.partitions].map(([topic, ids]) => ({ topic, partitionIds: [...ids] })),
    transactionLastUpdateTimestampMs: BigInt(v.lastUpdateMs),
    transactionStartTimestampMs: BigInt(v.startMs),
    clientTransactionVersion: 0,
  }
  const w = new Writer(2 + transactionLogValueCodec.size(value, TXN_VALUE_VERSION, null))
  w.int16(TXN_VALUE_VERSION)
  transactionLogValueCodec.write(w, value, TXN_VALUE_VERSION)
  return { key: txnKey(transactionalId), value: w.finish() }
}

export function txnTombstone(transactionalId: string): CoordinatorRecord {
  return { key: txnKey(transactionalId), value: null }
}

export function decodeTxnValue(value: Buffer): TxnRecordValue {
  const r = new Reader(value)
  const version = r.int16()
  if (r.error !== null || version < 0) throw new Error(`TransactionLogValue: unknown version ${version}`)
  const v = transactionLogValueCodec.decode(r, Math.min(version, transactionLogValueCodec.maxVersion))
  if (r.error !== null) throw new Error(`TransactionLogValue: ${(r.error as Error).message}`)
  const partitions = new Map<string, number[]>()
  for (const p of v.transactionPartitions ?? []) partitions.set(p.topic, [...p.partitionIds])
  return {
    producerId: v.producerId,
    producerEpoch: v.producerEpoch,
    timeoutMs: v.transactionTimeoutMs,
    state: v.transactionStatus as TxnState,
    partitions,
    lastUpdateMs: Number(v.transactionLastUpdateTimestampMs),
    startMs: Number(v.transactionStartTimestampMs),
  }
}
