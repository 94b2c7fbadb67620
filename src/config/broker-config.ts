// The broker's static configuration: every supplied value parsed and validated against the
// definition table, Kafka's precedence rules applied, and the result exposed as a typed object. All
// problems are collected (not just the first), each as one line; unknown keys only warn, as in Kafka
// ("These configurations '[x]' were supplied but are not used yet."), with a hint when the key looks
// like a misspelt known one.
//
// Precedence (Kafka's):
//   node.id / broker.id   either one sets both; both set and different is an error
//   log.dirs > log.dir
//   log.retention.ms > log.retention.minutes > log.retention.hours   (any negative result means -1)
//   log.roll.ms > log.roll.hours;  log.roll.jitter.ms > log.roll.jitter.hours
//   log.flush.interval.ms > log.flush.scheduler.interval.ms
//   advertised.listeners > listeners
//   layers: dynamic per-broker > dynamic cluster default > static (file, then --override) > default

import { CLUSTER_DEFS } from './broker-defs-cluster.ts'
import { LOG_DEFS } from './broker-defs-log.ts'
import { saslListenerOverride } from './broker-defs-sasl.ts'
import { SERVER_DEFS } from './broker-defs-server.ts'
import { listenerOverride } from './broker-defs-ssl.ts'
import { type ConfigDefinition, ConfigError, type ParsedValue, parseAndValidate } from './config-def.ts'
import type { ConfigInput, ConfigProblem } from './config-input.ts'
import { legacyConfigWarning } from './legacy-configs.ts'
import {
  type Endpoint,
  parseListeners,
  parseSecurityProtocolMap,
  type SecurityProtocol,
} from './listeners.ts'
import { unimplementedListenerProblem } from './security-support.ts'
import { closestKey } from './suggest.ts'

export const BROKER_CONFIG_DEFS: ReadonlyMap<string, ConfigDefinition> = new Map(
  [...SERVER_DEFS, ...LOG_DEFS, ...CLUSTER_DEFS].map((d) => [d.name, d]),
)

/** Broker configs whose value is derived from another one when unset (for DescribeConfigs synonyms). */
export const BROKER_SYNONYM_GROUPS: readonly (readonly string[])[] = [
  ['log.roll.ms', 'log.roll.hours'],
  ['log.roll.jitter.ms', 'log.roll.jitter.hours'],
  ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'],
  ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'],
]

/** The synonyms of a broker config in precedence order (itself included), as Kafka lists them. */
export function brokerConfigSynonyms(name: string): readonly string[] {
  return BROKER_SYNONYM_GROUPS.find((g) => g.includes(name)) ?? [name]
}

/** The three layers a broker config value can come from, above the defaults. */
export interface BrokerConfigLayers {
  /** server.properties then --override, as supplied (unknown keys included). */
  readonly static: ReadonlyMap<string, string>
  /** AlterConfigs on the broker resource with an empty name. */
  readonly dynamicDefault: ReadonlyMap<string, string>
  /** AlterConfigs on this broker's id. */
  readonly dynamicBroker: ReadonlyMap<string, string>
}

export interface BrokerConfig extends BrokerConfigLayers {
  /** Every defined key with its effective parsed value (defaults included). */
  readonly values: ReadonlyMap<string, ParsedValue>

  /** -1 when neither node.id nor broker.id is set (the metadata store then decides). */
  readonly nodeId: number
  readonly processRoles: readonly ('broker' | 'controller')[]
  readonly clusterId: string | null
  readonly rack: string | null
  readonly listenerSecurityProtocolMap: ReadonlyMap<string, SecurityProtocol>
  /** Listeners this broker opens (controller listeners left out). */
  readonly listeners: readonly Endpoint[]
  /** What clients are told (advertised.listeners, else listeners; controller listeners left out). */
  readonly advertisedListeners: readonly Endpoint[]
  readonly logDirs: readonly string[]

  readonly numPartitions: number
  readonly defaultReplicationFactor: number
  readonly autoCreateTopicsEnable: boolean
  readonly deleteTopicEnable: boolean
  readonly messageMaxBytes: number
  readonly compressionType: string
  readonly minInsyncReplicas: number
  readonly uncleanLeaderElectionEnable: boolean
  readonly fetchMaxBytes: number
  readonly maxIncrementalFetchSessionCacheSlots: number
  /** The most partitions a DescribeTopicPartitions response carries. */
  readonly maxRequestPartitionSizeLimit: number

  readonly socketRequestMaxBytes: number
  readonly socketSendBufferBytes: number
  readonly socketReceiveBufferBytes: number
  readonly socketListenBacklogSize: number
  readonly numNetworkThreads: number
  readonly numIoThreads: number
  readonly queuedMaxRequests: number
  readonly requestTimeoutMs: number
  readonly maxConnections: number
  readonly connectionsMaxIdleMs: number

  readonly logSegmentBytes: number
  readonly logRollMs: number
  readonly logRollJitterMs: number
  /** -1: no time limit. */
  readonly logRetentionMs: number
  /** -1: no size limit. */
  readonly logRetentionBytes: number
  readonly logRetentionCheckIntervalMs: number
  readonly logCleanupPolicy: readonly string[]
  readonly logIndexSizeMaxBytes: number
  readonly logIndexIntervalBytes: number
  readonly logFlushIntervalMessages: number
  readonly logFlushIntervalMs: number
  readonly logFlushSchedulerIntervalMs: number
  readonly logFlushOffsetCheckpointIntervalMs: number
  readonly logSegmentDeleteDelayMs: number
  readonly logMessageTimestampType: 'CreateTime' | 'LogAppendTime'
  readonly logMessageTimestampBeforeMaxMs: number
  readonly logMessageTimestampAfterMaxMs: number
  readonly logCleanerEnable: boolean
  readonly logCleanerBackoffMs: number
  readonly logCleanerMinCleanableRatio: number
  readonly logCleanerDeleteRetentionMs: number
  readonly logCleanerMinCompactionLagMs: number
  readonly logCleanerMaxCompactionLagMs: number

  readonly offsetsTopicNumPartitions: number
  readonly offsetsTopicReplicationFactor: number
  readonly offsetsTopicSegmentBytes: number
  readonly offsetsRetentionMinutes: number
  readonly offsetsRetentionCheckIntervalMs: number
  readonly offsetsCommitTimeoutMs: number
  readonly offsetMetadataMaxBytes: number
  readonly groupInitialRebalanceDelayMs: number
  readonly groupMinSessionTimeoutMs: number
  readonly groupMaxSessionTimeoutMs: number
  readonly groupMaxSize: number

  readonly transactionalIdExpirationMs: number
  readonly transactionMaxTimeoutMs: number
  readonly transactionStateLogNumPartitions: number
  readonly transactionStateLogReplicationFactor: number
  readonly transactionStateLogMinIsr: number
  readonly transactionStateLogSegmentBytes: number
  readonly producerIdExpirationMs: number

  /** host:port[,host:port...][/chroot]; null when unset or empty: a standalone broker (embedded metadata). */
  readonly zookeeperConnect: string | null
  readonly zookeeperSessionTimeoutMs: number
  /** zookeeper.connection.timeout.ms, else zookeeper.session.timeout.ms. */
  readonly zookeeperConnectionTimeoutMs: number
}

export type BrokerConfigResult =
  | { readonly ok: true; readonly config: BrokerConfig; readonly warnings: readonly ConfigProblem[] }
  | {
      readonly ok: false
      readonly errors: readonly ConfigProblem[]
      readonly warnings: readonly ConfigProblem[]
    }

export interface DynamicBrokerConfigs {
  readonly dynamicDefault?: ReadonlyMap<string, string>
  readonly dynamicBroker?: ReadonlyMap<string, string>
}

const HOUR_MS = 3_600_000
const MINUTE_MS = 60_000
const EMPTY: ReadonlyMap<string, string> = new Map()

/**
 * Parses the static inputs (file pairs, then `--override` pairs, which win) and, optionally, the
 * dynamic layers. Never throws for bad input: every problem is returned.
 */
export function parseBrokerConfig(
  pairs: readonly ConfigInput[],
  overrides: readonly ConfigInput[] = [],
  dynamic: DynamicBrokerConfigs = {},
): BrokerConfigResult {
  const errors: ConfigProblem[] = []
  const warnings: ConfigProblem[] = []

  // Static layer: last occurrence wins; a duplicate inside one source is worth a warning.
  const staticLayer = new Map<string, string>()
  const origin = new Map<string, ConfigInput>()
  const rank = new Map<string, number>()
  for (const [i, input] of [...pairs, ...overrides].entries()) {
    rank.set(input.key, i)
    const prev = origin.get(input.key)
    if (prev && prev.source === input.source && input.source !== '--override') {
      const at = prev.line === undefined ? '' : ` (line ${prev.line})`
      warnings.push(
        at1(input, `Configuration ${input.key} is set more than once; the earlier value${at} is ignored.`),
      )
    }
    staticLayer.set(input.key, input.value)
    origin.set(input.key, input)
  }
  const dynamicDefault = dynamic.dynamicDefault ?? EMPTY
  const dynamicBroker = dynamic.dynamicBroker ?? EMPTY
  const merged = new Map([...staticLayer, ...dynamicDefault, ...dynamicBroker])
  const whereOf = (key: string): Partial<ConfigInput> =>
    dynamicBroker.has(key) || dynamicDefault.has(key) ? { source: 'dynamic config' } : (origin.get(key) ?? {})
  const fail = (key: string, message: string) => errors.push(at1({ key, ...whereOf(key) }, message))

  // node.id and broker.id are one setting under two names.
  if (merged.has('node.id') && !merged.has('broker.id')) merged.set('broker.id', merged.get('node.id')!)
  else if (merged.has('broker.id') && !merged.has('node.id')) merged.set('node.id', merged.get('broker.id')!)

  const values = new Map<string, ParsedValue>()
  for (const [name, def] of BROKER_CONFIG_DEFS) {
    const raw = merged.get(name)
    if (raw === undefined) {
      values.set(name, def.default)
      continue
    }
    try {
      values.set(name, parseAndValidate(def, raw))
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e
      fail(name, e.message)
    }
  }

  for (const key of staticLayer.keys()) {
    const legacy = legacyConfigWarning(key)
    if (legacy !== null) warnings.push(at1({ key, ...origin.get(key) }, legacy))
    if (BROKER_CONFIG_DEFS.has(key)) continue
    const perListener = listenerOverride(key) ?? saslListenerOverride(key)
    if (perListener !== null) {
      try {
        parseAndValidate(BROKER_CONFIG_DEFS.get(perListener.key)!, staticLayer.get(key)!)
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e
        fail(key, e.message.replace(perListener.key, key))
      }
      continue
    }
    const hint = closestKey(key, BROKER_CONFIG_DEFS.keys())
    warnings.push(
      at1(
        { key, ...origin.get(key) },
        `These configurations '[${key}]' were supplied but are not used yet.${hint ? ` Did you mean '${hint}'?` : ''}`,
      ),
    )
  }
  for (const group of BROKER_SYNONYM_GROUPS) {
    const set = group.filter((k) => staticLayer.has(k))
    for (const shadowed of set.slice(1)) {
      warnings.push(
        at1(
          { key: shadowed, ...origin.get(shadowed) },
          `Configuration ${shadowed} is ignored because ${set[0]} is set.`,
        ),
      )
    }
  }
  if (staticLayer.has('log.dirs') && staticLayer.has('log.dir')) {
    warnings.push(
      at1(
        { key: 'log.dir', ...origin.get('log.dir') },
        'Configuration log.dir is ignored because log.dirs is set.',
      ),
    )
  }

  const has = (...names: string[]) => names.every((n) => values.has(n))
  const num = (name: string) => values.get(name)!.value as number
  const opt = (name: string) => values.get(name)!.value
  const str = (name: string) => values.get(name)!.value as string | null
  const list = (name: string) => values.get(name)!.value as readonly string[]

  // ----- identity -----
  let nodeId = -1
  if (has('node.id', 'broker.id')) {
    if (num('node.id') !== num('broker.id'))
      fail('node.id', 'You must set `node.id` to the same value as `broker.id`.')
    else if (num('node.id') < -1)
      fail('node.id', `Invalid value ${num('node.id')} for configuration node.id: Value must be at least 0`)
    else nodeId = num('node.id')
  }
  let processRoles: ('broker' | 'controller')[] = []
  if (has('process.roles')) {
    processRoles = [...list('process.roles')] as ('broker' | 'controller')[]
    if (new Set(processRoles).size !== processRoles.length)
      fail('process.roles', `Duplicate role names found in \`process.roles\`: [${processRoles.join(', ')}]`)
    else if (processRoles.length > 0 && !processRoles.includes('broker'))
      fail(
        'process.roles',
        `Samsa runs as a broker: process.roles must include 'broker' (found: ${processRoles.join(',')})`,
      )
    else if (processRoles.length > 0 && nodeId < 0 && has('node.id'))
      fail(
        'node.id',
        'Missing configuration `node.id` which is required when `process.roles` is defined (i.e. when running in KRaft mode).',
      )
  }

  // ----- listeners -----
  let protocolMap: ReadonlyMap<string, SecurityProtocol> = new Map()
  let listeners: Endpoint[] = []
  let advertised: Endpoint[] = []
  if (
    has('listeners', 'advertised.listeners', 'listener.security.protocol.map', 'controller.listener.names')
  ) {
    try {
      protocolMap = parseSecurityProtocolMap(
        'listener.security.protocol.map',
        str('listener.security.protocol.map') ?? '',
      )
      const controllerNames = new Set(
        (str('controller.listener.names') ?? '')
          .split(',')
          .map((s) => s.trim().toUpperCase())
          .filter((s) => s !== ''),
      )
      const all = parseListeners('listeners', str('listeners') ?? '', protocolMap, true)
      listeners = all.filter((e) => !controllerNames.has(e.listenerName))
      for (const e of listeners) {
        const refused = unimplementedListenerProblem(e)
        if (refused !== null) fail('listeners', refused)
      }
      const advertisedText = str('advertised.listeners')
      advertised = (
        advertisedText === null
          ? all
          : parseListeners('advertised.listeners', advertisedText, protocolMap, false)
      ).filter((e) => !controllerNames.has(e.listenerName))
      if (advertised.length === 0)
        fail(
          'advertised.listeners',
          'There must be at least one broker advertised listener.' +
            (controllerNames.size > 0 ? ' Perhaps all listeners appear in controller.listener.names?' : ''),
        )
      const names = new Set(all.map((e) => e.listenerName))
      if (advertised.some((e) => !names.has(e.listenerName)))
        fail(
          'advertised.listeners',
          `advertised.listeners listener names must be equal to or a subset of the ones defined in listeners. Found ${advertised
            .map((e) => e.listenerName)
            .join(',')}. The valid options based on the current configuration are ${[...names].join(',')}`,
        )
      if (advertised.some((e) => e.host === '0.0.0.0'))
        fail(
          'advertised.listeners',
          'advertised.listeners cannot use the nonroutable meta-address 0.0.0.0. Use a routable IP address.',
        )
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e
      fail(e.key, e.message)
    }
  }

  // ----- log dirs -----
  let logDirs: string[] = []
  if (has('log.dirs', 'log.dir')) {
    const text = str('log.dirs') ?? str('log.dir') ?? ''
    logDirs = text.split(/\s*,\s*/).filter((d) => d !== '')
    if (logDirs.length === 0)
      fail(
        str('log.dirs') !== null ? 'log.dirs' : 'log.dir',
        'At least one log directory must be defined via log.dirs or log.dir.',
      )
  }

  // ----- time synonyms -----
  let logRetentionMs = -1
  if (has('log.retention.ms', 'log.retention.minutes', 'log.retention.hours')) {
    const ms = opt('log.retention.ms') as number | null
    const minutes = opt('log.retention.minutes') as number | null
    const millis = ms ?? (minutes !== null ? minutes * MINUTE_MS : num('log.retention.hours') * HOUR_MS)
    logRetentionMs = millis < 0 ? -1 : millis
    if (logRetentionMs === 0) {
      const key =
        ms !== null ? 'log.retention.ms' : minutes !== null ? 'log.retention.minutes' : 'log.retention.hours'
      fail(key, 'log.retention.ms must be unlimited (-1) or, greater than or equal to 1')
    }
  }
  let logRollMs = 0
  if (has('log.roll.ms', 'log.roll.hours')) {
    const ms = opt('log.roll.ms') as number | null
    logRollMs = ms ?? num('log.roll.hours') * HOUR_MS
    if (ms !== null && ms < 1)
      fail('log.roll.ms', `Invalid value ${ms} for configuration log.roll.ms: Value must be at least 1`)
  }
  let logRollJitterMs = 0
  if (has('log.roll.jitter.ms', 'log.roll.jitter.hours')) {
    const ms = opt('log.roll.jitter.ms') as number | null
    logRollJitterMs = ms ?? num('log.roll.jitter.hours') * HOUR_MS
    if (logRollJitterMs < 0)
      fail('log.roll.jitter.ms', 'log.roll.jitter.ms must be greater than or equal to 0')
  }
  let logFlushIntervalMs = 0
  if (has('log.flush.interval.ms', 'log.flush.scheduler.interval.ms')) {
    const ms = opt('log.flush.interval.ms') as number | null
    logFlushIntervalMs = ms ?? num('log.flush.scheduler.interval.ms')
    if (ms !== null && ms < 0)
      fail(
        'log.flush.interval.ms',
        `Invalid value ${ms} for configuration log.flush.interval.ms: Value must be at least 0`,
      )
  }

  // Report in the order of the input, whatever order the checks ran in.
  const byInput = (a: ConfigProblem, b: ConfigProblem) =>
    (rank.get(a.key) ?? Number.MAX_SAFE_INTEGER) - (rank.get(b.key) ?? Number.MAX_SAFE_INTEGER)
  errors.sort(byInput)
  warnings.sort(byInput)
  if (errors.length > 0) return { ok: false, errors, warnings }

  // Without zookeeper.connect this is a single broker: the internal topics' replication defaults
  // (3) could never be met, so unless set explicitly they are 1, as Kafka's own quickstart
  // server.properties sets them. Samsa deviation, documented in docs/configuration.md.
  // An empty zookeeper.connect (`--override zookeeper.connect=`) turns ZooKeeper off for any file.
  const zookeeperConnect = (str('zookeeper.connect') ?? '') === '' ? null : str('zookeeper.connect')
  const singleNode = zookeeperConnect === null
  const internalRf = (name: string) => (singleNode && !merged.has(name) ? Math.min(num(name), 1) : num(name))
  const config: BrokerConfig = {
    static: staticLayer,
    dynamicDefault,
    dynamicBroker,
    values,
    nodeId,
    processRoles,
    clusterId: str('cluster.id'),
    rack: str('broker.rack'),
    listenerSecurityProtocolMap: protocolMap,
    listeners,
    advertisedListeners: advertised,
    logDirs,
    numPartitions: num('num.partitions'),
    defaultReplicationFactor: num('default.replication.factor'),
    autoCreateTopicsEnable: opt('auto.create.topics.enable') as boolean,
    deleteTopicEnable: opt('delete.topic.enable') as boolean,
    messageMaxBytes: num('message.max.bytes'),
    compressionType: str('compression.type')!,
    minInsyncReplicas: num('min.insync.replicas'),
    uncleanLeaderElectionEnable: opt('unclean.leader.election.enable') as boolean,
    fetchMaxBytes: num('fetch.max.bytes'),
    maxIncrementalFetchSessionCacheSlots: num('max.incremental.fetch.session.cache.slots'),
    maxRequestPartitionSizeLimit: num('max.request.partition.size.limit'),
    socketRequestMaxBytes: num('socket.request.max.bytes'),
    socketSendBufferBytes: num('socket.send.buffer.bytes'),
    socketReceiveBufferBytes: num('socket.receive.buffer.bytes'),
    socketListenBacklogSize: num('socket.listen.backlog.size'),
    numNetworkThreads: num('num.network.threads'),
    numIoThreads: num('num.io.threads'),
    queuedMaxRequests: num('queued.max.requests'),
    requestTimeoutMs: num('request.timeout.ms'),
    maxConnections: num('max.connections'),
    connectionsMaxIdleMs: num('connections.max.idle.ms'),
    logSegmentBytes: num('log.segment.bytes'),
    logRollMs,
    logRollJitterMs,
    logRetentionMs,
    logRetentionBytes: num('log.retention.bytes'),
    logRetentionCheckIntervalMs: num('log.retention.check.interval.ms'),
    logCleanupPolicy: list('log.cleanup.policy'),
    logIndexSizeMaxBytes: num('log.index.size.max.bytes'),
    logIndexIntervalBytes: num('log.index.interval.bytes'),
    logFlushIntervalMessages: num('log.flush.interval.messages'),
    logFlushIntervalMs,
    logFlushSchedulerIntervalMs: num('log.flush.scheduler.interval.ms'),
    logFlushOffsetCheckpointIntervalMs: num('log.flush.offset.checkpoint.interval.ms'),
    logSegmentDeleteDelayMs: num('log.segment.delete.delay.ms'),
    logMessageTimestampType: str('log.message.timestamp.type') as 'CreateTime' | 'LogAppendTime',
    logMessageTimestampBeforeMaxMs: num('log.message.timestamp.before.max.ms'),
    logMessageTimestampAfterMaxMs: num('log.message.timestamp.after.max.ms'),
    logCleanerEnable: opt('log.cleaner.enable') as boolean,
    logCleanerBackoffMs: num('log.cleaner.backoff.ms'),
    logCleanerMinCleanableRatio: num('log.cleaner.min.cleanable.ratio'),
    logCleanerDeleteRetentionMs: num('log.cleaner.delete.retention.ms'),
    logCleanerMinCompactionLagMs: num('log.cleaner.min.compaction.lag.ms'),
    logCleanerMaxCompactionLagMs: num('log.cleaner.max.compaction.lag.ms'),
    offsetsTopicNumPartitions: num('offsets.topic.num.partitions'),
    offsetsTopicReplicationFactor: internalRf('offsets.topic.replication.factor'),
    offsetsTopicSegmentBytes: num('offsets.topic.segment.bytes'),
    offsetsRetentionMinutes: num('offsets.retention.minutes'),
    offsetsRetentionCheckIntervalMs: num('offsets.retention.check.interval.ms'),
    offsetsCommitTimeoutMs: num('offsets.commit.timeout.ms'),
    offsetMetadataMaxBytes: num('offset.metadata.max.bytes'),
    groupInitialRebalanceDelayMs: num('group.initial.rebalance.delay.ms'),
    groupMinSessionTimeoutMs: num('group.min.session.timeout.ms'),
    groupMaxSessionTimeoutMs: num('group.max.session.timeout.ms'),
    groupMaxSize: num('group.max.size'),
    transactionalIdExpirationMs: num('transactional.id.expiration.ms'),
    transactionMaxTimeoutMs: num('transaction.max.timeout.ms'),
    transactionStateLogNumPartitions: num('transaction.state.log.num.partitions'),
    transactionStateLogReplicationFactor: internalRf('transaction.state.log.replication.factor'),
    transactionStateLogMinIsr: internalRf('transaction.state.log.min.isr'),
    transactionStateLogSegmentBytes: num('transaction.state.log.segment.bytes'),
    producerIdExpirationMs: num('producer.id.expiration.ms'),
    zookeeperConnect,
    zookeeperSessionTimeoutMs: num('zookeeper.session.timeout.ms'),
    zookeeperConnectionTimeoutMs:
      (opt('zookeeper.connection.timeout.ms') as number | null) ?? num('zookeeper.session.timeout.ms'),
  }
  return { ok: true, config, warnings }
}

function at1(where: Partial<ConfigInput> & { key: string }, message: string): ConfigProblem {
  const p: { key: string; message: string; source?: string; line?: number } = { key: where.key, message }
  if (where.source !== undefined) p.source = where.source
  if (where.line !== undefined) p.line = where.line
  return p
}
