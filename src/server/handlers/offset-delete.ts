// OffsetDelete: v0. Deletes a group's committed offsets of some partitions: allowed for an empty
// group, and for a consumer group only on topics it does not subscribe to (else
// GROUP_SUBSCRIBED_TO_TOPIC per partition); NON_EMPTY_GROUP for other groups with members,
// GROUP_ID_NOT_FOUND for unknown ones. Partitions of unknown topics answer
// UNKNOWN_TOPIC_OR_PARTITION, as Kafka's do.

import type { TopicName } from '../../common/ids.ts'
import type { GroupCoordinator } from '../../coordinator/group/group-coordinator.ts'
import type { MetadataStore } from '../../metadata/store.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type OffsetDeleteRequest,
  type OffsetDeleteResponse,
  offsetDeleteRequestCodec,
  offsetDeleteResponseCodec,
} from '../../protocol/generated/messages/offset-delete.ts'
import type { Handler } from '../handler.ts'

export interface OffsetDeleteServices {
  readonly metadata: Pick<MetadataStore, 'image'>
  readonly groupCoordinator: Pick<GroupCoordinator, 'deleteOffsets'>
}

export const offsetDeleteHandler: Handler<OffsetDeleteRequest, OffsetDeleteResponse, OffsetDeleteServices> = {
  apiKey: 47,
  minVersion: 0,
  maxVersion: 0,
  request: offsetDeleteRequestCodec,
  response: offsetDeleteResponseCodec,
  async handle(_ctx, req, services) {
    const image = services.metadata.image()
    const known = (topic: string, partition: number) =>
      image.topics.get(topic)?.partitions[partition] !== undefined
    const topics = req.topics
      .map((t) => ({
        name: t.name,
        partitions: t.partitions
          .filter((p) => known(t.name, p.partitionIndex))
          .map((p) => ({ partition: p.partitionIndex })),
      }))
      .filter((t) => t.partitions.length > 0)
    const r = await services.groupCoordinator.deleteOffsets(req.groupId, topics)
    if (r.errorCode !== ErrorCode.NONE) return { errorCode: r.errorCode, throttleTimeMs: 0, topics: [] }
    const answers = new Map<string, number>()
    for (const t of r.topics)
      for (const p of t.partitions) answers.set(`${p.partitionIndex}:${t.name}`, p.errorCode)
    return {
      errorCode: ErrorCode.NONE,
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name as TopicName,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: answers.get(`${p.partitionIndex}:${t.name}`) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        })),
      })),
    }
  },
  errorResponse(_req, _version, errorCode) {
    return { errorCode, throttleTimeMs: 0, topics: [] }
  },
}
