// A classic (JoinGroup/SyncGroup) group and its members: the bookkeeping Kafka's ClassicGroup
// keeps. The rules that move it from state to state live in group-shard.ts; this file only keeps
// the counts and maps consistent (supported protocols, members awaiting a JoinGroup answer,
// static member ids, pending members) and checks that each state transition is one Kafka allows:
//
//   Empty               -> PreparingRebalance (a member joins), Dead (deleted/expired)
//   PreparingRebalance  -> CompletingRebalance (join phase done), Empty (nobody rejoined), Dead
//   CompletingRebalance -> Stable (leader's assignment stored), PreparingRebalance, Dead
//   Stable              -> PreparingRebalance, Dead

import { randomUUID } from 'node:crypto'
import { EMPTY } from '../../protocol/codec.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import { subscribedTopics } from './records.ts'

export const GroupState = {
  Empty: 'Empty',
  PreparingRebalance: 'PreparingRebalance',
  CompletingRebalance: 'CompletingRebalance',
  Stable: 'Stable',
  Dead: 'Dead',
} as const
export type GroupState = (typeof GroupState)[keyof typeof GroupState]

const VALID_PREVIOUS: Record<GroupState, readonly GroupState[]> = {
  Empty: [GroupState.PreparingRebalance],
  PreparingRebalance: [GroupState.Stable, GroupState.CompletingRebalance, GroupState.Empty],
  CompletingRebalance: [GroupState.PreparingRebalance],
  Stable: [GroupState.CompletingRebalance],
  Dead: [
    GroupState.Stable,
    GroupState.PreparingRebalance,
    GroupState.CompletingRebalance,
    GroupState.Empty,
    GroupState.Dead,
  ],
}

/** The protocol type of Kafka consumers (their metadata is a ConsumerProtocolSubscription). */
export const CONSUMER_PROTOCOL_TYPE = 'consumer'

export interface Protocol {
  readonly name: string
  readonly metadata: Buffer
}

export interface JoinMember {
  readonly memberId: string
  readonly groupInstanceId: string | null
  readonly metadata: Buffer
}

/** A JoinGroup answer, version-independent. */
export interface JoinResult {
  readonly errorCode: number
  readonly memberId: string
  readonly generationId: number
  readonly protocolType: string | null
  readonly protocolName: string | null
  readonly leader: string
  readonly skipAssignment: boolean
  readonly members: readonly JoinMember[]
}

/** A SyncGroup answer, version-independent. */
export interface SyncResult {
  readonly errorCode: number
  readonly protocolType: string | null
  readonly protocolName: string | null
  readonly assignment: Buffer
}

export function joinError(memberId: string, errorCode: number): JoinResult {
  return {
    errorCode,
    memberId,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: '',
    skipAssignment: false,
    members: [],
  }
}

export function syncError(errorCode: number): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY }
}

export class ClassicMember {
  memberId: string
  readonly groupInstanceId: string | null
  readonly clientId: string
  readonly clientHost: string
  rebalanceTimeoutMs: number
  sessionTimeoutMs: number
  readonly protocolType: string
  protocols: readonly Protocol[]
  assignment: Buffer = EMPTY
  /** Completes the member's parked JoinGroup; null when none is parked. */
  joinWaiter: ((r: JoinResult) => void) | null = null
  /** Completes the member's parked SyncGroup; null when none is parked. */
  syncWaiter: ((r: SyncResult) => void) | null = null
  /** Joined but not yet through a completed join phase: may expire while awaiting join. */
  isNew = false

  constructor(m: {
    memberId: string
    groupInstanceId: string | null
    clientId: string
    clientHost: string
    rebalanceTimeoutMs: number
    sessionTimeoutMs: number
    protocolType: string
    protocols: readonly Protocol[]
  }) {
    this.memberId = m.memberId
    this.groupInstanceId = m.groupInstanceId
    this.clientId = m.clientId
    this.clientHost = m.clientHost
    this.rebalanceTimeoutMs = m.rebalanceTimeoutMs
    this.sessionTimeoutMs = m.sessionTimeoutMs
    this.protocolType = m.protocolType
    this.protocols = m.protocols
  }

  get isAwaitingJoin(): boolean {
    return this.joinWaiter !== null
  }
  get isAwaitingSync(): boolean {
    return this.syncWaiter !== null
  }
  get isStatic(): boolean {
    return this.groupInstanceId !== null
  }

  /** When its session timer fires: a member parked in a rebalance is still alive (unless new). */
  get hasSatisfiedHeartbeat(): boolean {
    if (this.isNew) return false
    return this.isAwaitingJoin || this.isAwaitingSync
  }

  metadataFor(protocol: string): Buffer {
    const p = this.protocols.find((x) => x.name === protocol)
    if (p === undefined) throw new Error(`member ${this.memberId} does not support protocol ${protocol}`)
    return p.metadata
  }

  /** Same protocols, in the same order, with the same metadata bytes. */
  matches(protocols: readonly Protocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false
    return protocols.every(
      (p, i) => p.name === this.protocols[i].name && p.metadata.equals(this.protocols[i].metadata),
    )
  }

  /** The member's most preferred protocol among the candidates. */
  vote(candidates: ReadonlySet<string>): string {
    const p = this.protocols.find((x) => candidates.has(x.name))
    if (p === undefined) throw new Error(`member ${this.memberId} supports none of the candidate protocols`)
    return p.name
  }
}

export class ClassicGroup {
  readonly groupId: string
  state: GroupState
  previousState: GroupState
  /** When the state last changed (ms), or null when unknown (loaded from an old record). */
  stateTimestamp: number | null
  generationId = 0
  /** null: a group only used to store offsets ("simple" consumers). */
  protocolType: string | null = null
  protocolName: string | null = null
  leaderId: string | null = null
  /** In join order (Kafka picks the next leader among the remaining members in this order). */
  readonly members = new Map<string, ClassicMember>()
  /** group.instance.id -> member id. */
  readonly staticMembers = new Map<string, string>()
  /** Member ids handed out with MEMBER_ID_REQUIRED, not yet joined. */
  readonly pendingMembers = new Set<string>()
  /** Members that have not sent SyncGroup in this generation. */
  readonly pendingSyncMembers = new Set<string>()
  /** The initial rebalance was extended by a new member; checked when its delay expires. */
  newMemberAdded = false
  /** Topics the consumers subscribe to (null: unknown, or not a consumer group). */
  subscribedTopics: ReadonlySet<string> | null = null
  private awaitingJoin = 0
  private readonly supportedProtocols = new Map<string, number>()

  constructor(groupId: string, state: GroupState, now: number | null) {
    this.groupId = groupId
    this.state = state
    this.previousState = state
    this.stateTimestamp = now
  }

  is(state: GroupState): boolean {
    return this.state === state
  }

  transitionTo(state: GroupState, now: number): void {
    if (!VALID_PREVIOUS[state].includes(this.state)) {
      throw new Error(`group ${this.groupId} cannot go from ${this.state} to ${state}`)
    }
    this.previousState = this.state
    this.state = state
    this.stateTimestamp = now
  }

  get size(): number {
    return this.members.size
  }
  get numAwaitingJoin(): number {
    return this.awaitingJoin
  }
  /** The largest rebalance timeout of the members (0 without members). */
  get rebalanceTimeoutMs(): number {
    let max = 0
    for (const m of this.members.values()) if (m.rebalanceTimeoutMs > max) max = m.rebalanceTimeoutMs
    return max
  }
  get canRebalance(): boolean {
    return VALID_PREVIOUS.PreparingRebalance.includes(this.state)
  }
  get hasAllMembersJoined(): boolean {
    return this.members.size === this.awaitingJoin && this.pendingMembers.size === 0
  }
  get hasReceivedSyncFromAllMembers(): boolean {
    return this.pendingSyncMembers.size === 0
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId
  }
  has(memberId: string): boolean {
    return this.members.has(memberId)
  }
  get(memberId: string): ClassicMember {
    const m = this.members.get(memberId)
    if (m === undefined) throw new Error(`member ${memberId} is not in group ${this.groupId}`)
    return m
  }

  /** A fresh member id: `<group.instance.id or client.id>-<uuid>`, as Kafka makes them. */
  generateMemberId(clientId: string, groupInstanceId: string | null): string {
    return `${groupInstanceId ?? clientId}-${randomUUID()}`
  }

  /**
   * Whether a member with these protocols may join: the first member sets the protocol type; later
   * ones must share it and support a protocol every current member supports.
   */
  supportsProtocols(protocolType: string, protocols: readonly Protocol[]): boolean {
    if (this.is(GroupState.Empty)) return protocolType.length > 0 && protocols.length > 0
    return (
      this.protocolType === protocolType &&
      protocols.some((p) => (this.supportedProtocols.get(p.name) ?? 0) === this.members.size)
    )
  }

  add(member: ClassicMember, joinWaiter: ((r: JoinResult) => void) | null): void {
    if (this.members.size === 0) this.protocolType = member.protocolType
    this.members.set(member.memberId, member)
    this.countProtocols(member, 1)
    if (this.leaderId === null) this.leaderId = member.memberId
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId)
    member.joinWaiter = joinWaiter
    if (joinWaiter !== null) this.awaitingJoin++
    this.pendingMembers.delete(member.memberId)
  }

  /**
   * Removes a member. A JoinGroup or SyncGroup it still has parked is answered UNKNOWN_MEMBER_ID
   * (callers answer more specifically first where Kafka does), so no request waits forever.
   */
  remove(memberId: string): void {
    const m = this.members.get(memberId)
    if (m !== undefined) {
      this.completeJoin(m, joinError('', ErrorCode.UNKNOWN_MEMBER_ID))
      this.completeSync(m, syncError(ErrorCode.UNKNOWN_MEMBER_ID))
      this.members.delete(memberId)
      this.countProtocols(m, -1)
      if (m.isAwaitingJoin) this.awaitingJoin--
      if (m.groupInstanceId !== null && this.staticMembers.get(m.groupInstanceId) === memberId)
        this.staticMembers.delete(m.groupInstanceId)
    }
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null
    this.pendingMembers.delete(memberId)
    this.pendingSyncMembers.delete(memberId)
  }

  updateMember(
    member: ClassicMember,
    protocols: readonly Protocol[],
    rebalanceTimeoutMs: number,
    sessionTimeoutMs: number,
    joinWaiter: ((r: JoinResult) => void) | null,
  ): void {
    this.countProtocols(member, -1)
    member.protocols = protocols
    this.countProtocols(member, 1)
    member.rebalanceTimeoutMs = rebalanceTimeoutMs
    member.sessionTimeoutMs = sessionTimeoutMs
    if (joinWaiter !== null && !member.isAwaitingJoin) this.awaitingJoin++
    else if (joinWaiter === null && member.isAwaitingJoin) this.awaitingJoin--
    member.joinWaiter = joinWaiter
  }

  /** Answers the member's parked JoinGroup, if any. */
  completeJoin(member: ClassicMember, result: JoinResult): boolean {
    const w = member.joinWaiter
    if (w === null) return false
    member.joinWaiter = null
    this.awaitingJoin--
    w(result)
    return true
  }

  /** Answers the member's parked SyncGroup, if any. */
  completeSync(member: ClassicMember, result: SyncResult): boolean {
    const w = member.syncWaiter
    if (w === null) return false
    member.syncWaiter = null
    w(result)
    return true
  }

  /**
   * Gives a static member a new member id (its instance restarted): a request parked under the
   * old id is fenced, leadership and pending sync follow the member.
   */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): ClassicMember {
    const m = this.members.get(oldMemberId)
    if (m === undefined)
      throw new Error(`static member ${groupInstanceId} (${oldMemberId}) is not in the group`)
    this.completeJoin(m, joinError(oldMemberId, ErrorCode.FENCED_INSTANCE_ID))
    this.completeSync(m, syncError(ErrorCode.FENCED_INSTANCE_ID))
    this.members.delete(oldMemberId)
    m.memberId = newMemberId
    this.members.set(newMemberId, m)
    if (this.leaderId === oldMemberId) this.leaderId = newMemberId
    this.staticMembers.set(groupInstanceId, newMemberId)
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId)
    return m
  }

  /** The member id a group.instance.id maps to, or undefined. */
  staticMemberId(groupInstanceId: string | null): string | undefined {
    return groupInstanceId === null ? undefined : this.staticMembers.get(groupInstanceId)
  }

  /**
   * Kafka's member check of SyncGroup, Heartbeat, LeaveGroup, OffsetCommit and a known member's
   * JoinGroup: FENCED_INSTANCE_ID when the instance id is mapped to another member,
   * UNKNOWN_MEMBER_ID when the instance id or member id is unknown, else NONE.
   */
  validateMember(memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId !== null) {
      const existing = this.staticMembers.get(groupInstanceId)
      if (existing === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
      if (existing !== memberId) return ErrorCode.FENCED_INSTANCE_ID
    }
    return this.members.has(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID
  }

  /** The protocol most members prefer among those all of them support. */
  selectProtocol(): string {
    if (this.members.size === 0) throw new Error(`cannot select a protocol for empty group ${this.groupId}`)
    const candidates = new Set<string>()
    for (const [name, n] of this.supportedProtocols) if (n === this.members.size) candidates.add(name)
    const votes = new Map<string, number>()
    for (const m of this.members.values()) {
      const v = m.vote(candidates)
      votes.set(v, (votes.get(v) ?? 0) + 1)
    }
    let best = ''
    let most = -1
    for (const [name, n] of votes)
      if (n > most) {
        best = name
        most = n
      }
    return best
  }

  /**
   * Moves to the next generation: CompletingRebalance with the selected protocol, or Empty when
   * no member is left. Everyone then owes a SyncGroup.
   */
  initNextGeneration(now: number): void {
    this.generationId++
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol()
      this.transitionTo(GroupState.CompletingRebalance, now)
    } else {
      this.protocolName = null
      this.transitionTo(GroupState.Empty, now)
    }
    this.subscribedTopics = this.computeSubscribedTopics()
    this.pendingSyncMembers.clear()
  }

  /** Picks a member that rejoined as leader when the leader did not; false when none rejoined. */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false
    const leader = this.members.get(this.leaderId)
    if (leader?.isAwaitingJoin) return true
    for (const m of this.members.values()) {
      if (m.isAwaitingJoin) {
        this.leaderId = m.memberId
        return true
      }
    }
    return false
  }

  /** Members that have not rejoined during the join phase. */
  notYetRejoinedMembers(): ClassicMember[] {
    return [...this.members.values()].filter((m) => !m.isAwaitingJoin)
  }

  /** What the leader is sent: each member's metadata for the selected protocol. */
  currentMemberMetadata(): JoinMember[] {
    const protocol = this.protocolName
    if (protocol === null) throw new Error(`group ${this.groupId} has no protocol`)
    return [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.metadataFor(protocol),
    }))
  }

  computeSubscribedTopics(): ReadonlySet<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE) return null
    if (this.members.size === 0) return new Set()
    if (this.protocolName === null) return null
    const topics = new Set<string>()
    for (const m of this.members.values()) {
      const t = subscribedTopics(m.metadataFor(this.protocolName))
      if (t === null) return null
      for (const x of t) topics.add(x)
    }
    return topics
  }

  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics?.has(topic) ?? false
  }

  private countProtocols(m: ClassicMember, delta: number): void {
    for (const p of m.protocols) {
      const n = (this.supportedProtocols.get(p.name) ?? 0) + delta
      if (n === 0) this.supportedProtocols.delete(p.name)
      else this.supportedProtocols.set(p.name, n)
    }
  }
}
