// DeleteRecords: v0-2 (flexible 2+). Moves each partition's log start offset to the given offset
// (-1: the high watermark); records below it are no longer readable and their segments go at the
// next retention run. Errors per partition: OFFSET_OUT_OF_RANGE past the high watermark or below
// 0, POLICY_VIOLATION on compact-only topics, INVALID_TOPIC_EXCEPTION for internal topics,
// UNKNOWN_TOPIC_OR_PARTITION. With a single replica the new low watermark is durable-by-checkpoint
// and answered at once (timeoutMs is not needed).
// Not implemented: waiting for followers' low watermarks (replication).

import type { TopicName } from '../../common/ids.ts'
import {
  type DeleteRecordsRequest,
  type DeleteRecordsResponse,
  type DeleteRecordsResponseDeleteRecordsPartitionResult,
  deleteRecordsRequestCodec,
  deleteRecordsResponseCodec,
} from '../../protocol/generated/messages/delete-records.ts'
import type { ReplicaManager } from '../../replication/replica-manager.ts'
import type { Handler } from '../handler.ts'

export interface DeleteRecordsServices {
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
  async handle(_ctx, req, services) {
    const rm = services.replicaManager
    const topics = await Promise.all(
      req.topics.map(async (t) => ({
        name: t.name as TopicName,
        partitions: await Promise.all(
          t.partitions.map(async (p) => {
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
