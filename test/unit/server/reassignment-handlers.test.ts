// AlterPartitionReassignments (45) and ListPartitionReassignments (46) v0 at the broker: the handlers
// reshape the request for the cluster service and its answer into the response, round-tripped
// through the generated codecs as an admin client would see them; the ZooKeeper-mode role answers
// NOT_CONTROLLER unless its controller is the active one; the standalone role answers as a KRaft
// single node does (only this node is a valid target, nothing is ever in progress).

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  type LocalController,
  StandaloneClusterRole,
  ZkClusterRole,
} from '../../../src/broker/cluster-role.ts'
import type { BrokerId, TopicName, Uuid } from '../../../src/common/ids.ts'
import { makeImage, makePartition, makeTopic } from '../../../src/metadata/image.ts'
import type { ZkMetadataStore } from '../../../src/metadata/zk/zk-store.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  alterPartitionReassignmentsRequestCodec,
  alterPartitionReassignmentsResponseCodec,
} from '../../../src/protocol/generated/messages/alter-partition-reassignments.ts'
import {
  listPartitionReassignmentsRequestCodec,
  listPartitionReassignmentsResponseCodec,
} from '../../../src/protocol/generated/messages/list-partition-reassignments.ts'
import {
  type AlterReassignmentsInput,
  type AlterReassignmentsResult,
  alterPartitionReassignmentsHandler,
} from '../../../src/server/handlers/alter-partition-reassignments.ts'
import {
  type ListReassignmentsInput,
  type ListReassignmentsResult,
  listPartitionReassignmentsHandler,
} from '../../../src/server/handlers/list-partition-reassignments.ts'
import { ctx, request, wire } from './admin-fixtures.ts'

const b = (ids: number[]) => ids as BrokerId[]
const t = (n: string) => n as TopicName

describe('AlterPartitionReassignments handler', () => {
  it('serves v0 under api key 45; the service gets targets and cancellations as sent', async () => {
    assert.deepEqual(
      [
        alterPartitionReassignmentsHandler.apiKey,
        alterPartitionReassignmentsHandler.minVersion,
        alterPartitionReassignmentsHandler.maxVersion,
      ],
      [45, 0, 0],
    )
    const inputs: AlterReassignmentsInput[] = []
    const answer: AlterReassignmentsResult = {
      errorCode: 0,
      errorMessage: null,
      responses: [
        {
          name: 'a',
          partitions: [
            { partitionIndex: 0, errorCode: 0, errorMessage: null },
            {
              partitionIndex: 1,
              errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS,
              errorMessage: 'No partition reassignment is in progress.',
            },
          ],
        },
      ],
    }
    const services = {
      cluster: {
        alterPartitionReassignments: async (i: AlterReassignmentsInput) => {
          inputs.push(i)
          return answer
        },
      },
    }
    const req = request(
      alterPartitionReassignmentsRequestCodec,
      {
        timeoutMs: 30000,
        topics: [
          {
            name: t('a'),
            partitions: [
              { partitionIndex: 0, replicas: b([2, 3, 4]) },
              { partitionIndex: 1, replicas: null },
            ],
          },
        ],
      },
      0,
    )
    const res = await alterPartitionReassignmentsHandler.handle(ctx(45, 0), req, services)
    assert.deepEqual(inputs, [
      {
        topics: [
          {
            name: 'a',
            partitions: [
              { partitionIndex: 0, replicas: [2, 3, 4] },
              { partitionIndex: 1, replicas: null },
            ],
          },
        ],
      },
    ])
    assert.deepEqual(wire(alterPartitionReassignmentsResponseCodec, res!, 0), {
      throttleTimeMs: 0,
      ...answer,
    })
  })

  it('an error for the whole request lands on every partition', () => {
    const req = request(
      alterPartitionReassignmentsRequestCodec,
      { timeoutMs: 1, topics: [{ name: t('a'), partitions: [{ partitionIndex: 3, replicas: b([1]) }] }] },
      0,
    )
    const res = alterPartitionReassignmentsHandler.errorResponse!(
      req,
      0,
      ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    )
    assert.equal(res.responses[0]!.partitions[0]!.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
  })
})

describe('ListPartitionReassignments handler', () => {
  it('serves v0 under api key 46; null topics means all', async () => {
    assert.equal(listPartitionReassignmentsHandler.apiKey, 46)
    const inputs: ListReassignmentsInput[] = []
    const answer: ListReassignmentsResult = {
      errorCode: 0,
      errorMessage: null,
      topics: [
        {
          name: 'a',
          partitions: [
            { partitionIndex: 0, replicas: [2, 3, 4, 1], addingReplicas: [4], removingReplicas: [1] },
          ],
        },
      ],
    }
    const services = {
      cluster: {
        listPartitionReassignments: async (i: ListReassignmentsInput) => {
          inputs.push(i)
          return answer
        },
      },
    }
    for (const topics of [null, [{ name: t('a'), partitionIndexes: [0, 1] }]]) {
      const req = request(listPartitionReassignmentsRequestCodec, { timeoutMs: 1000, topics }, 0)
      const res = await listPartitionReassignmentsHandler.handle(ctx(46, 0), req, services)
      assert.deepEqual(wire(listPartitionReassignmentsResponseCodec, res!, 0), {
        throttleTimeMs: 0,
        ...answer,
      })
    }
    assert.deepEqual(inputs, [{ topics: null }, { topics: [{ name: 'a', partitionIndexes: [0, 1] }] }])
  })
})

describe('cluster roles', () => {
  const image = makeImage({
    version: 1,
    clusterId: 'c',
    controllerId: 1,
    brokers: new Map([[1, { id: 1, host: 'h', port: 9092, rack: null, endpoints: [] }]]),
    topics: [
      makeTopic({
        name: t('a'),
        topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' as Uuid,
        partitions: [
          makePartition({
            partition: 0,
            leader: 1,
            leaderEpoch: 0,
            partitionEpoch: 0,
            replicas: [1],
            isr: [1],
          }),
        ],
      }),
    ],
  })

  it('standalone: only this node is a valid target, as on a KRaft single node', async () => {
    const role = new StandaloneClusterRole(() => image)
    const ask = async (topic: string, partitionIndex: number, replicas: number[] | null) =>
      (
        await role.alterPartitionReassignments({
          topics: [{ name: topic, partitions: [{ partitionIndex, replicas }] }],
        })
      ).responses[0]!.partitions[0]!
    assert.deepEqual(await ask('a', 0, [1]), { partitionIndex: 0, errorCode: 0, errorMessage: null })
    assert.deepEqual(await ask('a', 0, [1, 2]), {
      partitionIndex: 0,
      errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      errorMessage: 'The manual partition assignment includes broker 2, but no such broker is registered.',
    })
    assert.equal(
      (await ask('a', 0, [1, 1])).errorMessage,
      'The manual partition assignment includes the broker 1 more than once.',
    )
    assert.equal(
      (await ask('a', 0, [])).errorMessage,
      'The manual partition assignment includes an empty replica list.',
    )
    assert.equal((await ask('a', 0, null)).errorCode, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS)
    assert.equal((await ask('a', 4, [1])).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    assert.equal((await ask('zz', 0, [1])).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    assert.deepEqual(await role.listPartitionReassignments(), {
      errorCode: 0,
      errorMessage: null,
      topics: [],
    })
  })

  it('ZooKeeper mode: NOT_CONTROLLER unless the local controller is active, else it answers', async () => {
    const role = new ZkClusterRole(
      {} as ZkMetadataStore,
      async () => {},
      async () => {},
    )
    const calls: string[] = []
    const controller = {
      isActive: false,
      alterPartitionReassignments: async () => {
        calls.push('alter')
        return { errorCode: 0, errorMessage: null, responses: [] }
      },
      listPartitionReassignments: async () => {
        calls.push('list')
        return { errorCode: 0, errorMessage: null, topics: [] }
      },
    } as unknown as LocalController & { isActive: boolean }
    const none = await role.alterPartitionReassignments({ topics: [] })
    assert.equal(none.errorCode, ErrorCode.NOT_CONTROLLER)
    role.setController(controller)
    assert.equal((await role.alterPartitionReassignments({ topics: [] })).errorCode, ErrorCode.NOT_CONTROLLER)
    const listed = await role.listPartitionReassignments({ topics: null })
    assert.deepEqual(listed, {
      errorCode: ErrorCode.NOT_CONTROLLER,
      errorMessage: 'This is not the correct controller for this cluster.',
      topics: [],
    })
    assert.deepEqual(calls, [])
    controller.isActive = true
    assert.equal((await role.alterPartitionReassignments({ topics: [] })).errorCode, 0)
    assert.equal((await role.listPartitionReassignments({ topics: null })).errorCode, 0)
    assert.deepEqual(calls, ['alter', 'list'])
  })
})
