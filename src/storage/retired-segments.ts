// Segments a log no longer holds (truncation, retention, compaction swaps), kept apart from the
// log itself (log.ts): renamed `.deleted` at once and removed after file.delete.delay.ms, so
// readers holding their file ranges keep working meanwhile; the .log files of those retired from
// the start of the log may be kept for the next roll (segment-recycler.ts). A log makes its
// RetiredSegments on the first retirement: an idle log carries none.

import { allEnded } from '../common/bounded.ts'
import type { Clock } from '../common/clock.ts'
import type { Fs } from '../common/fs.ts'
import { DELETED_SUFFIX } from './file-names.ts'
import type { LogConfig } from './log-config.ts'
import type { LogSegment } from './log-segment.ts'
import type { LogState } from './log-state.ts'
import type { StorageLogger } from './logger.ts'
import { SegmentRecycler } from './segment-recycler.ts'
import { SerialQueue } from './serial-queue.ts'

/** The log, as its retired segments see it. */
export interface RetireHost {
  readonly fs: Fs
  readonly clock: Clock
  readonly dir: string
  readonly name: string
  readonly logger: StorageLogger
  readonly config: LogConfig
  /** Once closed, no retired file is kept. */
  readonly closed: boolean
}

export class RetiredSegments {
  private readonly host: RetireHost
  private readonly pendingDeletes = new Map<LogSegment, { cancel(): void }>()
  /** A retired segment file kept for the next roll (segment-recycler.ts); made on first use. */
  private recycler: SegmentRecycler | null = null

  constructor(host: RetireHost) {
    this.host = host
  }

  /** Retired .log files kept for the next rolls (tests). */
  get spareFiles(): number {
    return this.recycler?.sparePaths.length ?? 0
  }

  /** Retired, its files not yet removed (a flush skips it). */
  has(seg: LogSegment): boolean {
    return this.pendingDeletes.has(seg)
  }

  /** A spare .log file for the next roll to rename into place, or null. */
  takeSpare(): string | null {
    return this.recycler?.take() ?? null
  }

  /**
   * Renames segments to `.deleted` and removes them after file.delete.delay.ms (readers holding
   * their file ranges keep working meanwhile). `durable`: the renames are fsynced before this
   * resolves (truncation must not come back after a crash; retention may). `recycle`: segments
   * from the start of the log, whose .log file may be reused by the next roll (never truncated
   * ones: their stale batches would carry offsets above the new data's).
   */
  async retire(segs: readonly LogSegment[], durable: boolean, recycle = false): Promise<void> {
    const h = this.host
    // Segment by segment side by side: retention retires several at a time, and on a busy event
    // loop each round trip waits for a turn of it.
    await allEnded(segs.map((s) => s.changeSuffix(DELETED_SUFFIX)))
    if (durable) await h.fs.syncDir(h.dir)
    for (const s of segs) {
      const timer = h.clock.setTimeout(() => {
        this.pendingDeletes.delete(s)
        const keep = recycle && !h.closed
        s.deleteFiles(keep)
          .then(() => (keep ? this.keepSpare(s.logPath) : undefined))
          .catch((err) => h.logger.warn(`${h.name}: could not delete ${s.logPath}: ${err}`))
      }, h.config.fileDeleteDelayMs)
      this.pendingDeletes.set(s, timer)
    }
  }

  /** The log closes: the retired segments' files go now, and the spares with them. */
  deleteAll(): Promise<void> {
    return this.dropPending((s) => s.deleteFiles())
  }

  /** The log closes without writing anything: handles are closed, files left to the loader. */
  closeHandles(): Promise<void> {
    return this.dropPending((s) => s.closeHandle())
  }

  /** Cancels the delayed deletes, doing `end` to each segment instead, and closes the recycler. */
  private async dropPending(end: (s: LogSegment) => Promise<unknown>): Promise<void> {
    for (const [s, t] of this.pendingDeletes) {
      t.cancel()
      await end(s).catch(() => {})
    }
    this.pendingDeletes.clear()
    await this.recycler?.close().catch(() => {})
  }

  /**
   * A retired .log file, closed: the spare for the next roll, or removed once the log is closed.
   * Its `.deleted` name is made durable first: until then a crash would bring the file back under
   * its old segment name, holding whatever a reuse wrote into it since.
   */
  private async keepSpare(path: string): Promise<void> {
    const h = this.host
    const synced =
      !h.closed &&
      (await h.fs.syncDir(h.dir).then(
        () => true,
        () => false,
      ))
    if (!synced || h.closed) return h.fs.unlink(path)
    this.recycler ??= new SegmentRecycler(h.fs, h.clock)
    return this.recycler.offer(path)
  }
}

/** Retires `segs` of a log (RetiredSegments.retire), making the log's RetiredSegments on first use. */
export function retireSegments(
  log: RetireHost & { retired: RetiredSegments | null },
  segs: readonly LogSegment[],
  durable: boolean,
  recycle = false,
): Promise<void> {
  log.retired ??= new RetiredSegments(log)
  return log.retired.retire(segs, durable, recycle)
}

/**
 * The files of segments retention removed (Log.deleteSegmentsWhile): the epoch cache's truncation
 * written and the segments renamed `.deleted` (then removed after file.delete.delay.ms), after
 * the writer queue moved on, so appends never wait for them (Kafka flushes that truncation
 * asynchronously too). Nothing here needs to be durable: after a crash the segments come back and
 * retention deletes them again, and the loader drops the epoch entries below the checkpointed log
 * start. In order with earlier retirements; closing the log waits for them (LogState.retiring).
 * `guard`: the log's handling of a failed change (it goes offline).
 */
export function retireLater(
  s: LogState,
  doomed: readonly LogSegment[],
  guard: (fn: () => Promise<void>) => void | Promise<void>,
): Promise<void> {
  s.retiring ??= new SerialQueue()
  return s.retiring.run(async () => {
    await guard(() => allEnded([s.epochCache.persist(), retireSegments(s, doomed, false, true)]))
  })
}
