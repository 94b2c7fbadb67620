// The fault suite's one-way finding, step by step on the simulated clock (docs/reliability.md,
// "Open"): a 240 s run saw, after packets from broker 1 to broker 3 were dropped, broker 1 behind
// the high watermark of faults-0 while ZooKeeper still showed a full ISR. Here: leader 3,
// follower 1, the controller on broker 1, packets 1→3 dropped. The leader's ISR shrink cannot
// reach the controller while its connection cannot be set up (modelled by holding 3→1 as well,
// without breaking anything), so the controller keeps counting broker 1 and the leader keeps its
// high watermark at broker 1's log end: acks=all writes wait. After the heal the shrink lands,
// then the high watermark passes broker 1, which is out of the ISR by then, and broker 1 rejoins
// once it has caught up. A check that read "full ISR" before the heal and the high watermark and
// files after it sees broker 1 behind with nothing wrong; invariant (e) (every member of the
// controller's ISR holds the leader's high watermark) is checked after every step.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCode } from '../../../../src/protocol/generated/error-codes.ts'
import { InvariantChecker } from './invariants.ts'
import {
  batchesOf,
  expectCode,
  isr,
  leo,
  plain,
  produce,
  replicaFetch,
  T,
  T_ID,
  threeBrokers,
} from './scenario.ts'

const LAG_MS = 2000

describe('replication sim: one-way drop from a follower that hosts the controller', () => {
  it('keeps the high watermark at the follower until the controller has dropped it, then it rejoins caught up', async () => {
    const sim = await threeBrokers({
      lagMs: LAG_MS,
      assignment: [3, 1, 2],
      controllerOn: 1,
      log: { minInsyncReplicas: 2 },
    })
    const checker = new InvariantChecker(sim)
    const step = async (ms: number): Promise<void> => {
      await sim.advance(ms)
      await checker.check()
    }
    const leaderHw = () => sim.partition(3, T, 0)!.highWatermark
    try {
      expectCode((await produce(sim, 3, plain('before'), -1)).errorCode, ErrorCode.NONE, 'acks=all in sync')
      const stuckAt = leo(sim, 1)
      assert.equal(leaderHw(), stuckAt)

      sim.net.dropOneWay(1, 3)
      sim.net.dropOneWay(3, 1)
      const waiting = sim.produce(3, T, 0, plain('during'), -1, 30_000)
      let answer: number | null = null
      waiting.then((r) => {
        answer = r.kind === 'answer' ? r.outcome.errorCode : -1
      })
      for (let t = 0; t < 3 * LAG_MS; t += 100) await step(100)
      assert.ok(sim.partition(3, T, 0)!.inSyncReplicas.includes(1), 'the leader still counts broker 1')
      assert.deepEqual(isr(sim), [1, 2, 3], 'the controller never got the shrink: the ISR looks full')
      assert.equal(leaderHw(), stuckAt, 'the high watermark waits for broker 1')
      assert.ok(leo(sim, 3) > stuckAt && leo(sim, 2) > stuckAt, 'the write is on the leader and broker 2')
      assert.equal(answer, null, 'acks=all is not answered')
      assert.ok(sim.net.heldPackets > 0, 'requests are held by the drop')

      const events = sim.trace.length
      sim.net.healAll()
      await sim.settle()
      await checker.check()
      for (let t = 0; t < 2000 && isr(sim).length < 3; t += 50) await step(50)
      const isrChanges = sim.trace.slice(events).filter((l) => l.includes('ctl t-0 ISR'))
      assert.deepEqual(
        isrChanges.map((l) => /ISR \[([\d,]*)\]/.exec(l)![1]),
        ['3,2', '3,2,1'],
        `the held shrink lands after the heal, then broker 1 rejoins: ${isrChanges.join(' | ')}`,
      )
      await sim.settle()
      expectCode(
        answer ?? -1,
        ErrorCode.NONE,
        'acks=all answered once the ISR without broker 1 was committed',
      )
      assert.ok(leaderHw() > stuckAt, 'the high watermark moved on')
      assert.equal(leo(sim, 1), leo(sim, 3), 'broker 1 rejoined caught up')
      assert.deepEqual(await batchesOf(sim, 1), await batchesOf(sim, 3))
      const epochs = (id: number) =>
        sim
          .partition(id, T, 0)!
          .log.epochCache.all()
          .map((e) => `${e.epoch}@${e.startOffset}`)
      assert.deepEqual(epochs(1), epochs(3), 'the cut left the follower epoch cache as the leader has it')
      assert.equal(sim.busy, 0)
    } finally {
      await sim.stopAll()
    }
  })

  // (d) A fetch request held on the wire arrives after newer ones (TCP delivers it at the heal):
  // the leader takes its older offset as the follower's position, which can only hold the high
  // watermark back, never move it back or past anyone; an offset past the leader's log end is
  // refused and not counted.
  it('a stale or impossible fetch offset never moves the high watermark back or past a follower', async () => {
    const sim = await threeBrokers({ lagMs: LAG_MS, assignment: [3, 1, 2], log: { minInsyncReplicas: 2 } })
    const checker = new InvariantChecker(sim)
    try {
      for (const tag of ['a', 'b', 'c'])
        expectCode((await produce(sim, 3, plain(tag), -1)).errorCode, ErrorCode.NONE, tag)
      const hw = sim.partition(3, T, 0)!.highWatermark
      assert.equal(leo(sim, 1), hw)
      const stale = await replicaFetch(sim, 3, { replicaId: 1, fetchOffset: 2n, lastFetchedEpoch: 0 })
      assert.equal(stale.highWatermark, hw)
      assert.equal(sim.partition(3, T, 0)!.followerLags().get(1), hw - 2n, 'taken as its position')
      const beyond = async (lastFetchedEpoch: number) => {
        const params = { replicaId: 1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0 }
        const [r] = await sim.proc(3)!.rm.fetch(params, [
          {
            topic: null,
            topicId: T_ID,
            partition: 0,
            fetchOffset: hw + 100n,
            partitionMaxBytes: 1 << 20,
            currentLeaderEpoch: 0,
            lastFetchedEpoch,
            logStartOffset: 0n,
          },
        ])
        return r!
      }
      const diverging = await beyond(0)
      assert.deepEqual(diverging.divergingEpoch, { epoch: 0, endOffset: hw }, 'past the end of its epoch')
      expectCode((await beyond(-1)).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE, 'past the log end')
      assert.equal(sim.partition(3, T, 0)!.followerLags().get(1), hw - 2n, 'neither was counted')
      // Broker 2 cut off: the next write can only commit with broker 1, whose real position counts.
      sim.net.cutLink(3, 2)
      const o = await produce(sim, 3, plain('d'), -1)
      expectCode(o.errorCode, ErrorCode.NONE, 'committed once broker 2 left the ISR')
      assert.ok(sim.partition(3, T, 0)!.highWatermark >= hw, 'never back')
      assert.equal(leo(sim, 1), sim.partition(3, T, 0)!.highWatermark, 'broker 1 holds it')
      await checker.check()
    } finally {
      await sim.stopAll()
    }
  })
})
