// ListOffsets: v1-10 (flexible 6+). v0 (several offsets per partition) is not served, as in
// Kafka 4.0; v1 is the floor (kafka-python 2.0.2 sends it, librdkafka < 2.11 probes it).
// Timestamps: -2 earliest, -1 latest (the high watermark for read_uncommitted, the last stable
// offset for read_committed, the log end for a broker's replicaId), -3 the record with the largest
// timestamp (v7+), -4 earliest local (= earliest, no tiered storage; v8+), -5 latest tiered (none
// here: offset -1), else the first record with a timestamp >= it (offset -1 when there is none,
// or when it is not yet below the high watermark). currentLeaderEpoch fencing (v4+); a partition
// listed twice gets INVALID_REQUEST.
// Not implemented: remote (tiered) storage lookups (timeoutMs is ignored).

import type { TopicName } from '../../common/ids.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  type ListOffsetsResponseListOffsetsPartitionResponse,
  listOffsetsRequestCodec,
  listOffsetsResponseCodec,
} from '../../protocol/generated/messages/list-offsets.ts'
import type { ReplicaManager } from '../../replication/replica-manager.ts'
import { AclOperation } from '../../security/acl-types.ts'
import { type Authorizing, callerOf, topicChecker } from '../../security/authorizer-check.ts'
import type { Handler } from '../handler.ts'

export interface ListOffsetsServices extends Authorizing {
  replicaManager: ReplicaManager
}

function partitionError(
  partitionIndex: number,
  errorCode: number,
): ListOffsetsResponseListOffsetsPartitionResponse {
  return { partitionIndex, errorCode, oldStyleOffsets: [], timestamp: -1n, offset: -1n, leaderEpoch: -1 }
}

export const listOffsetsHandler: Handler<ListOffsetsRequest, ListOffsetsResponse, ListOffsetsServices> = {
  apiKey: 2,
  minVersion: 1,
  maxVersion: 10,
  request: listOffsetsRequestCodec,
  response: listOffsetsResponseCodec,
  async handle(ctx, req, services) {
    const rm = services.replicaManager
    const isolation = req.replicaId >= 0 ? null : req.isolationLevel
    // With an authorizer: DESCRIBE on each topic, else TOPIC_AUTHORIZATION_FAILED (one check per topic).
    const caller = callerOf(services.authorizer, ctx.connection)
    const describable = caller === null ? null : topicChecker(caller, AclOperation.DESCRIBE)
    const seen = new Map<string, number>()
    for (const t of req.topics) {
      for (const p of t.partitions) {
        const key = `${t.name}\u0000${p.partitionIndex}`
        seen.set(key, (seen.get(key) ?? 0) + 1)
      }
    }
    const topics = await Promise.all(
      req.topics.map(async (t) => ({
        name: t.name as TopicName,
        partitions: await Promise.all(
          t.partitions.map(async (p): Promise<ListOffsetsResponseListOffsetsPartitionResponse> => {
            if (seen.get(`${t.name}\u0000${p.partitionIndex}`)! > 1) {
              return partitionError(p.partitionIndex, ErrorCode.INVALID_REQUEST)
            }
            if (describable !== null && !describable(t.name))
              return partitionError(p.partitionIndex, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
            const part = rm.partition(t.name, p.partitionIndex)
            if (part === null)
              return partitionError(p.partitionIndex, rm.missingPartitionError(t.name, p.partitionIndex))
            const r = await part.offsetForTimestamp(p.timestamp, isolation, p.currentLeaderEpoch)
            return {
              partitionIndex: p.partitionIndex,
              errorCode: r.errorCode,
              oldStyleOffsets: [],
              timestamp: r.timestamp,
              offset: r.offset,
              // v1-3 have no leader epoch and refuse a value other than the default.
              leaderEpoch: ctx.apiVersion >= 4 ? r.leaderEpoch : -1,
            }
          }),
        ),
      })),
    )
    return { throttleTimeMs: 0, topics }
  },
  errorResponse(req, _version, errorCode) {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => partitionError(p.partitionIndex, errorCode)),
      })),
    }
  },
}
