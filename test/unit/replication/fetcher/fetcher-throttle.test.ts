// The follower side of replication throttles (KIP-73) in the FetcherThread, against the in-memory
// leader on a manual clock: a throttled partition that is behind is left out of the fetches while
// the follower quota is exceeded and comes back when the rate falls under the limit; its appended
// bytes are recorded; an unthrottled partition is fetched in every request all along.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ManualClock, settle } from '../../../../src/common/clock.ts'
import type { Uuid } from '../../../../src/common/ids.ts'
import { silentLogger } from '../../../../src/common/logger.ts'
import type { RecordInput } from '../../../../src/records/builder.ts'
import { DEFAULT_FETCHER_CONFIG } from '../../../../src/replication/fetcher/fetcher-config.ts'
import { FetcherThread } from '../../../../src/replication/fetcher/fetcher-thread.ts'
import { MockLeaderEndPoint } from '../../../../src/replication/fetcher/mock-leader-endpoint.ts'
import { ReplicationQuota } from '../../../../src/replication/replication-quota.ts'
import { MemoryFollowerLog } from './memory-follower-log.ts'

const recs = (tag: string): RecordInput[] =>
  Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: `${tag}-${i}-${'x'.repeat(100)}` }))

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return
    await settle(1)
  }
  assert.fail(`never happened: ${what}`)
}

describe('FetcherThread under the follower replication quota', () => {
  it('leaves a throttled partition out while over quota; others are never slowed down', async (t) => {
    const clock = new ManualClock()
    const leader = new MockLeaderEndPoint({ leaderId: 1, clock })
    const ids = { a: 'YWFhYWFhYWFhYWFhYWFhYQ' as Uuid, b: 'YmJiYmJiYmJiYmJiYmJiYg' as Uuid }
    for (const name of ['a', 'b'] as const) {
      leader.setPartition(name, 0, { leaderEpoch: 1, topicId: ids[name] })
      for (let i = 0; i < 6; i++) leader.append(name, 0, recs(`${name}${i}`))
    }
    const batchBytes = leader.logBytes('a', 0).length / 6
    const quota = new ReplicationQuota(clock, { samples: 11, windowMs: 1000 })
    quota.updateQuota(100)
    quota.markThrottled('a', [0])
    const thread = new FetcherThread({
      name: 'ReplicaFetcherThread-0-1',
      endpoint: leader,
      clock,
      logger: silentLogger,
      // One batch per partition and fetch, so that the throttled one stays behind.
      config: { ...DEFAULT_FETCHER_CONFIG, partitionMaxBytes: batchBytes },
      quota,
    })
    t.after(() => thread.stop())
    const a = new MemoryFollowerLog('a', 0, ids.a)
    const b = new MemoryFollowerLog('b', 0, ids.b)
    thread.addPartitions([
      { log: a, leaderEpoch: 1 },
      { log: b, leaderEpoch: 1 },
    ])
    thread.start()

    await until(() => b.end === 30n, 'b caught up')
    // Under the quota at first: one batch of a, recorded; from then on a is over its 100 B/s.
    assert.equal(a.end, 5n)
    assert.equal(quota.rate(), batchBytes)
    const names = leader.fetches.map((f) => f.partitions.map((p) => p.topic).join(','))
    assert.equal(names[0], 'a,b')
    assert.ok(names.length >= 6)
    for (const n of names.slice(1)) assert.equal(n, 'b', `fetches after the first: ${names.join(' | ')}`)

    // The rate falls under the limit once the sample ages out: a comes back for one more batch.
    for (let round = 2; round <= 3; round++) {
      clock.advance(11_000)
      await until(() => a.end === BigInt(5 * round), `a fetched again (${round})`)
      await settle(20)
      assert.equal(a.end, BigInt(5 * round), 'and held back again right after')
    }
    // Unthrottled, it catches up at once.
    quota.removeThrottle('a')
    clock.advance(1000)
    await until(() => a.end === 30n, 'a caught up without the throttle')
    assert.deepEqual(a.bytes(), leader.logBytes('a', 0))
  })

  it('does not hold a throttled partition that is in sync', async (t) => {
    const clock = new ManualClock()
    const leader = new MockLeaderEndPoint({ leaderId: 1, clock })
    const id = 'YWFhYWFhYWFhYWFhYWFhYQ' as Uuid
    leader.setPartition('a', 0, { leaderEpoch: 1, topicId: id })
    leader.append('a', 0, recs('first'))
    const quota = new ReplicationQuota(clock)
    quota.updateQuota(1)
    quota.markThrottled('a', 'all')
    const thread = new FetcherThread({
      name: 'ReplicaFetcherThread-0-1',
      endpoint: leader,
      clock,
      logger: silentLogger,
      config: DEFAULT_FETCHER_CONFIG,
      quota,
    })
    t.after(() => thread.stop())
    const a = new MemoryFollowerLog('a', 0, id)
    thread.addPartitions([{ log: a, leaderEpoch: 1 }])
    thread.start()
    await until(() => a.end === 5n, 'first batch')
    assert.equal(quota.isQuotaExceeded(), true)
    // Caught up (lag 0): it keeps long-polling and gets the next batch, quota or not.
    await until(() => leader.waiting === 1, 'long-poll at the log end')
    leader.append('a', 0, recs('second'))
    await until(() => a.end === 10n, 'second batch while in sync')
  })
})
