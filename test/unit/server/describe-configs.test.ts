import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { BROKER_CONFIG_DEFS } from '../../../src/config/broker-config.ts'
import { ConfigSource } from '../../../src/config/config-entry.ts'
import { TOPIC_CONFIG_DEFS } from '../../../src/config/topic-config.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  type DescribeConfigsRequest,
  type DescribeConfigsRequestDescribeConfigsResource,
  describeConfigsRequestCodec,
  describeConfigsResponseCodec,
} from '../../../src/protocol/generated/messages/describe-configs.ts'
import { ResourceType } from '../../../src/server/handlers/alter-configs-shared.ts'
import { describeConfigsHandler } from '../../../src/server/handlers/describe-configs.ts'
import { ctx, type Fixture, fixture, NODE_ID, request, wire } from './admin-fixtures.ts'

const resource = (
  resourceType: number,
  resourceName: string,
  configurationKeys: string[] | null = null,
): DescribeConfigsRequestDescribeConfigsResource => ({ resourceType, resourceName, configurationKeys })

async function describeConfigs(
  f: Fixture,
  version: number,
  fields: Partial<DescribeConfigsRequest>,
  services: object = f.services,
) {
  const req = request(describeConfigsRequestCodec, fields, version)
  const res = await describeConfigsHandler.handle(ctx(32, version), req, services as Fixture['services'])
  assert.ok(res)
  return wire(describeConfigsResponseCodec, res, version)
}

async function withTopic(staticConfig: Record<string, string | number> = {}) {
  const f = await fixture(staticConfig)
  const [r] = await f.store.createTopics([
    { name: 't', numPartitions: 1, replicationFactor: 1, configs: [{ name: 'retention.ms', value: '1000' }] },
  ])
  assert.equal(r!.errorCode, ErrorCode.NONE)
  return f
}

describe('DescribeConfigs: topics', () => {
  it('lists every topic config with value, source and flags in every version 0-4', async () => {
    const f = await withTopic()
    for (let v = 0; v <= 4; v++) {
      const res = await describeConfigs(f, v, { resources: [resource(ResourceType.TOPIC, 't')] })
      const [r] = res.results
      assert.equal(r!.errorCode, ErrorCode.NONE)
      assert.equal(r!.configs.length, TOPIC_CONFIG_DEFS.size)
      const byName = new Map(r!.configs.map((c) => [c.name, c]))
      const retention = byName.get('retention.ms')!
      const segment = byName.get('segment.bytes')!
      assert.equal(retention.value, '1000')
      assert.equal(retention.readOnly, false)
      assert.equal(retention.isSensitive, false)
      // v0 has isDefault; v1+ the source.
      assert.equal(retention.isDefault, false)
      assert.equal(segment.isDefault, v === 0)
      assert.equal(retention.configSource, v >= 1 ? ConfigSource.DYNAMIC_TOPIC_CONFIG : -1)
      assert.equal(segment.configSource, v >= 1 ? ConfigSource.DEFAULT_CONFIG : -1)
      assert.equal(retention.configType, v >= 3 ? 5 : 0) // LONG
      assert.deepEqual(retention.synonyms, [])
      assert.ok(!retention.documentation) // null (v3+) or absent
    }
  })

  it('includes synonyms (v1+) and documentation (v3+) only when asked', async () => {
    const f = await withTopic({ 'log.retention.hours': 24 })
    const res = await describeConfigs(f, 3, {
      resources: [resource(ResourceType.TOPIC, 't', ['retention.ms', 'cleanup.policy', 'no.such'])],
      includeSynonyms: true,
      includeDocumentation: true,
    })
    const configs = res.results[0]!.configs
    assert.deepEqual(
      configs.map((c) => c.name),
      ['cleanup.policy', 'retention.ms'],
    )
    const retention = configs.find((c) => c.name === 'retention.ms')!
    assert.deepEqual(
      retention.synonyms.map((s) => [s.name, s.value, s.source]),
      [
        ['retention.ms', '1000', ConfigSource.DYNAMIC_TOPIC_CONFIG],
        ['log.retention.hours', '24', ConfigSource.STATIC_BROKER_CONFIG],
        ['log.retention.hours', '168', ConfigSource.DEFAULT_CONFIG],
      ],
    )
    assert.ok(retention.documentation && retention.documentation.length > 0)
  })

  it('answers INVALID_TOPIC_EXCEPTION for illegal names and UNKNOWN_TOPIC_OR_PARTITION for unknown topics', async () => {
    const f = await withTopic()
    const res = await describeConfigs(f, 1, {
      resources: [resource(ResourceType.TOPIC, 'bad name'), resource(ResourceType.TOPIC, 'nope')],
    })
    assert.deepEqual(
      res.results.map((r) => [r.resourceName, r.errorCode, r.configs.length]),
      [
        ['bad name', ErrorCode.INVALID_TOPIC_EXCEPTION, 0],
        ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 0],
      ],
    )
    assert.match(res.results[0]!.errorMessage!, /Topic name is invalid/)
  })
})

describe('DescribeConfigs: brokers', () => {
  it('describes every broker config for this node, read-only flags included', async () => {
    const f = await fixture({ 'num.partitions': 6 })
    const res = await describeConfigs(f, 4, {
      resources: [resource(ResourceType.BROKER, String(NODE_ID))],
      includeSynonyms: true,
    })
    const [r] = res.results
    assert.equal(r!.errorCode, ErrorCode.NONE)
    assert.equal(r!.configs.length, BROKER_CONFIG_DEFS.size)
    const byName = new Map(r!.configs.map((c) => [c.name, c]))
    assert.equal(byName.get('num.partitions')!.value, '6')
    assert.equal(byName.get('num.partitions')!.configSource, ConfigSource.STATIC_BROKER_CONFIG)
    assert.equal(byName.get('node.id')!.readOnly, true)
    assert.equal(byName.get('log.retention.ms')!.readOnly, false)
  })

  it('sees dynamic changes at once, even when the broker has not refreshed its config object', async () => {
    const f = await fixture()
    const stale = f.config
    await f.store.alterBrokerConfigs([
      { brokerId: null, replace: [{ name: 'log.retention.ms', value: '5000' }] },
    ])
    await f.store.alterBrokerConfigs([
      { brokerId: NODE_ID, replace: [{ name: 'log.flush.interval.ms', value: '7' }] },
    ])
    const services = { ...f.services, brokerConfig: () => stale }
    const res = await describeConfigs(
      f,
      1,
      {
        resources: [
          resource(ResourceType.BROKER, String(NODE_ID), ['log.retention.ms', 'log.flush.interval.ms']),
          resource(ResourceType.BROKER, ''),
        ],
      },
      services,
    )
    const mine = new Map(res.results[0]!.configs.map((c) => [c.name, c]))
    assert.equal(mine.get('log.retention.ms')!.value, '5000')
    assert.equal(mine.get('log.retention.ms')!.configSource, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG)
    assert.equal(mine.get('log.flush.interval.ms')!.value, '7')
    assert.equal(mine.get('log.flush.interval.ms')!.configSource, ConfigSource.DYNAMIC_BROKER_CONFIG)
    // The cluster-default resource lists only what is set at that layer.
    assert.deepEqual(
      res.results[1]!.configs.map((c) => [c.name, c.value, c.configSource]),
      [['log.retention.ms', '5000', ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG]],
    )
  })

  it('refuses other broker ids and non-numeric names with INVALID_REQUEST', async () => {
    const f = await fixture()
    const res = await describeConfigs(f, 2, {
      resources: [resource(ResourceType.BROKER, '42'), resource(ResourceType.BROKER, 'one')],
    })
    assert.deepEqual(
      res.results.map((r) => [r.errorCode, r.errorMessage]),
      [
        [
          ErrorCode.INVALID_REQUEST,
          `Unexpected broker id, expected ${NODE_ID} or empty string, but received 42`,
        ],
        [ErrorCode.INVALID_REQUEST, 'Broker id must be an integer, but it is: one'],
      ],
    )
  })
})

describe('DescribeConfigs: loggers and other resource types', () => {
  it('lists the broker loggers for this node, none when the broker supplies none', async () => {
    const f = await fixture()
    const none = await describeConfigs(f, 1, {
      resources: [resource(ResourceType.BROKER_LOGGER, String(NODE_ID))],
    })
    assert.deepEqual(none.results[0]!.configs, [])
    const loggers = {
      levels: () =>
        new Map([
          ['root', 'INFO'],
          ['samsa.network', 'DEBUG'],
        ]),
      setLevel: () => {},
    }
    const res = await describeConfigs(
      f,
      1,
      {
        resources: [
          resource(ResourceType.BROKER_LOGGER, String(NODE_ID)),
          resource(ResourceType.BROKER_LOGGER, ''),
          resource(ResourceType.BROKER_LOGGER, '9'),
        ],
      },
      { ...f.services, loggers },
    )
    assert.deepEqual(
      res.results[0]!.configs.map((c) => [c.name, c.value, c.configSource]),
      [
        ['root', 'INFO', ConfigSource.DYNAMIC_BROKER_LOGGER_CONFIG],
        ['samsa.network', 'DEBUG', ConfigSource.DYNAMIC_BROKER_LOGGER_CONFIG],
      ],
    )
    assert.deepEqual(
      res.results.slice(1).map((r) => [r.errorCode, r.errorMessage]),
      [
        [ErrorCode.INVALID_REQUEST, 'Broker id must not be empty'],
        [ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${NODE_ID} but received 9`],
      ],
    )
  })

  it('answers INVALID_REQUEST for group configs, and for the whole request on an unknown type', async () => {
    const f = await withTopic()
    const group = await describeConfigs(f, 4, {
      resources: [resource(ResourceType.GROUP, 'g'), resource(ResourceType.TOPIC, 't')],
    })
    assert.deepEqual(
      group.results.map((r) => r.errorCode),
      [ErrorCode.INVALID_REQUEST, ErrorCode.NONE],
    )
    const unknown = await describeConfigs(f, 4, {
      resources: [resource(99, 'x'), resource(ResourceType.TOPIC, 't')],
    })
    assert.deepEqual(
      unknown.results.map((r) => [r.resourceName, r.errorCode]),
      [
        ['x', ErrorCode.INVALID_REQUEST],
        ['t', ErrorCode.INVALID_REQUEST],
      ],
    )
  })

  it('has an error response per resource', () => {
    const req = request(describeConfigsRequestCodec, { resources: [resource(ResourceType.TOPIC, 't')] }, 0)
    const res = wire(
      describeConfigsResponseCodec,
      describeConfigsHandler.errorResponse!(req, 0, ErrorCode.UNSUPPORTED_VERSION),
      0,
    )
    assert.deepEqual(
      res.results.map((r) => [r.resourceName, r.errorCode]),
      [['t', ErrorCode.UNSUPPORTED_VERSION]],
    )
  })
})
