// The shared steps of consumer group membership: writing a record (emit + apply at once), the
// group's subscribed topics, the target assignment, reconciling one member towards its target
// (revoke before assign), removing (fencing) a member, and the session/rebalance timers.
// Who calls: consumer-heartbeat.ts (the heartbeat), the timers here, and the admin operations.

import type { CoordinatorRecord } from '../../runtime/coordinator-log.ts'
import type { CoordinatorResult } from '../../runtime/coordinator-runtime.ts'
import type { GroupShard } from '../group-shard.ts'
import { ASSIGNORS } from './consumer-assignors.ts'
import {
  type Assignment,
  addPartition,
  assignmentEquals,
  type ConsumerGroup,
  type ConsumerMember,
  MemberState,
  type SubscribedTopic,
} from './consumer-group.ts'
import {
  applyConsumerRecord,
  currentAssignmentRecord,
  groupEpochRecord,
  memberMetadataRecord,
  partitionMetadataRecord,
  targetMemberRecord,
  targetMetadataRecord,
} from './consumer-records.ts'
import { compileTopicRegex } from './consumer-regex.ts'

/** The topics a consumer group can subscribe to (from the metadata image). */
export interface TopicsView {
  byName(name: string): SubscribedTopic | undefined
  /** Names of the topics a regex may match (internal topics left out). */
  names(): Iterable<string>
}

export const EMPTY_TOPICS: TopicsView = { byName: () => undefined, names: () => [] }

const sessionKey = (g: string, m: string) => `cg-session\u0000${g}\u0000${m}`
const rebalanceKey = (g: string, m: string) => `cg-rebalance\u0000${g}\u0000${m}`

/** Emits a record and applies it to memory now (live replay then skips consumer records). */
export function write(shard: GroupShard, record: CoordinatorRecord): void {
  shard.emit(record)
  shard.afterFailure(shard.onConsumerWriteFailed)
  applyConsumerRecord(shard.consumerGroups, record.key, record.value)
}

/** The topic names one member subscribes to: its names plus its regex's matches, existing only. */
export function memberTopics(m: ConsumerMember, topics: TopicsView): Map<string, SubscribedTopic> {
  const out = new Map<string, SubscribedTopic>()
  for (const name of m.subscribedTopicNames) {
    const t = topics.byName(name)
    if (t !== undefined) out.set(name, t)
  }
  if (m.subscribedTopicRegex !== null && m.subscribedTopicRegex !== '') {
    const c = compileTopicRegex(m.subscribedTopicRegex)
    if (c.ok)
      for (const name of topics.names()) {
        if (out.has(name) || !c.regex.test(name)) continue
        const t = topics.byName(name)
        if (t !== undefined) out.set(name, t)
      }
  }
  return out
}

export function groupTopics(group: ConsumerGroup, topics: TopicsView): Map<string, SubscribedTopic> {
  const out = new Map<string, SubscribedTopic>()
  for (const m of group.members.values()) for (const [n, t] of memberTopics(m, topics)) out.set(n, t)
  return out
}

export function sameTopics(
  a: ReadonlyMap<string, SubscribedTopic>,
  b: ReadonlyMap<string, SubscribedTopic>,
): boolean {
  if (a.size !== b.size) return false
  for (const [n, t] of a) {
    const o = b.get(n)
    if (o === undefined || o.topicId !== t.topicId || o.numPartitions !== t.numPartitions) return false
  }
  return true
}

/** Records the group's new subscribed topics (if they changed) and bumps the group epoch. */
export function bumpGroupEpoch(shard: GroupShard, group: ConsumerGroup, topics: TopicsView): void {
  const subs = groupTopics(group, topics)
  if (!sameTopics(subs, group.subscribedTopics)) write(shard, partitionMetadataRecord(group.groupId, subs))
  write(shard, groupEpochRecord(group.groupId, group.groupEpoch + 1))
}

/** The assignor the members ask for most (ties: config order), else the first configured. */
export function preferredAssignor(group: ConsumerGroup, configured: readonly string[]): string {
  const counts = new Map<string, number>()
  for (const m of group.members.values())
    if (m.serverAssignor !== null) counts.set(m.serverAssignor, (counts.get(m.serverAssignor) ?? 0) + 1)
  let best = configured[0] ?? 'uniform'
  let bestCount = 0
  for (const name of configured) {
    const c = counts.get(name) ?? 0
    if (c > bestCount) {
      best = name
      bestCount = c
    }
  }
  return best
}

/** When the group epoch moved past the assignment epoch: a new target, recorded. */
export function maybeComputeTarget(shard: GroupShard, group: ConsumerGroup): void {
  if (group.groupEpoch <= group.assignmentEpoch) return
  // Members resolve against the recorded subscribed topics, so the target follows the records.
  const recorded: TopicsView = {
    byName: (n) => group.subscribedTopics.get(n),
    names: () => group.subscribedTopics.keys(),
  }
  const assign =
    ASSIGNORS.get(preferredAssignor(group, shard.config.consumer.assignors)) ?? ASSIGNORS.get('uniform')!
  const partitions = new Map<string, number>()
  for (const t of group.subscribedTopics.values()) partitions.set(t.topicId, t.numPartitions)
  const members = [...group.members.values()].map((m) => ({
    memberId: m.memberId,
    topics: new Set([...memberTopics(m, recorded).values()].map((t) => t.topicId)),
  }))
  const next = assign({ members, topics: partitions, previous: group.target })
  for (const m of members) {
    const a = next.get(m.memberId) ?? new Map()
    const old = group.target.get(m.memberId)
    if (old === undefined || !assignmentEquals(old, a))
      write(shard, targetMemberRecord(group.groupId, m.memberId, a))
  }
  write(shard, targetMetadataRecord(group.groupId, group.groupEpoch))
}

type CurrentAssignment = Pick<
  ConsumerMember,
  'memberEpoch' | 'previousMemberEpoch' | 'state' | 'assigned' | 'pendingRevocation'
>

/**
 * The member's next current assignment (Kafka's CurrentAssignmentBuilder rules): partitions leaving
 * it must be revoked first (it stays at its epoch, UNREVOKED_PARTITIONS); only then does it move to
 * the target epoch and get the new partitions that no other member still holds (those wait:
 * UNRELEASED_PARTITIONS). `owned` is what the member says it holds (null: not sent).
 */
export function reconcile(
  group: ConsumerGroup,
  m: ConsumerMember,
  owned: Assignment | null,
): CurrentAssignment {
  const same: CurrentAssignment = m
  if (m.state === MemberState.Stable && m.memberEpoch === group.assignmentEpoch) return same
  if (m.state === MemberState.UnrevokedPartitions) {
    if (owned === null) return same
    for (const [t, ps] of m.pendingRevocation) for (const p of ps) if (owned.get(t)?.has(p)) return same
  }
  const target = group.target.get(m.memberId) ?? new Map<string, Set<number>>()
  const kept: Assignment = new Map()
  const revoke: Assignment = new Map()
  for (const [t, ps] of m.assigned)
    for (const p of ps) addPartition(target.get(t)?.has(p) ? kept : revoke, t, p)
  if (revoke.size > 0)
    return {
      memberEpoch: m.memberEpoch,
      previousMemberEpoch: m.previousMemberEpoch,
      state: MemberState.UnrevokedPartitions,
      assigned: kept,
      pendingRevocation: revoke,
    }
  let unreleased = false
  const assigned: Assignment = new Map()
  for (const [t, ps] of kept) for (const p of ps) addPartition(assigned, t, p)
  for (const [t, ps] of target)
    for (const p of ps) {
      if (kept.get(t)?.has(p)) continue
      if (group.ownerOf(t, p, m.memberId) === undefined) addPartition(assigned, t, p)
      else unreleased = true
    }
  return {
    memberEpoch: group.assignmentEpoch,
    previousMemberEpoch: m.memberEpoch === group.assignmentEpoch ? m.previousMemberEpoch : m.memberEpoch,
    state: unreleased ? MemberState.UnreleasedPartitions : MemberState.Stable,
    assigned,
    pendingRevocation: new Map(),
  }
}

export function sameCurrent(a: CurrentAssignment, b: CurrentAssignment): boolean {
  return (
    a.memberEpoch === b.memberEpoch &&
    a.previousMemberEpoch === b.previousMemberEpoch &&
    a.state === b.state &&
    assignmentEquals(a.assigned, b.assigned) &&
    assignmentEquals(a.pendingRevocation, b.pendingRevocation)
  )
}

/** Reconciles a member and records the change; starts or stops its rebalance timer. */
export function reconcileMember(
  shard: GroupShard,
  group: ConsumerGroup,
  m: ConsumerMember,
  owned: Assignment | null,
): void {
  const wasUnrevoked = m.state === MemberState.UnrevokedPartitions
  const next = reconcile(group, m, owned)
  if (!sameCurrent(next, m)) write(shard, currentAssignmentRecord(group.groupId, m.memberId, next))
  if (next.state !== MemberState.UnrevokedPartitions)
    shard.ctx.timer.cancel(rebalanceKey(group.groupId, m.memberId))
  else if (!wasUnrevoked) scheduleRebalance(shard, group.groupId, m)
}

/** A member asked to revoke partitions must do so within its rebalance timeout, or it is removed. */
export function scheduleRebalance(shard: GroupShard, groupId: string, m: ConsumerMember): void {
  if (m.rebalanceTimeoutMs <= 0) return
  const epoch = m.memberEpoch
  shard.ctx.timer.schedule(rebalanceKey(groupId, m.memberId), m.rebalanceTimeoutMs, () =>
    expire(
      shard,
      groupId,
      m.memberId,
      (cur) => cur.state === MemberState.UnrevokedPartitions && cur.memberEpoch === epoch,
      'did not revoke its partitions within the rebalance timeout',
    ),
  )
}

/** Removes a member: its records become tombstones and the group epoch moves on. */
export function fenceMember(
  shard: GroupShard,
  group: ConsumerGroup,
  m: ConsumerMember,
  reason: string,
): void {
  const { groupId } = group
  write(shard, currentAssignmentRecord(groupId, m.memberId, null))
  write(shard, targetMemberRecord(groupId, m.memberId, null))
  write(shard, memberMetadataRecord(groupId, m.memberId, null))
  shard.ctx.timer.cancel(sessionKey(groupId, m.memberId))
  shard.ctx.timer.cancel(rebalanceKey(groupId, m.memberId))
  bumpGroupEpoch(shard, group, shard.topicsView())
  maybeComputeTarget(shard, group)
  shard.log.info(`Member ${m.memberId} left consumer group ${groupId} (epoch ${group.groupEpoch}): ${reason}`)
}

function expire(
  shard: GroupShard,
  groupId: string,
  memberId: string,
  still: (m: ConsumerMember) => boolean,
  reason: string,
): CoordinatorResult<void> {
  const group = shard.consumerGroups.get(groupId)
  const m = group?.members.get(memberId)
  if (group !== undefined && m !== undefined && still(m)) fenceMember(shard, group, m, reason)
  return shard.finish(undefined)
}

/** (Re)starts a member's session: it is removed if no heartbeat comes within the timeout. */
export function scheduleSession(shard: GroupShard, groupId: string, memberId: string): void {
  shard.ctx.timer.schedule(sessionKey(groupId, memberId), shard.config.consumer.sessionTimeoutMs, () =>
    expire(shard, groupId, memberId, () => true, 'session timed out'),
  )
}

export function cancelTimers(shard: GroupShard, groupId: string, memberId: string): void {
  shard.ctx.timer.cancel(sessionKey(groupId, memberId))
  shard.ctx.timer.cancel(rebalanceKey(groupId, memberId))
}

/** Tombstones for a whole (empty) group: DeleteGroups and a change to the classic protocol. */
export function deleteConsumerGroup(shard: GroupShard, group: ConsumerGroup): void {
  const { groupId } = group
  for (const m of [...group.members.values()]) {
    write(shard, currentAssignmentRecord(groupId, m.memberId, null))
    write(shard, targetMemberRecord(groupId, m.memberId, null))
    write(shard, memberMetadataRecord(groupId, m.memberId, null))
    cancelTimers(shard, groupId, m.memberId)
  }
  write(shard, targetMetadataRecord(groupId, null))
  write(shard, partitionMetadataRecord(groupId, null))
  write(shard, groupEpochRecord(groupId, null))
}
