// Topic-level configs: Kafka's names, types, defaults and ranges (LogConfig), our docs, and for each
// its broker synonyms in precedence order (Kafka's ServerTopicConfigSynonyms) with the unit
// conversion a synonym needs (log.retention.hours → retention.ms, ...).

import {
  atLeast,
  between,
  type ConfigDefinition,
  define,
  invalidValue,
  LONG_MAX,
  nonEmptyListOf,
  oneOf,
  rule,
  type Validator,
} from './config-def.ts'
import { LEGACY_MESSAGE_FORMAT_VERSION, messageFormatVersion } from './legacy-configs.ts'

export interface BrokerSynonym {
  readonly name: string
  /** Multiply the broker value by this to get the topic value (hours/minutes → ms); 1 otherwise. */
  readonly factor: number
}

export interface TopicConfigDefinition extends ConfigDefinition {
  /** Broker configs that supply the value when the topic has no override, first match wins. */
  readonly synonyms: readonly BrokerSynonym[]
}

const HOURS = 3_600_000
const MINUTES = 60_000
const same = (name: string): BrokerSynonym => ({ name, factor: 1 })

function topic(synonyms: readonly BrokerSynonym[], def: ConfigDefinition): TopicConfigDefinition {
  return { ...def, synonyms }
}

/** Kafka's ThrottledReplicaListValidator: `*`, or `partition:broker` items (blank items allowed). */
const throttledReplicas: Validator = {
  check(key, value) {
    const items = (value as readonly string[]).map((i) => i.trim())
    if ((items.length === 1 && items[0] === '*') || items.every((i) => /^(\d+:\d+)?$/.test(i))) return
    throw invalidValue(
      key,
      items,
      `${key} must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...`,
    )
  },
  describe: "[partitionId]:[brokerId],[partitionId]:[brokerId],... or '*'",
}

const noTieredStorage = rule('false', (v) =>
  v === true
    ? 'Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.'
    : null,
)

const UNSORTED: readonly TopicConfigDefinition[] = [
  topic(
    [same('log.message.format.version')],
    define(
      'message.format.version',
      'string',
      LEGACY_MESSAGE_FORMAT_VERSION,
      'Kafka 3.x only (removed in 4.0): accepted with a warning, no effect (ignored by Kafka since 3.0).',
      { validator: messageFormatVersion, support: 'legacy' },
    ),
  ),
  topic(
    [same('log.message.timestamp.difference.max.ms')],
    define(
      'message.timestamp.difference.max.ms',
      'long',
      LONG_MAX,
      'Kafka 3.x only (removed in 4.0): the before and after bounds of a CreateTime timestamp when those are left at their defaults.',
      { validator: atLeast(0), support: 'legacy' },
    ),
  ),
  topic(
    [same('log.cleanup.policy')],
    define(
      'cleanup.policy',
      'list',
      'delete',
      "'delete' removes old segments by time and size; 'compact' keeps the latest record per key; both may be set.",
      {
        validator: nonEmptyListOf('compact', 'delete'),
      },
    ),
  ),
  topic(
    [same('compression.type')],
    define(
      'compression.type',
      'string',
      'producer',
      "Codec batches are stored with; 'producer' keeps what the producer sent.",
      {
        validator: oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'),
      },
    ),
  ),
  topic(
    [same('compression.gzip.level')],
    define('compression.gzip.level', 'int', -1, 'Level used when compression.type is gzip.', {
      validator: rule('[1,...,9] or -1', (v) =>
        (v as number) > 9 || ((v as number) < 1 && v !== -1)
          ? 'Value must be between 1 and 9 or equal to -1'
          : null,
      ),
    }),
  ),
  topic(
    [same('compression.lz4.level')],
    define('compression.lz4.level', 'int', 9, 'Level used when compression.type is lz4.', {
      validator: between(1, 17),
    }),
  ),
  topic(
    [same('compression.zstd.level')],
    define('compression.zstd.level', 'int', 3, 'Level used when compression.type is zstd.', {
      validator: between(-131072, 22),
    }),
  ),
  topic(
    [same('log.cleaner.delete.retention.ms')],
    define(
      'delete.retention.ms',
      'long',
      86400000,
      'How long tombstones (null values) stay in a compacted topic.',
      {
        validator: atLeast(0),
      },
    ),
  ),
  topic(
    [same('log.segment.delete.delay.ms')],
    define(
      'file.delete.delay.ms',
      'long',
      60000,
      'How long a removed segment stays on disk before its files are deleted.',
      {
        validator: atLeast(0),
      },
    ),
  ),
  topic(
    [same('log.flush.interval.messages')],
    define(
      'flush.messages',
      'long',
      LONG_MAX,
      'fsync the log after this many records (the default leaves it to the OS).',
      {
        validator: atLeast(1),
      },
    ),
  ),
  topic(
    [same('log.flush.interval.ms'), same('log.flush.scheduler.interval.ms')],
    define('flush.ms', 'long', LONG_MAX, 'fsync the log when unflushed data is older than this.', {
      validator: atLeast(0),
    }),
  ),
  topic(
    [],
    define(
      'follower.replication.throttled.replicas',
      'list',
      '',
      'Replicas (partition:broker, or * for all) whose copying by that follower broker is limited to its follower.replication.throttled.rate while out of sync.',
      {
        validator: throttledReplicas,
      },
    ),
  ),
  topic(
    [same('log.index.interval.bytes')],
    define('index.interval.bytes', 'int', 4096, 'Bytes of records between two offset index entries.', {
      validator: atLeast(0),
    }),
  ),
  topic(
    [],
    define(
      'leader.replication.throttled.replicas',
      'list',
      '',
      'Replicas (partition:broker, or * for all) whose leader on that broker sends to followers outside the ISR at most its leader.replication.throttled.rate.',
      {
        validator: throttledReplicas,
      },
    ),
  ),
  topic(
    [same('log.local.retention.bytes')],
    define(
      'local.retention.bytes',
      'long',
      -2,
      'Tiered storage: local size limit (-2: use retention.bytes). Accepted, no effect.',
      {
        validator: atLeast(-2),
        support: 'ignored',
      },
    ),
  ),
  topic(
    [same('log.local.retention.ms')],
    define(
      'local.retention.ms',
      'long',
      -2,
      'Tiered storage: local time limit (-2: use retention.ms). Accepted, no effect.',
      {
        validator: atLeast(-2),
        support: 'ignored',
      },
    ),
  ),
  topic(
    [same('log.cleaner.max.compaction.lag.ms')],
    define('max.compaction.lag.ms', 'long', LONG_MAX, 'The longest a record may stay uncompacted.', {
      validator: atLeast(1),
    }),
  ),
  topic(
    [same('message.max.bytes')],
    define(
      'max.message.bytes',
      'int',
      1048588,
      'The largest record batch this topic accepts (after compression).',
      {
        validator: atLeast(0),
      },
    ),
  ),
  topic(
    [same('log.message.downconversion.enable')],
    define(
      'message.downconversion.enable',
      'boolean',
      true,
      'Down-convert for old fetch versions. Accepted, no effect: Samsa never down-converts.',
      {
        support: 'ignored',
      },
    ),
  ),
  topic(
    [same('log.message.timestamp.after.max.ms')],
    define(
      'message.timestamp.after.max.ms',
      'long',
      LONG_MAX,
      'How far in the future a CreateTime timestamp may be; later ones fail with INVALID_TIMESTAMP.',
      {
        validator: atLeast(0),
      },
    ),
  ),
  topic(
    [same('log.message.timestamp.before.max.ms')],
    define(
      'message.timestamp.before.max.ms',
      'long',
      LONG_MAX,
      'How far in the past a CreateTime timestamp may be; older ones fail with INVALID_TIMESTAMP.',
      {
        validator: atLeast(0),
      },
    ),
  ),
  topic(
    [same('log.message.timestamp.type')],
    define(
      'message.timestamp.type',
      'string',
      'CreateTime',
      "CreateTime keeps the producer's timestamps; LogAppendTime stamps batches with the broker's clock.",
      {
        validator: oneOf('CreateTime', 'LogAppendTime'),
      },
    ),
  ),
  topic(
    [same('log.cleaner.min.cleanable.ratio')],
    define(
      'min.cleanable.dirty.ratio',
      'double',
      0.5,
      'Compact a log once this share of it has not been compacted yet.',
      {
        validator: between(0, 1),
      },
    ),
  ),
  topic(
    [same('log.cleaner.min.compaction.lag.ms')],
    define('min.compaction.lag.ms', 'long', 0, 'The shortest time a record stays uncompacted.', {
      validator: atLeast(0),
    }),
  ),
  topic(
    [same('min.insync.replicas')],
    define(
      'min.insync.replicas',
      'int',
      1,
      'With acks=all, the fewest in-sync replicas a write needs, else NOT_ENOUGH_REPLICAS.',
      {
        validator: atLeast(1),
      },
    ),
  ),
  topic(
    [same('log.preallocate')],
    define('preallocate', 'boolean', false, 'Preallocate segment files. Accepted, no effect in Samsa.', {
      support: 'ignored',
    }),
  ),
  topic(
    [],
    define(
      'remote.storage.enable',
      'boolean',
      false,
      'Tiered storage. Samsa has none, so only false is accepted.',
      {
        validator: noTieredStorage,
      },
    ),
  ),
  topic(
    [],
    define(
      'remote.log.copy.disable',
      'boolean',
      false,
      'Tiered storage: stop copying to remote storage. Accepted, no effect.',
      {
        support: 'ignored',
      },
    ),
  ),
  topic(
    [],
    define(
      'remote.log.delete.on.disable',
      'boolean',
      false,
      'Tiered storage: delete remote data when disabled. Accepted, no effect.',
      {
        support: 'ignored',
      },
    ),
  ),
  topic(
    [same('log.retention.bytes')],
    define(
      'retention.bytes',
      'long',
      -1,
      'Delete old segments while a partition is bigger than this (-1: no size limit).',
    ),
  ),
  topic(
    [
      same('log.retention.ms'),
      { name: 'log.retention.minutes', factor: MINUTES },
      { name: 'log.retention.hours', factor: HOURS },
    ],
    define(
      'retention.ms',
      'long',
      604800000,
      'Delete segments whose newest record is older than this (-1: no time limit).',
      {
        validator: atLeast(-1),
      },
    ),
  ),
  topic(
    [same('log.segment.bytes')],
    define('segment.bytes', 'int', 1073741824, 'Start a new segment when the active one reaches this size.', {
      validator: atLeast(14),
    }),
  ),
  topic(
    [same('log.index.size.max.bytes')],
    define('segment.index.bytes', 'int', 10485760, 'Size of the offset and time index files of a segment.', {
      validator: atLeast(4),
    }),
  ),
  topic(
    [same('log.roll.jitter.ms'), { name: 'log.roll.jitter.hours', factor: HOURS }],
    define(
      'segment.jitter.ms',
      'long',
      0,
      'The most random time taken off segment.ms, so that segments do not all roll at once.',
      {
        validator: atLeast(0),
      },
    ),
  ),
  topic(
    [same('log.roll.ms'), { name: 'log.roll.hours', factor: HOURS }],
    define(
      'segment.ms',
      'long',
      604800000,
      'Start a new segment after this long even if the active one is not full.',
      {
        validator: atLeast(1),
      },
    ),
  ),
  topic(
    [same('unclean.leader.election.enable')],
    define(
      'unclean.leader.election.enable',
      'boolean',
      false,
      'Let an out-of-sync replica become leader (losing data) when no in-sync one is left.',
    ),
  ),
]

/** In name order (the order DescribeConfigs lists them). */
export const TOPIC_DEFS: readonly TopicConfigDefinition[] = [...UNSORTED].sort((a, b) =>
  a.name < b.name ? -1 : 1,
)

export const TOPIC_CONFIG_DEFS: ReadonlyMap<string, TopicConfigDefinition> = new Map(
  TOPIC_DEFS.map((d) => [d.name, d]),
)
