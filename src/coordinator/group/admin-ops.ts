// Group administration on one shard: ListGroups, DescribeGroups and DeleteGroups, as Kafka answers
// them for classic groups.

import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import type { CoordinatorResult } from '../runtime/coordinator-runtime.ts'
import { GroupState } from './classic-group.ts'
import { CONSUMER_GROUP_TYPE, deleteEmptyConsumerGroup } from './consumer/consumer-admin.ts'
import type { GroupShard } from './group-shard.ts'
import { restoreGroups } from './offset-ops.ts'
import { groupTombstone, offsetTombstone } from './records.ts'

/** The group type classic groups report (ListGroups v5 types filter and answer). */
export const CLASSIC_GROUP_TYPE = 'classic'

export interface ListedGroup {
  readonly groupId: string
  readonly protocolType: string
  readonly groupState: string
  readonly groupType: string
}

/** Groups matching the filters (empty filter: any); states and types compare case-insensitively. */
export function listGroups(
  shard: GroupShard,
  statesFilter: readonly string[],
  typesFilter: readonly string[],
): ListedGroup[] {
  const states = new Set(statesFilter.map((s) => s.toLowerCase()))
  const types = new Set(typesFilter.map((s) => s.toLowerCase()))
  const out: ListedGroup[] = []
  if (types.size === 0 || types.has(CONSUMER_GROUP_TYPE))
    for (const g of shard.consumerGroups.values()) {
      const state = g.state()
      if (states.size > 0 && !states.has(state.toLowerCase())) continue
      out.push({
        groupId: g.groupId,
        protocolType: 'consumer',
        groupState: state,
        groupType: CONSUMER_GROUP_TYPE,
      })
    }
  if (types.size > 0 && !types.has(CLASSIC_GROUP_TYPE)) return out
  for (const g of shard.groups.values()) {
    if (g.is(GroupState.Dead)) continue
    if (states.size > 0 && !states.has(g.state.toLowerCase())) continue
    out.push({
      groupId: g.groupId,
      protocolType: g.protocolType ?? '',
      groupState: g.state,
      groupType: CLASSIC_GROUP_TYPE,
    })
  }
  return out
}

export interface DescribedMember {
  readonly memberId: string
  readonly groupInstanceId: string | null
  readonly clientId: string
  readonly clientHost: string
  readonly memberMetadata: Buffer
  readonly memberAssignment: Buffer
}

export interface DescribedGroup {
  readonly errorCode: number
  readonly groupId: string
  readonly groupState: string
  readonly protocolType: string
  readonly protocolData: string
  readonly members: readonly DescribedMember[]
  /** DescribeGroups v6+ (KIP-1043). */
  readonly errorMessage?: string | null
}

/**
 * A group as DescribeGroups shows it. Metadata and assignments only for a Stable group (during a
 * rebalance they are in flux); an unknown group is reported Dead with no error.
 */
export function describeGroup(shard: GroupShard, groupId: string): DescribedGroup {
  const g = shard.groups.get(groupId)
  if (shard.consumerGroups.has(groupId))
    return {
      errorCode: ErrorCode.GROUP_ID_NOT_FOUND,
      errorMessage: `Group ${groupId} is not a classic group.`,
      groupId,
      groupState: GroupState.Dead,
      protocolType: '',
      protocolData: '',
      members: [],
    }
  if (g === undefined)
    return {
      errorCode: ErrorCode.NONE,
      groupId,
      groupState: GroupState.Dead,
      protocolType: '',
      protocolData: '',
      members: [],
    }
  const stable = g.is(GroupState.Stable) && g.protocolName !== null
  const empty = Buffer.alloc(0)
  return {
    errorCode: ErrorCode.NONE,
    groupId,
    groupState: g.state,
    protocolType: g.protocolType ?? '',
    protocolData: stable ? (g.protocolName ?? '') : '',
    members: [...g.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      memberMetadata: stable ? m.metadataFor(g.protocolName!) : empty,
      memberAssignment: stable ? m.assignment : empty,
    })),
  }
}

/** DeleteGroups: empty groups go, with tombstones for their offsets and their metadata. */
export function deleteGroups(
  shard: GroupShard,
  groupIds: readonly string[],
): CoordinatorResult<{ groupId: string; errorCode: number }[]> {
  const deleted: string[] = []
  const results = groupIds.map((groupId) => {
    const cg = shard.consumerGroups.get(groupId)
    if (cg !== undefined) {
      const errorCode = deleteEmptyConsumerGroup(shard, cg)
      if (errorCode === ErrorCode.NONE) deleted.push(groupId)
      return { groupId, errorCode }
    }
    const g = shard.groups.get(groupId)
    if (g === undefined || g.is(GroupState.Dead)) return { groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND }
    if (!g.is(GroupState.Empty)) return { groupId, errorCode: ErrorCode.NON_EMPTY_GROUP }
    for (const o of shard.offsets.groupOffsets(groupId))
      shard.emit(offsetTombstone(groupId, o.topic, o.partition))
    shard.emit(groupTombstone(groupId))
    g.transitionTo(GroupState.Dead, shard.now())
    shard.groups.delete(groupId)
    shard.forgetGroup(g)
    deleted.push(groupId)
    return { groupId, errorCode: ErrorCode.NONE }
  })
  if (deleted.length > 0) shard.log.info(`Deleted groups ${deleted.join(', ')}`)
  shard.afterFailure(() => restoreGroups(shard, deleted))
  return shard.finish(results)
}
