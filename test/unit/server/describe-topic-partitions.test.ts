// DescribeTopicPartitions (KIP-966): the broker's paging against Kafka's rules (sorted topics, the
// cursor, the limit capped by max.request.partition.size.limit, NextCursor when partitions were left
// out), and kafka-topics.sh's pager driving the real handler: every partition once, in order, in
// the number of requests the limit implies.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { loadKafka } from '../../../src/cli/common/kafka.ts'
import { describeByPages, type PageRequest } from '../../../src/cli/topics/describe-pages.ts'
import { guideSpelling, parseTopicOptions } from '../../../src/cli/topics/options.ts'
import { describePartitionPages } from '../../../src/cli/topics/run.ts'
import type { TopicName, Uuid } from '../../../src/common/ids.ts'
import { ZERO_UUID } from '../../../src/common/ids.ts'
import type { MetadataImage, PartitionImage, TopicImage } from '../../../src/metadata/image.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  type DescribeTopicPartitionsRequest,
  type DescribeTopicPartitionsResponse,
  describeTopicPartitionsRequestCodec,
  describeTopicPartitionsResponseCodec,
} from '../../../src/protocol/generated/messages/describe-topic-partitions.ts'
import {
  describePage,
  describeTopicPartitionsHandler,
} from '../../../src/server/handlers/describe-topic-partitions.ts'
import { ctx, fixture, NODE_ID, request, wire } from './admin-fixtures.ts'

const API = 75

function image(
  sizes: Record<string, number>,
  leaderOf: (t: string, p: number) => number = () => 1,
): MetadataImage {
  const topics = new Map<string, TopicImage>()
  const byId = new Map<Uuid, TopicImage>()
  let n = 0
  for (const [name, count] of Object.entries(sizes)) {
    const partitions: PartitionImage[] = []
    for (let p = 0; p < count; p++)
      partitions.push({
        partition: p,
        leader: leaderOf(name, p),
        leaderEpoch: 3,
        partitionEpoch: 0,
        replicas: [1, 2],
        isr: [1],
        offlineReplicas: [2],
      })
    const topicId = `00000000-0000-0000-0000-${String(++n).padStart(12, '0')}` as Uuid
    const t: TopicImage = {
      name: name as TopicName,
      topicId,
      internal: false,
      partitions,
      configs: new Map(),
    }
    topics.set(name, t)
    byId.set(topicId, t)
  }
  const broker = { id: 1, host: 'h', port: 1, rack: null, endpoints: [] }
  return {
    version: 1,
    clusterId: 'c',
    controllerId: 1,
    brokers: new Map([[1, broker]]),
    topics,
    topicsById: byId,
    brokerConfigs: { clusterDefault: new Map(), perBroker: new Map() },
  }
}

const req = (
  topics: string[],
  limit: number,
  cursor: [string, number] | null = null,
): DescribeTopicPartitionsRequest => ({
  topics: topics.map((name) => ({ name: name as TopicName })),
  responsePartitionLimit: limit,
  cursor: cursor === null ? null : { topicName: cursor[0] as TopicName, partitionIndex: cursor[1] },
})

const LIVE = new Set([1])

/** [topic, [partition indexes]] per answered topic, plus the next cursor. */
function shape(res: DescribeTopicPartitionsResponse | null) {
  assert.ok(res)
  return {
    topics: res.topics.map((t) => [t.name, t.errorCode, t.partitions.map((p) => p.partitionIndex)]),
    next: res.nextCursor === null ? null : [res.nextCursor.topicName, res.nextCursor.partitionIndex],
  }
}

describe('DescribeTopicPartitions: one page', () => {
  const img = image({ b: 3, a: 2, c: 4 })

  it('answers every topic, sorted, for an empty list; listed ones sorted, duplicates once', () => {
    assert.deepEqual(shape(describePage(img, req([], 100), LIVE, 2000)), {
      topics: [
        ['a', 0, [0, 1]],
        ['b', 0, [0, 1, 2]],
        ['c', 0, [0, 1, 2, 3]],
      ],
      next: null,
    })
    assert.deepEqual(shape(describePage(img, req(['c', 'a', 'c'], 100), LIVE, 2000)).topics, [
      ['a', 0, [0, 1]],
      ['c', 0, [0, 1, 2, 3]],
    ])
  })

  it('answers an unknown listed topic UNKNOWN_TOPIC_OR_PARTITION (an illegal name INVALID_TOPIC) with no partitions', () => {
    const res = describePage(img, req(['a', 'nope', 'bad/name'], 100), LIVE, 2000)
    assert.deepEqual(shape(res).topics, [
      ['a', 0, [0, 1]],
      ['bad/name', ErrorCode.INVALID_TOPIC_EXCEPTION, []],
      ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, []],
    ])
    assert.equal(res!.topics[2]!.topicId, ZERO_UUID)
  })

  it('stops inside a topic with NextCursor at the first partition left out', () => {
    assert.deepEqual(shape(describePage(img, req([], 4), LIVE, 2000)), {
      topics: [
        ['a', 0, [0, 1]],
        ['b', 0, [0, 1]],
      ],
      next: ['b', 2],
    })
    // The cursor starts its own topic; the topics after it start at 0.
    assert.deepEqual(shape(describePage(img, req([], 4, ['b', 2]), LIVE, 2000)), {
      topics: [
        ['b', 0, [2]],
        ['c', 0, [0, 1, 2]],
      ],
      next: ['c', 3],
    })
  })

  it('points NextCursor at the next topic when the limit ends exactly at a topic end', () => {
    assert.deepEqual(shape(describePage(img, req([], 5), LIVE, 2000)), {
      topics: [
        ['a', 0, [0, 1]],
        ['b', 0, [0, 1, 2]],
      ],
      next: ['c', 0],
    })
    // ... also when that topic does not exist; and none after the last topic.
    assert.deepEqual(shape(describePage(img, req(['a', 'zz'], 2), LIVE, 2000)).next, ['zz', 0])
    assert.deepEqual(shape(describePage(img, req(['b', 'c'], 7), LIVE, 2000)).next, null)
  })

  it('caps the limit by max.request.partition.size.limit and raises it to at least 1', () => {
    assert.deepEqual(shape(describePage(img, req([], 2000), LIVE, 3)).next, ['b', 1])
    assert.deepEqual(shape(describePage(img, req([], 0), LIVE, 2000)), {
      topics: [['a', 0, [0]]],
      next: ['a', 1],
    })
  })

  it('refuses a cursor whose topic is not among the topics, or with a negative partition', () => {
    assert.equal(describePage(img, req(['a', 'c'], 10, ['b', 0]), LIVE, 2000), null)
    assert.equal(describePage(img, req([], 10, ['nope', 0]), LIVE, 2000), null)
    assert.equal(describePage(img, req(['a'], 10, ['a', -1]), LIVE, 2000), null)
    // A cursor past the end of its topic is no error: the topic comes back without partitions.
    assert.deepEqual(shape(describePage(img, req(['a', 'b'], 10, ['a', 9]), LIVE, 2000)).topics, [
      ['a', 0, []],
      ['b', 0, [0, 1, 2]],
    ])
  })

  it('answers leader -1 for a leader that is not live, no partition error, empty ELR lists', () => {
    const img2 = image({ t: 2 }, (_t, p) => (p === 0 ? 1 : 7))
    const [p0, p1] = describePage(img2, req(['t'], 10), LIVE, 2000)!.topics[0]!.partitions
    assert.deepEqual(
      [p0!.leaderId, p0!.leaderEpoch, p0!.replicaNodes, p0!.isrNodes, p0!.offlineReplicas],
      [1, 3, [1, 2], [1], [2]],
    )
    assert.equal(p1!.leaderId, -1)
    assert.equal(p1!.errorCode, ErrorCode.NONE)
    assert.deepEqual([p1!.eligibleLeaderReplicas, p1!.lastKnownElr], [[], []])
  })
})

describe('DescribeTopicPartitions: handler', () => {
  it('serves v0 from the store with the broker limit, and INVALID_REQUEST for a bad cursor', async () => {
    const f = await fixture({ 'max.request.partition.size.limit': 2 })
    await f.store.createTopics([{ name: 'orders', numPartitions: 3, replicationFactor: 1 }])
    const call = async (fields: Partial<DescribeTopicPartitionsRequest>) => {
      const r = request(describeTopicPartitionsRequestCodec, fields, 0)
      const res = await describeTopicPartitionsHandler.handle(ctx(API, 0), r, f.services)
      assert.ok(res)
      return wire(describeTopicPartitionsResponseCodec, res, 0)
    }
    const res = await call({ topics: [{ name: 'orders' as TopicName }] })
    assert.deepEqual(shape(res), { topics: [['orders', 0, [0, 1]]], next: ['orders', 2] })
    assert.equal(res.topics[0]!.partitions[0]!.leaderId, NODE_ID)
    assert.equal(res.topics[0]!.topicId, f.store.image().topics.get('orders')!.topicId)
    const bad = await call({
      topics: [{ name: 'orders' as TopicName }],
      cursor: { topicName: 'other' as TopicName, partitionIndex: 0 },
    })
    assert.deepEqual(shape(bad), { topics: [['orders', ErrorCode.INVALID_REQUEST, []]], next: null })
  })
})

/** kafka-topics.sh's pager talking to the broker's page function. */
function pagerOver(img: MetadataImage, brokerLimit = 2000) {
  const sent: PageRequest[] = []
  const send = async (r: PageRequest) => {
    sent.push(r)
    const res = describePage(
      img,
      req(r.topics, r.limit, r.cursor && [r.cursor.topicName, r.cursor.partitionIndex]),
      LIVE,
      brokerLimit,
    )
    assert.ok(res, `refused: ${JSON.stringify(r)}`)
    return {
      topics: res.topics.map((t) => ({ ...t, name: t.name as string | null, topicId: t.topicId as string })),
      nextCursor: res.nextCursor,
    }
  }
  return { sent, send }
}

describe('kafka-topics.sh --describe paging', () => {
  it('reads 2,000 partitions with a limit of 500 in 4 requests, each partition once, in order', async () => {
    const img = image({ big: 2000 })
    const { sent, send } = pagerOver(img)
    const r = await describeByPages(send, ['big'], 500)
    assert.equal(r.requests, 4)
    assert.deepEqual(
      sent.map((s) => s.cursor?.partitionIndex ?? 0),
      [0, 500, 1000, 1500],
    )
    assert.deepEqual(
      r.topics.get('big')!.partitions.map((p) => p.partitionIndex),
      Array.from({ length: 2000 }, (_, i) => i),
    )
  })

  it('gathers every partition of every topic in ceil(total / limit) requests (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 60 }),
        async (sizes, limit, brokerLimit) => {
          const named = Object.fromEntries(sizes.map((s, i) => [`t${String.fromCharCode(97 + i)}`, s]))
          const { send } = pagerOver(image(named), brokerLimit)
          const r = await describeByPages(send, [...Object.keys(named), 'missing'], limit)
          const total = sizes.reduce((a, b) => a + b, 0)
          assert.equal(r.requests, Math.ceil(total / Math.min(limit, brokerLimit)))
          for (const [name, size] of Object.entries(named)) {
            assert.deepEqual(
              r.topics.get(name)!.partitions.map((p) => p.partitionIndex),
              Array.from({ length: size }, (_, i) => i),
            )
          }
          assert.deepEqual([...r.errors], [['missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]])
        },
      ),
      { numRuns: 200 },
    )
  })
})

describe('kafka-topics.sh --describe on @platformatic/kafka', () => {
  /** A client whose bootstrap broker advertises `apis` and answers API 75 from `img`. */
  async function client(apis: string[], img: MetadataImage) {
    const k = await loadKafka()
    const sent: unknown[][] = []
    const api = {
      async: async (_conn: unknown, ...args: unknown[]) => {
        sent.push(args)
        const [topics, limit, cursor] = args as [{ name: string }[], number, PageRequest['cursor']]
        const res = describePage(
          img,
          req(
            topics.map((t) => t.name),
            limit,
            cursor && [cursor.topicName, cursor.partitionIndex],
          ),
          LIVE,
          2000,
        )!
        return { ...res, topics: res.topics.map((t) => ({ ...t })) }
      },
    }
    const fake = {
      [k.kGetBootstrapConnection]: (cb: (e: Error | null, c?: unknown) => void) => cb(null, {}),
      [k.kGetApi]: (name: string, cb: (e: Error | null, a?: unknown) => void) =>
        apis.includes(name) ? cb(null, api) : cb(new k.UnsupportedApiError(`Unsupported API ${name}.`)),
    }
    return { admin: fake as unknown as Parameters<typeof describePartitionPages>[0], sent }
  }

  it('pages with the cursor when the broker advertises DescribeTopicPartitions', async () => {
    const { admin, sent } = await client(['DescribeTopicPartitions'], image({ a: 3, b: 2 }))
    const topics = await describePartitionPages(admin, ['b', 'a'], 2)
    assert.deepEqual(
      topics?.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)]),
      [
        ['a', [0, 1, 2]],
        ['b', [0, 1]],
      ],
    )
    assert.deepEqual(sent, [
      [[{ name: 'a' }, { name: 'b' }], 2, null],
      [[{ name: 'a' }, { name: 'b' }], 2, { topicName: 'a', partitionIndex: 2 }],
      [[{ name: 'b' }], 2, { topicName: 'b', partitionIndex: 1 }],
    ])
  })

  it('answers null (read Metadata instead) when the broker does not advertise it', async () => {
    const { admin, sent } = await client(['Metadata'], image({ a: 3 }))
    assert.equal(await describePartitionPages(admin, ['a'], 2000), null)
    assert.equal(sent.length, 0)
  })
})

describe('kafka-topics.sh --partition-size-limit-per-response', () => {
  it("keeps the guide's --partition 1 for --partitions and reads the limit option", () => {
    assert.deepEqual(guideSpelling(['--create', '--partition', '1', '--topic', '--partition']), [
      '--create',
      '--partitions',
      '1',
      '--topic',
      '--partition',
    ])
    const create = parseTopicOptions([
      '--create',
      '--topic',
      'q',
      '--partition=1',
      '--bootstrap-server',
      'h:1',
    ])
    assert.equal(create.opts.value('partitions'), '1')
    const describeOpts = parseTopicOptions([
      '--describe',
      '--partition-size-limit-per-response',
      '500',
      '--bootstrap-server',
      'h:1',
    ])
    assert.equal(describeOpts.opts.number('partition-size-limit-per-response'), 500)
    assert.equal(
      parseTopicOptions(['--describe', '--partition-size', '7', '--bootstrap-server', 'h:1']).opts.number(
        'partition-size-limit-per-response',
      ),
      7,
    )
  })
})
