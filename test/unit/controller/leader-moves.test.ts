// Leadership moves the controller makes on request: controlled shutdown (RF 3 moves, RF 1 stays),
// ElectLeaders (preferred and unclean, with Kafka's per-partition errors), the periodic leader
// rebalance, and unclean election on broker failure, off by default and on per topic.

import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import { Cluster, partitionsIn } from './harness.ts'

describe('ZkController leader moves', () => {
  let c: Cluster
  beforeEach(async () => {
    c = new Cluster()
    await c.init()
    for (const id of [1, 2, 3]) await c.startBroker(id)
  })
  afterEach(async () => {
    await c.close()
  })

  it('controlled shutdown moves RF 3 leaderships, leaves ISRs, keeps RF 1 partitions', async () => {
    const k = await c.startController(1)
    await c.createTopic('r3', { 0: [2, 3, 1], 1: [1, 2, 3] })
    await c.createTopic('r1', { 0: [2] })
    c.clearSent()
    const r = await k.controlledShutdown(2, await c.brokerEpoch(2))
    await c.settleAll()
    assert.deepEqual(r, { errorCode: ErrorCode.NONE, remaining: [] })
    const led = await c.state('r3', 0)
    assert.equal(led!.leader, 3)
    assert.deepEqual(led!.isr, [3, 1])
    assert.equal(led!.leaderEpoch, 1)
    const followed = await c.state('r3', 1)
    assert.equal(followed!.leader, 1)
    assert.deepEqual(followed!.isr, [1, 3])
    assert.equal(followed!.leaderEpoch, 1)
    assert.deepEqual(await c.state('r1', 0), {
      leader: 2,
      leaderEpoch: 0,
      isr: [2],
      controllerEpoch: 1,
      leaderRecoveryState: 0,
    })
    // The shutting-down broker hears it is a follower now, and stops its follower replica.
    assert.deepEqual(partitionsIn(c.leaderAndIsr(2), 'r3').find((p) => p.partitionIndex === 0)?.leader, 3)
    const stop = c.stopReplica(2)
    assert.equal(stop.length, 1)
    assert.deepEqual(
      stop[0]!.topicStates.map((t) => [
        t.topicName,
        t.partitionStates.map((p) => [p.partitionIndex, p.deletePartition]),
      ]),
      [['r3', [[1, false]]]],
    )
    // While it shuts down, it is never chosen as leader: broker 3 dies, r3-0 has no one else in its ISR but 1.
    await c.killBroker(3)
    assert.equal((await c.state('r3', 0))!.leader, 1)
  })

  it('controlled shutdown lists replicated partitions it cannot move; checks the broker epoch', async () => {
    const k = await c.startController(1)
    await c.createTopic('t', { 0: [2, 3] }, null, {
      0: { leader: 2, leaderEpoch: 4, isr: [2], controllerEpoch: 0 },
    })
    const stale = await k.controlledShutdown(2, (await c.brokerEpoch(2)) - 1n)
    assert.equal(stale.errorCode, ErrorCode.STALE_BROKER_EPOCH)
    const r = await k.controlledShutdown(2, await c.brokerEpoch(2))
    assert.deepEqual(r, { errorCode: ErrorCode.NONE, remaining: [{ topicName: 't', partitionIndex: 0 }] })
    assert.equal((await c.state('t', 0))!.leader, 2)
    const notLive = await k.controlledShutdown(9, -1n)
    assert.equal(notLive.errorCode, ErrorCode.BROKER_NOT_AVAILABLE)
  })

  it('preferred election moves leadership back; ELECTION_NOT_NEEDED and per-partition errors', async () => {
    await c.createTopic('t', { 0: [1, 2, 3], 1: [1, 2], 2: [2, 3] }, null, {
      0: { leader: 2, leaderEpoch: 3, isr: [1, 2, 3], controllerEpoch: 0 },
      1: { leader: 1, leaderEpoch: 0, isr: [1, 2], controllerEpoch: 0 },
      2: { leader: 3, leaderEpoch: 0, isr: [3], controllerEpoch: 0 },
    })
    const k = await c.startController(1)
    c.clearSent()
    const r = await k.electLeaders({
      electionType: 0,
      topicPartitions: [
        { topic: 't', partitions: [0, 1, 2] },
        { topic: 'nope', partitions: [0] },
      ],
      timeoutMs: 30_000,
    })
    assert.equal(r.errorCode, ErrorCode.NONE)
    const codes = r.results.flatMap((t) =>
      t.partitionResults.map((p) => [t.topic, p.partitionId, p.errorCode]),
    )
    assert.deepEqual(codes, [
      ['t', 0, ErrorCode.NONE],
      ['t', 1, ErrorCode.ELECTION_NOT_NEEDED],
      ['t', 2, ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE],
      ['nope', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ])
    assert.equal(r.results[0]!.partitionResults[0]!.errorMessage, null)
    const st = await c.state('t', 0)
    assert.equal(st!.leader, 1)
    assert.equal(st!.leaderEpoch, 4)
    assert.deepEqual(st!.isr, [1, 2, 3])
    await c.settleAll()
    for (const to of [1, 2, 3])
      assert.deepEqual(partitionsIn(c.leaderAndIsr(to), 't'), [
        { partitionIndex: 0, leader: 1, leaderEpoch: 4, isr: [1, 2, 3] },
      ])
    // All partitions: nothing left to do.
    const all = await k.electLeaders({ electionType: 0, topicPartitions: null, timeoutMs: 30_000 })
    assert.deepEqual(
      all.results.flatMap((t) => t.partitionResults.map((p) => [p.partitionId, p.errorCode])),
      [
        [0, ErrorCode.ELECTION_NOT_NEEDED],
        [1, ErrorCode.ELECTION_NOT_NEEDED],
        [2, ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE],
      ],
    )
  })

  it('auto leader rebalance runs on the clock above the imbalance percentage', async () => {
    await c.createTopic('t', { 0: [1, 2], 1: [1, 2] }, null, {
      0: { leader: 2, leaderEpoch: 0, isr: [1, 2], controllerEpoch: 0 },
      1: { leader: 1, leaderEpoch: 0, isr: [1, 2], controllerEpoch: 0 },
    })
    await c.createTopic('u', { 0: [2, 3] }, null, {
      0: { leader: 3, leaderEpoch: 0, isr: [3, 2], controllerEpoch: 0 },
    })
    await c.startController(1, {
      autoLeaderRebalanceEnable: true,
      leaderImbalanceCheckIntervalMs: 60_000,
      leaderImbalancePerBrokerPercentage: 60,
    })
    // Broker 1: 1 of 2 preferred partitions not led (50% <= 60%); broker 2: 1 of 1 (100%).
    await c.clock.advanceAsync(4_999)
    await c.settleAll()
    assert.equal((await c.state('u', 0))!.leader, 3, 'not before the first check')
    await c.clock.advanceAsync(1)
    await c.settleAll()
    assert.equal((await c.state('u', 0))!.leader, 2)
    assert.equal((await c.state('t', 0))!.leader, 2, 'broker 1 is within the allowed imbalance')
    // Periodic: a new topic preferring broker 1 but led by 2 raises broker 1 to 2 of 3 (67%).
    await c.createTopic('v', { 0: [1, 2] }, null, {
      0: { leader: 2, leaderEpoch: 7, isr: [2, 1], controllerEpoch: 0 },
    })
    await c.clock.advanceAsync(59_999)
    await c.settleAll()
    assert.equal((await c.state('v', 0))!.leader, 2, 'not before the next check')
    await c.clock.advanceAsync(1)
    await c.settleAll()
    assert.deepEqual(await c.state('v', 0), {
      leader: 1,
      leaderEpoch: 8,
      isr: [2, 1],
      controllerEpoch: 1,
      leaderRecoveryState: 0,
    })
    assert.equal((await c.state('t', 0))!.leader, 1)
  })

  it('unclean election is off by default and on by topic override', async () => {
    const k = await c.startController(1)
    const isr3 = { 0: { leader: 3, leaderEpoch: 0, isr: [3], controllerEpoch: 0 } }
    await c.setTopicConfig('dirty', { 'unclean.leader.election.enable': 'true' })
    await c.createTopic('clean', { 0: [3, 2] }, null, isr3)
    await c.createTopic('dirty', { 0: [3, 2] }, null, isr3)
    await c.killBroker(3)
    assert.deepEqual(await c.state('clean', 0), {
      leader: -1,
      leaderEpoch: 1,
      isr: [3],
      controllerEpoch: 1,
      leaderRecoveryState: 0,
    })
    assert.deepEqual(await c.state('dirty', 0), {
      leader: 2,
      leaderEpoch: 1,
      isr: [2],
      controllerEpoch: 1,
      leaderRecoveryState: 1,
    })
    // ElectLeaders UNCLEAN forces it for the clean topic.
    const r = await k.electLeaders({
      electionType: 1,
      topicPartitions: [{ topic: 'clean', partitions: [0] }],
      timeoutMs: 1000,
    })
    assert.equal(r.results[0]!.partitionResults[0]!.errorCode, ErrorCode.NONE)
    assert.equal((await c.state('clean', 0))!.leader, 2)
    const again = await k.electLeaders({
      electionType: 1,
      topicPartitions: [{ topic: 'clean', partitions: [0] }],
      timeoutMs: 1000,
    })
    assert.equal(again.results[0]!.partitionResults[0]!.errorCode, ErrorCode.ELECTION_NOT_NEEDED)
  })

  it('unclean election with the broker default on', async () => {
    await c.startController(1, { uncleanLeaderElectionEnable: true })
    const isr3 = { 0: { leader: 3, leaderEpoch: 5, isr: [3], controllerEpoch: 0 } }
    await c.setTopicConfig('t', { 'unclean.leader.election.enable': 'false' })
    await c.createTopic('t', { 0: [3, 1] }, null, isr3)
    await c.createTopic('u', { 0: [3, 1] }, null, isr3)
    await c.killBroker(3)
    assert.equal((await c.state('t', 0))!.leader, -1, 'the topic override wins')
    assert.equal((await c.state('u', 0))!.leader, 1)
    assert.equal((await c.state('u', 0))!.leaderEpoch, 6)
  })

  it('ElectLeaders UNCLEAN with no live replica: ELIGIBLE_LEADERS_NOT_AVAILABLE', async () => {
    const k = await c.startController(1)
    await c.createTopic('t', { 0: [3] })
    await c.killBroker(3)
    const r = await k.electLeaders({
      electionType: 1,
      topicPartitions: [{ topic: 't', partitions: [0, 7] }],
      timeoutMs: 1000,
    })
    assert.deepEqual(
      r.results[0]!.partitionResults.map((p) => [p.partitionId, p.errorCode]),
      [
        [0, ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE],
        [7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ],
    )
  })
})
