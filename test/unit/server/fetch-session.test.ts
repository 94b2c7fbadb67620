import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ManualClock } from '../../../src/common/clock.ts'
import { ZERO_UUID } from '../../../src/common/ids.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  FetchSessionCache,
  nextEpoch,
  type SessionPartition,
  type SessionPartitionAnswer,
} from '../../../src/server/fetch-session.ts'

const part = (partition: number, fetchOffset = 0n, topic = 't'): SessionPartition => ({
  topic,
  topicId: ZERO_UUID,
  partition,
  fetchOffset,
  logStartOffset: -1n,
  partitionMaxBytes: 1000,
  currentLeaderEpoch: -1,
  lastFetchedEpoch: -1,
})

const answer = (hw: bigint, records = 0, errorCode = 0): SessionPartitionAnswer => ({
  errorCode,
  highWatermark: hw,
  logStartOffset: 0n,
  records: { length: records },
  divergingEpoch: null,
})

function open(cache: FetchSessionCache, parts: SessionPartition[], isFollower = false): number {
  const c = cache.newContext({
    version: 12,
    sessionId: 0,
    sessionEpoch: 0,
    partitions: parts,
    forgotten: [],
    isFollower,
  })
  return c.complete(c.partitions.map(() => answer(0n))).sessionId
}

describe('FetchSessionCache', () => {
  it('epochs start at 1 and wrap to 1', () => {
    assert.equal(nextEpoch(0), 1)
    assert.equal(nextEpoch(2147483647), 1)
    assert.equal(nextEpoch(-1), -1)
  })

  it('an incremental context reads every session partition and answers only news', () => {
    const cache = new FetchSessionCache({ clock: new ManualClock(), random: () => 0.5 })
    const id = open(cache, [part(0), part(1), part(2)])
    assert.notEqual(id, 0)
    const c = cache.newContext({
      version: 12,
      sessionId: id,
      sessionEpoch: 1,
      partitions: [],
      forgotten: [],
      isFollower: false,
    })
    assert.deepEqual(
      c.partitions.map((p) => p.partition),
      [0, 1, 2],
    )
    const done = c.complete([answer(0n), answer(5n), answer(0n, 0, ErrorCode.NOT_LEADER_OR_FOLLOWER)])
    assert.deepEqual(done.include, [false, true, true])
    // Partitions that returned records move to the end of the session (fair rotation).
    const c2 = cache.newContext({
      version: 12,
      sessionId: id,
      sessionEpoch: 2,
      partitions: [],
      forgotten: [],
      isFollower: false,
    })
    c2.complete([answer(0n, 100), answer(5n), answer(-1n)])
    const c3 = cache.newContext({
      version: 12,
      sessionId: id,
      sessionEpoch: 3,
      partitions: [],
      forgotten: [],
      isFollower: false,
    })
    assert.deepEqual(
      c3.partitions.map((p) => p.partition),
      [1, 2, 0],
    )
  })

  it('keeps its fetch order across added, changed, forgotten and rotated partitions', () => {
    const cache = new FetchSessionCache({ clock: new ManualClock(), random: () => 0.5 })
    const id = open(cache, [part(0), part(1), part(2), part(3)])
    let epoch = 1
    const next = (partitions: SessionPartition[] = [], forgotten: { partition: number }[] = []) =>
      cache.newContext({
        version: 12,
        sessionId: id,
        sessionEpoch: epoch++,
        partitions,
        forgotten: forgotten.map((f) => ({ topic: 't', topicId: ZERO_UUID, partition: f.partition })),
        isFollower: false,
      })
    const order = (c: { partitions: readonly SessionPartition[] }) => c.partitions.map((p) => p.partition)
    // Two partitions with records go to the end in their order; the last one with records stays.
    let c = next()
    c.complete([answer(0n), answer(0n, 10), answer(0n), answer(0n, 10)])
    c = next()
    assert.deepEqual(order(c), [0, 2, 1, 3])
    c.complete([answer(0n, 10), answer(0n), answer(0n), answer(0n)])
    // A changed request keeps its place and is what the next context reads.
    c = next([part(1, 42n)])
    assert.deepEqual(order(c), [2, 1, 3, 0])
    assert.equal(c.partitions[1]!.fetchOffset, 42n)
    c.complete([answer(0n), answer(0n), answer(0n), answer(0n)])
    // Added partitions go last; forgetting the last one and rotating still keeps every partition once.
    c = next([part(4)], [{ partition: 0 }])
    assert.deepEqual(order(c), [2, 1, 3, 4])
    c.complete([answer(0n), answer(0n), answer(0n, 10), answer(0n)])
    c = next()
    assert.deepEqual(order(c), [2, 1, 4, 3])
    c.complete([answer(0n), answer(0n), answer(0n), answer(0n, 10)])
    assert.deepEqual(order(next()), [2, 1, 4, 3])
  })

  it('a request overtaken by another of the same session gets INVALID_FETCH_SESSION_EPOCH', () => {
    const cache = new FetchSessionCache({ clock: new ManualClock() })
    const id = open(cache, [part(0)])
    const slow = cache.newContext({
      version: 12,
      sessionId: id,
      sessionEpoch: 1,
      partitions: [],
      forgotten: [],
      isFollower: false,
    })
    const fast = cache.newContext({
      version: 12,
      sessionId: id,
      sessionEpoch: 2,
      partitions: [],
      forgotten: [],
      isFollower: false,
    })
    assert.equal(fast.complete([answer(0n)]).errorCode, ErrorCode.NONE)
    assert.equal(slow.complete([answer(0n)]).errorCode, ErrorCode.INVALID_FETCH_SESSION_EPOCH)
  })

  it('removing the last partition closes the session', () => {
    const cache = new FetchSessionCache({ clock: new ManualClock() })
    const id = open(cache, [part(0)])
    const c = cache.newContext({
      version: 12,
      sessionId: id,
      sessionEpoch: 1,
      partitions: [],
      forgotten: [{ topic: 't', topicId: ZERO_UUID, partition: 0 }],
      isFollower: false,
    })
    assert.equal(c.complete([]).sessionId, 0)
    assert.equal(cache.has(id), false)
  })

  it('is bounded: a full cache evicts stale sessions, then smaller old ones, else refuses', () => {
    const clock = new ManualClock()
    const cache = new FetchSessionCache({ clock, maxEntries: 2, evictionMs: 1000 })
    const a = open(cache, [part(0)])
    clock.advance(10)
    const b = open(cache, [part(0), part(1), part(2)])
    // Full, nothing old enough to evict: no session for the newcomer.
    assert.equal(open(cache, [part(0), part(1), part(2), part(3)]), 0)
    assert.equal(cache.size, 2)
    // Keep b in use; a goes stale and is evicted first.
    clock.advance(1200)
    cache.newContext({
      version: 12,
      sessionId: b,
      sessionEpoch: 1,
      partitions: [],
      forgotten: [],
      isFollower: false,
    })
    const c = open(cache, [part(0)])
    assert.notEqual(c, 0)
    assert.equal(cache.has(a), false)
    assert.ok(cache.has(b))
    // b is old (created > evictionMs ago) and larger than a one-partition newcomer: it stays.
    assert.equal(open(cache, [part(0)]), 0)
    // A bigger newcomer takes the slot of the old, smaller b (c is too young to be evicted).
    const d = open(cache, [part(0), part(1), part(2), part(3)])
    assert.notEqual(d, 0)
    assert.equal(cache.has(b), false)
    assert.equal(cache.size, 2)
    assert.equal(cache.evictions, 2)
  })
})
