// Topic-level log configuration as a plain typed object, with Kafka's defaults. The broker's config
// module maps `.properties` / DescribeConfigs names (listed beside each field) onto it; storage
// never parses strings. Kafka's Long.MAX_VALUE "never" is any value >= 2^53 here (it arrives as a
// JS number and compares as larger than every real count or duration).

import { DEFAULT_MAX_OPEN_SEGMENT_FILES } from './open-files.ts'

export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete'
export type TimestampType = 'CreateTime' | 'LogAppendTime'

export interface LogConfig {
  /** segment.bytes: roll when the active segment would exceed this size. */
  segmentBytes: number
  /** segment.ms: roll when the active segment's first record is this old. */
  segmentMs: number
  /** segment.jitter.ms: a random amount up to this is subtracted from segment.ms per segment. */
  segmentJitterMs: number
  /** segment.index.bytes: size limit of each index; a full index rolls the segment. */
  segmentIndexBytes: number
  /** index.interval.bytes: bytes of batches between two offset index entries. */
  indexIntervalBytes: number
  /** retention.ms: delete segments whose newest record is older (-1: forever). */
  retentionMs: number
  /** retention.bytes: delete oldest segments while the log is larger (-1: no limit). */
  retentionBytes: number
  /** cleanup.policy. */
  cleanupPolicy: CleanupPolicy
  /** min.cleanable.dirty.ratio: compact when dirty / total bytes reaches this. */
  minCleanableDirtyRatio: number
  /** min.compaction.lag.ms: records younger than this are never compacted. */
  minCompactionLagMs: number
  /** max.compaction.lag.ms: compact regardless of the dirty ratio once dirty data is this old. */
  maxCompactionLagMs: number
  /** delete.retention.ms: how long tombstones survive compaction. */
  deleteRetentionMs: number
  /** file.delete.delay.ms: delay between renaming a segment to .deleted and removing it. */
  fileDeleteDelayMs: number
  /** flush.messages: fsync after this many records (Long.MAX: leave it to the OS). */
  flushMessages: number
  /** flush.ms: fsync when unflushed data is this old (Long.MAX: leave it to the OS). */
  flushMs: number
  /** message.timestamp.type. */
  messageTimestampType: TimestampType
  /** message.timestamp.before.max.ms (checked by the broker's validator, not here). */
  messageTimestampBeforeMaxMs: number
  /** message.timestamp.after.max.ms (checked by the broker's validator, not here). */
  messageTimestampAfterMaxMs: number
  /** max.message.bytes: largest batch the broker accepts (checked by the broker, not here). */
  maxMessageBytes: number
  /** min.insync.replicas (replication's concern; carried for completeness). */
  minInsyncReplicas: number
  /** compression.type (the broker's validator's concern). */
  compressionType: string
  /** preallocate: accepted and ignored (indexes are never preallocated here). */
  preallocate: boolean
}

/** Kafka's Long.MAX_VALUE as a JS number. */
export const LONG_MAX = 2 ** 63

export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze({
  segmentBytes: 1073741824,
  segmentMs: 604800000,
  segmentJitterMs: 0,
  segmentIndexBytes: 10485760,
  indexIntervalBytes: 4096,
  retentionMs: 604800000,
  retentionBytes: -1,
  cleanupPolicy: 'delete',
  minCleanableDirtyRatio: 0.5,
  minCompactionLagMs: 0,
  maxCompactionLagMs: LONG_MAX,
  deleteRetentionMs: 86400000,
  fileDeleteDelayMs: 60000,
  flushMessages: LONG_MAX,
  flushMs: LONG_MAX,
  messageTimestampType: 'CreateTime',
  messageTimestampBeforeMaxMs: LONG_MAX,
  messageTimestampAfterMaxMs: LONG_MAX,
  maxMessageBytes: 1048588,
  minInsyncReplicas: 1,
  compressionType: 'producer',
  preallocate: false,
} satisfies LogConfig)

/** Smallest segment.bytes Kafka accepts (a batch header must fit). */
export const MIN_SEGMENT_BYTES = 14

/** Defaults overlaid with `overrides`, validated. Throws RangeError on a bad value. */
export function logConfig(
  overrides: Partial<LogConfig> = {},
  base: Readonly<LogConfig> = DEFAULT_LOG_CONFIG,
) {
  const c: LogConfig = { ...base, ...overrides }
  const need = (ok: boolean, what: string): void => {
    if (!ok) throw new RangeError(`invalid log config: ${what}`)
  }
  need(Number.isInteger(c.segmentBytes) && c.segmentBytes >= MIN_SEGMENT_BYTES, 'segment.bytes')
  need(c.segmentBytes <= 2147483647, 'segment.bytes must fit a 32-bit position')
  need(c.segmentMs >= 1, 'segment.ms')
  need(c.segmentJitterMs >= 0, 'segment.jitter.ms')
  need(c.segmentIndexBytes >= 12, 'segment.index.bytes')
  need(c.indexIntervalBytes >= 0, 'index.interval.bytes')
  need(c.retentionMs >= -1, 'retention.ms')
  need(c.retentionBytes >= -1, 'retention.bytes')
  need(['delete', 'compact', 'compact,delete'].includes(c.cleanupPolicy), 'cleanup.policy')
  need(c.minCleanableDirtyRatio >= 0 && c.minCleanableDirtyRatio <= 1, 'min.cleanable.dirty.ratio')
  need(c.minCompactionLagMs >= 0, 'min.compaction.lag.ms')
  need(c.maxCompactionLagMs >= 1, 'max.compaction.lag.ms')
  need(c.deleteRetentionMs >= 0, 'delete.retention.ms')
  need(c.fileDeleteDelayMs >= 0, 'file.delete.delay.ms')
  need(c.flushMessages >= 1, 'flush.messages')
  need(c.flushMs >= 0, 'flush.ms')
  return c
}

/** Distinct configs seen (a handful in practice); cleared if it ever grows past the cap. */
const sharedConfigs = new Map<string, Readonly<LogConfig>>()
const SHARED_CONFIGS_MAX = 1024

/**
 * One object per distinct config: thousands of partitions of a topic (or of topics without
 * overrides) share it instead of holding ~1 KB copies each. Callers replace a log's config
 * object, never modify it.
 */
export function sharedLogConfig(c: LogConfig): LogConfig {
  // Built by hand: JSON.stringify with a replacer cost ~10 µs per log, a tenth of a second for a
  // CreateTopics of 10,000 partitions. Strings are quoted and other values tagged with their
  // type, so no two configs collide; a different key order only means a second shared copy.
  let key = ''
  for (const k in c) {
    const v = (c as unknown as Record<string, unknown>)[k]
    const text =
      typeof v === 'string' || typeof v === 'object' ? JSON.stringify(v) : `${typeof v}:${String(v)}`
    key += `${k}=${text},`
  }
  const known = sharedConfigs.get(key)
  if (known !== undefined) return known as LogConfig
  if (sharedConfigs.size >= SHARED_CONFIGS_MAX) sharedConfigs.clear()
  sharedConfigs.set(key, c)
  return c
}

export const isCompacted = (c: LogConfig): boolean => c.cleanupPolicy.startsWith('compact')
export const isDeleteEnabled = (c: LogConfig): boolean => c.cleanupPolicy.endsWith('delete')

/** Settings of the whole LogManager (broker-level, not per topic). */
export interface LogManagerConfig {
  /** log.dirs. */
  logDirs: string[]
  /** log.retention.check.interval.ms. */
  retentionCheckIntervalMs: number
  /** log.flush.scheduler.interval.ms: how often flush.ms is checked. */
  flushCheckIntervalMs: number
  /** log.flush.offset.checkpoint.interval.ms. */
  recoveryPointCheckpointIntervalMs: number
  /** log.flush.start.offset.checkpoint.interval.ms. */
  logStartOffsetCheckpointIntervalMs: number
  /** replica.high.watermark.checkpoint.interval.ms. */
  highWatermarkCheckpointIntervalMs: number
  /** log.cleaner.enable. */
  cleanerEnable: boolean
  /** log.cleaner.backoff.ms: pause between compaction passes. */
  cleanerBackoffMs: number
  /** num.recovery.threads.per.data.dir: logs loaded concurrently per directory. */
  recoveryThreadsPerDataDir: number
  /** samsa.log.max.open.segment.files: the process's cap on open .log files (open-files.ts; 0: none). */
  maxOpenSegmentFiles: number
}

export const DEFAULT_LOG_MANAGER_CONFIG: Readonly<Omit<LogManagerConfig, 'logDirs'>> = Object.freeze({
  retentionCheckIntervalMs: 300000,
  flushCheckIntervalMs: LONG_MAX,
  recoveryPointCheckpointIntervalMs: 60000,
  logStartOffsetCheckpointIntervalMs: 60000,
  highWatermarkCheckpointIntervalMs: 5000,
  cleanerEnable: true,
  cleanerBackoffMs: 15000,
  recoveryThreadsPerDataDir: 1,
  maxOpenSegmentFiles: DEFAULT_MAX_OPEN_SEGMENT_FILES,
})
