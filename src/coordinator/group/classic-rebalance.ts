// The classic group's rebalance and its timers, for group-shard.ts: preparing a rebalance (with
// the initial delay of a new group), completing the join phase (a new generation, everyone's
// JoinGroup answer), waiting for every SyncGroup, handing out the assignment, and the member
// sessions (heartbeat expiry). Kafka's rules; each function runs inside a shard operation.
//
// Timers (keys below) capture the group object and check it is still the one in the map, so a
// timer of a deleted or unloaded group does nothing.

import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import type { CoordinatorResult } from '../runtime/coordinator-runtime.ts'
import { type ClassicGroup, type ClassicMember, GroupState, joinError } from './classic-group.ts'
import { groupRecord } from './classic-group-record.ts'
import type { GroupShard } from './group-shard.ts'

export const heartbeatKey = (g: string, m: string) => `heartbeat\u0000${g}\u0000${m}`
const joinKey = (g: string) => `join\u0000${g}`
const syncKey = (g: string) => `sync\u0000${g}`

export function maybePrepareRebalanceOrCompleteJoin(
  shard: GroupShard,
  group: ClassicGroup,
  reason: string,
): void {
  if (group.canRebalance) prepareRebalance(shard, group, reason)
  else maybeCompleteJoinPhase(shard, group)
}

/** Completes the join phase early when everyone is in, except for the initial rebalance. */
export function maybeCompleteJoinPhase(shard: GroupShard, group: ClassicGroup): void {
  if (
    group.is(GroupState.PreparingRebalance) &&
    group.hasAllMembersJoined &&
    group.previousState !== GroupState.Empty
  )
    completeJoin(shard, group)
}

export function prepareRebalance(shard: GroupShard, group: ClassicGroup, reason: string): void {
  if (group.is(GroupState.CompletingRebalance))
    resetAndPropagateAssignmentError(shard, group, ErrorCode.REBALANCE_IN_PROGRESS)
  removeSyncExpiration(shard, group)
  const initial = group.is(GroupState.Empty)
  if (initial) {
    // A new (or emptied) group waits group.initial.rebalance.delay.ms for more members, and
    // again each time one arrives, up to its rebalance timeout.
    const delay = shard.config.initialRebalanceDelayMs
    const remaining = Math.max(group.rebalanceTimeoutMs - delay, 0)
    shard.ctx.timer.schedule(joinKey(group.groupId), delay, () =>
      initialRebalanceTimeout(shard, group, delay, remaining),
    )
  }
  group.transitionTo(GroupState.PreparingRebalance, shard.now())
  shard.log.info(
    `Preparing to rebalance group ${group.groupId} with old generation ${group.generationId} (reason: ${reason})`,
  )
  if (initial) return
  if (group.hasAllMembersJoined) completeJoin(shard, group)
  else scheduleJoinCompletion(shard, group)
}

function scheduleJoinCompletion(shard: GroupShard, group: ClassicGroup): void {
  shard.ctx.timer.schedule(joinKey(group.groupId), group.rebalanceTimeoutMs, () => {
    if (shard.groups.get(group.groupId) === group && group.is(GroupState.PreparingRebalance))
      completeJoin(shard, group)
    return shard.finish(undefined)
  })
}

function initialRebalanceTimeout(
  shard: GroupShard,
  group: ClassicGroup,
  delayMs: number,
  remainingMs: number,
): CoordinatorResult<void> {
  if (shard.groups.get(group.groupId) !== group || !group.is(GroupState.PreparingRebalance))
    return shard.finish(undefined)
  if (group.newMemberAdded && remainingMs !== 0) {
    group.newMemberAdded = false
    const next = Math.min(shard.config.initialRebalanceDelayMs, remainingMs)
    const left = Math.max(remainingMs - delayMs, 0)
    shard.ctx.timer.schedule(joinKey(group.groupId), next, () =>
      initialRebalanceTimeout(shard, group, next, left),
    )
  } else {
    completeJoin(shard, group)
  }
  return shard.finish(undefined)
}

/**
 * Ends the join phase: dynamic members that did not rejoin are dropped, the generation moves on,
 * everyone gets its JoinGroup answer (the leader with the members' metadata), and SyncGroups are
 * expected within the rebalance timeout. An emptied group is persisted as such.
 */
export function completeJoin(shard: GroupShard, group: ClassicGroup): void {
  shard.ctx.timer.cancel(joinKey(group.groupId))
  const missing = group.notYetRejoinedMembers().filter((m) => !m.isStatic)
  for (const m of missing) {
    group.remove(m.memberId)
    shard.ctx.timer.cancel(heartbeatKey(group.groupId, m.memberId))
  }
  if (missing.length > 0)
    shard.log.info(
      `Group ${group.groupId} removed dynamic members who did not rejoin: ${missing.map((m) => m.memberId).join(', ')}`,
    )
  if (group.is(GroupState.Dead)) return
  if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
    // Only static members that did not rejoin are left: wait for their sessions to expire.
    shard.log.error(`Group ${group.groupId} could not complete rebalance because no members rejoined`)
    scheduleJoinCompletion(shard, group)
    return
  }
  group.initNextGeneration(shard.now())
  if (group.is(GroupState.Empty)) {
    shard.log.info(`Group ${group.groupId} with generation ${group.generationId} is now empty`)
    shard.emit(groupRecord(group, null))
    return
  }
  shard.log.info(
    `Stabilized group ${group.groupId} generation ${group.generationId} with ${group.size} members`,
  )
  for (const m of group.members.values()) {
    group.completeJoin(m, {
      errorCode: ErrorCode.NONE,
      memberId: m.memberId,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      skipAssignment: false,
      members: group.isLeader(m.memberId) ? group.currentMemberMetadata() : [],
    })
    rescheduleHeartbeat(shard, group, m)
    m.isNew = false
    group.pendingSyncMembers.add(m.memberId)
  }
  const generation = group.generationId
  shard.ctx.timer.schedule(syncKey(group.groupId), group.rebalanceTimeoutMs, () =>
    expirePendingSync(shard, group, generation),
  )
}

function expirePendingSync(
  shard: GroupShard,
  group: ClassicGroup,
  generation: number,
): CoordinatorResult<void> {
  if (shard.groups.get(group.groupId) !== group || generation !== group.generationId)
    return shard.finish(undefined)
  if (
    (group.is(GroupState.CompletingRebalance) || group.is(GroupState.Stable)) &&
    !group.hasReceivedSyncFromAllMembers
  ) {
    const late = [...group.pendingSyncMembers]
    for (const id of late) {
      group.remove(id)
      shard.ctx.timer.cancel(heartbeatKey(group.groupId, id))
    }
    prepareRebalance(shard, group, `removing ${late.join(', ')} on pending sync request expiration`)
  }
  return shard.finish(undefined)
}

function removeSyncExpiration(shard: GroupShard, group: ClassicGroup): void {
  group.pendingSyncMembers.clear()
  shard.ctx.timer.cancel(syncKey(group.groupId))
}

export function removePendingSyncMember(shard: GroupShard, group: ClassicGroup, memberId: string): void {
  group.pendingSyncMembers.delete(memberId)
  const waiting = group.is(GroupState.CompletingRebalance) || group.is(GroupState.Stable)
  if (!waiting || group.hasReceivedSyncFromAllMembers) shard.ctx.timer.cancel(syncKey(group.groupId))
}

export function resetAndPropagateAssignmentError(
  shard: GroupShard,
  group: ClassicGroup,
  errorCode: number,
): void {
  for (const m of group.members.values()) m.assignment = Buffer.alloc(0)
  propagateAssignment(shard, group, errorCode)
}

export function propagateAssignment(shard: GroupShard, group: ClassicGroup, errorCode: number): void {
  const ok = errorCode === ErrorCode.NONE
  for (const m of group.members.values()) {
    const answered = group.completeSync(m, {
      errorCode,
      protocolType: ok ? group.protocolType : null,
      protocolName: ok ? group.protocolName : null,
      assignment: m.assignment,
    })
    // A session that expired while parked in SyncGroup was ignored: start it again.
    if (answered) rescheduleHeartbeat(shard, group, m)
  }
}

// ----- heartbeats and member expiry -----

export function rescheduleHeartbeat(
  shard: GroupShard,
  group: ClassicGroup,
  member: ClassicMember,
  timeoutMs = member.sessionTimeoutMs,
): void {
  const memberId = member.memberId
  shard.ctx.timer.schedule(heartbeatKey(group.groupId, memberId), timeoutMs, () =>
    expireHeartbeat(shard, group, memberId),
  )
}

export function expireHeartbeat(
  shard: GroupShard,
  group: ClassicGroup,
  memberId: string,
): CoordinatorResult<void> {
  if (shard.groups.get(group.groupId) !== group || group.is(GroupState.Dead)) return shard.finish(undefined)
  if (group.pendingMembers.has(memberId)) {
    shard.log.info(`Pending member ${memberId} of group ${group.groupId} removed after session timeout`)
    group.remove(memberId)
    if (group.is(GroupState.PreparingRebalance) && group.hasAllMembersJoined) completeJoin(shard, group)
  } else if (group.has(memberId)) {
    const member = group.get(memberId)
    if (!member.hasSatisfiedHeartbeat) {
      shard.log.info(`Member ${memberId} of group ${group.groupId} has failed (session timeout); removing it`)
      removeMember(shard, group, member, `removing member ${memberId} on heartbeat expiration`)
    }
  }
  return shard.finish(undefined)
}

/** Removes a member (its parked JoinGroup answered UNKNOWN_MEMBER_ID) and rebalances. */
function removeMember(shard: GroupShard, group: ClassicGroup, member: ClassicMember, reason: string): void {
  group.completeJoin(member, joinError('', ErrorCode.UNKNOWN_MEMBER_ID))
  group.remove(member.memberId)
  if (group.is(GroupState.Stable) || group.is(GroupState.CompletingRebalance))
    maybePrepareRebalanceOrCompleteJoin(shard, group, reason)
  else if (group.is(GroupState.PreparingRebalance) && group.hasAllMembersJoined) completeJoin(shard, group)
}

/** Cancels every timer of a group that is going away. */
export function forgetGroup(shard: GroupShard, group: ClassicGroup): void {
  shard.ctx.timer.cancel(joinKey(group.groupId))
  shard.ctx.timer.cancel(syncKey(group.groupId))
  for (const id of [...group.members.keys(), ...group.pendingMembers])
    shard.ctx.timer.cancel(heartbeatKey(group.groupId, id))
}
