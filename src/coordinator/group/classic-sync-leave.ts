// SyncGroup, Heartbeat and LeaveGroup of the classic group protocol, for group-shard.ts, with
// Kafka's rules: the leader's assignment is written as the group record and handed to every
// member once committed; heartbeats keep sessions alive and tell members of a rebalance; leaving
// members (or ones removed by group.instance.id) trigger a rebalance.

import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import type { CoordinatorResult } from '../runtime/coordinator-runtime.ts'
import { type ClassicGroup, GroupState, joinError, type SyncResult, syncError } from './classic-group.ts'
import { groupRecord } from './classic-group-record.ts'
import { deferred } from './classic-join.ts'
import {
  heartbeatKey,
  maybeCompleteJoinPhase,
  maybePrepareRebalanceOrCompleteJoin,
  propagateAssignment,
  removePendingSyncMember,
  rescheduleHeartbeat,
  resetAndPropagateAssignmentError,
} from './classic-rebalance.ts'
import type { GroupShard } from './group-shard.ts'

export interface SyncParams {
  readonly groupId: string
  readonly generationId: number
  readonly memberId: string
  readonly groupInstanceId: string | null
  /** v5+; null when not sent. */
  readonly protocolType: string | null
  readonly protocolName: string | null
  readonly assignments: readonly { readonly memberId: string; readonly assignment: Buffer }[]
}

export interface LeavingMember {
  readonly memberId: string
  readonly groupInstanceId: string | null
  readonly reason: string | null
}

export interface LeaveResult {
  readonly errorCode: number
  readonly members: readonly { memberId: string; groupInstanceId: string | null; errorCode: number }[]
}

export function syncGroup(shard: GroupShard, p: SyncParams): CoordinatorResult<SyncResult> {
  const answer = deferred<SyncResult>()
  const reply = (r: SyncResult) => {
    answer.resolve(r)
    return shard.finish(answer.promise)
  }
  const group = shard.groups.get(p.groupId)
  if (group === undefined) return reply(syncError(ErrorCode.UNKNOWN_MEMBER_ID))
  const invalid = validateSync(group, p)
  if (invalid !== ErrorCode.NONE) return reply(syncError(invalid))
  switch (group.state) {
    case GroupState.Empty:
      return reply(syncError(ErrorCode.UNKNOWN_MEMBER_ID))
    case GroupState.PreparingRebalance:
      return reply(syncError(ErrorCode.REBALANCE_IN_PROGRESS))
    case GroupState.Stable: {
      removePendingSyncMember(shard, group, p.memberId)
      const m = group.get(p.memberId)
      rescheduleHeartbeat(shard, group, m)
      return reply({
        errorCode: ErrorCode.NONE,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        assignment: m.assignment,
      })
    }
    default:
      break
  }
  // CompletingRebalance: park the answer; the leader's assignment completes everyone's.
  group.get(p.memberId).syncWaiter = answer.resolve
  removePendingSyncMember(shard, group, p.memberId)
  if (group.isLeader(p.memberId)) storeAssignment(shard, group, p)
  return shard.finish(answer.promise)
}

function validateSync(group: ClassicGroup, p: SyncParams): number {
  if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE
  const invalid = group.validateMember(p.memberId, p.groupInstanceId)
  if (invalid !== ErrorCode.NONE) return invalid
  if (p.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION
  const inconsistent = (asked: string | null, actual: string | null) =>
    asked !== null && actual !== null && asked !== actual
  if (inconsistent(p.protocolType, group.protocolType) || inconsistent(p.protocolName, group.protocolName))
    return ErrorCode.INCONSISTENT_GROUP_PROTOCOL
  return ErrorCode.NONE
}

function storeAssignment(shard: GroupShard, group: ClassicGroup, p: SyncParams): void {
  shard.log.info(
    `Assignment received from leader ${p.memberId} for group ${group.groupId} generation ${group.generationId} (${group.size} members)`,
  )
  const assignment = new Map<string, Buffer>()
  for (const a of p.assignments) assignment.set(a.memberId, a.assignment)
  for (const id of group.members.keys()) if (!assignment.has(id)) assignment.set(id, Buffer.alloc(0))
  shard.emit(groupRecord(group, assignment))
  const generation = group.generationId
  const current = () =>
    shard.groups.get(group.groupId) === group &&
    group.is(GroupState.CompletingRebalance) &&
    group.generationId === generation
  shard.afterCommit(() => {
    if (!current()) return
    for (const m of group.members.values()) m.assignment = assignment.get(m.memberId) ?? Buffer.alloc(0)
    propagateAssignment(shard, group, ErrorCode.NONE)
    group.transitionTo(GroupState.Stable, shard.now())
  })
  shard.afterFailure((code) => {
    if (!current()) return
    resetAndPropagateAssignmentError(shard, group, code)
    maybePrepareRebalanceOrCompleteJoin(shard, group, `error ${code} storing the assignment of ${p.memberId}`)
  })
}

// ----- Heartbeat -----

export function heartbeat(
  shard: GroupShard,
  groupId: string,
  memberId: string,
  groupInstanceId: string | null,
  generationId: number,
): number {
  const group = shard.groups.get(groupId)
  if (group === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
  if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE
  const invalid = group.validateMember(memberId, groupInstanceId)
  if (invalid !== ErrorCode.NONE) return invalid
  if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION
  switch (group.state) {
    case GroupState.Empty:
      return ErrorCode.UNKNOWN_MEMBER_ID
    case GroupState.PreparingRebalance:
      rescheduleHeartbeat(shard, group, group.get(memberId))
      return ErrorCode.REBALANCE_IN_PROGRESS
    default:
      // CompletingRebalance too: consumers heartbeat as soon as they have their JoinGroup answer.
      rescheduleHeartbeat(shard, group, group.get(memberId))
      return ErrorCode.NONE
  }
}

// ----- LeaveGroup -----

export function leaveGroup(
  shard: GroupShard,
  groupId: string,
  leaving: readonly LeavingMember[],
): CoordinatorResult<LeaveResult> {
  const group = shard.groups.get(groupId)
  const each = (m: LeavingMember, errorCode: number) => ({
    memberId: m.memberId,
    groupInstanceId: m.groupInstanceId,
    errorCode,
  })
  if (group === undefined)
    return shard.finish({
      errorCode: ErrorCode.NONE,
      members: leaving.map((m) => each(m, ErrorCode.UNKNOWN_MEMBER_ID)),
    })
  if (group.is(GroupState.Dead))
    return shard.finish({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] })
  const results = leaving.map((m) => {
    const reason = m.reason ?? 'not provided'
    if (m.memberId === '') {
      // Administrative removal by group.instance.id.
      const id = group.staticMemberId(m.groupInstanceId)
      if (id === undefined) return each(m, ErrorCode.UNKNOWN_MEMBER_ID)
      removeLeavingMember(shard, group, id, reason)
      return each(m, ErrorCode.NONE)
    }
    if (group.pendingMembers.has(m.memberId)) {
      group.remove(m.memberId)
      shard.ctx.timer.cancel(heartbeatKey(groupId, m.memberId))
      shard.log.info(`Pending member ${m.memberId} left group ${groupId}; client reason: ${reason}`)
      return each(m, ErrorCode.NONE)
    }
    const invalid = group.validateMember(m.memberId, m.groupInstanceId)
    if (invalid !== ErrorCode.NONE) return each(m, invalid)
    removeLeavingMember(shard, group, m.memberId, reason)
    return each(m, ErrorCode.NONE)
  })
  const left = results.filter((r) => r.errorCode === ErrorCode.NONE).map((r) => r.memberId)
  if (left.length > 0) {
    const reason = `explicit LeaveGroup request for (${left.join(', ')}) members`
    if (group.is(GroupState.Stable) || group.is(GroupState.CompletingRebalance))
      maybePrepareRebalanceOrCompleteJoin(shard, group, reason)
    else if (group.is(GroupState.PreparingRebalance)) maybeCompleteJoinPhase(shard, group)
  }
  return shard.finish({ errorCode: ErrorCode.NONE, members: results })
}

function removeLeavingMember(shard: GroupShard, group: ClassicGroup, memberId: string, reason: string): void {
  const member = group.get(memberId)
  shard.ctx.timer.cancel(heartbeatKey(group.groupId, memberId))
  shard.log.info(`Member ${memberId} left group ${group.groupId}; client reason: ${reason}`)
  group.completeJoin(member, joinError('', ErrorCode.UNKNOWN_MEMBER_ID))
  group.remove(memberId)
}
