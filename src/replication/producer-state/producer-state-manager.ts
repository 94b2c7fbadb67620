// Per-partition idempotent-producer state: producer id → ProducerEntry, covering every batch
// below `mapEndOffset`. Client appends are checked as Kafka checks them (ProducerAppendInfo):
//
//   1. same epoch and exact sequence range as a batch in the five-batch window → duplicate: not
//      written again, answered with the original offsets and NONE (not DUPLICATE_SEQUENCE_NUMBER);
//   2. epoch below the known one → INVALID_PRODUCER_EPOCH (Kafka 2.7+; PRODUCER_FENCED is the
//      transaction coordinator's answer, not the partition's);
//   3. a new epoch must start at sequence 0 unless the producer is unknown → else
//      OUT_OF_ORDER_SEQUENCE_NUMBER;
//   4. the same epoch must continue the sequence, unless the producer is unknown (no state: its
//      data expired or was deleted) — then any sequence is accepted, as Kafka does since 2.5
//      (KIP-360) instead of UNKNOWN_PRODUCER_ID.
//
// Checks are staged in a ProducerStateUpdate (one per group of appends written together) and
// applied only after the write succeeded, so a failed write leaves the state as it was. Replayed
// batches (loading from the log, replication) are applied without checks.

import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type BatchMetadata,
  incrementSequence,
  inSequence,
  NO_PRODUCER_EPOCH,
  NO_SEQUENCE,
  ProducerEntry,
} from './producer-entry.ts'

export interface ProducerStateOptions {
  /** producer.id.expiration.ms: idle producers are forgotten after this long. */
  expirationMs?: number
}

/** The outcome of checking one client batch. */
export type SequenceCheck =
  | { kind: 'append'; meta: BatchMetadata }
  | { kind: 'duplicate'; meta: BatchMetadata }
  | { kind: 'error'; errorCode: number; message: string }

export class ProducerStateManager {
  readonly producers = new Map<bigint, ProducerEntry>()
  /** The state reflects every batch below this offset. */
  mapEndOffset = 0n
  readonly expirationMs: number

  constructor(opts: ProducerStateOptions = {}) {
    this.expirationMs = opts.expirationMs ?? 86_400_000
  }

  get(producerId: bigint): ProducerEntry | undefined {
    return this.producers.get(producerId)
  }

  /** Starts staging the checks of a group of client appends. */
  begin(now: number): ProducerStateUpdate {
    return new ProducerStateUpdate(this, now)
  }

  /**
   * Applies a batch already in the log (load, replication) without checks. Control batches
   * (transaction markers) move the epoch and close the open transaction; they carry no sequence.
   */
  replay(
    producerId: bigint,
    epoch: number,
    baseSequence: number,
    firstOffset: bigint,
    lastOffset: bigint,
    maxTimestamp: bigint,
    flags: { transactional: boolean; control: boolean },
    now: number,
  ): void {
    if (producerId < 0n) return
    let e = this.producers.get(producerId)
    if (e === undefined) {
      e = new ProducerEntry(producerId, epoch, now)
      this.producers.set(producerId, e)
    }
    e.lastUpdateMs = now
    if (flags.control) {
      e.setEpoch(epoch)
      e.currentTxnFirstOffset = -1n
      e.lastTimestamp = maxTimestamp
      return
    }
    const delta = Number(lastOffset - firstOffset)
    e.addBatch(epoch, {
      firstSeq: baseSequence,
      lastSeq: baseSequence < 0 ? NO_SEQUENCE : incrementSequence(baseSequence, delta),
      firstOffset,
      lastOffset,
      timestamp: maxTimestamp,
    })
    if (flags.transactional && e.currentTxnFirstOffset < 0n) e.currentTxnFirstOffset = firstOffset
  }

  /** The log start moved (DeleteRecords, retention): forget producers whose data is all gone. */
  truncateHead(logStartOffset: bigint): void {
    for (const [id, e] of this.producers) {
      if (e.currentTxnFirstOffset < 0n && e.lastDataOffset < logStartOffset) this.producers.delete(id)
    }
    if (this.mapEndOffset < logStartOffset) this.mapEndOffset = logStartOffset
  }

  /** Forgets producers idle for expirationMs (never one with an open transaction). */
  removeExpired(now: number): number {
    let n = 0
    for (const [id, e] of this.producers) {
      if (e.currentTxnFirstOffset < 0n && now - e.lastUpdateMs >= this.expirationMs) {
        this.producers.delete(id)
        n++
      }
    }
    return n
  }

  clear(mapEndOffset: bigint): void {
    this.producers.clear()
    this.mapEndOffset = mapEndOffset
  }
}

/**
 * Staged producer changes of one group of appends. check() each client batch in log order;
 * after the write, fill in the offsets of the metas it returned and call commit().
 */
export class ProducerStateUpdate {
  private readonly manager: ProducerStateManager
  private readonly now: number
  private readonly staged = new Map<bigint, ProducerEntry>()

  constructor(manager: ProducerStateManager, now: number) {
    this.manager = manager
    this.now = now
  }

  get isEmpty(): boolean {
    return this.staged.size === 0
  }

  check(producerId: bigint, epoch: number, firstSeq: number, lastOffsetDelta: number): SequenceCheck {
    const lastSeq = incrementSequence(firstSeq, lastOffsetDelta)
    const current = this.staged.get(producerId) ?? this.manager.producers.get(producerId)
    if (current !== undefined) {
      const dup = current.findDuplicate(epoch, firstSeq, lastSeq)
      if (dup !== null) return { kind: 'duplicate', meta: dup }
      if (epoch < current.epoch) {
        return {
          kind: 'error',
          errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
          message: `epoch ${epoch} of producer ${producerId} is older than the current epoch ${current.epoch}`,
        }
      }
    }
    const knownEpoch = current?.epoch ?? NO_PRODUCER_EPOCH
    if (epoch !== knownEpoch) {
      if (firstSeq !== 0 && knownEpoch !== NO_PRODUCER_EPOCH) {
        return {
          kind: 'error',
          errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          message: `producer ${producerId} starts epoch ${epoch} at sequence ${firstSeq}, not 0`,
        }
      }
    } else if (knownEpoch !== NO_PRODUCER_EPOCH) {
      const last = current === undefined ? NO_SEQUENCE : current.lastSeq
      if (!inSequence(last, firstSeq)) {
        return {
          kind: 'error',
          errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          message: `out of order sequence for producer ${producerId}: ${firstSeq} after ${last}`,
        }
      }
    }
    let next = this.staged.get(producerId)
    if (next === undefined) {
      next = current === undefined ? new ProducerEntry(producerId, epoch, this.now) : current.clone()
      this.staged.set(producerId, next)
    }
    const meta: BatchMetadata = { firstSeq, lastSeq, firstOffset: -1n, lastOffset: -1n, timestamp: -1n }
    next.addBatch(epoch, meta)
    next.lastUpdateMs = this.now
    return { kind: 'append', meta }
  }

  /** Installs the staged entries (their metas now hold offsets) and moves the map end offset. */
  commit(mapEndOffset: bigint): void {
    for (const [id, e] of this.staged) {
      const n = e.batches.length
      if (n > 0) e.lastTimestamp = e.batches[n - 1].timestamp
      this.manager.producers.set(id, e)
    }
    this.staged.clear()
    if (mapEndOffset > this.manager.mapEndOffset) this.manager.mapEndOffset = mapEndOffset
  }
}
