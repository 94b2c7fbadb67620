// KIP-951 leader hints: Produce v10+ and Fetch v16+ answers for partitions this broker does not lead
// name the leader (currentLeader, from the metadata image) and list its endpoint on the request's
// listener (nodeEndpoints). The replica manager (broker 1) is fed an image where other brokers lead
// most partitions; the handlers' answers are encoded and decoded in each version, so a hint put in a
// version without the fields would fail to encode.

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type TopicName, type Uuid, ZERO_UUID } from '../../../src/common/ids.ts'
import {
  type BrokerRegistration,
  type MetadataImage,
  makeImage,
  makePartition,
  makeTopic,
  type TopicImage,
} from '../../../src/metadata/image.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  type FetchRequest,
  type FetchResponse,
  fetchRequestCodec,
  fetchResponseCodec,
} from '../../../src/protocol/generated/messages/fetch.ts'
import {
  type ProduceRequest,
  type ProduceResponse,
  produceResponseCodec,
} from '../../../src/protocol/generated/messages/produce.ts'
import { CLOSE_CONNECTION } from '../../../src/server/dispatcher.ts'
import type { RequestContext } from '../../../src/server/handler.ts'
import { fetchHandler } from '../../../src/server/handlers/fetch.ts'
import { NO_ENDPOINTS } from '../../../src/server/handlers/leader-hints.ts'
import { produceHandler } from '../../../src/server/handlers/produce.ts'
import { BROKER_ID, batch, ctx, type Env, randomUuid, roundTrip, startEnv } from '../replication/helpers.ts'

const broker = (
  id: number,
  rack: string | null,
  endpoints: [listener: string, host: string, port: number][],
): BrokerRegistration => ({
  id,
  host: endpoints[0][1],
  port: endpoints[0][2],
  rack,
  endpoints: endpoints.map(([listenerName, host, port]) => ({
    listenerName,
    securityProtocol: 'PLAINTEXT',
    host,
    port,
  })),
})

// Broker 1 is this one; 2 and 4 are live (4 only on PLAINTEXT); 3 leads a partition but is not
// registered (dead).
const BROKERS = new Map<number, BrokerRegistration>([
  [
    1,
    broker(1, null, [
      ['PLAINTEXT', 'b1', 9091],
      ['INTERNAL', 'b1-int', 19091],
    ]),
  ],
  [
    2,
    broker(2, 'r2', [
      ['PLAINTEXT', 'b2', 9092],
      ['INTERNAL', 'b2-int', 19092],
    ]),
  ],
  [4, broker(4, 'r4', [['PLAINTEXT', 'b4', 9094]])],
])

const part = (partition: number, leader: number, leaderEpoch: number, replicas: number[]) =>
  makePartition({ partition, leader, leaderEpoch, partitionEpoch: 0, replicas, isr: replicas })

const topic = (name: string, ...partitions: ReturnType<typeof part>[]) =>
  makeTopic({ name: name as TopicName, topicId: randomUuid(), partitions })

const TOPICS: TopicImage[] = [
  // hosted here, led here (epoch 5, for fencing)
  topic('mine', part(0, BROKER_ID, 5, [BROKER_ID])),
  // not hosted here: p0 led by 4, p1 led by 2, p2 led by 2 again
  topic('away', part(0, 4, 11, [4]), part(1, 2, 12, [2]), part(2, 2, 13, [2])),
  // hosted here as a follower of 2
  topic('follow', part(0, 2, 3, [2, BROKER_ID])),
  // led by a broker that is not registered
  topic('dead', part(0, 3, 7, [3])),
  // no leader at all
  topic('leaderless', part(0, -1, 9, [3])),
]

const IMAGE: MetadataImage = makeImage({
  version: 1,
  clusterId: 'hints',
  controllerId: 2,
  brokers: BROKERS,
  topics: TOPICS,
})

const ids = new Map(TOPICS.map((t) => [t.name as string, t.topicId]))

function context(apiKey: number, version: number, listener = 'PLAINTEXT'): RequestContext {
  const c = ctx(apiKey, version)
  return { ...c, connection: { ...c.connection, listener } }
}

const endpoint = (nodeId: number, host: string, port: number, rack: string | null) => ({
  nodeId,
  host,
  port,
  rack,
})
const leader = (leaderId: number, leaderEpoch: number) => ({ leaderId, leaderEpoch })
const NONE = leader(-1, -1)

describe('Leader hints (KIP-951)', () => {
  let env: Env
  let imageReads = 0
  let services: Env['services'] & { metadata: { image(): MetadataImage } }
  before(async () => {
    env = await startEnv()
    await env.rm.applyImage(IMAGE)
    services = {
      ...env.services,
      metadata: {
        image: () => {
          imageReads++
          return IMAGE
        },
      },
    }
  })
  after(() => env.stop())

  describe('Produce', () => {
    const req = (parts: [string, number][], acks = 1): ProduceRequest => {
      const topicData: ProduceRequest['topicData'] = []
      for (const [name, index] of parts) {
        let t = topicData.find((x) => x.name === name)
        if (t === undefined) {
          t = { name: name as TopicName, partitionData: [] }
          topicData.push(t)
        }
        t.partitionData.push({ index, records: batch(1) })
      }
      return { transactionalId: null, acks, timeoutMs: 1000, topicData }
    }

    async function produce(r: ProduceRequest, version: number, listener?: string): Promise<ProduceResponse> {
      const res = await produceHandler.handle(context(0, version, listener), r, services)
      assert.ok(res !== null)
      return roundTrip(produceResponseCodec, res, version)
    }

    /** "topic-partition" → [errorCode, currentLeader]. */
    const byPartition = (res: ProduceResponse) =>
      new Map(
        res.responses.flatMap((t) =>
          t.partitionResponses.map(
            (p) => [`${t.name}-${p.index}` as string, [p.errorCode, { ...p.currentLeader }]] as const,
          ),
        ),
      )

    const everything: [string, number][] = [
      ['away', 0],
      ['mine', 0],
      ['away', 1],
      ['follow', 0],
      ['dead', 0],
      ['leaderless', 0],
      ['away', 2],
      ['nosuch', 0],
    ]

    for (const v of [10, 11]) {
      it(`v${v}: NOT_LEADER_OR_FOLLOWER partitions name their leader; live leaders listed once, by id`, async () => {
        const res = await produce(req(everything), v)
        const NL = ErrorCode.NOT_LEADER_OR_FOLLOWER
        assert.deepEqual(
          byPartition(res),
          new Map([
            ['away-0', [NL, leader(4, 11)]],
            ['away-1', [NL, leader(2, 12)]],
            ['away-2', [NL, leader(2, 13)]],
            ['mine-0', [ErrorCode.NONE, NONE]],
            ['follow-0', [NL, leader(2, 3)]],
            ['dead-0', [NL, leader(3, 7)]],
            ['leaderless-0', [NL, leader(-1, 9)]],
            ['nosuch-0', [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, NONE]],
          ]),
        )
        // 4 was named first; 3 is not registered; -1 is no broker.
        assert.deepEqual(res.nodeEndpoints, [endpoint(2, 'b2', 9092, 'r2'), endpoint(4, 'b4', 9094, 'r4')])
      })
    }

    it('lists endpoints of the listener the request came in on, leaving out leaders without one', async () => {
      const res = await produce(req(everything), 11, 'INTERNAL')
      assert.deepEqual(res.nodeEndpoints, [endpoint(2, 'b2-int', 19092, 'r2')])
      // the leader id is still told when the client cannot be given its endpoint
      assert.deepEqual(byPartition(res).get('away-0'), [ErrorCode.NOT_LEADER_OR_FOLLOWER, leader(4, 11)])
    })

    it('v3-9 have no hint fields: errors only', async () => {
      for (let v = 3; v <= 9; v++) {
        const res = await produce(req(everything), v)
        assert.deepEqual(res.nodeEndpoints, [])
        for (const [key, [code, cl]] of byPartition(res)) {
          assert.deepEqual(cl, NONE, `${key} v${v}`)
          if (key.startsWith('away')) assert.equal(code, ErrorCode.NOT_LEADER_OR_FOLLOWER)
        }
      }
    })

    it('reads no metadata and shares the empty endpoint list when every partition is fine', async () => {
      const before = imageReads
      const raw = await produceHandler.handle(context(0, 11), req([['mine', 0]]), services)
      assert.ok(raw !== null)
      assert.equal(raw.nodeEndpoints, NO_ENDPOINTS)
      assert.equal(raw.responses[0].partitionResponses[0].errorCode, ErrorCode.NONE)
      // other errors get no hint either
      const unknown = await produce(req([['nosuch', 0]]), 11)
      assert.deepEqual(unknown.nodeEndpoints, [])
      assert.equal(imageReads, before)
    })

    it('acks=0 gets no response: a failed partition closes the connection, as Kafka does', async () => {
      assert.equal(
        await produceHandler.handle(context(0, 11), req([['away', 1]], 0), services),
        CLOSE_CONNECTION,
      )
    })
  })

  describe('Fetch', () => {
    const req = (
      version: number,
      parts: { topic: string; partition: number; currentLeaderEpoch?: number }[],
      session: { sessionId: number; sessionEpoch: number } = { sessionId: 0, sessionEpoch: -1 },
    ): FetchRequest => {
      const topics: FetchRequest['topics'] = []
      for (const p of parts) {
        let t = topics.find((x) => x.topic === p.topic)
        if (t === undefined) {
          t = { topic: p.topic as TopicName, topicId: ids.get(p.topic) ?? ZERO_UUID, partitions: [] }
          topics.push(t)
        }
        t.partitions.push({
          partition: p.partition,
          currentLeaderEpoch: p.currentLeaderEpoch ?? -1,
          fetchOffset: 0n,
          lastFetchedEpoch: -1,
          logStartOffset: -1n,
          partitionMaxBytes: 1 << 20,
          replicaDirectoryId: ZERO_UUID,
        })
      }
      return {
        ...fetchRequestCodec.defaults(version),
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 1 << 20,
        ...session,
        topics,
      }
    }

    async function fetch(r: FetchRequest, version: number, listener?: string): Promise<FetchResponse> {
      const res = await fetchHandler.handle(context(1, version, listener), r, services)
      assert.ok(res !== null)
      return roundTrip(fetchResponseCodec, res, version)
    }

    /** "topic-partition" (topic by name, or by id from v13) → [errorCode, currentLeader]. */
    const byPartition = (res: FetchResponse) => {
      const names = new Map<Uuid, string>([...ids].map(([n, id]) => [id, n]))
      return new Map(
        res.responses.flatMap((t) =>
          t.partitions.map(
            (p) =>
              [
                `${t.topic || names.get(t.topicId)}-${p.partitionIndex}`,
                [p.errorCode, { ...p.currentLeader }],
              ] as const,
          ),
        ),
      )
    }

    const everything = [
      { topic: 'away', partition: 0 },
      { topic: 'mine', partition: 0 },
      { topic: 'away', partition: 1 },
      { topic: 'follow', partition: 0 },
      { topic: 'dead', partition: 0 },
      { topic: 'leaderless', partition: 0 },
    ]

    for (const v of [16, 17]) {
      it(`v${v}: NOT_LEADER_OR_FOLLOWER partitions name their leader; live leaders listed by id`, async () => {
        const res = await fetch(req(v, everything), v)
        assert.equal(res.errorCode, ErrorCode.NONE)
        const NL = ErrorCode.NOT_LEADER_OR_FOLLOWER
        assert.deepEqual(
          byPartition(res),
          new Map([
            ['away-0', [NL, leader(4, 11)]],
            ['mine-0', [ErrorCode.NONE, NONE]],
            ['away-1', [NL, leader(2, 12)]],
            // A consumer fetch v11+ is served by a follower (KIP-392), as Kafka does.
            ['follow-0', [ErrorCode.NONE, NONE]],
            ['dead-0', [NL, leader(3, 7)]],
            ['leaderless-0', [NL, leader(-1, 9)]],
          ]),
        )
        assert.deepEqual(res.nodeEndpoints, [endpoint(2, 'b2', 9092, 'r2'), endpoint(4, 'b4', 9094, 'r4')])
      })
    }

    it('FENCED_LEADER_EPOCH names the leader (here: this broker); UNKNOWN_LEADER_EPOCH does not', async () => {
      const fenced = await fetch(req(17, [{ topic: 'mine', partition: 0, currentLeaderEpoch: 4 }]), 17)
      assert.deepEqual(byPartition(fenced).get('mine-0'), [ErrorCode.FENCED_LEADER_EPOCH, leader(1, 5)])
      assert.deepEqual(fenced.nodeEndpoints, [endpoint(1, 'b1', 9091, null)])
      const future = await fetch(req(17, [{ topic: 'mine', partition: 0, currentLeaderEpoch: 6 }]), 17)
      assert.deepEqual(byPartition(future).get('mine-0'), [ErrorCode.UNKNOWN_LEADER_EPOCH, NONE])
      assert.deepEqual(future.nodeEndpoints, [])
    })

    it('lists endpoints of the listener the request came in on', async () => {
      const res = await fetch(req(16, everything), 16, 'INTERNAL')
      assert.deepEqual(res.nodeEndpoints, [endpoint(2, 'b2-int', 19092, 'r2')])
      assert.deepEqual(byPartition(res).get('away-0'), [ErrorCode.NOT_LEADER_OR_FOLLOWER, leader(4, 11)])
    })

    it('v4-15 carry no hint (v12-15 have currentLeader, left at -1/-1 as Kafka does)', async () => {
      for (let v = 4; v <= 15; v++) {
        const res = await fetch(req(v, everything), v)
        assert.deepEqual(res.nodeEndpoints, [])
        for (const [key, [code, cl]] of byPartition(res)) {
          assert.deepEqual(cl, NONE, `${key} v${v}`)
          if (key.startsWith('away')) assert.equal(code, ErrorCode.NOT_LEADER_OR_FOLLOWER, `${key} v${v}`)
        }
      }
    })

    it('an incremental session repeats the hint with the error', async () => {
      const parts = [
        { topic: 'mine', partition: 0 },
        { topic: 'away', partition: 1 },
      ]
      const full = await fetch(req(17, parts, { sessionId: 0, sessionEpoch: 0 }), 17)
      assert.ok(full.sessionId > 0)
      const next = await fetch(req(17, [], { sessionId: full.sessionId, sessionEpoch: 1 }), 17)
      assert.equal(next.errorCode, ErrorCode.NONE)
      // an error partition is always sent again, with its hint
      assert.deepEqual(byPartition(next).get('away-1'), [ErrorCode.NOT_LEADER_OR_FOLLOWER, leader(2, 12)])
      assert.deepEqual(next.nodeEndpoints, [endpoint(2, 'b2', 9092, 'r2')])
    })

    it('reads no metadata and shares the empty endpoint list when every partition is fine', async () => {
      const before = imageReads
      const raw = await fetchHandler.handle(
        context(1, 17),
        req(17, [{ topic: 'mine', partition: 0 }]),
        services,
      )
      assert.ok(raw !== null)
      assert.equal(raw.errorCode, ErrorCode.NONE)
      assert.equal(raw.nodeEndpoints, NO_ENDPOINTS)
      assert.equal(imageReads, before)
    })
  })
})
