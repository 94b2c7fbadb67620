// One partition hosted by this broker: its log with the producer state (unified-log.ts), its
// leader state from the metadata image (leader, leader epoch, ISR), its append queue and the
// fetches waiting for its data.
//
// Appends: the single writer. Client appends are queued; whenever the previous write finished,
// everything queued since is checked against the producer state in arrival order and written with
// one append (one write, several batches), then each caller gets its own offsets. The producer
// state changes only after the write succeeded.
//
// High watermark: as leader, the smallest log end over the ISR (leader-isr.ts tracks the
// followers' fetch positions), never moving back; as follower, the leader's high watermark as far
// as this log has it. The last stable offset (read_committed's bound) is the UnifiedLog's: the
// high watermark held back by open and unreplicated transactions.
//
// Transaction markers (WriteTxnMarkers, txn-markers.ts) go through the same append queue as client
// batches: checked against the producer state (epochs, coordinator epoch), written, committed.
//
// Waiting fetches register a FetchWaiter here (kept in fetch-waiters.ts); a write that moves the
// high watermark hands them the number of bytes it added (followers' fetches wait for the log end
// instead; read_committed fetches are woken when the last stable offset moves).

import type { Clock } from '../common/clock.ts'
import type { Fs } from '../common/fs.ts'
import type { ProducerId, Uuid } from '../common/ids.ts'
import type { Logger } from '../common/logger.ts'
import type { PartitionImage } from '../metadata/image.ts'
import { ErrorCode } from '../protocol/generated/error-codes.ts'
import { Attr, BatchOffsets } from '../records/batch-header.ts'
import { buildControlBatch } from '../records/builder.ts'
import { abortedTxnsOverlapping } from '../storage/aborted-txns.ts'
import type { Log } from '../storage/log.ts'
import { ListOffsetsTimestamp } from '../storage/log.ts'
import { kafkaErrorOf, leaderEpochError } from './errors.ts'
import { type FetchWaiter, PartitionWaiters } from './fetch-waiters.ts'
import type { FollowerLog } from './fetcher/follower-log.ts'
import { type AckWaiter, type AlterIsr, type LeaderHost, LeaderIsr } from './leader-isr.ts'
import type { BatchMetadata } from './producer-state/producer-entry.ts'
import type {
  AppendOrigin,
  ProducerStateManager,
  ProducerStateOptions,
  StagedMarker,
} from './producer-state/producer-state-manager.ts'
import type { FollowerView } from './replica-selector.ts'
import { UnifiedLog } from './unified-log.ts'

export const IsolationLevel = { readUncommitted: 0, readCommitted: 1 } as const

const NO_RECORDS = Buffer.alloc(0)

/** The answer to one partition of a produce. */
export interface AppendOutcome {
  errorCode: number
  baseOffset: bigint
  logAppendTimeMs: bigint
  logStartOffset: bigint
  errorMessage: string | null
  recordErrors?: { batchIndex: number; message: string | null }[]
  /** The offset after the batch written (acks=all waits for the high watermark to reach it). */
  nextOffset?: bigint
}

/**
 * Receives the outcomes of the appends of one request: `slot` says which partition of it. One
 * object per request rather than a callback per batch.
 */
export interface AppendSink {
  complete(slot: number, outcome: AppendOutcome): void
}

export type { FetchWaiter } from './fetch-waiters.ts'

interface PendingAppend {
  buf: Buffer
  producerId: bigint
  sink: AppendSink
  slot: number
  /** Set during the write: where the batch went in the producer state. */
  meta: BatchMetadata | null
  /** Set when the batch duplicates an earlier one. */
  duplicate: BatchMetadata | null
  outcome: AppendOutcome | null
  /** A transaction marker (buf is its control batch); staged during the write. */
  marker?: { epoch: number; coordinatorEpoch: number; commit: boolean; staged: StagedMarker | null }
  /** 'coordinator': a coordinator's write to its internal topic (no sequence checks). */
  origin?: AppendOrigin
  /** KIP-890: the verification guard of a transactional batch (txn-verification.ts). */
  guard?: object | null
}

/** The outcome of writing one transaction marker. */
export interface MarkerOutcome {
  errorCode: number
  /** The marker's offset (acks=all waits for the high watermark to pass it); -1n on error. */
  markerOffset: bigint
}

/**
 * One partition's answer to a fetch. Made fresh by every read: fetch-reader.ts completes it in
 * place (preferred replica, aborted transactions) and hands it on as the fetch's answer.
 */
export interface PartitionRead {
  errorCode: number
  /** Whole batches (empty when none). */
  records: Buffer
  sizeInBytes: number
  highWatermark: bigint
  lastStableOffset: bigint
  logStartOffset: bigint
  /** Set when the fetcher's lastFetchedEpoch diverges from this log (KIP-320). */
  divergingEpoch: { epoch: number; endOffset: bigint } | null
  /** read_committed: the aborted transactions overlapping the records returned; else null. */
  abortedTransactions: readonly { producerId: ProducerId; firstOffset: bigint }[] | null
  /** KIP-392: where the consumer should fetch from instead; -1: here. Set by the fetch reader. */
  preferredReadReplica: number
}

/** What a fetch asks of one partition's log (readForFetch reads it before returning). */
export interface FetchReadRequest {
  fetchOffset: bigint
  maxBytes: number
  minOneBatch: boolean
  isolationLevel: number
  isFollower: boolean
  currentLeaderEpoch: number
  lastFetchedEpoch: number
  /**
   * Only the leader may serve this fetch (default): followers' fetches, and consumers' without
   * client metadata (Fetch below v11). A consumer's v11+ fetch may read from a follower (KIP-392).
   */
  leaderOnly?: boolean
}

/** No aborted transaction (shared: never written to). */
export const NO_ABORTED_TXNS: readonly { producerId: ProducerId; firstOffset: bigint }[] = Object.freeze([])

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

export function errorOutcome(errorCode: number, errorMessage: string | null = null): AppendOutcome {
  return { errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, errorMessage }
}

/** The empty append queue of every idle partition (frozen: nothing may push to it). */
const NO_APPENDS: PendingAppend[] = Object.freeze([]) as unknown as PendingAppend[]

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
  /** NO_APPENDS (shared) while empty: an idle partition carries no array of its own. */
  private queue: PendingAppend[] = NO_APPENDS
  private draining: Promise<void> | null = null
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
    this.leading = new LeaderIsr(this.leaderHost(), this.alterIsr)
    if (previous !== null) this.leading.adoptAcks(previous)
  }

  private makeFollower(): void {
    this.leading?.failAcks(ErrorCode.NOT_LEADER_OR_FOLLOWER)
    this.leading = null
  }

  private leaderHost(): LeaderHost {
    return new Partition.Host(this)
  }

  /**
   * The leader side's view of this partition: a class with getters rather than an object literal
   * with a getter and closures, which V8 keeps as a ~1 KB dictionary per partition. Nested here
   * to reach the partition's private state.
   */
  private static readonly Host = class implements LeaderHost {
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
    const noPid = buf.readInt32BE(BatchOffsets.producerId) === -1 && buf.readInt32BE(47) === -1
    if (this.queue === NO_APPENDS) this.queue = []
    this.queue.push({
      buf,
      producerId: noPid ? -1n : buf.readBigInt64BE(BatchOffsets.producerId),
      sink,
      slot,
      meta: null,
      duplicate: null,
      outcome: null,
      origin,
      guard,
    })
    // Started after the current synchronous work: requests dispatched from the same socket read
    // join the first write.
    this.draining ??= Promise.resolve().then(() => this.drain())
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
    return new Promise((resolve) => {
      const sink: AppendSink = {
        complete: (_slot, o) =>
          resolve({
            errorCode: o.errorCode,
            markerOffset: o.errorCode === ErrorCode.NONE ? o.baseOffset : -1n,
          }),
      }
      if (this.queue === NO_APPENDS) this.queue = []
      this.queue.push({
        buf,
        producerId,
        sink,
        slot: 0,
        meta: null,
        duplicate: null,
        outcome: null,
        marker: { epoch: producerEpoch, coordinatorEpoch, commit, staged: null },
      })
      this.draining ??= Promise.resolve().then(() => this.drain())
    })
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const group = this.queue
        this.queue = NO_APPENDS
        await this.writeGroup(group)
      }
    } finally {
      this.draining = null
    }
  }

  private async writeGroup(group: PendingAppend[]): Promise<void> {
    // Appends queued before close() still go in; leadership or the log may have gone meanwhile.
    const refused = !this.isLeader
      ? ErrorCode.NOT_LEADER_OR_FOLLOWER
      : this.log.isOffline
        ? ErrorCode.KAFKA_STORAGE_ERROR
        : ErrorCode.NONE
    if (refused !== ErrorCode.NONE) {
      for (const p of group) p.sink.complete(p.slot, errorOutcome(refused))
      return
    }
    const update = this.ulog.beginProducerUpdate()
    const bufs: Buffer[] = []
    for (const p of group) {
      if (p.marker !== undefined) {
        const m = p.marker
        const c = update.checkMarker(p.producerId, m.epoch, m.coordinatorEpoch, m.commit)
        if (c.kind === 'error') {
          p.outcome = errorOutcome(c.errorCode, c.message)
          continue
        }
        m.staged = c.marker
      } else if (p.producerId >= 0n) {
        const b = p.buf
        const c = update.check(
          p.producerId,
          b.readInt16BE(BatchOffsets.producerEpoch),
          b.readInt32BE(BatchOffsets.baseSequence),
          b.readInt32BE(BatchOffsets.lastOffsetDelta),
          (b.readInt16BE(BatchOffsets.attributes) & Attr.transactional) !== 0,
          p.origin,
          p.guard,
        )
        if (c.kind === 'error') {
          p.outcome = errorOutcome(c.errorCode, c.message)
          continue
        }
        if (c.kind === 'duplicate') {
          p.duplicate = c.meta
          continue
        }
        p.meta = c.meta
      }
      bufs.push(p.buf)
    }
    let failure: AppendOutcome | null = null
    let appendTime = -1n
    if (bufs.length > 0) {
      try {
        const res = await this.ulog.appendAsLeader(bufs, this.state.leaderEpoch, update, () => {
          for (const p of group) {
            if (p.marker?.staged != null)
              p.marker.staged.lastOffset = p.buf.readBigInt64BE(BatchOffsets.baseOffset)
            if (p.meta === null) continue
            const base = p.buf.readBigInt64BE(BatchOffsets.baseOffset)
            p.meta.firstOffset = base
            p.meta.lastOffset = base + BigInt(p.buf.readInt32BE(BatchOffsets.lastOffsetDelta))
            p.meta.timestamp = p.buf.readBigInt64BE(BatchOffsets.maxTimestamp)
          }
        })
        appendTime = res.logAppendTime
        this.afterWrite(res.bytes)
      } catch (err) {
        const code = kafkaErrorOf(err)
        if (code === ErrorCode.UNKNOWN_SERVER_ERROR) this.logger.error(`append to ${this.name} failed`, err)
        failure = errorOutcome(code, err instanceof Error ? err.message : String(err))
      }
    }
    for (const p of group) p.sink.complete(p.slot, this.outcomeOf(p, failure, appendTime))
  }

  private outcomeOf(p: PendingAppend, failure: AppendOutcome | null, appendTime: bigint): AppendOutcome {
    if (p.outcome !== null) return p.outcome
    if (p.duplicate !== null) {
      const d = p.duplicate
      if (d.firstOffset < 0n) return failure ?? errorOutcome(ErrorCode.UNKNOWN_SERVER_ERROR)
      const logAppendTime = this.log.config.messageTimestampType === 'LogAppendTime'
      return {
        errorCode: ErrorCode.NONE,
        baseOffset: d.firstOffset,
        logAppendTimeMs: logAppendTime ? d.timestamp : -1n,
        logStartOffset: this.log.logStartOffset,
        errorMessage: null,
        nextOffset: d.lastOffset + 1n,
      }
    }
    if (failure !== null) return failure
    const baseOffset = p.buf.readBigInt64BE(BatchOffsets.baseOffset)
    return {
      errorCode: ErrorCode.NONE,
      baseOffset,
      logAppendTimeMs: appendTime,
      logStartOffset: this.log.logStartOffset,
      errorMessage: null,
      nextOffset: baseOffset + BigInt(p.buf.readInt32BE(BatchOffsets.lastOffsetDelta)) + 1n,
    }
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

  /**
   * Whole batches from `fetchOffset` for a fetch, read in one positional read per segment touched
   * (Log.readRecords). Consumers read below the high watermark (read_uncommitted) or the last
   * stable offset (read_committed); followers up to the log end. Synchronous when there is nothing
   * to read (an error, a diverging epoch, a reader already at its bound: what a waiting fetch
   * finds), a promise only when the log is read. `o` is not kept: a caller may reuse it.
   */
  readForFetch(o: FetchReadRequest): PartitionRead | Promise<PartitionRead> {
    const code = this.fetchError(o.currentLeaderEpoch, o.leaderOnly ?? true)
    if (code !== ErrorCode.NONE) return emptyRead(code)
    const fetchOffset = o.fetchOffset
    const log = this.log
    if (o.lastFetchedEpoch >= 0) {
      const end = log.endOffsetForEpoch(o.lastFetchedEpoch)
      if (end.epoch < o.lastFetchedEpoch || end.endOffset < fetchOffset) {
        const read = this.emptyReadHere()
        read.divergingEpoch = { epoch: end.epoch, endOffset: end.endOffset }
        return read
      }
    }
    const committed = !o.isFollower && o.isolationLevel === IsolationLevel.readCommitted
    const lso = this.lastStableOffset
    const leo = log.logEndOffset
    const maxOffset = o.isFollower ? leo : committed ? lso : log.highWatermark
    if (fetchOffset >= maxOffset && fetchOffset <= leo && fetchOffset >= log.logStartOffset) {
      // Nothing to read yet: what the log's read would answer, without its promises and objects.
      const read = this.emptyReadHere(lso)
      if (committed) read.abortedTransactions = NO_ABORTED_TXNS
      return read
    }
    return this.readLog(
      fetchOffset,
      o.maxBytes,
      o.minOneBatch,
      o.isFollower ? undefined : maxOffset,
      committed,
      lso,
    )
  }

  private async readLog(
    fetchOffset: bigint,
    maxBytes: number,
    minOneBatch: boolean,
    maxOffset: bigint | undefined,
    committed: boolean,
    lso: bigint,
  ): Promise<PartitionRead> {
    try {
      const r = await this.log.readRecords(fetchOffset, maxBytes, { maxOffset, minOneBatch })
      const read: PartitionRead = {
        errorCode: ErrorCode.NONE,
        records: r.records,
        sizeInBytes: r.sizeInBytes,
        highWatermark: r.highWatermark,
        lastStableOffset: lso,
        logStartOffset: r.logStartOffset,
        divergingEpoch: null,
        abortedTransactions: null,
        preferredReadReplica: -1,
      }
      if (committed) {
        const found = await abortedTxnsOverlapping(this.log.segmentList, fetchOffset, r.records)
        read.abortedTransactions =
          found.length === 0
            ? NO_ABORTED_TXNS
            : found.map((t) => ({ producerId: t.producerId as ProducerId, firstOffset: t.firstOffset }))
      }
      return read
    } catch (err) {
      const c = kafkaErrorOf(err)
      if (c === ErrorCode.UNKNOWN_SERVER_ERROR) this.logger.error(`read of ${this.name} failed`, err)
      return emptyRead(c)
    }
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

  /**
   * The offsets of a fetch answer without reading (Kafka's fetchOffsetSnapshot, not leader-only):
   * what the leader sends with a preferred read replica.
   */
  offsetSnapshot(currentLeaderEpoch: number): PartitionRead {
    const code = this.fetchError(currentLeaderEpoch, false)
    return code !== ErrorCode.NONE ? emptyRead(code) : this.emptyReadHere()
  }

  /**
   * While leading: the followers as tracked from their fetches, for choosing a preferred read
   * replica (replica-selector.ts). Their log start and last caught-up time are not exposed by the
   * tracker: reported as unknown (-1) and 0.
   */
  followerViews(): FollowerView[] {
    return this.isLeader ? (this.leading?.followerViews() ?? []) : []
  }

  private emptyReadHere(lso: bigint = this.lastStableOffset): PartitionRead {
    return {
      errorCode: ErrorCode.NONE,
      records: NO_RECORDS,
      sizeInBytes: 0,
      highWatermark: this.log.highWatermark,
      lastStableOffset: lso,
      logStartOffset: this.log.logStartOffset,
      divergingEpoch: null,
      abortedTransactions: null,
      preferredReadReplica: -1,
    }
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
  async idle(): Promise<void> {
    while (this.draining !== null) await this.draining
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

function emptyRead(errorCode: number): PartitionRead {
  return {
    errorCode,
    records: NO_RECORDS,
    sizeInBytes: 0,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    divergingEpoch: null,
    abortedTransactions: null,
    preferredReadReplica: -1,
  }
}
