// The share group settings as the share coordinator, the membership and the share-partitions use
// them, read once from the broker config (config/broker-defs-share.ts holds names and defaults).

import type { BrokerConfig } from '../../config/broker-config.ts'
import type { CreateTopicRequest } from '../../metadata/store.ts'
import { SHARE_STATE_TOPIC } from './share-coordinator.ts'

export interface ShareConfig {
  readonly enabled: boolean
  readonly lockMs: number
  readonly deliveryLimit: number
  readonly maxInFlight: number
  readonly sessionTimeoutMs: number
  readonly heartbeatIntervalMs: number
  readonly maxSize: number
  readonly maxGroups: number
  readonly maxFetchRecords: number
  readonly stateTopicPartitions: number
  readonly stateTopicReplicationFactor: number
}

export const DEFAULT_SHARE_CONFIG: ShareConfig = {
  enabled: true,
  lockMs: 30000,
  deliveryLimit: 5,
  maxInFlight: 200,
  sessionTimeoutMs: 45000,
  heartbeatIntervalMs: 5000,
  maxSize: 200,
  maxGroups: 10,
  maxFetchRecords: 500,
  stateTopicPartitions: 50,
  stateTopicReplicationFactor: 3,
}

export function shareConfigOf(c: BrokerConfig): ShareConfig {
  const d = DEFAULT_SHARE_CONFIG
  const get = (key: string) => c.values.get(key)?.value
  const num = (key: string, dflt: number) => {
    const v = get(key)
    return typeof v === 'number' ? v : dflt
  }
  const within = (key: string, dflt: number, min: string, max: string) =>
    Math.min(Math.max(num(key, dflt), num(min, 1)), num(max, 2147483647))
  const enabled = get('group.share.enable')
  return {
    enabled: typeof enabled === 'boolean' ? enabled : d.enabled,
    lockMs: within(
      'group.share.record.lock.duration.ms',
      d.lockMs,
      'group.share.min.record.lock.duration.ms',
      'group.share.max.record.lock.duration.ms',
    ),
    deliveryLimit: num('group.share.delivery.count.limit', d.deliveryLimit),
    maxInFlight: num('group.share.partition.max.record.locks', d.maxInFlight),
    sessionTimeoutMs: within(
      'group.share.session.timeout.ms',
      d.sessionTimeoutMs,
      'group.share.min.session.timeout.ms',
      'group.share.max.session.timeout.ms',
    ),
    heartbeatIntervalMs: within(
      'group.share.heartbeat.interval.ms',
      d.heartbeatIntervalMs,
      'group.share.min.heartbeat.interval.ms',
      'group.share.max.heartbeat.interval.ms',
    ),
    maxSize: num('group.share.max.size', d.maxSize),
    maxGroups: num('group.share.max.groups', d.maxGroups),
    maxFetchRecords: num('share.fetch.max.fetch.records', d.maxFetchRecords),
    stateTopicPartitions: num('share.coordinator.state.topic.num.partitions', d.stateTopicPartitions),
    stateTopicReplicationFactor: num(
      'share.coordinator.state.topic.replication.factor',
      d.stateTopicReplicationFactor,
    ),
  }
}

/** How __share_group_state is created: compacted, like Kafka's share coordinator topic. */
export function shareStateTopicSpec(c: ShareConfig, liveBrokers: number): CreateTopicRequest {
  return {
    name: SHARE_STATE_TOPIC,
    numPartitions: c.stateTopicPartitions,
    replicationFactor: Math.max(1, Math.min(c.stateTopicReplicationFactor, liveBrokers)),
    configs: [
      { name: 'cleanup.policy', value: 'compact' },
      { name: 'compression.type', value: 'producer' },
    ],
  }
}
