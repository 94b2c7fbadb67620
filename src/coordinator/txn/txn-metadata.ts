// One transactional id's state in the coordinator's memory: what the last __transaction_state
// record says (producer id and epoch, timeout, state, partitions, times) plus what Kafka keeps only
// in memory: the epoch before the last bump (KIP-360 retries of InitProducerId), the producer id
// before the last rotation (epoch exhaustion), and the transition being written (`pending`), which
// makes every other request for the id answer CONCURRENT_TRANSACTIONS until it is durable.

import { type TxnRecordValue, TxnState } from './txn-records.ts'

/** An epoch at which the producer id is rotated rather than bumped (Kafka: Short.MaxValue - 1). */
export const EXHAUSTED_EPOCH = 32766
export const NO_PRODUCER_EPOCH = -1
export const NO_PRODUCER_ID = -1n

export class TxnMetadata {
  readonly transactionalId: string
  producerId: bigint
  lastProducerId = NO_PRODUCER_ID
  producerEpoch: number
  lastProducerEpoch = NO_PRODUCER_EPOCH
  timeoutMs: number
  state: TxnState
  /** topic -> partitions of the ongoing (or ending) transaction. */
  partitions = new Map<string, Set<number>>()
  startMs = -1
  lastUpdateMs: number
  /** The state being written; null when no write is in flight. */
  pending: TxnState | null = null

  constructor(
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    timeoutMs: number,
    now: number,
  ) {
    this.transactionalId = transactionalId
    this.producerId = producerId
    this.producerEpoch = producerEpoch
    this.timeoutMs = timeoutMs
    this.state = TxnState.Empty
    this.lastUpdateMs = now
  }

  get isEpochExhausted(): boolean {
    return this.producerEpoch >= EXHAUSTED_EPOCH
  }

  hasPartition(topic: string, partition: number): boolean {
    return this.partitions.get(topic)?.has(partition) === true
  }

  /** The partitions as a record stores them. */
  partitionList(): Map<string, number[]> {
    const out = new Map<string, number[]>()
    for (const [t, ps] of this.partitions)
      out.set(
        t,
        [...ps].sort((a, b) => a - b),
      )
    return out
  }

  /** Topic-partition pairs, for markers. */
  topicPartitions(): { topic: string; partition: number }[] {
    const out: { topic: string; partition: number }[] = []
    for (const [topic, ps] of this.partitions) for (const partition of ps) out.push({ topic, partition })
    return out
  }

  /** Sets the durable fields from a replayed record. */
  apply(v: TxnRecordValue): void {
    this.producerId = v.producerId
    this.producerEpoch = v.producerEpoch
    this.timeoutMs = v.timeoutMs
    this.state = v.state
    this.partitions = new Map([...v.partitions].map(([t, ps]) => [t, new Set(ps)]))
    this.startMs = v.startMs
    this.lastUpdateMs = v.lastUpdateMs
  }
}

/** A record value for `m` with some fields replaced (what a transition writes). */
export function transition(
  m: TxnMetadata,
  change: Partial<Omit<TxnRecordValue, 'partitions'>> & {
    state: TxnState
    partitions?: ReadonlyMap<string, readonly number[]>
  },
): TxnRecordValue {
  return {
    producerId: change.producerId ?? m.producerId,
    producerEpoch: change.producerEpoch ?? m.producerEpoch,
    timeoutMs: change.timeoutMs ?? m.timeoutMs,
    state: change.state,
    partitions: change.partitions ?? m.partitionList(),
    lastUpdateMs: change.lastUpdateMs ?? m.lastUpdateMs,
    startMs: change.startMs ?? m.startMs,
  }
}
