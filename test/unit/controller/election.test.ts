// Controller election and failover over the in-memory ZooKeeper: exactly one controller, the epoch
// bumped on each election, a deposed controller fenced by the epoch znode version, and a new
// controller telling every broker the whole state.

import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { encodeController, encodeControllerEpoch, ZkPaths } from '../../../src/metadata/zk/znodes.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import { Cluster, partitionsIn } from './harness.ts'

describe('ZkController election', () => {
  let c: Cluster
  beforeEach(async () => {
    c = new Cluster()
    await c.init()
  })
  afterEach(async () => {
    await c.close()
  })

  it('three competing brokers elect exactly one controller, epoch 1', async () => {
    await Promise.all([c.startBroker(1), c.startBroker(2), c.startBroker(3)])
    await Promise.all([c.startController(1), c.startController(2), c.startController(3)])
    const active = c.active()
    assert.equal(active.length, 1)
    assert.equal(active[0]!.epoch, 1)
    assert.equal(await c.raw(ZkPaths.controllerEpoch), '1')
    const ctl = JSON.parse((await c.raw(ZkPaths.controller))!)
    assert.equal(ctl.version, 2)
    const winner = [...c.controllers].find(([, k]) => k.isActive)![0]
    assert.equal(ctl.brokerid, winner)
    for (const k of c.controllers.values()) assert.equal(k.controllerId, winner)
  })

  it('a new controller takes over with epoch 2 when the active one expires', async () => {
    for (const id of [1, 2, 3]) await c.startBroker(id)
    await c.startController(1)
    await c.startController(2)
    await c.startController(3)
    assert.equal(c.controllers.get(1)!.isActive, true)
    await c.createTopic('t', { 0: [1, 2, 3] })
    c.clearSent()
    await c.killBroker(1)
    const active = c.active()
    assert.equal(active.length, 1)
    assert.notEqual(active[0], c.controllers.get(1))
    assert.equal(active[0]!.epoch, 2)
    assert.equal(await c.raw(ZkPaths.controllerEpoch), '2')
    assert.equal(c.controllers.get(1)!.isActive, false)
    const newId = active[0] === c.controllers.get(2) ? 2 : 3
    // The new controller told both live brokers everything, with its epoch.
    for (const to of [2, 3]) {
      const ums = c.updateMetadata(to).filter((u) => u.controllerId === newId)
      assert.ok(ums.length > 0)
      assert.ok(ums.every((u) => u.controllerEpoch === 2))
      assert.deepEqual(
        ums
          .at(-1)!
          .liveBrokers.map((b) => b.id)
          .sort(),
        [2, 3],
      )
      assert.ok(partitionsIn(c.leaderAndIsr(to), 't').length > 0)
    }
    // The partition led by the dead broker moved (leader from the ISR, epoch + 1).
    const st = await c.state('t', 0)
    assert.equal(st!.leader, 2)
    assert.deepEqual(st!.isr, [2, 3])
    assert.equal(st!.leaderEpoch, 1)
    assert.equal(st!.controllerEpoch, 2)
  })

  it("a deposed controller's writes are refused by the epoch check, and it resigns", async () => {
    await c.startBroker(1)
    await c.startBroker(2)
    const k1 = await c.startController(1)
    assert.equal(k1.isActive, true)
    // In one instant, before k1 has processed anything: a topic appears, and broker 2 becomes
    // controller (as after a ZooKeeper partition), bumping the epoch. k1 handles the topic first.
    const topic = c.createTopic('t', { 0: [1, 2] })
    const takeover = c.admin.multi([
      { op: 'delete', path: ZkPaths.controller },
      { op: 'create', path: ZkPaths.controller, data: encodeController(2, c.clock.now()) },
      { op: 'setData', path: ZkPaths.controllerEpoch, data: encodeControllerEpoch(2), version: 1 },
    ])
    await Promise.all([topic, takeover])
    await c.settleAll()
    assert.equal(await c.state('t', 0), null, 'no state written by the deposed controller')
    assert.equal(k1.isActive, false)
    assert.equal(k1.controllerId, 2)
    assert.ok(c.channels.get(1)!.closes > 0, 'its broker queues were closed')
    assert.equal(c.leaderAndIsr().length, 0)
    const r = await k1.controlledShutdown(2, await c.brokerEpoch(2))
    assert.equal(r.errorCode, ErrorCode.NOT_CONTROLLER)
    const e = await k1.electLeaders({ electionType: 0, topicPartitions: null, timeoutMs: 1000 })
    assert.equal(e.errorCode, ErrorCode.NOT_CONTROLLER)
    // When that controller goes away, k1 is elected again with a higher epoch and does the work.
    await c.admin.delete(ZkPaths.controller)
    await c.settleAll()
    assert.equal(k1.isActive, true)
    assert.equal(k1.epoch, 3)
    assert.equal((await c.state('t', 0))!.controllerEpoch, 3)
  })

  it('a controller that stops hands over at once', async () => {
    await c.startBroker(1)
    await c.startBroker(2)
    const k1 = await c.startController(1)
    const k2 = await c.startController(2)
    assert.equal(k1.isActive, true)
    await k1.stop()
    await c.settleAll()
    assert.equal(k2.isActive, true)
    assert.equal(k2.epoch, 2)
  })
})
