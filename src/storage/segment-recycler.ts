// Reuse of retired segment files: when retention removes the oldest segments of a log, their
// `.log` files (already renamed `.deleted`) are kept, and the log's next rolls rename one to the
// new segment's name instead of creating an empty file; appends then overwrite its bytes.
//
// Why: in steady state a log writes as many new bytes as retention removes, and on the page cache
// (tmpfs above all) writing into a new file costs a page allocation and accounting per 4 KiB, and
// removing a file frees them again. Overwriting pages the file already has skips both: kperf
// produce spent ~13 % of the broker's CPU on them, and a raw writer on this VM pays 428 ms of CPU
// per GiB written into new 64 MiB files (deleting the oldest) against 320 ms per GiB overwriting
// them (docs/performance.md, "Reusing retired segment files").
//
// What keeps it safe:
// - Only files retired from the start of the log (retention, DeleteRecords) are offered, never
//   truncated ones: the stale bytes left past a segment's data then hold batches with offsets
//   below the segment's base, which crash recovery refuses (offsets must increase from the base),
//   so it cuts the file there. A reused segment's file is cut to its data (LogSegment.trimFile)
//   when it stops being active and before a clean shutdown, both before their fsync, so a file
//   that is loaded without recovery never has a stale tail.
// - A file is offered once its delete delay is over and its handle is closed (the Fs handle's
//   close waits for the reads in flight on it; later reads through it fail), and a removed
//   segment refuses to reopen its file (OffsetOutOfRange): no reader of the old segment can see
//   the new data. Its `.deleted` name is fsynced before it is offered, so a crash cannot bring it
//   back under its old segment name holding new bytes.
// - At most MAX_SPARES spares per log, each removed after SPARE_IDLE_MS unused and when the log
//   closes; a crash leaves them named `.deleted`, which the loader removes. Retention runs every
//   log.retention.check.interval.ms and removes every segment over the limit at once, while rolls
//   come one at a time in between, so the count of spares swings with the phase of the two: with
//   4 a busy log (kperf produce, 64 MiB segments, retention checked every 200 ms) found no spare at
//   15 % of its rolls, and as many spares were deleted for want of room; with 16, at 1 roll in 232
//   (docs/performance.md, "Side by side, session 15"). What they hold on disk is files retention
//   already removed, which Kafka itself keeps for file.delete.delay.ms (60 s by default): at most
//   MAX_SPARES segments per log for SPARE_IDLE_MS more.

import type { Clock, Timer } from '../common/clock.ts'
import { type Fs, isNotFound } from '../common/fs.ts'

/** A spare not reused by then is removed (an idle log keeps no retired file). */
export const SPARE_IDLE_MS = 10_000
/** Spares kept per log at most. */
export const MAX_SPARES = 16

export class SegmentRecycler {
  private readonly fs: Fs
  private readonly clock: Clock
  /** Oldest first. */
  private readonly spares: { path: string; timer: Timer }[] = []
  private closed = false

  constructor(fs: Fs, clock: Clock) {
    this.fs = fs
    this.clock = clock
  }

  /** Paths of the spare files kept, oldest first (tests). */
  get sparePaths(): string[] {
    return this.spares.map((s) => s.path)
  }

  /** A retired `.log` file, closed: kept as a spare while fewer than MAX_SPARES are, else removed. */
  async offer(path: string): Promise<void> {
    if (this.spares.length >= MAX_SPARES || this.closed) {
      await this.remove(path)
      return
    }
    const spare = {
      path,
      timer: this.clock.setTimeout(() => {
        const i = this.spares.indexOf(spare)
        if (i < 0) return
        this.spares.splice(i, 1)
        this.remove(path).catch(() => {})
      }, SPARE_IDLE_MS),
    }
    this.spares.push(spare)
  }

  /** A spare's path, now owned by the caller (to be renamed), or null. */
  take(): string | null {
    const s = this.spares.shift()
    if (s === undefined) return null
    s.timer.cancel()
    return s.path
  }

  /** Removes the spares and refuses later offers (the log is closing). */
  async close(): Promise<void> {
    this.closed = true
    for (let path = this.take(); path !== null; path = this.take()) await this.remove(path)
  }

  private async remove(path: string): Promise<void> {
    try {
      await this.fs.unlink(path)
    } catch (err) {
      if (!isNotFound(err)) throw err
    }
  }
}
