// The group coordinator's state machine for one __consumer_offsets partition: the classic groups
// coordinated there and their committed offsets. This file holds the shard itself (the records
// and hooks of the current operation, replay, loading and unloading) and the entry points of the
// classic membership protocol, whose rules are in classic-join.ts (JoinGroup),
// classic-sync-leave.ts (SyncGroup, Heartbeat, LeaveGroup) and classic-rebalance.ts (rebalances
// and the timers behind them); offsets and admin operations are in offset-ops.ts and
// admin-ops.ts. The KIP-848 consumer groups of the partition live beside the classic ones
// (consumerGroups; their logic is in consumer/).
//
// Every public operation runs synchronously (the runtime's single writer) and returns the records
// it produced plus the answer. Which changes are persisted is Kafka's choice: the group metadata
// record (members, generation, assignments) is written when the leader's assignment arrives, when
// a static member is replaced in a stable group, and when the group becomes empty; joining,
// rebalancing and heartbeats live only in memory. Those group changes are applied by the
// operation itself; committed records are then replayed, which for a live group only matters for
// offsets and tombstones (replayGroupRecord ignores a group value it already holds).

import type { Logger } from '../../common/logger.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import type { CoordinatorRecord } from '../runtime/coordinator-log.ts'
import type { CoordinatorResult, CoordinatorShard, ShardContext } from '../runtime/coordinator-runtime.ts'
import {
  ClassicGroup,
  type ClassicMember,
  GroupState,
  type JoinResult,
  joinError,
  type SyncResult,
  syncError,
} from './classic-group.ts'
import { groupFromRecord } from './classic-group-record.ts'
import type { JoinParams } from './classic-join.ts'
import * as join from './classic-join.ts'
import * as rebalance from './classic-rebalance.ts'
import type { LeaveResult, LeavingMember, SyncParams } from './classic-sync-leave.ts'
import * as syncLeave from './classic-sync-leave.ts'
import type { ConsumerGroup } from './consumer/consumer-group.ts'
import { MemberState } from './consumer/consumer-group.ts'
import {
  EMPTY_TOPICS,
  scheduleRebalance,
  scheduleSession,
  type TopicsView,
} from './consumer/consumer-membership.ts'
import { applyConsumerRecord, decodeConsumerKey, isConsumerKeyVersion } from './consumer/consumer-records.ts'
import type { GroupConfig } from './group-config.ts'
import { cleanupGroupMetadata } from './offset-ops.ts'
import { OffsetStore } from './offset-store.ts'
import { decodeGroupValue, decodeKey, decodeOffsetValue } from './records.ts'
import { PendingTxnOffsets } from './txn-offsets.ts'

export type { JoinParams } from './classic-join.ts'
export type { LeaveResult, LeavingMember, SyncParams } from './classic-sync-leave.ts'

export const EXPIRATION_KEY = 'expire-offsets'

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

  // ----- the classic membership protocol (classic-join.ts, classic-sync-leave.ts) -----

  joinGroup(p: JoinParams): CoordinatorResult<JoinResult> {
    return join.joinGroup(this, p)
  }

  syncGroup(p: SyncParams): CoordinatorResult<SyncResult> {
    return syncLeave.syncGroup(this, p)
  }

  heartbeat(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): number {
    return syncLeave.heartbeat(this, groupId, memberId, groupInstanceId, generationId)
  }

  leaveGroup(groupId: string, leaving: readonly LeavingMember[]): CoordinatorResult<LeaveResult> {
    return syncLeave.leaveGroup(this, groupId, leaving)
  }

  // ----- rebalancing and sessions (classic-rebalance.ts) -----

  maybePrepareRebalanceOrCompleteJoin(group: ClassicGroup, reason: string): void {
    rebalance.maybePrepareRebalanceOrCompleteJoin(this, group, reason)
  }

  prepareRebalance(group: ClassicGroup, reason: string): void {
    rebalance.prepareRebalance(this, group, reason)
  }

  completeJoin(group: ClassicGroup): void {
    rebalance.completeJoin(this, group)
  }

  rescheduleHeartbeat(group: ClassicGroup, member: ClassicMember, timeoutMs = member.sessionTimeoutMs): void {
    rebalance.rescheduleHeartbeat(this, group, member, timeoutMs)
  }

  /** Cancels every timer of a group that is going away. */
  forgetGroup(group: ClassicGroup): void {
    rebalance.forgetGroup(this, group)
  }
}
