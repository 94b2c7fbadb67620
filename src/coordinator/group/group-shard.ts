// The group coordinator's state machine for one __consumer_offsets partition: the classic groups
// coordinated there and their committed offsets. This file holds the membership protocol
// (JoinGroup, SyncGroup, Heartbeat, LeaveGroup and the timers behind them) with Kafka's rules;
// offsets and admin operations are in offset-ops.ts and admin-ops.ts. The KIP-848 consumer groups
// of the partition live beside the classic ones (consumerGroups; their logic is in consumer/).
//
// Every public operation runs synchronously (the runtime's single writer) and returns the records
// it produced plus the answer. Which changes are persisted is Kafka's choice: the group metadata
// record (members, generation, assignments) is written when the leader's assignment arrives, when
// a static member is replaced in a stable group, and when the group becomes empty; joining,
// rebalancing and heartbeats live only in memory. Those group changes are applied by the
// operation itself; committed records are then replayed, which for a live group only matters for
// offsets and tombstones (replayGroupRecord ignores a group value it already holds).
//
// Timers (keys below) capture the group object and check it is still the one in the map, so a
// timer of a deleted or unloaded group does nothing.

import type { Logger } from '../../common/logger.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import type { GroupMetadataValue } from '../../protocol/generated/records/group-metadata-value.ts'
import type { CoordinatorRecord } from '../runtime/coordinator-log.ts'
import type { CoordinatorResult, CoordinatorShard, ShardContext } from '../runtime/coordinator-runtime.ts'
import {
  ClassicGroup,
  ClassicMember,
  GroupState,
  type JoinResult,
  joinError,
  type Protocol,
  type SyncResult,
  syncError,
} from './classic-group.ts'
import type { ConsumerGroup } from './consumer/consumer-group.ts'
import { MemberState } from './consumer/consumer-group.ts'
import {
  EMPTY_TOPICS,
  scheduleRebalance,
  scheduleSession,
  type TopicsView,
} from './consumer/consumer-membership.ts'
import { applyConsumerRecord, decodeConsumerKey, isConsumerKeyVersion } from './consumer/consumer-records.ts'
import { type GroupConfig, NEW_MEMBER_JOIN_TIMEOUT_MS } from './group-config.ts'
import { cleanupGroupMetadata } from './offset-ops.ts'
import { OffsetStore } from './offset-store.ts'
import { decodeGroupValue, decodeKey, decodeOffsetValue, groupMetadataRecord } from './records.ts'
import { PendingTxnOffsets } from './txn-offsets.ts'

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

const heartbeatKey = (g: string, m: string) => `heartbeat\u0000${g}\u0000${m}`
const joinKey = (g: string) => `join\u0000${g}`
const syncKey = (g: string) => `sync\u0000${g}`
export const EXPIRATION_KEY = 'expire-offsets'

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

export class GroupShard implements CoordinatorShard {
  readonly groups = new Map<string, ClassicGroup>()
  /** KIP-848 consumer groups (consumer/): a group id is in one of the two maps, never both. */
  readonly consumerGroups = new Map<string, ConsumerGroup>()
  /** The topics consumer groups subscribe to; the coordinator points it at the metadata image. */
  topicsView: () => TopicsView = () => EMPTY_TOPICS
  /**
   * Called when a write holding consumer group records failed: those records were applied to
   * memory already, so the coordinator reloads the partition from its log.
   */
  onConsumerWriteFailed: () => void = () => {}
  readonly offsets = new OffsetStore()
  /** TxnOffsetCommit offsets waiting for their transaction's marker. */
  readonly txnOffsets = new PendingTxnOffsets()
  readonly ctx: ShardContext
  readonly config: GroupConfig
  readonly log: Logger
  /** False while the partition is loading (replay rebuilds groups from their records). */
  private live = false
  private out: CoordinatorRecord[] = []
  private commitHooks: (() => void)[] = []
  private failHooks: ((code: number) => void)[] = []

  constructor(ctx: ShardContext, config: GroupConfig) {
    this.ctx = ctx
    this.config = config
    this.log = ctx.log
  }

  now(): number {
    return this.ctx.clock.now()
  }

  /** Records produced by the current operation. */
  emit(record: CoordinatorRecord): void {
    this.out.push(record)
  }

  /** Runs `fn` once the current operation's records are committed. */
  afterCommit(fn: () => void): void {
    this.commitHooks.push(fn)
  }

  /** Runs `fn` when the current operation's records could not be written. */
  afterFailure(fn: (errorCode: number) => void): void {
    this.failHooks.push(fn)
  }

  /** Wraps up the current operation: its records, hooks and answer. */
  finish<R>(response: R | Promise<R>): CoordinatorResult<R> {
    const records = this.out
    const commits = this.commitHooks
    const fails = this.failHooks
    this.out = []
    this.commitHooks = []
    this.failHooks = []
    return {
      records,
      response,
      onCommitted:
        commits.length === 0
          ? undefined
          : () => {
              for (const f of commits) f()
            },
      onFailed:
        fails.length === 0
          ? undefined
          : (code) => {
              for (const f of fails) f(code)
            },
    }
  }

  // ----- replay and lifecycle -----

  replay(offset: bigint, key: Buffer, value: Buffer | null, producerId?: bigint): void {
    const k = decodeKey(key)
    if (k.type === 'offset') {
      if (producerId !== undefined && producerId >= 0n) {
        if (value !== null)
          this.txnOffsets.add(producerId, {
            group: k.group,
            topic: k.topic,
            partition: k.partition,
            value: decodeOffsetValue(value),
            recordOffset: offset,
          })
        return
      }
      this.txnOffsets.noteCommitted(k.group, k.topic, k.partition, offset)
      if (value === null) {
        this.offsets.remove(k.group, k.topic, k.partition)
        return
      }
      const v = decodeOffsetValue(value)
      this.offsets.put(k.group, k.topic, k.partition, v)
      // Offsets without group metadata belong to a "simple" group (Kafka creates it too).
      if (!this.groups.has(k.group) && !this.consumerGroups.has(k.group))
        this.groups.set(k.group, new ClassicGroup(k.group, GroupState.Empty, this.now()))
    } else if (k.type === 'group') {
      this.replayGroupRecord(k.group, value)
    } else if (isConsumerKeyVersion(k.version) && !this.live) {
      // Live, the operation applied its consumer group records already (consumer-membership.ts).
      applyConsumerRecord(this.consumerGroups, key, value)
      this.settleGroupKind(decodeConsumerKey(key).groupId)
    }
  }

  /** A transaction marker on this partition: the producer's pending offsets apply or vanish. */
  replayEndTxn(_offset: bigint, producerId: bigint, commit: boolean): void {
    this.txnOffsets.complete(producerId, commit, (p) => {
      this.offsets.put(p.group, p.topic, p.partition, p.value)
      if (!this.groups.has(p.group) && !this.consumerGroups.has(p.group))
        this.groups.set(p.group, new ClassicGroup(p.group, GroupState.Empty, this.now()))
    })
  }

  private replayGroupRecord(groupId: string, value: Buffer | null): void {
    const current = this.groups.get(groupId)
    if (value === null) {
      // Live, the operation that wrote the tombstone already removed the group; a group with the
      // same id created since then (members joining) must survive.
      if (current !== undefined && (!this.live || (current.is(GroupState.Empty) && current.size === 0)))
        this.groups.delete(groupId)
      return
    }
    if (this.live) return
    this.groups.set(groupId, groupFromRecord(groupId, decodeGroupValue(value)))
  }

  /**
   * A consumer group replaces the memberless "simple" classic group its earlier offsets made; when
   * it is gone, offsets left behind make one again (as replaying them alone would).
   */
  private settleGroupKind(id: string): void {
    const g = this.groups.get(id)
    if (this.consumerGroups.has(id)) {
      if (g !== undefined && g.size === 0 && g.is(GroupState.Empty)) this.groups.delete(id)
    } else if (g === undefined && this.offsets.hasOffsets(id))
      this.groups.set(id, new ClassicGroup(id, GroupState.Empty, this.now()))
  }

  onLoaded(): void {
    this.live = true
    for (const cg of this.consumerGroups.values()) {
      this.log.info(`Loaded consumer group ${cg.groupId} (epoch ${cg.groupEpoch}, ${cg.size} members)`)
      for (const m of cg.members.values()) {
        scheduleSession(this, cg.groupId, m.memberId)
        if (m.state === MemberState.UnrevokedPartitions) scheduleRebalance(this, cg.groupId, m)
      }
    }
    for (const group of this.groups.values()) {
      this.log.info(
        `Loaded group ${group.groupId} (${group.state}, generation ${group.generationId}, ${group.size} members)`,
      )
      for (const m of group.members.values()) this.rescheduleHeartbeat(group, m)
      if (group.size > this.config.maxSize) {
        this.prepareRebalance(
          group,
          `freshly-loaded group is over capacity ${this.config.maxSize}; rebalancing so consumers can commit`,
        )
      }
    }
    this.out = []
    this.ctx.timer.schedule(EXPIRATION_KEY, this.config.offsetsRetentionCheckIntervalMs, () =>
      this.expirationTick(),
    )
  }

  /** The periodic offset expiration (offsets.retention.check.interval.ms), rescheduled after each run. */
  private expirationTick(): CoordinatorResult<void> {
    cleanupGroupMetadata(this)
    this.ctx.timer.schedule(EXPIRATION_KEY, this.config.offsetsRetentionCheckIntervalMs, () =>
      this.expirationTick(),
    )
    return this.finish(undefined)
  }

  onUnloaded(): void {
    this.live = false
    for (const group of this.groups.values()) {
      group.transitionTo(GroupState.Dead, this.now())
      for (const m of group.members.values()) {
        group.completeJoin(m, joinError(m.memberId, ErrorCode.NOT_COORDINATOR))
        group.completeSync(m, syncError(ErrorCode.NOT_COORDINATOR))
      }
    }
    this.groups.clear()
    this.consumerGroups.clear()
    this.txnOffsets.clear()
  }

  // ----- JoinGroup -----

  joinGroup(p: JoinParams): CoordinatorResult<JoinResult> {
    const answer = deferred<JoinResult>()
    const fail = (code: number, memberId = p.memberId) => {
      answer.resolve(joinError(memberId, code))
      return this.finish(answer.promise)
    }
    if (
      p.sessionTimeoutMs < this.config.minSessionTimeoutMs ||
      p.sessionTimeoutMs > this.config.maxSessionTimeoutMs
    )
      return fail(ErrorCode.INVALID_SESSION_TIMEOUT)
    const isUnknown = p.memberId === ''
    let group = this.groups.get(p.groupId)
    if (group === undefined) {
      if (!isUnknown) return fail(ErrorCode.UNKNOWN_MEMBER_ID)
      group = new ClassicGroup(p.groupId, GroupState.Empty, this.now())
      this.groups.set(p.groupId, group)
    }
    if (!this.acceptJoiningMember(group, p.memberId)) {
      group.remove(p.memberId)
      return fail(ErrorCode.GROUP_MAX_SIZE_REACHED, '')
    }
    if (isUnknown) this.joinNewMember(group, p, answer.resolve)
    else this.joinExistingMember(group, p, answer.resolve)
    return this.finish(answer.promise)
  }

  private acceptJoiningMember(group: ClassicGroup, memberId: string): boolean {
    switch (group.state) {
      case GroupState.Empty:
      case GroupState.Dead:
        return true
      case GroupState.PreparingRebalance:
        // Counting members awaiting join (not the size) lets the last rejoiners be refused when
        // group.max.size was lowered.
        return (
          (group.has(memberId) && group.get(memberId).isAwaitingJoin) ||
          group.numAwaitingJoin < this.config.maxSize
        )
      default:
        return group.has(memberId) || group.size < this.config.maxSize
    }
  }

  private joinNewMember(group: ClassicGroup, p: JoinParams, reply: (r: JoinResult) => void): void {
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
        this.log.info(
          `Static member ${p.groupInstanceId} of group ${group.groupId} rejoins with an unknown member id in ${group.state}; replacing ${existing} with ${newMemberId}`,
        )
        this.replaceStaticMember(group, p, existing, newMemberId, reply)
        return
      }
      this.addMemberAndRebalance(group, p, newMemberId, reply)
      return
    }
    if (p.requireKnownMemberId) {
      group.pendingMembers.add(newMemberId)
      this.ctx.timer.schedule(heartbeatKey(group.groupId, newMemberId), p.sessionTimeoutMs, () =>
        this.expireHeartbeat(group, newMemberId),
      )
      reply(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED))
      return
    }
    this.addMemberAndRebalance(group, p, newMemberId, reply)
  }

  private joinExistingMember(group: ClassicGroup, p: JoinParams, reply: (r: JoinResult) => void): void {
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
      this.addMemberAndRebalance(group, p, memberId, reply)
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
        this.updateMemberAndRebalance(group, member, p, reply, `member ${memberId} joining during rebalance`)
        return
      case GroupState.CompletingRebalance:
        // The same metadata again: it probably lost the first answer; repeat it.
        if (member.matches(p.protocols)) {
          reply(current(group.isLeader(memberId) ? group.currentMemberMetadata() : []))
          return
        }
        this.updateMemberAndRebalance(group, member, p, reply, `member ${memberId} changed its metadata`)
        return
      case GroupState.Stable:
        // The leader rejoining forces a rebalance (how it reacts to topic metadata changes).
        if (group.isLeader(memberId)) {
          this.updateMemberAndRebalance(group, member, p, reply, `leader ${memberId} rejoining`)
          return
        }
        if (!member.matches(p.protocols)) {
          this.updateMemberAndRebalance(group, member, p, reply, `member ${memberId} changed its metadata`)
          return
        }
        reply(current([]))
        return
      default:
        this.log.warn(`member ${memberId} rejoins group ${group.groupId} in unexpected state ${group.state}`)
        reply(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID))
        return
    }
  }

  private addMemberAndRebalance(
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
    this.rescheduleHeartbeat(group, member, NEW_MEMBER_JOIN_TIMEOUT_MS)
    this.maybePrepareRebalanceOrCompleteJoin(
      group,
      `adding new member ${memberId} with group instance id ${p.groupInstanceId}; client reason: ${p.reason ?? 'not provided'}`,
    )
  }

  private updateMemberAndRebalance(
    group: ClassicGroup,
    member: ClassicMember,
    p: JoinParams,
    reply: (r: JoinResult) => void,
    reason: string,
  ): void {
    group.updateMember(member, p.protocols, p.rebalanceTimeoutMs, p.sessionTimeoutMs, reply)
    this.maybePrepareRebalanceOrCompleteJoin(group, `${reason}; client reason: ${p.reason ?? 'not provided'}`)
  }

  /** A static member restarted: give it the new id; in a stable group, without a rebalance. */
  private replaceStaticMember(
    group: ClassicGroup,
    p: JoinParams,
    oldMemberId: string,
    newMemberId: string,
    reply: (r: JoinResult) => void,
  ): void {
    const instanceId = p.groupInstanceId!
    const currentLeader = group.leaderId ?? ''
    const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId)
    this.ctx.timer.cancel(heartbeatKey(group.groupId, oldMemberId))
    this.rescheduleHeartbeat(group, member)
    const old = {
      protocols: member.protocols,
      rebalance: member.rebalanceTimeoutMs,
      session: member.sessionTimeoutMs,
    }
    group.updateMember(member, p.protocols, p.rebalanceTimeoutMs, p.sessionTimeoutMs, reply)
    switch (group.state) {
      case GroupState.Stable: {
        if (group.protocolName !== group.selectProtocol()) {
          this.maybePrepareRebalanceOrCompleteJoin(
            group,
            `static member ${newMemberId} (${instanceId}) joined with a change of protocol`,
          )
          return
        }
        // Persist the new member id; answer once it is stored, or undo the replacement.
        const generation = group.generationId
        this.emit(groupRecord(group, null))
        this.commitHooks.push(() => {
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
        this.failHooks.push((code) => {
          if (this.groups.get(group.groupId) !== group || group.generationId !== generation) return
          this.log.warn(
            `storing static member ${newMemberId} of group ${group.groupId} failed (${code}); reverting`,
          )
          group.updateMember(member, old.protocols, old.rebalance, old.session, null)
          if (!group.has(newMemberId)) return
          const restored = group.replaceStaticMember(instanceId, newMemberId, oldMemberId)
          this.ctx.timer.cancel(heartbeatKey(group.groupId, newMemberId))
          this.rescheduleHeartbeat(group, restored)
        })
        return
      }
      case GroupState.CompletingRebalance:
        // The leader may already have been told the old id: rebalance so nobody is left out.
        this.prepareRebalance(group, `static member ${newMemberId} (${instanceId}) rejoined during sync`)
        return
      case GroupState.PreparingRebalance:
        this.maybeCompleteJoinPhase(group)
        return
      default:
        throw new Error(`group ${group.groupId} is ${group.state} while static member ${instanceId} rejoins`)
    }
  }

  // ----- rebalancing -----

  maybePrepareRebalanceOrCompleteJoin(group: ClassicGroup, reason: string): void {
    if (group.canRebalance) this.prepareRebalance(group, reason)
    else this.maybeCompleteJoinPhase(group)
  }

  /** Completes the join phase early when everyone is in, except for the initial rebalance. */
  private maybeCompleteJoinPhase(group: ClassicGroup): void {
    if (
      group.is(GroupState.PreparingRebalance) &&
      group.hasAllMembersJoined &&
      group.previousState !== GroupState.Empty
    )
      this.completeJoin(group)
  }

  prepareRebalance(group: ClassicGroup, reason: string): void {
    if (group.is(GroupState.CompletingRebalance))
      this.resetAndPropagateAssignmentError(group, ErrorCode.REBALANCE_IN_PROGRESS)
    this.removeSyncExpiration(group)
    const initial = group.is(GroupState.Empty)
    if (initial) {
      // A new (or emptied) group waits group.initial.rebalance.delay.ms for more members, and
      // again each time one arrives, up to its rebalance timeout.
      const delay = this.config.initialRebalanceDelayMs
      const remaining = Math.max(group.rebalanceTimeoutMs - delay, 0)
      this.ctx.timer.schedule(joinKey(group.groupId), delay, () =>
        this.initialRebalanceTimeout(group, delay, remaining),
      )
    }
    group.transitionTo(GroupState.PreparingRebalance, this.now())
    this.log.info(
      `Preparing to rebalance group ${group.groupId} with old generation ${group.generationId} (reason: ${reason})`,
    )
    if (initial) return
    if (group.hasAllMembersJoined) this.completeJoin(group)
    else this.scheduleJoinCompletion(group)
  }

  private scheduleJoinCompletion(group: ClassicGroup): void {
    this.ctx.timer.schedule(joinKey(group.groupId), group.rebalanceTimeoutMs, () => {
      if (this.groups.get(group.groupId) === group && group.is(GroupState.PreparingRebalance))
        this.completeJoin(group)
      return this.finish(undefined)
    })
  }

  private initialRebalanceTimeout(
    group: ClassicGroup,
    delayMs: number,
    remainingMs: number,
  ): CoordinatorResult<void> {
    if (this.groups.get(group.groupId) !== group || !group.is(GroupState.PreparingRebalance))
      return this.finish(undefined)
    if (group.newMemberAdded && remainingMs !== 0) {
      group.newMemberAdded = false
      const next = Math.min(this.config.initialRebalanceDelayMs, remainingMs)
      const left = Math.max(remainingMs - delayMs, 0)
      this.ctx.timer.schedule(joinKey(group.groupId), next, () =>
        this.initialRebalanceTimeout(group, next, left),
      )
    } else {
      this.completeJoin(group)
    }
    return this.finish(undefined)
  }

  /**
   * Ends the join phase: dynamic members that did not rejoin are dropped, the generation moves on,
   * everyone gets its JoinGroup answer (the leader with the members' metadata), and SyncGroups are
   * expected within the rebalance timeout. An emptied group is persisted as such.
   */
  completeJoin(group: ClassicGroup): void {
    this.ctx.timer.cancel(joinKey(group.groupId))
    const missing = group.notYetRejoinedMembers().filter((m) => !m.isStatic)
    for (const m of missing) {
      group.remove(m.memberId)
      this.ctx.timer.cancel(heartbeatKey(group.groupId, m.memberId))
    }
    if (missing.length > 0)
      this.log.info(
        `Group ${group.groupId} removed dynamic members who did not rejoin: ${missing.map((m) => m.memberId).join(', ')}`,
      )
    if (group.is(GroupState.Dead)) return
    if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
      // Only static members that did not rejoin are left: wait for their sessions to expire.
      this.log.error(`Group ${group.groupId} could not complete rebalance because no members rejoined`)
      this.scheduleJoinCompletion(group)
      return
    }
    group.initNextGeneration(this.now())
    if (group.is(GroupState.Empty)) {
      this.log.info(`Group ${group.groupId} with generation ${group.generationId} is now empty`)
      this.emit(groupRecord(group, null))
      return
    }
    this.log.info(
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
      this.rescheduleHeartbeat(group, m)
      m.isNew = false
      group.pendingSyncMembers.add(m.memberId)
    }
    const generation = group.generationId
    this.ctx.timer.schedule(syncKey(group.groupId), group.rebalanceTimeoutMs, () =>
      this.expirePendingSync(group, generation),
    )
  }

  private expirePendingSync(group: ClassicGroup, generation: number): CoordinatorResult<void> {
    if (this.groups.get(group.groupId) !== group || generation !== group.generationId)
      return this.finish(undefined)
    if (
      (group.is(GroupState.CompletingRebalance) || group.is(GroupState.Stable)) &&
      !group.hasReceivedSyncFromAllMembers
    ) {
      const late = [...group.pendingSyncMembers]
      for (const id of late) {
        group.remove(id)
        this.ctx.timer.cancel(heartbeatKey(group.groupId, id))
      }
      this.prepareRebalance(group, `removing ${late.join(', ')} on pending sync request expiration`)
    }
    return this.finish(undefined)
  }

  private removeSyncExpiration(group: ClassicGroup): void {
    group.pendingSyncMembers.clear()
    this.ctx.timer.cancel(syncKey(group.groupId))
  }

  private removePendingSyncMember(group: ClassicGroup, memberId: string): void {
    group.pendingSyncMembers.delete(memberId)
    const waiting = group.is(GroupState.CompletingRebalance) || group.is(GroupState.Stable)
    if (!waiting || group.hasReceivedSyncFromAllMembers) this.ctx.timer.cancel(syncKey(group.groupId))
  }

  private resetAndPropagateAssignmentError(group: ClassicGroup, errorCode: number): void {
    for (const m of group.members.values()) m.assignment = Buffer.alloc(0)
    this.propagateAssignment(group, errorCode)
  }

  private propagateAssignment(group: ClassicGroup, errorCode: number): void {
    const ok = errorCode === ErrorCode.NONE
    for (const m of group.members.values()) {
      const answered = group.completeSync(m, {
        errorCode,
        protocolType: ok ? group.protocolType : null,
        protocolName: ok ? group.protocolName : null,
        assignment: m.assignment,
      })
      // A session that expired while parked in SyncGroup was ignored: start it again.
      if (answered) this.rescheduleHeartbeat(group, m)
    }
  }

  // ----- heartbeats and member expiry -----

  rescheduleHeartbeat(group: ClassicGroup, member: ClassicMember, timeoutMs = member.sessionTimeoutMs): void {
    const memberId = member.memberId
    this.ctx.timer.schedule(heartbeatKey(group.groupId, memberId), timeoutMs, () =>
      this.expireHeartbeat(group, memberId),
    )
  }

  private expireHeartbeat(group: ClassicGroup, memberId: string): CoordinatorResult<void> {
    if (this.groups.get(group.groupId) !== group || group.is(GroupState.Dead)) return this.finish(undefined)
    if (group.pendingMembers.has(memberId)) {
      this.log.info(`Pending member ${memberId} of group ${group.groupId} removed after session timeout`)
      group.remove(memberId)
      if (group.is(GroupState.PreparingRebalance) && group.hasAllMembersJoined) this.completeJoin(group)
    } else if (group.has(memberId)) {
      const member = group.get(memberId)
      if (!member.hasSatisfiedHeartbeat) {
        this.log.info(
          `Member ${memberId} of group ${group.groupId} has failed (session timeout); removing it`,
        )
        this.removeMember(group, member, `removing member ${memberId} on heartbeat expiration`)
      }
    }
    return this.finish(undefined)
  }

  /** Removes a member (its parked JoinGroup answered UNKNOWN_MEMBER_ID) and rebalances. */
  private removeMember(group: ClassicGroup, member: ClassicMember, reason: string): void {
    group.completeJoin(member, joinError('', ErrorCode.UNKNOWN_MEMBER_ID))
    group.remove(member.memberId)
    if (group.is(GroupState.Stable) || group.is(GroupState.CompletingRebalance))
      this.maybePrepareRebalanceOrCompleteJoin(group, reason)
    else if (group.is(GroupState.PreparingRebalance) && group.hasAllMembersJoined) this.completeJoin(group)
  }

  // ----- SyncGroup -----

  syncGroup(p: SyncParams): CoordinatorResult<SyncResult> {
    const answer = deferred<SyncResult>()
    const reply = (r: SyncResult) => {
      answer.resolve(r)
      return this.finish(answer.promise)
    }
    const group = this.groups.get(p.groupId)
    if (group === undefined) return reply(syncError(ErrorCode.UNKNOWN_MEMBER_ID))
    const invalid = this.validateSync(group, p)
    if (invalid !== ErrorCode.NONE) return reply(syncError(invalid))
    switch (group.state) {
      case GroupState.Empty:
        return reply(syncError(ErrorCode.UNKNOWN_MEMBER_ID))
      case GroupState.PreparingRebalance:
        return reply(syncError(ErrorCode.REBALANCE_IN_PROGRESS))
      case GroupState.Stable: {
        this.removePendingSyncMember(group, p.memberId)
        const m = group.get(p.memberId)
        this.rescheduleHeartbeat(group, m)
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
    this.removePendingSyncMember(group, p.memberId)
    if (group.isLeader(p.memberId)) this.storeAssignment(group, p)
    return this.finish(answer.promise)
  }

  private validateSync(group: ClassicGroup, p: SyncParams): number {
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

  private storeAssignment(group: ClassicGroup, p: SyncParams): void {
    this.log.info(
      `Assignment received from leader ${p.memberId} for group ${group.groupId} generation ${group.generationId} (${group.size} members)`,
    )
    const assignment = new Map<string, Buffer>()
    for (const a of p.assignments) assignment.set(a.memberId, a.assignment)
    for (const id of group.members.keys()) if (!assignment.has(id)) assignment.set(id, Buffer.alloc(0))
    this.emit(groupRecord(group, assignment))
    const generation = group.generationId
    const current = () =>
      this.groups.get(group.groupId) === group &&
      group.is(GroupState.CompletingRebalance) &&
      group.generationId === generation
    this.commitHooks.push(() => {
      if (!current()) return
      for (const m of group.members.values()) m.assignment = assignment.get(m.memberId) ?? Buffer.alloc(0)
      this.propagateAssignment(group, ErrorCode.NONE)
      group.transitionTo(GroupState.Stable, this.now())
    })
    this.failHooks.push((code) => {
      if (!current()) return
      this.resetAndPropagateAssignmentError(group, code)
      this.maybePrepareRebalanceOrCompleteJoin(group, `error ${code} storing the assignment of ${p.memberId}`)
    })
  }

  // ----- Heartbeat -----

  heartbeat(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): number {
    const group = this.groups.get(groupId)
    if (group === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
    if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    const invalid = group.validateMember(memberId, groupInstanceId)
    if (invalid !== ErrorCode.NONE) return invalid
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION
    switch (group.state) {
      case GroupState.Empty:
        return ErrorCode.UNKNOWN_MEMBER_ID
      case GroupState.PreparingRebalance:
        this.rescheduleHeartbeat(group, group.get(memberId))
        return ErrorCode.REBALANCE_IN_PROGRESS
      default:
        // CompletingRebalance too: consumers heartbeat as soon as they have their JoinGroup answer.
        this.rescheduleHeartbeat(group, group.get(memberId))
        return ErrorCode.NONE
    }
  }

  // ----- LeaveGroup -----

  leaveGroup(groupId: string, leaving: readonly LeavingMember[]): CoordinatorResult<LeaveResult> {
    const group = this.groups.get(groupId)
    const each = (m: LeavingMember, errorCode: number) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      errorCode,
    })
    if (group === undefined)
      return this.finish({
        errorCode: ErrorCode.NONE,
        members: leaving.map((m) => each(m, ErrorCode.UNKNOWN_MEMBER_ID)),
      })
    if (group.is(GroupState.Dead))
      return this.finish({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] })
    const results = leaving.map((m) => {
      const reason = m.reason ?? 'not provided'
      if (m.memberId === '') {
        // Administrative removal by group.instance.id.
        const id = group.staticMemberId(m.groupInstanceId)
        if (id === undefined) return each(m, ErrorCode.UNKNOWN_MEMBER_ID)
        this.removeLeavingMember(group, id, reason)
        return each(m, ErrorCode.NONE)
      }
      if (group.pendingMembers.has(m.memberId)) {
        group.remove(m.memberId)
        this.ctx.timer.cancel(heartbeatKey(groupId, m.memberId))
        this.log.info(`Pending member ${m.memberId} left group ${groupId}; client reason: ${reason}`)
        return each(m, ErrorCode.NONE)
      }
      const invalid = group.validateMember(m.memberId, m.groupInstanceId)
      if (invalid !== ErrorCode.NONE) return each(m, invalid)
      this.removeLeavingMember(group, m.memberId, reason)
      return each(m, ErrorCode.NONE)
    })
    const left = results.filter((r) => r.errorCode === ErrorCode.NONE).map((r) => r.memberId)
    if (left.length > 0) {
      const reason = `explicit LeaveGroup request for (${left.join(', ')}) members`
      if (group.is(GroupState.Stable) || group.is(GroupState.CompletingRebalance))
        this.maybePrepareRebalanceOrCompleteJoin(group, reason)
      else if (group.is(GroupState.PreparingRebalance)) this.maybeCompleteJoinPhase(group)
    }
    return this.finish({ errorCode: ErrorCode.NONE, members: results })
  }

  private removeLeavingMember(group: ClassicGroup, memberId: string, reason: string): void {
    const member = group.get(memberId)
    this.ctx.timer.cancel(heartbeatKey(group.groupId, memberId))
    this.log.info(`Member ${memberId} left group ${group.groupId}; client reason: ${reason}`)
    group.completeJoin(member, joinError('', ErrorCode.UNKNOWN_MEMBER_ID))
    group.remove(memberId)
  }

  /** Cancels every timer of a group that is going away. */
  forgetGroup(group: ClassicGroup): void {
    this.ctx.timer.cancel(joinKey(group.groupId))
    this.ctx.timer.cancel(syncKey(group.groupId))
    for (const id of [...group.members.keys(), ...group.pendingMembers])
      this.ctx.timer.cancel(heartbeatKey(group.groupId, id))
  }
}

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
function groupFromRecord(groupId: string, v: GroupMetadataValue): ClassicGroup {
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
