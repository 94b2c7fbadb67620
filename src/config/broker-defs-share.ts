// The share group settings (KIP-932): Kafka 4.x's names, defaults and bounds. The share
// coordinator and the share-partitions read them through shareConfigOf
// (coordinator/share/share-config.ts).

import { atLeast, type ConfigDefinition, define, rule } from './config-def.ts'

const between = (lo: number, hi: number) =>
  rule(`[${lo},...,${hi}]`, (v) =>
    typeof v === 'number' && v >= lo && v <= hi ? null : `must be between ${lo} and ${hi}`,
  )

export const SHARE_GROUP_DEFS: readonly ConfigDefinition[] = [
  define(
    'group.share.enable',
    'boolean',
    true,
    'Serve share groups (ShareGroupHeartbeat, ShareFetch, ...). Kafka 4.0 defaults to false (early access); Samsa serves them unless turned off.',
  ),
  define(
    'group.share.record.lock.duration.ms',
    'int',
    30000,
    'How long a share consumer holds a delivered record before it becomes available to others again.',
    { validator: between(1000, 3600000) },
  ),
  define(
    'group.share.min.record.lock.duration.ms',
    'int',
    15000,
    'Lower bound of the record lock duration.',
    {
      validator: between(1000, 30000),
    },
  ),
  define(
    'group.share.max.record.lock.duration.ms',
    'int',
    60000,
    'Upper bound of the record lock duration.',
    {
      validator: between(30000, 3600000),
    },
  ),
  define(
    'group.share.delivery.count.limit',
    'int',
    5,
    'Deliveries of one record after which it is archived (never delivered again) instead of being released.',
    { validator: between(2, 10) },
  ),
  define(
    'group.share.partition.max.record.locks',
    'int',
    200,
    'Records in flight (delivered, not yet acknowledged) at most per share-partition.',
    { validator: between(100, 10000) },
  ),
  define(
    'group.share.session.timeout.ms',
    'int',
    45000,
    'How long a share group member may go without a heartbeat before it is removed.',
    { validator: atLeast(1) },
  ),
  define('group.share.min.session.timeout.ms', 'int', 45000, 'Lower bound of the share session timeout.', {
    validator: atLeast(1),
  }),
  define('group.share.max.session.timeout.ms', 'int', 60000, 'Upper bound of the share session timeout.', {
    validator: atLeast(1),
  }),
  define(
    'group.share.heartbeat.interval.ms',
    'int',
    5000,
    'The heartbeat interval given to share group members.',
    { validator: atLeast(1) },
  ),
  define('group.share.min.heartbeat.interval.ms', 'int', 5000, 'Lower bound of the heartbeat interval.', {
    validator: atLeast(1),
  }),
  define('group.share.max.heartbeat.interval.ms', 'int', 15000, 'Upper bound of the heartbeat interval.', {
    validator: atLeast(1),
  }),
  define('group.share.max.size', 'int', 200, 'Members at most in one share group.', {
    validator: between(10, 1000),
  }),
  define('group.share.max.groups', 'int', 10, 'Share groups at most on this broker.', {
    validator: between(1, 100),
  }),
  define(
    'share.coordinator.state.topic.num.partitions',
    'int',
    50,
    'Partitions of __share_group_state, created on first use.',
    { validator: atLeast(1) },
  ),
  define(
    'share.coordinator.state.topic.replication.factor',
    'short',
    3,
    'Replication factor of __share_group_state (capped by the live brokers, as for __consumer_offsets).',
    { validator: atLeast(1) },
  ),
  define(
    'share.fetch.max.fetch.records',
    'int',
    500,
    'Records at most acquired by one ShareFetch per partition.',
    { validator: atLeast(1) },
  ),
]
