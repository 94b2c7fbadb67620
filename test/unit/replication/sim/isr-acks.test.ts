// The leader's side over the in-memory transport, step by step on the simulated clock: the ISR
// shrinks once a follower cut off from the leader has not caught up for replica.lag.time.max.ms
// and grows back once it has caught up; acks=all produces wait for the ISR and are answered as
// Kafka answers them (NONE once every ISR member has the batch, NOT_ENOUGH_REPLICAS_AFTER_APPEND
// when the ISR fell below min.insync.replicas while waiting, NOT_ENOUGH_REPLICAS before the write,
// REQUEST_TIMED_OUT when the request's own timeout comes first: the batch stays in the log).

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCode } from '../../../../src/protocol/generated/error-codes.ts'
import type { SimCluster } from './cluster.ts'
import { batchesOf, expectCode, isr, leo, plain, produce, T, threeBrokers, until } from './scenario.ts'

const LAG_MS = 2000

async function withSim(fn: (sim: SimCluster) => Promise<void>): Promise<void> {
  const sim = await threeBrokers({ lagMs: LAG_MS, log: { minInsyncReplicas: 2 } })
  try {
    await fn(sim)
  } finally {
    await sim.stopAll()
  }
}

/** A produce left running while the clock moves; `answer` is set once it is answered. */
function start(sim: SimCluster, id: number, batch: Buffer, acks: number, timeoutMs: number) {
  const state: { answer: Awaited<ReturnType<typeof produce>> | null } = { answer: null }
  const done = produce(sim, id, batch, acks, timeoutMs, false).then((o) => {
    state.answer = o
  })
  return { state, done }
}

describe('replication sim: ISR and acks=all', () => {
  it('shrinks the ISR after replica.lag.time.max.ms without the cut-off follower, expands it once caught up', () =>
    withSim(async (sim) => {
      expectCode(
        (await produce(sim, 1, plain('a'), -1)).errorCode,
        ErrorCode.NONE,
        'acks=all with all in sync',
      )
      const epochBefore = sim.controller.state(T, 0).partitionEpoch
      sim.net.cutLink(1, 3)
      const cutAt = sim.clock.now()
      expectCode(
        (await produce(sim, 1, plain('b'), 1)).errorCode,
        ErrorCode.NONE,
        'acks=1 while 3 is cut off',
      )
      await sim.advance(LAG_MS - 100)
      assert.deepEqual(isr(sim), [1, 2, 3], 'still in sync before the lag time passed')
      await until(sim, () => !isr(sim).includes(3), 'broker 3 leaves the ISR', 2 * LAG_MS)
      assert.ok(sim.clock.now() - cutAt >= LAG_MS, 'not before replica.lag.time.max.ms')
      assert.deepEqual(isr(sim), [1, 2])
      assert.deepEqual(
        [...sim.partition(1, T, 0)!.inSyncReplicas].sort(),
        [1, 2],
        'the leader took the new ISR',
      )
      assert.equal(sim.controller.state(T, 0).partitionEpoch, epochBefore + 1, 'one AlterPartition')
      assert.equal(sim.controller.state(T, 0).leaderEpoch, 0, 'an ISR change keeps the leader epoch')
      // Two in sync satisfy min.insync.replicas=2: acks=all is answered without broker 3.
      const o = await produce(sim, 1, plain('c'), -1)
      expectCode(o.errorCode, ErrorCode.NONE, 'acks=all with ISR {1,2}')
      assert.equal(sim.partition(1, T, 0)!.highWatermark, leo(sim, 1))
      assert.ok(leo(sim, 3) < leo(sim, 1), 'broker 3 is behind')

      sim.net.healLink(1, 3)
      await until(sim, () => isr(sim).includes(3), 'broker 3 rejoins the ISR')
      assert.equal(leo(sim, 3), leo(sim, 1), 'it rejoined caught up')
      assert.deepEqual(await batchesOf(sim, 3), await batchesOf(sim, 1))
      assert.equal(sim.busy, 0)
    }))

  it('acks=all waits for the ISR: NONE after the shrink, NOT_ENOUGH_REPLICAS_AFTER_APPEND below min.insync.replicas, then NOT_ENOUGH_REPLICAS', () =>
    withSim(async (sim) => {
      sim.net.cutLink(1, 3)
      const first = start(sim, 1, plain('wait-1'), -1, 30_000)
      await sim.advance(500)
      assert.equal(first.state.answer, null, 'waits while broker 3 is in the ISR without the batch')
      await until(sim, () => first.state.answer !== null, 'answered once the ISR shrank', 2 * LAG_MS)
      assert.deepEqual(isr(sim), [1, 2])
      expectCode(first.state.answer!.errorCode, ErrorCode.NONE, 'committed on the remaining ISR')

      sim.net.cutLink(1, 2)
      const before = leo(sim, 1)
      const second = start(sim, 1, plain('wait-2'), -1, 30_000)
      await sim.advance(500)
      assert.equal(second.state.answer, null, 'waits for broker 2')
      assert.ok(leo(sim, 1) > before, 'the batch is written before the wait')
      await until(sim, () => second.state.answer !== null, 'answered once the ISR shrank again', 2 * LAG_MS)
      assert.deepEqual(isr(sim), [1])
      expectCode(
        second.state.answer!.errorCode,
        ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
        'ISR below min.insync',
      )
      assert.equal(second.state.answer!.baseOffset, before, 'the answer still names where it was written')

      const end = leo(sim, 1)
      expectCode(
        (await produce(sim, 1, plain('refused'), -1)).errorCode,
        ErrorCode.NOT_ENOUGH_REPLICAS,
        'before the write',
      )
      assert.equal(leo(sim, 1), end, 'nothing written')
      expectCode((await produce(sim, 1, plain('acks1'), 1)).errorCode, ErrorCode.NONE, 'acks=1 still works')

      sim.net.healAll()
      await until(sim, () => isr(sim).length === 3, 'both followers rejoin')
      expectCode(
        (await produce(sim, 1, plain('again'), -1)).errorCode,
        ErrorCode.NONE,
        'acks=all works again',
      )
      await until(sim, () => leo(sim, 2) === leo(sim, 1) && leo(sim, 3) === leo(sim, 1), 'followers catch up')
      assert.deepEqual(await batchesOf(sim, 2), await batchesOf(sim, 1))
      assert.deepEqual(await batchesOf(sim, 3), await batchesOf(sim, 1))
    }))

  it('answers REQUEST_TIMED_OUT when the request times out before the ISR has the batch (which stays written)', () =>
    withSim(async (sim) => {
      sim.net.cutLink(1, 3)
      const at = leo(sim, 1)
      const p = start(sim, 1, plain('slow'), -1, 800)
      await sim.advance(700)
      assert.equal(p.state.answer, null)
      await sim.advance(200)
      await p.done
      expectCode(p.state.answer!.errorCode, ErrorCode.REQUEST_TIMED_OUT, 'after the request timeout')
      assert.deepEqual(isr(sim), [1, 2, 3], 'the ISR has not changed yet')
      assert.equal(leo(sim, 1), at + 2n, 'the batch is in the leader log')
      assert.equal(leo(sim, 2), at + 2n, 'and on the follower that is connected')
      assert.equal(sim.partition(1, T, 0)!.highWatermark, at, 'but not committed')
      await until(
        sim,
        () => sim.partition(1, T, 0)!.highWatermark === at + 2n,
        'committed after the shrink',
        2 * LAG_MS,
      )
      assert.deepEqual(isr(sim), [1, 2])
    }))
})
