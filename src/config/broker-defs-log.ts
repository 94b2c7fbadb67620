// Broker configs of the `log.*` family (plus num.partitions): where logs live and the broker-wide
// defaults of the per-topic log configs. Kafka's names, types, defaults and ranges; our docs. Several
// configs come in synonym groups resolved in `broker-config.ts` (log.retention.ms > .minutes >
// .hours; log.roll.ms > .hours; log.roll.jitter.ms > .hours; log.flush.interval.ms >
// log.flush.scheduler.interval.ms; log.dirs > log.dir).

import { DEFAULT_MAX_OPEN_SEGMENT_FILES } from '../storage/open-files.ts'
import {
  atLeast,
  between,
  type ConfigDefinition,
  define,
  LONG_MAX,
  nonEmptyListOf,
  oneOf,
} from './config-def.ts'
import { LEGACY_MESSAGE_FORMAT_VERSION, messageFormatVersion } from './legacy-configs.ts'

/** Samsa's bound on open segment files (storage/open-files.ts). */
export const MAX_OPEN_SEGMENT_FILES_KEY = 'samsa.log.max.open.segment.files'

/** A record batch header is at least this big; Kafka's lower bound for segment sizes. */
const MIN_SEGMENT_BYTES = 14

export const LOG_DEFS: readonly ConfigDefinition[] = [
  define(
    'num.partitions',
    'int',
    1,
    'Partitions of topics created without a count (auto-created topics, or -1 in CreateTopics).',
    {
      validator: atLeast(1),
    },
  ),
  define(
    'log.dirs',
    'string',
    null,
    'Comma-separated directories holding the log data; overrides log.dir. Samsa keeps its metadata in the first one.',
    {
      importance: 'high',
    },
  ),
  define(
    'log.dir',
    'string',
    '/tmp/samsa-logs',
    'The log directory used when log.dirs is unset. (Kafka defaults to /tmp/kafka-logs; Samsa uses its own directory.)',
    {
      importance: 'high',
    },
  ),
  define(
    'log.segment.bytes',
    'int',
    1073741824,
    'Broker default of segment.bytes: the size at which a new segment is started.',
    {
      validator: atLeast(MIN_SEGMENT_BYTES),
      importance: 'high',
      updateMode: 'cluster-wide',
    },
  ),
  define(
    'log.roll.ms',
    'long',
    null,
    'Broker default of segment.ms: start a new segment after this long. Wins over log.roll.hours.',
    {
      importance: 'high',
      updateMode: 'cluster-wide',
    },
  ),
  define('log.roll.hours', 'int', 168, 'Like log.roll.ms, in hours; used when log.roll.ms is unset.', {
    validator: atLeast(1),
    importance: 'high',
  }),
  define(
    'log.roll.jitter.ms',
    'long',
    null,
    'Broker default of segment.jitter.ms: the most random time taken off segment.ms. Wins over log.roll.jitter.hours.',
    {
      importance: 'high',
      updateMode: 'cluster-wide',
    },
  ),
  define(
    'log.roll.jitter.hours',
    'int',
    0,
    'Like log.roll.jitter.ms, in hours; used when log.roll.jitter.ms is unset.',
    {
      validator: atLeast(0),
      importance: 'high',
    },
  ),
  define(
    'log.retention.ms',
    'long',
    null,
    'Broker default of retention.ms: delete segments older than this (-1: no time limit). Wins over .minutes and .hours.',
    {
      importance: 'high',
      updateMode: 'cluster-wide',
    },
  ),
  define(
    'log.retention.minutes',
    'int',
    null,
    'Like log.retention.ms, in minutes; wins over log.retention.hours.',
    { importance: 'high' },
  ),
  define(
    'log.retention.hours',
    'int',
    168,
    'Like log.retention.ms, in hours; used when neither .ms nor .minutes is set.',
    {
      importance: 'high',
    },
  ),
  define(
    'log.retention.bytes',
    'long',
    -1,
    'Broker default of retention.bytes: delete old segments while a partition is bigger than this (-1: no size limit).',
    {
      importance: 'high',
      updateMode: 'cluster-wide',
    },
  ),
  define(
    'log.retention.check.interval.ms',
    'long',
    300000,
    'How often segments are checked against the retention limits.',
    {
      validator: atLeast(1),
    },
  ),
  define(
    'log.cleanup.policy',
    'list',
    'delete',
    "Broker default of cleanup.policy: 'delete', 'compact' or both.",
    {
      validator: nonEmptyListOf('compact', 'delete'),
      updateMode: 'cluster-wide',
    },
  ),
  define(
    'log.index.size.max.bytes',
    'int',
    10485760,
    'Broker default of segment.index.bytes: the size of the offset and time index files.',
    {
      validator: atLeast(4),
      updateMode: 'cluster-wide',
    },
  ),
  define(
    'log.index.interval.bytes',
    'int',
    4096,
    'Broker default of index.interval.bytes: bytes of records between two offset index entries.',
    {
      validator: atLeast(0),
      updateMode: 'cluster-wide',
    },
  ),
  define(
    'log.flush.interval.messages',
    'long',
    LONG_MAX,
    'Broker default of flush.messages: fsync after this many records (the default leaves flushing to the OS).',
    {
      validator: atLeast(1),
      importance: 'high',
      updateMode: 'cluster-wide',
    },
  ),
  define(
    'log.flush.interval.ms',
    'long',
    null,
    'Broker default of flush.ms: fsync data older than this. When unset, log.flush.scheduler.interval.ms is used.',
    {
      importance: 'high',
      updateMode: 'cluster-wide',
    },
  ),
  define(
    'log.flush.scheduler.interval.ms',
    'long',
    LONG_MAX,
    'How often the flusher checks whether a log needs an fsync; also the default of log.flush.interval.ms.',
    {
      importance: 'high',
    },
  ),
  define(
    'log.flush.offset.checkpoint.interval.ms',
    'int',
    60000,
    'How often the recovery-point checkpoint is written.',
    {
      validator: atLeast(0),
      importance: 'high',
    },
  ),
  define(
    'log.flush.start.offset.checkpoint.interval.ms',
    'int',
    60000,
    'How often the log-start-offset checkpoint is written.',
    {
      validator: atLeast(0),
      importance: 'high',
    },
  ),
  define(
    'log.segment.delete.delay.ms',
    'long',
    60000,
    'Broker default of file.delete.delay.ms: how long a removed segment stays on disk before deletion.',
    {
      validator: atLeast(0),
      importance: 'high',
      updateMode: 'cluster-wide',
    },
  ),
  define(
    MAX_OPEN_SEGMENT_FILES_KEY,
    'int',
    DEFAULT_MAX_OPEN_SEGMENT_FILES,
    'Samsa extension: segment files (.log) the broker keeps open at most, over all partitions. Past it, ' +
      'files unused for 5-10 s are closed, least recently used first, and opened again on their next ' +
      'read or append; files in use stay open even past it. 0: no cap (Kafka keeps every segment open). ' +
      'Read at startup only.',
    { validator: atLeast(0), importance: 'low' },
  ),
  define(
    'log.preallocate',
    'boolean',
    false,
    'Broker default of preallocate. Accepted, no effect in Samsa.',
    {
      updateMode: 'cluster-wide',
      support: 'ignored',
    },
  ),
  define(
    'log.message.timestamp.type',
    'string',
    'CreateTime',
    'Broker default of message.timestamp.type: CreateTime or LogAppendTime.',
    {
      validator: oneOf('CreateTime', 'LogAppendTime'),
      updateMode: 'cluster-wide',
    },
  ),
  define(
    'log.message.format.version',
    'string',
    LEGACY_MESSAGE_FORMAT_VERSION,
    'Broker default of message.format.version. Kafka 3.x only (removed in 4.0): accepted with a warning, no effect.',
    {
      validator: messageFormatVersion,
      updateMode: 'cluster-wide',
      support: 'legacy',
    },
  ),
  define(
    'log.message.timestamp.difference.max.ms',
    'long',
    LONG_MAX,
    'Broker default of message.timestamp.difference.max.ms. Kafka 3.x only (removed in 4.0): accepted with a warning.',
    {
      validator: atLeast(0),
      updateMode: 'cluster-wide',
      support: 'legacy',
    },
  ),
  define(
    'log.message.timestamp.before.max.ms',
    'long',
    LONG_MAX,
    'Broker default of message.timestamp.before.max.ms.',
    {
      validator: atLeast(0),
      updateMode: 'cluster-wide',
    },
  ),
  define(
    'log.message.timestamp.after.max.ms',
    'long',
    LONG_MAX,
    'Broker default of message.timestamp.after.max.ms.',
    {
      validator: atLeast(0),
      updateMode: 'cluster-wide',
    },
  ),
  define(
    'log.message.downconversion.enable',
    'boolean',
    true,
    'Broker default of message.downconversion.enable. Accepted, no effect: Samsa never down-converts.',
    {
      importance: 'low',
      updateMode: 'cluster-wide',
      support: 'ignored',
    },
  ),
  define(
    'log.local.retention.ms',
    'long',
    -2,
    'Broker default of local.retention.ms (tiered storage, which Samsa does not have).',
    {
      validator: atLeast(-2),
      updateMode: 'cluster-wide',
      support: 'ignored',
    },
  ),
  define(
    'log.local.retention.bytes',
    'long',
    -2,
    'Broker default of local.retention.bytes (tiered storage, which Samsa does not have).',
    {
      validator: atLeast(-2),
      updateMode: 'cluster-wide',
      support: 'ignored',
    },
  ),
  define(
    'num.recovery.threads.per.data.dir',
    'int',
    1,
    'Threads per log dir that load and recover logs at startup. In Samsa each loads 32 logs at a time ' +
      '(a load is a chain of small asynchronous file operations, not a thread).',
    {
      validator: atLeast(1),
      importance: 'high',
      updateMode: 'cluster-wide',
    },
  ),

  // ----- Log cleaner (compaction) -----
  define(
    'log.cleaner.enable',
    'boolean',
    true,
    'Run the log cleaner, which compacts topics with cleanup.policy=compact (such as __consumer_offsets).',
  ),
  define(
    'log.cleaner.threads',
    'int',
    1,
    'Log cleaner threads in Kafka. Accepted; Samsa compacts one log at a time.',
    {
      validator: atLeast(0),
      updateMode: 'cluster-wide',
      support: 'ignored',
    },
  ),
  define('log.cleaner.backoff.ms', 'long', 15000, 'How long the cleaner sleeps when no log needs cleaning.', {
    validator: atLeast(0),
    updateMode: 'cluster-wide',
  }),
  define('log.cleaner.min.cleanable.ratio', 'double', 0.5, 'Broker default of min.cleanable.dirty.ratio.', {
    validator: between(0, 1),
    updateMode: 'cluster-wide',
  }),
  define(
    'log.cleaner.delete.retention.ms',
    'long',
    86400000,
    'Broker default of delete.retention.ms: how long tombstones survive compaction.',
    {
      validator: atLeast(0),
      updateMode: 'cluster-wide',
    },
  ),
  define('log.cleaner.min.compaction.lag.ms', 'long', 0, 'Broker default of min.compaction.lag.ms.', {
    validator: atLeast(0),
    updateMode: 'cluster-wide',
  }),
  define('log.cleaner.max.compaction.lag.ms', 'long', LONG_MAX, 'Broker default of max.compaction.lag.ms.', {
    validator: atLeast(1),
    updateMode: 'cluster-wide',
  }),
]
