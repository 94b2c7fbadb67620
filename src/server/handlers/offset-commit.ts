// OffsetCommit: v0-9 (flexible 8+). Stores a group's consumed positions in __consumer_offsets.
// Version notes: v0 carries no generation or member (taken as a commit outside group management,
// generation -1; Kafka stored v0 commits in ZooKeeper); v1 a commit timestamp per partition; v2-4
// a retention time (an explicit expiry for these offsets); v6+ the leader epoch; v7+
// group.instance.id; v9 answers GROUP_ID_NOT_FOUND rather than ILLEGAL_GENERATION for a missing
// group. Partitions of unknown topics answer UNKNOWN_TOPIC_OR_PARTITION, as Kafka's do; others
// answer what the coordinator says (REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID,
// FENCED_INSTANCE_ID, OFFSET_METADATA_TOO_LARGE, ...), once the commit is durable.
// With an authorizer: READ on the group (else GROUP_AUTHORIZATION_FAILED everywhere) and READ on
// each topic (else its partitions answer TOPIC_AUTHORIZATION_FAILED and are not committed).
// For a consumer group (KIP-848) generationIdOrMemberEpoch is the member epoch: a stale one answers
// STALE_MEMBER_EPOCH, an unknown member UNKNOWN_MEMBER_ID.

import type { TopicName } from '../../common/ids.ts'
import type { GroupCoordinator } from '../../coordinator/group/group-coordinator.ts'
import type { CommitPartition } from '../../coordinator/group/offset-ops.ts'
import type { MetadataStore } from '../../metadata/store.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type OffsetCommitRequest,
  type OffsetCommitResponse,
  offsetCommitRequestCodec,
  offsetCommitResponseCodec,
} from '../../protocol/generated/messages/offset-commit.ts'
import { AclOperation, ResourceType } from '../../security/acl-types.ts'
import { type Authorizing, allows, callerOf, topicChecker } from '../../security/authorizer-check.ts'
import type { Handler } from '../handler.ts'

export interface OffsetCommitServices extends Authorizing {
  readonly metadata: Pick<MetadataStore, 'image'>
  readonly groupCoordinator: Pick<GroupCoordinator, 'commitOffsets'>
}

function errorOf(req: OffsetCommitRequest, errorCode: number): OffsetCommitResponse {
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
    })),
  }
}

export const offsetCommitHandler: Handler<OffsetCommitRequest, OffsetCommitResponse, OffsetCommitServices> = {
  apiKey: 8,
  minVersion: 0,
  maxVersion: 9,
  request: offsetCommitRequestCodec,
  response: offsetCommitResponseCodec,
  async handle(ctx, req, services) {
    const version = ctx.apiVersion
    const image = services.metadata.image()
    const caller = callerOf(services.authorizer, ctx.connection)
    if (caller !== null && !allows(caller, AclOperation.READ, ResourceType.GROUP, req.groupId))
      return errorOf(req, ErrorCode.GROUP_AUTHORIZATION_FAILED)
    const readable = caller === null ? null : topicChecker(caller, AclOperation.READ)
    const known = (topic: string, partition: number) =>
      image.topics.get(topic)?.partitions[partition] !== undefined
    const topics: { name: string; partitions: CommitPartition[] }[] = []
    const answers = new Map<string, number>()
    for (const t of req.topics) {
      if (readable !== null && !readable(t.name)) {
        for (const p of t.partitions)
          answers.set(`${p.partitionIndex}:${t.name}`, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
        continue
      }
      const partitions = t.partitions
        .filter((p) => known(t.name, p.partitionIndex))
        .map((p) => ({
          partition: p.partitionIndex,
          offset: p.committedOffset,
          leaderEpoch: version >= 6 ? p.committedLeaderEpoch : -1,
          commitTimestamp: version === 1 ? Number(p.commitTimestamp) : -1,
          metadata: p.committedMetadata,
        }))
      if (partitions.length > 0) topics.push({ name: t.name, partitions })
    }
    if (topics.length > 0) {
      const r = await services.groupCoordinator.commitOffsets({
        groupId: req.groupId,
        generationId: version === 0 ? -1 : req.generationIdOrMemberEpoch,
        memberId: req.memberId,
        groupInstanceId: version >= 7 ? req.groupInstanceId : null,
        retentionTimeMs: version >= 2 && version <= 4 ? Number(req.retentionTimeMs) : -1,
        groupIdNotFound: version >= 9,
        topics,
      })
      for (const t of r)
        for (const p of t.partitions) answers.set(`${p.partitionIndex}:${t.name}`, p.errorCode)
    }
    return {
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
  errorResponse(req, _version, errorCode) {
    return errorOf(req, errorCode)
  },
}
