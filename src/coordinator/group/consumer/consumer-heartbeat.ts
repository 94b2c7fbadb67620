// ConsumerGroupHeartbeat on one shard: joining (member epoch 0), heartbeats (epoch checks:
// FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID), subscription changes (a new group epoch, then a new
// target assignment), reconciliation towards the target, leaving (-1) and static leaving (-2, the
// member keeps its assignment until a new incarnation of its instance id takes it over or its
// session ends). Kafka's request validation and error codes; facts from KIP-848.

import { randomUUID } from 'node:crypto'
import { ErrorCode } from '../../../protocol/generated/error-codes.ts'
import type { CoordinatorResult } from '../../runtime/coordinator-runtime.ts'
import { GroupState } from '../classic-group.ts'
import type { GroupShard } from '../group-shard.ts'
import { groupTombstone } from '../records.ts'
import {
  type Assignment,
  assignmentEquals,
  ConsumerGroup,
  type ConsumerMember,
  fromTopicPartitions,
  isSubset,
  LEAVE_EPOCH,
  newMember,
  STATIC_LEAVE_EPOCH,
  toTopicPartitions,
} from './consumer-group.ts'
import {
  bumpGroupEpoch,
  cancelTimers,
  fenceMember,
  groupTopics,
  maybeComputeTarget,
  reconcileMember,
  sameTopics,
  scheduleSession,
  write,
} from './consumer-membership.ts'
import { currentAssignmentRecord, memberMetadataRecord, targetMemberRecord } from './consumer-records.ts'
import { compileTopicRegex } from './consumer-regex.ts'

export interface ConsumerHeartbeatParams {
  readonly apiVersion: number
  readonly groupId: string
  readonly memberId: string
  readonly memberEpoch: number
  readonly instanceId: string | null
  readonly rackId: string | null
  readonly rebalanceTimeoutMs: number
  readonly subscribedTopicNames: readonly string[] | null
  readonly subscribedTopicRegex: string | null
  readonly serverAssignor: string | null
  readonly topicPartitions:
    | readonly { readonly topicId: string; readonly partitions: readonly number[] }[]
    | null
  readonly clientId: string
  readonly clientHost: string
}

export interface ConsumerHeartbeatResult {
  readonly errorCode: number
  readonly errorMessage: string | null
  readonly memberId: string | null
  readonly memberEpoch: number
  readonly heartbeatIntervalMs: number
  /** Null when the member's assignment did not change. */
  readonly assignment: { topicId: string; partitions: number[] }[] | null
}

export function heartbeatError(
  errorCode: number,
  errorMessage: string | null = null,
): ConsumerHeartbeatResult {
  return { errorCode, errorMessage, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null }
}

function invalid(p: ConsumerHeartbeatParams): string | null {
  if (p.groupId === '') return "GroupId can't be empty."
  if (p.instanceId === '') return "InstanceId can't be empty."
  if (p.rackId === '') return "RackId can't be empty."
  if (p.apiVersion >= 1 && p.memberId === '') return "MemberId can't be empty."
  if (p.memberEpoch > 0 || p.memberEpoch === LEAVE_EPOCH) {
    if (p.memberId === '') return "MemberId can't be empty."
  } else if (p.memberEpoch === 0) {
    if (p.rebalanceTimeoutMs === -1) return 'RebalanceTimeoutMs must be provided in first request.'
    if (p.topicPartitions === null || p.topicPartitions.length > 0)
      return 'TopicPartitions must be empty when (re-)joining.'
    if (p.subscribedTopicNames === null && p.subscribedTopicRegex === null)
      return 'SubscribedTopicNames or SubscribedTopicRegex must be set in first request.'
  } else if (p.memberEpoch === STATIC_LEAVE_EPOCH) {
    if (p.instanceId === null) return 'InstanceId must be set when the member epoch is -2.'
    if (p.memberId === '') return "MemberId can't be empty."
  } else return `MemberEpoch is invalid: ${p.memberEpoch}.`
  return null
}

export function consumerGroupHeartbeat(
  shard: GroupShard,
  p: ConsumerHeartbeatParams,
): CoordinatorResult<ConsumerHeartbeatResult> {
  const fail = (code: number, message: string | null = null) => shard.finish(heartbeatError(code, message))
  const bad = invalid(p)
  if (bad !== null) return fail(ErrorCode.INVALID_REQUEST, bad)
  const cfg = shard.config.consumer
  if (p.serverAssignor !== null && !cfg.assignors.includes(p.serverAssignor))
    return fail(ErrorCode.UNSUPPORTED_ASSIGNOR, `ServerAssignor ${p.serverAssignor} is not supported.`)
  if (p.subscribedTopicRegex !== null && p.subscribedTopicRegex !== '') {
    const c = compileTopicRegex(p.subscribedTopicRegex)
    if (!c.ok)
      return fail(ErrorCode.INVALID_REGULAR_EXPRESSION, `SubscribedTopicRegex is invalid: ${c.reason}`)
  }

  let group = shard.consumerGroups.get(p.groupId)
  if (group === undefined) {
    const classic = shard.groups.get(p.groupId)
    if (classic !== undefined && !classic.is(GroupState.Dead)) {
      const upgrade = cfg.migrationPolicy === 'upgrade' || cfg.migrationPolicy === 'bidirectional'
      if (classic.size > 0 || !upgrade || p.memberEpoch !== 0)
        return fail(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${p.groupId} is not a consumer group.`)
      // An empty classic group is taken over (KIP-848's upgrade path); its offsets stay.
      shard.emit(groupTombstone(p.groupId))
      shard.groups.delete(p.groupId)
      shard.forgetGroup(classic)
      shard.log.info(`Group ${p.groupId} changes from the classic to the consumer protocol`)
    }
    if (p.memberEpoch !== 0) return fail(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${p.groupId} not found.`)
    group = new ConsumerGroup(p.groupId)
    shard.consumerGroups.set(p.groupId, group)
  }
  const result = p.memberEpoch < 0 ? leave(shard, group, p) : join(shard, group, p)
  if (group.groupEpoch === 0 && group.size === 0) shard.consumerGroups.delete(p.groupId)
  return shard.finish(result)
}

function leave(shard: GroupShard, group: ConsumerGroup, p: ConsumerHeartbeatParams): ConsumerHeartbeatResult {
  let m = group.members.get(p.memberId)
  if (p.instanceId !== null) {
    const byInstance = group.memberByInstanceId(p.instanceId)
    if (byInstance === undefined)
      return heartbeatError(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${p.instanceId} is unknown.`)
    if (byInstance.memberId !== p.memberId)
      return heartbeatError(
        ErrorCode.FENCED_INSTANCE_ID,
        `Instance id ${p.instanceId} belongs to another member.`,
      )
    m = byInstance
  }
  if (m === undefined)
    return heartbeatError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${p.memberId} is not in group ${p.groupId}.`)
  if (p.memberEpoch === STATIC_LEAVE_EPOCH) {
    // The member keeps its partitions (nobody else gets them) until it is back or its session ends.
    write(
      shard,
      currentAssignmentRecord(group.groupId, m.memberId, {
        ...m,
        memberEpoch: STATIC_LEAVE_EPOCH,
        previousMemberEpoch: m.memberEpoch,
      }),
    )
    shard.ctx.timer.cancel(`cg-rebalance\u0000${group.groupId}\u0000${m.memberId}`)
    scheduleSession(shard, group.groupId, m.memberId)
  } else fenceMember(shard, group, m, 'the member left')
  return {
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    memberId: p.memberId,
    memberEpoch: p.memberEpoch,
    heartbeatIntervalMs: 0,
    assignment: null,
  }
}

function join(shard: GroupShard, group: ConsumerGroup, p: ConsumerHeartbeatParams): ConsumerHeartbeatResult {
  const cfg = shard.config.consumer
  const memberId = p.memberId === '' ? randomUUID() : p.memberId
  const owned: Assignment | null = p.topicPartitions === null ? null : fromTopicPartitions(p.topicPartitions)
  const current = group.members.get(memberId)
  let replaced: ConsumerMember | undefined
  if (p.memberEpoch === 0) {
    if (p.instanceId !== null) {
      const holder = group.memberByInstanceId(p.instanceId)
      if (holder !== undefined && holder.memberId !== memberId) {
        if (holder.memberEpoch !== STATIC_LEAVE_EPOCH)
          return heartbeatError(
            ErrorCode.UNRELEASED_INSTANCE_ID,
            `Static member ${p.instanceId} is still in use.`,
          )
        replaced = holder
      }
    }
    if (current === undefined && replaced === undefined && group.size >= cfg.maxSize)
      return heartbeatError(ErrorCode.GROUP_MAX_SIZE_REACHED, `Group ${group.groupId} is full.`)
  } else {
    if (current === undefined)
      return heartbeatError(
        ErrorCode.UNKNOWN_MEMBER_ID,
        `Member ${memberId} is not in group ${group.groupId}.`,
      )
    if (p.memberEpoch !== current.memberEpoch) {
      // A member that missed the answer bumping its epoch may retry with the previous one.
      const retry =
        p.memberEpoch === current.previousMemberEpoch && owned !== null && isSubset(owned, current.assigned)
      if (!retry)
        return heartbeatError(
          ErrorCode.FENCED_MEMBER_EPOCH,
          `The consumer group member has a smaller or larger member epoch (${p.memberEpoch}) than the one known by the group coordinator (${current.memberEpoch}).`,
        )
    }
  }

  const before: ConsumerMember = replaced ?? current ?? newMember(memberId)
  const updated: ConsumerMember = {
    ...before,
    memberId,
    instanceId: p.instanceId ?? before.instanceId,
    rackId: p.rackId ?? before.rackId,
    clientId: p.clientId,
    clientHost: p.clientHost,
    rebalanceTimeoutMs: p.rebalanceTimeoutMs === -1 ? before.rebalanceTimeoutMs : p.rebalanceTimeoutMs,
    subscribedTopicNames: p.subscribedTopicNames ?? before.subscribedTopicNames,
    subscribedTopicRegex: p.subscribedTopicRegex ?? before.subscribedTopicRegex,
    serverAssignor: p.serverAssignor ?? before.serverAssignor,
  }
  const isNew = current === undefined && replaced === undefined
  const subscriptionChanged =
    isNew ||
    updated.subscribedTopicRegex !== before.subscribedTopicRegex ||
    updated.serverAssignor !== before.serverAssignor ||
    updated.subscribedTopicNames.length !== before.subscribedTopicNames.length ||
    updated.subscribedTopicNames.some((t, i) => t !== before.subscribedTopicNames[i])
  const metadataChanged =
    subscriptionChanged ||
    replaced !== undefined ||
    updated.instanceId !== before.instanceId ||
    updated.rackId !== before.rackId ||
    updated.clientId !== before.clientId ||
    updated.clientHost !== before.clientHost ||
    updated.rebalanceTimeoutMs !== before.rebalanceTimeoutMs

  if (replaced !== undefined) {
    // A new incarnation of a static member takes over the old one's assignment and epoch.
    const old = { ...replaced }
    const oldTarget = group.target.get(old.memberId) ?? new Map()
    write(shard, currentAssignmentRecord(group.groupId, old.memberId, null))
    write(shard, targetMemberRecord(group.groupId, old.memberId, null))
    write(shard, memberMetadataRecord(group.groupId, old.memberId, null))
    cancelTimers(shard, group.groupId, old.memberId)
    write(shard, memberMetadataRecord(group.groupId, memberId, updated))
    write(shard, targetMemberRecord(group.groupId, memberId, oldTarget))
    const epoch = Math.max(old.previousMemberEpoch, 0)
    write(shard, currentAssignmentRecord(group.groupId, memberId, { ...old, memberEpoch: epoch }))
  } else if (metadataChanged) write(shard, memberMetadataRecord(group.groupId, memberId, updated))

  if (!isNew && replaced === undefined && p.memberEpoch === 0 && current !== undefined) {
    // A known member rejoining from scratch has given up what it held.
    write(
      shard,
      currentAssignmentRecord(group.groupId, memberId, {
        ...current,
        memberEpoch: 0,
        previousMemberEpoch: 0,
        state: 0,
        assigned: new Map(),
        pendingRevocation: new Map(),
      }),
    )
  }
  const topics = shard.topicsView()
  if (subscriptionChanged || !sameTopics(groupTopics(group, topics), group.subscribedTopics))
    bumpGroupEpoch(shard, group, topics)
  maybeComputeTarget(shard, group)
  if (isNew)
    shard.log.info(`Member ${memberId} joined consumer group ${group.groupId} (epoch ${group.groupEpoch})`)

  const m = group.members.get(memberId)!
  const assignedBefore = m.assigned
  reconcileMember(shard, group, m, p.memberEpoch === 0 ? new Map() : owned)
  scheduleSession(shard, group.groupId, memberId)
  const after = group.members.get(memberId)!
  const sendAssignment =
    p.memberEpoch === 0 ||
    !assignmentEquals(assignedBefore, after.assigned) ||
    (owned !== null && !assignmentEquals(owned, after.assigned))
  return {
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    memberId,
    memberEpoch: after.memberEpoch,
    heartbeatIntervalMs: cfg.heartbeatIntervalMs,
    assignment: sendAssignment ? toTopicPartitions(after.assigned) : null,
  }
}
