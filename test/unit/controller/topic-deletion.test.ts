// Topic deletion through /admin/delete_topics: leader -2 in UpdateMetadata, StopReplica with
// delete to every live replica, then the topic's znodes removed; names that are not topics only
// lose their admin node; a deletion pending at failover is finished by the new controller.

import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { ZkPaths } from '../../../src/metadata/zk/znodes.ts'
import { Cluster, partitionsIn } from './harness.ts'

describe('ZkController topic deletion', () => {
  let c: Cluster
  beforeEach(async () => {
    c = new Cluster()
    await c.init()
    for (const id of [1, 2, 3]) await c.startBroker(id)
  })
  afterEach(async () => {
    await c.close()
  })

  it('deletes a topic: UpdateMetadata leader -2, StopReplica with delete, znodes removed', async () => {
    await c.startController(1)
    await c.createTopic('t', { 0: [1, 2], 1: [3] })
    await c.createTopic('keep', { 0: [2] })
    await c.setTopicConfig('t', { 'retention.ms': '1000' })
    c.clearSent()
    await c.admin.create(ZkPaths.adminDeleteTopic('t'), null)
    await c.settleAll()
    for (const to of [1, 2, 3]) {
      const ps = partitionsIn(c.updateMetadata(to), 't')
      assert.deepEqual(ps.map((p) => [p.partitionIndex, p.leader]).sort(), [
        [0, -2],
        [1, -2],
      ])
      assert.equal(partitionsIn(c.updateMetadata(to), 'keep').length, 0)
    }
    const stops = (to: number) =>
      c
        .stopReplica(to)
        .flatMap((r) =>
          r.topicStates.flatMap((t) =>
            t.partitionStates.map((p) => [t.topicName, p.partitionIndex, p.deletePartition, p.leaderEpoch]),
          ),
        )
    assert.deepEqual(stops(1), [['t', 0, true, -2]])
    assert.deepEqual(stops(2), [['t', 0, true, -2]])
    assert.deepEqual(stops(3), [['t', 1, true, -2]])
    assert.equal(await c.admin.exists(ZkPaths.topic('t')), null)
    assert.equal(await c.admin.exists(ZkPaths.configTopic('t')), null)
    assert.equal(await c.admin.exists(ZkPaths.adminDeleteTopic('t')), null)
    assert.notEqual(await c.admin.exists(ZkPaths.topic('keep')), null)
    // The topic can be created again and gets fresh state.
    await c.createTopic('t', { 0: [2] })
    assert.equal((await c.state('t', 0))!.leader, 2)
    assert.equal((await c.state('t', 0))!.leaderEpoch, 0)
  })

  it('a deletion request for a name that is not a topic is just removed', async () => {
    await c.startController(1)
    c.clearSent()
    await c.admin.create(ZkPaths.adminDeleteTopic('ghost'), null)
    await c.settleAll()
    assert.equal(await c.admin.exists(ZkPaths.adminDeleteTopic('ghost')), null)
    assert.equal(c.stopReplica().length, 0)
  })

  it('a deletion pending when the controller starts is carried out', async () => {
    await c.createTopic('t', { 0: [1] })
    await c.admin.create(ZkPaths.adminDeleteTopic('t'), null)
    await c.startController(2)
    await c.settleAll()
    assert.equal(await c.admin.exists(ZkPaths.topic('t')), null)
    assert.equal(await c.admin.exists(ZkPaths.adminDeleteTopic('t')), null)
    assert.equal(c.stopReplica(1).length, 1)
  })
})
