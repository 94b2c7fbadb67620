// OffsetFetch: v0-9 (flexible 6+). A group's committed offsets; a partition without one answers
// offset -1 with no error. Version notes: v0-1 name their partitions and carry errors per
// partition (a coordinator error lands on every partition); v2+ a null topic list asks for every
// topic and errors are top-level; v5+ the leader epoch; v7 requireStable (a partition whose
// offset a transaction has committed but not yet ended answers UNSTABLE_OFFSET_COMMIT, as Kafka's); v8+ several groups per request, each with its own error.
// v9: a consumer group (KIP-848) member sends its id and epoch: UNKNOWN_MEMBER_ID or
// STALE_MEMBER_EPOCH when they are not current (epoch -1: not a member, no check).
// With an authorizer (Kafka's rules): DESCRIBE on the group (else GROUP_AUTHORIZATION_FAILED for
// it); topics the caller may not DESCRIBE answer TOPIC_AUTHORIZATION_FAILED when named and are left
// out of an all-topics answer.

import type { GroupId, TopicName } from '../../common/ids.ts'
import type { GroupCoordinator } from '../../coordinator/group/group-coordinator.ts'
import type { FetchedTopics } from '../../coordinator/group/offset-ops.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type OffsetFetchRequest,
  type OffsetFetchResponse,
  type OffsetFetchResponseOffsetFetchResponseGroup,
  type OffsetFetchResponseOffsetFetchResponseTopic,
  offsetFetchRequestCodec,
  offsetFetchResponseCodec,
} from '../../protocol/generated/messages/offset-fetch.ts'
import { AclOperation, ResourceType } from '../../security/acl-types.ts'
import { type Authorizing, allows, callerOf, topicChecker } from '../../security/authorizer-check.ts'
import type { Handler } from '../handler.ts'

export interface OffsetFetchServices extends Authorizing {
  readonly groupCoordinator: Pick<GroupCoordinator, 'fetchOffsets' | 'hasPendingTxnOffsets'>
}

type WantedTopics = readonly { readonly name: string; readonly partitionIndexes: readonly number[] }[] | null

function wire(topics: FetchedTopics): OffsetFetchResponseOffsetFetchResponseTopic[] {
  return topics.map((t) => ({
    name: t.name as TopicName,
    partitions: t.partitions.map((p) => ({ ...p })),
  }))
}

/** Every requested partition with `errorCode` (v0-1 have nowhere else to put it). */
function partitionsWithError(
  topics: WantedTopics,
  errorCode: number,
): OffsetFetchResponseOffsetFetchResponseTopic[] {
  return (topics ?? []).map((t) => ({
    name: t.name as TopicName,
    partitions: t.partitionIndexes.map((partitionIndex) => ({
      partitionIndex,
      committedOffset: -1n,
      committedLeaderEpoch: -1,
      metadata: '',
      errorCode,
    })),
  }))
}

function singleGroup(
  topics: WantedTopics,
  version: number,
  errorCode: number,
  found: FetchedTopics,
): OffsetFetchResponse {
  const perPartition = version < 2 && errorCode !== ErrorCode.NONE
  return {
    throttleTimeMs: 0,
    topics: perPartition ? partitionsWithError(topics, errorCode) : wire(found),
    errorCode,
    groups: [],
  }
}

function groupResult(
  groupId: string,
  errorCode: number,
  found: FetchedTopics,
): OffsetFetchResponseOffsetFetchResponseGroup {
  return { groupId: groupId as GroupId, topics: wire(found), errorCode }
}

export const offsetFetchHandler: Handler<OffsetFetchRequest, OffsetFetchResponse, OffsetFetchServices> = {
  apiKey: 9,
  minVersion: 0,
  maxVersion: 9,
  request: offsetFetchRequestCodec,
  response: offsetFetchResponseCodec,
  handle(ctx, req, services) {
    const version = ctx.apiVersion
    const gc = services.groupCoordinator
    const stable = (groupId: string, found: FetchedTopics): FetchedTopics =>
      version < 7 || !req.requireStable
        ? found
        : found.map((t) => ({
            name: t.name,
            partitions: t.partitions.map((p) =>
              gc.hasPendingTxnOffsets(groupId, t.name, p.partitionIndex)
                ? { ...p, committedOffset: -1n, errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT }
                : p,
            ),
          }))
    const caller = callerOf(services.authorizer, ctx.connection)
    const describable = caller === null ? null : topicChecker(caller, AclOperation.DESCRIBE)
    const groupDenied = (groupId: string) =>
      caller !== null && !allows(caller, AclOperation.DESCRIBE, ResourceType.GROUP, groupId)
    /** Named topics the caller may not describe: refused per partition; unnamed ones: left out. */
    const visible = (wanted: WantedTopics, found: FetchedTopics): FetchedTopics => {
      if (describable === null) return found
      if (wanted === null) return found.filter((t) => describable(t.name))
      return found.map((t) =>
        describable(t.name)
          ? t
          : {
              name: t.name,
              partitions: t.partitions.map((p) => ({
                ...p,
                committedOffset: -1n,
                committedLeaderEpoch: -1,
                metadata: '',
                errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
              })),
            },
      )
    }
    if (version < 8) {
      const topics = version < 2 ? (req.topics ?? []) : req.topics
      if (groupDenied(req.groupId))
        return singleGroup(topics, version, ErrorCode.GROUP_AUTHORIZATION_FAILED, [])
      const r = gc.fetchOffsets(req.groupId, topics)
      return singleGroup(topics, version, r.errorCode, visible(topics, stable(req.groupId, r.topics)))
    }
    return {
      throttleTimeMs: 0,
      topics: [],
      errorCode: ErrorCode.NONE,
      groups: req.groups.map((g) => {
        if (groupDenied(g.groupId)) return groupResult(g.groupId, ErrorCode.GROUP_AUTHORIZATION_FAILED, [])
        const member = version >= 9 ? { memberId: g.memberId, memberEpoch: g.memberEpoch } : null
        const r = gc.fetchOffsets(g.groupId, g.topics, member)
        return groupResult(g.groupId, r.errorCode, visible(g.topics, stable(g.groupId, r.topics)))
      }),
    }
  },
  errorResponse(req, version, errorCode) {
    if (version < 8) return singleGroup(req.topics, version, errorCode, [])
    return {
      throttleTimeMs: 0,
      topics: [],
      errorCode: ErrorCode.NONE,
      groups: req.groups.map((g) => groupResult(g.groupId, errorCode, [])),
    }
  },
}
