// One idempotent producer's state in one partition: its epoch and the metadata of its last
// (up to) five batches, oldest first — Kafka's deduplication window. A retried batch whose exact
// sequence range is still in the window is a duplicate and is answered with the offsets it got
// the first time; anything else must continue the sequence (or start a new epoch at 0).
//
// Sequences are int32 and wrap from 2^31-1 to 0, as Kafka's producer wraps them.

export const NUM_BATCHES_TO_RETAIN = 5
export const NO_PRODUCER_EPOCH = -1
export const NO_SEQUENCE = -1
const INT32_MAX = 2147483647

/** Where one batch of a producer went. Offsets are -1n while its append is still being written. */
export interface BatchMetadata {
  firstSeq: number
  lastSeq: number
  firstOffset: bigint
  lastOffset: bigint
  /** The batch's maxTimestamp as stored (the append time for LogAppendTime topics). */
  timestamp: bigint
}

/** `seq + inc`, wrapping past INT32_MAX to 0. */
export function incrementSequence(seq: number, inc: number): number {
  return seq > INT32_MAX - inc ? inc - (INT32_MAX - seq) - 1 : seq + inc
}

/** `seq - dec`, wrapping below 0 to INT32_MAX. */
export function decrementSequence(seq: number, dec: number): number {
  return seq < dec ? INT32_MAX - (dec - seq) + 1 : seq - dec
}

/** Does `next` directly follow `last`? */
export function inSequence(last: number, next: number): boolean {
  return next === last + 1 || (next === 0 && last === INT32_MAX)
}

export class ProducerEntry {
  readonly producerId: bigint
  epoch: number
  /** Oldest first, at most NUM_BATCHES_TO_RETAIN. */
  batches: BatchMetadata[]
  /** Timestamp of the last batch written (Kafka's lastTimestamp; stored in snapshots). */
  lastTimestamp: bigint
  coordinatorEpoch: number
  /** First offset of the producer's open transaction, -1n when none. */
  currentTxnFirstOffset: bigint
  /** Broker time of the last change, for producer.id.expiration.ms. */
  lastUpdateMs: number

  constructor(producerId: bigint, epoch: number, lastUpdateMs: number) {
    this.producerId = producerId
    this.epoch = epoch
    this.batches = []
    this.lastTimestamp = -1n
    this.coordinatorEpoch = -1
    this.currentTxnFirstOffset = -1n
    this.lastUpdateMs = lastUpdateMs
  }

  clone(): ProducerEntry {
    const e = new ProducerEntry(this.producerId, this.epoch, this.lastUpdateMs)
    e.batches = this.batches.slice()
    e.lastTimestamp = this.lastTimestamp
    e.coordinatorEpoch = this.coordinatorEpoch
    e.currentTxnFirstOffset = this.currentTxnFirstOffset
    return e
  }

  get lastSeq(): number {
    const n = this.batches.length
    return n === 0 ? NO_SEQUENCE : this.batches[n - 1].lastSeq
  }

  /** Offset of the producer's last record in the log, -1n when none is known. */
  get lastDataOffset(): bigint {
    const n = this.batches.length
    return n === 0 ? -1n : this.batches[n - 1].lastOffset
  }

  /** A new epoch forgets the batches of the old one. */
  setEpoch(epoch: number): void {
    if (epoch !== this.epoch) {
      this.epoch = epoch
      this.batches = []
    }
  }

  addBatch(epoch: number, meta: BatchMetadata): void {
    this.setEpoch(epoch)
    if (this.batches.length === NUM_BATCHES_TO_RETAIN) this.batches.shift()
    this.batches.push(meta)
    this.lastTimestamp = meta.timestamp
  }

  /** The batch of this epoch with exactly this sequence range, if still in the window. */
  findDuplicate(epoch: number, firstSeq: number, lastSeq: number): BatchMetadata | null {
    if (epoch !== this.epoch) return null
    for (const b of this.batches) if (b.firstSeq === firstSeq && b.lastSeq === lastSeq) return b
    return null
  }
}
