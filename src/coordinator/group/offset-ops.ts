// Committed offsets: OffsetCommit, OffsetFetch, OffsetDelete and the periodic expiration, with
// Kafka's rules (its OffsetMetadataManager and the classic group's checks). Offsets change only
// when their records are replayed after the write, so a fetch never sees an uncommitted commit.

import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import type { CoordinatorResult } from '../runtime/coordinator-runtime.ts'
import { ClassicGroup, CONSUMER_PROTOCOL_TYPE, GroupState } from './classic-group.ts'
import { expireConsumerGroupOffsets, validateConsumerCommit } from './consumer/consumer-admin.ts'
import type { GroupShard } from './group-shard.ts'
import type { OffsetAndMetadata } from './offset-store.ts'
import { groupTombstone, offsetCommitRecord, offsetTombstone } from './records.ts'

export interface CommitPartition {
  readonly partition: number
  readonly offset: bigint
  readonly leaderEpoch: number
  /** OffsetCommit v1; -1: the time of the commit. */
  readonly commitTimestamp: number
  readonly metadata: string | null
}

export interface CommitParams {
  readonly groupId: string
  /** -1 for commits outside group management (simple consumers, admin tools). */
  readonly generationId: number
  readonly memberId: string
  readonly groupInstanceId: string | null
  /** OffsetCommit v2-4; -1: keep until the group's offsets expire. */
  readonly retentionTimeMs: number
  /** OffsetCommit v9+ says GROUP_ID_NOT_FOUND for a missing group; older versions ILLEGAL_GENERATION. */
  readonly groupIdNotFound: boolean
  readonly topics: readonly { readonly name: string; readonly partitions: readonly CommitPartition[] }[]
}

export type TopicPartitionErrors = {
  name: string
  partitions: { partitionIndex: number; errorCode: number }[]
}[]

/** Every partition of `topics` with `errorCode`. */
export function allPartitions(
  topics: readonly {
    readonly name: string
    readonly partitions: readonly { readonly partition: number }[]
  }[],
  errorCode: number,
): TopicPartitionErrors {
  return topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, errorCode })),
  }))
}

function validateCommit(group: ClassicGroup, p: CommitParams): number {
  if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE
  // Outside group management, anyone may commit for an empty group.
  if (p.generationId < 0 && group.is(GroupState.Empty)) return ErrorCode.NONE
  if (p.generationId >= 0 || p.memberId !== '' || p.groupInstanceId !== null) {
    const invalid = group.validateMember(p.memberId, p.groupInstanceId)
    if (invalid !== ErrorCode.NONE) return invalid
    if (p.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION
  } else if (!group.is(GroupState.Empty)) {
    // Without member id and generation, commits are only accepted while nobody is a member.
    return ErrorCode.UNKNOWN_MEMBER_ID
  }
  // The member has its new generation but not its assignment yet.
  if (group.is(GroupState.CompletingRebalance)) return ErrorCode.REBALANCE_IN_PROGRESS
  return ErrorCode.NONE
}

export function commitOffsets(shard: GroupShard, p: CommitParams): CoordinatorResult<TopicPartitionErrors> {
  const consumerGroup = shard.consumerGroups.get(p.groupId)
  if (consumerGroup !== undefined) {
    const invalid = validateConsumerCommit(consumerGroup, p.memberId, p.generationId)
    if (invalid !== ErrorCode.NONE) return shard.finish(allPartitions(p.topics, invalid))
    return writeCommit(shard, p)
  }
  let group = shard.groups.get(p.groupId)
  if (group === undefined) {
    if (p.generationId >= 0) {
      const code = p.groupIdNotFound ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION
      return shard.finish(allPartitions(p.topics, code))
    }
    group = new ClassicGroup(p.groupId, GroupState.Empty, shard.now())
    shard.groups.set(p.groupId, group)
  }
  const invalid = validateCommit(group, p)
  if (invalid !== ErrorCode.NONE) return shard.finish(allPartitions(p.topics, invalid))
  // A commit is a sign of life during a rebalance too (the heartbeat brings the rebalance news).
  if (group.has(p.memberId)) shard.rescheduleHeartbeat(group, group.get(p.memberId))
  return writeCommit(shard, p)
}

/** One committed partition as OffsetCommit and TxnOffsetCommit carry it. */
interface CommittedPartition {
  readonly partition: number
  readonly offset: bigint
  readonly leaderEpoch: number
  readonly metadata: string | null
}

/**
 * The offset records of a validated commit (plain or transactional): one per partition whose
 * metadata fits offset.metadata.max.bytes, OFFSET_METADATA_TOO_LARGE for the others. `stamp`
 * gives a record its commit and expiry times; `written` hears of each partition written.
 */
export function emitOffsetCommits<P extends CommittedPartition>(
  shard: GroupShard,
  groupId: string,
  topics: readonly { name: string; partitions: readonly P[] }[],
  stamp: (part: P) => { commitTimestamp: number; expireTimestamp: number | null },
  written: (topic: string, partition: number) => void = () => {},
): TopicPartitionErrors {
  return topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((part) => {
      const metadata = part.metadata ?? ''
      if (Buffer.byteLength(metadata) > shard.config.offsetMetadataMaxBytes)
        return { partitionIndex: part.partition, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE }
      shard.emit(
        offsetCommitRecord(groupId, t.name, part.partition, {
          offset: part.offset,
          leaderEpoch: part.leaderEpoch,
          metadata,
          ...stamp(part),
        }),
      )
      written(t.name, part.partition)
      return { partitionIndex: part.partition, errorCode: ErrorCode.NONE }
    }),
  }))
}

/** The offset records of a validated commit, pending until they are written. */
function writeCommit(shard: GroupShard, p: CommitParams): CoordinatorResult<TopicPartitionErrors> {
  const now = shard.now()
  const expireTimestamp = p.retentionTimeMs === -1 ? null : now + p.retentionTimeMs
  const pending: [string, number][] = []
  const result = emitOffsetCommits(
    shard,
    p.groupId,
    p.topics,
    (part) => ({
      commitTimestamp: part.commitTimestamp === -1 ? now : part.commitTimestamp,
      expireTimestamp,
    }),
    (topic, partition) => {
      shard.offsets.addPending(p.groupId, topic, partition)
      pending.push([topic, partition])
    },
  )
  const settle = () => {
    for (const [topic, partition] of pending) shard.offsets.removePending(p.groupId, topic, partition)
  }
  shard.afterCommit(settle)
  shard.afterFailure(settle)
  return shard.finish(result)
}

export interface FetchedPartition {
  readonly partitionIndex: number
  readonly committedOffset: bigint
  readonly committedLeaderEpoch: number
  readonly metadata: string
  readonly errorCode: number
}

export type FetchedTopics = { name: string; partitions: FetchedPartition[] }[]

const NO_OFFSET = { committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE }

function fetched(partitionIndex: number, v: OffsetAndMetadata | undefined): FetchedPartition {
  if (v === undefined) return { partitionIndex, ...NO_OFFSET }
  return {
    partitionIndex,
    committedOffset: v.offset,
    committedLeaderEpoch: v.leaderEpoch,
    metadata: v.metadata,
    errorCode: ErrorCode.NONE,
  }
}

/**
 * The group's committed offsets for `topics` (null: every topic it has offsets for). Partitions
 * without a committed offset answer offset -1 with no error, as Kafka does, also for unknown groups.
 */
export function fetchOffsets(
  shard: GroupShard,
  groupId: string,
  topics: readonly { readonly name: string; readonly partitionIndexes: readonly number[] }[] | null,
): FetchedTopics {
  const known =
    shard.groups.get(groupId)?.is(GroupState.Dead) === false ||
    shard.consumerGroups.has(groupId) ||
    shard.offsets.hasOffsets(groupId)
  if (topics === null) {
    if (!known) return []
    const byTopic = new Map<string, FetchedPartition[]>()
    for (const o of shard.offsets.groupOffsets(groupId)) {
      let list = byTopic.get(o.topic)
      if (list === undefined) {
        list = []
        byTopic.set(o.topic, list)
      }
      list.push(fetched(o.partition, o.value))
    }
    return [...byTopic].map(([name, partitions]) => ({ name, partitions }))
  }
  return topics.map((t) => ({
    name: t.name,
    partitions: t.partitionIndexes.map((i) =>
      fetched(i, known ? shard.offsets.get(groupId, t.name, i) : undefined),
    ),
  }))
}

export interface DeleteOffsetsResult {
  readonly errorCode: number
  readonly topics: TopicPartitionErrors
}

/** OffsetDelete: only for an empty group, or for topics a consumer group no longer subscribes to. */
export function deleteOffsets(
  shard: GroupShard,
  groupId: string,
  topics: readonly {
    readonly name: string
    readonly partitions: readonly { readonly partition: number }[]
  }[],
): CoordinatorResult<DeleteOffsetsResult> {
  const group = shard.groups.get(groupId)
  if (group === undefined || group.is(GroupState.Dead))
    return shard.finish({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] })
  if (!group.is(GroupState.Empty) && group.protocolType !== CONSUMER_PROTOCOL_TYPE)
    return shard.finish({ errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] })
  const result = topics.map((t) => {
    const subscribed = group.isSubscribedToTopic(t.name)
    return {
      name: t.name,
      partitions: t.partitions.map((p) => {
        if (subscribed) return { partitionIndex: p.partition, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC }
        if (shard.offsets.get(groupId, t.name, p.partition) !== undefined)
          shard.emit(offsetTombstone(groupId, t.name, p.partition))
        return { partitionIndex: p.partition, errorCode: ErrorCode.NONE }
      }),
    }
  })
  return shard.finish({ errorCode: ErrorCode.NONE, topics: result })
}

/**
 * The base time an offset's retention counts from, per Kafka's classic group rules, or null when
 * the group's offsets do not expire now: an empty group counts from when it became empty (or the
 * commit, for groups loaded without that time); a stable consumer group that knows its
 * subscriptions counts from each commit, for topics it no longer subscribes to; a group used only
 * to store offsets counts from each commit.
 */
function expirationBase(group: ClassicGroup): ((o: OffsetAndMetadata) => number) | null {
  if (group.protocolType === null) return (o) => o.commitTimestamp
  if (group.is(GroupState.Empty)) {
    const since = group.stateTimestamp
    return (o) => since ?? o.commitTimestamp
  }
  if (
    group.protocolType === CONSUMER_PROTOCOL_TYPE &&
    group.subscribedTopics !== null &&
    group.is(GroupState.Stable)
  )
    return (o) => o.commitTimestamp
  return null
}

/**
 * Writes tombstones for expired offsets (offsets.retention.minutes), then for empty groups left
 * without offsets. Runs as a timer operation of the shard.
 */
export function cleanupGroupMetadata(shard: GroupShard): void {
  const now = shard.now()
  const retention = shard.config.offsetsRetentionMs
  let expired = 0
  const deleted: string[] = []
  for (const group of [...shard.groups.values()]) {
    const groupId = group.groupId
    const base = expirationBase(group)
    let allExpired = base !== null
    if (base !== null) {
      for (const o of shard.offsets.groupOffsets(groupId)) {
        const v = o.value
        const due =
          !group.isSubscribedToTopic(o.topic) &&
          !shard.offsets.isPending(groupId, o.topic, o.partition) &&
          (v.expireTimestamp !== null ? now >= v.expireTimestamp : now - base(v) >= retention)
        if (due) {
          shard.emit(offsetTombstone(groupId, o.topic, o.partition))
          expired++
        } else {
          allExpired = false
        }
      }
    }
    if (allExpired && group.is(GroupState.Empty) && group.pendingMembers.size === 0) {
      shard.emit(groupTombstone(groupId))
      group.transitionTo(GroupState.Dead, now)
      shard.groups.delete(groupId)
      shard.forgetGroup(group)
      deleted.push(groupId)
    }
  }
  const consumer = expireConsumerGroupOffsets(shard)
  expired += consumer.offsets
  if (expired > 0 || deleted.length > 0 || consumer.groups > 0)
    shard.log.info(`Removed ${expired} expired offsets and ${deleted.length + consumer.groups} empty groups`)
  shard.afterFailure(() => restoreGroups(shard, deleted))
}

/**
 * After a failed deletion write: groups removed from memory whose offsets are still there come
 * back as the empty groups replay would make of them.
 */
export function restoreGroups(shard: GroupShard, groupIds: readonly string[]): void {
  for (const id of groupIds)
    if (!shard.groups.has(id) && shard.offsets.hasOffsets(id))
      shard.groups.set(id, new ClassicGroup(id, GroupState.Empty, shard.now()))
}
