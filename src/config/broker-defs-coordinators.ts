// Broker configs of the group coordinator and of transactions and producer ids, listed in
// SERVER_DEFS (broker-defs-server.ts) after ZooKeeper's and replication's. Kafka's names, types,
// defaults, ranges, importance and update modes; the one-line docs are ours.

import { atLeast, type ConfigDefinition, define } from './config-def.ts'

const INT_MAX = 2147483647

export const COORDINATOR_DEFS: readonly ConfigDefinition[] = [
  // ----- Group coordinator -----
  define(
    'group.initial.rebalance.delay.ms',
    'int',
    3000,
    'How long the first rebalance of a new group waits for more members to join.',
  ),
  define(
    'group.min.session.timeout.ms',
    'int',
    6000,
    'The smallest session timeout a group member may ask for.',
  ),
  define(
    'group.max.session.timeout.ms',
    'int',
    1800000,
    'The largest session timeout a group member may ask for.',
  ),
  define('group.max.size', 'int', INT_MAX, 'The most members a classic consumer group may have.', {
    validator: atLeast(1),
  }),
  define(
    'offsets.topic.num.partitions',
    'int',
    50,
    'Partitions of __consumer_offsets (fixed once the topic exists).',
    {
      validator: atLeast(1),
      importance: 'high',
    },
  ),
  define(
    'offsets.topic.replication.factor',
    'short',
    3,
    'Replication factor of __consumer_offsets; it is not created until that many brokers exist, so set 1 on a single broker.',
    {
      validator: atLeast(1),
      importance: 'high',
    },
  ),
  define('offsets.topic.segment.bytes', 'int', 104857600, 'Segment size of __consumer_offsets.', {
    validator: atLeast(1),
    importance: 'high',
  }),
  define(
    'offsets.retention.minutes',
    'int',
    10080,
    'How long committed offsets of an empty group are kept.',
    {
      validator: atLeast(1),
      importance: 'high',
    },
  ),
  define('offsets.retention.check.interval.ms', 'long', 600000, 'How often expired offsets are looked for.', {
    validator: atLeast(1),
    importance: 'high',
  }),
  define(
    'offsets.commit.timeout.ms',
    'int',
    5000,
    'How long an offset commit may wait for its write to be replicated.',
    {
      validator: atLeast(1),
      importance: 'high',
    },
  ),
  define(
    'offset.metadata.max.bytes',
    'int',
    4096,
    'The largest metadata string an offset commit may carry.',
    { importance: 'high' },
  ),

  // ----- Transactions and producer ids -----
  define(
    'transactional.id.expiration.ms',
    'int',
    604800000,
    'A transactional id with no transaction status update for this long expires.',
    {
      validator: atLeast(1),
      importance: 'high',
    },
  ),
  define(
    'transaction.max.timeout.ms',
    'int',
    900000,
    'The largest transaction timeout a producer may ask for.',
    {
      validator: atLeast(1),
      importance: 'high',
    },
  ),
  define('transaction.state.log.num.partitions', 'int', 50, 'Partitions of __transaction_state.', {
    validator: atLeast(1),
    importance: 'high',
  }),
  define(
    'transaction.state.log.replication.factor',
    'short',
    3,
    'Replication factor of __transaction_state; set 1 on a single broker.',
    {
      validator: atLeast(1),
      importance: 'high',
    },
  ),
  define(
    'transaction.state.log.min.isr',
    'int',
    2,
    'min.insync.replicas of __transaction_state; set 1 on a single broker.',
    {
      validator: atLeast(1),
      importance: 'high',
    },
  ),
  define('transaction.state.log.segment.bytes', 'int', 104857600, 'Segment size of __transaction_state.', {
    validator: atLeast(1),
    importance: 'high',
  }),
  define(
    'transaction.abort.timed.out.transaction.cleanup.interval.ms',
    'int',
    10000,
    'How often the transaction coordinator aborts transactions that exceeded their timeout.',
    { validator: atLeast(1), importance: 'low' },
  ),
  define(
    'transaction.partition.verification.enable',
    'boolean',
    true,
    'KIP-890 part 1: a partition leader asks the transaction coordinator whether a transactional batch that opens a transaction on the partition belongs to an ongoing transaction before writing it (INVALID_TXN_STATE when not).',
    { importance: 'low', updateMode: 'cluster-wide' },
  ),
  define(
    'transaction.remove.expired.transaction.cleanup.interval.ms',
    'int',
    3600000,
    'How often the transaction coordinator removes transactional ids past transactional.id.expiration.ms.',
    { validator: atLeast(1), importance: 'low' },
  ),
  define(
    'producer.id.expiration.ms',
    'int',
    86400000,
    'Producer state (idempotence sequence numbers) of a producer id idle for this long is dropped.',
    {
      validator: atLeast(1),
      importance: 'low',
      updateMode: 'cluster-wide',
    },
  ),
]
