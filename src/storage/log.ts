// One partition's log: an ordered list of segments, the last one active, plus the offsets that
// describe it:
//
//   logStartOffset <= highWatermark <= logEndOffset        recoveryPoint <= logEndOffset
//
// - logEndOffset (LEO): the offset the next record gets.
// - highWatermark: set by replication (on a single node: the LEO once a write is acknowledged);
//   consumers read below it.
// - logStartOffset: the first readable offset (raised by retention and DeleteRecords).
// - recoveryPoint: everything below it is fsynced; recovery after a crash starts at its segment.
//
// A single writer: appends, rolls, truncation, retention and compaction swaps run one at a time
// through a queue. Readers take snapshots (the segment list, the committed size of the active
// segment, the LEO) and never wait for the writer. A batch becomes visible when its write has
// completed and the LEO moved past it.
//
// Any I/O failure while changing the log marks it offline (every later call throws LogOffline),
// as Kafka takes a failing log dir offline; reopening the log runs recovery. One exception: an
// append refused by a full disk (ENOSPC) before any of it was committed is undone and throws
// NoSpace, and the log stays online, so writes resume by themselves once space returns (Kafka
// would take the dir offline, and halt a broker whose only dir it is).
//
// This file holds the public API, the writer queue and the failure rules; the work is done by
// parts sharing the log's state (log-state.ts): log-append.ts, log-roll.ts, log-flush.ts,
// log-truncation.ts, retired-segments.ts, log-read.ts.

import type { Clock } from '../common/clock.ts'
import type { Fs } from '../common/fs.ts'
import type { Uuid } from '../common/ids.ts'
import {
  assignLeaderOffsets,
  checkFollowerBatches,
  checkLeaderBatches,
  parseIncoming,
} from './append-input.ts'
import { type TopicPartition, tpKey } from './file-names.ts'
import type { LeaderEpochCache } from './leader-epoch-cache.ts'
import { type AppendResult, emptyAppendResult, writeBatches } from './log-append.ts'
import { type LogConfig, logConfig, sharedLogConfig } from './log-config.ts'
import { flushLog } from './log-flush.ts'
import { type LoadState, loadLog } from './log-loader.ts'
import {
  type LogReadResult,
  offsetForTimestamp,
  type ReadOptions,
  type ReadView,
  readBatchBytes,
  readFileRanges,
} from './log-read.ts'
import { roll } from './log-roll.ts'
import type { LogSegment } from './log-segment.ts'
import { LogSegments } from './log-segments.ts'
import { checkUsable, clamp, LogState, markOffline, offlineError } from './log-state.ts'
import { truncateEnd, truncateFully } from './log-truncation.ts'
import { type StorageLogger, silentLogger } from './logger.ts'
import { writePartitionMetadata } from './partition-metadata.ts'
import { oldestSegmentsWhile } from './retention.ts'
import { retireLater, retireSegments } from './retired-segments.ts'
import { SerialQueue } from './serial-queue.ts'
import { StorageError, StorageErrorCode } from './storage-error.ts'

export interface LogParams {
  fs: Fs
  clock: Clock
  /** The partition directory, `<log.dir>/<topic>-<partition>`. */
  dir: string
  topicPartition: TopicPartition
  config: LogConfig
  logger?: StorageLogger
  /** Randomness for segment.jitter.ms (defaults to Math.random). */
  random?: () => number
  /**
   * Writes this log's directory checkpoints now. Awaited after operations that lower the
   * recovery point or move the log start (truncation), so a crash right after them cannot
   * resurrect stale checkpoint values. The LogManager provides it.
   */
  checkpointNow?: () => Promise<void>
  /** Initial high watermark (from replication-offset-checkpoint); clamped into range. */
  highWatermark?: bigint
}

export type { AppendResult } from './log-append.ts'
export { ListOffsetsTimestamp, type LogReadResult, type ReadOptions } from './log-read.ts'

export class Log {
  readonly dir: string
  readonly topicPartition: TopicPartition
  readonly name: string
  topicId: Uuid | null
  readonly epochCache: LeaderEpochCache
  /** Created empty by this process in a new directory: no files beyond its empty segment to load. */
  readonly isNew: boolean
  private readonly checkpointNow: () => Promise<void>
  private readonly queue = new SerialQueue()
  /** Everything else, shared with the parts that do the work (log-state.ts). */
  private readonly s: LogState

  private constructor(p: LogParams, loaded: Awaited<ReturnType<typeof loadLog>>, isNew: boolean) {
    this.isNew = isNew
    this.dir = p.dir
    this.topicPartition = p.topicPartition
    this.name = tpKey(p.topicPartition.topic, p.topicPartition.partition)
    this.checkpointNow = p.checkpointNow ?? (async () => {})
    this.epochCache = loaded.epochCache
    this.topicId = loaded.topicId
    this.s = new LogState({
      fs: p.fs,
      clock: p.clock,
      dir: p.dir,
      name: this.name,
      logger: p.logger ?? silentLogger,
      random: p.random ?? Math.random,
      epochCache: loaded.epochCache,
      segments: new LogSegments(loaded.segments),
      config: sharedLogConfig(p.config),
      leo: loaded.logEndOffset,
      startOffset: loaded.logStartOffset,
      rp: loaded.recoveryPoint,
      hw: clamp(p.highWatermark ?? loaded.logStartOffset, loaded.logStartOffset, loaded.logEndOffset),
    })
    // Files created or removed by loading are covered by the loader's directory sync, but a new
    // log's directory entry itself is the manager's job.
  }

  /** Opens (loading or recovering) the log in `params.dir`, which must exist. */
  static async open(params: LogParams, state: LoadState): Promise<Log> {
    const config = logConfig(params.config)
    const random = params.random ?? Math.random
    const loaded = await loadLog(
      {
        fs: params.fs,
        clock: params.clock,
        dir: params.dir,
        tp: params.topicPartition,
        config,
        logger: params.logger ?? silentLogger,
        jitter: () => (config.segmentJitterMs > 0 ? Math.floor(random() * config.segmentJitterMs) : 0),
      },
      state,
    )
    return new Log({ ...params, config }, loaded, state.fresh === true)
  }

  /** Topic configs (updateConfig changes them). */
  get config(): LogConfig {
    return this.s.config
  }

  // --- offsets ---

  get logEndOffset(): bigint {
    return this.s.leo
  }
  get highWatermark(): bigint {
    return this.s.hw
  }
  get logStartOffset(): bigint {
    return this.s.startOffset
  }
  get recoveryPoint(): bigint {
    return this.s.rp
  }
  /** Total bytes of all segments. */
  get size(): number {
    return this.s.segments.sizeInBytes
  }
  get numberOfSegments(): number {
    return this.s.segments.count
  }
  /** Retired .log files kept for the next rolls (segment-recycler.ts; tests). */
  get spareFiles(): number {
    return this.s.retired?.spareFiles ?? 0
  }

  /** Snapshot of the segments (for tools, retention and tests). */
  get segmentList(): readonly LogSegment[] {
    return this.s.segments.all
  }
  /** Changes whenever the log is truncated (compaction checks it before swapping). */
  get truncationCount(): number {
    return this.s.truncations
  }
  get isOffline(): boolean {
    return this.s.offline !== null
  }

  /** Sets the high watermark, clamped to [logStartOffset, logEndOffset]; returns the new value. */
  updateHighWatermark(offset: bigint): bigint {
    this.s.hw = clamp(offset, this.s.startOffset, this.s.leo)
    this.s.tail.dropBelow(this.s.hw)
    return this.s.hw
  }

  /** Raises the high watermark (never lowers it); returns whether it moved. */
  maybeIncrementHighWatermark(offset: bigint): boolean {
    const next = clamp(offset, this.s.startOffset, this.s.leo)
    if (next <= this.s.hw) return false
    this.s.hw = next
    this.s.tail.dropBelow(next)
    return true
  }

  /**
   * A broker becoming leader for `epoch` records it as starting at the log end at once (Kafka's
   * maybeAssignEpochStartOffset), so a follower that holds a later-ended older epoch learns where
   * to truncate even before this leader writes anything. Persisted in turn with writes.
   */
  assignLeaderEpoch(epoch: number): void {
    if (epoch <= this.epochCache.latestEpoch) return
    this.epochCache.assign(epoch, this.s.leo)
    this.queue
      .run(() => this.epochCache.persist())
      .catch((err) => this.s.logger.warn(`persisting the leader epoch of ${this.name} failed: ${err}`))
  }

  /** Kafka's OffsetsForLeaderEpoch answer for this log. */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: bigint } {
    return this.epochCache.endOffsetFor(epoch, this.s.leo)
  }

  updateConfig(config: LogConfig): void {
    this.s.config = sharedLogConfig(logConfig(config))
  }

  /** Records the topic id in partition.metadata (once; a different id is refused). */
  async setTopicId(id: Uuid): Promise<void> {
    if (this.topicId === id) return
    if (this.topicId !== null) {
      throw new StorageError(
        StorageErrorCode.InconsistentTopicId,
        `${this.name} belongs to topic id ${this.topicId}, not ${id}`,
      )
    }
    await writePartitionMetadata(this.s.fs, this.dir, id)
    this.topicId = id
  }

  // --- append ---

  /**
   * Appends client batches as the leader: assigns offsets (and the leader epoch) by rewriting each
   * batch header in place, stamps LogAppendTime when the topic uses it, and writes all of them
   * with one write (two when a segment rolls in between). Each buffer holds one or more complete,
   * validated batches. Resolves once the write completed (and, under flush.messages, was fsynced).
   */
  append(records: Buffer | readonly Buffer[], opts: { leaderEpoch?: number } = {}): Promise<AppendResult> {
    const r = this.appendNow(records, opts.leaderEpoch ?? -1)
    return r instanceof Promise ? r : Promise.resolve(r)
  }

  /**
   * append, whose result comes back without a promise when the writer queue was idle and the
   * write was done at once (log-append.ts writeBatches): the produce path's usual case.
   */
  appendNow(records: Buffer | readonly Buffer[], epoch = -1): AppendResult | Promise<AppendResult> {
    let result: AppendResult | Promise<AppendResult>
    // The queue idle (the usual case): runNow's work without a closure per partition-append.
    if (this.queue.size > 0) result = this.queue.run(async () => this.appendLeaderBatches(records, epoch))
    else {
      try {
        result = this.queue.adopt(this.appendLeaderBatches(records, epoch))
      } catch (err) {
        result = Promise.reject(err)
      }
    }
    if (result instanceof Promise)
      return result.then(async (r) => {
        await this.maybeFlushAfterAppend()
        return r
      })
    if (this.flushDue()) return this.flush().then(() => result)
    return result
  }

  /** appendNow's task under the writer queue. */
  private appendLeaderBatches(
    records: Buffer | readonly Buffer[],
    epoch: number,
  ): AppendResult | Promise<AppendResult> {
    this.checkWritable()
    const batches = parseIncoming(Array.isArray(records) ? records : [records as Buffer], false)
    if (batches.length === 0) return emptyAppendResult(this.s.startOffset)
    checkLeaderBatches(batches, this.s.config, this.name)
    const now = this.s.clock.now()
    const appendTime = this.s.config.messageTimestampType === 'LogAppendTime' ? BigInt(now) : -1n
    assignLeaderOffsets(batches, this.s.leo, epoch, appendTime)
    // guarded() without its closure.
    let r: AppendResult | Promise<AppendResult>
    try {
      r = writeBatches(this.s, batches, appendTime, now, true)
    } catch (err) {
      throw this.failure(err)
    }
    return this.guardedResult(r)
  }

  /**
   * Appends batches replicated from the leader, offsets already assigned. `records` is a fetch
   * response's records field: a partial batch at its end is ignored. The first batch must not
   * start below the log end offset (truncate first).
   */
  async appendAsFollower(records: Buffer): Promise<AppendResult> {
    const result = await this.queue.run(async () => {
      this.checkWritable()
      const batches = parseIncoming([records], true)
      if (batches.length === 0) return emptyAppendResult(this.s.startOffset)
      checkFollowerBatches(batches, this.s.leo, this.s.config.segmentBytes, this.name)
      return this.guarded(() => writeBatches(this.s, batches, -1n, this.s.clock.now(), false))
    })
    await this.maybeFlushAfterAppend()
    return result
  }

  /** Rolls the active segment now (if it holds data). */
  rollNow(): Promise<void> {
    return this.queue.run(async () => {
      this.checkWritable()
      if (this.s.segments.active.size > 0) await this.guarded(() => roll(this.s))
    })
  }

  // --- flush ---

  private async maybeFlushAfterAppend(): Promise<void> {
    if (this.flushDue()) await this.flush()
  }

  /** flush.messages reached since the last flush. */
  private flushDue(): boolean {
    return this.s.unflushedMessages >= this.s.config.flushMessages
  }

  /** Flushes when flush.ms has passed since the last flush (called by the LogManager's timer). */
  async flushIfDue(now: number): Promise<void> {
    if (this.s.rp < this.s.leo && now - this.s.lastFlushMs >= this.s.config.flushMs) await this.flush()
  }

  /**
   * fsyncs everything below `upTo` (default: the LEO) and moves the recovery point there.
   * Concurrent callers share fsyncs (group commit).
   */
  flush(upTo?: bigint): Promise<void> {
    return flushLog(this.s, upTo)
  }

  // --- read ---

  /** A consistent snapshot for readers: a batch counts only once the LEO passed it. */
  private view(): ReadView {
    this.checkUsable()
    return {
      name: this.name,
      leo: this.s.leo,
      startOffset: this.s.startOffset,
      highWatermark: this.s.hw,
      segments: this.s.segments.all,
      hints: this.s.hints,
      tail: this.s.tail,
    }
  }

  /**
   * Whole batches from the one holding `fetchOffset`, up to `maxBytes` (the first batch even
   * when larger, unless minOneBatch is false), none reaching `maxOffset` (default: the LEO), as
   * file ranges. Throws OffsetOutOfRange when fetchOffset is outside [logStartOffset, LEO].
   */
  async read(fetchOffset: bigint, maxBytes: number, opts: ReadOptions = {}): Promise<LogReadResult> {
    return readFileRanges(this.view(), fetchOffset, maxBytes, opts)
  }

  /**
   * Like read(), returning the bytes: whole batches in one buffer, read directly (one positional
   * read per segment touched; a sequential reader pays no index lookup).
   */
  async readRecords(
    fetchOffset: bigint,
    maxBytes: number,
    opts: ReadOptions = {},
  ): Promise<LogReadResult & { records: Buffer }> {
    return readBatchBytes(this.view(), fetchOffset, maxBytes, opts)
  }

  /**
   * ListOffsets: the first offset whose record timestamp is >= `timestamp`, or one of the
   * sentinels (-1 latest, -2 earliest, -3 max timestamp, -4 earliest local). null when no record
   * qualifies. `leaderEpoch` is the epoch of the returned offset's record (-1 when unknown).
   */
  async offsetForTimestamp(
    timestamp: bigint,
  ): Promise<{ offset: bigint; timestamp: bigint; leaderEpoch: number } | null> {
    return offsetForTimestamp(this.view(), this.epochCache, timestamp)
  }

  // --- truncation ---

  /**
   * Removes everything at and after `offset`, durably. Batches are never split: a batch holding
   * `offset` goes whole, and the LEO becomes the offset after the last batch left (so `offset`
   * itself when it is a batch boundary, as replication's truncation points are). Returns false
   * when `offset` is at or past the LEO.
   */
  truncateTo(offset: bigint): Promise<boolean> {
    return this.queue.run(async () => {
      this.checkWritable()
      if (offset < 0n) throw new RangeError(`cannot truncate ${this.name} to ${offset}`)
      if (offset >= this.s.leo) {
        // No record goes, but an epoch that starts at the log end (a leader that wrote nothing in
        // it) does: a follower must not claim an epoch its new leader never knew.
        if (offset === this.s.leo) {
          this.epochCache.truncateFromEnd(offset)
          await this.epochCache.persist()
        }
        return false
      }
      if (offset < this.s.startOffset) {
        await this.guarded(() => truncateFully(this.s, offset))
        return true
      }
      await this.guarded(() => truncateEnd(this.s, offset))
      await this.checkpointNow()
      return true
    })
  }

  /** Deletes everything and restarts the log empty at `offset` (LEO = log start = HW = offset). */
  truncateFullyAndStartAt(offset: bigint): Promise<void> {
    return this.queue.run(async () => {
      this.checkWritable()
      await this.guarded(() => truncateFully(this.s, offset))
      await this.checkpointNow()
    })
  }

  // --- retention ---

  /**
   * Raises the log start offset (DeleteRecords); it may not pass the high watermark. Segments
   * wholly below it go at the next retention run. The new log start is checkpointed before the
   * leader epoch cache forgets the epochs below it: a power loss must not bring back records below
   * an old log start with a cache that no longer covers them (this broker would then answer
   * OffsetsForLeaderEpoch / DivergingEpoch for them wrongly, and a follower keep a divergent batch
   * below the high watermark; the replication simulation's one-way seed 108 did).
   */
  maybeIncrementLogStartOffset(offset: bigint): Promise<boolean> {
    return this.queue.run(async () => {
      this.checkWritable()
      if (offset > this.s.hw) {
        throw new StorageError(
          StorageErrorCode.OffsetOutOfRange,
          `cannot move the log start of ${this.name} to ${offset}, past the high watermark ${this.s.hw}`,
        )
      }
      if (offset <= this.s.startOffset) return false
      this.s.startOffset = offset
      await this.checkpointNow()
      this.epochCache.truncateFromStart(offset)
      await this.guarded(() => this.epochCache.persist())
      return true
    })
  }

  /**
   * Deletes the oldest segments while `shouldDelete` says so, only segments wholly below the
   * high watermark, never the last one if it is empty; rolls first when every segment goes.
   * Returns how many were deleted. The LogManager's retention task drives this (retention.ts).
   */
  async deleteSegmentsWhile(
    shouldDelete: (seg: LogSegment, next: LogSegment | undefined) => Promise<boolean>,
    reason: string,
  ): Promise<number> {
    const files = await this.queue.run(async () => {
      this.checkWritable()
      const all = this.s.segments.all
      const doomed = await oldestSegmentsWhile(this, all, shouldDelete)
      if (doomed.length === 0) return null
      await this.guarded(async () => {
        if (doomed.length === all.length) await roll(this.s)
      })
      this.s.segments.remove(doomed)
      const first = this.s.segments.first.baseOffset
      if (first > this.s.startOffset) {
        this.s.startOffset = first
        if (this.s.hw < first) this.s.hw = first
        if (this.s.rp < first) this.s.rp = first
        this.epochCache.truncateFromStart(first)
      }
      this.s.logger.info(`${this.name}: deleting ${doomed.length} segment(s) (${reason})`)
      return { count: doomed.length, done: retireLater(this.s, doomed, (fn) => this.guarded(fn)) }
    })
    if (files === null) return 0
    await files.done
    return files.count
  }

  /**
   * Replaces `old` (contiguous segments) by `replacement` (complete, fsynced, named `.swap`):
   * old segments are retired, then the replacement becomes live. A crash at any point leaves a
   * state the loader completes (see log-loader.ts). Returns false, changing nothing, when `old`
   * are no longer all in the log or the log was truncated since `truncationCount` was read.
   * Used by compaction.
   */
  replaceSegments(
    old: readonly LogSegment[],
    replacement: LogSegment,
    truncationCount: number,
  ): Promise<boolean> {
    return this.queue.run(async () => {
      this.checkWritable()
      const current = new Set(this.s.segments.all)
      if (truncationCount !== this.s.truncations) return false
      if (!old.every((seg) => current.has(seg)) || old.includes(this.s.segments.active)) return false
      this.s.tail.clear()
      await this.guarded(async () => {
        await this.s.fs.syncDir(this.dir)
        this.s.segments.remove(old)
        await retireSegments(this.s, old, true)
        await replacement.changeSuffix('')
        await this.s.fs.syncDir(this.dir)
        this.s.segments.add(replacement)
      })
      return true
    })
  }

  // --- lifecycle ---

  /** Flushes everything (indexes included), then closes all files. */
  close(): Promise<void> {
    return this.queue.run(async () => {
      if (this.s.closed) return
      this.s.closed = true
      this.s.tail.clear()
      try {
        if (this.s.offline === null) {
          await this.s.flushing?.catch(() => {})
          const active = this.s.segments.active
          await active.ensureIndexes()
          active.onBecomeInactive()
          await active.trimFile()
          if (this.s.dirNeedsSync) await this.s.fs.syncDir(this.dir)
          for (const seg of this.s.segments.all) await seg.flush(true)
          this.s.rp = this.s.leo
        }
      } finally {
        for (const seg of this.s.segments.all) await seg.close().catch(() => {})
        await this.s.retiring?.idle()
        await this.s.retired?.deleteAll()
      }
    })
  }

  /** Closes without flushing or writing anything (the log dir failed, or the log is deleted). */
  async closeHandles(): Promise<void> {
    this.s.closed = true
    await this.queue.idle()
    this.s.tail.clear()
    for (const seg of this.s.segments.all) await seg.closeHandle().catch(() => {})
    await this.s.retiring?.idle()
    await this.s.retired?.closeHandles()
  }

  /** Runs `fn` under the writer queue (compaction uses it to read state consistently). */
  withWriterLock<T>(fn: () => Promise<T>): Promise<T> {
    return this.queue.run(fn)
  }

  // --- failure handling ---

  /** Runs a change of the log: a failure that is not a StorageError takes the log offline. */
  private guarded<T>(fn: () => T | Promise<T>): T | Promise<T> {
    let r: T | Promise<T>
    try {
      r = fn()
    } catch (err) {
      return Promise.reject(this.failure(err))
    }
    return this.guardedResult(r)
  }

  /** guarded's part for a change that returned a promise. */
  private guardedResult<T>(r: T | Promise<T>): T | Promise<T> {
    return r instanceof Promise
      ? r.catch((err) => {
          throw this.failure(err)
        })
      : r
  }

  private failure(err: unknown): unknown {
    if (err instanceof StorageError) return err
    markOffline(this.s, err)
    return offlineError(this.s)
  }

  private checkUsable(): void {
    checkUsable(this.s)
  }

  private checkWritable(): void {
    this.checkUsable()
  }
}
