// AlterPartition at the controller over the in-memory ZooKeeper: a leader's ISR shrink and expansion
// are written to the state znode (same leader epoch, new partition epoch = znode version) and told
// to every broker with UpdateMetadata only; each refusal has Kafka's code and leaves the znode
// alone; a deposed controller cannot write; a restarted broker is not put back into an ISR by the
// controller (its leader does that through AlterPartition).

import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import type { Uuid } from '../../../src/common/ids.ts'
import { ZERO_UUID } from '../../../src/common/ids.ts'
import type {
  AlterPartitionInput,
  AlterPartitionPartitionInput,
  AlterPartitionResult,
} from '../../../src/controller/alter-partition.ts'
import type { ZkController } from '../../../src/controller/zk-controller.ts'
import { encodeControllerEpoch, ZkPaths } from '../../../src/metadata/zk/znodes.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import { Cluster, partitionsIn } from './harness.ts'

const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ' as Uuid
const OTHER_ID = 'AAAAAAAAAAAAAAAAAAAABQ' as Uuid

interface Ask extends Partial<AlterPartitionPartitionInput> {
  version?: number
  brokerId?: number
  brokerEpoch?: bigint
  topicName?: string
  topicId?: Uuid
}

describe('ZkController AlterPartition', () => {
  let c: Cluster
  let k: ZkController
  beforeEach(async () => {
    c = new Cluster()
    await c.init()
    for (const id of [1, 2, 3]) await c.startBroker(id)
    k = await c.startController(1)
    await c.createTopic('t', { 0: [1, 2, 3], 1: [2, 3, 1] }, TOPIC_ID)
    c.clearSent()
  })
  afterEach(async () => {
    await c.close()
  })

  /** One partition of 't' asked by broker 1 (its leader) at v2, from the state the topic starts in. */
  async function ask(a: Ask = {}, controller: ZkController = k): Promise<AlterPartitionResult> {
    const version = a.version ?? 2
    const brokerId = a.brokerId ?? 1
    const newIsr = a.newIsr ?? [1, 2]
    const input: AlterPartitionInput = {
      version,
      brokerId,
      brokerEpoch: a.brokerEpoch ?? (await c.brokerEpoch(brokerId)),
      topics: [
        {
          topicName: version >= 2 ? '' : (a.topicName ?? 't'),
          topicId: version >= 2 ? (a.topicId ?? TOPIC_ID) : ZERO_UUID,
          partitions: [
            {
              partitionIndex: a.partitionIndex ?? 0,
              leaderEpoch: a.leaderEpoch ?? 0,
              newIsr,
              newIsrEpochs: a.newIsrEpochs ?? newIsr.map(() => -1n),
              leaderRecoveryState: a.leaderRecoveryState ?? 0,
              partitionEpoch: a.partitionEpoch ?? 0,
            },
          ],
        },
      ],
    }
    const r = await controller.alterPartition(input)
    await c.settleAll()
    return r
  }

  const codeOf = (r: AlterPartitionResult): number => r.topics[0]!.partitions[0]!.errorCode

  async function znodeVersion(p = 0): Promise<number> {
    return (await c.admin.exists(ZkPaths.partitionState('t', p)))!.version
  }

  it('a shrink is written with the same leader epoch and answered with the new partition epoch', async () => {
    const r = await ask({ newIsr: [1, 2] })
    assert.deepEqual(r, {
      errorCode: ErrorCode.NONE,
      topics: [
        {
          topicName: '',
          topicId: TOPIC_ID,
          partitions: [
            {
              partitionIndex: 0,
              errorCode: ErrorCode.NONE,
              leaderId: 1,
              leaderEpoch: 0,
              isr: [1, 2],
              leaderRecoveryState: 0,
              partitionEpoch: 1,
            },
          ],
        },
      ],
    })
    assert.equal(
      await c.raw(ZkPaths.partitionState('t', 0)),
      '{"controller_epoch":1,"leader":1,"version":1,"leader_epoch":0,"isr":[1,2],"leader_recovery_state":0}',
    )
    assert.equal(await znodeVersion(), 1)
    // UpdateMetadata to every live broker, naming that partition with its new ISR and zkVersion.
    for (const to of [1, 2, 3]) {
      const ums = c.updateMetadata(to)
      assert.equal(ums.length, 1, `one UpdateMetadata to broker ${to}`)
      const states = ums[0]!.topicStates.flatMap((t) => t.partitionStates)
      assert.deepEqual(
        states.map((s) => [s.topicName, s.partitionIndex, s.leader, s.leaderEpoch, [...s.isr], s.zkVersion]),
        [['t', 0, 1, 0, [1, 2], 1]],
      )
    }
    assert.equal(c.leaderAndIsr().length, 0, 'no LeaderAndIsr: no role changed')
    assert.equal((await c.state('t', 1))!.isr.length, 3, 'the other partition is untouched')
  })

  it('an expansion follows a shrink; v3 checks the broker epochs it is given; v0 names topics', async () => {
    assert.equal(codeOf(await ask({ newIsr: [1, 2] })), ErrorCode.NONE)
    const epochs = [await c.brokerEpoch(1), await c.brokerEpoch(2), await c.brokerEpoch(3)]
    const r = await ask({ version: 3, newIsr: [1, 2, 3], newIsrEpochs: epochs, partitionEpoch: 1 })
    assert.deepEqual(r.topics[0]!.partitions[0], {
      partitionIndex: 0,
      errorCode: ErrorCode.NONE,
      leaderId: 1,
      leaderEpoch: 0,
      isr: [1, 2, 3],
      leaderRecoveryState: 0,
      partitionEpoch: 2,
    })
    assert.deepEqual((await c.state('t', 0))!.isr, [1, 2, 3])
    // v0: the topic by name, answered by name.
    const v0 = await ask({ version: 0, newIsr: [1, 3], partitionEpoch: 2 })
    assert.equal(v0.topics[0]!.topicName, 't')
    assert.equal(v0.topics[0]!.topicId, TOPIC_ID)
    assert.equal(codeOf(v0), ErrorCode.NONE)
    assert.equal(v0.topics[0]!.partitions[0]!.partitionEpoch, 3)
    assert.equal(await znodeVersion(), 3)
    assert.equal(c.leaderAndIsr().length, 0)
  })

  it('a retry of an applied change is answered with the current state', async () => {
    assert.equal(codeOf(await ask({ newIsr: [1, 2] })), ErrorCode.NONE)
    const again = await ask({ newIsr: [1, 2], partitionEpoch: 0 })
    assert.equal(codeOf(again), ErrorCode.NONE)
    assert.equal(again.topics[0]!.partitions[0]!.partitionEpoch, 1)
    assert.equal(await znodeVersion(), 1, 'not written twice')
  })

  it('request-level refusals: NOT_CONTROLLER on a broker that is not the controller, STALE_BROKER_EPOCH', async () => {
    const k2 = await c.startController(2)
    assert.equal(k2.isActive, false)
    assert.deepEqual(await ask({}, k2), { errorCode: ErrorCode.NOT_CONTROLLER, topics: [] })
    assert.deepEqual(await ask({ brokerEpoch: (await c.brokerEpoch(1)) - 1n }), {
      errorCode: ErrorCode.STALE_BROKER_EPOCH,
      topics: [],
    })
    assert.deepEqual(await ask({ brokerEpoch: (await c.brokerEpoch(1)) + 1n }), {
      errorCode: ErrorCode.STALE_BROKER_EPOCH,
      topics: [],
    })
    assert.deepEqual(await ask({ brokerId: 9, brokerEpoch: 5n }), {
      errorCode: ErrorCode.STALE_BROKER_EPOCH,
      topics: [],
    })
    assert.equal(await znodeVersion(), 0)
    assert.equal(c.updateMetadata().length, 0)
  })

  it('unknown topics and partitions', async () => {
    const byId = await ask({ topicId: OTHER_ID })
    assert.deepEqual(byId.topics, [
      {
        topicName: '',
        topicId: OTHER_ID,
        partitions: [
          {
            partitionIndex: 0,
            errorCode: ErrorCode.UNKNOWN_TOPIC_ID,
            leaderId: 0,
            leaderEpoch: 0,
            isr: [],
            leaderRecoveryState: 0,
            partitionEpoch: 0,
          },
        ],
      },
    ])
    assert.equal(codeOf(await ask({ topicId: ZERO_UUID })), ErrorCode.UNKNOWN_TOPIC_ID)
    assert.equal(codeOf(await ask({ partitionIndex: 7 })), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    assert.equal(codeOf(await ask({ version: 1, topicName: 'nope' })), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  })

  it('epochs: newer → NOT_CONTROLLER, older leader epoch → FENCED_LEADER_EPOCH, older partition epoch → INVALID_UPDATE_VERSION', async () => {
    assert.equal(codeOf(await ask({ leaderEpoch: 1 })), ErrorCode.NOT_CONTROLLER)
    assert.equal(codeOf(await ask({ partitionEpoch: 1 })), ErrorCode.NOT_CONTROLLER)
    assert.equal(codeOf(await ask({ newIsr: [1, 2] })), ErrorCode.NONE) // partition epoch now 1
    assert.equal(codeOf(await ask({ newIsr: [1], partitionEpoch: 0 })), ErrorCode.INVALID_UPDATE_VERSION)
    assert.equal(await znodeVersion(), 1)
    // Broker 3 dies: it leaves partition 1's ISR (led by 2) with leader epoch 1; a request from
    // before that is fenced.
    await c.killBroker(3)
    assert.equal((await c.state('t', 1))!.leaderEpoch, 1)
    const p1 = await ask({
      brokerId: 2,
      partitionIndex: 1,
      leaderEpoch: 0,
      newIsr: [2, 1],
      partitionEpoch: 1,
    })
    assert.equal(codeOf(p1), ErrorCode.FENCED_LEADER_EPOCH)
  })

  it('INVALID_REQUEST: not the leader, an ISR without the leader, duplicates, non-replicas, bad recovery states', async () => {
    assert.equal(codeOf(await ask({ brokerId: 2, newIsr: [1, 2] })), ErrorCode.INVALID_REQUEST)
    assert.equal(codeOf(await ask({ newIsr: [2, 3] })), ErrorCode.INVALID_REQUEST)
    assert.equal(codeOf(await ask({ newIsr: [1, 2, 2] })), ErrorCode.INVALID_REQUEST)
    assert.equal(codeOf(await ask({ newIsr: [1, 4] })), ErrorCode.INVALID_REQUEST)
    // RECOVERED → RECOVERING is not allowed, nor a recovering leader with followers in its ISR.
    assert.equal(codeOf(await ask({ newIsr: [1], leaderRecoveryState: 1 })), ErrorCode.INVALID_REQUEST)
    assert.equal(codeOf(await ask({ newIsr: [1, 2], leaderRecoveryState: 1 })), ErrorCode.INVALID_REQUEST)
    assert.equal(await znodeVersion(), 0)
    assert.deepEqual((await c.state('t', 0))!.isr, [1, 2, 3])
  })

  it('INELIGIBLE_REPLICA (OPERATION_NOT_ATTEMPTED before v2): dead, shutting down, or another incarnation', async () => {
    await c.killBroker(3) // partition 0: ISR [1,2], leader epoch 1, partition epoch 1
    const st = (await c.state('t', 0))!
    assert.deepEqual(st.isr, [1, 2])
    const expand = { leaderEpoch: 1, partitionEpoch: 1, newIsr: [1, 2, 3] }
    assert.equal(codeOf(await ask(expand)), ErrorCode.INELIGIBLE_REPLICA)
    assert.equal(codeOf(await ask({ ...expand, version: 1 })), ErrorCode.OPERATION_NOT_ATTEMPTED)
    await c.startBroker(3)
    await c.settleAll()
    const e3 = await c.brokerEpoch(3)
    // v3 with an older epoch of broker 3 (the incarnation the leader saw fetching) is refused.
    const epochs = [await c.brokerEpoch(1), await c.brokerEpoch(2), e3 - 1n]
    assert.equal(
      codeOf(await ask({ ...expand, version: 3, newIsrEpochs: epochs })),
      ErrorCode.INELIGIBLE_REPLICA,
    )
    // Shutting down: not eligible either.
    assert.equal((await k.controlledShutdown(3, e3)).errorCode, ErrorCode.NONE)
    assert.equal(codeOf(await ask(expand)), ErrorCode.INELIGIBLE_REPLICA)
    assert.deepEqual((await c.state('t', 0))!.isr, [1, 2])
    assert.equal(await znodeVersion(), 1)
  })

  it('a deposed controller cannot write: its fenced write fails, it answers NOT_CONTROLLER', async () => {
    // Another controller bumped the epoch; this one has not noticed (no watch on the epoch znode).
    const cur = await c.admin.getData(ZkPaths.controllerEpoch)
    await c.admin.setData(ZkPaths.controllerEpoch, encodeControllerEpoch(2), cur!.stat.version)
    const r = await k.alterPartition({
      version: 2,
      brokerId: 1,
      brokerEpoch: await c.brokerEpoch(1),
      topics: [
        {
          topicName: '',
          topicId: TOPIC_ID,
          partitions: [
            {
              partitionIndex: 0,
              leaderEpoch: 0,
              newIsr: [1, 2],
              newIsrEpochs: [-1n, -1n],
              leaderRecoveryState: 0,
              partitionEpoch: 0,
            },
          ],
        },
      ],
    })
    assert.deepEqual(r, { errorCode: ErrorCode.NOT_CONTROLLER, topics: [] })
    assert.ok(c.channels.get(1)!.closes > 0, 'the failed epoch check made it resign')
    assert.equal(await znodeVersion(), 0)
    assert.deepEqual((await c.state('t', 0))!.isr, [1, 2, 3])
    assert.equal(c.updateMetadata().filter((u) => u.controllerEpoch === 1).length, 0)
  })

  it('a restarted follower stays out of the ISR until its leader expands it; an RF 1 replica still leads', async () => {
    await c.createTopic('solo', { 0: [3] })
    await c.killBroker(3)
    assert.deepEqual(await c.state('t', 0), {
      leader: 1,
      leaderEpoch: 1,
      isr: [1, 2],
      controllerEpoch: 1,
      leaderRecoveryState: 0,
    })
    c.clearSent()
    await c.startBroker(3)
    await c.settleAll()
    // The controller tells broker 3 its partitions but leaves the ISR and the epochs alone.
    assert.deepEqual(await c.state('t', 0), {
      leader: 1,
      leaderEpoch: 1,
      isr: [1, 2],
      controllerEpoch: 1,
      leaderRecoveryState: 0,
    })
    assert.equal(await znodeVersion(), 1)
    assert.deepEqual(
      partitionsIn(c.leaderAndIsr(3), 't')
        .filter((p) => p.partitionIndex === 0)
        .at(-1),
      { partitionIndex: 0, leader: 1, leaderEpoch: 1, isr: [1, 2] },
    )
    assert.deepEqual((await c.state('t', 1))!.isr, [2, 1])
    // The RF 1 partition's only replica is back: it leads again.
    assert.deepEqual(await c.state('solo', 0), {
      leader: 3,
      leaderEpoch: 2,
      isr: [3],
      controllerEpoch: 1,
      leaderRecoveryState: 0,
    })
    // Caught up, broker 3 rejoins through its leader's AlterPartition.
    const epochs = [await c.brokerEpoch(1), await c.brokerEpoch(2), await c.brokerEpoch(3)]
    const r = await ask({
      version: 3,
      leaderEpoch: 1,
      partitionEpoch: 1,
      newIsr: [1, 2, 3],
      newIsrEpochs: epochs,
    })
    assert.equal(codeOf(r), ErrorCode.NONE)
    assert.deepEqual((await c.state('t', 0))!.isr, [1, 2, 3])
    assert.equal((await c.state('t', 0))!.leaderEpoch, 1)
  })
})
