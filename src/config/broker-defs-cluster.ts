// Broker configs of the ZooKeeper cluster mode that the single broker does not read: controlled
// shutdown, preferred-leader rebalancing, replica fetching and selection, replication throttles
// (KIP-73) and generated broker ids. Kafka's names and defaults.

import { atLeast, type ConfigDefinition, define, LONG_MAX, rule } from './config-def.ts'

/** The one replica.selector.class Samsa provides (KIP-392, replication/replica-selector.ts). */
export const RACK_AWARE_REPLICA_SELECTOR = 'org.apache.kafka.common.replica.RackAwareReplicaSelector'

export const CLUSTER_DEFS: readonly ConfigDefinition[] = [
  define(
    'controlled.shutdown.enable',
    'boolean',
    true,
    'On a graceful stop, ask the controller to move leadership away first.',
    { importance: 'medium' },
  ),
  define(
    'controlled.shutdown.max.retries',
    'int',
    3,
    'How many times a controlled shutdown is tried before the broker stops anyway.',
    { importance: 'medium' },
  ),
  define(
    'controlled.shutdown.retry.backoff.ms',
    'long',
    5000,
    'Pause between two tries of a controlled shutdown.',
    { importance: 'medium' },
  ),
  define(
    'leader.imbalance.check.interval.seconds',
    'long',
    300,
    'How often the controller checks whether leadership should move back to preferred replicas.',
    { importance: 'high', validator: atLeast(1) },
  ),
  define(
    'leader.imbalance.per.broker.percentage',
    'int',
    10,
    'Share of non-preferred leaders per broker above which the controller rebalances.',
    { importance: 'high' },
  ),
  define(
    'num.replica.fetchers',
    'int',
    1,
    'Fetcher connections per leader broker that a follower copies partitions over.',
    { importance: 'high', validator: atLeast(1) },
  ),
  define(
    'replica.fetch.max.bytes',
    'int',
    1048576,
    'Bytes a follower asks for per partition in one fetch (the first batch comes even when larger).',
    { importance: 'medium', validator: atLeast(0) },
  ),
  define(
    'replica.fetch.response.max.bytes',
    'int',
    10485760,
    'Bytes a follower asks for in one whole fetch.',
    { importance: 'medium', validator: atLeast(0) },
  ),
  define(
    'replica.fetch.wait.max.ms',
    'int',
    500,
    'How long a follower fetch waits at the leader for new data.',
    { importance: 'medium' },
  ),
  define('replica.fetch.min.bytes', 'int', 1, 'Bytes a follower fetch waits for at the leader.', {
    importance: 'high',
  }),
  define('replica.fetch.backoff.ms', 'int', 1000, 'Pause after a follower fetch failed.', {
    importance: 'medium',
    validator: atLeast(0),
  }),
  define('replica.socket.timeout.ms', 'int', 30000, 'How long a follower waits for a fetch answer.', {
    importance: 'high',
  }),
  define(
    'replica.selector.class',
    'class',
    null,
    "How a partition leader picks the replica a consumer reads from: unset, the leader; RackAwareReplicaSelector, a replica in the consumer's client.rack.",
    {
      importance: 'medium',
      validator: rule(`null or ${RACK_AWARE_REPLICA_SELECTOR}`, (v) =>
        v === '' || v === RACK_AWARE_REPLICA_SELECTOR
          ? null
          : `Class ${v} is not supported (Samsa provides ${RACK_AWARE_REPLICA_SELECTOR}; leave it unset for leader-only reads)`,
      ),
    },
  ),
  define(
    'leader.replication.throttled.rate',
    'long',
    LONG_MAX,
    'Bytes/s this broker sends, as leader, of the partitions in leader.replication.throttled.replicas to followers outside the ISR (set by kafka-reassign-partitions.sh --throttle).',
    { importance: 'medium', validator: atLeast(0), updateMode: 'cluster-wide' },
  ),
  define(
    'follower.replication.throttled.rate',
    'long',
    LONG_MAX,
    'Bytes/s this broker copies, as follower, of the partitions in follower.replication.throttled.replicas while out of sync (set by kafka-reassign-partitions.sh --throttle).',
    { importance: 'medium', validator: atLeast(0), updateMode: 'cluster-wide' },
  ),
  define(
    'replication.quota.window.num',
    'int',
    11,
    'Samples the replication throttle rate is measured over.',
    { importance: 'low', validator: atLeast(1) },
  ),
  define(
    'replication.quota.window.size.seconds',
    'int',
    1,
    'Length of one sample of the replication throttle rate.',
    { importance: 'low', validator: atLeast(1) },
  ),
  define(
    'reserved.broker.max.id',
    'int',
    1000,
    'Broker ids generated from ZooKeeper (broker.id=-1) start above this.',
    { importance: 'medium', validator: atLeast(0) },
  ),
]

/** The parsed value of a config key (this file's, or any other broker config). */
export function clusterSetting<T extends boolean | number | string>(
  values: ReadonlyMap<string, { value: unknown }>,
  name: string,
  fallback: T,
): T {
  const v = values.get(name)?.value
  if (v === null || v === undefined) return fallback
  return (typeof v === 'bigint' ? Number(v) : v) as T
}

/**
 * inter.broker.listener.name, else the listener named after security.inter.broker.protocol. Here
 * rather than in broker/cluster-mode.ts: TLS, SASL and the services read it at every start, and
 * cluster-mode.ts (with the ZooKeeper client) is loaded only in ZooKeeper mode.
 */
export function interBrokerListener(config: {
  readonly values: ReadonlyMap<string, { value: unknown }>
}): string {
  const named = clusterSetting<string>(config.values, 'inter.broker.listener.name', '')
  if (named !== '') return named.toUpperCase()
  return clusterSetting<string>(config.values, 'security.inter.broker.protocol', 'PLAINTEXT').toUpperCase()
}
