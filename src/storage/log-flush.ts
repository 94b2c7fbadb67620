// Flushing a log (log.ts) and the recovery point it moves: everything below the recovery point
// is fsynced, so recovery after a crash starts at its segment. Runs outside the writer queue:
// concurrent callers (flush.messages after appends, the flush.ms timer, a roll's background
// flush) share one fsync pass (group commit), and a truncation that overlapped a pass in any way
// keeps it from moving the recovery point (LogState.truncations).

import type { LogState } from './log-state.ts'
import { checkUsable, markOffline, offlineError } from './log-state.ts'
import { isStorageError, StorageErrorCode } from './storage-error.ts'

/**
 * fsyncs everything below `upTo` (default: the LEO) and moves the recovery point there.
 * Concurrent callers share fsyncs (group commit).
 */
export async function flushLog(s: LogState, upTo?: bigint): Promise<void> {
  for (;;) {
    checkUsable(s)
    const target = upTo !== undefined && upTo < s.leo ? upTo : s.leo
    if (s.rp >= target) return
    if (s.flushing === null) {
      s.flushing = doFlush(s, s.leo).finally(() => {
        s.flushing = null
      })
    }
    await s.flushing
  }
}

async function doFlush(s: LogState, target: bigint): Promise<void> {
  const truncations = s.truncations
  const messages = s.unflushedMessages
  const all = s.segments.all
  const active = all[all.length - 1]
  try {
    if (s.dirNeedsSync) {
      s.dirNeedsSync = false
      await s.fs.syncDir(s.dir)
    }
    for (const seg of all) {
      if (seg.baseOffset >= target && seg !== active) continue
      if (s.retired?.has(seg)) continue
      await seg.flush(seg !== active)
    }
  } catch (err) {
    s.dirNeedsSync = true
    // An index that did not fit on a full disk: the recovery point stays where it is and the
    // next flush writes it again. Anything else (a failed fsync above all) is fatal.
    if (isStorageError(err, StorageErrorCode.NoSpace)) throw err
    markOffline(s, err)
    throw offlineError(s)
  }
  if (s.truncations === truncations && target > s.rp) s.rp = target
  s.unflushedMessages = Math.max(0, s.unflushedMessages - messages)
  s.lastFlushMs = s.clock.now()
}
