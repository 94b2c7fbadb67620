// DeleteRecords: v0-2 (flexible 2+). Moves each partition's log start offset to the given offset
// (-1: the high watermark); records below it are no longer readable and their segments go at the
// next retention run. Errors per partition: OFFSET_OUT_OF_RANGE past the high watermark or below
// 0, POLICY_VIOLATION on compact-only topics, INVALID_TOPIC_EXCEPTION for internal topics,
// UNKNOWN_TOPIC_OR_PARTITION. With a single replica the new low watermark is durable-by-checkpoint
// and answered at once (timeoutMs is not needed).
// Not implemented: waiting for followers' low watermarks (replication).

import type { TopicName } from '../../common/ids.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type DeleteRecordsRequest,
  type DeleteRecordsResponse,
  type DeleteRecordsResponseDeleteRecordsPartitionResult,
  deleteRecordsRequestCodec,
  deleteRecordsResponseCodec,
} from '../../protocol/generated/messages/delete-records.ts'
import type { ReplicaManager } from '../../replication/replica-manager.ts'
import { AclOperation } from '../../security/acl-types.ts'
import { type Authorizing, callerOf, topicChecker } from '../../security/authorizer-check.ts'
import type { Handler } from '../handler.ts'

export interface DeleteRecordsServices extends Authorizing {
  replicaManager: ReplicaManager
}

const failed = (
  partitionIndex: number,
  errorCode: number,
): DeleteRecordsResponseDeleteRecordsPartitionResult => ({
  partitionIndex,
  lowWatermark: -1n,
  errorCode,
})

export const deleteRecordsHandler: Handler<
  DeleteRecordsRequest,
  DeleteRecordsResponse,
  DeleteRecordsServices
> = {
  apiKey: 21,
  minVersion: 0,
  maxVersion: 2,
  request: deleteRecordsRequestCodec,
  response: deleteRecordsResponseCodec,
  async handle(ctx, req, services) {
    const rm = services.replicaManager
    // With an authorizer: DELETE on each topic, else TOPIC_AUTHORIZATION_FAILED.
    const caller = callerOf(services.authorizer, ctx.connection)
    const deletable = caller === null ? null : topicChecker(caller, AclOperation.DELETE)
    const topics = await Promise.all(
      req.topics.map(async (t) => ({
        name: t.name as TopicName,
        partitions: await Promise.all(
          t.partitions.map(async (p) => {
            if (deletable !== null && !deletable(t.name))
              return failed(p.partitionIndex, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
            const r = await rm.deleteRecords(t.name, p.partitionIndex, p.offset)
            return { partitionIndex: p.partitionIndex, lowWatermark: r.lowWatermark, errorCode: r.errorCode }
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
        partitions: t.partitions.map((p) => failed(p.partitionIndex, errorCode)),
      })),
    }
  },
}
