// FetcherThread against the in-memory leader and follower: catch-up, incremental fetches,
// truncation on diverging epochs and out-of-range offsets, removal while a fetch or an append is in
// flight, errors and back-off on a manual clock. No sleeps: the loop runs on settled promises.

import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { ManualClock, settle } from '../../../../src/common/clock.ts'
import type { Uuid } from '../../../../src/common/ids.ts'
import { silentLogger } from '../../../../src/common/logger.ts'
import { ErrorCode } from '../../../../src/protocol/generated/error-codes.ts'
import type { RecordInput } from '../../../../src/records/builder.ts'
import {
  DEFAULT_FETCHER_CONFIG,
  type FetcherConfig,
} from '../../../../src/replication/fetcher/fetcher-config.ts'
import { FetcherThread } from '../../../../src/replication/fetcher/fetcher-thread.ts'
import { MockLeaderEndPoint } from '../../../../src/replication/fetcher/mock-leader-endpoint.ts'
import { StorageError, StorageErrorCode } from '../../../../src/storage/storage-error.ts'
import { MemoryFollowerLog } from './memory-follower-log.ts'

const T = 'orders'
const TID = 'b3JkZXJzb3JkZXJzb3JkZQ' as Uuid

function recs(n: number, tag: string): RecordInput[] {
  return Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `${tag}-${i}` }))
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return
    await settle(1)
  }
  assert.fail(`never happened: ${what}`)
}

function setup(t: TestContext, config: Partial<FetcherConfig> = {}) {
  const clock = new ManualClock()
  const leader = new MockLeaderEndPoint({ leaderId: 1, clock })
  const thread = new FetcherThread({
    name: 'ReplicaFetcherThread-0-1',
    endpoint: leader,
    clock,
    logger: silentLogger,
    config: { ...DEFAULT_FETCHER_CONFIG, ...config },
  })
  t.after(() => thread.stop())
  return { clock, leader, thread }
}

describe('FetcherThread', () => {
  it('catches up from an empty log, then fetches incrementally as the leader appends', async (t) => {
    const { leader, thread } = setup(t)
    leader.setPartition(T, 0, { leaderEpoch: 3, topicId: TID })
    for (let i = 0; i < 3; i++) leader.append(T, 0, recs(5, `a${i}`))
    const follower = new MemoryFollowerLog(T, 0, TID)
    thread.addPartitions([{ log: follower, leaderEpoch: 3 }])
    thread.start()
    await until(() => follower.end === 15n, 'caught up to 15')
    assert.deepEqual(follower.bytes(), leader.logBytes(T, 0))
    assert.equal(follower.highWatermark, 15n)
    assert.equal(follower.latestEpoch(), 3)
    const first = leader.fetches[0].partitions[0]
    assert.deepEqual(
      { ...first },
      {
        topic: T,
        topicId: TID,
        partition: 0,
        fetchOffset: 0n,
        lastFetchedEpoch: -1,
        currentLeaderEpoch: 3,
        logStartOffset: 0n,
        partitionMaxBytes: DEFAULT_FETCHER_CONFIG.partitionMaxBytes,
      },
    )
    assert.deepEqual(leader.fetches[0].options, { maxWaitMs: 500, minBytes: 1, maxBytes: 10_485_760 })
    // Caught up: the next fetch long-polls at the log end.
    await until(() => leader.waiting === 1, 'a long-poll at the log end')
    const polls = leader.fetches.length
    assert.equal(leader.fetches[polls - 1].partitions[0].fetchOffset, 15n)
    assert.equal(leader.fetches[polls - 1].partitions[0].lastFetchedEpoch, 3)
    leader.append(T, 0, recs(2, 'b'))
    await until(() => follower.end === 17n, 'the new batch')
    assert.deepEqual(follower.bytes(), leader.logBytes(T, 0))
    assert.equal(leader.fetches.length, polls + 1, 'the waiting fetch answered, then a new one')
    assert.deepEqual(thread.fetchState(T, 0), {
      fetchOffset: 17n,
      currentLeaderEpoch: 3,
      lastFetchedEpoch: 3,
      delayedUntil: null,
      lag: 0n,
    })
  })

  it('follows the leader high watermark and log start while no records arrive', async (t) => {
    const { leader, thread, clock } = setup(t)
    leader.setPartition(T, 0, { leaderEpoch: 0 })
    leader.append(T, 0, recs(4, 'a'), { advanceHighWatermark: false })
    leader.append(T, 0, recs(4, 'b'), { advanceHighWatermark: false })
    leader.setHighWatermark(T, 0, 0n)
    const follower = new MemoryFollowerLog(T, 0)
    thread.addPartitions([{ log: follower, leaderEpoch: 0 }])
    thread.start()
    await until(() => follower.end === 8n && leader.waiting === 1, 'caught up, polling')
    assert.equal(follower.highWatermark, 0n)
    leader.setHighWatermark(T, 0, 4n)
    // The poll returns empty after max wait; the follower's high watermark still moves.
    await clock.advanceAsync(500)
    await until(() => follower.highWatermark === 4n, 'high watermark 4')
    assert.ok(follower.calls.includes('append 0'), 'an empty append carried the high watermark')
    leader.setHighWatermark(T, 0, 8n)
    leader.setLogStartOffset(T, 0, 4n)
    await clock.advanceAsync(500)
    await until(() => follower.highWatermark === 8n && follower.start === 4n, 'hw 8, log start 4')
  })

  it('takes whole batches up to replica.fetch.max.bytes, the first one even when larger', async (t) => {
    const { leader, thread } = setup(t, { partitionMaxBytes: 10 })
    leader.setPartition(T, 0, { leaderEpoch: 0 })
    for (let i = 0; i < 3; i++) leader.append(T, 0, recs(3, `x${i}`))
    const follower = new MemoryFollowerLog(T, 0)
    thread.addPartitions([{ log: follower, leaderEpoch: 0 }])
    thread.start()
    await until(() => follower.end === 9n, 'all three batches')
    assert.deepEqual(
      leader.fetches.slice(0, 3).map((f) => f.partitions[0].fetchOffset),
      [0n, 3n, 6n],
      'one batch per fetch',
    )
    assert.deepEqual(follower.bytes(), leader.logBytes(T, 0))
  })

  it('truncates records of an epoch the new leader never had (unclean election) and converges', async (t) => {
    const { leader, thread } = setup(t)
    // Both replicas have offsets 0-9 from epoch 0.
    leader.setPartition(T, 0, { leaderEpoch: 0 })
    leader.append(T, 0, recs(5, 'a'))
    leader.append(T, 0, recs(5, 'b'))
    const follower = new MemoryFollowerLog(T, 0)
    follower.write(recs(5, 'a'), 0)
    follower.write(recs(5, 'b'), 0)
    assert.deepEqual(follower.bytes(), leader.logBytes(T, 0))
    // Then they went separate ways: this replica led epoch 2 (offsets 10-19, never replicated)
    // while the other had led epoch 1 (10-12) and was elected uncleanly in epoch 3.
    follower.write(recs(6, 'lost'), 2)
    follower.write(recs(4, 'lost2'), 2)
    leader.append(T, 0, recs(3, 'c'), { epoch: 1 })
    leader.setLeaderEpoch(T, 0, 3)
    leader.append(T, 0, recs(5, 'd'))
    thread.addPartitions([{ log: follower, leaderEpoch: 3 }])
    thread.start()
    await until(() => follower.end === 18n && follower.latestEpoch() === 3, 'converged')
    assert.deepEqual(follower.bytes(), leader.logBytes(T, 0), 'byte for byte the leader log')
    assert.deepEqual(follower.calls.slice(0, 1), ['truncate 10'])
    assert.equal(leader.fetches[0].partitions[0].fetchOffset, 20n)
    assert.equal(leader.fetches[0].partitions[0].lastFetchedEpoch, 2)
    assert.equal(leader.fetches[1].partitions[0].fetchOffset, 10n)
    assert.equal(leader.fetches[1].partitions[0].lastFetchedEpoch, 0)
    assert.deepEqual(
      follower.epochs.all().map((e) => [e.epoch, e.startOffset]),
      [
        [0, 0n],
        [1, 10n],
        [3, 13n],
      ],
    )
  })

  it('truncates a follower that is ahead of the leader in the same epoch to the leader end', async (t) => {
    const { leader, thread } = setup(t)
    leader.setPartition(T, 0, { leaderEpoch: 4 })
    const a = leader.append(T, 0, recs(3, 'a'))
    const follower = new MemoryFollowerLog(T, 0)
    follower.write(recs(3, 'a'), 4)
    assert.deepEqual(follower.bytes(), a)
    follower.write(recs(2, 'extra'), 4)
    thread.addPartitions([{ log: follower, leaderEpoch: 4 }])
    thread.start()
    await until(() => follower.calls.includes('truncate 3'), 'truncated to 3')
    assert.equal(follower.end, 3n)
    leader.append(T, 0, recs(1, 'b'))
    await until(() => follower.end === 4n, 'fetched on')
    assert.deepEqual(follower.bytes(), leader.logBytes(T, 0))
  })

  it('starts over at the leader log start when that moved past the follower (out of range)', async (t) => {
    const { leader, thread } = setup(t)
    leader.setPartition(T, 0, { leaderEpoch: 1, logStartOffset: 50n })
    leader.append(T, 0, recs(5, 'a'))
    leader.append(T, 0, recs(5, 'b'))
    const follower = new MemoryFollowerLog(T, 0)
    follower.write(recs(10, 'old'), 0)
    thread.addPartitions([{ log: follower, leaderEpoch: 1 }])
    thread.start()
    await until(() => follower.end === 60n, 'caught up from 50')
    assert.deepEqual(follower.calls[0], 'truncateFully 50')
    assert.deepEqual(
      leader.offsetRequests.map((r) => r.kind),
      ['latest', 'earliest'],
    )
    assert.equal(follower.start, 50n)
    assert.deepEqual(follower.bytes(), leader.logBytes(T, 0))
  })

  it('truncates to the leader log end when out of range above it', async (t) => {
    const { leader, thread } = setup(t)
    leader.setPartition(T, 0, { leaderEpoch: 2 })
    leader.append(T, 0, recs(4, 'a'))
    // Records without a leader epoch (-1): no divergence check is possible.
    const follower = new MemoryFollowerLog(T, 0)
    follower.write(recs(4, 'a'), -1)
    follower.write(recs(4, 'b'), -1)
    thread.addPartitions([{ log: follower, leaderEpoch: 2 }])
    thread.start()
    await until(() => follower.calls.includes('truncate 4'), 'truncated to the leader end')
    assert.deepEqual(
      leader.offsetRequests.map((r) => r.kind),
      ['latest'],
    )
    leader.append(T, 0, recs(2, 'c'))
    await until(() => follower.end === 6n, 'fetched on')
    assert.equal(follower.latestEpoch(), 2)
  })

  it('applies nothing after removePartitions resolved, even for a fetch already in flight', async (t) => {
    const { leader, thread } = setup(t)
    leader.setPartition(T, 0, { leaderEpoch: 0 })
    leader.append(T, 0, recs(3, 'a'))
    const release = leader.holdResponses()
    const follower = new MemoryFollowerLog(T, 0)
    thread.addPartitions([{ log: follower, leaderEpoch: 0 }])
    thread.start()
    await until(() => leader.waiting === 1, 'a fetch in flight')
    await thread.removePartitions([{ topic: T, partition: 0 }])
    assert.equal(thread.partitionCount(), 0)
    release()
    await settle()
    leader.append(T, 0, recs(3, 'b'))
    await settle()
    assert.deepEqual(follower.calls, [])
    assert.equal(follower.end, 0n)
    assert.equal(leader.fetches.length, 1, 'no fetch after the removal')
  })

  it('removePartitions waits for an append in progress, then nothing more is applied', async (t) => {
    const { leader, thread } = setup(t)
    leader.setPartition(T, 0, { leaderEpoch: 0 })
    leader.append(T, 0, recs(3, 'a'))
    const follower = new MemoryFollowerLog(T, 0)
    const releaseAppend = follower.holdAppends()
    thread.addPartitions([{ log: follower, leaderEpoch: 0 }])
    thread.start()
    await until(() => follower.calls.length === 1, 'an append started')
    let removed = false
    const removal = thread.removePartitions([{ topic: T, partition: 0 }]).then(() => {
      removed = true
    })
    await settle()
    assert.equal(removed, false, 'still appending')
    releaseAppend()
    await removal
    assert.equal(follower.end, 3n, 'the running append completed')
    leader.append(T, 0, recs(3, 'b'))
    await settle()
    assert.equal(follower.end, 3n)
    assert.equal(follower.calls.length, 1, 'one append, none after the removal')
  })

  it('delays a partition answered NOT_LEADER_OR_FOLLOWER or UNKNOWN_LEADER_EPOCH by the back-off', async (t) => {
    const { leader, thread, clock } = setup(t)
    leader.setPartition(T, 0, { leaderEpoch: 0 })
    leader.setPartition(T, 1, { leaderEpoch: 0 })
    leader.append(T, 0, recs(2, 'a'))
    leader.append(T, 1, recs(2, 'a'))
    const p0 = new MemoryFollowerLog(T, 0)
    const p1 = new MemoryFollowerLog(T, 1)
    leader.injectError(T, 0, ErrorCode.NOT_LEADER_OR_FOLLOWER)
    leader.injectError(T, 1, ErrorCode.UNKNOWN_LEADER_EPOCH)
    thread.addPartitions([
      { log: p0, leaderEpoch: 0 },
      { log: p1, leaderEpoch: 0 },
    ])
    const start = clock.now()
    thread.start()
    await until(() => thread.fetchState(T, 0)?.delayedUntil !== null, 'delayed')
    assert.equal(thread.fetchState(T, 0)?.delayedUntil, start + 1000)
    assert.equal(thread.fetchState(T, 1)?.delayedUntil, start + 1000)
    await clock.advanceAsync(999)
    assert.equal(leader.fetches.length, 1, 'nothing fetched during the back-off')
    await clock.advanceAsync(1)
    await until(() => p0.end === 2n && p1.end === 2n, 'fetched after the back-off')
  })

  it('retries an append a full disk refused, and catches up once there is space', async (t) => {
    const { leader, thread, clock } = setup(t)
    leader.setPartition(T, 0, { leaderEpoch: 0 })
    leader.append(T, 0, recs(2, 'a'))
    const follower = new MemoryFollowerLog(T, 0)
    const full = () => new StorageError(StorageErrorCode.NoSpace, 'no space left on device (undone)')
    follower.refuseAppends.push(full(), full())
    thread.addPartitions([{ log: follower, leaderEpoch: 0 }])
    thread.start()
    await until(() => follower.calls.length === 1, 'first append refused')
    assert.deepEqual(thread.failedPartitions(), [], 'a full disk does not fail the partition')
    await clock.advanceAsync(1000)
    await until(() => follower.calls.length === 2, 'retried after the back-off')
    await clock.advanceAsync(1000)
    await until(() => follower.end === 2n, 'appended once there is space')
    assert.deepEqual(thread.failedPartitions(), [])
  })

  it('fails a partition fenced by a newer leader epoch until it is added with that epoch', async (t) => {
    const { leader, thread, clock } = setup(t)
    leader.setPartition(T, 0, { leaderEpoch: 5 })
    leader.append(T, 0, recs(2, 'a'))
    const follower = new MemoryFollowerLog(T, 0)
    thread.addPartitions([{ log: follower, leaderEpoch: 4 }])
    thread.start()
    await until(() => thread.failedPartitions().length === 1, 'failed')
    assert.deepEqual(thread.failedPartitions(), [{ topic: T, partition: 0 }])
    assert.equal(thread.partitionCount(), 0)
    await clock.advanceAsync(5000)
    assert.equal(leader.fetches.length, 1, 'a failed partition is not fetched')
    thread.addPartitions([{ log: follower, leaderEpoch: 5 }])
    await until(() => follower.end === 2n, 'fetching at epoch 5')
    assert.deepEqual(thread.failedPartitions(), [])
    assert.equal(leader.fetches[1].partitions[0].currentLeaderEpoch, 5)
  })

  it('backs off the whole thread when the fetch itself fails', async (t) => {
    const { leader, thread, clock } = setup(t, { backoffMs: 250 })
    leader.setPartition(T, 0, { leaderEpoch: 0 })
    leader.setPartition(T, 1, { leaderEpoch: 0 })
    leader.append(T, 0, recs(1, 'a'))
    leader.append(T, 1, recs(1, 'a'))
    const p0 = new MemoryFollowerLog(T, 0)
    const p1 = new MemoryFollowerLog(T, 1)
    leader.failNextFetch()
    leader.failNextFetch()
    thread.addPartitions([
      { log: p0, leaderEpoch: 0 },
      { log: p1, leaderEpoch: 0 },
    ])
    thread.start()
    await until(() => leader.fetches.length === 1, 'first attempt')
    await settle()
    assert.equal(thread.fetchState(T, 0)?.delayedUntil, clock.now() + 250)
    assert.equal(thread.fetchState(T, 1)?.delayedUntil, clock.now() + 250)
    await clock.advanceAsync(249)
    assert.equal(leader.fetches.length, 1)
    await clock.advanceAsync(1)
    await until(() => leader.fetches.length === 2, 'second attempt')
    await clock.advanceAsync(250)
    await until(() => p0.end === 1n && p1.end === 1n, 'third attempt succeeds')
    assert.equal(leader.fetches[2].partitions.length, 2)
  })

  it('keeps the state for the same leader epoch and replaces it for a new one', async (t) => {
    const { leader, thread } = setup(t)
    leader.setPartition(T, 0, { leaderEpoch: 0 })
    leader.append(T, 0, recs(2, 'a'))
    const follower = new MemoryFollowerLog(T, 0)
    thread.addPartitions([{ log: follower, leaderEpoch: 0 }])
    thread.start()
    await until(() => follower.end === 2n && leader.waiting === 1, 'caught up, polling')
    thread.addPartitions([{ log: follower, leaderEpoch: 0 }])
    assert.equal(thread.fetchState(T, 0)?.lag, 0n, 'same epoch: state kept')
    // The leader moves on to epoch 1: the in-flight poll (epoch 0) is answered FENCED, but that
    // answer belongs to the replaced state and is dropped.
    leader.setLeaderEpoch(T, 0, 1)
    thread.addPartitions([{ log: follower, leaderEpoch: 1 }])
    assert.equal(thread.fetchState(T, 0)?.lag, null, 'new epoch: fresh state')
    leader.append(T, 0, recs(2, 'b'))
    await until(() => follower.end === 4n, 'fetching at epoch 1')
    assert.deepEqual(thread.failedPartitions(), [])
    assert.equal(leader.fetches[leader.fetches.length - 1].partitions[0].currentLeaderEpoch, 1)
    assert.deepEqual(follower.bytes(), leader.logBytes(T, 0))
  })

  it('sleeps without fetching when it has no partitions, and stop() ends it', async (t) => {
    const { leader, thread, clock } = setup(t)
    thread.start()
    await settle()
    await clock.advanceAsync(10_000)
    assert.equal(leader.fetches.length, 0)
    await thread.stop()
    assert.equal(leader.closed, true, 'the endpoint is closed with the thread')
  })
})
