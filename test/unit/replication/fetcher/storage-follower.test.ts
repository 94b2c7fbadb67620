// The fetcher against a real storage Log (on MemoryFs, small segments): the unclean-election
// divergence and the log-start reset end with the follower's segment bytes equal to the leader's.
// The adapter below is the minimal FollowerLog over a Log; the replication layer's Partition is
// the real one (it also keeps producer state).

import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { settle } from '../../../../src/common/clock.ts'
import { type Uuid, ZERO_UUID } from '../../../../src/common/ids.ts'
import { silentLogger } from '../../../../src/common/logger.ts'
import { buildBatch, type RecordInput } from '../../../../src/records/builder.ts'
import { DEFAULT_FETCHER_CONFIG } from '../../../../src/replication/fetcher/fetcher-config.ts'
import { FetcherThread } from '../../../../src/replication/fetcher/fetcher-thread.ts'
import type { FollowerLog } from '../../../../src/replication/fetcher/follower-log.ts'
import { MockLeaderEndPoint } from '../../../../src/replication/fetcher/mock-leader-endpoint.ts'
import type { Log } from '../../../../src/storage/log.ts'
import { openTestLog } from '../../../support/storage-helpers.ts'

class StorageFollowerLog implements FollowerLog {
  readonly topic = 't'
  readonly partition = 0
  readonly topicId: Uuid = ZERO_UUID
  readonly log: Log
  constructor(log: Log) {
    this.log = log
  }
  logEndOffset(): bigint {
    return this.log.logEndOffset
  }
  logStartOffset(): bigint {
    return this.log.logStartOffset
  }
  latestEpoch(): number {
    return this.log.epochCache.latestEpoch
  }
  endOffsetForEpoch(epoch: number) {
    return this.log.endOffsetForEpoch(epoch)
  }
  async appendAsFollower(records: Buffer, hw: bigint, leaderLogStart: bigint): Promise<void> {
    await this.log.appendAsFollower(records)
    this.log.updateHighWatermark(hw < this.log.logEndOffset ? hw : this.log.logEndOffset)
    if (leaderLogStart > this.log.logStartOffset && leaderLogStart <= this.log.highWatermark)
      await this.log.maybeIncrementLogStartOffset(leaderLogStart)
  }
  async truncateTo(offset: bigint): Promise<void> {
    await this.log.truncateTo(offset)
  }
  truncateFullyAndStartAt(offset: bigint): Promise<void> {
    return this.log.truncateFullyAndStartAt(offset)
  }
  async bytes(): Promise<Buffer> {
    return (await this.log.readRecords(this.log.logStartOffset, 1 << 24)).records
  }
}

const recs = (n: number, tag: string): RecordInput[] =>
  Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `${tag}-${i}-${'x'.repeat(40)}` }))

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return
    await settle(1)
  }
  assert.fail(`never happened: ${what}`)
}

async function setup(t: TestContext) {
  const { log, clock } = await openTestLog({ config: { segmentBytes: 600 } })
  const follower = new StorageFollowerLog(log)
  const leader = new MockLeaderEndPoint({ leaderId: 1, clock })
  const thread = new FetcherThread({
    name: 'storage',
    endpoint: leader,
    clock,
    logger: silentLogger,
    config: DEFAULT_FETCHER_CONFIG,
  })
  t.after(async () => {
    await thread.stop()
    await log.close()
  })
  return { log, follower, leader, thread }
}

/** Writes a batch into the follower's log as if this replica had been leader in `epoch`. */
async function ownWrite(f: StorageFollowerLog, records: RecordInput[], epoch: number): Promise<void> {
  await f.log.appendAsFollower(
    buildBatch(records, { baseOffset: f.log.logEndOffset, partitionLeaderEpoch: epoch }),
  )
}

describe('FetcherThread on a storage Log', () => {
  it('truncates the divergent epoch and ends with the leader’s bytes, across segments', async (t) => {
    const { log, follower, leader, thread } = await setup(t)
    leader.setPartition('t', 0, { leaderEpoch: 0 })
    for (let i = 0; i < 4; i++) {
      const b = leader.append('t', 0, recs(3, `common${i}`))
      await log.appendAsFollower(b)
    }
    for (let i = 0; i < 4; i++) await ownWrite(follower, recs(4, `lost${i}`), 2)
    assert.ok(log.numberOfSegments > 2, 'the divergent part spans segments')
    leader.append('t', 0, recs(2, 'e1'), { epoch: 1 })
    leader.setLeaderEpoch('t', 0, 3)
    for (let i = 0; i < 3; i++) leader.append('t', 0, recs(3, `e3-${i}`))
    thread.addPartitions([{ log: follower, leaderEpoch: 3 }])
    thread.start()
    await until(() => log.logEndOffset === leader.logEndOffset('t', 0) && leader.waiting === 1, 'caught up')
    assert.deepEqual(await follower.bytes(), leader.logBytes('t', 0))
    assert.deepEqual(
      log.epochCache.all().map((e) => [e.epoch, e.startOffset]),
      [
        [0, 0n],
        [1, 12n],
        [3, 14n],
      ],
    )
    assert.equal(log.highWatermark, 23n)
  })

  it('restarts the log at the leader’s log start when it fell behind it', async (t) => {
    const { log, follower, leader, thread } = await setup(t)
    await ownWrite(follower, recs(5, 'old'), 0)
    leader.setPartition('t', 0, { leaderEpoch: 4, logStartOffset: 100n })
    leader.append('t', 0, recs(3, 'a'))
    leader.append('t', 0, recs(3, 'b'))
    thread.addPartitions([{ log: follower, leaderEpoch: 4 }])
    thread.start()
    await until(() => log.logEndOffset === 106n, 'caught up from 100')
    assert.equal(log.logStartOffset, 100n)
    assert.deepEqual(await follower.bytes(), leader.logBytes('t', 0))
  })
})
