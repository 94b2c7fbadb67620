// JoinGroup of the classic group protocol, for group-shard.ts, with Kafka's rules: new members
// (MEMBER_ID_REQUIRED first, from v4), known members rejoining in each state, and a restarted
// static member taking over its old id (in a stable group without a rebalance: the group record
// is written and the answer waits for it).

import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import type { CoordinatorResult } from '../runtime/coordinator-runtime.ts'
import {
  ClassicGroup,
  ClassicMember,
  GroupState,
  type JoinResult,
  joinError,
  type Protocol,
} from './classic-group.ts'
import { groupRecord } from './classic-group-record.ts'
import {
  expireHeartbeat,
  heartbeatKey,
  maybeCompleteJoinPhase,
  maybePrepareRebalanceOrCompleteJoin,
  prepareRebalance,
  rescheduleHeartbeat,
} from './classic-rebalance.ts'
import { NEW_MEMBER_JOIN_TIMEOUT_MS } from './group-config.ts'
import type { GroupShard } from './group-shard.ts'

export interface JoinParams {
  readonly groupId: string
  /** '' for a member joining for the first time. */
  readonly memberId: string
  readonly groupInstanceId: string | null
  /** JoinGroup v4+: a new dynamic member first gets MEMBER_ID_REQUIRED and its id. */
  readonly requireKnownMemberId: boolean
  /** JoinGroup v9+: a restarted static leader is told to skip the assignment. */
  readonly supportSkippingAssignment: boolean
  readonly clientId: string
  readonly clientHost: string
  readonly rebalanceTimeoutMs: number
  readonly sessionTimeoutMs: number
  readonly protocolType: string
  readonly protocols: readonly Protocol[]
  readonly reason: string | null
}

export function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

export function joinGroup(shard: GroupShard, p: JoinParams): CoordinatorResult<JoinResult> {
  const answer = deferred<JoinResult>()
  const fail = (code: number, memberId = p.memberId) => {
    answer.resolve(joinError(memberId, code))
    return shard.finish(answer.promise)
  }
  if (
    p.sessionTimeoutMs < shard.config.minSessionTimeoutMs ||
    p.sessionTimeoutMs > shard.config.maxSessionTimeoutMs
  )
    return fail(ErrorCode.INVALID_SESSION_TIMEOUT)
  const isUnknown = p.memberId === ''
  let group = shard.groups.get(p.groupId)
  if (group === undefined) {
    if (!isUnknown) return fail(ErrorCode.UNKNOWN_MEMBER_ID)
    group = new ClassicGroup(p.groupId, GroupState.Empty, shard.now())
    shard.groups.set(p.groupId, group)
  }
  if (!acceptJoiningMember(shard, group, p.memberId)) {
    group.remove(p.memberId)
    return fail(ErrorCode.GROUP_MAX_SIZE_REACHED, '')
  }
  if (isUnknown) joinNewMember(shard, group, p, answer.resolve)
  else joinExistingMember(shard, group, p, answer.resolve)
  return shard.finish(answer.promise)
}

function acceptJoiningMember(shard: GroupShard, group: ClassicGroup, memberId: string): boolean {
  switch (group.state) {
    case GroupState.Empty:
    case GroupState.Dead:
      return true
    case GroupState.PreparingRebalance:
      // Counting members awaiting join (not the size) lets the last rejoiners be refused when
      // group.max.size was lowered.
      return (
        (group.has(memberId) && group.get(memberId).isAwaitingJoin) ||
        group.numAwaitingJoin < shard.config.maxSize
      )
    default:
      return group.has(memberId) || group.size < shard.config.maxSize
  }
}

function joinNewMember(
  shard: GroupShard,
  group: ClassicGroup,
  p: JoinParams,
  reply: (r: JoinResult) => void,
): void {
  if (group.is(GroupState.Dead)) {
    reply(joinError('', ErrorCode.COORDINATOR_NOT_AVAILABLE))
    return
  }
  if (!group.supportsProtocols(p.protocolType, p.protocols)) {
    reply(joinError('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL))
    return
  }
  const newMemberId = group.generateMemberId(p.clientId, p.groupInstanceId)
  if (p.groupInstanceId !== null) {
    const existing = group.staticMemberId(p.groupInstanceId)
    if (existing !== undefined) {
      shard.log.info(
        `Static member ${p.groupInstanceId} of group ${group.groupId} rejoins with an unknown member id in ${group.state}; replacing ${existing} with ${newMemberId}`,
      )
      replaceStaticMember(shard, group, p, existing, newMemberId, reply)
      return
    }
    addMemberAndRebalance(shard, group, p, newMemberId, reply)
    return
  }
  if (p.requireKnownMemberId) {
    group.pendingMembers.add(newMemberId)
    shard.ctx.timer.schedule(heartbeatKey(group.groupId, newMemberId), p.sessionTimeoutMs, () =>
      expireHeartbeat(shard, group, newMemberId),
    )
    reply(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED))
    return
  }
  addMemberAndRebalance(shard, group, p, newMemberId, reply)
}

function joinExistingMember(
  shard: GroupShard,
  group: ClassicGroup,
  p: JoinParams,
  reply: (r: JoinResult) => void,
): void {
  const memberId = p.memberId
  if (group.is(GroupState.Dead)) {
    reply(joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE))
    return
  }
  if (!group.supportsProtocols(p.protocolType, p.protocols)) {
    reply(joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL))
    return
  }
  if (group.pendingMembers.has(memberId)) {
    // A pending member is never static: static members skip MEMBER_ID_REQUIRED.
    if (p.groupInstanceId !== null) {
      reply(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID))
      return
    }
    addMemberAndRebalance(shard, group, p, memberId, reply)
    return
  }
  const invalid = group.validateMember(memberId, p.groupInstanceId)
  if (invalid !== ErrorCode.NONE) {
    reply(joinError(memberId, invalid))
    return
  }
  const member = group.get(memberId)
  const current = (members: JoinResult['members']): JoinResult => ({
    errorCode: ErrorCode.NONE,
    memberId,
    generationId: group.generationId,
    protocolType: group.protocolType,
    protocolName: group.protocolName,
    leader: group.leaderId ?? '',
    skipAssignment: false,
    members,
  })
  switch (group.state) {
    case GroupState.PreparingRebalance:
      updateMemberAndRebalance(shard, group, member, p, reply, `member ${memberId} joining during rebalance`)
      return
    case GroupState.CompletingRebalance:
      // The same metadata again: it probably lost the first answer; repeat it.
      if (member.matches(p.protocols)) {
        reply(current(group.isLeader(memberId) ? group.currentMemberMetadata() : []))
        return
      }
      updateMemberAndRebalance(shard, group, member, p, reply, `member ${memberId} changed its metadata`)
      return
    case GroupState.Stable:
      // The leader rejoining forces a rebalance (how it reacts to topic metadata changes).
      if (group.isLeader(memberId)) {
        updateMemberAndRebalance(shard, group, member, p, reply, `leader ${memberId} rejoining`)
        return
      }
      if (!member.matches(p.protocols)) {
        updateMemberAndRebalance(shard, group, member, p, reply, `member ${memberId} changed its metadata`)
        return
      }
      reply(current([]))
      return
    default:
      shard.log.warn(`member ${memberId} rejoins group ${group.groupId} in unexpected state ${group.state}`)
      reply(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID))
      return
  }
}

function addMemberAndRebalance(
  shard: GroupShard,
  group: ClassicGroup,
  p: JoinParams,
  memberId: string,
  reply: (r: JoinResult) => void,
): void {
  const member = new ClassicMember({
    memberId,
    groupInstanceId: p.groupInstanceId,
    clientId: p.clientId,
    clientHost: p.clientHost,
    rebalanceTimeoutMs: p.rebalanceTimeoutMs,
    sessionTimeoutMs: p.sessionTimeoutMs,
    protocolType: p.protocolType,
    protocols: p.protocols,
  })
  member.isNew = true
  // Joining during the initial rebalance extends its delay.
  if (group.is(GroupState.PreparingRebalance) && group.previousState === GroupState.Empty)
    group.newMemberAdded = true
  group.add(member, reply)
  // A new member's JoinGroup is parked without heartbeats; drop it if the rebalance never ends.
  rescheduleHeartbeat(shard, group, member, NEW_MEMBER_JOIN_TIMEOUT_MS)
  maybePrepareRebalanceOrCompleteJoin(
    shard,
    group,
    `adding new member ${memberId} with group instance id ${p.groupInstanceId}; client reason: ${p.reason ?? 'not provided'}`,
  )
}

function updateMemberAndRebalance(
  shard: GroupShard,
  group: ClassicGroup,
  member: ClassicMember,
  p: JoinParams,
  reply: (r: JoinResult) => void,
  reason: string,
): void {
  group.updateMember(member, p.protocols, p.rebalanceTimeoutMs, p.sessionTimeoutMs, reply)
  maybePrepareRebalanceOrCompleteJoin(shard, group, `${reason}; client reason: ${p.reason ?? 'not provided'}`)
}

/** A static member restarted: give it the new id; in a stable group, without a rebalance. */
function replaceStaticMember(
  shard: GroupShard,
  group: ClassicGroup,
  p: JoinParams,
  oldMemberId: string,
  newMemberId: string,
  reply: (r: JoinResult) => void,
): void {
  const instanceId = p.groupInstanceId!
  const currentLeader = group.leaderId ?? ''
  const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId)
  shard.ctx.timer.cancel(heartbeatKey(group.groupId, oldMemberId))
  rescheduleHeartbeat(shard, group, member)
  const old = {
    protocols: member.protocols,
    rebalance: member.rebalanceTimeoutMs,
    session: member.sessionTimeoutMs,
  }
  group.updateMember(member, p.protocols, p.rebalanceTimeoutMs, p.sessionTimeoutMs, reply)
  switch (group.state) {
    case GroupState.Stable: {
      if (group.protocolName !== group.selectProtocol()) {
        maybePrepareRebalanceOrCompleteJoin(
          shard,
          group,
          `static member ${newMemberId} (${instanceId}) joined with a change of protocol`,
        )
        return
      }
      // Persist the new member id; answer once it is stored, or undo the replacement.
      const generation = group.generationId
      shard.emit(groupRecord(group, null))
      shard.afterCommit(() => {
        const isLeader = group.isLeader(newMemberId)
        const skip = p.supportSkippingAssignment && isLeader
        group.completeJoin(member, {
          errorCode: ErrorCode.NONE,
          memberId: newMemberId,
          generationId: group.generationId,
          protocolType: group.protocolType,
          protocolName: group.protocolName,
          // Before v9 the old leader id is returned so the member does not run an assignment
          // that a stable group would ignore anyway.
          leader: p.supportSkippingAssignment ? (group.leaderId ?? '') : currentLeader,
          skipAssignment: skip,
          members: skip ? group.currentMemberMetadata() : [],
        })
      })
      shard.afterFailure((code) => {
        if (shard.groups.get(group.groupId) !== group || group.generationId !== generation) return
        shard.log.warn(
          `storing static member ${newMemberId} of group ${group.groupId} failed (${code}); reverting`,
        )
        group.updateMember(member, old.protocols, old.rebalance, old.session, null)
        if (!group.has(newMemberId)) return
        const restored = group.replaceStaticMember(instanceId, newMemberId, oldMemberId)
        shard.ctx.timer.cancel(heartbeatKey(group.groupId, newMemberId))
        rescheduleHeartbeat(shard, group, restored)
      })
      return
    }
    case GroupState.CompletingRebalance:
      // The leader may already have been told the old id: rebalance so nobody is left out.
      prepareRebalance(shard, group, `static member ${newMemberId} (${instanceId}) rejoined during sync`)
      return
    case GroupState.PreparingRebalance:
      maybeCompleteJoinPhase(shard, group)
      return
    default:
      throw new Error(`group ${group.groupId} is ${group.state} while static member ${instanceId} rejoins`)
  }
}
