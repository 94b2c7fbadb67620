// Rolling a log (log.ts): the active segment becomes inactive and a new one starts. Kept apart
// because three writers need it inside the writer queue: an append whose batch does not fit or
// whose segment is too old (log-append.ts), retention deleting every segment, and Log.rollNow.

import { flushLog } from './log-flush.ts'
import { LogSegment } from './log-segment.ts'
import type { LogState } from './log-state.ts'

/** Starts a new active segment at max(expected, LEO). Inside the queue. */
export async function roll(s: LogState, expected?: bigint): Promise<void> {
  const newBase = expected !== undefined && expected > s.leo ? expected : s.leo
  const old = s.segments.active
  if (old.baseOffset === newBase && old.size === 0) return
  await old.ensureIndexes()
  old.onBecomeInactive()
  // The old file's cut (a reused file, see LogSegment.trimFile) may run beside the new segment's
  // files, unless the old segment must be durable before the new one exists.
  const trimBeside = old.size > 0 && s.rp < newBase
  if (!trimBeside) await old.trimFile()
  if (old.size === 0) {
    // An empty active segment below an offset gap: replace it.
    s.segments.remove([old])
    await old.deleteFiles()
  } else if (s.rp >= newBase) {
    // The recovery point already covers the whole old segment; once the new segment exists it
    // is no longer recovered after a crash, so its indexes must be durable first.
    await old.flush(true)
  }
  const reuse = s.retired?.takeSpare() ?? undefined
  const creating = LogSegment.create(s.fs, s.dir, newBase, segmentOptions(s), '', false, reuse)
  const [made, trimmed] = await Promise.allSettled([creating, trimBeside ? old.trimFile() : undefined])
  if (made.status === 'rejected') throw made.reason
  const seg = made.value
  if (trimmed.status === 'rejected') {
    // The new segment's files exist but the log does not hold it: they are left for the next
    // roll at this base to cut (as a crash would leave them).
    await seg.closeHandle().catch(() => {})
    throw trimmed.reason
  }
  s.segments.add(seg)
  s.dirNeedsSync = true
  if (s.rp < newBase) {
    // Like Kafka: fsync the finished segment in the background.
    flushLog(s, newBase).catch((err) => {
      if (!s.closed) s.logger.error(`${s.name}: background flush failed`, err)
    })
  }
}

export function segmentOptions(s: LogState) {
  const jitter = s.config.segmentJitterMs > 0 ? Math.floor(s.random() * s.config.segmentJitterMs) : 0
  return { indexBytes: s.config.segmentIndexBytes, now: s.clock.now(), rollJitterMs: jitter }
}
