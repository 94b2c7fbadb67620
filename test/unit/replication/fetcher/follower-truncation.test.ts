// When a follower truncates, against an in-memory leader (mock-leader-endpoint.ts) and the real
// Partition (its follower log, producer state and high watermark): hypotheses for the fault run
// that saw a replica in the ISR behind the high watermark (docs/reliability.md), each ruled out
// here, and the loud log of a truncation below the high watermark (only an unclean election may
// do that).
// (a) re-added to its fetcher (a LeaderAndIsr resent, an ISR change of the partition, a new epoch
//     of the same leader) it resumes at its log end and keeps everything;
// (c) with batches of an older epoch past its high watermark, a new leader's diverging epoch cuts
//     only those, never below the high watermark;
// and a leader whose log is shorter than the follower's high watermark (unclean election) makes it
// truncate below it, which is logged as an error. Also: an old leader's divergent tail that ends
// at a leader's log start inside a batch (DeleteRecords), which the diverging-epoch check can no
// longer see, is replaced rather than leaving the follower stuck (the simulation's seed 155).

import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { settle } from '../../../../src/common/clock.ts'
import { ZERO_UUID } from '../../../../src/common/ids.ts'
import { createLogger, LogLevel } from '../../../../src/common/logger.ts'
import { makePartition } from '../../../../src/metadata/image.ts'
import { buildBatch, type RecordInput } from '../../../../src/records/builder.ts'
import { DEFAULT_FETCHER_CONFIG } from '../../../../src/replication/fetcher/fetcher-config.ts'
import { FetcherThread } from '../../../../src/replication/fetcher/fetcher-thread.ts'
import { MockLeaderEndPoint } from '../../../../src/replication/fetcher/mock-leader-endpoint.ts'
import { Partition } from '../../../../src/replication/partition.ts'
import { openTestLog } from '../../../support/storage-helpers.ts'

const recs = (tag: string): RecordInput[] => [
  { key: 'a', value: `${tag}-0` },
  { key: 'b', value: `${tag}-1` },
]

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (cond()) return
    await settle(1)
  }
  assert.fail(`never happened: ${what}`)
}

/** Broker 1 following leader 3 in `epoch`, its fetcher against a mock leader 3. */
async function follower(t: TestContext, epoch: number) {
  const { log, fs, clock } = await openTestLog()
  const lines: string[] = []
  const logger = createLogger('test', LogLevel.info, (l) => lines.push(l))
  const state = (leaderEpoch: number) =>
    makePartition({
      partition: 0,
      leader: 3,
      leaderEpoch,
      partitionEpoch: leaderEpoch,
      replicas: [3, 1, 2],
      isr: [3, 1, 2],
    })
  const part = await Partition.open({
    topic: 't',
    index: 0,
    topicId: ZERO_UUID,
    log,
    fs,
    clock,
    logger,
    localBrokerId: 1,
    state: state(epoch),
  })
  const leader = new MockLeaderEndPoint({ leaderId: 3, clock })
  leader.setPartition('t', 0, { leaderEpoch: epoch })
  const thread = new FetcherThread({
    name: 'f',
    endpoint: leader,
    clock,
    logger,
    config: DEFAULT_FETCHER_CONFIG,
  })
  t.after(async () => {
    await thread.stop()
    await part.close(0, false)
    await log.close()
  })
  const follow = (leaderEpoch: number) => {
    part.updateState(state(leaderEpoch))
    thread.addPartitions([{ log: part.followerLog(), leaderEpoch }])
    thread.start()
  }
  const caughtUp = () =>
    until(
      () => log.logEndOffset === leader.logEndOffset('t', 0) && leader.waiting === 1,
      'the follower caught up',
    )
  const truncations = () => lines.filter((l) => l.includes('Truncat'))
  return { log, part, leader, thread, follow, caughtUp, lines, truncations }
}

describe('follower truncation and the high watermark', () => {
  it('(a) re-added with the same or a newer epoch of the same leader, it resumes at its log end', async (t) => {
    const f = await follower(t, 2)
    for (const tag of ['a', 'b', 'c']) f.leader.append('t', 0, recs(tag))
    f.follow(2)
    await f.caughtUp()
    assert.equal(f.log.highWatermark, 6n)
    // The replica manager takes a partition out of its fetcher and back on every change of it.
    await f.thread.removePartitions([{ topic: 't', partition: 0 }])
    f.follow(2)
    f.leader.append('t', 0, recs('d'))
    await f.caughtUp()
    // A new epoch of the same leader (an ISR member's broker failed, the leader stayed).
    f.leader.setLeaderEpoch('t', 0, 3)
    f.leader.append('t', 0, recs('e'))
    await f.thread.removePartitions([{ topic: 't', partition: 0 }])
    f.follow(3)
    await f.caughtUp()
    assert.equal(f.log.logEndOffset, 10n)
    assert.deepEqual(f.truncations(), [], 'nothing was truncated')
    assert.deepEqual(
      f.log.epochCache.all().map((e) => [e.epoch, e.startOffset]),
      [
        [2, 0n],
        [3, 8n],
      ],
    )
  })

  it('(c) a diverging epoch cuts only what is past the high watermark', async (t) => {
    const f = await follower(t, 2)
    for (const tag of ['a', 'b']) f.leader.append('t', 0, recs(tag))
    f.follow(2)
    await f.caughtUp()
    await f.thread.removePartitions([{ topic: 't', partition: 0 }])
    // Two batches of epoch 2 this follower got, the leader's high watermark short of them...
    const hw = f.log.highWatermark
    await f.part.appendAsFollower(
      buildBatch(recs('x'), { baseOffset: 4n, partitionLeaderEpoch: 2, timestamp: 1000 }),
      hw,
      0n,
    )
    assert.equal(f.log.highWatermark, 4n)
    // ...that the new leader (epoch 4, elected cleanly from the ISR at offset 4) never had.
    f.leader.setLeaderEpoch('t', 0, 4)
    f.leader.append('t', 0, recs('y'))
    f.follow(4)
    await f.caughtUp()
    assert.equal(f.log.logEndOffset, 6n)
    assert.equal(f.truncations().length, 2, 'truncated once (the fetcher and the partition say so)')
    assert.ok(!f.lines.some((l) => l.includes('below its high watermark')), f.lines.join('\n'))
  })

  it('an unclean leader shorter than the high watermark: truncation below it is logged as an error', async (t) => {
    const f = await follower(t, 2)
    for (const tag of ['a', 'b', 'c']) f.leader.append('t', 0, recs(tag))
    f.follow(2)
    await f.caughtUp()
    assert.equal(f.log.highWatermark, 6n)
    await f.thread.removePartitions([{ topic: 't', partition: 0 }])
    // A replica from outside the ISR, holding only the first batch, elected uncleanly in epoch 5.
    f.leader.setPartition('t', 0, { leaderEpoch: 2 })
    f.leader.append('t', 0, recs('a'))
    f.leader.setLeaderEpoch('t', 0, 5)
    f.leader.append('t', 0, recs('z'))
    f.follow(5)
    await f.caughtUp()
    assert.equal(f.log.logEndOffset, 4n)
    const loud = f.lines.filter((l) => l.includes('below its high watermark'))
    assert.equal(loud.length, 1, f.lines.join('\n'))
    assert.match(loud[0]!, /ERROR/)
    assert.match(loud[0]!, /Truncating t-0 to 2, below its high watermark 6/)
  })

  it('a tail ending at the leader’s log start inside a batch starts over at that batch', async (t) => {
    const f = await follower(t, 0)
    // This broker led epoch 0 and wrote 0-5; only 0-1 reached the others.
    for (const base of [0n, 2n, 4n])
      await f.part.appendAsFollower(
        buildBatch(recs(`own${base}`), { baseOffset: base, partitionLeaderEpoch: 0, timestamp: 1000 }),
        0n,
        0n,
      )
    f.leader.append('t', 0, recs('own0'))
    f.leader.setLeaderEpoch('t', 0, 1)
    f.leader.append('t', 0, [...recs('l1'), { key: 'c', value: 'l1-2' }])
    f.leader.append('t', 0, [...recs('l2'), { key: 'c', value: 'l2-2' }])
    f.leader.setLeaderEpoch('t', 0, 2)
    f.leader.append('t', 0, recs('l3'))
    // DeleteRecords before 6: inside the leader's batch 5-7; its epoch cache now starts at 6.
    f.leader.setLogStartOffset('t', 0, 6n)
    f.follow(2)
    await f.caughtUp()
    assert.equal(f.log.logEndOffset, 10n)
    assert.equal(f.log.logStartOffset, 6n)
    assert.deepEqual(
      (await f.log.readRecords(6n, 1 << 20)).records,
      f.leader.logBytes('t', 0),
      'the leader’s batches from 5 on',
    )
  })
})
