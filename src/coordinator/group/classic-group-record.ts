// The classic group's metadata record: what group-shard.ts writes for a group (members,
// generation, assignments) and the group a replayed record describes.

import type { GroupMetadataValue } from '../../protocol/generated/records/group-metadata-value.ts'
import type { CoordinatorRecord } from '../runtime/coordinator-log.ts'
import { ClassicGroup, ClassicMember, GroupState } from './classic-group.ts'
import { groupMetadataRecord } from './records.ts'

/** The group metadata record of the group's current generation (assignments given or current). */
export function groupRecord(
  group: ClassicGroup,
  assignment: ReadonlyMap<string, Buffer> | null,
): CoordinatorRecord {
  const protocol = group.protocolName
  const value: GroupMetadataValue = {
    protocolType: group.protocolType ?? '',
    generation: group.generationId,
    protocol,
    leader: group.leaderId,
    currentStateTimestamp: group.stateTimestamp === null ? -1n : BigInt(group.stateTimestamp),
    members: [...group.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rebalanceTimeout: m.rebalanceTimeoutMs,
      sessionTimeout: m.sessionTimeoutMs,
      subscription: protocol === null ? Buffer.alloc(0) : m.metadataFor(protocol),
      assignment: assignment === null ? m.assignment : (assignment.get(m.memberId) ?? Buffer.alloc(0)),
    })),
  }
  return groupMetadataRecord(group.groupId, value)
}

/** A group as its latest metadata record describes it: Stable with its members, or Empty. */
export function groupFromRecord(groupId: string, v: GroupMetadataValue): ClassicGroup {
  const stamp = v.currentStateTimestamp < 0n ? null : Number(v.currentStateTimestamp)
  const group = new ClassicGroup(groupId, v.members.length > 0 ? GroupState.Stable : GroupState.Empty, stamp)
  group.generationId = v.generation
  group.protocolType = v.protocolType === '' ? null : v.protocolType
  group.protocolName = v.protocol
  for (const m of v.members) {
    const member = new ClassicMember({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rebalanceTimeoutMs: m.rebalanceTimeout === -1 ? m.sessionTimeout : m.rebalanceTimeout,
      sessionTimeoutMs: m.sessionTimeout,
      protocolType: v.protocolType,
      protocols: [{ name: v.protocol ?? '', metadata: m.subscription }],
    })
    member.assignment = m.assignment
    group.add(member, null)
  }
  group.leaderId = v.leader
  group.subscribedTopics = group.computeSubscribedTopics()
  return group
}
