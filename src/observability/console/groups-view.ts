// Consumer groups as the console shows them: the groups this broker coordinates (ListGroups /
// DescribeGroups answers from the group coordinator), each member's assignment decoded from the
// consumer protocol, and lag per partition from the committed offsets (OffsetFetch's answer) and
// the high watermarks of the replicas here (consumer-lag.ts, as /metrics computes it).

import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import { consumerProtocolAssignmentCodec } from '../../protocol/generated/records/consumer-protocol-assignment.ts'
import { Reader } from '../../protocol/primitives/reader.ts'
import { type CommittedOffsets, consumerLag } from '../consumer-lag.ts'
import { ApiError } from './console-http.ts'
import type { ConsoleDeps, ConsoleServices } from './console-services.ts'

/** Every group with committed offsets, for lag (what the gauges and the time series read). */
export function* committedOffsets(s: ConsoleServices): Iterable<CommittedOffsets> {
  const gc = s.groupCoordinator
  for (const g of gc.listGroups([], []).groups) {
    const r = gc.fetchOffsets(g.groupId, null)
    if (r.errorCode === 0) yield { group: g.groupId, topics: r.topics }
  }
}

const endOffset = (d: ConsoleDeps) => (topic: string, index: number) =>
  d.services.replicaManager.partition(topic, index)?.highWatermark ?? null

/** A consumer-protocol assignment (2-byte version, then the body); null when it is not one. */
export function decodeAssignment(buf: Buffer): { topic: string; partitions: number[] }[] | null {
  if (buf.length < 2) return null
  const version = buf.readInt16BE(0)
  if (version < 0) return null
  const r = new Reader(buf, 2)
  const a = consumerProtocolAssignmentCodec.decode(
    r,
    Math.min(version, consumerProtocolAssignmentCodec.maxVersion),
  )
  if (r.error !== null) return null
  return a.assignedPartitions.map((t) => ({
    topic: t.topic,
    partitions: [...t.partitions].sort((x, y) => x - y),
  }))
}

export function groupList(d: ConsoleDeps) {
  const gc = d.services.groupCoordinator
  const listed = gc.listGroups([], [])
  const lag = consumerLag(committedOffsets(d.services), endOffset(d))
  const lagOf = new Map(lag.byGroup.map((g) => [g.group, g.lag]))
  const described = new Map(gc.describeGroups(listed.groups.map((g) => g.groupId)).map((g) => [g.groupId, g]))
  return listed.groups
    .map((g) => ({
      groupId: g.groupId,
      state: g.groupState,
      protocolType: g.protocolType,
      members: described.get(g.groupId)?.members.length ?? 0,
      lag: lagOf.get(g.groupId) ?? null,
    }))
    .sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0))
}

export function groupDetail(d: ConsoleDeps, groupId: string) {
  const gc = d.services.groupCoordinator
  const [g] = gc.describeGroups([groupId])
  if (g === undefined) throw new ApiError(500, `group ${groupId} was not described`)
  if (g.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
    throw new ApiError(503, `the group coordinator is loading ${groupId}'s partition; try again`, g.errorCode)
  if (g.errorCode !== ErrorCode.NONE)
    throw new ApiError(404, `group ${groupId} is not coordinated by this broker`, g.errorCode)
  const offsets = gc.fetchOffsets(groupId, null)
  if (g.groupState === 'Dead' && (offsets.errorCode !== 0 || offsets.topics.length === 0))
    throw new ApiError(404, `unknown group ${groupId}`, ErrorCode.GROUP_ID_NOT_FOUND)
  const committed: CommittedOffsets[] =
    offsets.errorCode === 0 ? [{ group: groupId, topics: offsets.topics }] : []
  const lag = consumerLag(committed, endOffset(d))
  const owner = new Map<string, string>()
  const members = g.members.map((m) => {
    const assignment = g.protocolType === 'consumer' ? decodeAssignment(m.memberAssignment) : null
    for (const a of assignment ?? [])
      for (const p of a.partitions) owner.set(`${a.topic}\u0000${p}`, m.memberId)
    return {
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      assignment,
    }
  })
  return {
    groupId,
    state: g.groupState,
    protocolType: g.protocolType,
    protocol: g.protocolData,
    members,
    totalLag: lag.byGroup[0]?.lag ?? 0n,
    partitions: lag.partitions.map((p) => ({
      topic: p.topic,
      partition: p.partition,
      committed: p.committed,
      end: p.end,
      lag: p.lag,
      member: owner.get(`${p.topic}\u0000${p.partition}`) ?? null,
    })),
  }
}
