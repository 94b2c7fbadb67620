import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsRequestAlterConfigsResource,
  incrementalAlterConfigsRequestCodec,
  incrementalAlterConfigsResponseCodec,
} from '../../../src/protocol/generated/messages/incremental-alter-configs.ts'
import { type BrokerLoggers, ResourceType } from '../../../src/server/handlers/alter-configs-shared.ts'
import { incrementalAlterConfigsHandler } from '../../../src/server/handlers/incremental-alter-configs.ts'
import { ctx, type Fixture, fixture, NODE_ID, request, wire } from './admin-fixtures.ts'

const SET = 0
const DELETE = 1
const APPEND = 2
const SUBTRACT = 3

const res = (
  resourceType: number,
  resourceName: string,
  ...configs: [string, number, string | null][]
): IncrementalAlterConfigsRequestAlterConfigsResource => ({
  resourceType,
  resourceName,
  configs: configs.map(([name, configOperation, value]) => ({ name, configOperation, value })),
})

async function alter(
  f: Fixture,
  version: number,
  fields: Partial<IncrementalAlterConfigsRequest>,
  services: object = f.services,
) {
  const req = request(incrementalAlterConfigsRequestCodec, fields, version)
  const out = await incrementalAlterConfigsHandler.handle(
    ctx(44, version),
    req,
    services as Fixture['services'],
  )
  assert.ok(out)
  return wire(incrementalAlterConfigsResponseCodec, out, version)
}

const codes = (out: Awaited<ReturnType<typeof alter>>) => out.responses.map((r) => r.errorCode)

async function withTopic() {
  const f = await fixture()
  await f.store.createTopics([{ name: 't', numPartitions: 1, replicationFactor: 1 }])
  return f
}

const overrides = (f: Fixture) => Object.fromEntries(f.store.image().topics.get('t')!.configs)

describe('IncrementalAlterConfigs: topics', () => {
  it('applies SET, DELETE, APPEND and SUBTRACT and calls the hook (v0-1)', async () => {
    for (const v of [0, 1]) {
      const f = await withTopic()
      const t = (...ops: [string, number, string | null][]) =>
        alter(f, v, { resources: [res(ResourceType.TOPIC, 't', ...ops)] })
      assert.deepEqual(codes(await t(['retention.ms', SET, '1000'], ['segment.ms', SET, '60000'])), [
        ErrorCode.NONE,
      ])
      assert.deepEqual(overrides(f), { 'retention.ms': '1000', 'segment.ms': '60000' })
      assert.deepEqual(codes(await t(['retention.ms', DELETE, null])), [ErrorCode.NONE])
      assert.deepEqual(overrides(f), { 'segment.ms': '60000' })
      // APPEND starts from the default (delete); SUBTRACT removes from the override.
      assert.deepEqual(codes(await t(['cleanup.policy', APPEND, 'compact'])), [ErrorCode.NONE])
      assert.equal(overrides(f)['cleanup.policy'], 'delete,compact')
      assert.deepEqual(codes(await t(['cleanup.policy', SUBTRACT, 'delete'])), [ErrorCode.NONE])
      assert.equal(overrides(f)['cleanup.policy'], 'compact')
      assert.deepEqual(f.topicHooks, [['t'], ['t'], ['t'], ['t']])
    }
  })

  it('refuses APPEND to non-list configs, unknown operations, null SET values and bad values', async () => {
    const f = await withTopic()
    const out = await alter(f, 1, {
      resources: [
        res(ResourceType.TOPIC, 't', ['retention.ms', APPEND, '5']),
        res(ResourceType.TOPIC, 'nope', ['retention.ms', SET, '5']),
      ],
    })
    assert.deepEqual(codes(out), [ErrorCode.INVALID_CONFIG, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION])
    const op = await alter(f, 1, { resources: [res(ResourceType.TOPIC, 't', ['retention.ms', 9, '5'])] })
    assert.deepEqual(codes(op), [ErrorCode.INVALID_REQUEST])
    const nul = await alter(f, 1, { resources: [res(ResourceType.TOPIC, 't', ['retention.ms', SET, null])] })
    assert.deepEqual(
      nul.responses.map((r) => [r.errorCode, r.errorMessage]),
      [[ErrorCode.INVALID_REQUEST, 'Null value not supported for : retention.ms']],
    )
    const bad = await alter(f, 1, {
      resources: [res(ResourceType.TOPIC, 't', ['min.insync.replicas', SET, '0'])],
    })
    assert.deepEqual(codes(bad), [ErrorCode.INVALID_CONFIG])
    assert.deepEqual(overrides(f), {})
    assert.deepEqual(f.topicHooks, [])
  })

  it('validateOnly checks and changes nothing', async () => {
    const f = await withTopic()
    const out = await alter(f, 0, {
      resources: [res(ResourceType.TOPIC, 't', ['retention.ms', SET, '1'])],
      validateOnly: true,
    })
    assert.deepEqual(codes(out), [ErrorCode.NONE])
    assert.deepEqual(overrides(f), {})
    assert.deepEqual(f.topicHooks, [])
  })
})

describe('IncrementalAlterConfigs: brokers', () => {
  it('changes the dynamic broker layers and calls the broker hook', async () => {
    const f = await fixture()
    const out = await alter(f, 1, {
      resources: [
        res(ResourceType.BROKER, String(NODE_ID), ['log.flush.interval.ms', SET, '10']),
        res(ResourceType.BROKER, '', ['log.cleanup.policy', APPEND, 'compact']),
      ],
    })
    assert.deepEqual(codes(out), [ErrorCode.NONE, ErrorCode.NONE])
    const image = f.store.image()
    assert.equal(image.brokerConfigs.perBroker.get(NODE_ID)!.get('log.flush.interval.ms'), '10')
    assert.equal(image.brokerConfigs.clusterDefault.get('log.cleanup.policy'), 'delete,compact')
    assert.equal(f.brokerHooks, 1)
  })

  it('refuses another broker id', async () => {
    const f = await fixture()
    const out = await alter(f, 1, {
      resources: [res(ResourceType.BROKER, '2', ['log.retention.ms', SET, '1'])],
    })
    assert.deepEqual(codes(out), [ErrorCode.INVALID_REQUEST])
  })
})

describe('IncrementalAlterConfigs: broker loggers', () => {
  function loggers() {
    const levels = new Map([
      ['root', 'INFO'],
      ['samsa.network', 'INFO'],
    ])
    const l: BrokerLoggers = {
      levels: () => levels,
      setLevel: (name, level) => {
        if (level === null) levels.set(name, levels.get('root')!)
        else levels.set(name, level)
      },
    }
    return { l, levels }
  }

  it('sets levels (not for validateOnly) and unsets them', async () => {
    const f = await fixture()
    const { l, levels } = loggers()
    const services = { ...f.services, loggers: l }
    const node = String(NODE_ID)
    const dry = await alter(
      f,
      1,
      {
        resources: [res(ResourceType.BROKER_LOGGER, node, ['samsa.network', SET, 'DEBUG'])],
        validateOnly: true,
      },
      services,
    )
    assert.deepEqual(codes(dry), [ErrorCode.NONE])
    assert.equal(levels.get('samsa.network'), 'INFO')
    const set = await alter(
      f,
      1,
      { resources: [res(ResourceType.BROKER_LOGGER, node, ['samsa.network', SET, 'DEBUG'])] },
      services,
    )
    assert.deepEqual(codes(set), [ErrorCode.NONE])
    assert.equal(levels.get('samsa.network'), 'DEBUG')
    await alter(
      f,
      1,
      { resources: [res(ResourceType.BROKER_LOGGER, node, ['samsa.network', DELETE, null])] },
      services,
    )
    assert.equal(levels.get('samsa.network'), 'INFO')
  })

  it("answers Kafka's logger errors", async () => {
    const f = await fixture()
    const { l } = loggers()
    const services = { ...f.services, loggers: l }
    const node = String(NODE_ID)
    const out = await alter(
      f,
      1,
      {
        resources: [
          res(ResourceType.BROKER_LOGGER, node, ['samsa.network', SET, 'LOUD']),
          res(ResourceType.BROKER_LOGGER, '5', ['root', SET, 'INFO']),
          res(ResourceType.BROKER_LOGGER, 'x', ['root', SET, 'INFO']),
        ],
      },
      services,
    )
    assert.deepEqual(
      out.responses.map((r) => [r.errorCode, r.errorMessage]),
      [
        [
          ErrorCode.INVALID_CONFIG,
          'Cannot set the log level of samsa.network to LOUD as it is not a supported log level. Valid log levels are DEBUG, ERROR, FATAL, INFO, TRACE, WARN',
        ],
        [ErrorCode.INVALID_REQUEST, `Unexpected node id. Expected ${NODE_ID}, but received 5`],
        [ErrorCode.INVALID_REQUEST, 'Node id must be an integer, but it is: x'],
      ],
    )
    for (const [op, code, message] of [
      [SET, ErrorCode.INVALID_CONFIG, 'Logger nope does not exist!'],
      [DELETE, ErrorCode.INVALID_CONFIG, 'Logger nope does not exist!'],
      [APPEND, ErrorCode.INVALID_REQUEST, 'APPEND operation is not allowed for the BROKER_LOGGER resource'],
      [
        SUBTRACT,
        ErrorCode.INVALID_REQUEST,
        'SUBTRACT operation is not allowed for the BROKER_LOGGER resource',
      ],
    ] as const) {
      const r = await alter(
        f,
        1,
        { resources: [res(ResourceType.BROKER_LOGGER, node, ['nope', op, 'INFO'])] },
        services,
      )
      assert.deepEqual([r.responses[0]!.errorCode, r.responses[0]!.errorMessage], [code, message])
    }
    const root = await alter(
      f,
      1,
      { resources: [res(ResourceType.BROKER_LOGGER, node, ['root', DELETE, null])] },
      services,
    )
    assert.equal(root.responses[0]!.errorMessage, 'Removing the log level of the root logger is not allowed')
    // Without the broker's loggers, no logger exists.
    const none = await alter(f, 1, {
      resources: [res(ResourceType.BROKER_LOGGER, node, ['root', SET, 'INFO'])],
    })
    assert.deepEqual(codes(none), [ErrorCode.INVALID_CONFIG])
  })

  it('has an error response per resource', () => {
    const req = request(incrementalAlterConfigsRequestCodec, { resources: [res(ResourceType.TOPIC, 't')] }, 1)
    const out = wire(
      incrementalAlterConfigsResponseCodec,
      incrementalAlterConfigsHandler.errorResponse!(req, 1, ErrorCode.UNSUPPORTED_VERSION),
      1,
    )
    assert.deepEqual(codes(out), [ErrorCode.UNSUPPORTED_VERSION])
  })
})
