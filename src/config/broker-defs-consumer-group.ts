// The KIP-848 consumer group settings (group.protocol=consumer): Kafka 4.0's names and defaults.
// The coordinator reads them through groupConfigOf (coordinator/group/group-config.ts).

import { atLeast, type ConfigDefinition, define, listOf, oneOf, rule } from './config-def.ts'

const INT_MAX = 2147483647
const ASSIGNOR_CLASSES: Record<string, string> = {
  'org.apache.kafka.coordinator.group.assignor.UniformAssignor': 'uniform',
  'org.apache.kafka.coordinator.group.assignor.RangeAssignor': 'range',
}

/** "uniform" / "range" for a name or Kafka's class name of a server assignor; null if unknown. */
export function assignorName(item: string): string | null {
  if (item === 'uniform' || item === 'range') return item
  return ASSIGNOR_CLASSES[item] ?? null
}

export const CONSUMER_GROUP_DEFS: readonly ConfigDefinition[] = [
  define(
    'group.coordinator.rebalance.protocols',
    'list',
    'classic,consumer',
    'The group protocols the coordinator serves; without "consumer" ConsumerGroupHeartbeat is not offered.',
    { validator: listOf('classic', 'consumer', 'share', 'streams') },
  ),
  define(
    'group.consumer.session.timeout.ms',
    'int',
    45000,
    'How long a consumer-protocol member may go without a heartbeat before it is removed.',
    { validator: atLeast(1) },
  ),
  define('group.consumer.min.session.timeout.ms', 'int', 45000, 'Lower bound of the session timeout.', {
    validator: atLeast(1),
  }),
  define('group.consumer.max.session.timeout.ms', 'int', 60000, 'Upper bound of the session timeout.', {
    validator: atLeast(1),
  }),
  define(
    'group.consumer.heartbeat.interval.ms',
    'int',
    5000,
    'How often consumer-protocol members are told to heartbeat.',
    { validator: atLeast(1) },
  ),
  define('group.consumer.min.heartbeat.interval.ms', 'int', 5000, 'Lower bound of the heartbeat interval.', {
    validator: atLeast(1),
  }),
  define('group.consumer.max.heartbeat.interval.ms', 'int', 15000, 'Upper bound of the heartbeat interval.', {
    validator: atLeast(1),
  }),
  define('group.consumer.max.size', 'int', INT_MAX, 'The most members a consumer-protocol group may have.', {
    validator: atLeast(1),
  }),
  define(
    'group.consumer.assignors',
    'list',
    'uniform,range',
    'The server-side assignors, by name ("uniform", "range") or Kafka class name; the first is the default.',
    {
      validator: rule('[uniform, range]', (v) => {
        const items = v as readonly string[]
        if (items.length === 0) return 'at least one assignor is needed'
        const bad = items.find((i) => assignorName(i) === null)
        return bad === undefined ? null : `unknown assignor ${bad}`
      }),
    },
  ),
  define(
    'group.consumer.migration.policy',
    'string',
    'bidirectional',
    'Whether an empty group may change between the classic and the consumer protocol.',
    { validator: oneOf('disabled', 'upgrade', 'downgrade', 'bidirectional') },
  ),
]
