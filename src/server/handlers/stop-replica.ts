// StopReplica: v0-4 (flexible from v2). Controller → broker in ZooKeeper mode: stop serving these
// partitions, and delete their logs when asked (topic deletion, reassignment away). The handler
// reshapes every version into one StopReplicaInput for the cluster service, which checks the
// epochs and stops the replicas.
//
// Version shapes: v0 lists (topic, partition) pairs, v1-2 topics with partition indexes, both with
// one deletePartitions flag for the whole request and no leader epoch (-1); v3+ list per partition
// a leader epoch and its own deletePartition flag. Broker epoch from v1 (-1 before).
// isKRaftController (v4, ZK→KRaft migration) is not used. The response has one shape for every
// version: a top-level code and the partitions the result lists (the service decides: Kafka lists
// none on a stale controller epoch, and every partition on a stale broker epoch).

import type { TopicName } from '../../common/ids.ts'
import {
  type StopReplicaRequest,
  type StopReplicaResponse,
  stopReplicaRequestCodec,
  stopReplicaResponseCodec,
} from '../../protocol/generated/messages/stop-replica.ts'
import type { Handler } from '../handler.ts'

export interface StopReplicaPartitionInput {
  readonly topicName: TopicName
  readonly partitionIndex: number
  /** -1 when the version has none (v0-2): stop whatever the epoch. */
  readonly leaderEpoch: number
  readonly deletePartition: boolean
}

export interface StopReplicaInput {
  readonly controllerId: number
  readonly controllerEpoch: number
  /** -1n when the version has none (v0). */
  readonly brokerEpoch: bigint
  readonly partitions: readonly StopReplicaPartitionInput[]
}

export interface StopReplicaResult {
  readonly errorCode: number
  readonly partitions: readonly {
    readonly topicName: string
    readonly partitionIndex: number
    readonly errorCode: number
  }[]
}

export interface StopReplicaServices {
  readonly cluster: { stopReplica(input: StopReplicaInput): Promise<StopReplicaResult> }
}

const NO_EPOCH = -1

function partitionsOf(req: StopReplicaRequest, version: number): StopReplicaPartitionInput[] {
  if (version === 0)
    return req.ungroupedPartitions.map((p) => ({
      topicName: p.topicName,
      partitionIndex: p.partitionIndex,
      leaderEpoch: NO_EPOCH,
      deletePartition: req.deletePartitions,
    }))
  if (version <= 2)
    return req.topics.flatMap((t) =>
      t.partitionIndexes.map((partitionIndex) => ({
        topicName: t.name,
        partitionIndex,
        leaderEpoch: NO_EPOCH,
        deletePartition: req.deletePartitions,
      })),
    )
  return req.topicStates.flatMap((t) =>
    t.partitionStates.map((p) => ({
      topicName: t.topicName,
      partitionIndex: p.partitionIndex,
      leaderEpoch: p.leaderEpoch,
      deletePartition: p.deletePartition,
    })),
  )
}

/** The version-neutral input for a decoded request. */
export function stopReplicaInput(req: StopReplicaRequest, version: number): StopReplicaInput {
  return {
    controllerId: req.controllerId,
    controllerEpoch: req.controllerEpoch,
    brokerEpoch: version >= 1 ? req.brokerEpoch : -1n,
    partitions: partitionsOf(req, version),
  }
}

function response(result: StopReplicaResult): StopReplicaResponse {
  return {
    errorCode: result.errorCode,
    partitionErrors: result.partitions.map((p) => ({
      topicName: p.topicName as TopicName,
      partitionIndex: p.partitionIndex,
      errorCode: p.errorCode,
    })),
  }
}

export const stopReplicaHandler: Handler<StopReplicaRequest, StopReplicaResponse, StopReplicaServices> = {
  apiKey: 5,
  minVersion: 0,
  maxVersion: 4,
  request: stopReplicaRequestCodec,
  response: stopReplicaResponseCodec,

  async handle(ctx, req, services) {
    return response(await services.cluster.stopReplica(stopReplicaInput(req, ctx.apiVersion)))
  },

  errorResponse(req, version, errorCode) {
    const partitions = partitionsOf(req, version).map((p) => ({
      topicName: p.topicName,
      partitionIndex: p.partitionIndex,
      errorCode,
    }))
    return response({ errorCode, partitions })
  },
}
