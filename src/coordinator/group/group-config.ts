// The group coordinator's settings as a typed object, taken from the broker config (Kafka's names
// beside each field), and the creation spec of __consumer_offsets.

import type { BrokerConfig } from '../../config/broker-config.ts'

export const OFFSETS_TOPIC = '__consumer_offsets'

export interface GroupConfig {
  /** group.initial.rebalance.delay.ms */
  readonly initialRebalanceDelayMs: number
  /** group.min.session.timeout.ms */
  readonly minSessionTimeoutMs: number
  /** group.max.session.timeout.ms */
  readonly maxSessionTimeoutMs: number
  /** group.max.size */
  readonly maxSize: number
  /** offsets.retention.minutes, in ms */
  readonly offsetsRetentionMs: number
  /** offsets.retention.check.interval.ms */
  readonly offsetsRetentionCheckIntervalMs: number
  /** offset.metadata.max.bytes */
  readonly offsetMetadataMaxBytes: number
  /** offsets.topic.num.partitions (used until the topic exists; then its real partition count) */
  readonly offsetsTopicNumPartitions: number
}

/** How long a new member's JoinGroup may wait before it is dropped (Kafka's NewMemberJoinTimeoutMs). */
export const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000

export const DEFAULT_GROUP_CONFIG: GroupConfig = Object.freeze({
  initialRebalanceDelayMs: 3000,
  minSessionTimeoutMs: 6000,
  maxSessionTimeoutMs: 1800000,
  maxSize: 2147483647,
  offsetsRetentionMs: 10080 * 60_000,
  offsetsRetentionCheckIntervalMs: 600000,
  offsetMetadataMaxBytes: 4096,
  offsetsTopicNumPartitions: 50,
})

export function groupConfigOf(c: BrokerConfig): GroupConfig {
  return {
    initialRebalanceDelayMs: c.groupInitialRebalanceDelayMs,
    minSessionTimeoutMs: c.groupMinSessionTimeoutMs,
    maxSessionTimeoutMs: c.groupMaxSessionTimeoutMs,
    maxSize: c.groupMaxSize,
    offsetsRetentionMs: c.offsetsRetentionMinutes * 60_000,
    offsetsRetentionCheckIntervalMs: c.offsetsRetentionCheckIntervalMs,
    offsetMetadataMaxBytes: c.offsetMetadataMaxBytes,
    offsetsTopicNumPartitions: c.offsetsTopicNumPartitions,
  }
}

/** How __consumer_offsets is created: Kafka's GroupCoordinator topic configs. */
export function offsetsTopicSpec(c: BrokerConfig) {
  return {
    name: OFFSETS_TOPIC,
    numPartitions: c.offsetsTopicNumPartitions,
    replicationFactor: c.offsetsTopicReplicationFactor,
    configs: [
      { name: 'cleanup.policy', value: 'compact' },
      { name: 'compression.type', value: 'producer' },
      { name: 'segment.bytes', value: String(c.offsetsTopicSegmentBytes) },
    ],
  }
}
