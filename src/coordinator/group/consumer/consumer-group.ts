// The in-memory state of a KIP-848 consumer group (group.protocol=consumer), exactly what its
// __consumer_offsets records say (consumer-records.ts applies them): the group epoch, the
// subscribed topics as last recorded, the target assignment and its epoch, and per member its
// metadata and its current assignment (epochs, reconciliation state, partitions assigned and
// partitions it still has to revoke). Everything derived (the group state, who owns a partition,
// static ids) is computed from that, so a loaded group and a live one cannot disagree.

/** Partitions by topic id. */
export type Assignment = Map<string, Set<number>>

/** Kafka's MemberState byte values (ConsumerGroupCurrentMemberAssignmentValue.State). */
export const MemberState = {
  Stable: 0,
  UnrevokedPartitions: 1,
  UnreleasedPartitions: 2,
} as const

/** Kafka's ConsumerGroupState names, as ListGroups and ConsumerGroupDescribe show them. */
export const ConsumerGroupState = {
  Empty: 'Empty',
  Assigning: 'Assigning',
  Reconciling: 'Reconciling',
  Stable: 'Stable',
} as const
export type ConsumerGroupState = (typeof ConsumerGroupState)[keyof typeof ConsumerGroupState]

/** The member epoch of a static member that left and may come back within its session. */
export const STATIC_LEAVE_EPOCH = -2
export const LEAVE_EPOCH = -1

export interface ConsumerMember {
  readonly memberId: string
  instanceId: string | null
  rackId: string | null
  clientId: string
  clientHost: string
  subscribedTopicNames: readonly string[]
  subscribedTopicRegex: string | null
  rebalanceTimeoutMs: number
  serverAssignor: string | null
  memberEpoch: number
  previousMemberEpoch: number
  state: number
  assigned: Assignment
  pendingRevocation: Assignment
}

export interface SubscribedTopic {
  readonly topicId: string
  readonly numPartitions: number
}

export function newMember(memberId: string): ConsumerMember {
  return {
    memberId,
    instanceId: null,
    rackId: null,
    clientId: '',
    clientHost: '',
    subscribedTopicNames: [],
    subscribedTopicRegex: null,
    rebalanceTimeoutMs: -1,
    serverAssignor: null,
    memberEpoch: 0,
    previousMemberEpoch: 0,
    state: MemberState.Stable,
    assigned: new Map(),
    pendingRevocation: new Map(),
  }
}

export class ConsumerGroup {
  readonly groupId: string
  groupEpoch = 0
  assignmentEpoch = 0
  readonly members = new Map<string, ConsumerMember>()
  /** Target assignment per member id (ConsumerGroupTargetAssignmentMember records). */
  readonly target = new Map<string, Assignment>()
  /** Subscribed topics by name (ConsumerGroupPartitionMetadata). */
  subscribedTopics = new Map<string, SubscribedTopic>()

  constructor(groupId: string) {
    this.groupId = groupId
  }

  get size(): number {
    return this.members.size
  }

  state(): ConsumerGroupState {
    if (this.members.size === 0) return ConsumerGroupState.Empty
    if (this.groupEpoch > this.assignmentEpoch) return ConsumerGroupState.Assigning
    for (const m of this.members.values())
      if (m.state !== MemberState.Stable || m.memberEpoch !== this.assignmentEpoch)
        if (m.memberEpoch !== STATIC_LEAVE_EPOCH) return ConsumerGroupState.Reconciling
    return ConsumerGroupState.Stable
  }

  memberByInstanceId(instanceId: string): ConsumerMember | undefined {
    for (const m of this.members.values()) if (m.instanceId === instanceId) return m
    return undefined
  }

  /** The member holding a partition (assigned or not yet revoked), other than `except`. */
  ownerOf(topicId: string, partition: number, except: string): string | undefined {
    for (const m of this.members.values()) {
      if (m.memberId === except) continue
      if (m.assigned.get(topicId)?.has(partition) || m.pendingRevocation.get(topicId)?.has(partition))
        return m.memberId
    }
    return undefined
  }

  /** Whether any member subscribes to this topic name (OffsetDelete's GROUP_SUBSCRIBED_TO_TOPIC). */
  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics.has(topic)
  }
}

// ----- assignments as values -----

export function cloneAssignment(a: Assignment): Assignment {
  const out: Assignment = new Map()
  for (const [t, ps] of a) if (ps.size > 0) out.set(t, new Set(ps))
  return out
}

export function assignmentEquals(a: Assignment, b: Assignment): boolean {
  const ka = [...a].filter(([, p]) => p.size > 0)
  const kb = [...b].filter(([, p]) => p.size > 0)
  if (ka.length !== kb.length) return false
  for (const [t, ps] of ka) {
    const other = b.get(t)
    if (other === undefined || other.size !== ps.size) return false
    for (const p of ps) if (!other.has(p)) return false
  }
  return true
}

export function assignmentSize(a: Assignment): number {
  let n = 0
  for (const ps of a.values()) n += ps.size
  return n
}

export function addPartition(a: Assignment, topicId: string, partition: number): void {
  let ps = a.get(topicId)
  if (ps === undefined) {
    ps = new Set()
    a.set(topicId, ps)
  }
  ps.add(partition)
}

/** Whether `a` and `b` share a partition. */
export function intersects(a: Assignment, b: Assignment): boolean {
  for (const [t, ps] of a) {
    const other = b.get(t)
    if (other !== undefined) for (const p of ps) if (other.has(p)) return true
  }
  return false
}

/** Whether every partition of `a` is in `b`. */
export function isSubset(a: Assignment, b: Assignment): boolean {
  for (const [t, ps] of a) {
    const other = b.get(t)
    for (const p of ps) if (other === undefined || !other.has(p)) return false
  }
  return true
}

/** The wire/record shape: topic id with sorted partitions, topics in id order. */
export function toTopicPartitions(a: Assignment): { topicId: string; partitions: number[] }[] {
  return [...a]
    .filter(([, ps]) => ps.size > 0)
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    .map(([topicId, ps]) => ({ topicId, partitions: [...ps].sort((x, y) => x - y) }))
}

export function fromTopicPartitions(
  list: readonly { readonly topicId: string; readonly partitions: readonly number[] }[],
): Assignment {
  const out: Assignment = new Map()
  for (const tp of list) for (const p of tp.partitions) addPartition(out, tp.topicId, p)
  return out
}
