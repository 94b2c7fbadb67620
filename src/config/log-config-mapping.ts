// From config names to storage's typed objects (src/storage/log-config.ts): a topic's effective config
// becomes a LogConfig, the broker config a LogManagerConfig. Storage never parses strings; this is the
// only place that knows both vocabularies.

import type { CleanupPolicy, LogConfig, LogManagerConfig } from '../storage/log-config.ts'
import type { BrokerConfig } from './broker-config.ts'
import { MAX_OPEN_SEGMENT_FILES_KEY } from './broker-defs-log.ts'
import type { TopicConfig } from './topic-config.ts'

function cleanupPolicy(list: readonly string[]): CleanupPolicy {
  const compact = list.includes('compact')
  const del = list.includes('delete')
  // Validation refuses an empty list, so one of the two is always there.
  return compact && del ? 'compact,delete' : compact ? 'compact' : 'delete'
}

export function toLogConfig(t: TopicConfig): LogConfig {
  return {
    segmentBytes: t.segmentBytes,
    segmentMs: t.segmentMs,
    segmentJitterMs: t.segmentJitterMs,
    segmentIndexBytes: t.segmentIndexBytes,
    indexIntervalBytes: t.indexIntervalBytes,
    retentionMs: t.retentionMs,
    retentionBytes: t.retentionBytes,
    cleanupPolicy: cleanupPolicy(t.cleanupPolicy),
    minCleanableDirtyRatio: t.minCleanableDirtyRatio,
    minCompactionLagMs: t.minCompactionLagMs,
    maxCompactionLagMs: t.maxCompactionLagMs,
    deleteRetentionMs: t.deleteRetentionMs,
    fileDeleteDelayMs: t.fileDeleteDelayMs,
    flushMessages: t.flushMessages,
    flushMs: t.flushMs,
    messageTimestampType: t.messageTimestampType,
    messageTimestampBeforeMaxMs: t.messageTimestampBeforeMaxMs,
    messageTimestampAfterMaxMs: t.messageTimestampAfterMaxMs,
    maxMessageBytes: t.maxMessageBytes,
    minInsyncReplicas: t.minInsyncReplicas,
    compressionType: t.compressionType,
    preallocate: t.preallocate,
  }
}

export function toLogManagerConfig(b: BrokerConfig): LogManagerConfig {
  const num = (name: string) => b.values.get(name)!.value as number
  return {
    logDirs: [...b.logDirs],
    retentionCheckIntervalMs: b.logRetentionCheckIntervalMs,
    flushCheckIntervalMs: b.logFlushSchedulerIntervalMs,
    recoveryPointCheckpointIntervalMs: b.logFlushOffsetCheckpointIntervalMs,
    logStartOffsetCheckpointIntervalMs: num('log.flush.start.offset.checkpoint.interval.ms'),
    highWatermarkCheckpointIntervalMs: num('replica.high.watermark.checkpoint.interval.ms'),
    cleanerEnable: b.logCleanerEnable,
    cleanerBackoffMs: b.logCleanerBackoffMs,
    recoveryThreadsPerDataDir: num('num.recovery.threads.per.data.dir'),
    maxOpenSegmentFiles: num(MAX_OPEN_SEGMENT_FILES_KEY),
  }
}
