// How the controller reacts to new topics and partitions, broker deaths and restarts: the state
// znodes it writes (Kafka's JSON), the leaders it picks, and who is told what (LeaderAndIsr to the
// replicas, UpdateMetadata with offline replicas to every live broker).

import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { encodeTopicAssignment, ZkPaths } from '../../../src/metadata/zk/znodes.ts'
import { Cluster, partitionsIn } from './harness.ts'

const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ'

describe('ZkController topics and brokers', () => {
  let c: Cluster
  beforeEach(async () => {
    c = new Cluster()
    await c.init()
    for (const id of [1, 2, 3]) await c.startBroker(id)
    await c.startController(1)
    c.clearSent()
  })
  afterEach(async () => {
    await c.close()
  })

  it('a new topic gets state znodes in Kafka JSON, LeaderAndIsr to its replicas, UpdateMetadata to all', async () => {
    await c.createTopic('t', { 0: [1, 2], 1: [2, 3], 2: [3, 1] }, TOPIC_ID)
    assert.equal(
      await c.raw(ZkPaths.partitionState('t', 0)),
      '{"controller_epoch":1,"leader":1,"version":1,"leader_epoch":0,"isr":[1,2],"leader_recovery_state":0}',
    )
    assert.deepEqual(await c.state('t', 1), {
      leader: 2,
      leaderEpoch: 0,
      isr: [2, 3],
      controllerEpoch: 1,
      leaderRecoveryState: 0,
    })
    assert.equal((await c.state('t', 2))!.leader, 3)
    const lai1 = c.leaderAndIsr(1)
    assert.equal(lai1.length, 1)
    assert.equal(lai1[0]!.controllerId, 1)
    assert.equal(lai1[0]!.controllerEpoch, 1)
    assert.equal(lai1[0]!.brokerEpoch, await c.brokerEpoch(1))
    assert.equal(lai1[0]!.topicStates[0]!.topicId, TOPIC_ID)
    const ps = lai1[0]!.topicStates[0]!.partitionStates
    assert.deepEqual(
      ps.map((p) => [p.partitionIndex, p.leader, [...p.replicas], p.isNew, p.partitionEpoch]),
      [
        [0, 1, [1, 2], true, 0],
        [2, 3, [3, 1], true, 0],
      ],
    )
    assert.deepEqual(lai1[0]!.liveLeaders.map((l) => [l.brokerId, l.hostName, l.port]).sort(), [
      [1, 'localhost', 9091],
      [3, 'localhost', 9093],
    ])
    for (const to of [1, 2, 3]) {
      const ums = c.updateMetadata(to)
      assert.equal(ums.length, 1)
      assert.equal(ums[0]!.brokerEpoch, await c.brokerEpoch(to))
      assert.deepEqual(
        partitionsIn(ums, 't')
          .map((p) => p.partitionIndex)
          .sort(),
        [0, 1, 2],
      )
      const b2 = ums[0]!.liveBrokers.find((b) => b.id === 2)!
      assert.deepEqual(
        b2.endpoints.map((e) => [e.listener, e.host, e.port, e.securityProtocol]),
        [
          ['PLAINTEXT', 'localhost', 9092, 0],
          ['INTERNAL', 'internal-2', 19092, 0],
        ],
      )
    }
  })

  it('partitions added to the assignment get state and LeaderAndIsr', async () => {
    await c.createTopic('t', { 0: [1] })
    c.clearSent()
    const cur = await c.admin.getData(ZkPaths.topic('t'))
    await c.admin.setData(
      ZkPaths.topic('t'),
      encodeTopicAssignment({
        topicId: null,
        partitions: new Map([
          [0, [1]],
          [1, [2]],
        ]),
        addingReplicas: new Map(),
        removingReplicas: new Map(),
      }),
      cur!.stat.version,
    )
    await c.settleAll()
    assert.equal((await c.state('t', 1))!.leader, 2)
    assert.deepEqual(
      partitionsIn(c.leaderAndIsr(2), 't').map((p) => p.partitionIndex),
      [1],
    )
    assert.equal(c.leaderAndIsr(1).length, 0)
  })

  it('an RF 1 partition whose broker dies has leader -1 and shows it offline', async () => {
    await c.createTopic('t', { 0: [3], 1: [2] })
    c.clearSent()
    await c.killBroker(3)
    assert.deepEqual(await c.state('t', 0), {
      leader: -1,
      leaderEpoch: 1,
      isr: [3],
      controllerEpoch: 1,
      leaderRecoveryState: 0,
    })
    for (const to of [1, 2]) {
      const p0 = c
        .updateMetadata(to)
        .flatMap((u) => u.topicStates.flatMap((t) => t.partitionStates))
        .filter((p) => p.partitionIndex === 0)
      assert.ok(p0.length > 0)
      assert.equal(p0.at(-1)!.leader, -1)
      assert.deepEqual([...p0.at(-1)!.offlineReplicas], [3])
      assert.deepEqual(
        c
          .updateMetadata(to)
          .at(-1)!
          .liveBrokers.map((b) => b.id),
        [1, 2],
      )
    }
    assert.equal(c.updateMetadata(3).length, 0)
    assert.equal((await c.state('t', 1))!.leaderEpoch, 0, 'untouched')
  })

  it('an RF 3 leader that dies is replaced from the ISR; a dead follower leaves the ISR', async () => {
    await c.createTopic('t', { 0: [2, 3, 1] })
    c.clearSent()
    await c.killBroker(2)
    assert.deepEqual(await c.state('t', 0), {
      leader: 3,
      leaderEpoch: 1,
      isr: [3, 1],
      controllerEpoch: 1,
      leaderRecoveryState: 0,
    })
    for (const to of [1, 3]) {
      const p = partitionsIn(c.leaderAndIsr(to), 't')
      assert.deepEqual(p.at(-1), { partitionIndex: 0, leader: 3, leaderEpoch: 1, isr: [3, 1] })
    }
    c.clearSent()
    await c.killBroker(3)
    // The leader died again: broker 1 (last live ISR member) leads.
    assert.deepEqual(await c.state('t', 0), {
      leader: 1,
      leaderEpoch: 2,
      isr: [1],
      controllerEpoch: 1,
      leaderRecoveryState: 0,
    })
  })

  it('a follower that dies leaves the ISR with a new leader epoch', async () => {
    await c.createTopic('t', { 0: [1, 2, 3] })
    await c.killBroker(3)
    assert.deepEqual(await c.state('t', 0), {
      leader: 1,
      leaderEpoch: 1,
      isr: [1, 2],
      controllerEpoch: 1,
      leaderRecoveryState: 0,
    })
  })

  it('a restarted broker (new czxid) gets everything again and leads its offline partition', async () => {
    await c.createTopic('t', { 0: [3], 1: [1, 3] })
    const oldEpoch = await c.brokerEpoch(3)
    await c.killBroker(3)
    assert.equal((await c.state('t', 0))!.leader, -1)
    c.clearSent()
    await c.startBroker(3)
    await c.settleAll()
    const newEpoch = await c.brokerEpoch(3)
    assert.ok(newEpoch > oldEpoch)
    assert.deepEqual(await c.state('t', 0), {
      leader: 3,
      leaderEpoch: 2,
      isr: [3],
      controllerEpoch: 1,
      leaderRecoveryState: 0,
    })
    // Full metadata, then its partitions, addressed to its new incarnation.
    const um = c.updateMetadata(3)
    assert.ok(um.length >= 1)
    assert.deepEqual(
      partitionsIn([um[0]!], 't')
        .map((p) => p.partitionIndex)
        .sort(),
      [0, 1],
    )
    assert.ok(um.every((u) => u.brokerEpoch === newEpoch))
    const lai = c.leaderAndIsr(3)
    assert.ok(lai.every((r) => r.brokerEpoch === newEpoch))
    assert.deepEqual([...new Set(partitionsIn(lai, 't').map((p) => p.partitionIndex))].sort(), [0, 1])
    assert.deepEqual(
      partitionsIn(lai, 't')
        .filter((p) => p.partitionIndex === 0)
        .at(-1),
      {
        partitionIndex: 0,
        leader: 3,
        leaderEpoch: 2,
        isr: [3],
      },
    )
    // The others learn the broker list.
    assert.deepEqual(
      c
        .updateMetadata(2)
        .at(-1)!
        .liveBrokers.map((b) => b.id),
      [1, 2, 3],
    )
  })

  it('a bounce unseen in between (same id, new session) counts as died and started', async () => {
    await c.createTopic('t', { 0: [3] })
    const old = c.sessions.get(3)!
    // Re-register before the controller processes anything: one BrokerChange sees only a new czxid.
    c.zk.expireSession(old)
    const restarted = c.startBroker(3) // its create runs before the watch event is processed
    await restarted
    await c.settleAll()
    const st = await c.state('t', 0)
    assert.equal(st!.leader, 3)
    assert.ok(st!.leaderEpoch >= 1, 'the old incarnation was treated as failed')
    assert.ok(c.leaderAndIsr(3).at(-1)!.brokerEpoch === (await c.brokerEpoch(3)))
  })
})
