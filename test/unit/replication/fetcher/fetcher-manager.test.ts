// ReplicaFetcherManager: Kafka's fetcher id hashing, one thread per (leader, fetcher id), threads
// stopping when their last partition goes, a partition moving to a new leader, shutdown.

import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { ManualClock, settle } from '../../../../src/common/clock.ts'
import { silentLogger } from '../../../../src/common/logger.ts'
import {
  fetcherIdFor,
  javaStringHash,
  ReplicaFetcherManager,
} from '../../../../src/replication/fetcher/fetcher-manager.ts'
import { MockLeaderEndPoint } from '../../../../src/replication/fetcher/mock-leader-endpoint.ts'
import { MemoryFollowerLog } from './memory-follower-log.ts'

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return
    await settle(1)
  }
  assert.fail(`never happened: ${what}`)
}

/** Java's |31 * hash + partition| % n, in BigInt arithmetic with explicit 32-bit wrapping. */
function referenceFetcherId(hash: number, partition: number, n: number): number {
  const wrapped = BigInt.asIntN(32, 31n * BigInt(hash) + BigInt(partition))
  const abs = wrapped === -2147483648n ? 0n : wrapped < 0n ? -wrapped : wrapped
  return Number(abs % BigInt(n))
}

function setup(t: TestContext, numFetchers = 1) {
  const clock = new ManualClock()
  const leaders = new Map<number, MockLeaderEndPoint>()
  const leader = (id: number): MockLeaderEndPoint => {
    let l = leaders.get(id)
    if (l === undefined) {
      l = new MockLeaderEndPoint({ leaderId: id, clock })
      leaders.set(id, l)
    }
    return l
  }
  const manager = new ReplicaFetcherManager({
    brokerId: 3,
    numFetchers,
    endpointFor: (id) => leader(id).connect(),
    clock,
    logger: silentLogger,
  })
  t.after(() => manager.shutdown())
  return { clock, leader, manager }
}

const threadKeys = (m: ReplicaFetcherManager) =>
  m
    .runningThreads()
    .map((x) => `${x.leaderId}/${x.fetcherId}:${x.partitions}`)
    .sort()

describe('ReplicaFetcherManager', () => {
  it("hashes topics as Java's String.hashCode and picks fetchers as Kafka's getFetcherId", () => {
    assert.equal(javaStringHash(''), 0)
    assert.equal(javaStringHash('hello'), 99162322)
    assert.equal(javaStringHash('Aa'), 2112)
    assert.equal(javaStringHash('BB'), 2112)
    assert.equal(javaStringHash('polygenelubricants'), -2147483648)
    assert.equal(javaStringHash('h\u00e9llo w\u00f6rld'), 1628148953)
    assert.equal(javaStringHash('orders'), -1008770331)
    for (const topic of ['orders', 'hello', '__consumer_offsets', 'polygenelubricants', 'x'.repeat(300)]) {
      for (const p of [0, 1, 7, 49, 1000]) {
        for (const n of [1, 2, 3, 8]) {
          assert.equal(
            fetcherIdFor(topic, p, n),
            referenceFetcherId(javaStringHash(topic), p, n),
            `${topic}-${p} % ${n}`,
          )
        }
      }
    }
    assert.equal(fetcherIdFor('orders', 5, 1), 0)
  })

  it('spreads one leader’s partitions over num.replica.fetchers threads', async (t) => {
    const { leader, manager } = setup(t, 3)
    const logs: MemoryFollowerLog[] = []
    for (let p = 0; p < 6; p++) {
      leader(1).setPartition('orders', p, { leaderEpoch: 0 })
      leader(1).append('orders', p, [{ value: `v${p}` }])
      logs.push(new MemoryFollowerLog('orders', p))
    }
    manager.addPartitions(logs.map((log) => ({ log, leaderId: 1, leaderEpoch: 0 })))
    const expected = new Map<number, number>()
    for (let p = 0; p < 6; p++) {
      const id = referenceFetcherId(javaStringHash('orders'), p, 3)
      expected.set(id, (expected.get(id) ?? 0) + 1)
      assert.equal(manager.fetchState('orders', p)?.fetcherId, id)
    }
    assert.deepEqual(threadKeys(manager), [...expected].map(([id, n]) => `1/${id}:${n}`).sort())
    assert.equal(leader(1).connections, expected.size, 'one connection per thread')
    await until(() => logs.every((l) => l.end === 1n), 'every partition replicated')
    for (let p = 0; p < 6; p++) assert.deepEqual(logs[p].bytes(), leader(1).logBytes('orders', p))
  })

  it('runs one thread per leader and stops a thread when its last partition is removed', async (t) => {
    const { leader, manager } = setup(t)
    leader(1).setPartition('a', 0, { leaderEpoch: 2 })
    leader(2).setPartition('b', 0, { leaderEpoch: 7 })
    leader(1).append('a', 0, [{ value: 'from-1' }])
    leader(2).append('b', 0, [{ value: 'from-2' }, { value: 'more' }])
    const a0 = new MemoryFollowerLog('a', 0)
    const b0 = new MemoryFollowerLog('b', 0)
    manager.addPartitions([
      { log: a0, leaderId: 1, leaderEpoch: 2 },
      { log: b0, leaderId: 2, leaderEpoch: 7 },
    ])
    assert.deepEqual(threadKeys(manager), ['1/0:1', '2/0:1'])
    await until(() => a0.end === 1n && b0.end === 2n, 'both replicated')
    assert.deepEqual(b0.bytes(), leader(2).logBytes('b', 0))
    await manager.removePartitions([{ topic: 'b', partition: 0 }])
    assert.deepEqual(threadKeys(manager), ['1/0:1'])
    assert.equal(leader(2).connections, 0, 'the idle thread closed its connection')
    assert.equal(manager.fetchState('b', 0), undefined)
    leader(2).append('b', 0, [{ value: 'late' }])
    await settle()
    assert.equal(b0.end, 2n, 'nothing applied after removal')
    assert.equal(manager.fetchState('a', 0)?.leaderId, 1)
  })

  it('moves a partition to its new leader’s thread and converges on that leader’s log', async (t) => {
    const { leader, manager } = setup(t)
    leader(1).setPartition('m', 0, { leaderEpoch: 0 })
    leader(1).append('m', 0, [{ value: 'a' }, { value: 'b' }])
    const log = new MemoryFollowerLog('m', 0)
    manager.addPartitions([{ log, leaderId: 1, leaderEpoch: 0 }])
    await until(() => log.end === 2n, 'replicated from broker 1')
    // Broker 2 (which had the same two records) becomes leader in epoch 1.
    leader(2).setPartition('m', 0, { leaderEpoch: 0 })
    leader(2).appendBatches('m', 0, leader(1).logBytes('m', 0))
    leader(2).setLeaderEpoch('m', 0, 1)
    leader(2).append('m', 0, [{ value: 'c' }])
    leader(1).resign('m', 0)
    manager.addPartitions([{ log, leaderId: 2, leaderEpoch: 1 }])
    assert.deepEqual(threadKeys(manager), ['2/0:1'], 'the old thread, now idle, is stopped')
    await until(() => log.end === 3n, 'replicated from broker 2')
    assert.deepEqual(log.bytes(), leader(2).logBytes('m', 0))
    assert.equal(leader(1).connections, 0)
    assert.equal(manager.fetchState('m', 0)?.currentLeaderEpoch, 1)
  })

  it('shutdown stops every thread and closes every connection', async (t) => {
    const { leader, manager } = setup(t, 2)
    for (let p = 0; p < 4; p++) leader(1).setPartition('s', p, { leaderEpoch: 0 })
    leader(2).setPartition('u', 0, { leaderEpoch: 0 })
    manager.addPartitions([
      ...[0, 1, 2, 3].map((p) => ({ log: new MemoryFollowerLog('s', p), leaderId: 1, leaderEpoch: 0 })),
      { log: new MemoryFollowerLog('u', 0), leaderId: 2, leaderEpoch: 0 },
    ])
    await until(
      () => leader(1).waiting + leader(2).waiting === manager.runningThreads().length,
      'all polling',
    )
    await manager.shutdown()
    assert.deepEqual(manager.runningThreads(), [])
    assert.equal(leader(1).connections + leader(2).connections, 0)
    assert.throws(() => manager.addPartitions([]), /shut down/)
  })
})
