// Consumer groups seen by the other group APIs: OffsetCommit/OffsetFetch member checks
// (STALE_MEMBER_EPOCH), ConsumerGroupDescribe, ListGroups entries, DeleteGroups, and the change of
// an empty group between the consumer and the classic protocol (JoinGroup on an empty consumer group).

import { ErrorCode } from '../../../protocol/generated/error-codes.ts'
import type { GroupShard } from '../group-shard.ts'
import { offsetTombstone } from '../records.ts'
import { type Assignment, type ConsumerGroup, toTopicPartitions } from './consumer-group.ts'
import { deleteConsumerGroup, preferredAssignor } from './consumer-membership.ts'

export const CONSUMER_GROUP_TYPE = 'consumer'

/**
 * OffsetCommit for a consumer group: members commit with their id and current member epoch;
 * without both (admin tools) only while the group is empty.
 */
export function validateConsumerCommit(group: ConsumerGroup, memberId: string, memberEpoch: number): number {
  if (memberId === '' && memberEpoch < 0)
    return group.size === 0 ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID
  const m = group.members.get(memberId)
  if (m === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
  if (memberEpoch !== m.memberEpoch) return ErrorCode.STALE_MEMBER_EPOCH
  return ErrorCode.NONE
}

/** OffsetFetch v9+: a member epoch of -1 means "not a member"; otherwise it must be current. */
export function validateConsumerFetch(
  group: ConsumerGroup | undefined,
  memberId: string | null,
  memberEpoch: number,
): number {
  if (memberEpoch < 0 || memberId === null) return ErrorCode.NONE
  if (group === undefined) return ErrorCode.GROUP_ID_NOT_FOUND
  const m = group.members.get(memberId)
  if (m === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
  if (memberEpoch !== m.memberEpoch) return ErrorCode.STALE_MEMBER_EPOCH
  return ErrorCode.NONE
}

export interface DescribedTopicPartitions {
  topicId: string
  topicName: string
  partitions: number[]
}

export interface DescribedConsumerMember {
  memberId: string
  instanceId: string | null
  rackId: string | null
  memberEpoch: number
  clientId: string
  clientHost: string
  subscribedTopicNames: string[]
  subscribedTopicRegex: string | null
  assignment: { topicPartitions: DescribedTopicPartitions[] }
  targetAssignment: { topicPartitions: DescribedTopicPartitions[] }
}

export interface DescribedConsumerGroup {
  errorCode: number
  errorMessage: string | null
  groupId: string
  groupState: string
  groupEpoch: number
  assignmentEpoch: number
  assignorName: string
  members: DescribedConsumerMember[]
}

/** ConsumerGroupDescribe of one group; `topicName` resolves topic ids (unknown ids are left out). */
export function describeConsumerGroup(
  shard: GroupShard,
  groupId: string,
  topicName: (topicId: string) => string | undefined,
): DescribedConsumerGroup {
  const empty = {
    groupId,
    groupState: '',
    groupEpoch: 0,
    assignmentEpoch: 0,
    assignorName: '',
    members: [],
  }
  const group = shard.consumerGroups.get(groupId)
  if (group === undefined) {
    const classic = shard.groups.has(groupId)
    return {
      ...empty,
      errorCode: ErrorCode.GROUP_ID_NOT_FOUND,
      errorMessage: classic ? `Group ${groupId} is not a consumer group.` : `Group ${groupId} not found.`,
    }
  }
  const named = (a: Assignment) => ({
    topicPartitions: toTopicPartitions(a).flatMap((t) => {
      const name = topicName(t.topicId)
      return name === undefined ? [] : [{ topicId: t.topicId, topicName: name, partitions: t.partitions }]
    }),
  })
  return {
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    groupId,
    groupState: group.state(),
    groupEpoch: group.groupEpoch,
    assignmentEpoch: group.assignmentEpoch,
    assignorName: preferredAssignor(group, shard.config.consumer.assignors),
    members: [...group.members.values()].map((m) => ({
      memberId: m.memberId,
      instanceId: m.instanceId,
      rackId: m.rackId,
      memberEpoch: m.memberEpoch,
      clientId: m.clientId,
      clientHost: m.clientHost,
      subscribedTopicNames: [...m.subscribedTopicNames],
      subscribedTopicRegex: m.subscribedTopicRegex,
      assignment: named(m.assigned),
      targetAssignment: named(group.target.get(m.memberId) ?? new Map()),
    })),
  }
}

/** DeleteGroups on a consumer group: only when empty; its offsets and records go. */
export function deleteEmptyConsumerGroup(shard: GroupShard, group: ConsumerGroup): number {
  if (group.size > 0) return ErrorCode.NON_EMPTY_GROUP
  for (const o of shard.offsets.groupOffsets(group.groupId))
    shard.emit(offsetTombstone(group.groupId, o.topic, o.partition))
  deleteConsumerGroup(shard, group)
  return ErrorCode.NONE
}

/**
 * Before a JoinGroup (classic protocol): an empty consumer group is turned into a classic one
 * (group.consumer.migration.policy downgrade/bidirectional); a group with consumer-protocol members
 * refuses classic members (we do not run mixed groups).
 */
export function takeOverForClassic(shard: GroupShard, groupId: string): number {
  const group = shard.consumerGroups.get(groupId)
  if (group === undefined) return ErrorCode.NONE
  const policy = shard.config.consumer.migrationPolicy
  if (group.size > 0 || (policy !== 'downgrade' && policy !== 'bidirectional'))
    return ErrorCode.INCONSISTENT_GROUP_PROTOCOL
  deleteConsumerGroup(shard, group)
  shard.log.info(`Group ${groupId} changes from the consumer to the classic protocol`)
  return ErrorCode.NONE
}

/**
 * The periodic offset expiration for consumer groups (offsets.retention.minutes from the commit):
 * offsets of topics the group does not subscribe to expire; an empty group whose offsets are all
 * gone is deleted. Returns how many offsets and groups went.
 */
export function expireConsumerGroupOffsets(shard: GroupShard): { offsets: number; groups: number } {
  const now = shard.now()
  let offsets = 0
  let groups = 0
  for (const group of [...shard.consumerGroups.values()]) {
    let left = 0
    for (const o of shard.offsets.groupOffsets(group.groupId)) {
      const v = o.value
      const due =
        !group.isSubscribedToTopic(o.topic) &&
        !shard.offsets.isPending(group.groupId, o.topic, o.partition) &&
        (v.expireTimestamp !== null
          ? now >= v.expireTimestamp
          : now - v.commitTimestamp >= shard.config.offsetsRetentionMs)
      if (due) {
        shard.emit(offsetTombstone(group.groupId, o.topic, o.partition))
        offsets++
      } else left++
    }
    if (left === 0 && group.size === 0) {
      deleteConsumerGroup(shard, group)
      groups++
    }
  }
  return { offsets, groups }
}
