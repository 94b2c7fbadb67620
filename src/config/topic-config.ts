// The effective configuration of a topic: topic override ?? broker synonym ?? default, where a broker
// synonym's value itself comes from the dynamic per-broker, dynamic cluster-default or static layer,
// or the broker default. Also: validation of topic overrides (CreateTopics, AlterConfigs), and the
// DescribeConfigs view with sources and synonyms as Kafka reports them.

import { BROKER_CONFIG_DEFS, type BrokerConfigLayers } from './broker-config.ts'
import { brokerLayerSynonyms } from './broker-describe.ts'
import {
  ConfigError,
  type ConfigType,
  LONG_MAX,
  type ParsedValue,
  parseAndValidate,
  valueText,
} from './config-def.ts'
import { type ConfigEntry, ConfigSource, type DescribeOptions, entry, wanted } from './config-entry.ts'
import { closestKey } from './suggest.ts'
import { TOPIC_CONFIG_DEFS, TOPIC_DEFS, type TopicConfigDefinition } from './topic-defs.ts'

export { TOPIC_CONFIG_DEFS, type TopicConfigDefinition } from './topic-defs.ts'

/** Kafka error codes used here (values of protocol/generated/error-codes.ts). */
const INVALID_CONFIG = 40

export interface TopicConfig {
  /** Every topic config with its effective value. */
  readonly values: ReadonlyMap<string, ParsedValue>
  readonly cleanupPolicy: readonly string[]
  readonly compressionType: string
  readonly deleteRetentionMs: number
  readonly fileDeleteDelayMs: number
  readonly flushMessages: number
  readonly flushMs: number
  readonly indexIntervalBytes: number
  readonly maxCompactionLagMs: number
  readonly maxMessageBytes: number
  readonly messageTimestampAfterMaxMs: number
  readonly messageTimestampBeforeMaxMs: number
  readonly messageTimestampType: 'CreateTime' | 'LogAppendTime'
  readonly minCleanableDirtyRatio: number
  readonly minCompactionLagMs: number
  readonly minInsyncReplicas: number
  readonly preallocate: boolean
  /** -1: no size limit. */
  readonly retentionBytes: number
  /** -1: no time limit. */
  readonly retentionMs: number
  readonly segmentBytes: number
  readonly segmentIndexBytes: number
  readonly segmentJitterMs: number
  readonly segmentMs: number
  readonly uncleanLeaderElectionEnable: boolean
}

export interface TopicConfigProblem {
  readonly errorCode: number
  readonly message: string
}

/** The value of a broker config across the layers: per-broker > cluster default > static > default. */
function brokerRaw(broker: BrokerConfigLayers, name: string): { raw: string; source: ConfigSource } | null {
  const dynamicBroker = broker.dynamicBroker.get(name)
  if (dynamicBroker !== undefined) return { raw: dynamicBroker, source: ConfigSource.DYNAMIC_BROKER_CONFIG }
  const dynamicDefault = broker.dynamicDefault.get(name)
  if (dynamicDefault !== undefined)
    return { raw: dynamicDefault, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG }
  const staticValue = broker.static.get(name)
  if (staticValue !== undefined) return { raw: staticValue, source: ConfigSource.STATIC_BROKER_CONFIG }
  const text = BROKER_CONFIG_DEFS.get(name)?.default.text ?? null
  return text === null ? null : { raw: text, source: ConfigSource.DEFAULT_CONFIG }
}

/** The topic value a broker gives a topic config without override; null if no synonym is set. */
function fromBroker(def: TopicConfigDefinition, broker: BrokerConfigLayers): ParsedValue | null {
  for (const syn of def.synonyms) {
    const found = brokerRaw(broker, syn.name)
    const brokerDef = BROKER_CONFIG_DEFS.get(syn.name)
    if (found === null || brokerDef === undefined) continue
    let parsed: ParsedValue
    try {
      parsed = parseAndValidate(brokerDef, found.raw)
    } catch {
      continue // a layer holding a bad value falls through to the next synonym (validated on write)
    }
    if (parsed.value === null) continue
    if (syn.factor === 1 && def.name !== 'retention.ms')
      return { value: parsed.value, text: valueText(def.type, parsed.value) }
    let n = (parsed.value as number) * syn.factor
    // Kafka: any negative retention from the broker means "no time limit".
    if (def.name === 'retention.ms' && n < 0) n = -1
    return { value: n, text: valueText(def.type, n) }
  }
  return null
}

function effectiveValue(
  def: TopicConfigDefinition,
  overrides: ReadonlyMap<string, string>,
  broker: BrokerConfigLayers,
) {
  const raw = overrides.get(def.name)
  if (raw !== undefined) {
    try {
      return parseAndValidate(def, raw)
    } catch {
      // Stored overrides are validated on write; an unreadable one falls back like an unset one.
    }
  }
  return fromBroker(def, broker) ?? def.default
}

/** Long.MAX_VALUE as a long config parses: the default of the timestamp bounds. */
const NEVER = Number(LONG_MAX)

/** The effective config of a topic with these overrides on this broker. */
export function resolveTopicConfig(
  overrides: ReadonlyMap<string, string>,
  broker: BrokerConfigLayers,
): TopicConfig {
  const values = new Map<string, ParsedValue>()
  for (const def of TOPIC_DEFS) values.set(def.name, effectiveValue(def, overrides, broker))
  const num = (n: string) => values.get(n)!.value as number
  const bool = (n: string) => values.get(n)!.value as boolean
  const orDifference = (bound: number) =>
    bound === NEVER ? num('message.timestamp.difference.max.ms') : bound
  return {
    values,
    cleanupPolicy: values.get('cleanup.policy')!.value as readonly string[],
    compressionType: values.get('compression.type')!.value as string,
    deleteRetentionMs: num('delete.retention.ms'),
    fileDeleteDelayMs: num('file.delete.delay.ms'),
    flushMessages: num('flush.messages'),
    flushMs: num('flush.ms'),
    indexIntervalBytes: num('index.interval.bytes'),
    maxCompactionLagMs: num('max.compaction.lag.ms'),
    maxMessageBytes: num('max.message.bytes'),
    // Kafka 3.x's rule (KIP-937): a bound left at its default takes the legacy difference.
    messageTimestampAfterMaxMs: orDifference(num('message.timestamp.after.max.ms')),
    messageTimestampBeforeMaxMs: orDifference(num('message.timestamp.before.max.ms')),
    messageTimestampType: values.get('message.timestamp.type')!.value as 'CreateTime' | 'LogAppendTime',
    minCleanableDirtyRatio: num('min.cleanable.dirty.ratio'),
    minCompactionLagMs: num('min.compaction.lag.ms'),
    minInsyncReplicas: num('min.insync.replicas'),
    preallocate: bool('preallocate'),
    retentionBytes: num('retention.bytes'),
    retentionMs: num('retention.ms'),
    segmentBytes: num('segment.bytes'),
    segmentIndexBytes: num('segment.index.bytes'),
    segmentJitterMs: num('segment.jitter.ms'),
    segmentMs: num('segment.ms'),
    uncleanLeaderElectionEnable: bool('unclean.leader.election.enable'),
  }
}

/**
 * Checks topic overrides as CreateTopics and AlterConfigs need: known names, non-null values, each
 * value parsed and in range, and the cross-config rule min.compaction.lag.ms <= max.compaction.lag.ms
 * (checked on the effective values, so a broker default counts). Returns null when all is well.
 */
export function validateTopicConfigs(
  configs: ReadonlyMap<string, string | null>,
  broker: BrokerConfigLayers | null = null,
): TopicConfigProblem | null {
  const nulls = [...configs].filter(([, v]) => v === null).map(([k]) => k)
  if (nulls.length > 0)
    return {
      errorCode: INVALID_CONFIG,
      message: `Null value not supported for topic configs: ${nulls.join(',')}`,
    }
  const overrides = new Map<string, string>()
  for (const [name, value] of configs) {
    const def = TOPIC_CONFIG_DEFS.get(name)
    if (def === undefined) {
      const hint = closestKey(name, TOPIC_CONFIG_DEFS.keys())
      return {
        errorCode: INVALID_CONFIG,
        message: `Unknown topic config name: ${name}${hint ? `. Did you mean '${hint}'?` : ''}`,
      }
    }
    try {
      parseAndValidate(def, value!)
    } catch (e) {
      if (e instanceof ConfigError) return { errorCode: INVALID_CONFIG, message: e.message }
      throw e
    }
    overrides.set(name, value!)
  }
  const noBroker: BrokerConfigLayers = {
    static: new Map(),
    dynamicDefault: new Map(),
    dynamicBroker: new Map(),
  }
  const effective = resolveTopicConfig(overrides, broker ?? noBroker)
  if (effective.minCompactionLagMs > effective.maxCompactionLagMs)
    return {
      errorCode: INVALID_CONFIG,
      message: `conflict topic config setting min.compaction.lag.ms (${effective.values.get('min.compaction.lag.ms')!.text}) > max.compaction.lag.ms (${effective.values.get('max.compaction.lag.ms')!.text})`,
    }
  return null
}

/**
 * DescribeConfigs for a topic: every topic config (or the requested keys), its effective value, the
 * source of that value, and the synonyms — the topic override first, then each broker synonym at each
 * layer where it is set. Unknown requested keys are left out, as Kafka does.
 */
export function describeTopicConfigs(
  overrides: ReadonlyMap<string, string>,
  broker: BrokerConfigLayers,
  opts: DescribeOptions = {},
): ConfigEntry[] {
  const out: ConfigEntry[] = []
  for (const def of TOPIC_DEFS) {
    if (!wanted(opts, def.name)) continue
    const value = effectiveValue(def, overrides, broker)
    const synonyms = brokerLayerSynonyms(
      broker,
      def.synonyms.map((s) => s.name),
    )
    const override = overrides.get(def.name)
    if (override !== undefined)
      synonyms.unshift({ name: def.name, value: value.text, source: ConfigSource.DYNAMIC_TOPIC_CONFIG })
    out.push(entry(def.name, def.type, value.text, synonyms, def.doc, false))
  }
  return out
}

/** The type of a topic config, for callers that only have a name (null when unknown). */
export const topicConfigType = (name: string): ConfigType | null => TOPIC_CONFIG_DEFS.get(name)?.type ?? null
