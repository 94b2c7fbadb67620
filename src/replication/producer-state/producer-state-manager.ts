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
// A coordinator's own write to its internal topic (origin 'coordinator': the transactional
// offsets of TxnOffsetCommit) skips 1, 3 and 4, as Kafka's COORDINATOR origin does: the batch
// carries no sequence of its own (NO_SEQUENCE) and is never a retry, so only the epoch is checked.
//
// Checks are staged in a ProducerStateUpdate (one per group of appends written together) and
// applied only after the write succeeded, so a failed write leaves the state as it was. Replayed
// batches (loading from the log, replication) are applied without checks.
//
// Transactions (Kafka's ProducerAppendInfo): a producer's first transactional batch opens its
// transaction (currentTxnFirstOffset, and an entry in `txns`); a non-transactional batch while one
// is open is INVALID_TXN_STATE. A marker (control batch) closes it: refused when its producer
// epoch is older than the producer's (INVALID_PRODUCER_EPOCH) or its coordinator epoch older than
// the last marker's (TRANSACTION_COORDINATOR_FENCED); it sets the producer's epoch and coordinator
// epoch. A marker that ends a transaction with data yields a CompletedTxn; an abort also yields the
// aborted-index entry (storage/transaction-index.ts), with the last stable offset of that moment.
//
// KIP-890 verification (replication/txn-verification.ts): a producer whose batch waits for its
// coordinator's answer holds a verification guard here; a client batch checked with a guard may
// open a transaction only while that guard is still the producer's (opening the transaction or a
// marker drops it). Batches checked without a guard (undefined) skip this.

import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import type { AbortedTxn } from '../../storage/transaction-index.ts'
import {
  type BatchMetadata,
  incrementSequence,
  inSequence,
  NO_PRODUCER_EPOCH,
  NO_SEQUENCE,
  ProducerEntry,
} from './producer-entry.ts'
import { type CompletedTxn, TxnState } from './txn-state.ts'

/** A transaction marker's content, as written in its control record. */
export interface MarkerInfo {
  commit: boolean
  coordinatorEpoch: number
}

/** A marker staged in an update; lastOffset is filled in once it is written. */
export interface StagedMarker {
  producerId: bigint
  commit: boolean
  /** First offset of the transaction it ends; -1n: none open; -2n: opened in this same update. */
  firstOffset: bigint
  /** The batch that opened the transaction in this same update (firstOffset -2n). */
  firstMeta: BatchMetadata | null
  lastOffset: bigint
}

/** What a marker check returns. */
export type MarkerCheck =
  | { kind: 'marker'; marker: StagedMarker }
  | { kind: 'error'; errorCode: number; message: string }

/** currentTxnFirstOffset of a staged entry whose transaction opens in the same update. */
const OPENING = -2n

export interface ProducerStateOptions {
  /** producer.id.expiration.ms: idle producers are forgotten after this long. */
  expirationMs?: number
}

/**
 * Who wrote an append: a client (every check) or a coordinator writing its internal topic
 * (sequence and duplicate checks skipped; see the header).
 */
export type AppendOrigin = 'client' | 'coordinator'

/** The outcome of checking one client batch. */
export type SequenceCheck =
  | { kind: 'append'; meta: BatchMetadata }
  | { kind: 'duplicate'; meta: BatchMetadata }
  | { kind: 'error'; errorCode: number; message: string }

export class ProducerStateManager {
  /** Made on the first producer: most partitions of a large broker never see one. */
  private byId: Map<bigint, ProducerEntry> | null = null
  /** Open and unreplicated transactions (the last stable offset). */
  readonly txns = new TxnState()
  /** The state reflects every batch below this offset. */
  mapEndOffset = 0n
  /** Verification guards by producer id (see the header); made on first use. */
  private guards: Map<bigint, { guard: object; epoch: number; createdMs: number }> | null = null
  readonly expirationMs: number

  constructor(opts: ProducerStateOptions = {}) {
    this.expirationMs = opts.expirationMs ?? 86_400_000
  }

  /** Every producer's entry (made on first use: readers that may find none use get()). */
  get producers(): Map<bigint, ProducerEntry> {
    this.byId ??= new Map()
    return this.byId
  }

  get verifications(): Map<bigint, { guard: object; epoch: number; createdMs: number }> {
    this.guards ??= new Map()
    return this.guards
  }

  get(producerId: bigint): ProducerEntry | undefined {
    return this.byId?.get(producerId)
  }

  /** True when the producer's transaction at this epoch is open on the partition. */
  hasOngoingTxn(producerId: bigint, epoch: number): boolean {
    const e = this.byId?.get(producerId)
    return e !== undefined && e.currentTxnFirstOffset >= 0n && e.epoch === epoch
  }

  /** The producer's verification guard, created unless one is held (see the header). */
  startVerification(producerId: bigint, epoch: number, now: number): object {
    const v = this.verifications.get(producerId)
    if (v !== undefined) {
      if (epoch > v.epoch) v.epoch = epoch
      return v.guard
    }
    const guard = {}
    this.verifications.set(producerId, { guard, epoch, createdMs: now })
    return guard
  }

  /** Starts staging the checks of a group of client appends. */
  begin(now: number): ProducerStateUpdate {
    return new ProducerStateUpdate(this, now)
  }

  /**
   * Applies a batch already in the log (load, replication) without checks. Control batches
   * (transaction markers, `marker` read from their record) move the epoch and close the open
   * transaction; they carry no sequence. Returns the aborted-index entry when the batch is an
   * abort marker ending a transaction, else null.
   */
  replay(
    producerId: bigint,
    epoch: number,
    baseSequence: number,
    firstOffset: bigint,
    lastOffset: bigint,
    maxTimestamp: bigint,
    flags: { transactional: boolean; control: boolean; marker?: MarkerInfo | null },
    now: number,
  ): AbortedTxn | null {
    if (producerId < 0n) return null
    let e = this.producers.get(producerId)
    if (e === undefined) {
      e = new ProducerEntry(producerId, epoch, now)
      this.producers.set(producerId, e)
    }
    e.lastUpdateMs = now
    if (flags.control) {
      this.guards?.delete(producerId)
      e.setEpoch(epoch)
      const first = e.currentTxnFirstOffset
      e.currentTxnFirstOffset = -1n
      e.lastTimestamp = maxTimestamp
      const marker = flags.marker ?? null
      if (marker !== null) e.coordinatorEpoch = marker.coordinatorEpoch
      if (first < 0n) return null
      return this.completeTxn({
        producerId,
        firstOffset: first,
        lastOffset: firstOffset,
        aborted: marker !== null && !marker.commit,
      })
    }
    const delta = Number(lastOffset - firstOffset)
    e.addBatch(epoch, {
      firstSeq: baseSequence,
      lastSeq: baseSequence < 0 ? NO_SEQUENCE : incrementSequence(baseSequence, delta),
      firstOffset,
      lastOffset,
      timestamp: maxTimestamp,
    })
    if (flags.transactional && e.currentTxnFirstOffset < 0n) {
      e.currentTxnFirstOffset = firstOffset
      this.txns.begin(producerId, firstOffset)
    }
    return null
  }

  /** Moves a transaction from open to completed; its aborted-index entry when it was aborted. */
  completeTxn(c: CompletedTxn): AbortedTxn | null {
    const lastStableOffset = this.txns.lastStableOffsetAfter(c)
    this.txns.complete(c)
    if (!c.aborted) return null
    return {
      producerId: c.producerId,
      firstOffset: c.firstOffset,
      lastOffset: c.lastOffset,
      lastStableOffset,
    }
  }

  /**
   * The log start moved (DeleteRecords, retention): forget producers whose data is all gone (an
   * open transaction with no data left goes with its producer, as in Kafka).
   */
  truncateHead(logStartOffset: bigint): void {
    const byId = this.byId
    if (byId !== null && byId.size > 0) {
      const evicted = new Set<bigint>()
      for (const [id, e] of byId) {
        if (e.lastDataOffset < logStartOffset) {
          byId.delete(id)
          if (e.currentTxnFirstOffset >= 0n) evicted.add(id)
        }
      }
      this.txns.removeProducers(evicted)
    }
    if (!this.txns.isEmpty) this.txns.removeUnreplicatedBelow(logStartOffset)
    if (this.mapEndOffset < logStartOffset) this.mapEndOffset = logStartOffset
  }

  /** Rebuilds the open transactions from the entries (after loading a snapshot). */
  rebuildOngoingTxns(): void {
    this.txns.clear()
    const open = [...(this.byId?.values() ?? [])].filter((e) => e.currentTxnFirstOffset >= 0n)
    open.sort((a, b) => (a.currentTxnFirstOffset < b.currentTxnFirstOffset ? -1 : 1))
    for (const e of open) this.txns.begin(e.producerId, e.currentTxnFirstOffset)
  }

  /** Forgets producers idle for expirationMs (never one with an open transaction). */
  removeExpired(now: number): number {
    const guards = this.guards
    if (guards !== null)
      for (const [id, v] of guards) if (now - v.createdMs >= this.expirationMs) guards.delete(id)
    let n = 0
    const byId = this.byId
    if (byId === null) return n
    for (const [id, e] of byId) {
      if (e.currentTxnFirstOffset < 0n && now - e.lastUpdateMs >= this.expirationMs) {
        byId.delete(id)
        n++
      }
    }
    return n
  }

  clear(mapEndOffset: bigint): void {
    this.byId = null
    this.txns.clear()
    this.guards = null
    this.mapEndOffset = mapEndOffset
  }
}

/** Shared empty answers of a write without transaction markers (never written to). */
const NO_MARKERS: readonly StagedMarker[] = Object.freeze([])
const NO_ABORTED: readonly AbortedTxn[] = Object.freeze([])

/**
 * Staged producer changes of one group of appends. check() each client batch in log order;
 * after the write, fill in the offsets of the metas it returned and call commit().
 */
export class ProducerStateUpdate {
  private readonly manager: ProducerStateManager
  private readonly now: number
  // Made on first use: most updates stage nothing (batches without a producer id), and one update
  // is begun per partition written.
  private staged: Map<bigint, ProducerEntry> | null = null
  /** Transactions opened by batches of this update: the entry and the batch that opens it. */
  private opened: { entry: ProducerEntry; meta: BatchMetadata }[] | null = null
  private markers: StagedMarker[] | null = null

  constructor(manager: ProducerStateManager, now: number) {
    this.manager = manager
    this.now = now
  }

  get isEmpty(): boolean {
    return this.staged === null || this.staged.size === 0
  }

  /** Aborts written by this update (their offsets are known once written); see commit(). */
  get abortMarkers(): readonly StagedMarker[] {
    // Asked at every write: most carry no marker at all.
    return this.markers === null || this.markers.length === 0
      ? NO_MARKERS
      : this.markers.filter((m) => !m.commit)
  }

  check(
    producerId: bigint,
    epoch: number,
    firstSeq: number,
    lastOffsetDelta: number,
    transactional = false,
    origin: AppendOrigin = 'client',
    guard?: object | null,
  ): SequenceCheck {
    const client = origin === 'client'
    const lastSeq = firstSeq < 0 ? NO_SEQUENCE : incrementSequence(firstSeq, lastOffsetDelta)
    const current = this.staged?.get(producerId) ?? this.manager.get(producerId)
    if (current !== undefined) {
      const dup = client ? current.findDuplicate(epoch, firstSeq, lastSeq) : null
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
    if (!client) {
      // No sequence to check.
    } else if (epoch !== knownEpoch) {
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
    if (!transactional && current !== undefined && current.currentTxnFirstOffset !== -1n) {
      return {
        kind: 'error',
        errorCode: ErrorCode.INVALID_TXN_STATE,
        message: `non-transactional batch from producer ${producerId} while its transaction is open`,
      }
    }
    if (
      guard !== undefined &&
      transactional &&
      !(current !== undefined && current.currentTxnFirstOffset !== -1n && current.epoch === epoch) &&
      (guard === null || this.manager.verifications.get(producerId)?.guard !== guard)
    ) {
      return {
        kind: 'error',
        errorCode: ErrorCode.INVALID_TXN_STATE,
        message: `producer ${producerId} would open a transaction at epoch ${epoch} without its coordinator's verification`,
      }
    }
    let next = this.staged?.get(producerId)
    if (next === undefined) {
      next = current === undefined ? new ProducerEntry(producerId, epoch, this.now) : current.clone()
      this.staged ??= new Map()
      this.staged.set(producerId, next)
    }
    const meta: BatchMetadata = { firstSeq, lastSeq, firstOffset: -1n, lastOffset: -1n, timestamp: -1n }
    next.addBatch(epoch, meta)
    next.lastUpdateMs = this.now
    if (transactional && next.currentTxnFirstOffset === -1n) {
      next.currentTxnFirstOffset = OPENING
      this.opened ??= []
      this.opened.push({ entry: next, meta })
    }
    return { kind: 'append', meta }
  }

  /**
   * Checks a transaction marker about to be written by this leader (WriteTxnMarkers). Fill in
   * the returned marker's lastOffset once written.
   */
  checkMarker(producerId: bigint, epoch: number, coordinatorEpoch: number, commit: boolean): MarkerCheck {
    // At once, not at commit: a verified batch queued behind this marker must not open a new
    // transaction (a failed write only costs that batch a new verification).
    this.manager.verifications.delete(producerId)
    const current = this.staged?.get(producerId) ?? this.manager.get(producerId)
    if (current !== undefined) {
      if (epoch < current.epoch) {
        return {
          kind: 'error',
          errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
          message: `marker epoch ${epoch} of producer ${producerId} is older than the current epoch ${current.epoch}`,
        }
      }
      if (coordinatorEpoch < current.coordinatorEpoch) {
        return {
          kind: 'error',
          errorCode: ErrorCode.TRANSACTION_COORDINATOR_FENCED,
          message: `coordinator epoch ${coordinatorEpoch} is older than ${current.coordinatorEpoch} for producer ${producerId}`,
        }
      }
    }
    let next = this.staged?.get(producerId)
    if (next === undefined) {
      next = current === undefined ? new ProducerEntry(producerId, epoch, this.now) : current.clone()
      this.staged ??= new Map()
      this.staged.set(producerId, next)
    }
    const first = next.currentTxnFirstOffset
    let firstMeta: BatchMetadata | null = null
    if (first === OPENING) {
      const opened = this.opened!
      firstMeta = opened[opened.findIndex((o) => o.entry === next)].meta
    }
    next.setEpoch(epoch)
    next.currentTxnFirstOffset = -1n
    next.coordinatorEpoch = coordinatorEpoch
    next.lastUpdateMs = this.now
    const marker: StagedMarker = { producerId, commit, firstOffset: first, firstMeta, lastOffset: -1n }
    this.markers ??= []
    this.markers.push(marker)
    return { kind: 'marker', marker }
  }

  /**
   * Installs the staged entries (their metas and markers now hold offsets), opens and completes
   * their transactions, and moves the map end offset. Returns the aborted-index entries of the
   * aborts written, in log order, for the caller to add to the segments' indexes at once.
   */
  commit(mapEndOffset: bigint): readonly AbortedTxn[] {
    if (this.staged !== null) {
      for (const [id, e] of this.staged) {
        const n = e.batches.length
        if (n > 0) e.lastTimestamp = e.batches[n - 1].timestamp
        this.manager.producers.set(id, e)
      }
      this.staged.clear()
    }
    if (this.opened !== null) {
      const txns = this.manager.txns
      for (const o of this.opened) {
        if (o.entry.currentTxnFirstOffset === OPENING) o.entry.currentTxnFirstOffset = o.meta.firstOffset
        txns.begin(o.entry.producerId, o.meta.firstOffset)
        this.manager.verifications.delete(o.entry.producerId)
      }
      this.opened.length = 0
    }
    if (this.markers === null || this.markers.length === 0) {
      if (mapEndOffset > this.manager.mapEndOffset) this.manager.mapEndOffset = mapEndOffset
      return NO_ABORTED
    }
    const aborted: AbortedTxn[] = []
    for (const m of this.markers) {
      this.manager.verifications.delete(m.producerId)
      const firstOffset = m.firstMeta !== null ? m.firstMeta.firstOffset : m.firstOffset
      if (firstOffset < 0n || m.lastOffset < 0n) continue
      const e = this.manager.completeTxn({
        producerId: m.producerId,
        firstOffset,
        lastOffset: m.lastOffset,
        aborted: !m.commit,
      })
      if (e !== null) aborted.push(e)
    }
    this.markers.length = 0
    if (mapEndOffset > this.manager.mapEndOffset) this.manager.mapEndOffset = mapEndOffset
    return aborted
  }
}
