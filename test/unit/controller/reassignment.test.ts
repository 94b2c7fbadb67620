// Partition reassignment on the controller over the in-memory ZooKeeper (KIP-455, Kafka's
// onPartitionReassignment): the topic znode and state znode at each step, the requests sent
// (LeaderAndIsr to RS with AR as new, then to TRS with the new leader; StopReplica with delete to
// RR; UpdateMetadata after it), completion when AlterPartition brings the target into the ISR,
// cancellation back to the original replicas, Kafka's refusals, and a controller failover in the
// middle of a move that the next controller resumes from the znodes.

import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import type { Uuid } from '../../../src/common/ids.ts'
import type { AlterReassignmentsResult } from '../../../src/controller/reassignment.ts'
import type { ZkController } from '../../../src/controller/zk-controller.ts'
import { ZkPaths } from '../../../src/metadata/zk/znodes.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import { Cluster } from './harness.ts'

const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ' as Uuid

describe('ZkController partition reassignment', () => {
  let c: Cluster
  let k: ZkController
  beforeEach(async () => {
    c = new Cluster()
    await c.init()
    for (const id of [1, 2, 3, 4, 5]) await c.startBroker(id)
    k = await c.startController(1)
    await c.createTopic('t', { 0: [1, 2, 3], 1: [2, 3, 1] }, TOPIC_ID)
    c.clearSent()
  })
  afterEach(async () => {
    await c.close()
  })

  async function reassign(
    partition: number,
    replicas: number[] | null,
    controller: ZkController = k,
  ): Promise<AlterReassignmentsResult> {
    const r = await controller.alterPartitionReassignments({
      topics: [{ name: 't', partitions: [{ partitionIndex: partition, replicas }] }],
    })
    await c.settleAll()
    return r
  }

  const codeOf = (r: AlterReassignmentsResult) => r.responses[0]!.partitions[0]!.errorCode
  const messageOf = (r: AlterReassignmentsResult) => r.responses[0]!.partitions[0]!.errorMessage

  async function topicZnode(): Promise<Record<string, unknown>> {
    return JSON.parse((await c.raw(ZkPaths.topic('t')))!) as Record<string, unknown>
  }

  /** The leader's AlterPartition (v1, by name) from the current state znode. */
  async function alterIsr(partition: number, newIsr: number[], controller: ZkController = k) {
    const st = (await c.state('t', partition))!
    const stat = (await c.admin.exists(ZkPaths.partitionState('t', partition)))!
    const r = await controller.alterPartition({
      version: 1,
      brokerId: st.leader,
      brokerEpoch: await c.brokerEpoch(st.leader),
      topics: [
        {
          topicName: 't',
          topicId: TOPIC_ID,
          partitions: [
            {
              partitionIndex: partition,
              leaderEpoch: st.leaderEpoch,
              newIsr,
              newIsrEpochs: newIsr.map(() => -1n),
              leaderRecoveryState: 0,
              partitionEpoch: stat.version,
            },
          ],
        },
      ],
    })
    await c.settleAll()
    assert.equal(r.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE)
  }

  /** Partition states of 't'-p in the LeaderAndIsr requests sent to `to`. */
  function laiTo(to: number, p = 0) {
    return c
      .leaderAndIsr(to)
      .flatMap((r) => r.topicStates.filter((t) => t.topicName === 't').flatMap((t) => t.partitionStates))
      .filter((s) => s.partitionIndex === p)
  }

  it('moves 1,2,3 to 2,3,4: RS in the znode, new replica started, completion when the ISR has the target', async () => {
    const r = await reassign(0, [2, 3, 4])
    assert.equal(codeOf(r), ErrorCode.NONE)
    assert.equal(messageOf(r), null)
    // Step 1: the topic znode holds RS = TRS + ORS with AR and RR; partition 1 untouched.
    assert.deepEqual(await topicZnode(), {
      partitions: { 0: [2, 3, 4, 1], 1: [2, 3, 1] },
      adding_replicas: { 0: [4] },
      removing_replicas: { 0: [1] },
      version: 3,
      topic_id: TOPIC_ID,
    })
    // Step 2: leader epoch bumped, same leader and ISR; LeaderAndIsr to all of RS.
    const st = await c.state('t', 0)
    assert.deepEqual([st!.leader, st!.leaderEpoch, st!.isr], [1, 1, [1, 2, 3]])
    for (const id of [1, 2, 3, 4]) {
      const sent = laiTo(id)
      assert.equal(sent.length, 1, `one LeaderAndIsr to ${id}`)
      assert.deepEqual(sent[0]!.replicas, [2, 3, 4, 1])
      assert.deepEqual(sent[0]!.addingReplicas, [4])
      assert.deepEqual(sent[0]!.removingReplicas, [1])
      assert.equal(sent[0]!.leaderEpoch, 1)
      assert.equal(sent[0]!.isNew, id === 4)
    }
    assert.equal(c.stopReplica().length, 0)
    const listed = await k.listPartitionReassignments({ topics: null })
    assert.deepEqual(listed, {
      errorCode: 0,
      errorMessage: null,
      topics: [
        {
          name: 't',
          partitions: [
            { partitionIndex: 0, replicas: [2, 3, 4, 1], addingReplicas: [4], removingReplicas: [1] },
          ],
        },
      ],
    })

    // Not yet: the ISR grows without 4 being caught up (an unrelated ISR change).
    await alterIsr(0, [1, 2])
    assert.deepEqual((await topicZnode()).adding_replicas, { 0: [4] })

    // The leader adds 4: the target is in the ISR, the move completes.
    c.clearSent()
    await alterIsr(0, [1, 2, 4])
    assert.deepEqual((await topicZnode()).adding_replicas, { 0: [4] }, 'still waits for 3')
    await alterIsr(0, [1, 2, 4, 3])
    const done = await c.state('t', 0)
    assert.equal(done!.leader, 2, 'leader moves to the first target replica in the ISR')
    assert.deepEqual(done!.isr, [2, 4, 3])
    assert.equal(done!.leaderEpoch, 2)
    assert.deepEqual(await topicZnode(), {
      partitions: { 0: [2, 3, 4], 1: [2, 3, 1] },
      adding_replicas: {},
      removing_replicas: {},
      version: 3,
      topic_id: TOPIC_ID,
    })
    for (const id of [2, 3, 4]) {
      const last = laiTo(id).at(-1)!
      assert.deepEqual(
        [last.leader, last.leaderEpoch, last.replicas, last.addingReplicas],
        [2, 2, [2, 3, 4], []],
      )
    }
    assert.equal(laiTo(1).length, 0, 'the removed replica gets no LeaderAndIsr')
    const stops = c.sent.filter((s) => s.apiKey === 5)
    assert.equal(stops.length, 1)
    assert.equal(stops[0]!.to, 1)
    const stop = c.stopReplica(1)[0]!
    assert.deepEqual(stop.topicStates[0]!.partitionStates, [
      { partitionIndex: 0, leaderEpoch: 2, deletePartition: true },
    ])
    // UpdateMetadata with the final replicas reaches broker 1 after its StopReplica.
    const toOne = c.sent.filter((s) => s.to === 1).map((s) => s.apiKey)
    assert.equal(toOne.at(-1), 6)
    assert.ok(toOne.indexOf(5) < toOne.lastIndexOf(6))
    const um = c.updateMetadata(3).at(-1)!
    assert.deepEqual(um.topicStates[0]!.partitionStates[0]!.replicas, [2, 3, 4])
    assert.deepEqual((await k.listPartitionReassignments({ topics: null })).topics, [])
  })

  it('a move that only removes replicas completes at once, leader kept', async () => {
    const r = await reassign(0, [1, 2])
    assert.equal(codeOf(r), ErrorCode.NONE)
    const st = await c.state('t', 0)
    assert.deepEqual([st!.leader, st!.isr, st!.leaderEpoch], [1, [1, 2], 1])
    assert.deepEqual((await topicZnode()).partitions, { 0: [1, 2], 1: [2, 3, 1] })
    assert.deepEqual((await topicZnode()).removing_replicas, {})
    assert.equal(c.stopReplica(3)[0]!.topicStates[0]!.partitionStates[0]!.deletePartition, true)
  })

  it('cancellation reverts to the original replicas and deletes the added ones', async () => {
    await reassign(0, [4, 5])
    assert.deepEqual((await topicZnode()).partitions, { 0: [4, 5, 1, 2, 3], 1: [2, 3, 1] })
    await alterIsr(0, [1, 2, 3, 4])
    c.clearSent()
    const r = await reassign(0, null)
    assert.equal(codeOf(r), ErrorCode.NONE)
    assert.deepEqual(await topicZnode(), {
      partitions: { 0: [1, 2, 3], 1: [2, 3, 1] },
      adding_replicas: {},
      removing_replicas: {},
      version: 3,
      topic_id: TOPIC_ID,
    })
    const st = await c.state('t', 0)
    assert.equal(st!.leader, 1)
    assert.deepEqual(st!.isr, [1, 2, 3], 'the added replica left the ISR')
    for (const id of [4, 5]) {
      const stop = c.stopReplica(id)
      assert.equal(stop.length, 1, `StopReplica to ${id}`)
      assert.equal(stop[0]!.topicStates[0]!.partitionStates[0]!.deletePartition, true)
    }
    assert.deepEqual(laiTo(1).at(-1)!.replicas, [1, 2, 3])
    // Nothing left to cancel.
    const again = await reassign(0, null)
    assert.equal(codeOf(again), ErrorCode.NO_REASSIGNMENT_IN_PROGRESS)
    assert.equal(messageOf(again), 'No partition reassignment is in progress.')
  })

  it('a new target during a move is measured from the original replicas', async () => {
    await reassign(0, [2, 3, 4])
    c.clearSent()
    await reassign(0, [2, 3, 5])
    assert.deepEqual(await topicZnode(), {
      partitions: { 0: [2, 3, 5, 1], 1: [2, 3, 1] },
      adding_replicas: { 0: [5] },
      removing_replicas: { 0: [1] },
      version: 3,
      topic_id: TOPIC_ID,
    })
    assert.equal(c.stopReplica(4).length, 1, 'the replica no longer wanted is deleted')
    assert.equal(laiTo(5).at(-1)!.isNew, true)
  })

  it("refuses as Kafka's controller does", async () => {
    const cases: [number, number[] | null, number, string | null][] = [
      [
        0,
        [],
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        'Empty replica list specified in partition reassignment.',
      ],
      [
        0,
        [2, 2],
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        'Duplicate replica ids in partition reassignment replica list: [2, 2]',
      ],
      [0, [2, -1], ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Invalid broker id in replica list: [2, -1]'],
      [
        0,
        [2, 9],
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        'Replica assignment has brokers that are not alive. Replica list: [9], live broker list: [1, 2, 3, 4, 5]',
      ],
      [7, [1, 2], ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'The partition does not exist.'],
      [7, null, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, 'No partition reassignment is in progress.'],
    ]
    for (const [p, replicas, code, message] of cases) {
      const r = await reassign(p, replicas)
      assert.equal(codeOf(r), code, `${p} ${replicas}`)
      assert.equal(messageOf(r), message)
    }
    const unknown = await k.alterPartitionReassignments({
      topics: [{ name: 'nope', partitions: [{ partitionIndex: 0, replicas: [1] }] }],
    })
    assert.equal(unknown.responses[0]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    assert.deepEqual((await topicZnode()).partitions, { 0: [1, 2, 3], 1: [2, 3, 1] })
    assert.equal(c.sent.length, 0)
  })

  it('answers NOT_CONTROLLER on a broker whose controller is not active', async () => {
    const standby = await c.startController(2)
    const r = await reassign(0, [2, 3, 4], standby)
    assert.equal(r.errorCode, ErrorCode.NOT_CONTROLLER)
    assert.equal(r.errorMessage, 'This is not the correct controller for this cluster.')
    assert.deepEqual(r.responses, [])
    const l = await standby.listPartitionReassignments({ topics: null })
    assert.equal(l.errorCode, ErrorCode.NOT_CONTROLLER)
  })

  it('lists only the named partitions that are moving', async () => {
    await reassign(1, [2, 3, 4])
    const named = await k.listPartitionReassignments({ topics: [{ name: 't', partitionIndexes: [0, 1, 9] }] })
    assert.deepEqual(named.topics, [
      {
        name: 't',
        partitions: [
          { partitionIndex: 1, replicas: [2, 3, 4, 1], addingReplicas: [4], removingReplicas: [1] },
        ],
      },
    ])
  })

  it('a controller failover in the middle of a move resumes it from the znodes', async () => {
    const next = await c.startController(5)
    await reassign(0, [2, 3, 4])
    const before = await c.state('t', 0)
    assert.equal(before!.leaderEpoch, 1)
    c.clearSent()
    await c.killBroker(1)
    assert.equal(next.isActive, true)
    // The dead leader's partition got a new leader from the ISR; the move was resumed (epoch bump,
    // LeaderAndIsr to RS with 4 as new).
    const st = await c.state('t', 0)
    assert.equal(st!.leader, 2)
    assert.ok(st!.leaderEpoch >= 3)
    const toFour = laiTo(4).at(-1)!
    assert.deepEqual(
      [toFour.replicas, toFour.addingReplicas, toFour.removingReplicas],
      [[2, 3, 4, 1], [4], [1]],
    )
    assert.deepEqual(
      (await next.listPartitionReassignments({ topics: null })).topics[0]!.partitions[0]!.addingReplicas,
      [4],
    )
    // The new leader takes 4 into the ISR: the new controller completes the move.
    await alterIsr(0, [2, 3, 4], next)
    const done = await c.state('t', 0)
    assert.deepEqual([done!.leader, done!.isr], [2, [2, 3, 4]])
    assert.deepEqual((await topicZnode()).partitions, { 0: [2, 3, 4], 1: [2, 3, 1] })
    assert.deepEqual((await topicZnode()).adding_replicas, {})
  })
})
