// Truncation of a log (log.ts): removing its end (a follower whose log diverged from its leader's)
// or all of it (a follower restarting past the leader's log start). Log.truncateTo and
// Log.truncateFullyAndStartAt check the request and run these inside the writer queue, then
// write the directory checkpoints.

import { segmentOptions } from './log-roll.ts'
import { LogSegment } from './log-segment.ts'
import { clamp, type LogState } from './log-state.ts'
import { retireSegments } from './retired-segments.ts'

/** Removes everything at and after `offset` (startOffset <= offset < LEO), durably. */
export async function truncateEnd(s: LogState, offset: bigint): Promise<void> {
  s.truncations++
  // Read-aheads of the bytes about to go are dropped before they go (again after).
  s.hints.clear()
  const gone = s.segments.all.filter((seg) => seg.baseOffset > offset)
  if (gone.length > 0) {
    s.segments.remove(gone)
    await retireSegments(s, gone, true)
  }
  const { nextOffset } = await s.segments.active.truncateTo(offset)
  // The log now ends after its last whole batch (before `offset` when that fell inside a
  // batch), which is also what a reload finds; never below the log start.
  afterTruncation(s, clamp(nextOffset, s.startOffset, nextOffset))
  // Bumped again now that the LEO moved: a flush that began mid-truncation, aiming at the
  // old LEO, must not move the recovery point either.
  s.truncations++
  await s.epochCache.persist()
}

/** Deletes everything and restarts the log empty at `offset` (LEO = log start = HW = offset). */
export async function truncateFully(s: LogState, offset: bigint): Promise<void> {
  s.truncations++
  s.hints.clear()
  s.tail.clear()
  const gone = [...s.segments.all]
  s.segments.remove(gone)
  await retireSegments(s, gone, false)
  const seg = await LogSegment.create(s.fs, s.dir, offset, segmentOptions(s))
  s.segments.add(seg)
  await s.fs.syncDir(s.dir)
  s.leo = offset
  s.startOffset = offset
  s.hw = offset
  s.rp = offset
  s.truncations++
  s.unflushedMessages = 0
  s.epochCache.clear()
  await s.epochCache.persist()
}

function afterTruncation(s: LogState, offset: bigint): void {
  s.hints.clear()
  s.tail.clear()
  s.leo = offset
  if (s.hw > offset) s.hw = offset
  if (s.rp > offset) s.rp = offset
  s.epochCache.truncateFromEnd(offset)
  s.unflushedMessages = 0
}
