// Broker configs of ZooKeeper (cluster mode; without zookeeper.connect the embedded store is used)
// and replication, listed in SERVER_DEFS (broker-defs-server.ts) after the socket server's.
// Kafka's names, types, defaults, ranges, importance and update modes; the one-line docs are ours.

import { atLeast, type ConfigDefinition, define } from './config-def.ts'

export const ZK_REPLICATION_DEFS: readonly ConfigDefinition[] = [
  // ----- ZooKeeper (cluster mode; without zookeeper.connect the embedded store is used) -----
  define(
    'zookeeper.connect',
    'string',
    null,
    'ZooKeeper connection string host:port[,host:port...][/chroot]: the ensemble holding the cluster metadata. Unset or empty: a standalone broker with its embedded metadata store (Samsa; Kafka requires it or process.roles).',
    {
      importance: 'high',
    },
  ),
  define('zookeeper.session.timeout.ms', 'int', 18000, 'ZooKeeper session timeout.', {
    importance: 'high',
  }),
  define(
    'zookeeper.connection.timeout.ms',
    'int',
    null,
    'How long to wait for a ZooKeeper connection; defaults to zookeeper.session.timeout.ms.',
    {
      importance: 'high',
    },
  ),
  define('zookeeper.set.acl', 'boolean', false, 'Create znodes with secure ACLs.', {
    importance: 'high',
    support: 'ignored',
  }),
  define(
    'zookeeper.max.in.flight.requests',
    'int',
    10,
    'Unacknowledged ZooKeeper requests before the client blocks.',
    {
      validator: atLeast(1),
      importance: 'high',
      support: 'ignored',
    },
  ),

  // ----- Replication -----
  define(
    'default.replication.factor',
    'int',
    1,
    'Replication factor of topics created without one (auto-created topics, or -1 in CreateTopics).',
  ),
  define('min.insync.replicas', 'int', 1, 'Broker default of the topic config min.insync.replicas.', {
    validator: atLeast(1),
    importance: 'high',
    updateMode: 'cluster-wide',
  }),
  define(
    'unclean.leader.election.enable',
    'boolean',
    false,
    'Broker default of the topic config unclean.leader.election.enable.',
    {
      importance: 'high',
      updateMode: 'cluster-wide',
    },
  ),
  define(
    'replica.lag.time.max.ms',
    'long',
    30000,
    'A follower that has not caught up for this long leaves the ISR. (A single broker has no followers.)',
    {
      importance: 'high',
    },
  ),
  define(
    'replica.high.watermark.checkpoint.interval.ms',
    'long',
    5000,
    'How often high watermarks are checkpointed to disk.',
    {
      importance: 'high',
    },
  ),
  define(
    'auto.leader.rebalance.enable',
    'boolean',
    true,
    'Move leadership back to preferred replicas periodically. Used by the controller in ZooKeeper mode; no effect on a single broker.',
    {
      importance: 'high',
    },
  ),
]
