// Retention: which old segments to delete, by Kafka's three rules, oldest first. Whole segments
// only, never the active one unless it is past retention too (then the log rolls first), and
// only segments wholly below the high watermark (see Log.deleteSegmentsWhile).
//
// - log start offset: a segment whose successor starts at or below the log start offset holds
//   nothing readable (DeleteRecords, or retention of a previous segment).
// - retention.ms: the segment's largest record timestamp (its file's mtime when no record has a
//   timestamp) is older than now - retention.ms.
// - retention.bytes: the log is larger than retention.bytes even without this segment.
//
// Compacted topics (cleanup.policy=compact) apply only the first rule.

import type { Log } from './log.ts'
import { isDeleteEnabled } from './log-config.ts'
import type { LogSegment } from './log-segment.ts'

export async function deleteOldSegments(log: Log, now: number): Promise<number> {
  let deleted = await log.deleteSegmentsWhile(
    async (_seg, next) => next !== undefined && next.baseOffset <= log.logStartOffset,
    'log start offset breach',
  )
  if (!isDeleteEnabled(log.config)) return deleted
  const retentionBytes = log.config.retentionBytes
  if (retentionBytes >= 0) {
    let excess = log.size - retentionBytes
    if (excess > 0) {
      deleted += await log.deleteSegmentsWhile(async (seg) => {
        if (excess - seg.size < 0) return false
        excess -= seg.size
        return true
      }, `retention.bytes ${retentionBytes}`)
    }
  }
  const retentionMs = log.config.retentionMs
  if (retentionMs >= 0) {
    deleted += await log.deleteSegmentsWhile(
      async (seg) => now - (await seg.largestTimestamp()) > retentionMs,
      `retention.ms ${retentionMs}`,
    )
  }
  return deleted
}

/**
 * The oldest segments of `all` (`log`'s snapshot) while `shouldDelete` says so, only segments
 * wholly below the high watermark (read at each step: it may move meanwhile), never the last one
 * if it is empty. Log.deleteSegmentsWhile deletes them, inside its writer queue.
 */
export async function oldestSegmentsWhile(
  log: Log,
  all: readonly LogSegment[],
  shouldDelete: (seg: LogSegment, next: LogSegment | undefined) => Promise<boolean>,
): Promise<LogSegment[]> {
  const doomed: LogSegment[] = []
  for (let i = 0; i < all.length; i++) {
    const seg = all[i]
    const next = all[i + 1] as LogSegment | undefined
    const upper = next === undefined ? log.logEndOffset : next.baseOffset
    if (upper > log.highWatermark) break
    if (next === undefined && seg.size === 0) break
    if (!(await shouldDelete(seg, next))) break
    doomed.push(seg)
  }
  return doomed
}
