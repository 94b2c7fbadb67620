import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import type { TopicName, Uuid } from '../../../src/common/ids.ts'
import { ZERO_UUID } from '../../../src/common/ids.ts'
import { validateTopicName } from '../../../src/metadata/topic-name.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  type MetadataRequest,
  type MetadataResponse,
  metadataRequestCodec,
  metadataResponseCodec,
} from '../../../src/protocol/generated/messages/metadata.ts'
import { metadataHandler } from '../../../src/server/handlers/metadata.ts'
import {
  AUTHORIZED_OPS_NOT_REQUESTED,
  CLUSTER_AUTHORIZED_OPS,
  TOPIC_AUTHORIZED_OPS,
} from '../../../src/server/handlers/metadata-brokers.ts'
import { ctx, type Fixture, fixture, HOST, NODE_ID, PORT, request, wire } from './admin-fixtures.ts'

const names = (...n: string[]) => n.map((name) => ({ topicId: ZERO_UUID, name: name as TopicName }))

async function metadata(
  f: Fixture,
  version: number,
  fields: Partial<MetadataRequest>,
  listener = 'PLAINTEXT',
): Promise<MetadataResponse> {
  const req = request(metadataRequestCodec, fields, version)
  const res = await metadataHandler.handle(ctx(3, version, listener), req, f.services)
  assert.ok(res)
  return wire(metadataResponseCodec, res, version)
}

async function create(f: Fixture, name: string, numPartitions = 1) {
  const [r] = await f.store.createTopics([{ name, numPartitions, replicationFactor: 1 }])
  assert.equal(r!.errorCode, ErrorCode.NONE)
  return r!
}

describe('Metadata: brokers and cluster', () => {
  it('answers every version 0-12 with this broker, cluster id and controller', async () => {
    const f = await fixture()
    await create(f, 'orders', 2)
    for (let v = 0; v <= 12; v++) {
      const res = await metadata(f, v, { topics: v === 0 ? [] : null })
      assert.deepEqual(
        res.brokers.map((b) => [b.nodeId, b.host, b.port, b.rack]),
        [[NODE_ID, HOST, PORT, v >= 1 ? 'rack-a' : null]],
        `v${v}`,
      )
      assert.equal(res.clusterId, v >= 2 ? 'test-cluster-id' : null)
      assert.equal(res.controllerId, v >= 1 ? NODE_ID : -1)
      assert.deepEqual(
        res.topics.map((t) => t.name),
        ['orders'],
      )
      const [p0, p1] = res.topics[0]!.partitions
      assert.equal(p0!.leaderId, NODE_ID)
      assert.deepEqual(p1!.replicaNodes, [NODE_ID])
      assert.deepEqual(p1!.isrNodes, [NODE_ID])
      assert.equal(p0!.leaderEpoch, v >= 7 ? 0 : -1)
      assert.equal(
        res.topics[0]!.topicId,
        v >= 10 ? f.store.image().topics.get('orders')!.topicId : ZERO_UUID,
      )
    }
  })

  it('lists each broker with the endpoint of the listener the request came in on', async () => {
    const f = await fixture()
    const internal = await metadata(f, 9, { topics: null }, 'internal')
    assert.deepEqual(
      internal.brokers.map((b) => [b.host, b.port]),
      [['internal.example', 9093]],
    )
    // A listener no broker has: the first advertised endpoint rather than an empty list.
    const unknown = await metadata(f, 9, { topics: null }, 'NOPE')
    assert.deepEqual(
      unknown.brokers.map((b) => [b.host, b.port]),
      [[HOST, PORT]],
    )
  })

  it('v0 with an empty list and v1+ with null mean every topic; v1+ with an empty list means none', async () => {
    const f = await fixture()
    await create(f, 'b')
    await create(f, 'a')
    assert.deepEqual(
      (await metadata(f, 0, { topics: [] })).topics.map((t) => t.name),
      ['a', 'b'],
    )
    assert.deepEqual(
      (await metadata(f, 1, { topics: null })).topics.map((t) => t.name),
      ['a', 'b'],
    )
    assert.deepEqual((await metadata(f, 1, { topics: [] })).topics, [])
    assert.deepEqual(
      (await metadata(f, 5, { topics: names('b', 'b') })).topics.map((t) => t.name),
      ['b'],
    )
  })

  it('marks internal topics', async () => {
    const f = await fixture({ 'offsets.topic.replication.factor': 1 })
    await create(f, '__consumer_offsets')
    const res = await metadata(f, 1, { topics: null })
    assert.equal(res.topics[0]!.isInternal, true)
  })
})

describe('Metadata: unknown topics and auto-creation', () => {
  it('auto-creates a requested topic with num.partitions and answers it ready', async () => {
    const f = await fixture({ 'num.partitions': 3 })
    const res = await metadata(f, 12, { topics: names('fresh') })
    const [t] = res.topics
    assert.equal(t!.errorCode, ErrorCode.NONE)
    assert.equal(t!.partitions.length, 3)
    assert.ok(t!.partitions.every((p) => p.errorCode === ErrorCode.NONE && p.leaderId === NODE_ID))
    assert.equal(t!.topicId, f.store.image().topics.get('fresh')!.topicId)
    assert.deepEqual(f.readyHooks, [['fresh']])
  })

  it('answers concurrent requests for the same new topic both ready, creating it once', async () => {
    const f = await fixture()
    const [a, b] = await Promise.all([
      metadata(f, 9, { topics: names('racy') }),
      metadata(f, 9, { topics: names('racy') }),
    ])
    assert.equal(a.topics[0]!.errorCode, ErrorCode.NONE)
    assert.equal(b.topics[0]!.errorCode, ErrorCode.NONE)
    assert.equal(a.topics[0]!.topicId, b.topics[0]!.topicId)
    assert.equal(f.store.image().topics.size, 1)
  })

  it('does not auto-create when the request (v4+) or the broker forbids it', async () => {
    const f = await fixture()
    const res = await metadata(f, 4, { topics: names('nope'), allowAutoTopicCreation: false })
    assert.equal(res.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    assert.equal(f.store.image().topics.has('nope'), false)

    const off = await fixture({ 'auto.create.topics.enable': false })
    const r3 = await metadata(off, 3, { topics: names('nope') })
    assert.equal(r3.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    assert.deepEqual(r3.topics[0]!.partitions, [])
    assert.equal(off.store.image().topics.size, 0)
  })

  it('always allows auto-creation before v4 when the broker does', async () => {
    const f = await fixture()
    const res = await metadata(f, 3, { topics: names('implicit') })
    assert.equal(res.topics[0]!.errorCode, ErrorCode.NONE)
    assert.ok(f.store.image().topics.has('implicit'))
  })

  it('answers INVALID_TOPIC_EXCEPTION for illegal names, created or not', async () => {
    for (const autoCreate of [true, false]) {
      const f = await fixture({ 'auto.create.topics.enable': autoCreate })
      const res = await metadata(f, 9, { topics: names('bad name', 'ok') })
      assert.deepEqual(
        res.topics.map((t) => [t.name, t.errorCode]),
        [
          ['bad name', ErrorCode.INVALID_TOPIC_EXCEPTION],
          ['ok', autoCreate ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
        ],
      )
    }
  })

  it("answers the store's error when auto-creation fails", async () => {
    const f = await fixture({ 'default.replication.factor': 3 })
    const res = await metadata(f, 9, { topics: names('replicated') })
    assert.equal(res.topics[0]!.errorCode, ErrorCode.INVALID_REPLICATION_FACTOR)
    assert.equal(f.store.image().topics.size, 0)
  })

  it("creates __consumer_offsets and __transaction_state with their coordinators' settings", async () => {
    const f = await fixture({
      'offsets.topic.replication.factor': 1,
      'offsets.topic.num.partitions': 5,
      'transaction.state.log.replication.factor': 1,
      'transaction.state.log.min.isr': 1,
      'transaction.state.log.num.partitions': 4,
    })
    const res = await metadata(f, 9, { topics: names('__consumer_offsets', '__transaction_state') })
    assert.deepEqual(
      res.topics.map((t) => [t.name, t.errorCode, t.isInternal, t.partitions.length]),
      [
        ['__consumer_offsets', ErrorCode.NONE, true, 5],
        ['__transaction_state', ErrorCode.NONE, true, 4],
      ],
    )
    const offsets = f.store.image().topics.get('__consumer_offsets')!
    assert.equal(offsets.configs.get('cleanup.policy'), 'compact')
    assert.equal(offsets.configs.get('compression.type'), 'producer')
    assert.equal(offsets.configs.get('segment.bytes'), '104857600')
    const txn = f.store.image().topics.get('__transaction_state')!
    assert.equal(txn.configs.get('min.insync.replicas'), '1')
    assert.equal(txn.configs.get('unclean.leader.election.enable'), 'false')
  })

  it('uses a coordinator-supplied spec, and never auto-creates __share_group_state by default', async () => {
    const f = await fixture()
    const withSpec = {
      ...f.services,
      internalTopicSpec: (name: string) =>
        name === '__share_group_state'
          ? {
              numPartitions: 2,
              replicationFactor: 1,
              configs: [{ name: 'cleanup.policy', value: 'compact' }],
            }
          : undefined,
    }
    const plain = await metadata(f, 9, { topics: names('__share_group_state') })
    assert.equal(plain.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    assert.equal(plain.topics[0]!.isInternal, true)
    const req = request(metadataRequestCodec, { topics: names('__share_group_state') }, 9)
    const res = await metadataHandler.handle(ctx(3, 9), req, withSpec)
    assert.equal(res!.topics[0]!.partitions.length, 2)
  })

  it('never auto-creates when every topic is asked for', async () => {
    const f = await fixture()
    assert.deepEqual((await metadata(f, 0, { topics: [] })).topics, [])
    assert.equal(f.store.image().topics.size, 0)
  })
})

describe('Metadata: topic ids', () => {
  it('looks topics up by id in v12 and answers UNKNOWN_TOPIC_ID for unknown ids', async () => {
    const f = await fixture()
    const { topicId } = await create(f, 'by-id')
    const unknown = 'AAAAAAAAAAAAAAAAAAAAAQ' as Uuid
    const res = await metadata(f, 12, {
      topics: [
        { topicId, name: null },
        { topicId: unknown, name: null },
      ],
    })
    assert.deepEqual(
      res.topics.map((t) => [t.name, t.topicId, t.errorCode]).sort(),
      [
        ['by-id', topicId, ErrorCode.NONE],
        [null, unknown, ErrorCode.UNKNOWN_TOPIC_ID],
      ].sort(),
    )
  })

  it('refuses topic ids and null names before v12 with INVALID_REQUEST for every topic', async () => {
    const f = await fixture()
    const { topicId } = await create(f, 't')
    for (const v of [10, 11]) {
      const byId = await metadata(f, v, { topics: [{ topicId, name: 't' as TopicName }] })
      assert.deepEqual(
        byId.topics.map((t) => [t.name, t.errorCode]),
        [['t', ErrorCode.INVALID_REQUEST]],
      )
      const nullName = await metadata(f, v, { topics: [{ topicId: ZERO_UUID, name: null }] })
      assert.deepEqual(
        nullName.topics.map((t) => [t.name, t.errorCode]),
        [['', ErrorCode.INVALID_REQUEST]],
      )
    }
  })
})

describe('Metadata: partition states', () => {
  it('answers LEADER_NOT_AVAILABLE with leader -1 when the leader is not a live broker', async () => {
    const f = await fixture({}, { register: false })
    await create(f, 't')
    const res = await metadata(f, 9, { topics: names('t') })
    const [p] = res.topics[0]!.partitions
    assert.equal(p!.errorCode, ErrorCode.LEADER_NOT_AVAILABLE)
    assert.equal(p!.leaderId, -1)
    assert.deepEqual(res.brokers, [])
    // v0 lists live replicas only, and says some are missing.
    const v0 = await metadata(f, 0, { topics: names('t') })
    assert.deepEqual(v0.topics[0]!.partitions[0]!.replicaNodes, [])
  })

  it('answers LISTENER_NOT_FOUND (v6+) when the leader has no endpoint on this listener', async () => {
    const f = await fixture()
    await f.store.registerBroker({
      id: 2,
      host: 'two.example',
      port: 9094,
      rack: null,
      endpoints: [
        { listenerName: 'EXTERNAL', securityProtocol: 'PLAINTEXT', host: 'two.example', port: 9094 },
      ],
    })
    await create(f, 't')
    const v6 = await metadata(f, 6, { topics: names('t') }, 'EXTERNAL')
    assert.deepEqual(
      v6.brokers.map((b) => b.nodeId),
      [2],
    )
    assert.equal(v6.topics[0]!.partitions[0]!.errorCode, ErrorCode.LISTENER_NOT_FOUND)
    const v5 = await metadata(f, 5, { topics: names('t') }, 'EXTERNAL')
    assert.equal(v5.topics[0]!.partitions[0]!.errorCode, ErrorCode.LEADER_NOT_AVAILABLE)
  })

  it('answers REPLICA_NOT_AVAILABLE in v0 when a replica is not live', async () => {
    const f = await fixture()
    await f.store.registerBroker({
      id: 2,
      host: 'two.example',
      port: 9094,
      rack: null,
      endpoints: [
        { listenerName: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: 'two.example', port: 9094 },
      ],
    })
    const [r] = await f.store.createTopics([
      {
        name: 'spread',
        numPartitions: -1,
        replicationFactor: -1,
        assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }],
      },
    ])
    assert.equal(r!.errorCode, ErrorCode.NONE)
    // Broker 2 has no endpoint on INTERNAL: v0 leaves it out; v1+ lists every replica.
    const v0 = await metadata(f, 0, { topics: names('spread') }, 'INTERNAL')
    assert.equal(v0.topics[0]!.partitions[0]!.errorCode, ErrorCode.REPLICA_NOT_AVAILABLE)
    assert.deepEqual(v0.topics[0]!.partitions[0]!.replicaNodes, [1])
    const v1 = await metadata(f, 1, { topics: names('spread') }, 'INTERNAL')
    assert.equal(v1.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE)
    assert.deepEqual(v1.topics[0]!.partitions[0]!.replicaNodes, [1, 2])
  })
})

describe('Metadata: authorized operations', () => {
  it('reports every supported operation only when asked (v8+)', async () => {
    const f = await fixture()
    await create(f, 't')
    const plain = await metadata(f, 10, { topics: names('t') })
    assert.equal(plain.topics[0]!.topicAuthorizedOperations, AUTHORIZED_OPS_NOT_REQUESTED)
    assert.equal(plain.clusterAuthorizedOperations, AUTHORIZED_OPS_NOT_REQUESTED)
    const asked = await metadata(f, 10, {
      topics: names('t'),
      includeTopicAuthorizedOperations: true,
      includeClusterAuthorizedOperations: true,
    })
    assert.equal(asked.topics[0]!.topicAuthorizedOperations, TOPIC_AUTHORIZED_OPS)
    assert.equal(asked.clusterAuthorizedOperations, CLUSTER_AUTHORIZED_OPS)
    // READ(3) WRITE(4) CREATE(5) DELETE(6) ALTER(7) DESCRIBE(8) DESCRIBE_CONFIGS(10) ALTER_CONFIGS(11)
    assert.equal(TOPIC_AUTHORIZED_OPS, 0b110111111000)
  })
})

describe('Metadata: error response', () => {
  it('carries the error for every requested topic', () => {
    const req = request(metadataRequestCodec, { topics: names('a', 'b') }, 1)
    const res = metadataHandler.errorResponse!(req, 1, ErrorCode.UNSUPPORTED_VERSION)
    const back = wire(metadataResponseCodec, res, 1)
    assert.deepEqual(
      back.topics.map((t) => [t.name, t.errorCode]),
      [
        ['a', ErrorCode.UNSUPPORTED_VERSION],
        ['b', ErrorCode.UNSUPPORTED_VERSION],
      ],
    )
  })
})

describe('Metadata: property', () => {
  it('answers each distinct requested name once: existing ones ready, others by name validity', async () => {
    const f = await fixture({ 'auto.create.topics.enable': false })
    const existing = ['alpha', 'beta.1', 'gamma_2']
    for (const n of existing) await create(f, n)
    const name = fc.oneof(
      fc.constantFrom(...existing, 'missing', '', '.', 'a b', 'x'.repeat(250)),
      fc.string(),
    )
    await fc.assert(
      fc.asyncProperty(
        fc.array(name, { maxLength: 8 }),
        fc.integer({ min: 1, max: 12 }),
        async (asked, v) => {
          const res = await metadata(f, v, { topics: names(...asked) })
          const distinct = [...new Set(asked)]
          assert.deepEqual(
            res.topics.map((t) => t.name),
            distinct,
          )
          for (const t of res.topics) {
            const expected = existing.includes(t.name!)
              ? ErrorCode.NONE
              : validateTopicName(t.name!) === null
                ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
                : ErrorCode.INVALID_TOPIC_EXCEPTION
            assert.equal(t.errorCode, expected)
          }
        },
      ),
      { numRuns: 100 },
    )
  })
})
