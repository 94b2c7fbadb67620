// A partition's log together with its producer state (Kafka's UnifiedLog): the storage Log
// (segments, high watermark, leader-epoch cache, truncation) and the idempotent producers' state
// (ProducerStateManager + its snapshot files) change only through this object, so no path can
// move one without the other:
//
// - appendAsLeader: producer checks staged by the caller are committed once the write succeeded
//   (transactions opened by transactional batches, closed by markers; an abort's entry goes into
//   the aborted transactions index of the segment holding its marker, in memory before the
//   producer state moves, so no reader sees the last stable offset pass an abort it cannot find);
// - appendAsFollower: the written batches' headers (and markers) are replayed into the producer
//   state (a follower that becomes leader already knows every producer's last sequences and open
//   transactions), aborts indexed as on the leader;
// - truncateTo / truncateFullyAndStartAt: the log is cut, snapshots beyond the new end are
//   deleted and the producer state is rebuilt to exactly the new end (snapshot + log tail);
// - maybeIncrementLogStartOffset / maintain: producers whose last batch fell below the log start
//   are dropped;
// - a producer snapshot is written in the background whenever a new segment starts, and at a
//   clean shutdown, after the transaction indexes were fsynced (loading trusts the entries below
//   the snapshot and rebuilds the rest by replaying the log after it).
//
// The last stable offset (read_committed's bound) is min(first offset of every open or
// unreplicated transaction, high watermark), never below the log start (producer-state/txn-state.ts).
// Mutations run one at a time (a SerialQueue; an append with nothing queued runs at once, runNow):
// a truncation never interleaves with an append.

import type { Clock } from '../common/clock.ts'
import type { Fs } from '../common/fs.ts'
import type { Logger } from '../common/logger.ts'
import { Attr, BatchOffsets } from '../records/batch-header.ts'
import { txnIndexFor } from '../storage/aborted-txns.ts'
import type { AppendResult, Log } from '../storage/log.ts'
import { SerialQueue } from '../storage/serial-queue.ts'
import type { TransactionIndex } from '../storage/transaction-index.ts'
import { loadProducerState, replayHeader, takeSnapshot } from './producer-state/producer-state-loader.ts'
import {
  ProducerStateManager,
  type ProducerStateOptions,
  type ProducerStateUpdate,
} from './producer-state/producer-state-manager.ts'
import { deleteSnapshot, listSnapshots } from './producer-state/snapshot-file.ts'

export interface UnifiedLogParams {
  log: Log
  fs: Fs
  clock: Clock
  logger: Logger
  producerState?: ProducerStateOptions
}

/** Where every idle log's snapshot chain starts (one shared promise, not one per log). */
const SETTLED: Promise<unknown> = Promise.resolve()

export class UnifiedLog {
  readonly log: Log
  readonly producers: ProducerStateManager
  private readonly fs: Fs
  private readonly clock: Clock
  private readonly logger: Logger
  /** Mutations in order (see the header). */
  private readonly ops = new SerialQueue()
  private snapshots: Promise<unknown> = SETTLED
  private lastSnapshotOffset = -1n
  /** Base offset of the active segment when last looked at (a change means a roll). */
  private activeBase: bigint

  private constructor(p: UnifiedLogParams) {
    this.log = p.log
    this.fs = p.fs
    this.clock = p.clock
    this.logger = p.logger
    this.producers = new ProducerStateManager(p.producerState)
    this.activeBase = this.currentActiveBase()
  }

  /** Opens the log's producer state: the latest snapshot at or below the log end, then the tail. */
  static async open(p: UnifiedLogParams): Promise<UnifiedLog> {
    const u = new UnifiedLog(p)
    // A log created empty just now has no snapshots to list and nothing to replay.
    if (p.log.isNew && p.log.logEndOffset === 0n) return u
    const r = await loadProducerState(u.producers, p.log, p.fs, p.clock.now(), (m) => p.logger.warn(m))
    u.lastSnapshotOffset = r.snapshotOffset
    return u
  }

  get name(): string {
    return this.log.name
  }

  /** read_committed's bound: see the header. Costs one check without transactions. */
  get lastStableOffset(): bigint {
    const hw = this.log.highWatermark
    const txns = this.producers.txns
    if (txns.isEmpty) return hw
    const first = txns.firstUnstableOffset(hw)
    if (first < 0n || first >= hw) return hw
    const start = this.log.logStartOffset
    if (first < start) return start
    return first
  }

  /** Producer checks for a group of batches about to be written as leader (see appendAsLeader). */
  beginProducerUpdate(): ProducerStateUpdate {
    return this.producers.begin(this.clock.now())
  }

  /**
   * Writes client batches as leader; once written, `written` runs if given (the caller fills in
   * where its batches went) and the staged producer update is committed. A failed write commits
   * nothing. The result comes without a promise when nothing else was running and the write was
   * done at once (Log.appendNow): the produce path's usual case, paid per partition of a request.
   */
  appendAsLeader(
    bufs: Buffer[],
    leaderEpoch: number,
    update: ProducerStateUpdate,
    written: ((res: AppendResult) => void) | null,
  ): AppendResult | Promise<AppendResult> {
    // The queue idle (the usual case): runNow's work without a closure per partition-append.
    if (this.ops.size > 0)
      return this.ops.run(async () => this.leaderAppend(bufs, leaderEpoch, update, written))
    try {
      return this.ops.adopt(this.leaderAppend(bufs, leaderEpoch, update, written))
    } catch (err) {
      return Promise.reject(err)
    }
  }

  private leaderAppend(
    bufs: Buffer[],
    leaderEpoch: number,
    update: ProducerStateUpdate,
    written: ((res: AppendResult) => void) | null,
  ): AppendResult | Promise<AppendResult> {
    const res = this.log.appendNow(bufs, leaderEpoch)
    return res instanceof Promise
      ? res.then((r) => this.leaderWritten(r, update, written))
      : this.leaderWritten(res, update, written)
  }

  private leaderWritten(
    res: AppendResult,
    update: ProducerStateUpdate,
    written: ((res: AppendResult) => void) | null,
  ): AppendResult | Promise<AppendResult> {
    if (written !== null) written(res)
    if (update.abortMarkers.length > 0) return this.commitWithAborts(res, update)
    update.commit(this.log.logEndOffset)
    this.afterWrite()
    return res
  }

  private async commitWithAborts(res: AppendResult, update: ProducerStateUpdate): Promise<AppendResult> {
    // Load the indexes first: entries must be in them before the producer state moves on.
    const indexes = new Map<bigint, TransactionIndex>()
    for (const m of update.abortMarkers)
      indexes.set(m.lastOffset, await txnIndexFor(this.log.segmentList, m.lastOffset))
    const entries = update.commit(this.log.logEndOffset)
    for (const e of entries) indexes.get(e.lastOffset)?.append(e)
    for (const idx of new Set(indexes.values())) await idx.write()
    this.afterWrite()
    return res
  }

  /** Writes batches fetched from the leader (offsets and epochs kept) and replays their headers. */
  appendAsFollower(records: Buffer): Promise<AppendResult> {
    return this.ops.run(async () => {
      const res = await this.log.appendAsFollower(records)
      if (res.bytes > 0) {
        // The indexes markers may go to are loaded first, so each entry is in memory as soon as
        // the producer state passes its marker (a snapshot taken meanwhile covers it).
        const indexes = new Map<bigint, TransactionIndex>()
        for (let pos = 0; pos + 61 <= records.length; ) {
          const size = 12 + records.readInt32BE(pos + 8)
          if (size < 61 || pos + size > records.length) break
          if ((records.readInt16BE(pos + BatchOffsets.attributes) & Attr.control) !== 0) {
            const at = records.readBigInt64BE(pos)
            indexes.set(at, await txnIndexFor(this.log.segmentList, at))
          }
          pos += size
        }
        const now = this.clock.now()
        for (let pos = 0; pos + 61 <= records.length; ) {
          const size = 12 + records.readInt32BE(pos + 8)
          if (pos + size > records.length) break
          const e = replayHeader(this.producers, records, pos, now)
          if (e !== null) indexes.get(e.lastOffset)?.append(e)
          pos += size
        }
        for (const idx of new Set(indexes.values())) await idx.write()
        this.afterWrite()
      }
      return res
    })
  }

  /** Cuts the log to `offset` and the producer state with it; false when nothing was cut. */
  truncateTo(offset: bigint): Promise<boolean> {
    return this.ops.run(async () => {
      if (!(await this.log.truncateTo(offset))) return false
      await this.reloadProducerState()
      return true
    })
  }

  /** Empties the log, restarting it at `offset`, and the producer state with it. */
  truncateFullyAndStartAt(offset: bigint): Promise<void> {
    return this.ops.run(async () => {
      await this.log.truncateFullyAndStartAt(offset)
      await this.reloadProducerState()
    })
  }

  /** Moves the log start forward (DeleteRecords, following the leader) and drops old producers. */
  maybeIncrementLogStartOffset(offset: bigint): Promise<boolean> {
    return this.ops.run(async () => {
      const moved = await this.log.maybeIncrementLogStartOffset(offset)
      this.producers.truncateHead(this.log.logStartOffset)
      return moved
    })
  }

  /** Periodic upkeep: expire idle producers, follow the log start moved by retention. */
  maintain(now: number): void {
    this.producers.truncateHead(this.log.logStartOffset)
    this.producers.removeExpired(now)
  }

  /** After the mutations queued so far: with `snapshot`, a producer snapshot at the log end. */
  async close(snapshot: boolean): Promise<void> {
    await this.ops.idle()
    if (snapshot && !this.log.isOffline) await this.snapshotSoon()
    await this.snapshots
  }

  private afterWrite(): void {
    const base = this.currentActiveBase()
    if (base !== this.activeBase) {
      this.activeBase = base
      this.snapshotSoon()
    }
  }

  private async reloadProducerState(): Promise<void> {
    await this.snapshots
    const leo = this.log.logEndOffset
    for (const o of await listSnapshots(this.fs, this.log.dir))
      if (o > leo) await deleteSnapshot(this.fs, this.log.dir, o)
    const r = await loadProducerState(this.producers, this.log, this.fs, this.clock.now(), (m) =>
      this.logger.warn(m),
    )
    this.lastSnapshotOffset = r.snapshotOffset
    this.activeBase = this.currentActiveBase()
  }

  private currentActiveBase(): bigint {
    const segs = this.log.segmentList
    return segs.length === 0 ? -1n : segs[segs.length - 1].baseOffset
  }

  /** Writes a producer snapshot in the background (serialized per partition). */
  private snapshotSoon(): Promise<unknown> {
    this.snapshots = this.snapshots.then(async () => {
      if (this.producers.mapEndOffset === this.lastSnapshotOffset) return
      try {
        this.lastSnapshotOffset = await takeSnapshot(this.producers, this.fs, this.log.dir, async () => {
          for (const seg of this.log.segmentList) await seg.txnIndex.flush()
        })
      } catch (err) {
        this.logger.warn(`producer snapshot of ${this.name} failed: ${err}`)
      }
    })
    const tail = this.snapshots
    const settled = (): void => {
      if (this.snapshots === tail) this.snapshots = SETTLED
    }
    void tail.then(settled, settled)
    return tail
  }
}
