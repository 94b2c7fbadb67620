// The group coordinator's settings as a typed object, taken from the broker config (Kafka's names
// beside each field), and the creation spec of __consumer_offsets.

import type { BrokerConfig } from '../../config/broker-config.ts'
import { assignorName } from '../../config/broker-defs-consumer-group.ts'

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
  /** The KIP-848 (group.protocol=consumer) settings. */
  readonly consumer: ConsumerGroupConfig
}

export interface ConsumerGroupConfig {
  /** group.coordinator.rebalance.protocols includes "consumer". */
  readonly enabled: boolean
  /** group.consumer.session.timeout.ms, kept within its min/max. */
  readonly sessionTimeoutMs: number
  /** group.consumer.heartbeat.interval.ms, kept within its min/max. */
  readonly heartbeatIntervalMs: number
  /** group.consumer.max.size */
  readonly maxSize: number
  /** group.consumer.assignors as names ("uniform", "range"); the first is the default. */
  readonly assignors: readonly string[]
  /** group.consumer.migration.policy */
  readonly migrationPolicy: 'disabled' | 'upgrade' | 'downgrade' | 'bidirectional'
}

export const DEFAULT_CONSUMER_GROUP_CONFIG: ConsumerGroupConfig = Object.freeze({
  enabled: true,
  sessionTimeoutMs: 45000,
  heartbeatIntervalMs: 5000,
  maxSize: 2147483647,
  assignors: ['uniform', 'range'],
  migrationPolicy: 'bidirectional',
})

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
  consumer: DEFAULT_CONSUMER_GROUP_CONFIG,
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
    consumer: consumerGroupConfigOf(c),
  }
}

function consumerGroupConfigOf(c: BrokerConfig): ConsumerGroupConfig {
  const d = DEFAULT_CONSUMER_GROUP_CONFIG
  const get = (key: string) => c.values.get(key)?.value
  const num = (key: string, dflt: number) => {
    const v = get(key)
    return typeof v === 'number' ? v : dflt
  }
  const within = (key: string, dflt: number) =>
    Math.min(
      Math.max(num(key, dflt), num(`${key.replace('group.consumer.', 'group.consumer.min.')}`, 1)),
      num(key.replace('group.consumer.', 'group.consumer.max.'), 2147483647),
    )
  const protocols = get('group.coordinator.rebalance.protocols')
  const assignors = get('group.consumer.assignors')
  const policy = get('group.consumer.migration.policy')
  return {
    enabled: Array.isArray(protocols) ? protocols.includes('consumer') : d.enabled,
    sessionTimeoutMs: within('group.consumer.session.timeout.ms', d.sessionTimeoutMs),
    heartbeatIntervalMs: within('group.consumer.heartbeat.interval.ms', d.heartbeatIntervalMs),
    maxSize: num('group.consumer.max.size', d.maxSize),
    assignors: Array.isArray(assignors)
      ? (assignors as readonly string[]).map((a) => assignorName(a) ?? a)
      : d.assignors,
    migrationPolicy:
      typeof policy === 'string' ? (policy as ConsumerGroupConfig['migrationPolicy']) : d.migrationPolicy,
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
