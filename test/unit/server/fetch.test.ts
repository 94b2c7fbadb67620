import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type TopicName, type Uuid, ZERO_UUID } from '../../../src/common/ids.ts'
import { encodeResponseFrameChunks } from '../../../src/protocol/frame.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  type FetchRequest,
  type FetchResponse,
  fetchRequestCodec,
  fetchResponseCodec,
} from '../../../src/protocol/generated/messages/fetch.ts'
import type { ProduceRequest } from '../../../src/protocol/generated/messages/produce.ts'
import { fetchHandler } from '../../../src/server/handlers/fetch.ts'
import { produceHandler } from '../../../src/server/handlers/produce.ts'
import { batch, ctx, type Env, recordsIn, roundTrip, startEnv, tick } from '../replication/helpers.ts'

interface PartSpec {
  topic: string
  partition?: number
  offset: bigint
  maxBytes?: number
  currentLeaderEpoch?: number
  lastFetchedEpoch?: number
  topicId?: Uuid
}

function fetchReq(
  env: Env,
  parts: PartSpec[],
  o: Partial<
    Pick<
      FetchRequest,
      'maxWaitMs' | 'minBytes' | 'maxBytes' | 'isolationLevel' | 'sessionId' | 'sessionEpoch'
    >
  > & {
    version?: number
    forget?: PartSpec[]
  } = {},
): FetchRequest {
  const v = o.version ?? 12
  const topics: FetchRequest['topics'] = []
  for (const p of parts) {
    const topicId = p.topicId ?? env.topics.get(p.topic)?.topicId ?? ZERO_UUID
    let t = topics.find((x) => x.topic === p.topic)
    if (t === undefined) {
      t = { topic: p.topic as TopicName, topicId, partitions: [] }
      topics.push(t)
    }
    t.partitions.push({
      partition: p.partition ?? 0,
      currentLeaderEpoch: p.currentLeaderEpoch ?? -1,
      fetchOffset: p.offset,
      lastFetchedEpoch: p.lastFetchedEpoch ?? -1,
      logStartOffset: -1n,
      partitionMaxBytes: p.maxBytes ?? 1 << 20,
      replicaDirectoryId: ZERO_UUID,
    })
  }
  return {
    ...fetchRequestCodec.defaults(v),
    maxWaitMs: o.maxWaitMs ?? 0,
    minBytes: o.minBytes ?? 1,
    maxBytes: o.maxBytes ?? 50 << 20,
    isolationLevel: o.isolationLevel ?? 0,
    sessionId: o.sessionId ?? 0,
    sessionEpoch: o.sessionEpoch ?? -1,
    topics,
    forgottenTopicsData: (o.forget ?? []).map((f) => ({
      topic: f.topic as TopicName,
      topicId: env.topics.get(f.topic)?.topicId ?? ZERO_UUID,
      partitions: [f.partition ?? 0],
    })),
  }
}

function fetch(env: Env, req: FetchRequest, version = 12): Promise<FetchResponse> {
  return Promise.resolve(fetchHandler.handle(ctx(1, version), req, env.services)).then((r) =>
    roundTrip(fetchResponseCodec, r!, version),
  )
}

async function produce(env: Env, topic: string, records: Buffer, partition = 0) {
  const req: ProduceRequest = {
    transactionalId: null,
    acks: 1,
    timeoutMs: 1000,
    topicData: [{ name: topic as TopicName, partitionData: [{ index: partition, records }] }],
  }
  const res = await produceHandler.handle(ctx(0, 9), req, env.services)
  const p = res!.responses[0].partitionResponses[0]
  assert.equal(p.errorCode, ErrorCode.NONE)
  return p.baseOffset
}

/** Tracks whether a promise settled, without awaiting it. */
function watch<T>(p: Promise<T>) {
  const w = { settled: false, value: undefined as T | undefined, promise: p }
  p.then((v) => {
    w.settled = true
    w.value = v
  })
  return w
}

const only = (res: FetchResponse) => res.responses[0].partitions[0]

describe('Fetch handler', () => {
  let env: Env
  before(async () => {
    env = await startEnv()
    await env.setTopics({ name: 'a', partitions: 2 }, { name: 'b' }, { name: 'epochs', leaderEpoch: 5 })
  })
  after(() => env.stop())

  it('long-polls until an append brings data, then answers at once', async () => {
    const from = env.rm.partition('a', 0)!.log.logEndOffset
    const w = watch(fetch(env, fetchReq(env, [{ topic: 'a', offset: from }], { maxWaitMs: 30_000 })))
    for (let i = 0; i < 5; i++) await tick()
    assert.equal(w.settled, false)
    await produce(env, 'a', batch(2, { tag: 'wake' }))
    const res = await w.promise
    const recs = recordsIn(only(res).records!)
    assert.deepEqual(
      recs.map((r) => r.value),
      ['wake-0', 'wake-1'],
    )
  })

  it('answers empty when max.wait.ms passes without data', async () => {
    const from = env.rm.partition('a', 0)!.log.logEndOffset
    const w = watch(fetch(env, fetchReq(env, [{ topic: 'a', offset: from }], { maxWaitMs: 500 })))
    for (let i = 0; i < 5; i++) await tick()
    env.clock.advance(499)
    await tick()
    assert.equal(w.settled, false)
    env.clock.advance(1)
    const res = await w.promise
    assert.equal(only(res).errorCode, ErrorCode.NONE)
    assert.equal(only(res).records!.length, 0)
    assert.equal(only(res).highWatermark, from)
  })

  it('waits for min.bytes across appends', async () => {
    const from = env.rm.partition('a', 1)!.log.logEndOffset
    const one = batch(1, { valueBytes: 100 })
    const w = watch(
      fetch(
        env,
        fetchReq(env, [{ topic: 'a', partition: 1, offset: from }], {
          maxWaitMs: 30_000,
          minBytes: one.length * 3,
        }),
      ),
    )
    await produce(env, 'a', Buffer.from(one), 1)
    await produce(env, 'a', Buffer.from(one), 1)
    for (let i = 0; i < 5; i++) await tick()
    assert.equal(w.settled, false)
    await produce(env, 'a', Buffer.from(one), 1)
    const res = await w.promise
    assert.equal(recordsIn(only(res).records!).length, 3)
  })

  it('returns the first batch whole even beyond max.bytes, then respects the limits', async () => {
    const from = env.rm.partition('b', 0)!.log.logEndOffset
    const big = batch(3, { valueBytes: 1000 })
    const size = big.length
    for (let i = 0; i < 3; i++) await produce(env, 'b', batch(3, { valueBytes: 1000 }))
    const tiny = await fetch(env, fetchReq(env, [{ topic: 'b', offset: from }], { maxBytes: 10 }))
    assert.equal(only(tiny).records!.length, size)
    const partLimited = await fetch(
      env,
      fetchReq(env, [{ topic: 'b', offset: from, maxBytes: size + size / 2 }]),
    )
    assert.equal(only(partLimited).records!.length, size)
    const two = await fetch(env, fetchReq(env, [{ topic: 'b', offset: from, maxBytes: 2 * size }]))
    assert.equal(only(two).records!.length, 2 * size)
    // Two partitions, max.bytes used up by the first: the second gets nothing but its offsets.
    await produce(env, 'a', batch(1))
    const both = await fetch(
      env,
      fetchReq(
        env,
        [
          { topic: 'b', offset: from },
          { topic: 'a', offset: 0n },
        ],
        { maxBytes: size },
      ),
    )
    assert.equal(both.responses[0].partitions[0].records!.length, size)
    assert.equal(both.responses[1].partitions[0].records!.length, 0)
    assert.ok(both.responses[1].partitions[0].highWatermark > 0n)
  })

  it('reads partitions together when max.bytes cannot bind, keeping the first-batch rule', async () => {
    // Partition limits summing below max.bytes: the reads run at once. The first partition with a
    // next batch too large for its limit still gets it whole when no partition before it had
    // data, and only then (as in the one-by-one read).
    await env.setTopics({ name: 'par', partitions: 3 })
    const big = batch(2, { valueBytes: 2000 })
    const small = batch(1, { valueBytes: 10 })
    await produce(env, 'par', big, 1)
    await produce(env, 'par', small, 2)
    const limit = Math.floor(big.length / 2)
    const parts = (first: number) =>
      [first, 1, 2].map((partition) => ({ topic: 'par', partition, offset: 0n, maxBytes: limit }))
    // p0 empty, p1 oversized, p2 small: p1 whole, p2 too.
    const a = await fetch(env, fetchReq(env, parts(0)))
    const sizes = (r: FetchResponse) => r.responses[0].partitions.map((p) => p.records?.length ?? 0)
    assert.deepEqual(sizes(a), [0, big.length, small.length])
    // p2 first (it has data), then p1: p1 may not exceed its limit.
    const b = await fetch(
      env,
      fetchReq(env, [
        { topic: 'par', partition: 2, offset: 0n, maxBytes: limit },
        { topic: 'par', partition: 1, offset: 0n, maxBytes: limit },
      ]),
    )
    assert.deepEqual(sizes(b), [small.length, 0])
    // The same requests with max.bytes binding (read one by one) answer the same.
    const c = await fetch(env, fetchReq(env, parts(0), { maxBytes: 3 * limit - 1 }))
    assert.deepEqual(sizes(c), sizes(a))
  })

  it('splices record bytes into the response frame instead of copying them', async () => {
    const from = env.rm.partition('b', 0)!.log.logEndOffset
    await produce(env, 'b', batch(10, { valueBytes: 2000 }))
    const res = (await fetchHandler.handle(
      ctx(1, 12),
      fetchReq(env, [{ topic: 'b', offset: from }]),
      env.services,
    ))!
    const records = res.responses[0].partitions[0].records!
    const chunks = encodeResponseFrameChunks(fetchResponseCodec, res, 12, 7)
    assert.ok(chunks.some((c) => c === records))
  })

  it('OFFSET_OUT_OF_RANGE beyond the log end, with unknown offsets', async () => {
    const leo = env.rm.partition('b', 0)!.log.logEndOffset
    const p = only(await fetch(env, fetchReq(env, [{ topic: 'b', offset: leo + 1n }], { maxWaitMs: 1000 })))
    assert.equal(p.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE)
    assert.equal(p.highWatermark, -1n)
    assert.equal(p.records!.length, 0)
  })

  it('unknown topics by name (v12) and by id (v13+)', async () => {
    const byName = only(await fetch(env, fetchReq(env, [{ topic: 'nope', offset: 0n }])))
    assert.equal(byName.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    const unknownId = 'AAAAAAAAAAAAAAAAAAAAAQ' as Uuid
    const res = await fetch(
      env,
      fetchReq(env, [{ topic: 'x', offset: 0n, topicId: unknownId }], { version: 13 }),
      13,
    )
    assert.equal(res.responses[0].topicId, unknownId)
    assert.equal(only(res).errorCode, ErrorCode.UNKNOWN_TOPIC_ID)
    const known = await fetch(env, fetchReq(env, [{ topic: 'b', offset: 0n }], { version: 17 }), 17)
    assert.equal(known.responses[0].topicId, env.topics.get('b')!.topicId)
    assert.ok(recordsIn(only(known).records!).length > 0)
  })

  it('fences stale and future leader epochs; reports a diverging epoch', async () => {
    await produce(env, 'epochs', batch(2))
    const fenced = only(
      await fetch(env, fetchReq(env, [{ topic: 'epochs', offset: 0n, currentLeaderEpoch: 4 }])),
    )
    assert.equal(fenced.errorCode, ErrorCode.FENCED_LEADER_EPOCH)
    const future = only(
      await fetch(env, fetchReq(env, [{ topic: 'epochs', offset: 0n, currentLeaderEpoch: 6 }])),
    )
    assert.equal(future.errorCode, ErrorCode.UNKNOWN_LEADER_EPOCH)
    const ok = only(await fetch(env, fetchReq(env, [{ topic: 'epochs', offset: 0n, currentLeaderEpoch: 5 }])))
    assert.equal(ok.errorCode, ErrorCode.NONE)
    assert.equal(recordsIn(ok.records!).length, 2)
    // The log holds epoch 5 from offset 0: a fetcher that last saw epoch 3 at offset 2 diverged at 0.
    const diverging = only(
      await fetch(
        env,
        fetchReq(env, [{ topic: 'epochs', offset: 2n, lastFetchedEpoch: 3 }], { maxWaitMs: 5000 }),
      ),
    )
    assert.equal(diverging.errorCode, ErrorCode.NONE)
    assert.deepEqual(diverging.divergingEpoch, { epoch: 3, endOffset: 0n })
    assert.equal(diverging.records!.length, 0)
    const same = only(await fetch(env, fetchReq(env, [{ topic: 'epochs', offset: 2n, lastFetchedEpoch: 5 }])))
    assert.deepEqual(same.divergingEpoch, { epoch: -1, endOffset: -1n })
  })

  it('versions below the floor get an encodable UNSUPPORTED_VERSION answer', () => {
    for (let v = 0; v < 4; v++) {
      const res = fetchHandler.errorResponse!(
        fetchReq(env, [{ topic: 'b', offset: 0n }], { version: 3 }),
        v,
        35,
      )
      const back = roundTrip(fetchResponseCodec, res, v)
      assert.equal(back.responses[0].partitions[0].errorCode, ErrorCode.UNSUPPORTED_VERSION)
    }
  })

  it('read_committed reads to the last stable offset and lists no aborted transactions', async () => {
    const res = only(await fetch(env, fetchReq(env, [{ topic: 'b', offset: 0n }], { isolationLevel: 1 })))
    assert.deepEqual(res.abortedTransactions, [])
    assert.equal(res.lastStableOffset, res.highWatermark)
    const unc = only(await fetch(env, fetchReq(env, [{ topic: 'b', offset: 0n }], { isolationLevel: 0 })))
    assert.equal(unc.abortedTransactions, null)
  })
})

describe('Fetch handler: sessions', () => {
  let env: Env
  before(async () => {
    env = await startEnv()
    await env.setTopics({ name: 's', partitions: 3 })
  })
  after(() => env.stop())

  it('full, then incremental fetches carry only partitions with news', async () => {
    await produce(env, 's', batch(1), 0)
    const full = await fetch(
      env,
      fetchReq(
        env,
        [
          { topic: 's', partition: 0, offset: 0n },
          { topic: 's', partition: 1, offset: 0n },
        ],
        { sessionEpoch: 0 },
      ),
    )
    assert.equal(full.errorCode, ErrorCode.NONE)
    assert.notEqual(full.sessionId, 0)
    assert.equal(full.responses[0].partitions.length, 2)
    const id = full.sessionId

    // The client moves partition 0 past what it got; nothing new: an empty incremental answer.
    const quiet = await fetch(
      env,
      fetchReq(env, [{ topic: 's', partition: 0, offset: 1n }], { sessionId: id, sessionEpoch: 1 }),
    )
    assert.equal(quiet.sessionId, id)
    assert.equal(quiet.responses.length, 0)

    // Partition 1 gets data.
    await produce(env, 's', batch(2, { tag: 'p1' }), 1)
    const inc = await fetch(env, fetchReq(env, [], { sessionId: id, sessionEpoch: 2 }))
    assert.deepEqual(
      inc.responses.flatMap((t) => t.partitions.map((p) => p.partitionIndex)),
      [1],
    )
    assert.equal(recordsIn(inc.responses[0].partitions[0].records!)[0].value, 'p1-0')

    // Add partition 2, forget partition 1.
    const add = await fetch(
      env,
      fetchReq(env, [{ topic: 's', partition: 2, offset: 0n }], {
        sessionId: id,
        sessionEpoch: 3,
        forget: [{ topic: 's', partition: 1, offset: 0n }],
      }),
    )
    assert.deepEqual(
      add.responses.flatMap((t) => t.partitions.map((p) => p.partitionIndex)),
      [2],
    )
    assert.deepEqual(
      env.fetchSessions
        .sessionPartitions(id)
        .map((p) => p.partition)
        .sort(),
      [0, 2],
    )

    // A replayed epoch and an unknown id are session errors.
    const stale = await fetch(env, fetchReq(env, [], { sessionId: id, sessionEpoch: 3 }))
    assert.equal(stale.errorCode, ErrorCode.INVALID_FETCH_SESSION_EPOCH)
    assert.equal(stale.responses.length, 0)
    const unknown = await fetch(env, fetchReq(env, [], { sessionId: id + 1, sessionEpoch: 1 }))
    assert.equal(unknown.errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND)

    // Closing the session: epoch -1 with the id.
    const closed = await fetch(
      env,
      fetchReq(env, [{ topic: 's', offset: 0n }], { sessionId: id, sessionEpoch: -1 }),
    )
    assert.equal(closed.sessionId, 0)
    assert.equal(env.fetchSessions.has(id), false)
  })

  it('an incremental fetch long-polls on every session partition', async () => {
    const full = await fetch(
      env,
      fetchReq(env, [{ topic: 's', partition: 2, offset: env.rm.partition('s', 2)!.log.logEndOffset }], {
        sessionEpoch: 0,
      }),
    )
    const w = watch(
      fetch(env, fetchReq(env, [], { sessionId: full.sessionId, sessionEpoch: 1, maxWaitMs: 30_000 })),
    )
    for (let i = 0; i < 5; i++) await tick()
    assert.equal(w.settled, false)
    await produce(env, 's', batch(1, { tag: 'late' }), 2)
    const res = await w.promise
    assert.equal(recordsIn(res.responses[0].partitions[0].records!)[0].value, 'late-0')
  })

  it('a session created with topic ids refuses an older version', async () => {
    const full = await fetch(
      env,
      fetchReq(env, [{ topic: 's', offset: 0n }], { sessionEpoch: 0, version: 13 }),
      13,
    )
    assert.notEqual(full.sessionId, 0)
    const res = await fetch(
      env,
      fetchReq(env, [], { sessionId: full.sessionId, sessionEpoch: 1, version: 12 }),
    )
    assert.equal(res.errorCode, ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR)
  })
})
