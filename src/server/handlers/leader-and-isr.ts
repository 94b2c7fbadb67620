// LeaderAndIsr: v0-7 (flexible from v4). Controller → broker in ZooKeeper mode: the leader, ISR and
// replicas of the partitions this broker hosts. The handler only reshapes: every version becomes
// one LeaderAndIsrInput for the cluster service, which checks the controller and broker epochs,
// the leader epochs, and takes or gives up leadership.
//
// Version shapes: v0-1 list partition states ungrouped, each with its topic name; v2+ group them
// by topic, with the topic id from v5 (ZERO_UUID before). Broker epoch from v2 (-1 before), type
// from v5 (0 before), adding/removing replicas from v3, isNew from v1, leader recovery state from
// v6. isKRaftController (v7, ZK→KRaft migration) is not used: Samsa has no KRaft controller.
// The response is flat per partition up to v4 and grouped by topic id from v5, as the result's
// partitions say (the service decides which partitions carry which code).

import type { TopicName, Uuid } from '../../common/ids.ts'
import {
  type LeaderAndIsrRequest,
  type LeaderAndIsrResponse,
  type LeaderAndIsrResponseLeaderAndIsrTopicError,
  leaderAndIsrRequestCodec,
  leaderAndIsrResponseCodec,
} from '../../protocol/generated/messages/leader-and-isr.ts'
import type { Handler } from '../handler.ts'
import { flatPartitionStates } from './partition-states.ts'

export interface LeaderAndIsrPartitionInput {
  readonly topicName: TopicName
  /** ZERO_UUID before v5. */
  readonly topicId: Uuid
  readonly partitionIndex: number
  readonly controllerEpoch: number
  readonly leader: number
  readonly leaderEpoch: number
  readonly isr: readonly number[]
  /** The partition state znode's version (Kafka's zkVersion). */
  readonly partitionEpoch: number
  readonly replicas: readonly number[]
  readonly addingReplicas: readonly number[]
  readonly removingReplicas: readonly number[]
  readonly isNew: boolean
  readonly leaderRecoveryState: number
}

export interface LeaderAndIsrInput {
  readonly controllerId: number
  readonly controllerEpoch: number
  /** -1n when the version has none (v0-1). */
  readonly brokerEpoch: bigint
  /** 0 (unknown) when the version has none (v0-4); 1 incremental, 2 full. */
  readonly type: number
  readonly partitions: readonly LeaderAndIsrPartitionInput[]
  readonly liveLeaders: readonly { readonly brokerId: number; readonly host: string; readonly port: number }[]
}

export interface LeaderAndIsrPartitionResult {
  readonly topicName: string
  readonly topicId: Uuid
  readonly partitionIndex: number
  readonly errorCode: number
}

export interface LeaderAndIsrResult {
  readonly errorCode: number
  /** Answered as given: a request-level refusal lists every partition with the code, as Kafka does. */
  readonly partitions: readonly LeaderAndIsrPartitionResult[]
}

export interface LeaderAndIsrServices {
  readonly cluster: { leaderAndIsr(input: LeaderAndIsrInput): Promise<LeaderAndIsrResult> }
}

/** Every partition state of the request with its topic, whatever the version's layout. */
function partitionsOf(req: LeaderAndIsrRequest, version: number) {
  return flatPartitionStates(req.ungroupedPartitionStates, req.topicStates, version >= 2, version >= 5)
}

/** The version-neutral input for a decoded request. */
export function leaderAndIsrInput(req: LeaderAndIsrRequest, version: number): LeaderAndIsrInput {
  return {
    controllerId: req.controllerId,
    controllerEpoch: req.controllerEpoch,
    brokerEpoch: version >= 2 ? req.brokerEpoch : -1n,
    type: version >= 5 ? req.type : 0,
    partitions: partitionsOf(req, version).map(({ topicName, topicId, state: s }) => ({
      topicName,
      topicId,
      partitionIndex: s.partitionIndex,
      controllerEpoch: s.controllerEpoch,
      leader: s.leader,
      leaderEpoch: s.leaderEpoch,
      isr: s.isr,
      partitionEpoch: s.partitionEpoch,
      replicas: s.replicas,
      addingReplicas: version >= 3 ? s.addingReplicas : [],
      removingReplicas: version >= 3 ? s.removingReplicas : [],
      isNew: version >= 1 ? s.isNew : false,
      leaderRecoveryState: version >= 6 ? s.leaderRecoveryState : 0,
    })),
    liveLeaders: req.liveLeaders.map((l) => ({ brokerId: l.brokerId, host: l.hostName, port: l.port })),
  }
}

/** The response of `version` for a version-neutral result. */
export function leaderAndIsrResponse(result: LeaderAndIsrResult, version: number): LeaderAndIsrResponse {
  if (version < 5) {
    return {
      errorCode: result.errorCode,
      partitionErrors: result.partitions.map((p) => ({
        topicName: p.topicName as TopicName,
        partitionIndex: p.partitionIndex,
        errorCode: p.errorCode,
      })),
      topics: [],
    }
  }
  const byId = new Map<Uuid, LeaderAndIsrResponseLeaderAndIsrTopicError>()
  for (const p of result.partitions) {
    let topic = byId.get(p.topicId)
    if (topic === undefined) {
      topic = { topicId: p.topicId, partitionErrors: [] }
      byId.set(p.topicId, topic)
    }
    topic.partitionErrors.push({
      topicName: '' as TopicName,
      partitionIndex: p.partitionIndex,
      errorCode: p.errorCode,
    })
  }
  return { errorCode: result.errorCode, partitionErrors: [], topics: [...byId.values()] }
}

export const leaderAndIsrHandler: Handler<LeaderAndIsrRequest, LeaderAndIsrResponse, LeaderAndIsrServices> = {
  apiKey: 4,
  minVersion: 0,
  maxVersion: 7,
  request: leaderAndIsrRequestCodec,
  response: leaderAndIsrResponseCodec,

  async handle(ctx, req, services) {
    const result = await services.cluster.leaderAndIsr(leaderAndIsrInput(req, ctx.apiVersion))
    return leaderAndIsrResponse(result, ctx.apiVersion)
  },

  errorResponse(req, version, errorCode) {
    const partitions = partitionsOf(req, version).map(({ topicName, topicId, state }) => ({
      topicName,
      topicId,
      partitionIndex: state.partitionIndex,
      errorCode,
    }))
    return leaderAndIsrResponse({ errorCode, partitions }, version)
  },
}
