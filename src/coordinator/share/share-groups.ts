// Share group membership (KIP-932's ShareGroupHeartbeat): members join with their subscribed
// topics, get partitions assigned by the server, keep their session by heartbeating, and leave
// (member epoch -1) or time out. Unlike a consumer group several members may hold one partition:
// the share-partition on the leader hands each record to one member at a time, so there is no
// revocation step and a member's new assignment takes effect at once.
//
// Assignment (Kafka's "simple" assignor in spirit): per subscribed topic, with M members and P
// partitions, every partition goes to at least one member and every member gets at least one
// partition: with M >= P member i gets partition i mod P, otherwise partition j goes to member
// j mod M (members in id order, so the answer is stable).
//
// The membership is kept in memory on the coordinator broker (the broker that FindCoordinator
// names for the group id): after a restart members rejoin on their next heartbeat
// (UNKNOWN_MEMBER_ID makes a share consumer rejoin with epoch 0). What must survive — which
// records were acknowledged — is in __share_group_state (share-coordinator.ts).

import { randomBytes } from 'node:crypto'
import type { Clock, Timer } from '../../common/clock.ts'
import type { Uuid } from '../../common/ids.ts'
import type { MetadataImage } from '../../metadata/image.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import type { ShareConfig } from './share-config.ts'

export interface ShareMember {
  readonly memberId: string
  memberEpoch: number
  clientId: string
  clientHost: string
  rackId: string | null
  subscribed: string[]
  /** topic id -> partitions */
  assignment: Map<Uuid, number[]>
  timer: Timer | null
}

export interface ShareGroup {
  readonly groupId: string
  groupEpoch: number
  assignmentEpoch: number
  readonly members: Map<string, ShareMember>
}

export interface HeartbeatInput {
  readonly groupId: string
  readonly memberId: string
  readonly memberEpoch: number
  readonly rackId: string | null
  readonly subscribedTopicNames: readonly string[] | null
  readonly clientId: string
  readonly clientHost: string
}

export interface HeartbeatOutput {
  readonly errorCode: number
  readonly errorMessage: string | null
  readonly memberId: string | null
  readonly memberEpoch: number
  readonly heartbeatIntervalMs: number
  /** Present when the member must take a new assignment. */
  readonly assignment: { topicId: Uuid; partitions: number[] }[] | null
}

export class ShareGroups {
  readonly groups = new Map<string, ShareGroup>()
  private readonly config: ShareConfig
  private readonly clock: Clock
  private readonly image: () => MetadataImage
  /** Called when a member leaves or times out: its acquired records go back (share-partitions). */
  onMemberLeft: (groupId: string, memberId: string) => void = () => {}

  constructor(config: ShareConfig, clock: Clock, image: () => MetadataImage) {
    this.config = config
    this.clock = clock
    this.image = image
  }

  heartbeat(h: HeartbeatInput): HeartbeatOutput {
    const fail = (errorCode: number, errorMessage: string | null = null): HeartbeatOutput => ({
      errorCode,
      errorMessage,
      memberId: null,
      memberEpoch: 0,
      heartbeatIntervalMs: 0,
      assignment: null,
    })
    if (!this.config.enabled) return fail(ErrorCode.UNSUPPORTED_VERSION, 'share groups are disabled')
    if (h.groupId === '') return fail(ErrorCode.INVALID_REQUEST, 'GroupId can not be empty.')
    let group = this.groups.get(h.groupId)
    if (h.memberEpoch === -1) {
      const m = group?.members.get(h.memberId)
      if (group === undefined || m === undefined) return fail(ErrorCode.UNKNOWN_MEMBER_ID)
      this.remove(group, m)
      return { ...fail(ErrorCode.NONE), memberId: h.memberId, memberEpoch: -1 }
    }
    if (h.memberEpoch === 0) {
      if (h.subscribedTopicNames === null || h.subscribedTopicNames.length === 0)
        return fail(ErrorCode.INVALID_REQUEST, 'SubscribedTopicNames must be set in first request.')
      if (group === undefined) {
        if (this.groups.size >= this.config.maxGroups) return fail(ErrorCode.GROUP_MAX_SIZE_REACHED)
        group = { groupId: h.groupId, groupEpoch: 0, assignmentEpoch: 0, members: new Map() }
        this.groups.set(h.groupId, group)
      }
      const memberId = h.memberId !== '' ? h.memberId : randomBytes(16).toString('base64url')
      let m = group.members.get(memberId)
      if (m === undefined) {
        if (group.members.size >= this.config.maxSize) return fail(ErrorCode.GROUP_MAX_SIZE_REACHED)
        m = {
          memberId,
          memberEpoch: 0,
          clientId: h.clientId,
          clientHost: h.clientHost,
          rackId: h.rackId,
          subscribed: [],
          assignment: new Map(),
          timer: null,
        }
        group.members.set(memberId, m)
        group.groupEpoch++
      }
      return this.continueMember(group, m, h, true)
    }
    const m = group?.members.get(h.memberId)
    if (group === undefined || m === undefined) return fail(ErrorCode.UNKNOWN_MEMBER_ID)
    if (h.memberEpoch !== m.memberEpoch) return fail(ErrorCode.FENCED_MEMBER_EPOCH)
    return this.continueMember(group, m, h, false)
  }

  private continueMember(
    group: ShareGroup,
    m: ShareMember,
    h: HeartbeatInput,
    joined: boolean,
  ): HeartbeatOutput {
    if (h.subscribedTopicNames !== null) {
      const subs = [...new Set(h.subscribedTopicNames)].sort()
      if (subs.join('\0') !== m.subscribed.join('\0')) {
        m.subscribed = subs
        group.groupEpoch++
      }
    }
    if (h.rackId !== null) m.rackId = h.rackId
    this.touch(group, m)
    const changed = this.reassign(group)
    const own = changed.has(m.memberId) || joined
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId: m.memberId,
      memberEpoch: m.memberEpoch,
      heartbeatIntervalMs: this.config.heartbeatIntervalMs,
      assignment: own ? [...m.assignment].map(([topicId, partitions]) => ({ topicId, partitions })) : null,
    }
  }

  /** Recomputes every member's partitions; returns the members whose assignment changed. */
  private reassign(group: ShareGroup): Set<string> {
    const image = this.image()
    const members = [...group.members.values()].sort((a, b) => (a.memberId < b.memberId ? -1 : 1))
    const target = new Map<string, Map<Uuid, number[]>>()
    for (const m of members) target.set(m.memberId, new Map())
    const topics = new Set(members.flatMap((m) => m.subscribed))
    for (const name of topics) {
      const t = image.topics.get(name)
      if (t === undefined) continue
      const subs = members.filter((m) => m.subscribed.includes(name))
      const parts = t.partitions.map((_, i) => i)
      const give = (m: ShareMember, p: number) => {
        const mine = target.get(m.memberId) as Map<Uuid, number[]>
        const list = mine.get(t.topicId) ?? []
        if (!list.includes(p)) list.push(p)
        mine.set(t.topicId, list)
      }
      if (parts.length === 0 || subs.length === 0) continue
      if (subs.length >= parts.length) for (const [i, m] of subs.entries()) give(m, parts[i % parts.length])
      else for (const [j, p] of parts.entries()) give(subs[j % subs.length], p)
    }
    const changed = new Set<string>()
    for (const m of members) {
      const next = target.get(m.memberId) as Map<Uuid, number[]>
      if (!sameAssignment(m.assignment, next)) {
        m.assignment = next
        changed.add(m.memberId)
      }
    }
    if (changed.size > 0) {
      group.assignmentEpoch = group.groupEpoch
      for (const id of changed) (group.members.get(id) as ShareMember).memberEpoch = group.groupEpoch
    }
    return changed
  }

  private touch(group: ShareGroup, m: ShareMember): void {
    m.timer?.cancel()
    m.timer = this.clock.setTimeout(() => {
      if (group.members.get(m.memberId) === m) this.remove(group, m)
    }, this.config.sessionTimeoutMs)
  }

  private remove(group: ShareGroup, m: ShareMember): void {
    m.timer?.cancel()
    group.members.delete(m.memberId)
    group.groupEpoch++
    this.reassign(group)
    this.onMemberLeft(group.groupId, m.memberId)
  }

  /**
   * The share groups as ListGroups v5 lists them (protocol type and group type "share"), with its
   * state and type filters (case-insensitive; empty: all).
   */
  listGroups(
    states: readonly string[],
    types: readonly string[],
  ): { groupId: string; protocolType: string; groupState: string; groupType: string }[] {
    if (!this.config.enabled) return []
    const lower = (xs: readonly string[]) => xs.map((x) => x.toLowerCase())
    if (types.length > 0 && !lower(types).includes('share')) return []
    const wanted = lower(states)
    const out = []
    for (const g of this.groups.values()) {
      const groupState = g.members.size === 0 ? 'Empty' : 'Stable'
      if (wanted.length > 0 && !wanted.includes(groupState.toLowerCase())) continue
      out.push({ groupId: g.groupId, protocolType: 'share', groupState, groupType: 'share' })
    }
    return out
  }

  /** Stops the session timers (broker shutdown). */
  shutdown(): void {
    for (const g of this.groups.values()) for (const m of g.members.values()) m.timer?.cancel()
  }
}

function sameAssignment(a: Map<Uuid, number[]>, b: Map<Uuid, number[]>): boolean {
  if (a.size !== b.size) return false
  for (const [k, v] of a) {
    const w = b.get(k)
    if (w === undefined || w.length !== v.length || w.some((p, i) => p !== v[i])) return false
  }
  return true
}
