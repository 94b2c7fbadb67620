import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  type AlterConfigsRequest,
  type AlterConfigsRequestAlterConfigsResource,
  alterConfigsRequestCodec,
  alterConfigsResponseCodec,
} from '../../../src/protocol/generated/messages/alter-configs.ts'
import { alterConfigsHandler } from '../../../src/server/handlers/alter-configs.ts'
import { ResourceType } from '../../../src/server/handlers/alter-configs-shared.ts'
import { ctx, type Fixture, fixture, NODE_ID, request, wire } from './admin-fixtures.ts'

const res = (
  resourceType: number,
  resourceName: string,
  configs: Record<string, string | null>,
): AlterConfigsRequestAlterConfigsResource => ({
  resourceType,
  resourceName,
  configs: Object.entries(configs).map(([name, value]) => ({ name, value })),
})

async function alterConfigs(
  f: Fixture,
  version: number,
  fields: Partial<AlterConfigsRequest>,
  services: object = f.services,
) {
  const req = request(alterConfigsRequestCodec, fields, version)
  const out = await alterConfigsHandler.handle(ctx(33, version), req, services as Fixture['services'])
  assert.ok(out)
  return wire(alterConfigsResponseCodec, out, version)
}

async function withTopic() {
  const f = await fixture()
  await f.store.createTopics([{ name: 't', numPartitions: 1, replicationFactor: 1 }])
  return f
}

const overrides = (f: Fixture, topic = 't') => Object.fromEntries(f.store.image().topics.get(topic)!.configs)

describe('AlterConfigs: topics', () => {
  it('replaces the whole set of overrides and applies it through the hook (v0-2)', async () => {
    for (let v = 0; v <= 2; v++) {
      const f = await withTopic()
      const first = await alterConfigs(f, v, {
        resources: [res(ResourceType.TOPIC, 't', { 'retention.ms': '1000', 'cleanup.policy': 'compact' })],
      })
      assert.deepEqual(first.responses, [
        {
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          resourceType: ResourceType.TOPIC,
          resourceName: 't',
        },
      ])
      assert.deepEqual(overrides(f), { 'retention.ms': '1000', 'cleanup.policy': 'compact' })
      await alterConfigs(f, v, { resources: [res(ResourceType.TOPIC, 't', { 'cleanup.policy': 'delete' })] })
      assert.deepEqual(overrides(f), { 'cleanup.policy': 'delete' })
      assert.deepEqual(f.topicHooks, [['t'], ['t']])
      assert.equal(f.brokerHooks, 0)
    }
  })

  it('validateOnly checks and changes nothing, and calls no hook', async () => {
    const f = await withTopic()
    const out = await alterConfigs(f, 1, {
      resources: [
        res(ResourceType.TOPIC, 't', { 'retention.ms': '1000' }),
        res(ResourceType.TOPIC, 'nope', { 'retention.ms': '1000' }),
      ],
      validateOnly: true,
    })
    assert.deepEqual(
      out.responses.map((r) => r.errorCode),
      [ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    )
    assert.deepEqual(overrides(f), {})
    assert.deepEqual(f.topicHooks, [])
  })

  it("answers Kafka's checks per resource", async () => {
    const f = await withTopic()
    const out = await alterConfigs(f, 1, {
      resources: [
        res(ResourceType.TOPIC, 't', { 'retention.ms': 'soon' }),
        res(ResourceType.TOPIC, 'nope', {}),
        res(ResourceType.TOPIC, '', {}),
        res(ResourceType.TOPIC, 'bad name', {}),
        res(ResourceType.BROKER_LOGGER, String(NODE_ID), {}),
        res(ResourceType.TOPIC, 'nulls', { a: null, b: null }),
      ],
    })
    assert.deepEqual(
      out.responses.map((r) => [r.resourceName, r.errorCode]),
      [
        ['t', ErrorCode.INVALID_CONFIG],
        ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
        ['', ErrorCode.INVALID_REQUEST],
        ['bad name', ErrorCode.INVALID_TOPIC_EXCEPTION],
        [String(NODE_ID), ErrorCode.INVALID_REQUEST],
        ['nulls', ErrorCode.INVALID_REQUEST],
      ],
    )
    assert.equal(out.responses[2]!.errorMessage, 'Default topic resources are not allowed.')
    assert.equal(out.responses[4]!.errorMessage, 'Unknown resource type 8')
    assert.equal(out.responses[5]!.errorMessage, 'Null value not supported for : a, b')
  })

  it('refuses a resource listed twice (both entries) and duplicate keys', async () => {
    const f = await withTopic()
    const dupResource = await alterConfigs(f, 0, {
      resources: [
        res(ResourceType.TOPIC, 't', { 'retention.ms': '1' }),
        res(ResourceType.TOPIC, 't', { 'retention.ms': '2' }),
      ],
    })
    assert.deepEqual(
      dupResource.responses.map((r) => [r.errorCode, r.errorMessage]),
      [
        [ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.'],
        [ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.'],
      ],
    )
    const req = request(
      alterConfigsRequestCodec,
      {
        resources: [
          {
            resourceType: ResourceType.TOPIC,
            resourceName: 't',
            configs: [
              { name: 'retention.ms', value: '1' },
              { name: 'retention.ms', value: '2' },
            ],
          },
        ],
      },
      0,
    )
    const dupKeys = await alterConfigsHandler.handle(ctx(33, 0), req, f.services)
    assert.deepEqual(
      dupKeys!.responses.map((r) => [r.errorCode, r.errorMessage]),
      [[ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys']],
    )
    assert.deepEqual(overrides(f), {})
  })
})

describe('AlterConfigs: brokers', () => {
  it('replaces the per-broker and cluster-default dynamic layers and calls the broker hook', async () => {
    const f = await fixture()
    const out = await alterConfigs(f, 2, {
      resources: [
        res(ResourceType.BROKER, String(NODE_ID), { 'log.flush.interval.ms': '10' }),
        res(ResourceType.BROKER, '', { 'log.retention.ms': '60000' }),
      ],
    })
    assert.deepEqual(
      out.responses.map((r) => r.errorCode),
      [ErrorCode.NONE, ErrorCode.NONE],
    )
    const image = f.store.image()
    assert.equal(image.brokerConfigs.perBroker.get(NODE_ID)!.get('log.flush.interval.ms'), '10')
    assert.equal(image.brokerConfigs.clusterDefault.get('log.retention.ms'), '60000')
    assert.equal(f.brokerHooks, 1)
    assert.equal(f.services.brokerConfig().logRetentionMs, 60000)
  })

  it('refuses other broker ids, non-numeric ids and read-only configs with INVALID_REQUEST', async () => {
    const f = await fixture()
    const out = await alterConfigs(f, 1, {
      resources: [
        res(ResourceType.BROKER, '7', { 'log.retention.ms': '1' }),
        res(ResourceType.BROKER, 'x', { 'log.retention.ms': '1' }),
        res(ResourceType.BROKER, String(NODE_ID), { 'node.id': '3' }),
      ],
    })
    assert.deepEqual(
      out.responses.map((r) => [r.errorCode, r.errorMessage]),
      [
        [ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${NODE_ID}, but received 7`],
        [ErrorCode.INVALID_REQUEST, 'Node id must be an integer, but it is: x'],
        [ErrorCode.INVALID_REQUEST, 'Cannot update these configs dynamically: Set(node.id)'],
      ],
    )
    assert.equal(f.brokerHooks, 0)
  })

  it('answers success even when applying the durable change fails, and logs it', async () => {
    const f = await withTopic()
    const errors: string[] = []
    const services = {
      ...f.services,
      onTopicConfigChange: () => Promise.reject(new Error('disk on fire')),
    }
    const req = request(
      alterConfigsRequestCodec,
      { resources: [res(ResourceType.TOPIC, 't', { 'retention.ms': '5' })] },
      1,
    )
    const c = { ...ctx(33, 1), log: { ...ctx(33, 1).log, error: (m: string) => errors.push(m) } }
    const out = await alterConfigsHandler.handle(c, req, services)
    assert.equal(out!.responses[0]!.errorCode, ErrorCode.NONE)
    assert.deepEqual(overrides(f), { 'retention.ms': '5' })
    assert.equal(errors.length, 1)
  })

  it('has an error response per resource', () => {
    const req = request(alterConfigsRequestCodec, { resources: [res(ResourceType.TOPIC, 't', {})] }, 0)
    const out = wire(
      alterConfigsResponseCodec,
      alterConfigsHandler.errorResponse!(req, 0, ErrorCode.UNSUPPORTED_VERSION),
      0,
    )
    assert.deepEqual(
      out.responses.map((r) => [r.resourceName, r.errorCode]),
      [['t', ErrorCode.UNSUPPORTED_VERSION]],
    )
  })
})
