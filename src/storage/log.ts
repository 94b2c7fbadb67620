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

import type { Clock } from '../common/clock.ts'
import { errnoCode, type Fs } from '../common/fs.ts'
import type { Uuid } from '../common/ids.ts'
import { assignOffsets, setLogAppendTime } from '../records/batch-header.ts'
import { chunksOf, type Incoming, parseIncoming, rejectKeylessRecords } from './append-input.ts'
import { DELETED_SUFFIX, type TopicPartition, tpKey } from './file-names.ts'
import type { LeaderEpochCache } from './leader-epoch-cache.ts'
import { isCompacted, type LogConfig, logConfig, sharedLogConfig } from './log-config.ts'
import { type LoadState, loadLog } from './log-loader.ts'
import {
  type LogReadResult,
  offsetForTimestamp,
  ReadHints,
  type ReadOptions,
  type ReadView,
  readBatchBytes,
  readFileRanges,
} from './log-read.ts'
import { LogSegment } from './log-segment.ts'
import { LogSegments } from './log-segments.ts'
import { type StorageLogger, silentLogger } from './logger.ts'
import { writePartitionMetadata } from './partition-metadata.ts'
import { SegmentRecycler } from './segment-recycler.ts'
import { SerialQueue } from './serial-queue.ts'
import { isStorageError, StorageError, StorageErrorCode } from './storage-error.ts'
import { TailCache } from './tail-cache.ts'

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

export interface AppendResult {
  /** Offset of the first record appended (-1n when nothing was). */
  firstOffset: bigint
  lastOffset: bigint
  /** The broker's append time for LogAppendTime topics, else -1n. */
  logAppendTime: bigint
  logStartOffset: bigint
  recordsCount: number
  /** Bytes appended. */
  bytes: number
}

export { ListOffsetsTimestamp, type LogReadResult, type ReadOptions } from './log-read.ts'

export class Log {
  readonly dir: string
  readonly topicPartition: TopicPartition
  readonly name: string
  config: LogConfig
  topicId: Uuid | null
  readonly epochCache: LeaderEpochCache
  /** Created empty by this process in a new directory: no files beyond its empty segment to load. */
  readonly isNew: boolean
  private readonly fs: Fs
  private readonly clock: Clock
  private readonly logger: StorageLogger
  private readonly random: () => number
  private readonly checkpointNow: () => Promise<void>
  private readonly segments: LogSegments
  private readonly queue = new SerialQueue()
  private leo: bigint
  private hw: bigint
  private startOffset: bigint
  private rp: bigint
  private unflushedMessages = 0
  private lastFlushMs: number
  private flushing: Promise<void> | null = null
  private dirNeedsSync = false
  /**
   * Bumped at the start and at the end of every truncation, so a flush that overlapped one in any
   * way does not move the recovery point.
   */
  private truncations = 0
  private offline: Error | null = null
  private closed = false
  /** Made on first use, like the other per-log collections: an idle log carries none. */
  private pendingDeletes: Map<LogSegment, { cancel(): void }> | null = null
  /** A retired segment file kept for the next roll (segment-recycler.ts); made on first use. */
  private recycler: SegmentRecycler | null = null
  /** Where recent batches start, for sequential readers (see log-read.ts). */
  private readonly hints = new ReadHints()
  /** The leader's newest appends in memory until the ISR has them (tail-cache.ts). */
  private readonly tail = new TailCache()

  private constructor(p: LogParams, loaded: Awaited<ReturnType<typeof loadLog>>, isNew: boolean) {
    this.isNew = isNew
    this.fs = p.fs
    this.clock = p.clock
    this.dir = p.dir
    this.topicPartition = p.topicPartition
    this.name = tpKey(p.topicPartition.topic, p.topicPartition.partition)
    this.config = sharedLogConfig(p.config)
    this.logger = p.logger ?? silentLogger
    this.random = p.random ?? Math.random
    this.checkpointNow = p.checkpointNow ?? (async () => {})
    this.segments = new LogSegments(loaded.segments)
    this.epochCache = loaded.epochCache
    this.topicId = loaded.topicId
    this.leo = loaded.logEndOffset
    this.startOffset = loaded.logStartOffset
    this.rp = loaded.recoveryPoint
    this.hw = clamp(p.highWatermark ?? loaded.logStartOffset, this.startOffset, this.leo)
    this.lastFlushMs = p.clock.now()
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

  // --- offsets ---

  get logEndOffset(): bigint {
    return this.leo
  }
  get highWatermark(): bigint {
    return this.hw
  }
  get logStartOffset(): bigint {
    return this.startOffset
  }
  get recoveryPoint(): bigint {
    return this.rp
  }
  /** Total bytes of all segments. */
  get size(): number {
    return this.segments.sizeInBytes
  }
  get numberOfSegments(): number {
    return this.segments.count
  }
  /** Retired .log files kept for the next rolls (segment-recycler.ts; tests). */
  get spareFiles(): number {
    return this.recycler?.sparePaths.length ?? 0
  }

  /** Snapshot of the segments (for tools, retention and tests). */
  get segmentList(): readonly LogSegment[] {
    return this.segments.all
  }
  /** Changes whenever the log is truncated (compaction checks it before swapping). */
  get truncationCount(): number {
    return this.truncations
  }
  get isOffline(): boolean {
    return this.offline !== null
  }

  /** Sets the high watermark, clamped to [logStartOffset, logEndOffset]; returns the new value. */
  updateHighWatermark(offset: bigint): bigint {
    this.hw = clamp(offset, this.startOffset, this.leo)
    this.tail.dropBelow(this.hw)
    return this.hw
  }

  /** Raises the high watermark (never lowers it); returns whether it moved. */
  maybeIncrementHighWatermark(offset: bigint): boolean {
    const next = clamp(offset, this.startOffset, this.leo)
    if (next <= this.hw) return false
    this.hw = next
    this.tail.dropBelow(next)
    return true
  }

  /**
   * A broker becoming leader for `epoch` records it as starting at the log end at once (Kafka's
   * maybeAssignEpochStartOffset), so a follower that holds a later-ended older epoch learns where
   * to truncate even before this leader writes anything. Persisted in turn with writes.
   */
  assignLeaderEpoch(epoch: number): void {
    if (epoch <= this.epochCache.latestEpoch) return
    this.epochCache.assign(epoch, this.leo)
    this.queue
      .run(() => this.epochCache.persist())
      .catch((err) => this.logger.warn(`persisting the leader epoch of ${this.name} failed: ${err}`))
  }

  /** Kafka's OffsetsForLeaderEpoch answer for this log. */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: bigint } {
    return this.epochCache.endOffsetFor(epoch, this.leo)
  }

  updateConfig(config: LogConfig): void {
    this.config = sharedLogConfig(logConfig(config))
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
    await writePartitionMetadata(this.fs, this.dir, id)
    this.topicId = id
  }

  // --- append ---

  /**
   * Appends client batches as the leader: assigns offsets (and the leader epoch) by rewriting each
   * batch header in place, stamps LogAppendTime when the topic uses it, and writes all of them
   * with one write (two when a segment rolls in between). Each buffer holds one or more complete,
   * validated batches. Resolves once the write completed (and, under flush.messages, was fsynced).
   */
  async append(
    records: Buffer | readonly Buffer[],
    opts: { leaderEpoch?: number } = {},
  ): Promise<AppendResult> {
    const epoch = opts.leaderEpoch ?? -1
    const result = await this.queue.run(async () => {
      this.checkWritable()
      const batches = parseIncoming(Array.isArray(records) ? records : [records as Buffer], false)
      if (batches.length === 0) return this.emptyResult()
      for (const b of batches) {
        if (b.size > this.config.segmentBytes) {
          throw new StorageError(
            StorageErrorCode.RecordBatchTooLarge,
            `batch of ${b.size} bytes exceeds segment.bytes ${this.config.segmentBytes} in ${this.name}`,
          )
        }
      }
      if (isCompacted(this.config)) rejectKeylessRecords(batches, this.name)
      const now = this.clock.now()
      const appendTime = this.config.messageTimestampType === 'LogAppendTime' ? BigInt(now) : -1n
      let next = this.leo
      for (const b of batches) {
        assignOffsets(b.buf, b.pos, next, epoch)
        if (appendTime >= 0n) {
          setLogAppendTime(b.buf, b.pos, appendTime)
          b.maxTimestamp = appendTime
        }
        b.baseOffset = next
        b.lastOffset = next + BigInt(b.lastOffsetDelta)
        b.epoch = epoch
        next = b.lastOffset + 1n
      }
      return this.guarded(() => this.write(batches, appendTime, now, true))
    })
    await this.maybeFlushAfterAppend()
    return result
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
      if (batches.length === 0) return this.emptyResult()
      let prev = this.leo - 1n
      for (const b of batches) {
        if (b.baseOffset <= prev) {
          throw new StorageError(
            StorageErrorCode.UnexpectedAppendOffset,
            `${this.name}: batch at offset ${b.baseOffset} does not follow offset ${prev} (log end ${this.leo})`,
          )
        }
        if (b.size > this.config.segmentBytes) {
          throw new StorageError(
            StorageErrorCode.RecordBatchTooLarge,
            `batch of ${b.size} bytes in ${this.name}`,
          )
        }
        prev = b.lastOffset
      }
      return this.guarded(() => this.write(batches, -1n, this.clock.now(), false))
    })
    await this.maybeFlushAfterAppend()
    return result
  }

  private emptyResult(): AppendResult {
    return {
      firstOffset: -1n,
      lastOffset: -1n,
      logAppendTime: -1n,
      logStartOffset: this.startOffset,
      recordsCount: 0,
      bytes: 0,
    }
  }

  /** Writes prepared batches: epochs, rolls, grouped positional writes. Inside the queue. */
  private async write(
    batches: Incoming[],
    appendTime: bigint,
    now: number,
    cacheTail: boolean,
  ): Promise<AppendResult> {
    for (const b of batches) {
      if (b.epoch >= 0 && b.epoch > this.epochCache.latestEpoch) this.epochCache.assign(b.epoch, b.baseOffset)
    }
    try {
      await this.epochCache.persist()
    } catch (err) {
      // Nothing is written yet and the cache stays dirty (persisted again by the next append).
      if (errnoCode(err) === 'ENOSPC') throw noSpace(this.name, err)
      throw err
    }
    let maxTs = -1n
    for (const b of batches) if (b.maxTimestamp > maxTs) maxTs = b.maxTimestamp
    if (await this.segments.active.shouldRollForTime(now, maxTs, this.config.segmentMs))
      await this.roll(batches[0].baseOffset)
    let bytes = 0
    let count = 0
    let i = 0
    while (i < batches.length) {
      let j: number
      try {
        j = await this.writeGroup(batches, i, now, cacheTail)
      } catch (err) {
        // An undone write refuses the whole append only when nothing of it is in the log yet;
        // after an earlier group the append is half done, which only recovery can sort out.
        if (i > 0 && isStorageError(err, StorageErrorCode.NoSpace)) throw err.cause
        throw err
      }
      for (let k = i; k < j; k++) {
        count += batches[k].recordsCount
        bytes += batches[k].size
      }
      i = j
    }
    this.unflushedMessages += count
    return {
      firstOffset: batches[0].baseOffset,
      lastOffset: batches[batches.length - 1].lastOffset,
      logAppendTime: appendTime,
      logStartOffset: this.startOffset,
      recordsCount: count,
      bytes,
    }
  }

  /** Writes batches[i..j) with one write (rolling first when needed); returns j. */
  private async writeGroup(batches: Incoming[], i: number, now: number, cacheTail: boolean): Promise<number> {
    let seg = this.segments.active
    if (!this.fits(seg, 0, batches[i])) {
      await this.roll(batches[i].baseOffset)
      seg = this.segments.active
    }
    let groupBytes = batches[i].size
    let j = i + 1
    while (j < batches.length && this.fits(seg, groupBytes, batches[j])) {
      groupBytes += batches[j].size
      j++
    }
    const group = batches.slice(i, j)
    const position = seg.size
    this.hints.set(group[0].baseOffset, seg, position)
    const chunks = chunksOf(group)
    await seg.append(chunks, group, this.config.indexIntervalBytes, now)
    this.leo = group[group.length - 1].lastOffset + 1n
    if (cacheTail) this.cacheChunks(chunks, group, seg, position)
    return j
  }

  /** Hands the chunks just written (batches back to back, in `group` order) to the tail cache. */
  private cacheChunks(
    chunks: readonly Buffer[],
    group: readonly Incoming[],
    seg: LogSegment,
    position: number,
  ): void {
    let b = 0
    for (const c of chunks) {
      const base = group[b].baseOffset
      let len = 0
      while (len < c.length) len += group[b++].size
      this.tail.add(c, base, group[b - 1].lastOffset, seg, position)
      position += c.length
    }
  }

  /** Can `b` go into `seg` after `pending` more bytes? (An empty segment takes any one batch.) */
  private fits(seg: LogSegment, pending: number, b: Incoming): boolean {
    const used = seg.size + pending
    if (used > 0 && used + b.size > this.config.segmentBytes) return false
    if (!seg.canHold(b.lastOffset) || b.baseOffset < seg.baseOffset) return false
    return !(seg.offsetIndex.isFull || seg.timeIndex.isFull)
  }

  /** Starts a new active segment at max(expected, LEO). Inside the queue. */
  private async roll(expected?: bigint): Promise<void> {
    const newBase = expected !== undefined && expected > this.leo ? expected : this.leo
    const old = this.segments.active
    if (old.baseOffset === newBase && old.size === 0) return
    await old.ensureIndexes()
    old.onBecomeInactive()
    await old.trimFile()
    if (old.size === 0) {
      // An empty active segment below an offset gap: replace it.
      this.segments.remove([old])
      await old.deleteFiles()
    } else if (this.rp >= newBase) {
      // The recovery point already covers the whole old segment; once the new segment exists it
      // is no longer recovered after a crash, so its indexes must be durable first.
      await old.flush(true)
    }
    const reuse = this.recycler?.take() ?? undefined
    const seg = await LogSegment.create(this.fs, this.dir, newBase, this.segmentOptions(), '', false, reuse)
    this.segments.add(seg)
    this.dirNeedsSync = true
    if (this.rp < newBase) {
      // Like Kafka: fsync the finished segment in the background.
      this.flush(newBase).catch((err) => {
        if (!this.closed) this.logger.error(`${this.name}: background flush failed`, err)
      })
    }
  }

  private segmentOptions() {
    const jitter =
      this.config.segmentJitterMs > 0 ? Math.floor(this.random() * this.config.segmentJitterMs) : 0
    return { indexBytes: this.config.segmentIndexBytes, now: this.clock.now(), rollJitterMs: jitter }
  }

  /** Rolls the active segment now (if it holds data). */
  rollNow(): Promise<void> {
    return this.queue.run(async () => {
      this.checkWritable()
      if (this.segments.active.size > 0) await this.guarded(() => this.roll())
    })
  }

  // --- flush ---

  private async maybeFlushAfterAppend(): Promise<void> {
    if (this.unflushedMessages >= this.config.flushMessages) await this.flush()
  }

  /** Flushes when flush.ms has passed since the last flush (called by the LogManager's timer). */
  async flushIfDue(now: number): Promise<void> {
    if (this.rp < this.leo && now - this.lastFlushMs >= this.config.flushMs) await this.flush()
  }

  /**
   * fsyncs everything below `upTo` (default: the LEO) and moves the recovery point there.
   * Concurrent callers share fsyncs (group commit).
   */
  async flush(upTo?: bigint): Promise<void> {
    for (;;) {
      this.checkUsable()
      const target = upTo !== undefined && upTo < this.leo ? upTo : this.leo
      if (this.rp >= target) return
      if (this.flushing === null) {
        this.flushing = this.doFlush(this.leo).finally(() => {
          this.flushing = null
        })
      }
      await this.flushing
    }
  }

  private async doFlush(target: bigint): Promise<void> {
    const truncations = this.truncations
    const messages = this.unflushedMessages
    const all = this.segments.all
    const active = all[all.length - 1]
    try {
      if (this.dirNeedsSync) {
        this.dirNeedsSync = false
        await this.fs.syncDir(this.dir)
      }
      for (const seg of all) {
        if (seg.baseOffset >= target && seg !== active) continue
        if (this.pendingDeletes?.has(seg)) continue
        await seg.flush(seg !== active)
      }
    } catch (err) {
      this.dirNeedsSync = true
      // An index that did not fit on a full disk: the recovery point stays where it is and the
      // next flush writes it again. Anything else (a failed fsync above all) is fatal.
      if (isStorageError(err, StorageErrorCode.NoSpace)) throw err
      this.markOffline(err)
      throw this.offlineError()
    }
    if (this.truncations === truncations && target > this.rp) this.rp = target
    this.unflushedMessages = Math.max(0, this.unflushedMessages - messages)
    this.lastFlushMs = this.clock.now()
  }

  // --- read ---

  /** A consistent snapshot for readers: a batch counts only once the LEO passed it. */
  private view(): ReadView {
    this.checkUsable()
    return {
      name: this.name,
      leo: this.leo,
      startOffset: this.startOffset,
      highWatermark: this.hw,
      segments: this.segments.all,
      hints: this.hints,
      tail: this.tail,
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
      if (offset >= this.leo) {
        // No record goes, but an epoch that starts at the log end (a leader that wrote nothing in
        // it) does: a follower must not claim an epoch its new leader never knew.
        if (offset === this.leo) {
          this.epochCache.truncateFromEnd(offset)
          await this.epochCache.persist()
        }
        return false
      }
      if (offset < this.startOffset) {
        await this.guarded(() => this.truncateFully(offset))
        return true
      }
      await this.guarded(async () => {
        this.truncations++
        // Read-aheads of the bytes about to go are dropped before they go (again after).
        this.hints.clear()
        const gone = this.segments.all.filter((s) => s.baseOffset > offset)
        if (gone.length > 0) {
          this.segments.remove(gone)
          await this.retireSegments(gone, true)
        }
        const { nextOffset } = await this.segments.active.truncateTo(offset)
        // The log now ends after its last whole batch (before `offset` when that fell inside a
        // batch), which is also what a reload finds; never below the log start.
        this.afterTruncation(clamp(nextOffset, this.startOffset, nextOffset))
        // Bumped again now that the LEO moved: a flush that began mid-truncation, aiming at the
        // old LEO, must not move the recovery point either.
        this.truncations++
        await this.epochCache.persist()
      })
      await this.checkpointNow()
      return true
    })
  }

  /** Deletes everything and restarts the log empty at `offset` (LEO = log start = HW = offset). */
  truncateFullyAndStartAt(offset: bigint): Promise<void> {
    return this.queue.run(async () => {
      this.checkWritable()
      await this.guarded(() => this.truncateFully(offset))
      await this.checkpointNow()
    })
  }

  private async truncateFully(offset: bigint): Promise<void> {
    this.truncations++
    this.hints.clear()
    this.tail.clear()
    const gone = [...this.segments.all]
    this.segments.remove(gone)
    await this.retireSegments(gone, false)
    const seg = await LogSegment.create(this.fs, this.dir, offset, this.segmentOptions())
    this.segments.add(seg)
    await this.fs.syncDir(this.dir)
    this.leo = offset
    this.startOffset = offset
    this.hw = offset
    this.rp = offset
    this.truncations++
    this.unflushedMessages = 0
    this.epochCache.clear()
    await this.epochCache.persist()
  }

  private afterTruncation(offset: bigint): void {
    this.hints.clear()
    this.tail.clear()
    this.leo = offset
    if (this.hw > offset) this.hw = offset
    if (this.rp > offset) this.rp = offset
    this.epochCache.truncateFromEnd(offset)
    this.unflushedMessages = 0
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
      if (offset > this.hw) {
        throw new StorageError(
          StorageErrorCode.OffsetOutOfRange,
          `cannot move the log start of ${this.name} to ${offset}, past the high watermark ${this.hw}`,
        )
      }
      if (offset <= this.startOffset) return false
      this.startOffset = offset
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
  deleteSegmentsWhile(
    shouldDelete: (seg: LogSegment, next: LogSegment | undefined) => Promise<boolean>,
    reason: string,
  ): Promise<number> {
    return this.queue.run(async () => {
      this.checkWritable()
      const all = this.segments.all
      const doomed: LogSegment[] = []
      for (let i = 0; i < all.length; i++) {
        const seg = all[i]
        const next = all[i + 1] as LogSegment | undefined
        const upper = next === undefined ? this.leo : next.baseOffset
        if (upper > this.hw) break
        if (next === undefined && seg.size === 0) break
        if (!(await shouldDelete(seg, next))) break
        doomed.push(seg)
      }
      if (doomed.length === 0) return 0
      await this.guarded(async () => {
        if (doomed.length === all.length) await this.roll()
        this.segments.remove(doomed)
        const first = this.segments.first.baseOffset
        if (first > this.startOffset) {
          this.startOffset = first
          if (this.hw < first) this.hw = first
          if (this.rp < first) this.rp = first
          this.epochCache.truncateFromStart(first)
          await this.epochCache.persist()
        }
        this.logger.info(`${this.name}: deleting ${doomed.length} segment(s) (${reason})`)
        await this.retireSegments(doomed, false, true)
      })
      return doomed.length
    })
  }

  /**
   * Renames segments to `.deleted` and removes them after file.delete.delay.ms (readers holding
   * their file ranges keep working meanwhile). `durable`: the renames are fsynced before this
   * resolves (truncation must not come back after a crash; retention may). `recycle`: segments
   * from the start of the log, whose .log file may be reused by the next roll (never truncated
   * ones: their stale batches would carry offsets above the new data's).
   */
  private async retireSegments(
    segs: readonly LogSegment[],
    durable: boolean,
    recycle = false,
  ): Promise<void> {
    for (const s of segs) await s.changeSuffix(DELETED_SUFFIX)
    if (durable) await this.fs.syncDir(this.dir)
    for (const s of segs) {
      const timer = this.clock.setTimeout(() => {
        this.pendingDeletes?.delete(s)
        const keep = recycle && !this.closed
        s.deleteFiles(keep)
          .then(() => (keep ? this.keepSpare(s.logPath) : undefined))
          .catch((err) => this.logger.warn(`${this.name}: could not delete ${s.logPath}: ${err}`))
      }, this.config.fileDeleteDelayMs)
      this.pendingDeletes ??= new Map()
      this.pendingDeletes.set(s, timer)
    }
  }

  /**
   * A retired .log file, closed: the spare for the next roll, or removed once the log is closed.
   * Its `.deleted` name is made durable first: until then a crash would bring the file back under
   * its old segment name, holding whatever a reuse wrote into it since.
   */
  private async keepSpare(path: string): Promise<void> {
    const synced =
      !this.closed &&
      (await this.fs.syncDir(this.dir).then(
        () => true,
        () => false,
      ))
    if (!synced || this.closed) return this.fs.unlink(path)
    this.recycler ??= new SegmentRecycler(this.fs, this.clock)
    return this.recycler.offer(path)
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
      const current = new Set(this.segments.all)
      if (truncationCount !== this.truncations) return false
      if (!old.every((s) => current.has(s)) || old.includes(this.segments.active)) return false
      this.tail.clear()
      await this.guarded(async () => {
        await this.fs.syncDir(this.dir)
        this.segments.remove(old)
        await this.retireSegments(old, true)
        await replacement.changeSuffix('')
        await this.fs.syncDir(this.dir)
        this.segments.add(replacement)
      })
      return true
    })
  }

  // --- lifecycle ---

  /** Flushes everything (indexes included), then closes all files. */
  close(): Promise<void> {
    return this.queue.run(async () => {
      if (this.closed) return
      this.closed = true
      this.tail.clear()
      try {
        if (this.offline === null) {
          await this.flushing?.catch(() => {})
          const active = this.segments.active
          await active.ensureIndexes()
          active.onBecomeInactive()
          await active.trimFile()
          if (this.dirNeedsSync) await this.fs.syncDir(this.dir)
          for (const s of this.segments.all) await s.flush(true)
          this.rp = this.leo
        }
      } finally {
        for (const s of this.segments.all) await s.close().catch(() => {})
        for (const [s, t] of this.pendingDeletes ?? []) {
          t.cancel()
          await s.deleteFiles().catch(() => {})
        }
        this.pendingDeletes = null
        await this.recycler?.close().catch(() => {})
      }
    })
  }

  /** Closes without flushing or writing anything (the log dir failed, or the log is deleted). */
  async closeHandles(): Promise<void> {
    this.closed = true
    await this.queue.idle()
    this.tail.clear()
    for (const s of this.segments.all) await s.closeHandle().catch(() => {})
    for (const [s, t] of this.pendingDeletes ?? []) {
      t.cancel()
      await s.closeHandle().catch(() => {})
    }
    this.pendingDeletes = null
    await this.recycler?.close().catch(() => {})
  }

  /** Runs `fn` under the writer queue (compaction uses it to read state consistently). */
  withWriterLock<T>(fn: () => Promise<T>): Promise<T> {
    return this.queue.run(fn)
  }

  // --- failure handling ---

  private async guarded<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      if (err instanceof StorageError) throw err
      this.markOffline(err)
      throw this.offlineError()
    }
  }

  private markOffline(err: unknown): void {
    if (this.offline !== null) return
    this.offline = err instanceof Error ? err : new Error(String(err))
    this.tail.clear()
    this.logger.error(`${this.name}: I/O failure, the log is offline until reopened`, err)
  }

  private offlineError(): StorageError {
    return new StorageError(
      StorageErrorCode.LogOffline,
      `${this.name} is offline: ${this.offline?.message}`,
      {
        cause: this.offline,
      },
    )
  }

  private checkUsable(): void {
    if (this.offline !== null) throw this.offlineError()
    if (this.closed) throw new StorageError(StorageErrorCode.LogClosed, `${this.name} is closed`)
  }

  private checkWritable(): void {
    this.checkUsable()
  }
}

function noSpace(name: string, cause: unknown): StorageError {
  return new StorageError(StorageErrorCode.NoSpace, `no space left on device appending to ${name}`, { cause })
}

function clamp(v: bigint, lo: bigint, hi: bigint): bigint {
  return v < lo ? lo : v > hi ? hi : v
}
