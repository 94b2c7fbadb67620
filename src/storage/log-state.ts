// The state of one partition's log (log.ts), in one object its parts share: the write of an
// append (log-append.ts), rolling (log-roll.ts), flushing and the recovery point (log-flush.ts),
// truncation (log-truncation.ts) and retired segments (retired-segments.ts). Log keeps the writer
// queue and the public API and is the only one to hand this out: the parts run where Log ran the
// same code before, so the queue orders their changes as it did (see log.ts on the single
// writer). Plain fields rather than a host with getters and setters: the append path runs
// through them.

import type { Clock } from '../common/clock.ts'
import type { Fs } from '../common/fs.ts'
import type { LeaderEpochCache } from './leader-epoch-cache.ts'
import type { LogConfig } from './log-config.ts'
import { ReadHints } from './log-read.ts'
import type { LogSegments } from './log-segments.ts'
import type { StorageLogger } from './logger.ts'
import type { RetiredSegments } from './retired-segments.ts'
import type { SerialQueue } from './serial-queue.ts'
import { StorageError, StorageErrorCode } from './storage-error.ts'
import { TailCache } from './tail-cache.ts'

export class LogState {
  readonly fs: Fs
  readonly clock: Clock
  readonly dir: string
  readonly name: string
  readonly logger: StorageLogger
  readonly random: () => number
  readonly epochCache: LeaderEpochCache
  readonly segments: LogSegments
  config: LogConfig
  leo: bigint
  hw: bigint
  startOffset: bigint
  rp: bigint
  unflushedMessages = 0
  lastFlushMs: number
  flushing: Promise<void> | null = null
  /** Retention's file work for segments already removed, in order (retireLater); made on first use. */
  retiring: SerialQueue | null = null
  dirNeedsSync = false
  /**
   * Bumped at the start and at the end of every truncation, so a flush that overlapped one in any
   * way does not move the recovery point.
   */
  truncations = 0
  offline: Error | null = null
  closed = false
  /** Made on the first retirement, like the other per-log collections: an idle log carries none. */
  retired: RetiredSegments | null = null
  /** Where recent batches start, for sequential readers (see log-read.ts). */
  readonly hints = new ReadHints()
  /** The leader's newest appends in memory until the ISR has them (tail-cache.ts). */
  readonly tail = new TailCache()

  constructor(p: {
    fs: Fs
    clock: Clock
    dir: string
    name: string
    logger: StorageLogger
    random: () => number
    epochCache: LeaderEpochCache
    segments: LogSegments
    config: LogConfig
    leo: bigint
    startOffset: bigint
    rp: bigint
    hw: bigint
  }) {
    this.fs = p.fs
    this.clock = p.clock
    this.dir = p.dir
    this.name = p.name
    this.logger = p.logger
    this.random = p.random
    this.epochCache = p.epochCache
    this.segments = p.segments
    this.config = p.config
    this.leo = p.leo
    this.startOffset = p.startOffset
    this.rp = p.rp
    this.hw = p.hw
    this.lastFlushMs = p.clock.now()
  }
}

// --- failure handling ---

export function markOffline(s: LogState, err: unknown): void {
  if (s.offline !== null) return
  s.offline = err instanceof Error ? err : new Error(String(err))
  s.tail.clear()
  s.logger.error(`${s.name}: I/O failure, the log is offline until reopened`, err)
}

export function offlineError(s: LogState): StorageError {
  return new StorageError(StorageErrorCode.LogOffline, `${s.name} is offline: ${s.offline?.message}`, {
    cause: s.offline,
  })
}

export function checkUsable(s: LogState): void {
  if (s.offline !== null) throw offlineError(s)
  if (s.closed) throw new StorageError(StorageErrorCode.LogClosed, `${s.name} is closed`)
}

export function clamp(v: bigint, lo: bigint, hi: bigint): bigint {
  return v < lo ? lo : v > hi ? hi : v
}
