// Broker configs outside the `log.*` family: identity, listeners and sockets here; ZooKeeper and
// replication (broker-defs-zk-replication.ts), the group and transaction coordinators
// (broker-defs-coordinators.ts) and the other families are spread in, in that order. Names, types, defaults, valid ranges, importance and update
// modes are Kafka's (4.0 line); the one-line docs are ours. `support: 'ignored'` marks a config that
// Samsa accepts and validates so Kafka files load unchanged, but that has no effect here.

import { AUTHZ_DEFS } from './broker-defs-authz.ts'
import { CONSUMER_GROUP_DEFS } from './broker-defs-consumer-group.ts'
import { COORDINATOR_DEFS } from './broker-defs-coordinators.ts'
import { HTTP_DEFS } from './broker-defs-http.ts'
import { LOG4J_DEFS } from './broker-defs-log4j.ts'
import { QUOTA_DEFS } from './broker-defs-quota.ts'
import { SASL_DEFS } from './broker-defs-sasl.ts'
import { SHARE_GROUP_DEFS } from './broker-defs-share.ts'
import { SSL_DEFS } from './broker-defs-ssl.ts'
import { ZK_REPLICATION_DEFS } from './broker-defs-zk-replication.ts'
import { atLeast, type ConfigDefinition, define, listOf, oneOf, rule } from './config-def.ts'

const INT_MAX = 2147483647
export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const

const uuidText = rule('a 22-character base64url Uuid', (v) =>
  typeof v === 'string' && !/^[A-Za-z0-9_-]{22}$/.test(v)
    ? 'Expected a 22-character base64url Uuid (as written by kafka-storage random-uuid)'
    : null,
)

export const SERVER_DEFS: readonly ConfigDefinition[] = [
  // ----- Server basics -----
  define(
    'node.id',
    'int',
    -1,
    'The id of this node. Same as broker.id; when both are set they must be equal.',
    {
      importance: 'high',
    },
  ),
  define('broker.id', 'int', -1, 'The id of this broker (the pre-KRaft name of node.id).', {
    importance: 'high',
  }),
  define(
    'process.roles',
    'list',
    [],
    "The roles of this process. Samsa runs as a broker: 'broker' or 'broker,controller' (the embedded " +
      'metadata store acts as the controller of a single-node cluster).',
    { validator: listOf('broker', 'controller'), importance: 'high' },
  ),
  define(
    'cluster.id',
    'string',
    null,
    'Samsa extension: the cluster id to use when formatting an empty log dir, and to check against ' +
      'meta.properties otherwise. When unset, a fresh log dir gets a random id.',
    { validator: uuidText, importance: 'low' },
  ),
  define(
    'broker.rack',
    'string',
    null,
    'The rack of this broker, reported to clients in Metadata responses.',
  ),
  define(
    'controller.listener.names',
    'string',
    null,
    'KRaft controller listener names. Accepted for compatibility; those listeners are not opened by Samsa.',
    { importance: 'high', support: 'ignored' },
  ),
  define(
    'controller.quorum.voters',
    'list',
    '',
    'KRaft voter set. Accepted for compatibility; Samsa keeps metadata in its embedded store.',
    { importance: 'high', support: 'ignored' },
  ),
  define(
    'controller.quorum.bootstrap.servers',
    'list',
    '',
    'KRaft bootstrap servers. Accepted for compatibility; Samsa keeps metadata in its embedded store.',
    { importance: 'high', support: 'ignored' },
  ),
  define(
    'metadata.log.dir',
    'string',
    null,
    'KRaft metadata log directory. Accepted; Samsa stores metadata in the first log dir.',
    {
      importance: 'high',
      support: 'ignored',
    },
  ),
  define(
    'delete.topic.enable',
    'boolean',
    true,
    'Whether DeleteTopics may delete topics; when false it fails with TOPIC_DELETION_DISABLED.',
    {
      importance: 'high',
    },
  ),
  define(
    'auto.create.topics.enable',
    'boolean',
    true,
    'Create a topic with default settings when a client asks for metadata of, or produces to, an unknown topic.',
    {
      importance: 'high',
    },
  ),
  define(
    'message.max.bytes',
    'int',
    1048588,
    'The largest record batch the broker accepts (after compression), unless the topic sets max.message.bytes.',
    {
      validator: atLeast(0),
      importance: 'high',
      updateMode: 'cluster-wide',
    },
  ),
  define(
    'num.io.threads',
    'int',
    8,
    'Request handler threads in Kafka. Accepted, no effect: Samsa handles requests on the Node.js event loop.',
    {
      validator: atLeast(1),
      importance: 'high',
      updateMode: 'cluster-wide',
      support: 'ignored',
    },
  ),
  define(
    'num.network.threads',
    'int',
    3,
    'Network threads in Kafka. Accepted, no effect: Samsa does socket I/O on the Node.js event loop.',
    {
      validator: atLeast(1),
      importance: 'high',
      updateMode: 'cluster-wide',
      support: 'ignored',
    },
  ),
  define('background.threads', 'int', 10, 'Background task threads in Kafka. Accepted, no effect in Samsa.', {
    validator: atLeast(1),
    importance: 'high',
    updateMode: 'cluster-wide',
    support: 'ignored',
  }),
  define(
    'request.timeout.ms',
    'int',
    30000,
    'Timeout of requests the broker itself sends to other nodes. No effect on a single broker.',
    {
      importance: 'high',
      support: 'ignored',
    },
  ),
  define(
    'queued.max.requests',
    'int',
    500,
    'How many requests may be queued before the broker stops reading from connections.',
    {
      validator: atLeast(1),
      importance: 'high',
    },
  ),
  define(
    'fetch.max.bytes',
    'int',
    57671680,
    'The most bytes one Fetch response may carry, whatever the request asks for.',
    {
      validator: atLeast(1024),
    },
  ),
  define(
    'max.incremental.fetch.session.cache.slots',
    'int',
    1000,
    'How many incremental fetch sessions (KIP-227) the broker keeps.',
    {
      validator: atLeast(0),
    },
  ),
  define(
    'max.request.partition.size.limit',
    'int',
    2000,
    'The most partitions one DescribeTopicPartitions response carries, whatever the request asks for.',
    {
      validator: atLeast(1),
      importance: 'low',
    },
  ),
  define(
    'compression.type',
    'string',
    'producer',
    "Broker default of the topic config compression.type ('producer' keeps batches as the producer compressed them).",
    {
      validator: oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'),
      importance: 'high',
      updateMode: 'cluster-wide',
    },
  ),
  define('compression.gzip.level', 'int', -1, 'Broker default of compression.gzip.level.', {
    validator: rule('[1,...,9] or -1', (v) =>
      (v as number) > 9 || ((v as number) < 1 && v !== -1)
        ? 'Value must be between 1 and 9 or equal to -1'
        : null,
    ),
    updateMode: 'cluster-wide',
  }),
  define('compression.lz4.level', 'int', 9, 'Broker default of compression.lz4.level.', {
    validator: rule('[1,...,17]', (v) =>
      (v as number) < 1
        ? 'Value must be at least 1'
        : (v as number) > 17
          ? 'Value must be no more than 17'
          : null,
    ),
    updateMode: 'cluster-wide',
  }),
  define('compression.zstd.level', 'int', 3, 'Broker default of compression.zstd.level.', {
    validator: rule('[-131072,...,22]', (v) =>
      (v as number) < -131072
        ? 'Value must be at least -131072'
        : (v as number) > 22
          ? 'Value must be no more than 22'
          : null,
    ),
    updateMode: 'cluster-wide',
  }),

  // ----- Socket server -----
  define(
    'listeners',
    'string',
    'PLAINTEXT://:9092',
    'Comma-separated NAME://host:port addresses to listen on; an empty host binds all interfaces, port 0 picks a free port. Read at startup only.',
    { importance: 'high' },
  ),
  define(
    'advertised.listeners',
    'string',
    null,
    'Addresses given to clients, by listener name; defaults to listeners. 0.0.0.0 is not allowed here. Read at startup only.',
    { importance: 'high' },
  ),
  define(
    'listener.security.protocol.map',
    'string',
    'SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT',
    'Maps each listener name to its security protocol, as NAME:PROTOCOL pairs.',
    { importance: 'low' },
  ),
  define(
    'inter.broker.listener.name',
    'string',
    null,
    'Listener used between brokers. Used by the controller in ZooKeeper mode; no effect on a single broker.',
    {},
  ),
  define(
    'security.inter.broker.protocol',
    'string',
    'PLAINTEXT',
    'Security protocol between brokers. Used by the controller in ZooKeeper mode; no effect on a single broker.',
    {
      validator: oneOf(...SECURITY_PROTOCOLS),
    },
  ),
  define(
    'socket.send.buffer.bytes',
    'int',
    102400,
    'SO_SNDBUF of accepted sockets (-1: OS default). Accepted, no effect: Node.js cannot set it on TCP sockets.',
    {
      importance: 'high',
      support: 'ignored',
    },
  ),
  define(
    'socket.receive.buffer.bytes',
    'int',
    102400,
    'SO_RCVBUF of accepted sockets (-1: OS default). Accepted, no effect: Node.js cannot set it on TCP sockets.',
    {
      importance: 'high',
      support: 'ignored',
    },
  ),
  define(
    'socket.request.max.bytes',
    'int',
    104857600,
    'The largest request frame accepted; a larger size prefix closes the connection before anything is buffered.',
    {
      validator: atLeast(1),
      importance: 'high',
    },
  ),
  define('socket.listen.backlog.size', 'int', 50, 'Length of the queue of connections not yet accepted.', {
    validator: atLeast(1),
  }),
  define(
    'max.connections',
    'int',
    INT_MAX,
    'The most client connections open at once; further connections are closed on accept.',
    {
      validator: atLeast(0),
      updateMode: 'cluster-wide',
    },
  ),
  define(
    'max.connections.per.ip',
    'int',
    INT_MAX,
    'The most connections from one IP address; a further one is closed at once.',
    {
      validator: atLeast(0),
      updateMode: 'cluster-wide',
    },
  ),
  define(
    'connections.max.idle.ms',
    'long',
    600000,
    'Close a connection that has seen no request for this long.',
  ),
  define(
    'queued.max.request.bytes',
    'long',
    -1,
    'Bytes of queued requests before reading stops (-1: no limit). Accepted, no effect in Samsa.',
    {
      support: 'ignored',
    },
  ),
  ...ZK_REPLICATION_DEFS,
  ...COORDINATOR_DEFS,
  ...CONSUMER_GROUP_DEFS,
  ...SHARE_GROUP_DEFS,
  ...SSL_DEFS,
  ...AUTHZ_DEFS,
  ...QUOTA_DEFS,
  ...SASL_DEFS,
  ...HTTP_DEFS,
  ...LOG4J_DEFS,
]
