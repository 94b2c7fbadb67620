// The inter-broker handlers (LeaderAndIsr, StopReplica, UpdateMetadata, ControlledShutdown,
// ElectLeaders): each request is encoded and decoded at old and new versions with the generated
// codec, the handler runs against a fake cluster service, and the test checks the version-neutral
// input the service received and the version-specific response as a client decodes it.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type BrokerId, type TopicName, type Uuid, ZERO_UUID } from '../../../src/common/ids.ts'
import type { MessageCodec } from '../../../src/protocol/codec.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  controlledShutdownRequestCodec,
  controlledShutdownResponseCodec,
} from '../../../src/protocol/generated/messages/controlled-shutdown.ts'
import {
  electLeadersRequestCodec,
  electLeadersResponseCodec,
} from '../../../src/protocol/generated/messages/elect-leaders.ts'
import {
  defaultLeaderAndIsrRequestLeaderAndIsrPartitionState,
  type LeaderAndIsrRequest,
  leaderAndIsrRequestCodec,
  leaderAndIsrResponseCodec,
} from '../../../src/protocol/generated/messages/leader-and-isr.ts'
import {
  type StopReplicaRequest,
  stopReplicaRequestCodec,
  stopReplicaResponseCodec,
} from '../../../src/protocol/generated/messages/stop-replica.ts'
import {
  defaultUpdateMetadataRequestUpdateMetadataPartitionState,
  type UpdateMetadataRequest,
  updateMetadataRequestCodec,
  updateMetadataResponseCodec,
} from '../../../src/protocol/generated/messages/update-metadata.ts'
import type { Handler } from '../../../src/server/handler.ts'
import { controlledShutdownHandler } from '../../../src/server/handlers/controlled-shutdown.ts'
import {
  type ElectLeadersInput,
  type ElectLeadersResult,
  electLeadersHandler,
} from '../../../src/server/handlers/elect-leaders.ts'
import {
  type LeaderAndIsrInput,
  type LeaderAndIsrResult,
  leaderAndIsrHandler,
} from '../../../src/server/handlers/leader-and-isr.ts'
import {
  type StopReplicaInput,
  type StopReplicaResult,
  stopReplicaHandler,
} from '../../../src/server/handlers/stop-replica.ts'
import {
  type UpdateMetadataInput,
  updateMetadataHandler,
} from '../../../src/server/handlers/update-metadata.ts'
import { ctx, request, wire } from './admin-fixtures.ts'

const b = (n: number) => n as BrokerId
const t = (s: string) => s as TopicName
const ID_A = 'AAAAAAAAAAAAAAAAAAAAAQ' as Uuid
const ID_B = 'AAAAAAAAAAAAAAAAAAAAAg' as Uuid

/** Encodes `fields` at `version`, runs the handler on what decodes, and returns the response as decoded. */
async function run<Req, Res, S>(
  h: Handler<Req, Res, S>,
  version: number,
  fields: Partial<Req>,
  services: S,
): Promise<Res> {
  const req = request(h.request, fields, version)
  const res = await h.handle(ctx(h.apiKey, version), req, services)
  assert.ok(res)
  return wire(h.response, res, version)
}

/** A fake service method that records its inputs and answers `answer`. */
function recorder<I, R>(answer: R): { inputs: I[]; call: (i: I) => Promise<R> } {
  const inputs: I[] = []
  return {
    inputs,
    call: async (i: I) => {
      inputs.push(i)
      return answer
    },
  }
}

/** The handler's errorResponse for `fields` at `version`, as decoded. */
function errorOf<Req, Res>(h: Handler<Req, Res>, version: number, fields: Partial<Req>, code: number): Res {
  const req = request(h.request as MessageCodec<Req>, fields, version)
  return wire(h.response, h.errorResponse!(req, version, code), version)
}

describe('LeaderAndIsr', () => {
  const state = (topicName: string, partitionIndex: number) => ({
    ...defaultLeaderAndIsrRequestLeaderAndIsrPartitionState(),
    topicName: t(topicName),
    partitionIndex,
    controllerEpoch: 3,
    leader: b(1),
    leaderEpoch: 7,
    isr: [b(1), b(2)],
    partitionEpoch: 9,
    replicas: [b(1), b(2)],
    addingReplicas: [b(2)],
    removingReplicas: [b(3)],
    isNew: true,
    leaderRecoveryState: 1,
  })
  /** The request as a controller at `v` would lay it out: a-0, a-1, b-0. */
  function lisRequest(v: number): Partial<LeaderAndIsrRequest> {
    const common = {
      controllerId: b(5),
      controllerEpoch: 3,
      brokerEpoch: 42n,
      type: v >= 5 ? 1 : 0,
      isKRaftController: false,
      liveLeaders: [{ brokerId: b(1), hostName: 'h1', port: 9092 }],
    }
    const parts = [state('a', 0), state('a', 1), state('b', 0)].map((s) => ({
      ...s,
      addingReplicas: v >= 3 ? s.addingReplicas : [],
      removingReplicas: v >= 3 ? s.removingReplicas : [],
      leaderRecoveryState: v >= 6 ? s.leaderRecoveryState : 0,
    }))
    if (v < 2) return { ...common, ungroupedPartitionStates: parts }
    return {
      ...common,
      topicStates: [
        { topicName: t('a'), topicId: ID_A, partitionStates: parts.slice(0, 2) },
        { topicName: t('b'), topicId: ID_B, partitionStates: parts.slice(2) },
      ],
    }
  }
  function expectedInput(v: number): LeaderAndIsrInput {
    const p = (topicName: string, topicId: Uuid, partitionIndex: number) => ({
      topicName: t(topicName),
      topicId: v >= 5 ? topicId : ZERO_UUID,
      partitionIndex,
      controllerEpoch: 3,
      leader: 1,
      leaderEpoch: 7,
      isr: [1, 2],
      partitionEpoch: 9,
      replicas: [1, 2],
      addingReplicas: v >= 3 ? [2] : [],
      removingReplicas: v >= 3 ? [3] : [],
      isNew: v >= 1,
      leaderRecoveryState: v >= 6 ? 1 : 0,
    })
    return {
      controllerId: 5,
      controllerEpoch: 3,
      brokerEpoch: v >= 2 ? 42n : -1n,
      type: v >= 5 ? 1 : 0,
      partitions: [p('a', ID_A, 0), p('a', ID_A, 1), p('b', ID_B, 0)],
      liveLeaders: [{ brokerId: 1, host: 'h1', port: 9092 }],
    }
  }
  const result: LeaderAndIsrResult = {
    errorCode: ErrorCode.NONE,
    partitions: [
      { topicName: 'a', topicId: ID_A, partitionIndex: 0, errorCode: ErrorCode.NONE },
      { topicName: 'b', topicId: ID_B, partitionIndex: 0, errorCode: ErrorCode.KAFKA_STORAGE_ERROR },
      { topicName: 'a', topicId: ID_A, partitionIndex: 1, errorCode: ErrorCode.FENCED_LEADER_EPOCH },
    ],
  }

  it('normalizes every version (ungrouped v0-1, topics v2+, topic ids v5+) into one input', async () => {
    for (let v = 0; v <= 7; v++) {
      const fake = recorder<LeaderAndIsrInput, LeaderAndIsrResult>(result)
      await run(leaderAndIsrHandler, v, lisRequest(v), { cluster: { leaderAndIsr: fake.call } })
      assert.deepEqual(fake.inputs, [expectedInput(v)], `v${v}`)
    }
  })

  it('answers flat partition errors up to v4 and per topic id from v5', async () => {
    const services = { cluster: { leaderAndIsr: async () => result } }
    for (const v of [0, 1, 4]) {
      const res = await run(leaderAndIsrHandler, v, lisRequest(v), services)
      assert.deepEqual(res.topics, [])
      assert.deepEqual(
        res.partitionErrors,
        result.partitions.map((p) => ({
          topicName: p.topicName,
          partitionIndex: p.partitionIndex,
          errorCode: p.errorCode,
        })),
        `v${v}`,
      )
    }
    for (const v of [5, 7]) {
      const res = await run(leaderAndIsrHandler, v, lisRequest(v), services)
      assert.deepEqual(res.partitionErrors, [])
      assert.deepEqual(
        res.topics.map((x) => [x.topicId, x.partitionErrors.map((p) => [p.partitionIndex, p.errorCode])]),
        [
          [
            ID_A,
            [
              [0, ErrorCode.NONE],
              [1, ErrorCode.FENCED_LEADER_EPOCH],
            ],
          ],
          [ID_B, [[0, ErrorCode.KAFKA_STORAGE_ERROR]]],
        ],
      )
    }
  })

  it('errorResponse carries the code at the top and for every partition', () => {
    const code = ErrorCode.STALE_CONTROLLER_EPOCH
    const v1 = errorOf(leaderAndIsrHandler, 1, lisRequest(1), code)
    assert.equal(v1.errorCode, code)
    assert.deepEqual(
      v1.partitionErrors.map((p) => [p.topicName, p.partitionIndex, p.errorCode]),
      [
        ['a', 0, code],
        ['a', 1, code],
        ['b', 0, code],
      ],
    )
    const v6 = errorOf(leaderAndIsrHandler, 6, lisRequest(6), code)
    assert.equal(v6.errorCode, code)
    assert.deepEqual(
      v6.topics.map((x) => [x.topicId, x.partitionErrors.map((p) => [p.partitionIndex, p.errorCode])]),
      [
        [
          ID_A,
          [
            [0, code],
            [1, code],
          ],
        ],
        [ID_B, [[0, code]]],
      ],
    )
  })
})

describe('StopReplica', () => {
  function srRequest(v: number): Partial<StopReplicaRequest> {
    const common = { controllerId: b(5), controllerEpoch: 3, brokerEpoch: 42n }
    if (v === 0)
      return {
        ...common,
        deletePartitions: true,
        ungroupedPartitions: [
          { topicName: t('a'), partitionIndex: 0 },
          { topicName: t('b'), partitionIndex: 2 },
        ],
      }
    if (v <= 2)
      return {
        ...common,
        deletePartitions: true,
        topics: [
          { name: t('a'), partitionIndexes: [0] },
          { name: t('b'), partitionIndexes: [2] },
        ],
      }
    return {
      ...common,
      topicStates: [
        {
          topicName: t('a'),
          partitionStates: [{ partitionIndex: 0, leaderEpoch: 4, deletePartition: true }],
        },
        {
          topicName: t('b'),
          partitionStates: [{ partitionIndex: 2, leaderEpoch: 6, deletePartition: false }],
        },
      ],
    }
  }

  it('normalizes v0 pairs, v1-2 topics with one delete flag and v3+ per-partition states', async () => {
    const res = { errorCode: ErrorCode.NONE, partitions: [] }
    for (let v = 0; v <= 4; v++) {
      const fake = recorder<StopReplicaInput, StopReplicaResult>(res)
      await run(stopReplicaHandler, v, srRequest(v), { cluster: { stopReplica: fake.call } })
      const perPartition = v >= 3
      assert.deepEqual(
        fake.inputs,
        [
          {
            controllerId: 5,
            controllerEpoch: 3,
            brokerEpoch: v >= 1 ? 42n : -1n,
            partitions: [
              {
                topicName: 'a',
                partitionIndex: 0,
                leaderEpoch: perPartition ? 4 : -1,
                deletePartition: true,
              },
              {
                topicName: 'b',
                partitionIndex: 2,
                leaderEpoch: perPartition ? 6 : -1,
                deletePartition: !perPartition,
              },
            ],
          },
        ],
        `v${v}`,
      )
    }
  })

  it('answers the result as given, and errorResponse lists every partition', async () => {
    const result = {
      errorCode: ErrorCode.NONE,
      partitions: [
        { topicName: 'a', partitionIndex: 0, errorCode: ErrorCode.NONE },
        { topicName: 'b', partitionIndex: 2, errorCode: ErrorCode.KAFKA_STORAGE_ERROR },
      ],
    }
    for (const v of [0, 2, 4]) {
      const res = await run(stopReplicaHandler, v, srRequest(v), {
        cluster: { stopReplica: async () => result },
      })
      assert.deepEqual(res, { errorCode: ErrorCode.NONE, partitionErrors: result.partitions }, `v${v}`)
      const code = ErrorCode.STALE_BROKER_EPOCH
      assert.deepEqual(errorOf(stopReplicaHandler, v, srRequest(v), code), {
        errorCode: code,
        partitionErrors: [
          { topicName: 'a', partitionIndex: 0, errorCode: code },
          { topicName: 'b', partitionIndex: 2, errorCode: code },
        ],
      })
    }
  })
})

describe('UpdateMetadata', () => {
  const partition = (topicName: string, partitionIndex: number) => ({
    ...defaultUpdateMetadataRequestUpdateMetadataPartitionState(),
    topicName: t(topicName),
    partitionIndex,
    controllerEpoch: 3,
    leader: b(2),
    leaderEpoch: 8,
    isr: [b(2)],
    zkVersion: 11,
    replicas: [b(2), b(3)],
    offlineReplicas: [b(3)],
  })
  function umRequest(v: number): Partial<UpdateMetadataRequest> {
    const parts = [partition('a', 0), partition('b', 1)].map((p) => ({
      ...p,
      offlineReplicas: v >= 4 ? p.offlineReplicas : [],
    }))
    return {
      controllerId: b(5),
      controllerEpoch: 3,
      brokerEpoch: 42n,
      type: v >= 8 ? 2 : 0,
      ...(v < 5
        ? { ungroupedPartitionStates: parts }
        : {
            topicStates: [
              { topicName: t('a'), topicId: ID_A, partitionStates: [parts[0]] },
              { topicName: t('b'), topicId: ID_B, partitionStates: [parts[1]] },
            ],
          }),
      liveBrokers: [
        {
          id: b(2),
          v0Host: 'h2',
          v0Port: 9092,
          endpoints: [
            { host: 'h2', port: 9092, listener: 'CLIENT', securityProtocol: 0 },
            { host: 'h2', port: 9093, listener: 'REPLICATION', securityProtocol: 1 },
          ],
          rack: 'r1',
        },
      ],
    }
  }
  function expectedInput(v: number): UpdateMetadataInput {
    const p = (topicName: string, topicId: Uuid, partitionIndex: number) => ({
      topicName: t(topicName),
      topicId: v >= 7 ? topicId : ZERO_UUID,
      partitionIndex,
      controllerEpoch: 3,
      leader: 2,
      leaderEpoch: 8,
      isr: [2],
      zkVersion: 11,
      replicas: [2, 3],
      offlineReplicas: v >= 4 ? [3] : [],
    })
    const endpoints =
      v === 0
        ? [{ host: 'h2', port: 9092, listener: 'PLAINTEXT', securityProtocol: 0 }]
        : [
            { host: 'h2', port: 9092, listener: v >= 3 ? 'CLIENT' : 'PLAINTEXT', securityProtocol: 0 },
            { host: 'h2', port: 9093, listener: v >= 3 ? 'REPLICATION' : 'SSL', securityProtocol: 1 },
          ]
    return {
      controllerId: 5,
      controllerEpoch: 3,
      brokerEpoch: v >= 5 ? 42n : -1n,
      type: v >= 8 ? 2 : 0,
      partitions: [p('a', ID_A, 0), p('b', ID_B, 1)],
      liveBrokers: [{ id: 2, rack: v >= 2 ? 'r1' : null, endpoints }],
    }
  }

  it('normalizes brokers (v0 host/port, v1-2 protocol-named listeners, v3+ listeners) and partitions', async () => {
    for (let v = 0; v <= 8; v++) {
      const fake = recorder<UpdateMetadataInput, number>(ErrorCode.NONE)
      const res = await run(updateMetadataHandler, v, umRequest(v), {
        cluster: { updateMetadata: fake.call },
      })
      assert.deepEqual(fake.inputs, [expectedInput(v)], `v${v}`)
      assert.deepEqual(res, { errorCode: ErrorCode.NONE })
    }
  })

  it("answers the service's error code, and errorResponse the given one", async () => {
    for (const v of [0, 8]) {
      const res = await run(updateMetadataHandler, v, umRequest(v), {
        cluster: { updateMetadata: async () => ErrorCode.STALE_CONTROLLER_EPOCH },
      })
      assert.deepEqual(res, { errorCode: ErrorCode.STALE_CONTROLLER_EPOCH })
      assert.deepEqual(errorOf(updateMetadataHandler, v, umRequest(v), ErrorCode.UNSUPPORTED_VERSION), {
        errorCode: ErrorCode.UNSUPPORTED_VERSION,
      })
    }
  })
})

describe('ControlledShutdown', () => {
  it('passes the broker id and epoch (-1 before v2) and answers the remaining partitions', async () => {
    for (let v = 0; v <= 3; v++) {
      const calls: [number, bigint][] = []
      const res = await run(
        controlledShutdownHandler,
        v,
        { brokerId: b(3), brokerEpoch: 99n },
        {
          cluster: {
            controlledShutdown: async (id: number, epoch: bigint) => {
              calls.push([id, epoch])
              return { errorCode: ErrorCode.NONE, remaining: [{ topicName: 'a', partitionIndex: 4 }] }
            },
          },
        },
      )
      assert.deepEqual(calls, [[3, v >= 2 ? 99n : -1n]], `v${v}`)
      assert.deepEqual(res, {
        errorCode: ErrorCode.NONE,
        remainingPartitions: [{ topicName: 'a', partitionIndex: 4 }],
      })
      assert.deepEqual(errorOf(controlledShutdownHandler, v, { brokerId: b(3) }, ErrorCode.NOT_CONTROLLER), {
        errorCode: ErrorCode.NOT_CONTROLLER,
        remainingPartitions: [],
      })
    }
  })
})

describe('ElectLeaders', () => {
  const topics = [{ topic: t('a'), partitions: [0, 1] }]
  const ok = (partitionId: number) => ({ partitionId, errorCode: ErrorCode.NONE, errorMessage: null })
  const notNeeded = (partitionId: number) => ({
    partitionId,
    errorCode: ErrorCode.ELECTION_NOT_NEEDED,
    errorMessage: 'Leader election not needed for topic partition.',
  })

  it('normalizes the election type (preferred in v0) and the partitions (null = all)', async () => {
    const fake = recorder<ElectLeadersInput, ElectLeadersResult>({ errorCode: 0, results: [] })
    const services = { cluster: { electLeaders: fake.call } }
    await run(electLeadersHandler, 0, { topicPartitions: topics, timeoutMs: 500 }, services)
    await run(electLeadersHandler, 1, { electionType: 1, topicPartitions: topics, timeoutMs: 500 }, services)
    await run(electLeadersHandler, 2, { electionType: 0, topicPartitions: null, timeoutMs: 700 }, services)
    assert.deepEqual(fake.inputs, [
      { electionType: 0, topicPartitions: [{ topic: 'a', partitions: [0, 1] }], timeoutMs: 500 },
      { electionType: 1, topicPartitions: [{ topic: 'a', partitions: [0, 1] }], timeoutMs: 500 },
      { electionType: 0, topicPartitions: null, timeoutMs: 700 },
    ])
  })

  it('answers per partition; leaves out ELECTION_NOT_NEEDED only when all partitions were asked for', async () => {
    const result: ElectLeadersResult = {
      errorCode: ErrorCode.NONE,
      results: [
        { topic: 'a', partitionResults: [ok(0), notNeeded(1)] },
        { topic: 'b', partitionResults: [notNeeded(0)] },
      ],
    }
    const services = { cluster: { electLeaders: async () => result } }
    const listed = await run(electLeadersHandler, 1, { topicPartitions: topics }, services)
    assert.equal(listed.errorCode, ErrorCode.NONE)
    assert.deepEqual(listed.replicaElectionResults, [
      { topic: 'a', partitionResult: [ok(0), notNeeded(1)] },
      { topic: 'b', partitionResult: [notNeeded(0)] },
    ])
    const all = await run(electLeadersHandler, 2, { topicPartitions: null }, services)
    assert.deepEqual(all.replicaElectionResults, [{ topic: 'a', partitionResult: [ok(0)] }])
  })

  it('carries a top-level error at the top from v1 and in each partition in v0', async () => {
    const result: ElectLeadersResult = {
      errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
      results: [{ topic: 'a', partitionResults: [ok(0), notNeeded(1)] }],
    }
    const services = { cluster: { electLeaders: async () => result } }
    const v1 = await run(electLeadersHandler, 1, { topicPartitions: topics }, services)
    assert.equal(v1.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
    assert.deepEqual(v1.replicaElectionResults[0].partitionResult, [ok(0), notNeeded(1)])
    const v0 = await run(electLeadersHandler, 0, { topicPartitions: topics }, services)
    assert.equal(v0.errorCode, ErrorCode.NONE)
    assert.deepEqual(
      v0.replicaElectionResults[0].partitionResult.map((p) => p.errorCode),
      [ErrorCode.CLUSTER_AUTHORIZATION_FAILED, ErrorCode.ELECTION_NOT_NEEDED],
    )
  })

  it('errorResponse carries the code for every requested partition (and at the top from v1)', () => {
    for (const v of [0, 2]) {
      const res = errorOf(electLeadersHandler, v, { topicPartitions: topics }, ErrorCode.NOT_CONTROLLER)
      assert.equal(res.errorCode, v >= 1 ? ErrorCode.NOT_CONTROLLER : ErrorCode.NONE)
      assert.deepEqual(
        res.replicaElectionResults.map((r) => [
          r.topic,
          r.partitionResult.map((p) => [p.partitionId, p.errorCode]),
        ]),
        [
          [
            'a',
            [
              [0, ErrorCode.NOT_CONTROLLER],
              [1, ErrorCode.NOT_CONTROLLER],
            ],
          ],
        ],
      )
      assert.match(res.replicaElectionResults[0].partitionResult[0].errorMessage ?? '', /controller/)
    }
  })
})

describe('inter-broker handler table entries', () => {
  it('declare the api key, version range and codecs of their API', () => {
    const table = [
      [leaderAndIsrHandler, 4, 7, leaderAndIsrRequestCodec, leaderAndIsrResponseCodec],
      [stopReplicaHandler, 5, 4, stopReplicaRequestCodec, stopReplicaResponseCodec],
      [updateMetadataHandler, 6, 8, updateMetadataRequestCodec, updateMetadataResponseCodec],
      [controlledShutdownHandler, 7, 3, controlledShutdownRequestCodec, controlledShutdownResponseCodec],
      [electLeadersHandler, 43, 2, electLeadersRequestCodec, electLeadersResponseCodec],
    ] as const
    for (const [h, apiKey, max, req, res] of table) {
      assert.deepEqual([h.apiKey, h.minVersion, h.maxVersion], [apiKey, 0, max])
      assert.equal(h.request, req)
      assert.equal(h.response, res)
      assert.equal(req.maxVersion, max)
    }
  })
})
