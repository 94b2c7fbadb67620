// The AlterPartition handler at every version: the request is encoded and decoded with the generated
// codec as a leader at that version would send it, the handler runs against a fake cluster service,
// and the test checks the version-neutral input the service received and the response as the leader
// decodes it (names up to v1, ids from v2, newIsrWithEpochs from v3, recovery state from v1).

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type BrokerId, type TopicName, type Uuid, ZERO_UUID } from '../../../src/common/ids.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  type AlterPartitionRequest,
  alterPartitionRequestCodec,
  alterPartitionResponseCodec,
} from '../../../src/protocol/generated/messages/alter-partition.ts'
import {
  type AlterPartitionInput,
  type AlterPartitionResult,
  alterPartitionHandler,
} from '../../../src/server/handlers/alter-partition.ts'
import { ctx, request, wire } from './admin-fixtures.ts'

const b = (n: number) => n as BrokerId
const ID_A = 'AAAAAAAAAAAAAAAAAAAAAQ' as Uuid
const ID_B = 'AAAAAAAAAAAAAAAAAAAAAg' as Uuid

/** The request a leader at `v` sends: a-0 shrink, a-1 expand, b-0 shrink. */
function leaderRequest(v: number): Partial<AlterPartitionRequest> {
  const part = (partitionIndex: number, isr: number[], epochs: bigint[]) => ({
    partitionIndex,
    leaderEpoch: 4,
    newIsr: v <= 2 ? isr.map(b) : [],
    newIsrWithEpochs: v >= 3 ? isr.map((id, i) => ({ brokerId: b(id), brokerEpoch: epochs[i]! })) : [],
    leaderRecoveryState: v >= 1 ? 1 : 0,
    partitionEpoch: 11,
  })
  const topic = (name: string, id: Uuid, partitions: ReturnType<typeof part>[]) => ({
    topicName: (v <= 1 ? name : '') as TopicName,
    topicId: v >= 2 ? id : ZERO_UUID,
    partitions,
  })
  return {
    brokerId: b(1),
    brokerEpoch: 77n,
    topics: [
      topic('a', ID_A, [part(0, [1, 2], [70n, 71n]), part(1, [1, 2, 3], [70n, -1n, 72n])]),
      topic('b', ID_B, [part(0, [1], [70n])]),
    ],
  }
}

const ok = (partitionIndex: number, isr: number[]) => ({
  partitionIndex,
  errorCode: ErrorCode.NONE,
  leaderId: 1,
  leaderEpoch: 4,
  isr,
  leaderRecoveryState: 1,
  partitionEpoch: 12,
})
const err = (partitionIndex: number, errorCode: number) => ({
  partitionIndex,
  errorCode,
  leaderId: 0,
  leaderEpoch: 0,
  isr: [],
  leaderRecoveryState: 0,
  partitionEpoch: 0,
})

const answer: AlterPartitionResult = {
  errorCode: ErrorCode.NONE,
  topics: [
    { topicName: 'a', topicId: ID_A, partitions: [ok(0, [1, 2]), err(1, ErrorCode.INELIGIBLE_REPLICA)] },
    { topicName: 'b', topicId: ID_B, partitions: [err(0, ErrorCode.INVALID_UPDATE_VERSION)] },
  ],
}

async function run(version: number, result: AlterPartitionResult = answer) {
  const inputs: AlterPartitionInput[] = []
  const services = {
    cluster: {
      alterPartition: async (i: AlterPartitionInput) => {
        inputs.push(i)
        return result
      },
    },
  }
  const req = request(alterPartitionRequestCodec, leaderRequest(version), version)
  const res = await alterPartitionHandler.handle(ctx(56, version), req, services)
  assert.ok(res)
  return { input: inputs[0]!, res: wire(alterPartitionResponseCodec, res, version) }
}

describe('AlterPartition handler', () => {
  it('serves v0-3 under api key 56 and states it', () => {
    assert.equal(alterPartitionHandler.apiKey, 56)
    assert.equal(alterPartitionHandler.minVersion, 0)
    assert.equal(alterPartitionHandler.maxVersion, 3)
  })

  for (const v of [0, 1, 2, 3]) {
    it(`v${v}: one input whatever the layout, the response in the version's shape`, async () => {
      const { input, res } = await run(v)
      const byName = v <= 1
      const rs = v >= 1 ? 1 : 0
      const epochs = (given: bigint[]) => (v >= 3 ? given : given.map(() => -1n))
      assert.deepEqual(input, {
        version: v,
        brokerId: 1,
        brokerEpoch: 77n,
        topics: [
          {
            topicName: byName ? 'a' : '',
            topicId: byName ? ZERO_UUID : ID_A,
            partitions: [
              {
                partitionIndex: 0,
                leaderEpoch: 4,
                newIsr: [1, 2],
                newIsrEpochs: epochs([70n, 71n]),
                leaderRecoveryState: rs,
                partitionEpoch: 11,
              },
              {
                partitionIndex: 1,
                leaderEpoch: 4,
                newIsr: [1, 2, 3],
                newIsrEpochs: epochs([70n, -1n, 72n]),
                leaderRecoveryState: rs,
                partitionEpoch: 11,
              },
            ],
          },
          {
            topicName: byName ? 'b' : '',
            topicId: byName ? ZERO_UUID : ID_B,
            partitions: [
              {
                partitionIndex: 0,
                leaderEpoch: 4,
                newIsr: [1],
                newIsrEpochs: epochs([70n]),
                leaderRecoveryState: rs,
                partitionEpoch: 11,
              },
            ],
          },
        ],
      })
      assert.equal(res.errorCode, ErrorCode.NONE)
      assert.equal(res.throttleTimeMs, 0)
      assert.deepEqual(
        res.topics.map((t) => [t.topicName, t.topicId]),
        byName
          ? [
              ['a', ZERO_UUID],
              ['b', ZERO_UUID],
            ]
          : [
              ['', ID_A],
              ['', ID_B],
            ],
      )
      assert.deepEqual(
        res.topics.map((t) => t.partitions.map((p) => ({ ...p, isr: [...p.isr] }))),
        [
          [{ ...ok(0, [1, 2]), leaderRecoveryState: rs }, err(1, ErrorCode.INELIGIBLE_REPLICA)],
          [err(0, ErrorCode.INVALID_UPDATE_VERSION)],
        ],
      )
    })
  }

  it('a request-level answer (NOT_CONTROLLER, STALE_BROKER_EPOCH) has no topics', async () => {
    for (const v of [0, 3]) {
      for (const code of [ErrorCode.NOT_CONTROLLER, ErrorCode.STALE_BROKER_EPOCH]) {
        const { res } = await run(v, { errorCode: code, topics: [] })
        assert.equal(res.errorCode, code)
        assert.deepEqual(res.topics, [])
      }
    }
  })

  it('errorResponse: the top-level code only, at every version', () => {
    for (const v of [0, 1, 2, 3]) {
      const req = request(alterPartitionRequestCodec, leaderRequest(v), v)
      const res = wire(
        alterPartitionResponseCodec,
        alterPartitionHandler.errorResponse!(req, v, ErrorCode.CLUSTER_AUTHORIZATION_FAILED),
        v,
      )
      assert.deepEqual(res, {
        throttleTimeMs: 0,
        errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
        topics: [],
      })
    }
  })
})
