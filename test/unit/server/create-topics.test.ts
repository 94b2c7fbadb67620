import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { BrokerId, TopicName } from '../../../src/common/ids.ts'
import { ZERO_UUID } from '../../../src/common/ids.ts'
import { ConfigSource } from '../../../src/config/config-entry.ts'
import { TOPIC_CONFIG_DEFS } from '../../../src/config/topic-config.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  type CreateTopicsRequest,
  type CreateTopicsRequestCreatableTopic,
  createTopicsRequestCodec,
  createTopicsResponseCodec,
} from '../../../src/protocol/generated/messages/create-topics.ts'
import { createTopicsHandler } from '../../../src/server/handlers/create-topics.ts'
import { ctx, type Fixture, fixture, request, wire } from './admin-fixtures.ts'

function topic(
  name: string,
  numPartitions = 1,
  replicationFactor = 1,
  more: Partial<CreateTopicsRequestCreatableTopic> = {},
): CreateTopicsRequestCreatableTopic {
  return { name: name as TopicName, numPartitions, replicationFactor, assignments: [], configs: [], ...more }
}

async function createTopics(f: Fixture, version: number, fields: Partial<CreateTopicsRequest>) {
  const req = request(createTopicsRequestCodec, fields, version)
  const res = await createTopicsHandler.handle(ctx(19, version), req, f.services)
  assert.ok(res)
  return wire(createTopicsResponseCodec, res, version)
}

describe('CreateTopics: success', () => {
  it('creates topics and answers counts, configs with sources and the topic id (v7)', async () => {
    const f = await fixture({ 'log.retention.ms': 3600000 })
    const res = await createTopics(f, 7, {
      topics: [topic('a', 3), topic('b', 1, 1, { configs: [{ name: 'cleanup.policy', value: 'compact' }] })],
    })
    const image = f.store.image()
    assert.deepEqual(
      res.topics.map((t) => [t.name, t.errorCode, t.errorMessage, t.numPartitions, t.replicationFactor]),
      [
        ['a', ErrorCode.NONE, null, 3, 1],
        ['b', ErrorCode.NONE, null, 1, 1],
      ],
    )
    assert.equal(res.topics[0]!.topicId, image.topics.get('a')!.topicId)
    assert.equal(image.topics.get('a')!.partitions.length, 3)
    const configs = new Map(res.topics[1]!.configs!.map((c) => [c.name, c]))
    assert.equal(configs.size, TOPIC_CONFIG_DEFS.size)
    assert.deepEqual(
      res.topics[1]!.configs!.map((c) => c.name),
      [...configs.keys()].sort(),
    )
    assert.deepEqual(configs.get('cleanup.policy'), {
      name: 'cleanup.policy',
      value: 'compact',
      readOnly: false,
      configSource: ConfigSource.DYNAMIC_TOPIC_CONFIG,
      isSensitive: false,
    })
    assert.equal(configs.get('retention.ms')!.value, '3600000')
    assert.equal(configs.get('retention.ms')!.configSource, ConfigSource.STATIC_BROKER_CONFIG)
    assert.equal(configs.get('segment.bytes')!.configSource, ConfigSource.DEFAULT_CONFIG)
  })

  it('uses num.partitions and default.replication.factor for -1', async () => {
    const f = await fixture({ 'num.partitions': 4 })
    const res = await createTopics(f, 4, { topics: [topic('d', -1, -1)] })
    assert.equal(res.topics[0]!.errorCode, ErrorCode.NONE)
    assert.equal(f.store.image().topics.get('d')!.partitions.length, 4)
  })

  it('creates with a manual assignment', async () => {
    const f = await fixture()
    const res = await createTopics(f, 5, {
      topics: [
        topic('m', -1, -1, {
          assignments: [
            { partitionIndex: 0, brokerIds: [1 as BrokerId] },
            { partitionIndex: 1, brokerIds: [1 as BrokerId] },
          ],
        }),
      ],
    })
    assert.equal(res.topics[0]!.errorCode, ErrorCode.NONE)
    assert.equal(res.topics[0]!.numPartitions, 2)
    const bad = await createTopics(f, 5, {
      topics: [topic('n', -1, -1, { assignments: [{ partitionIndex: 0, brokerIds: [9 as BrokerId] }] })],
    })
    assert.equal(bad.topics[0]!.errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT)
  })

  it('validateOnly checks everything and creates nothing', async () => {
    const f = await fixture()
    const res = await createTopics(f, 7, { topics: [topic('v', 2), topic('bad name')], validateOnly: true })
    assert.deepEqual(
      res.topics.map((t) => [t.name, t.errorCode, t.numPartitions, t.topicId]),
      [
        ['v', ErrorCode.NONE, 2, ZERO_UUID],
        ['bad name', ErrorCode.INVALID_TOPIC_EXCEPTION, -1, ZERO_UUID],
      ],
    )
    assert.equal(f.store.image().topics.size, 0)
    assert.deepEqual(f.readyHooks, [])
  })

  it('answers every version 0-7', async () => {
    const f = await fixture()
    for (let v = 0; v <= 7; v++) {
      const res = await createTopics(f, v, { topics: [topic(`t${v}`), topic('x')] })
      assert.equal(res.topics[0]!.errorCode, ErrorCode.NONE, `v${v}`)
      assert.equal(res.topics[0]!.configs!.length > 0, v >= 5)
      assert.equal(res.topics[0]!.numPartitions, v >= 5 ? 1 : -1)
      // 'x' exists after v0: v1+ carry the message.
      if (v > 0) {
        assert.equal(res.topics[1]!.errorCode, ErrorCode.TOPIC_ALREADY_EXISTS)
        assert.equal(res.topics[1]!.errorMessage, "Topic 'x' already exists.")
      }
    }
  })
})

describe('CreateTopics: errors', () => {
  it("answers Kafka's codes per topic", async () => {
    const f = await fixture()
    await createTopics(f, 7, { topics: [topic('exists')] })
    const res = await createTopics(f, 7, {
      topics: [
        topic('exists'),
        topic('zero', 0),
        topic('rf', 1, 2),
        topic('cfg', 1, 1, { configs: [{ name: 'retention.ms', value: 'soon' }] }),
        topic('unknown-cfg', 1, 1, { configs: [{ name: 'no.such.config', value: '1' }] }),
        topic('in valid'),
        topic('ok'),
      ],
    })
    assert.deepEqual(
      res.topics.map((t) => [t.name, t.errorCode]),
      [
        ['exists', ErrorCode.TOPIC_ALREADY_EXISTS],
        ['zero', ErrorCode.INVALID_PARTITIONS],
        ['rf', ErrorCode.INVALID_REPLICATION_FACTOR],
        ['cfg', ErrorCode.INVALID_CONFIG],
        ['unknown-cfg', ErrorCode.INVALID_CONFIG],
        ['in valid', ErrorCode.INVALID_TOPIC_EXCEPTION],
        ['ok', ErrorCode.NONE],
      ],
    )
    for (const t of res.topics.slice(0, 6)) {
      assert.ok(t.errorMessage, t.name!)
      assert.deepEqual(t.configs, [])
      assert.equal(t.numPartitions, -1)
    }
  })

  it('answers a duplicated name once with INVALID_REQUEST and refuses __cluster_metadata', async () => {
    const f = await fixture()
    const res = await createTopics(f, 6, {
      topics: [topic('dup'), topic('one'), topic('dup'), topic('__cluster_metadata')],
    })
    assert.deepEqual(
      res.topics.map((t) => [t.name, t.errorCode, t.errorMessage]),
      [
        ['dup', ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'],
        ['one', ErrorCode.NONE, null],
        [
          '__cluster_metadata',
          ErrorCode.INVALID_REQUEST,
          'Creation of internal topic __cluster_metadata is prohibited.',
        ],
      ],
    )
    assert.deepEqual([...f.store.image().topics.keys()], ['one'])
    assert.deepEqual(f.readyHooks, [['one']])
  })

  it('has an error response naming each topic once', () => {
    const req = request(createTopicsRequestCodec, { topics: [topic('a'), topic('a'), topic('b')] }, 2)
    const res = wire(
      createTopicsResponseCodec,
      createTopicsHandler.errorResponse!(req, 2, ErrorCode.NOT_CONTROLLER),
      2,
    )
    assert.deepEqual(
      res.topics.map((t) => [t.name, t.errorCode]),
      [
        ['a', ErrorCode.NOT_CONTROLLER],
        ['b', ErrorCode.NOT_CONTROLLER],
      ],
    )
  })
})
