// ElectLeaders: v0-2 (flexible from v2). Admin → any broker (kafka-leader-election.sh, the admin
// client's electLeaders): elect the preferred replica (type 0) or, with no in-sync replica left,
// any live one (type 1, unclean) as leader. v0 has no election type: preferred. A null topic list
// means every partition. The cluster service does the election (or answers NOT_CONTROLLER for
// every partition when this broker is not the controller) and may wait up to timeoutMs.
//
// Presentation, as Kafka's broker does it: when every partition was asked for, partitions that
// needed no election (ELECTION_NOT_NEEDED) are left out of the answer. v0 has no top-level error
// code: there a top-level error is carried by each partition result that has none of its own.

import type { TopicName } from '../../common/ids.ts'
import { ERROR_TABLE, ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type ElectLeadersRequest,
  type ElectLeadersResponse,
  type ElectLeadersResponseReplicaElectionResult,
  electLeadersRequestCodec,
  electLeadersResponseCodec,
} from '../../protocol/generated/messages/elect-leaders.ts'
import type { Handler } from '../handler.ts'

export const ElectionType = { PREFERRED: 0, UNCLEAN: 1 } as const

export interface ElectLeadersInput {
  /** 0 preferred (also v0, which has no type), 1 unclean. */
  readonly electionType: number
  /** null: every partition of every topic. */
  readonly topicPartitions: { topic: string; partitions: number[] }[] | null
  readonly timeoutMs: number
}

export interface ElectLeadersPartitionResult {
  readonly partitionId: number
  readonly errorCode: number
  readonly errorMessage: string | null
}

export interface ElectLeadersResult {
  readonly errorCode: number
  readonly results: readonly {
    readonly topic: string
    readonly partitionResults: readonly ElectLeadersPartitionResult[]
  }[]
}

export interface ElectLeadersServices {
  readonly cluster: { electLeaders(input: ElectLeadersInput): Promise<ElectLeadersResult> }
}

function messageOf(errorCode: number): string | null {
  return ERROR_TABLE.get(errorCode)?.message ?? null
}

/** The version-neutral input for a decoded request. */
export function electLeadersInput(req: ElectLeadersRequest, version: number): ElectLeadersInput {
  return {
    electionType: version >= 1 ? req.electionType : ElectionType.PREFERRED,
    topicPartitions:
      req.topicPartitions === null
        ? null
        : req.topicPartitions.map((t) => ({ topic: t.topic, partitions: [...t.partitions] })),
    timeoutMs: req.timeoutMs,
  }
}

/** The response of `version` for a version-neutral result (see the header for the two rules). */
export function electLeadersResponse(
  result: ElectLeadersResult,
  version: number,
  allPartitions: boolean,
): ElectLeadersResponse {
  const folded = version < 1 && result.errorCode !== ErrorCode.NONE
  const replicaElectionResults: ElectLeadersResponseReplicaElectionResult[] = []
  for (const t of result.results) {
    const partitionResult = t.partitionResults
      .filter((p) => !allPartitions || p.errorCode !== ErrorCode.ELECTION_NOT_NEEDED)
      .map((p) =>
        folded && p.errorCode === ErrorCode.NONE
          ? {
              partitionId: p.partitionId,
              errorCode: result.errorCode,
              errorMessage: messageOf(result.errorCode),
            }
          : { partitionId: p.partitionId, errorCode: p.errorCode, errorMessage: p.errorMessage },
      )
    if (partitionResult.length > 0 || !allPartitions)
      replicaElectionResults.push({ topic: t.topic as TopicName, partitionResult })
  }
  return {
    throttleTimeMs: 0,
    errorCode: version >= 1 ? result.errorCode : ErrorCode.NONE,
    replicaElectionResults,
  }
}

export const electLeadersHandler: Handler<ElectLeadersRequest, ElectLeadersResponse, ElectLeadersServices> = {
  apiKey: 43,
  minVersion: 0,
  maxVersion: 2,
  request: electLeadersRequestCodec,
  response: electLeadersResponseCodec,

  async handle(ctx, req, services) {
    const result = await services.cluster.electLeaders(electLeadersInput(req, ctx.apiVersion))
    return electLeadersResponse(result, ctx.apiVersion, req.topicPartitions === null)
  },

  errorResponse(req, version, errorCode) {
    const errorMessage = messageOf(errorCode)
    const results = (req.topicPartitions ?? []).map((t) => ({
      topic: t.topic,
      partitionResults: t.partitions.map((partitionId) => ({ partitionId, errorCode, errorMessage })),
    }))
    return electLeadersResponse({ errorCode, results }, version, false)
  },
}
