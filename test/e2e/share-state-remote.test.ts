// Share-group state persisted across brokers (KIP-932's Read/WriteShareGroupState): in a
// ZooKeeper cluster of three brokers, a share-partition whose __share_group_state partition is led
// by ANOTHER broker writes its state there over the inter-broker wire. After the share-partition's
// leader restarts, the records acknowledged before stay acknowledged and the ones still acquired
// come back with their delivery count. Without the remote persister the state would have been
// kept in the leader's memory and lost: the share-partition would restart at the end of the log.
// The group id is chosen so that the state leader is not the partition leader (Kafka's
// partition function: abs(hashCode("group:topicId:partition")) % partitions).

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { WireConnection } from '../../bench/scenarios/wire.ts'
import type { GroupId, TopicName, Uuid } from '../../src/common/ids.ts'
import { groupPartition } from '../../src/coordinator/group/group-partition.ts'
import {
  createTopicsRequestCodec,
  createTopicsResponseCodec,
} from '../../src/protocol/generated/messages/create-topics.ts'
import { produceRequestCodec, produceResponseCodec } from '../../src/protocol/generated/messages/produce.ts'
import {
  shareAcknowledgeRequestCodec,
  shareAcknowledgeResponseCodec,
} from '../../src/protocol/generated/messages/share-acknowledge.ts'
import {
  shareFetchRequestCodec,
  shareFetchResponseCodec,
} from '../../src/protocol/generated/messages/share-fetch.ts'
import { buildBatch } from '../../src/records/builder.ts'
import { eventually, metadataOf, startCluster, type TestCluster } from '../support/cluster.ts'
import { zookeeperAvailable } from '../support/zookeeper.ts'

const TOPIC = 'share-remote-topic' as TopicName
const STATE_TOPIC = '__share_group_state'
const STATE_PARTITIONS = 3

describe('share state kept by another broker (Read/WriteShareGroupState)', {
  skip: !zookeeperAvailable() && 'ZooKeeper is not installed',
}, () => {
  let c: TestCluster | undefined
  const conns: WireConnection[] = []
  const bs = (id: number) => c!.brokers.get(id)!.bootstrap
  const open = async (id: number) => {
    const b = c!.brokers.get(id)!
    const conn = await WireConnection.open(b.host, b.port)
    conns.push(conn)
    return conn
  }

  before(async () => {
    c = await startCluster({
      brokers: 3,
      chroot: '/samsa-share',
      config: { 'share.coordinator.state.topic.num.partitions': STATE_PARTITIONS },
    })
  })
  after(async () => {
    for (const conn of conns) conn.close()
    await c?.stop()
  })

  /** ShareFetch of partition 0 (with acknowledgements): the acquired offsets and delivery counts. */
  async function shareFetch(
    conn: WireConnection,
    group: GroupId,
    topicId: Uuid,
    memberId: string,
    epoch: number,
    maxWaitMs: number,
  ): Promise<Map<bigint, number>> {
    const res = await conn.request(
      shareFetchRequestCodec,
      shareFetchResponseCodec,
      {
        groupId: group,
        memberId,
        shareSessionEpoch: epoch,
        maxWaitMs,
        minBytes: 1,
        maxBytes: 1 << 20,
        topics: [
          {
            topicId,
            partitions: [{ partitionIndex: 0, partitionMaxBytes: 1 << 20, acknowledgementBatches: [] }],
          },
        ],
        forgottenTopicsData: [],
      },
      0,
    )
    assert.equal(res.errorCode, 0, res.errorMessage ?? '')
    const out = new Map<bigint, number>()
    const p = res.responses[0]?.partitions[0]
    if (p === undefined) return out
    assert.equal(p.errorCode, 0, `share fetch partition error ${p.errorCode}`)
    for (const r of p.acquiredRecords)
      for (let o = r.firstOffset; o <= r.lastOffset; o++) out.set(o, r.deliveryCount)
    return out
  }

  it('acknowledged records are not delivered again after the partition leader restarts', async () => {
    const admin = await open(1)
    const created = await admin.request(
      createTopicsRequestCodec,
      createTopicsResponseCodec,
      {
        ...createTopicsRequestCodec.defaults(7),
        timeoutMs: 30_000,
        topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      },
      7,
    )
    assert.equal(created.topics[0].errorCode, 0, created.topics[0].errorMessage ?? '')
    const topicId = created.topics[0].topicId
    const leader = await eventually('the topic has a leader', 10000, async () => {
      const l = (await metadataOf(bs(1), TOPIC)).topics[0]?.partitions[0]?.leader ?? -1
      return l > 0 ? l : undefined
    })
    let conn = await open(leader)
    // A first share-partition read creates __share_group_state (once the leader knows the topic).
    await eventually('the leader serves share fetches', 10000, async () => {
      await shareFetch(conn, 'share-remote-warmup' as GroupId, topicId, 'warmup', 0, 0)
      return true
    })
    const stateLeaders = await eventually('__share_group_state is led', 10000, async () => {
      const ps = (await metadataOf(bs(leader), STATE_TOPIC)).topics[0]?.partitions ?? []
      return ps.length === STATE_PARTITIONS && ps.every((p) => p.leader > 0)
        ? new Map(ps.map((p) => [p.partition, p.leader]))
        : undefined
    })
    let group = '' as GroupId
    for (let i = 0; group === '' && i < 100; i++) {
      const g = `share-remote-${i}` as GroupId
      if (stateLeaders.get(groupPartition(`${g}:${topicId}:0`, STATE_PARTITIONS)) !== leader) group = g
    }
    assert.notEqual(group, '', 'a group whose state partition another broker leads')

    assert.equal((await shareFetch(conn, group, topicId, 'm1', 0, 0)).size, 0, 'starts at the end')
    const produced = await conn.request(
      produceRequestCodec,
      produceResponseCodec,
      {
        transactionalId: null,
        acks: -1,
        timeoutMs: 10_000,
        topicData: [
          {
            name: TOPIC,
            partitionData: [
              {
                index: 0,
                records: buildBatch(
                  ['a', 'b', 'c', 'd'].map((v) => ({ key: null, value: Buffer.from(v), headers: [] })),
                ),
              },
            ],
          },
        ],
      },
      9,
    )
    assert.equal(produced.responses[0].partitionResponses[0].errorCode, 0)
    assert.deepEqual([...(await shareFetch(conn, group, topicId, 'm1', 1, 5000)).keys()], [0n, 1n, 2n, 3n])
    // Accept 0-1 (written to the remote state leader before the answer); 2-3 stay acquired.
    const acked = await conn.request(
      shareAcknowledgeRequestCodec,
      shareAcknowledgeResponseCodec,
      {
        groupId: group,
        memberId: 'm1',
        shareSessionEpoch: 2,
        topics: [
          {
            topicId,
            partitions: [
              {
                partitionIndex: 0,
                acknowledgementBatches: [{ firstOffset: 0n, lastOffset: 1n, acknowledgeTypes: [1] }],
              },
            ],
          },
        ],
      },
      0,
    )
    assert.equal(acked.errorCode, 0)
    assert.equal(acked.responses[0].partitions[0].errorCode, 0, 'the acknowledgement is durable')

    await c!.brokers.get(leader)!.stop()
    await c!.startBroker(leader)
    conn = await open(leader)
    const again = await eventually('the restarted leader serves the share-partition', 15000, async () => {
      // Epoch 0 each round: a fetch refused while the broker comes back opens no session.
      const got = await shareFetch(conn, group, topicId, 'm2', 0, 500)
      return got.size > 0 ? got : undefined
    })
    assert.deepEqual([...again.keys()], [2n, 3n], 'offsets 0-1 were acknowledged before the restart')
    assert.equal(again.get(2n), 2, 'their delivery count survived')
  })
})
