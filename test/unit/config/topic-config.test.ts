import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import {
  BROKER_CONFIG_DEFS,
  type BrokerConfigLayers,
  parseBrokerConfig,
} from '../../../src/config/broker-config.ts'
import { ConfigSource } from '../../../src/config/config-entry.ts'
import { inputsFromObject } from '../../../src/config/config-input.ts'
import { toLogConfig, toLogManagerConfig } from '../../../src/config/log-config-mapping.ts'
import {
  describeTopicConfigs,
  resolveTopicConfig,
  TOPIC_CONFIG_DEFS,
  validateTopicConfigs,
} from '../../../src/config/topic-config.ts'
import { DEFAULT_LOG_CONFIG, logConfig } from '../../../src/storage/log-config.ts'

const layers = (
  staticConfig: Record<string, string> = {},
  dynamicDefault: Record<string, string> = {},
  dynamicBroker: Record<string, string> = {},
): BrokerConfigLayers => ({
  static: new Map(Object.entries(staticConfig)),
  dynamicDefault: new Map(Object.entries(dynamicDefault)),
  dynamicBroker: new Map(Object.entries(dynamicBroker)),
})
const NONE = new Map<string, string>()
const describeOne = (name: string, overrides: ReadonlyMap<string, string>, broker: BrokerConfigLayers) => {
  const [e] = describeTopicConfigs(overrides, broker, { keys: [name] })
  assert.ok(e, name)
  return e
}

describe('topic config resolution', () => {
  it('falls back to the broker default of the first synonym that has one', () => {
    const e = describeOne('retention.ms', NONE, layers())
    assert.equal(e.value, '604800000')
    assert.equal(e.source, ConfigSource.DEFAULT_CONFIG)
    // log.retention.ms and .minutes have no default, so only .hours shows.
    assert.deepEqual(e.synonyms, [
      { name: 'log.retention.hours', value: '168', source: ConfigSource.DEFAULT_CONFIG },
    ])
    assert.equal(e.readOnly, false)
    assert.equal(e.isSensitive, false)
    assert.equal(e.type, 'long')
    assert.equal(e.configType, 5)
    assert.ok(e.documentation.length > 0)
  })

  it('converts hours and minutes and lists every layer in Kafka order', () => {
    const broker = layers(
      { 'log.retention.hours': '2', 'log.retention.minutes': '30' },
      { 'log.retention.ms': '5000' },
    )
    const e = describeOne('retention.ms', NONE, broker)
    assert.equal(e.value, '5000')
    assert.equal(e.source, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG)
    assert.deepEqual(e.synonyms, [
      { name: 'log.retention.ms', value: '5000', source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG },
      { name: 'log.retention.minutes', value: '30', source: ConfigSource.STATIC_BROKER_CONFIG },
      { name: 'log.retention.hours', value: '2', source: ConfigSource.STATIC_BROKER_CONFIG },
      { name: 'log.retention.hours', value: '168', source: ConfigSource.DEFAULT_CONFIG },
    ])
    assert.equal(resolveTopicConfig(NONE, layers({ 'log.retention.minutes': '30' })).retentionMs, 1800000)
    assert.equal(resolveTopicConfig(NONE, layers({ 'log.retention.hours': '3' })).retentionMs, 3 * 3600000)
    assert.equal(resolveTopicConfig(NONE, layers({ 'log.retention.hours': '-3' })).retentionMs, -1)
  })

  it('topic override > per-broker > cluster default > static > default', () => {
    const broker = layers(
      { 'log.segment.bytes': '1000' },
      { 'log.segment.bytes': '2000' },
      { 'log.segment.bytes': '3000' },
    )
    const withOverride = describeOne('segment.bytes', new Map([['segment.bytes', '4000']]), broker)
    assert.equal(withOverride.value, '4000')
    assert.equal(withOverride.source, ConfigSource.DYNAMIC_TOPIC_CONFIG)
    assert.deepEqual(
      withOverride.synonyms.map((s) => [s.name, s.value, s.source]),
      [
        ['segment.bytes', '4000', ConfigSource.DYNAMIC_TOPIC_CONFIG],
        ['log.segment.bytes', '3000', ConfigSource.DYNAMIC_BROKER_CONFIG],
        ['log.segment.bytes', '2000', ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG],
        ['log.segment.bytes', '1000', ConfigSource.STATIC_BROKER_CONFIG],
        ['log.segment.bytes', '1073741824', ConfigSource.DEFAULT_CONFIG],
      ],
    )
    assert.equal(describeOne('segment.bytes', NONE, broker).value, '3000')
    assert.equal(
      describeOne(
        'segment.bytes',
        NONE,
        layers({ 'log.segment.bytes': '1000' }, { 'log.segment.bytes': '2000' }),
      ).value,
      '2000',
    )
  })

  it('segment.ms and segment.jitter.ms come from log.roll.* in ms or hours', () => {
    assert.equal(resolveTopicConfig(NONE, layers({ 'log.roll.hours': '1' })).segmentMs, 3600000)
    assert.equal(
      resolveTopicConfig(NONE, layers({ 'log.roll.hours': '1', 'log.roll.ms': '10' })).segmentMs,
      10,
    )
    assert.equal(resolveTopicConfig(NONE, layers({ 'log.roll.jitter.hours': '1' })).segmentJitterMs, 3600000)
  })

  it('flush.ms uses log.flush.interval.ms, else log.flush.scheduler.interval.ms', () => {
    assert.equal(resolveTopicConfig(NONE, layers({ 'log.flush.scheduler.interval.ms': '99' })).flushMs, 99)
    assert.equal(
      resolveTopicConfig(
        NONE,
        layers({ 'log.flush.scheduler.interval.ms': '99', 'log.flush.interval.ms': '7' }),
      ).flushMs,
      7,
    )
    assert.equal(describeOne('flush.ms', NONE, layers()).value, '9223372036854775807')
  })

  it('a config without a broker synonym reports its own default and no synonyms', () => {
    const e = describeOne('remote.storage.enable', NONE, layers())
    assert.deepEqual([e.value, e.source, e.synonyms], ['false', ConfigSource.DEFAULT_CONFIG, []])
  })

  it('describes every topic config by default, in name order, and only the asked keys otherwise', () => {
    const all = describeTopicConfigs(NONE, layers())
    assert.equal(all.length, TOPIC_CONFIG_DEFS.size)
    assert.deepEqual(
      all.map((e) => e.name),
      [...TOPIC_CONFIG_DEFS.keys()].sort(),
    )
    assert.deepEqual(
      describeTopicConfigs(NONE, layers(), { keys: ['retention.ms', 'nope'] }).map((e) => e.name),
      ['retention.ms'],
    )
  })

  it("agrees with the broker's own view of a parsed config", () => {
    const r = parseBrokerConfig(
      inputsFromObject({ 'log.retention.minutes': 5, 'log.cleanup.policy': 'compact,delete' }),
    )
    assert.ok(r.ok)
    const t = resolveTopicConfig(NONE, r.config)
    assert.equal(t.retentionMs, r.config.logRetentionMs)
    assert.deepEqual(t.cleanupPolicy, ['compact', 'delete'])
  })
})

describe('topic config validation', () => {
  const check = (entries: Record<string, string | null>, broker: BrokerConfigLayers | null = null) =>
    validateTopicConfigs(new Map(Object.entries(entries)), broker)

  it('accepts valid overrides', () => {
    assert.equal(
      check({ 'retention.ms': '-1', 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0.1' }),
      null,
    )
  })

  it('refuses unknown names (with a hint), null values and bad values with INVALID_CONFIG', () => {
    assert.deepEqual(check({ 'retention.msec': '1' }), {
      errorCode: 40,
      message: "Unknown topic config name: retention.msec. Did you mean 'retention.ms'?",
    })
    assert.deepEqual(check({ 'retention.ms': null, 'segment.ms': null }), {
      errorCode: 40,
      message: 'Null value not supported for topic configs: retention.ms,segment.ms',
    })
    assert.deepEqual(check({ 'retention.ms': '-2' }), {
      errorCode: 40,
      message: 'Invalid value -2 for configuration retention.ms: Value must be at least -1',
    })
    assert.deepEqual(check({ 'cleanup.policy': '' }), {
      errorCode: 40,
      message:
        'Invalid value  for configuration cleanup.policy: Value must contain at least one of: compact, delete',
    })
    assert.match(
      check({ 'remote.storage.enable': 'true' })!.message,
      /Tiered Storage functionality is disabled/,
    )
  })

  it('checks min.compaction.lag.ms <= max.compaction.lag.ms against the effective values', () => {
    assert.deepEqual(check({ 'min.compaction.lag.ms': '10', 'max.compaction.lag.ms': '5' }), {
      errorCode: 40,
      message: 'conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)',
    })
    assert.notEqual(
      check({ 'min.compaction.lag.ms': '10' }, layers({ 'log.cleaner.max.compaction.lag.ms': '5' })),
      null,
    )
  })
})

describe('definition tables', () => {
  it('every topic config default equals what its broker synonyms give by default', () => {
    const t = resolveTopicConfig(NONE, layers())
    for (const def of TOPIC_CONFIG_DEFS.values()) {
      assert.equal(t.values.get(def.name)?.text, def.default.text, def.name)
      for (const s of def.synonyms) assert.ok(BROKER_CONFIG_DEFS.has(s.name), `${def.name} → ${s.name}`)
    }
  })

  it('every doc is one non-empty line', () => {
    for (const def of [...BROKER_CONFIG_DEFS.values(), ...TOPIC_CONFIG_DEFS.values()]) {
      assert.ok(def.doc.length > 10 && !def.doc.includes('\n'), def.name)
    }
  })
})

describe('mapping to storage LogConfig', () => {
  it('the defaults map onto storage defaults', () => {
    assert.deepEqual(toLogConfig(resolveTopicConfig(NONE, layers())), { ...DEFAULT_LOG_CONFIG })
  })

  it('any valid set of overrides maps to a LogConfig that storage accepts', () => {
    const arbOverrides = fc.record(
      {
        'segment.bytes': fc.integer({ min: 14, max: 2147483647 }).map(String),
        'segment.ms': fc.integer({ min: 1, max: 2 ** 40 }).map(String),
        'retention.ms': fc.integer({ min: -1, max: 2 ** 40 }).map(String),
        'retention.bytes': fc.integer({ min: -1, max: 2 ** 40 }).map(String),
        'cleanup.policy': fc.constantFrom('delete', 'compact', 'compact,delete', 'delete, compact'),
        'min.cleanable.dirty.ratio': fc.double({ min: 0, max: 1, noNaN: true }).map(String),
        'segment.index.bytes': fc.integer({ min: 12, max: 2 ** 30 }).map(String),
        'flush.ms': fc.integer({ min: 0, max: 2 ** 40 }).map(String),
      },
      { requiredKeys: [] },
    )
    fc.assert(
      fc.property(arbOverrides, (o) => {
        const overrides = new Map(Object.entries(o) as [string, string][])
        assert.equal(validateTopicConfigs(overrides), null)
        const mapped = toLogConfig(resolveTopicConfig(overrides, layers()))
        assert.deepEqual(logConfig(mapped), mapped)
        if (o['cleanup.policy']?.includes('compact') && o['cleanup.policy'].includes('delete'))
          assert.equal(mapped.cleanupPolicy, 'compact,delete')
      }),
    )
  })

  it('maps the broker config onto a LogManagerConfig', () => {
    const r = parseBrokerConfig(inputsFromObject({ 'log.dirs': '/a,/b', 'log.cleaner.enable': false }))
    assert.ok(r.ok)
    const m = toLogManagerConfig(r.config)
    assert.deepEqual(m.logDirs, ['/a', '/b'])
    assert.equal(m.cleanerEnable, false)
    assert.equal(m.retentionCheckIntervalMs, 300000)
    assert.equal(m.highWatermarkCheckpointIntervalMs, 5000)
  })
})
