// One partition hosted by this broker: its log with the producer state (unified-log.ts), its
// leader state from the metadata image (leader, leader epoch, ISR), its append queue and the
// fetches waiting for its data.
//
// Appends go through the leader's append queue (append-queue.ts), client batches and transaction
// markers alike; reads for fetches are partition-read.ts's.
//
// High watermark: as leader, the smallest log end over the ISR (leader-isr.ts tracks the
// followers' fetch positions), never moving back; as follower, the leader's high watermark as far
// as this log has it. The last stable offset (read_committed's bound) is the UnifiedLog's: the
// high watermark held back by open and unreplicated transactions.
//
// Waiting fetches register a FetchWaiter here (kept in fetch-waiters.ts); a write that moves the
// high watermark hands them the number of bytes it added (followers' fetches wait for the log end
// instead; read_committed fetches are woken when the last stable offset moves).

import type { Clock } from '../common/clock.ts'
import type { Fs } from '../common/fs.ts'
import type { Uuid } from '../common/ids.ts'
import type { Logger } from '../common/logger.ts'
import type { PartitionImage } from '../metadata/image.ts'
import { ErrorCode } from '../protocol/generated/error-codes.ts'
import { BatchOffsets } from '../records/batch-header.ts'
import { buildControlBatch } from '../records/builder.ts'
import type { Log } from '../storage/log.ts'
import { ListOffsetsTimestamp } from '../storage/log.ts'
import {
  type AppendHost,
  AppendQueue,
  type AppendSink,
  errorOutcome,
  type MarkerOutcome,
} from './append-queue.ts'
import { kafkaErrorOf, leaderEpochError } from './errors.ts'
import { type FetchWaiter, PartitionWaiters } from './fetch-waiters.ts'
import type { FollowerLog } from './fetcher/follower-log.ts'
import { type AckWaiter, type AlterIsr, type LeaderHost, LeaderIsr } from './leader-isr.ts'
import {
  type FetchReadRequest,
  IsolationLevel,
  type PartitionRead,
  PartitionReader,
  type PartitionReadHost,
} from './partition-read.ts'
import type {
  AppendOrigin,
  ProducerStateManager,
  ProducerStateOptions,
} from './producer-state/producer-state-manager.ts'
import type { FollowerView } from './replica-selector.ts'
import { UnifiedLog } from './unified-log.ts'

export type { AppendOutcome, AppendSink, MarkerOutcome } from './append-queue.ts'
export { errorOutcome } from './append-queue.ts'
export type { FetchWaiter } from './fetch-waiters.ts'
export type { FetchReadRequest, PartitionRead } from './partition-read.ts'
export { IsolationLevel, NO_ABORTED_TXNS } from './partition-read.ts'

export interface PartitionParams {
  topic: string
  index: number
  topicId: Uuid
  log: Log
  fs: Fs
  clock: Clock
  logger: Logger
  localBrokerId: number
  state: PartitionImage
  producerState?: ProducerStateOptions
  /** Sends an ISR change to the controller (cluster mode); absent: the ISR never changes here. */
  alterIsr?: AlterIsr | null
}

export type { AlterIsr } from './leader-isr.ts'

export class Partition {
  readonly topic: string
  readonly index: number
  readonly topicId: Uuid
  readonly log: Log
  /** The log with its producer state: every change of either goes through it (unified-log.ts). */
  private readonly ulog: UnifiedLog
  private readonly clock: Clock
  private readonly logger: Logger
  private readonly localBrokerId: number
  private state: PartitionImage
  /** The partition as its parts see it (one per partition, shared by them). */
  private readonly host: LeaderHost & AppendHost & PartitionReadHost
  /** The leader's append queue: the single writer (append-queue.ts). */
  private readonly appends: AppendQueue
  /** Reads for fetches (partition-read.ts). */
  private readonly reads: PartitionReader
  /** The fetches waiting for this partition's data. */
  private readonly fetchWaiters = new PartitionWaiters()
  /** Set when the partition is deleted or the broker stops: no more appends. */
  private closedCode: number | null = null
  private readonly alterIsr: AlterIsr | null
  /** The leader's side (followers, ISR changes, acks=all waiters) while this broker leads. */
  private leading: LeaderIsr | null = null

  private constructor(p: PartitionParams, ulog: UnifiedLog) {
    this.topic = p.topic
    this.index = p.index
    this.topicId = p.topicId
    this.log = p.log
    this.ulog = ulog
    this.clock = p.clock
    this.logger = p.logger
    this.localBrokerId = p.localBrokerId
    this.state = p.state
    this.alterIsr = p.alterIsr ?? null
    this.host = new Partition.Host(this)
    this.appends = new AppendQueue(this.host, ulog)
    this.reads = new PartitionReader(this.host, p.log)
    if (this.isLeader) this.makeLeader()
  }

  /** Opens the partition over its log: producer state from snapshot + log tail, leader state. */
  static async open(p: PartitionParams): Promise<Partition> {
    const ulog = await UnifiedLog.open({
      log: p.log,
      fs: p.fs,
      clock: p.clock,
      logger: p.logger,
      producerState: p.producerState,
    })
    const part = new Partition(p, ulog)
    part.maybeIncrementHighWatermark()
    return part
  }

  get name(): string {
    return `${this.topic}-${this.index}`
  }
  /** The idempotent producers' state (read-only use: it changes through the UnifiedLog). */
  get producers(): ProducerStateManager {
    return this.ulog.producers
  }
  get leaderEpoch(): number {
    return this.state.leaderEpoch
  }
  get leaderId(): number {
    return this.state.leader
  }
  get isLeader(): boolean {
    return this.state.leader === this.localBrokerId
  }
  get inSyncReplicas(): readonly number[] {
    return this.state.isr
  }
  get highWatermark(): bigint {
    return this.log.highWatermark
  }
  /** read_committed's bound: the high watermark held back by unstable transactions. */
  get lastStableOffset(): bigint {
    return this.ulog.lastStableOffset
  }

  /**
   * New partition state from the metadata image. Becoming leader (or a new leader epoch) starts
   * tracking followers afresh; becoming follower fails the acks=all produces still waiting. A
   * state of the same leader epoch with an older partition epoch than this leader already has
   * (an ISR change it made, answered before the metadata caught up) leaves the ISR alone.
   */
  updateState(state: PartitionImage): void {
    const prev = this.state
    const wasLeader = this.isLeader
    const changed = state.leaderEpoch !== prev.leaderEpoch || state.leader !== prev.leader
    if (!changed && state.partitionEpoch < prev.partitionEpoch) return
    this.state = state
    if (this.isLeader) {
      if (!wasLeader || changed) this.makeLeader()
      else this.leading?.stateChanged(prev, state)
    } else if (wasLeader) this.makeFollower()
    this.hwMayMove()
    if (changed) this.wakeAll()
  }

  /** A new leader epoch here: fresh follower state; acks=all waiters carry over. */
  private makeLeader(): void {
    const previous = this.leading
    this.log.assignLeaderEpoch(this.state.leaderEpoch)
    this.leading = new LeaderIsr(this.host, this.alterIsr)
    if (previous !== null) this.leading.adoptAcks(previous)
  }

  private makeFollower(): void {
    this.leading?.failAcks(ErrorCode.NOT_LEADER_OR_FOLLOWER)
    this.leading = null
  }

  /**
   * The view of this partition its parts have (leader side, append queue, reads): a class with
   * getters rather than an object literal with a getter and closures, which V8 keeps as a ~1 KB
   * dictionary per partition. Nested here to reach the partition's private state.
   */
  private static readonly Host = class implements LeaderHost, AppendHost, PartitionReadHost {
    private readonly part: Partition
    constructor(part: Partition) {
      this.part = part
    }
    get name(): string {
      return this.part.name
    }
    get topic(): string {
      return this.part.topic
    }
    get topicId(): Uuid {
      return this.part.topicId
    }
    get index(): number {
      return this.part.index
    }
    get localBrokerId(): number {
      return this.part.localBrokerId
    }
    get log(): Log {
      return this.part.log
    }
    get clock(): Clock {
      return this.part.clock
    }
    get logger(): Logger {
      return this.part.logger
    }
    get state(): PartitionImage {
      return this.part.state
    }
    get isLeader(): boolean {
      return this.part.isLeader
    }
    get leaderEpoch(): number {
      return this.part.state.leaderEpoch
    }
    get lastStableOffset(): bigint {
      return this.part.lastStableOffset
    }
    fetchError(currentLeaderEpoch: number, leaderOnly: boolean): number {
      return this.part.fetchError(currentLeaderEpoch, leaderOnly)
    }
    afterWrite(bytes: number): void {
      this.part.afterWrite(bytes)
    }
    commitIsr(state: PartitionImage): void {
      this.part.state = state
      this.part.hwMayMove()
    }
    followersMoved(): void {
      this.part.hwMayMove()
    }
  }

  /** The high watermark may move: consumers and acks=all waiters hear of it. */
  private hwMayMove(): void {
    if (this.maybeIncrementHighWatermark()) this.deliverVisible()
    else this.leading?.completeAcks()
  }

  // --- replication: the leader's side (leader-isr.ts) ---

  /** A follower fetched from `fetchOffset` (its log end) while this log ended at `leaderLeo`. */
  onFollowerFetch(
    replicaId: number,
    fetchOffset: bigint,
    logStartOffset: bigint,
    brokerEpoch: bigint,
    leaderLeo: bigint,
  ): void {
    if (this.isLeader)
      this.leading?.onFollowerFetch(replicaId, fetchOffset, logStartOffset, brokerEpoch, leaderLeo)
  }

  /** Drops ISR members that were not caught up for `maxLagMs` (replica.lag.time.max.ms). */
  maybeShrinkIsr(now: number, maxLagMs: number): void {
    if (this.isLeader) this.leading?.maybeShrinkIsr(now, maxLagMs)
  }

  /**
   * Answers `w` once the high watermark reached its offset (an acks=all produce): NONE, or
   * NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR is then smaller than its minIsr, or
   * NOT_LEADER_OR_FOLLOWER when leadership moved first; possibly before this returns.
   */
  waitForAcks(w: AckWaiter): void {
    if (!this.isLeader || this.closedCode !== null || this.leading === null)
      w.done(this.closedCode ?? ErrorCode.NOT_LEADER_OR_FOLLOWER)
    else this.leading.waitForAcks(w)
  }

  /** Drops a waiter that gave up (the request timed out). */
  cancelAcks(w: AckWaiter): void {
    this.leading?.cancelAcks(w)
  }

  /** Followers' lag behind this leader's log end, for DescribeLogDirs; empty when following. */
  followerLags(): Map<number, bigint> {
    return this.leading?.followerLags() ?? new Map()
  }

  // --- replication: the follower's side (replica fetcher, fetcher/follower-log.ts) ---

  /** The fetcher's view of this partition while this broker follows it. */
  followerLog(): FollowerLog {
    return {
      topic: this.topic,
      topicId: this.topicId,
      partition: this.index,
      logEndOffset: () => this.log.logEndOffset,
      logStartOffset: () => this.log.logStartOffset,
      latestEpoch: () => this.log.epochCache.latestEpoch,
      endOffsetForEpoch: (epoch) => this.log.endOffsetForEpoch(epoch),
      appendAsFollower: (records, hw, logStart) => this.appendAsFollower(records, hw, logStart),
      truncateTo: (offset) => this.truncateTo(offset),
      truncateFullyAndStartAt: (offset) => this.truncateFullyAndStartAt(offset),
    }
  }

  /**
   * Appends batches fetched from the leader (offsets and epochs kept), replays their headers into
   * the producer state (so an idempotent producer resumes here after a failover), then takes the
   * leader's high watermark and log start as far as this log has them.
   */
  async appendAsFollower(
    records: Buffer,
    leaderHighWatermark: bigint,
    leaderLogStartOffset: bigint,
  ): Promise<void> {
    if (this.closedCode !== null || this.isLeader) return
    // A log restarted at the leader's log start can begin inside a batch (DeleteRecords moved it
    // there): an empty log restarts at that batch's base offset, so the whole batch fits. So does
    // a log that ends at or below the leader's log start, inside a batch there: what it holds is
    // gone from the leader, and may be an old leader's divergent tail that the leader's epoch
    // cache, cut at its log start, can no longer point out.
    const end = this.log.logEndOffset
    if (records.length >= 61 && (end === this.log.logStartOffset || end <= leaderLogStartOffset)) {
      const base = records.readBigInt64BE(0)
      const last = base + BigInt(records.readInt32BE(BatchOffsets.lastOffsetDelta))
      if (base < end && last >= end) await this.truncateFullyAndStartAt(base)
    }
    const res = await this.ulog.appendAsFollower(records)
    this.fetchWaiters.writtenAsFollower(res.bytes)
    const leo = this.log.logEndOffset
    const hwBefore = this.log.highWatermark
    this.log.updateHighWatermark(leaderHighWatermark < leo ? leaderHighWatermark : leo)
    // Consumers reading from this follower (KIP-392) wait for its high watermark.
    if (this.log.highWatermark > hwBefore) this.deliverVisible()
    if (leaderLogStartOffset > this.log.logStartOffset) {
      const hw = this.log.highWatermark
      await this.ulog.maybeIncrementLogStartOffset(leaderLogStartOffset < hw ? leaderLogStartOffset : hw)
    }
  }

  /**
   * Truncates to `offset` (a divergence with the leader), producer state included. Below this
   * follower's high watermark (what the leader said was committed, as far as this log had it)
   * only an unclean election can send it: said loudly, as it drops acknowledged records.
   */
  async truncateTo(offset: bigint): Promise<void> {
    const hw = this.log.highWatermark
    if (offset < hw)
      this.logger.error(
        `Truncating ${this.name} to ${offset}, below its high watermark ${hw} (leader ${this.state.leader}, epoch ${this.state.leaderEpoch}): committed records are dropped, which only an unclean leader election may do`,
      )
    if (await this.ulog.truncateTo(offset))
      this.logger.info(`Truncated ${this.name} to ${this.log.logEndOffset}`)
  }

  /** Empties the log and restarts it at `offset` (the leader's log start is past ours). */
  async truncateFullyAndStartAt(offset: bigint): Promise<void> {
    await this.ulog.truncateFullyAndStartAt(offset)
    this.logger.info(`Truncated ${this.name} fully; it restarts at ${offset}`)
  }

  /** Error for requests that need the leader, NONE when this broker leads the partition. */
  leaderError(currentLeaderEpoch = -1): number {
    if (this.closedCode !== null) return this.closedCode
    if (!this.isLeader) return ErrorCode.NOT_LEADER_OR_FOLLOWER
    if (this.log.isOffline) return ErrorCode.KAFKA_STORAGE_ERROR
    return leaderEpochError(currentLeaderEpoch, this.state.leaderEpoch)
  }

  // --- append ---

  /**
   * Queues one validated client batch (exactly one v2 batch, see produce-validation.ts); the
   * sink gets its outcome once it is written, found to be a duplicate, or refused (possibly
   * before this returns).
   */
  append(
    buf: Buffer,
    sink: AppendSink,
    slot: number,
    origin: AppendOrigin = 'client',
    guard?: object | null,
  ): void {
    const code = this.leaderError()
    if (code !== ErrorCode.NONE) {
      sink.complete(slot, errorOutcome(code))
      return
    }
    this.appends.append(buf, sink, slot, origin, guard)
  }

  /**
   * KIP-890: null when the producer's transaction at this epoch is already open here (no need to
   * ask its coordinator), else the guard to append the verified batch with (txn-verification.ts).
   */
  txnVerificationGuard(producerId: bigint, epoch: number): object | null {
    const producers = this.ulog.producers
    if (producers.hasOngoingTxn(producerId, epoch)) return null
    return producers.startVerification(producerId, epoch, this.clock.now())
  }

  /**
   * Writes a transaction marker as leader (txn-markers.ts waits for the ISR afterwards): refused
   * with INVALID_PRODUCER_EPOCH / TRANSACTION_COORDINATOR_FENCED by the producer state, or when
   * this broker cannot write here.
   */
  appendTxnMarker(
    producerId: bigint,
    producerEpoch: number,
    coordinatorEpoch: number,
    commit: boolean,
  ): Promise<MarkerOutcome> {
    const code = this.leaderError()
    if (code !== ErrorCode.NONE) return Promise.resolve({ errorCode: code, markerOffset: -1n })
    const buf = buildControlBatch(commit ? 'commit' : 'abort', producerId, producerEpoch, coordinatorEpoch, {
      timestamp: this.clock.now(),
    })
    return this.appends.appendMarker(buf, producerId, producerEpoch, coordinatorEpoch, commit)
  }

  /** After a write: followers woken, high watermark, consumers. */
  private afterWrite(bytes: number): void {
    this.fetchWaiters.written(bytes)
    if (this.maybeIncrementHighWatermark()) this.deliverVisible()
  }

  /** The high watermark moved: waiting fetches and acks=all produces hear of it. */
  private deliverVisible(): void {
    this.fetchWaiters.deliver(this.log.highWatermark, this.lastStableOffset)
    this.leading?.completeAcks()
  }

  /**
   * As leader: the high watermark is the smallest log end over the maximal ISR (the log end when
   * this broker is alone in it). Never moves back; false while a member's log end is unknown.
   */
  private maybeIncrementHighWatermark(): boolean {
    if (!this.isLeader) return false
    const leo = this.log.logEndOffset
    const hw = this.leading === null ? leo : this.leading.highWatermark(leo)
    if (hw === null) return false
    return this.log.maybeIncrementHighWatermark(hw)
  }

  // --- reads ---

  /** Whole batches from `fetchOffset` for a fetch (partition-read.ts); `o` is not kept. */
  readForFetch(o: FetchReadRequest): PartitionRead | Promise<PartitionRead> {
    return this.reads.readForFetch(o)
  }

  /**
   * Why this replica cannot serve a fetch, in Kafka's order (Partition.getLocalLog): the client's
   * leader epoch first (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH, on followers too), then
   * leadership when only the leader may serve, then the log.
   */
  fetchError(currentLeaderEpoch: number, leaderOnly: boolean): number {
    if (this.closedCode !== null) return this.closedCode
    const epoch = leaderEpochError(currentLeaderEpoch, this.state.leaderEpoch)
    if (epoch !== ErrorCode.NONE) return epoch
    if (leaderOnly && !this.isLeader) return ErrorCode.NOT_LEADER_OR_FOLLOWER
    if (this.log.isOffline) return ErrorCode.KAFKA_STORAGE_ERROR
    return ErrorCode.NONE
  }

  /** The offsets of a fetch answer without reading (partition-read.ts). */
  offsetSnapshot(currentLeaderEpoch: number): PartitionRead {
    return this.reads.offsetSnapshot(currentLeaderEpoch)
  }

  /**
   * While leading: the followers as tracked from their fetches, for choosing a preferred read
   * replica (replica-selector.ts). Their log start and last caught-up time are not exposed by the
   * tracker: reported as unknown (-1) and 0.
   */
  followerViews(): FollowerView[] {
    return this.isLeader ? (this.leading?.followerViews() ?? []) : []
  }

  /**
   * A follower's fetch waits for the log end to move, a consumer's for the high watermark, a
   * read_committed consumer's for the last stable offset.
   */
  registerWaiter(w: FetchWaiter, follower = false, committed = false): void {
    this.fetchWaiters.register(w, follower, committed)
  }
  unregisterWaiter(w: FetchWaiter): void {
    this.fetchWaiters.unregister(w)
  }
  private wakeAll(): void {
    this.fetchWaiters.wakeAll()
  }

  /** What a fetch of this kind can read up to now (to tell whether a write raced a read). */
  readBound(follower: boolean, committed = false): bigint {
    return follower ? this.log.logEndOffset : committed ? this.lastStableOffset : this.log.highWatermark
  }

  // --- offsets ---

  /**
   * ListOffsets for one partition, as Kafka's Partition.fetchOffsetForTimestamp: latest is the
   * high watermark (read_uncommitted), the last stable offset (read_committed) or the log end
   * (followers, isolationLevel null); lookups by timestamp only find offsets below that bound.
   */
  async offsetForTimestamp(
    timestamp: bigint,
    isolationLevel: number | null,
    currentLeaderEpoch: number,
  ): Promise<{ errorCode: number; timestamp: bigint; offset: bigint; leaderEpoch: number }> {
    const code = this.leaderError(currentLeaderEpoch)
    if (code !== ErrorCode.NONE) return { errorCode: code, timestamp: -1n, offset: -1n, leaderEpoch: -1 }
    const bound =
      isolationLevel === null
        ? this.log.logEndOffset
        : isolationLevel === IsolationLevel.readCommitted
          ? this.lastStableOffset
          : this.log.highWatermark
    const none = { errorCode: ErrorCode.NONE, timestamp: -1n, offset: -1n, leaderEpoch: -1 }
    if (timestamp === ListOffsetsTimestamp.latest) {
      return { errorCode: ErrorCode.NONE, timestamp: -1n, offset: bound, leaderEpoch: this.state.leaderEpoch }
    }
    // -5 (latest tiered offset): no tiered storage here, so there is none.
    if (timestamp === -5n) return none
    try {
      const found = await this.log.offsetForTimestamp(timestamp)
      if (found === null) return none
      const always =
        timestamp === ListOffsetsTimestamp.earliest || timestamp === ListOffsetsTimestamp.earliestLocal
      if (!always && found.offset >= bound) return none
      return { errorCode: ErrorCode.NONE, ...found }
    } catch (err) {
      return { errorCode: kafkaErrorOf(err), timestamp: -1n, offset: -1n, leaderEpoch: -1 }
    }
  }

  /** OffsetForLeaderEpoch: the end offset of `epoch` in this log. */
  endOffsetForEpoch(
    epoch: number,
    currentLeaderEpoch: number,
  ): { errorCode: number; leaderEpoch: number; endOffset: bigint } {
    const code = this.leaderError(currentLeaderEpoch)
    if (code !== ErrorCode.NONE) return { errorCode: code, leaderEpoch: -1, endOffset: -1n }
    const r = this.log.endOffsetForEpoch(epoch)
    return { errorCode: ErrorCode.NONE, leaderEpoch: r.epoch, endOffset: r.endOffset }
  }

  /**
   * DeleteRecords: moves the log start to `offset` (-1: the high watermark). Refused past the
   * high watermark (OFFSET_OUT_OF_RANGE) and on compact-only topics (POLICY_VIOLATION).
   */
  async deleteRecordsBefore(offset: bigint): Promise<{ errorCode: number; lowWatermark: bigint }> {
    const code = this.leaderError()
    if (code !== ErrorCode.NONE) return { errorCode: code, lowWatermark: -1n }
    if (this.log.config.cleanupPolicy === 'compact') {
      return { errorCode: ErrorCode.POLICY_VIOLATION, lowWatermark: -1n }
    }
    const target = offset === -1n ? this.log.highWatermark : offset
    if (target < 0n || target > this.log.highWatermark) {
      return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, lowWatermark: -1n }
    }
    try {
      await this.ulog.maybeIncrementLogStartOffset(target)
    } catch (err) {
      return { errorCode: kafkaErrorOf(err), lowWatermark: -1n }
    }
    return { errorCode: ErrorCode.NONE, lowWatermark: this.log.logStartOffset }
  }

  // --- lifecycle ---

  /** Resolves once every queued append has been answered. */
  idle(): Promise<void> {
    return this.appends.idle()
  }

  /**
   * Stops taking appends (they get `code`), lets queued ones finish, wakes waiting fetches, and
   * with `snapshot` writes a producer snapshot at the log end (clean shutdown).
   */
  async close(code: number, snapshot: boolean): Promise<void> {
    this.closedCode = code
    await this.idle()
    this.leading?.failAcks(code)
    this.wakeAll()
    await this.ulog.close(snapshot)
  }

  /** Periodic upkeep: expire idle producers, follow the log start moved by retention. */
  maintain(now: number): void {
    this.ulog.maintain(now)
  }
}
