// The leader's append queue of one partition, kept apart from the partition's leadership, high
// watermark and reads (partition.ts). Partition owns one and checks leadership before queueing;
// this asks the partition (through AppendHost) whether it still leads, and hands it every write.
//
// Appends: the single writer. Client appends are queued; whenever the previous write finished,
// everything queued since is checked against the producer state in arrival order and written with
// one append (one write, several batches), then each caller gets its own offsets. The producer
// state changes only after the write succeeded. One microtask drains every queue with appends
// waiting; a write that completes at once (the usual case: storage/log-append.ts writeBatches)
// answers its callers before the next partition's write, with no promise per partition (a Java
// client's request carries a batch for each of up to thousands of partitions).
//
// Transaction markers (WriteTxnMarkers, txn-markers.ts) go through the same append queue as client
// batches: checked against the producer state (epochs, coordinator epoch), written, committed.

import type { Logger } from '../common/logger.ts'
import { ErrorCode } from '../protocol/generated/error-codes.ts'
import { Attr, BatchOffsets } from '../records/batch-header.ts'
import type { AppendResult, Log } from '../storage/log.ts'
import { kafkaErrorOf } from './errors.ts'
import type { BatchMetadata } from './producer-state/producer-entry.ts'
import type { AppendOrigin, StagedMarker } from './producer-state/producer-state-manager.ts'
import type { UnifiedLog } from './unified-log.ts'

/** The answer to one partition of a produce. */
export interface AppendOutcome {
  errorCode: number
  baseOffset: bigint
  logAppendTimeMs: bigint
  logStartOffset: bigint
  errorMessage: string | null
  recordErrors?: { batchIndex: number; message: string | null }[]
  /** The offset after the batch written (acks=all waits for the high watermark to reach it). */
  nextOffset?: bigint
}

/**
 * Receives the outcomes of the appends of one request: `slot` says which partition of it. One
 * object per request rather than a callback per batch.
 */
export interface AppendSink {
  complete(slot: number, outcome: AppendOutcome): void
}

interface PendingAppend {
  buf: Buffer
  producerId: bigint
  sink: AppendSink
  slot: number
  /** Set during the write: where the batch went in the producer state. */
  meta: BatchMetadata | null
  /** Set when the batch duplicates an earlier one. */
  duplicate: BatchMetadata | null
  outcome: AppendOutcome | null
  /** A transaction marker (buf is its control batch); staged during the write. */
  marker?: { epoch: number; coordinatorEpoch: number; commit: boolean; staged: StagedMarker | null }
  /** 'coordinator': a coordinator's write to its internal topic (no sequence checks). */
  origin?: AppendOrigin
  /** KIP-890: the verification guard of a transactional batch (txn-verification.ts). */
  guard?: object | null
}

/** The outcome of writing one transaction marker. */
export interface MarkerOutcome {
  errorCode: number
  /** The marker's offset (acks=all waits for the high watermark to pass it); -1n on error. */
  markerOffset: bigint
}

export function errorOutcome(errorCode: number, errorMessage: string | null = null): AppendOutcome {
  return { errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, errorMessage }
}

/** The buffers of a group's appends that passed the producer checks (no outcome yet, no duplicate). */
function acceptedBuffers(group: PendingAppend[]): Buffer[] {
  // The usual group of one: a one-element array (push onto [] reserves 17 slots).
  if (group.length === 1) return isAccepted(group[0]) ? [group[0].buf] : []
  const bufs: Buffer[] = []
  for (const p of group) if (isAccepted(p)) bufs.push(p.buf)
  return bufs
}

function isAccepted(p: PendingAppend): boolean {
  return p.outcome === null && p.duplicate === null
}

/** Tells the producer state where the staged batches of a written group went. */
function recordPlacement(group: PendingAppend[]): void {
  for (const p of group) {
    if (p.marker?.staged != null) p.marker.staged.lastOffset = p.buf.readBigInt64BE(BatchOffsets.baseOffset)
    if (p.meta === null) continue
    const base = p.buf.readBigInt64BE(BatchOffsets.baseOffset)
    p.meta.firstOffset = base
    p.meta.lastOffset = base + BigInt(p.buf.readInt32BE(BatchOffsets.lastOffsetDelta))
    p.meta.timestamp = p.buf.readBigInt64BE(BatchOffsets.maxTimestamp)
  }
}

/** The empty append queue of every idle partition (frozen: nothing may push to it). */
const NO_APPENDS: PendingAppend[] = Object.freeze([]) as unknown as PendingAppend[]

/**
 * Queues with appends waiting for their write, drained by one microtask for all: a request to
 * thousands of partitions schedules one drain, not one per partition.
 */
let waiting: AppendQueue[] = []

function drainWaiting(): void {
  const queues = waiting
  waiting = []
  for (const q of queues) {
    try {
      q.drain()
    } catch (err) {
      // A bug in one partition's drain: reported as an unhandled rejection (as when each
      // partition had its own drain promise), the other partitions still written.
      void Promise.reject(err)
    }
  }
}

/** The partition, as its append queue sees it. */
export interface AppendHost {
  readonly name: string
  readonly logger: Logger
  /** Checked again at each write: leadership may have moved while the append was queued. */
  readonly isLeader: boolean
  readonly leaderEpoch: number
  /** A write added `bytes` to the log: waiting fetches, high watermark. */
  afterWrite(bytes: number): void
}

export class AppendQueue {
  private readonly host: AppendHost
  /** The log with its producer state: every change of either goes through it (unified-log.ts). */
  private readonly ulog: UnifiedLog
  private readonly log: Log
  /** NO_APPENDS (shared) while empty: an idle partition carries no array of its own. */
  private queue: PendingAppend[] = NO_APPENDS
  /** From the first queued append until everything queued was answered. */
  private busy = false
  /** While a write that did not complete at once is under way. */
  private draining: Promise<void> | null = null

  constructor(host: AppendHost, ulog: UnifiedLog) {
    this.host = host
    this.ulog = ulog
    this.log = ulog.log
  }

  /** Queues one client batch that the partition accepted (Partition.append). */
  append(buf: Buffer, sink: AppendSink, slot: number, origin: AppendOrigin, guard?: object | null): void {
    const noPid = buf.readInt32BE(BatchOffsets.producerId) === -1 && buf.readInt32BE(47) === -1
    const p: PendingAppend = {
      buf,
      producerId: noPid ? -1n : buf.readBigInt64BE(BatchOffsets.producerId),
      sink,
      slot,
      meta: null,
      duplicate: null,
      outcome: null,
      origin,
      guard,
    }
    // A one-element array for the usual lone append (push onto [] reserves 17 slots).
    if (this.queue === NO_APPENDS) this.queue = [p]
    else this.queue.push(p)
    this.schedule()
  }

  /**
   * The drain starts after the current synchronous work: requests dispatched from the same socket
   * read join the first write.
   */
  private schedule(): void {
    if (this.busy) return
    this.busy = true
    if (waiting.length === 0) queueMicrotask(drainWaiting)
    waiting.push(this)
  }

  /** Queues a transaction marker's control batch `buf` (Partition.appendTxnMarker). */
  appendMarker(
    buf: Buffer,
    producerId: bigint,
    producerEpoch: number,
    coordinatorEpoch: number,
    commit: boolean,
  ): Promise<MarkerOutcome> {
    return new Promise((resolve) => {
      const sink: AppendSink = {
        complete: (_slot, o) =>
          resolve({
            errorCode: o.errorCode,
            markerOffset: o.errorCode === ErrorCode.NONE ? o.baseOffset : -1n,
          }),
      }
      const p: PendingAppend = {
        buf,
        producerId,
        sink,
        slot: 0,
        meta: null,
        duplicate: null,
        outcome: null,
        marker: { epoch: producerEpoch, coordinatorEpoch, commit, staged: null },
      }
      if (this.queue === NO_APPENDS) this.queue = [p]
      else this.queue.push(p)
      this.schedule()
    })
  }

  /** Resolves once every queued append has been answered. */
  async idle(): Promise<void> {
    while (this.busy) {
      // Scheduled but not started: the drain runs in a microtask queued before this one.
      await (this.draining ?? new Promise<void>((resolve) => queueMicrotask(resolve)))
    }
  }

  /**
   * Writes what is queued, group after group (drainWaiting calls it): all of it before returning
   * while writes complete at once, else carrying on when the pending write completes.
   */
  drain(): void {
    while (this.queue.length > 0) {
      const group = this.queue
      this.queue = NO_APPENDS
      let w: void | Promise<void>
      try {
        w = this.writeGroup(group)
      } catch (err) {
        this.busy = false
        throw err
      }
      if (w !== undefined) {
        this.draining = w.then(
          () => {
            this.draining = null
            this.drain()
          },
          (err) => {
            this.draining = null
            this.busy = false
            throw err
          },
        )
        return
      }
    }
    this.busy = false
  }

  private writeGroup(group: PendingAppend[]): void | Promise<void> {
    // Appends queued before close() still go in; leadership or the log may have gone meanwhile.
    const refused = !this.host.isLeader
      ? ErrorCode.NOT_LEADER_OR_FOLLOWER
      : this.log.isOffline
        ? ErrorCode.KAFKA_STORAGE_ERROR
        : ErrorCode.NONE
    if (refused !== ErrorCode.NONE) {
      for (const p of group) p.sink.complete(p.slot, errorOutcome(refused))
      return
    }
    const update = this.ulog.beginProducerUpdate()
    let staged = false
    for (const p of group) {
      if (p.marker !== undefined) {
        const m = p.marker
        const c = update.checkMarker(p.producerId, m.epoch, m.coordinatorEpoch, m.commit)
        if (c.kind === 'error') {
          p.outcome = errorOutcome(c.errorCode, c.message)
          continue
        }
        m.staged = c.marker
        staged = true
      } else if (p.producerId >= 0n) {
        const b = p.buf
        const c = update.check(
          p.producerId,
          b.readInt16BE(BatchOffsets.producerEpoch),
          b.readInt32BE(BatchOffsets.baseSequence),
          b.readInt32BE(BatchOffsets.lastOffsetDelta),
          (b.readInt16BE(BatchOffsets.attributes) & Attr.transactional) !== 0,
          p.origin,
          p.guard,
        )
        if (c.kind === 'error') {
          p.outcome = errorOutcome(c.errorCode, c.message)
          continue
        }
        if (c.kind === 'duplicate') {
          p.duplicate = c.meta
          continue
        }
        p.meta = c.meta
        staged = true
      }
    }
    const bufs = acceptedBuffers(group)
    if (bufs.length === 0) {
      this.answer(group, null, -1n)
      return
    }
    // Only batches staged in the producer state need to learn where they went.
    const res = this.ulog.appendAsLeader(
      bufs,
      this.host.leaderEpoch,
      update,
      staged ? () => recordPlacement(group) : null,
    )
    if (res instanceof Promise)
      return res.then(
        (r) => this.written(group, r),
        (err) => this.answer(group, this.failureOf(err), -1n),
      )
    this.written(group, res)
  }

  private written(group: PendingAppend[], res: AppendResult): void {
    try {
      this.host.afterWrite(res.bytes)
    } catch (err) {
      this.answer(group, this.failureOf(err), res.logAppendTime)
      return
    }
    if (group.length === 1 && isAccepted(group[0])) {
      // The usual lone append: its offsets are the write's (no reading them back from the buffer).
      const p = group[0]
      p.sink.complete(p.slot, this.success(res.firstOffset, res.lastOffset + 1n, res.logAppendTime))
      return
    }
    this.answer(group, null, res.logAppendTime)
  }

  private failureOf(err: unknown): AppendOutcome {
    const code = kafkaErrorOf(err)
    if (code === ErrorCode.UNKNOWN_SERVER_ERROR)
      this.host.logger.error(`append to ${this.host.name} failed`, err)
    return errorOutcome(code, err instanceof Error ? err.message : String(err))
  }

  private answer(group: PendingAppend[], failure: AppendOutcome | null, appendTime: bigint): void {
    for (const p of group) p.sink.complete(p.slot, this.outcomeOf(p, failure, appendTime))
  }

  private outcomeOf(p: PendingAppend, failure: AppendOutcome | null, appendTime: bigint): AppendOutcome {
    if (p.outcome !== null) return p.outcome
    if (p.duplicate !== null) {
      const d = p.duplicate
      if (d.firstOffset < 0n) return failure ?? errorOutcome(ErrorCode.UNKNOWN_SERVER_ERROR)
      const logAppendTime = this.log.config.messageTimestampType === 'LogAppendTime'
      return this.success(d.firstOffset, d.lastOffset + 1n, logAppendTime ? d.timestamp : -1n)
    }
    if (failure !== null) return failure
    const baseOffset = p.buf.readBigInt64BE(BatchOffsets.baseOffset)
    const next = baseOffset + BigInt(p.buf.readInt32BE(BatchOffsets.lastOffsetDelta)) + 1n
    return this.success(baseOffset, next, appendTime)
  }

  private success(baseOffset: bigint, nextOffset: bigint, logAppendTimeMs: bigint): AppendOutcome {
    return {
      errorCode: ErrorCode.NONE,
      baseOffset,
      logAppendTimeMs,
      logStartOffset: this.log.logStartOffset,
      errorMessage: null,
      nextOffset,
    }
  }
}
