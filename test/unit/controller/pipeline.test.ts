// The controller's pipelined ZooKeeper work (pipeline.ts, the batch methods of controller-zk.ts and
// PartitionOps.writeAll): requests overlap within the window, outcomes stay in order, one failure
// neither stops the others nor hides what was written, and a deposed controller's failure wins.

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { silentLogger } from '../../../src/common/logger.ts'
import { ControllerContext } from '../../../src/controller/controller-context.ts'
import { ControllerMovedError, ControllerZk } from '../../../src/controller/controller-zk.ts'
import { PartitionOps } from '../../../src/controller/partition-ops.ts'
import { firstFailure, pipelined, valuesOrThrow } from '../../../src/controller/pipeline.ts'
import { MemoryZk } from '../../../src/metadata/zk/zk-memory.ts'
import { decodePartitionState, encodePartitionState, ZkPaths } from '../../../src/metadata/zk/znodes.ts'

const state = (leader: number, isr: number[], leaderEpoch = 0) => ({
  leader,
  leaderEpoch,
  isr,
  controllerEpoch: 1,
  leaderRecoveryState: 0,
})

describe('pipelined', () => {
  test('keeps at most `window` calls running and answers in item order', async () => {
    let running = 0
    let peak = 0
    const items = Array.from({ length: 50 }, (_, i) => i)
    const out = await pipelined(
      items,
      async (i) => {
        running++
        peak = Math.max(peak, running)
        await new Promise((r) => setTimeout(r, (i * 7) % 5))
        running--
        return i * 2
      },
      8,
    )
    assert.equal(peak, 8)
    assert.deepEqual(
      valuesOrThrow(out),
      items.map((i) => i * 2),
    )
  })

  test('a failure settles alone; the preferred failure is the one rethrown', async () => {
    const moved = new ControllerMovedError('moved')
    const out = await pipelined([1, 2, 3, 4], async (i) => {
      if (i === 2) throw new Error('other')
      if (i === 4) throw moved
      return i
    })
    assert.deepEqual(
      out.map((o) => o.status),
      ['fulfilled', 'rejected', 'fulfilled', 'rejected'],
    )
    assert.equal(firstFailure(out)?.reason instanceof Error, true)
    assert.equal(firstFailure(out, (e) => e instanceof ControllerMovedError)?.reason, moved)
    assert.throws(() => valuesOrThrow(out), /other/)
    assert.deepEqual(await pipelined([], async () => 1), [])
  })
})

describe('ControllerZk batches', () => {
  async function setup() {
    const zk = new MemoryZk().connect()
    const zkw = new ControllerZk(zk)
    const won = await zkw.registerController(1, 0)
    assert.ok(won)
    return { zk, zkw, epoch: won.epoch }
  }

  test('createPartitionStates creates the znodes; an existing partition znode or state is handled', async () => {
    const { zk, zkw } = await setup()
    await zk.mkdirp(ZkPaths.partition('t', 1)) // the partition znode is there, its state not
    await zk.mkdirp(ZkPaths.partition('t', 2))
    await zk.create(ZkPaths.partitionState('t', 2), encodePartitionState(state(3, [3], 4)))
    const items = [0, 1, 2].map((partition) => ({ tp: { topic: 't', partition }, state: state(1, [1, 2]) }))
    const out = await zkw.createPartitionStates(items)
    assert.deepEqual(
      valuesOrThrow(out).map((s) => s?.leader ?? null),
      [1, 1, null],
    )
    for (const p of [0, 1]) {
      const r = await zk.getData(ZkPaths.partitionState('t', p))
      assert.deepEqual(decodePartitionState(r!.data)?.isr, [1, 2])
    }
    const states = await zkw.partitionStates([0, 1, 2, 3].map((partition) => ({ topic: 't', partition })))
    assert.deepEqual(
      states.map((s) => s?.leader ?? null),
      [1, 1, 3, null],
    )
  })

  test('writeAll: a changed znode is reloaded; writes of a deposed controller fail as ControllerMovedError', async () => {
    const { zk, zkw, epoch } = await setup()
    const ctx = new ControllerContext()
    ctx.epoch = epoch
    const tps = [0, 1, 2].map((partition) => ({ topic: 't', partition }))
    ctx.topics.set('t', {
      topicId: null,
      assignment: new Map(tps.map((tp) => [tp.partition, [1, 2]])),
      adding: new Map(),
      removing: new Map(),
    })
    const created = valuesOrThrow(
      await zkw.createPartitionStates(tps.map((tp) => ({ tp, state: state(1, [1, 2]) }))),
    )
    for (const [i, tp] of tps.entries()) ctx.setState(tp, created[i]!)
    // Someone else changes partition 1 behind the controller's back.
    await zk.setData(ZkPaths.partitionState('t', 1), encodePartitionState(state(2, [2], 7)))
    const ops = new PartitionOps(ctx, zkw, silentLogger, false)
    const moves = tps.map((tp) => ({ tp, st: ctx.state(tp)!, next: { leader: 2, isr: [2], unclean: false } }))
    const written = await ops.writeAll(moves)
    assert.deepEqual(
      written.map((w) => w?.leaderEpoch ?? null),
      [1, null, 1],
    )
    assert.equal(ctx.state(tps[1]!)?.leaderEpoch, 7, 'the changed znode was reloaded')
    // Another controller bumps the epoch: every write fails, the deposed one is what is thrown.
    await zk.setData(ZkPaths.controllerEpoch, Buffer.from(String(epoch + 1)))
    const again = tps.map((tp) => ({ tp, st: ctx.state(tp)!, next: { leader: 1, isr: [1], unclean: false } }))
    await assert.rejects(ops.writeAll(again), ControllerMovedError)
    assert.equal(ctx.state(tps[0]!)?.leader, 2, 'nothing was written')
  })
})
