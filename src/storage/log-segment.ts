// One segment of a partition log: `<base>.log` (batches back to back, exactly as appended, with
// their assigned offsets), `<base>.index`, `<base>.timeindex` and, once the segment holds an
// aborted transaction's marker, `<base>.txnindex` (transaction-index.ts). Only the Log that owns it calls
// the mutating methods, one at a time; readers use `size` (committed bytes) as their limit, so a
// batch being written is invisible until its write completed.
//
// Old segments open lazily: the .log file handle on first read, the indexes on first lookup
// (sanity-checked, rebuilt from the log when they fail), the largest timestamp from the last
// time index entry. A clean-shutdown load is therefore O(segments), not O(bytes).
//
// The class holds the segment's state, its appends and its lazy opening; the longer work is in
// its parts, called by the methods of the same purpose: lookups (segment-read.ts), recovery,
// truncation and the state read back from files (segment-recovery.ts), file creation, renames
// and removal (segment-files.ts).

import { join } from 'node:path'
import type { FileHandle, Fs } from '../common/fs.ts'
import { errnoCode, readAt } from '../common/fs.ts'
import { BATCH_HEADER_SIZE, BatchOffsets } from '../records/batch-header.ts'
import type { BatchInfo } from './batch-scan.ts'
import { blockingWrites } from './blocking-io.ts'
import { indexFileName, logFileName, timeIndexFileName, txnIndexFileName } from './file-names.ts'
import { OffsetIndex } from './offset-index.ts'
import { type OpenFile, openSegmentFiles, pinnedAll } from './open-files.ts'
import { createFiles, removeFiles, renameFiles } from './segment-files.ts'
import { findBatchByTimestampIn, readRangeIn, type SegmentRange, translateOffsetIn } from './segment-read.ts'
import {
  MAX_RELATIVE_OFFSET,
  readNextOffsetOf,
  readTimeIndexMax,
  recoverSegment,
  truncateSegment,
} from './segment-recovery.ts'
import { StorageError, StorageErrorCode } from './storage-error.ts'
import { TimeIndex } from './time-index.ts'
import { TransactionIndex } from './transaction-index.ts'

/** What a segment needs to know about each batch it appends. */
export interface AppendedBatch {
  size: number
  lastOffset: bigint
  maxTimestamp: bigint
}

export interface SegmentOptions {
  /** segment.index.bytes */
  indexBytes: number
  /** Clock time now (creation time, for time-based roll of segments without timestamps). */
  now: number
  /** Random jitter subtracted from segment.ms for this segment. */
  rollJitterMs: number
}

// Members without `private` that callers have no use for (fs, oi, ti, recycled, the largest
// timestamp, the index bookkeeping and their helpers) are the segment's own state shared with its
// parts: segment-recovery.ts and segment-files.ts work on them; nothing else reads or writes them.
export class LogSegment implements OpenFile {
  readonly baseOffset: bigint
  readonly dir: string
  readonly fs: Fs
  /** '' for live files; '.deleted', '.cleaned' or '.swap' otherwise. */
  suffix: string
  /** Committed bytes of the .log file. */
  size: number
  // The three indexes are made on first use (getters below): an idle segment, which is what
  // most of thousands of partitions hold, never touches them (~350 bytes each saved).
  oi: OffsetIndex | null = null
  ti: TimeIndex | null = null
  private xi: TransactionIndex | null = null
  private readonly indexBytes: number
  /** Made by this process: its indexes start empty and loaded. */
  private readonly fresh: boolean
  /** The file was a retired segment's (segment-recycler.ts): bytes past `size` are stale. */
  recycled = false
  /** deleteFiles ran: the file may since hold another segment's bytes (segment-recycler.ts). */
  private deleted = false
  /** Whether a `.txnindex` file may exist. */
  private readonly txnIndexFile: boolean
  readonly rollJitterMs: number
  readonly createdMs: number
  lastModifiedMs: number
  /** Written since the last fsync. */
  dirty = false
  private file: FileHandle | null = null
  private opening: Promise<FileHandle> | null = null
  /** open-files.ts: the sweep counter at the handle's last use, and users holding it across calls. */
  usedAt = 0
  pins = 0
  private indexLoading: Promise<void> | null = null
  bytesSinceLastIndexEntry = 0
  maxTs = -1n
  maxTsOffset = -1n
  maxTsKnown: boolean
  /** maxTimestamp of the first batch (-1n: none; undefined: not read yet). */
  firstBatchTs: bigint | undefined

  private constructor(
    fs: Fs,
    dir: string,
    base: bigint,
    size: number,
    opts: SegmentOptions,
    fresh: boolean,
    suffix: string,
    txnIndexFile: boolean,
  ) {
    this.fs = fs
    this.dir = dir
    this.baseOffset = base
    this.size = size
    this.suffix = suffix
    this.rollJitterMs = opts.rollJitterMs
    this.createdMs = opts.now
    this.lastModifiedMs = opts.now
    this.indexBytes = opts.indexBytes
    this.fresh = fresh
    this.txnIndexFile = txnIndexFile
    this.maxTsKnown = fresh
    this.firstBatchTs = fresh ? -1n : undefined
  }

  /**
   * Creates an empty segment (its three files, empty). `suffix` '.cleaned' for compaction output.
   * `inEmptyDir`: the directory was just made, so no file of that name can exist to be cut.
   * No handle stays open: the .log file opens on first use, so an idle log holds no descriptor.
   * `reuse`: a retired segment's .log file to rename into place instead of creating an empty one
   * (segment-recycler.ts); its old bytes stay past the new segment's data until trimFile().
   */
  static async create(
    fs: Fs,
    dir: string,
    base: bigint,
    opts: SegmentOptions,
    suffix = '',
    inEmptyDir = false,
    reuse?: string,
  ): Promise<LogSegment> {
    const seg = new LogSegment(fs, dir, base, 0, opts, true, suffix, false)
    await createFiles(fs, seg, inEmptyDir, reuse)
    return seg
  }

  /**
   * An existing segment of `size` bytes; files and indexes open lazily. `txnIndexFile`: whether a
   * `.txnindex` file may exist (false when the caller listed the directory and saw none).
   */
  static existing(
    fs: Fs,
    dir: string,
    base: bigint,
    size: number,
    mtimeMs: number,
    opts: SegmentOptions,
    suffix = '',
    txnIndexFile = true,
  ) {
    const seg = new LogSegment(fs, dir, base, size, opts, false, suffix, txnIndexFile)
    seg.lastModifiedMs = mtimeMs
    return seg
  }

  get logPath(): string {
    return join(this.dir, logFileName(this.baseOffset) + this.suffix)
  }

  // An index made late is made exactly as it would have been at construction: a fresh segment's
  // indexes only ever change through these getters, so until the first use they are empty.
  // Live files' paths are built from the shared directory string when needed (index-file.ts).
  get offsetIndex(): OffsetIndex {
    this.oi ??= new OffsetIndex(
      this.suffix === '' ? { dir: this.dir } : this.indexPath(),
      this.baseOffset,
      this.indexBytes,
      this.fresh,
    )
    return this.oi
  }

  get timeIndex(): TimeIndex {
    this.ti ??= new TimeIndex(
      this.suffix === '' ? { dir: this.dir } : this.timeIndexPath(),
      this.baseOffset,
      this.indexBytes,
      this.fresh,
    )
    return this.ti
  }

  /** Aborted transactions whose markers are in this segment (written by replication/unified-log.ts). */
  get txnIndex(): TransactionIndex {
    this.xi ??= new TransactionIndex(
      this.fs,
      this.suffix === ''
        ? { dir: this.dir, base: this.baseOffset }
        : join(this.dir, txnIndexFileName(this.baseOffset) + this.suffix),
      this.txnIndexFile,
    )
    return this.xi
  }

  /** The offset index file's path, without making the index. */
  indexPath(): string {
    return this.oi?.path ?? join(this.dir, indexFileName(this.baseOffset) + this.suffix)
  }

  timeIndexPath(): string {
    return this.ti?.path ?? join(this.dir, timeIndexFileName(this.baseOffset) + this.suffix)
  }

  /** The .log file, opened on first use. */
  handle(): Promise<FileHandle> {
    if (this.file !== null) {
      this.usedAt = openSegmentFiles.stamp
      return Promise.resolve(this.file)
    }
    // A reader that took this segment before retention removed it: its data is gone (and its
    // file may be another segment's by now), as for a fetch below the log start.
    if (this.deleted) {
      return Promise.reject(
        new StorageError(StorageErrorCode.OffsetOutOfRange, `segment ${this.logPath} was deleted`),
      )
    }
    this.opening ??= this.fs.open(this.logPath, 'rw').then((f) => {
      this.file = f
      this.opening = null
      this.usedAt = openSegmentFiles.stamp
      openSegmentFiles.opened(this)
      return f
    })
    return this.opening
  }

  /** For open-files.ts: closes the handle (calls in flight finish first, fs.ts); next use reopens. */
  closeIdle(): void {
    const f = this.file
    this.file = null
    f?.close().catch(() => {})
  }

  /** Runs `fn`, which holds this segment's handle across many calls, with the handle kept open. */
  pinned<T>(fn: () => Promise<T>): Promise<T> {
    return pinnedAll([this], fn)
  }

  /** The open handle, if any (read ranges refer to it). */
  get openHandle(): FileHandle | null {
    return this.file
  }

  /** Loads both indexes if needed; rebuilds them from the log when missing or insane. */
  ensureIndexes(): Promise<void> {
    if (this.offsetIndex.loaded && this.timeIndex.loaded) return Promise.resolve()
    this.indexLoading ??= (async () => {
      try {
        const okOffsets = this.offsetIndex.loaded || (await this.offsetIndex.load(this.fs, this.size))
        const okTimes = this.timeIndex.loaded || (await this.timeIndex.load(this.fs, this.size))
        if (!okOffsets || !okTimes) await this.rebuildIndexes()
        else this.adoptTimeIndexMax()
      } finally {
        this.indexLoading = null
      }
    })()
    return this.indexLoading
  }

  /** Rebuilds both indexes by scanning the log (which also verifies it). */
  async rebuildIndexes(): Promise<void> {
    await this.recover(4096)
  }

  adoptTimeIndexMax(): void {
    const last = this.timeIndex.lastEntry
    if (last !== null && last.timestamp > this.maxTs) {
      this.maxTs = last.timestamp
      this.maxTsOffset = last.offset
    }
    this.maxTsKnown = true
  }

  /** Largest record timestamp in the segment, -1n when none has one (read lazily). */
  async maxTimestamp(): Promise<bigint> {
    if (!this.maxTsKnown) {
      if (this.timeIndex.loaded) {
        this.adoptTimeIndexMax()
      } else {
        await this.pinned(() => readTimeIndexMax(this))
        if (!this.maxTsKnown) await this.ensureIndexes()
      }
    }
    return this.maxTs
  }

  /** Largest timestamp, or the file's modification time when no record has one (Kafka's rule). */
  async largestTimestamp(): Promise<number> {
    const ts = await this.maxTimestamp()
    return ts >= 0n ? Number(ts) : this.lastModifiedMs
  }

  /** The offset of the batch where the largest timestamp was first seen (-1n: none). */
  async offsetOfMaxTimestamp(): Promise<bigint> {
    await this.maxTimestamp()
    return this.maxTsOffset
  }

  /** maxTimestamp of the first batch (-1n when empty), read lazily. */
  async firstBatchTimestamp(): Promise<bigint> {
    if (this.firstBatchTs === undefined) {
      if (this.size < BATCH_HEADER_SIZE) {
        this.firstBatchTs = -1n
      } else {
        const h = await readAt(await this.handle(), 0, BATCH_HEADER_SIZE)
        this.firstBatchTs = h.length === BATCH_HEADER_SIZE ? h.readBigInt64BE(BatchOffsets.maxTimestamp) : -1n
      }
    }
    return this.firstBatchTs
  }

  /** Kafka's time-based roll test: has the segment's first batch become too old? */
  async shouldRollForTime(now: number, maxTimestampInAppend: bigint, segmentMs: number): Promise<boolean> {
    if (this.size === 0) return false
    return this.rollDue(await this.firstBatchTimestamp(), now, maxTimestampInAppend, segmentMs)
  }

  /** shouldRollForTime without reading the file: null while the first batch's timestamp is unknown. */
  shouldRollForTimeNow(now: number, maxTimestampInAppend: bigint, segmentMs: number): boolean | null {
    if (this.size === 0) return false
    if (this.firstBatchTs === undefined) return null
    return this.rollDue(this.firstBatchTs, now, maxTimestampInAppend, segmentMs)
  }

  private rollDue(first: bigint, now: number, maxTimestampInAppend: bigint, segmentMs: number): boolean {
    const waited = first >= 0n ? Number(maxTimestampInAppend - first) : now - this.createdMs
    return waited > segmentMs - this.rollJitterMs
  }

  /** Can `offset` be stored relative to the base offset (32 bits)? */
  canHold(offset: bigint): boolean {
    const rel = offset - this.baseOffset
    return rel >= 0n && rel <= MAX_RELATIVE_OFFSET
  }

  /**
   * Appends batches (already carrying their offsets) with one positional write at the end of the
   * committed data, then indexes them. The indexes must be loaded (the active segment's are).
   */
  append(
    chunks: readonly Buffer[],
    batches: readonly AppendedBatch[],
    indexIntervalBytes: number,
    now: number,
  ): void | Promise<void> {
    // The hot path: the file is open and may be written on the event loop (blocking-io.ts),
    // so the append completes before this returns, with no promise (one per partition-append
    // adds up when a request carries thousands of partitions).
    const f = this.file
    if (f === null || f.writevBlocking === undefined || !blockingWrites.allowed())
      return this.appendAsync(chunks, batches, indexIntervalBytes, now)
    const start = this.size
    try {
      this.writeBlocking(f, chunks, start)
    } catch (err) {
      return this.undoTornWrite(f, start, err)
    }
    this.appended(batches, start, indexIntervalBytes, now)
  }

  private async appendAsync(
    chunks: readonly Buffer[],
    batches: readonly AppendedBatch[],
    indexIntervalBytes: number,
    now: number,
  ): Promise<void> {
    const f = await this.handle()
    const start = this.size
    try {
      if (f.writevBlocking !== undefined && blockingWrites.allowed()) this.writeBlocking(f, chunks, start)
      else await f.writev(chunks, start)
    } catch (err) {
      await this.undoTornWrite(f, start, err)
    }
    this.appended(batches, start, indexIntervalBytes, now)
  }

  private writeBlocking(f: FileHandle, chunks: readonly Buffer[], start: number): void {
    let bytes = 0
    for (const c of chunks) bytes += c.length
    const t0 = performance.now()
    f.writevBlocking!(chunks, start)
    blockingWrites.took(performance.now() - t0, bytes)
  }

  /**
   * A full disk fails a write part-way, leaving a torn batch after the committed bytes. Cut it off
   * (shrinking needs no space) so the segment holds whole batches only and stays usable; any other
   * failure, or a failed cut, is the caller's to treat as a broken disk. Always rejects.
   */
  private async undoTornWrite(f: FileHandle, start: number, err: unknown): Promise<never> {
    if (errnoCode(err) !== 'ENOSPC') throw err
    await f.truncate(start)
    throw new StorageError(
      StorageErrorCode.NoSpace,
      `no space left on device writing ${this.logPath}: the write was undone`,
      { cause: err },
    )
  }

  /** After the write of `batches` at `start`: indexes, size. */
  private appended(
    batches: readonly AppendedBatch[],
    start: number,
    indexIntervalBytes: number,
    now: number,
  ): void {
    this.dirty = true
    let pos = start
    for (const b of batches) {
      this.indexBatch(b, pos, indexIntervalBytes)
      pos += b.size
    }
    if (start === 0 && batches.length > 0) this.firstBatchTs = batches[0].maxTimestamp
    this.size = pos
    this.lastModifiedMs = now
  }

  indexBatch(b: AppendedBatch, position: number, indexIntervalBytes: number): void {
    if (b.maxTimestamp > this.maxTs) {
      this.maxTs = b.maxTimestamp
      this.maxTsOffset = b.lastOffset
    }
    if (this.bytesSinceLastIndexEntry > indexIntervalBytes) {
      this.offsetIndex.append(b.lastOffset, position)
      this.timeIndex.maybeAppend(this.maxTs, this.maxTsOffset)
      this.bytesSinceLastIndexEntry = 0
    }
    this.bytesSinceLastIndexEntry += b.size
  }

  /** The first batch whose last offset is >= `target`, searching below `limit`; null if none. */
  translateOffset(target: bigint, limit = this.size): Promise<BatchInfo | null> {
    return translateOffsetIn(this, target, limit)
  }

  /**
   * Finds the byte range to read for a fetch from `fetchOffset`: whole batches from the one
   * holding it, at most `maxBytes` (the first batch always when `minOneBatch`), none with an
   * offset >= `maxOffset`, all below `limit`. null when no batch at or after fetchOffset exists
   * below the limit. `full` means a bound was hit (the caller must not continue into the next
   * segment).
   */
  readRange(
    fetchOffset: bigint,
    maxBytes: number,
    maxOffset: bigint,
    limit: number,
    minOneBatch: boolean,
    startHint?: number,
  ): Promise<SegmentRange | null> {
    return readRangeIn(this, fetchOffset, maxBytes, maxOffset, limit, minOneBatch, startHint)
  }

  /**
   * Position of the first batch whose last offset is >= `target` (null if none below `limit`),
   * found with the offset index and a short scan.
   */
  async locate(target: bigint, limit: number): Promise<number | null> {
    return (await this.translateOffset(target, limit))?.position ?? null
  }

  /**
   * The first batch at or after `startingOffset` whose max timestamp is >= `timestamp`, via the
   * time index; null if none.
   */
  findBatchByTimestamp(
    timestamp: bigint,
    startingOffset: bigint,
    limit = this.size,
  ): Promise<BatchInfo | null> {
    return findBatchByTimestampIn(this, timestamp, startingOffset, limit)
  }

  /** Reads whole batches [position, position + length) into one buffer. */
  async readBytes(position: number, length: number): Promise<Buffer> {
    return readAt(await this.handle(), position, length)
  }

  /**
   * After a clean shutdown: the offset after the last batch, found by scanning from the last
   * offset index entry. null when the tail does not parse (the caller then recovers).
   */
  readNextOffset(): Promise<bigint | null> {
    return readNextOffsetOf(this, this.file !== null || this.opening !== null)
  }

  /**
   * Verifies every batch (size, CRC, offsets increasing and within the segment's 32-bit range),
   * rebuilds both indexes, and cuts the file at the first bad batch. Returns the bytes removed
   * and the offset after the last good batch. `onBatch` sees every good batch (for the epoch
   * cache).
   */
  recover(
    indexIntervalBytes: number,
    onBatch?: (b: BatchInfo) => void,
  ): Promise<{ truncatedBytes: number; nextOffset: bigint }> {
    return this.pinned(() => recoverSegment(this, indexIntervalBytes, onBatch))
  }

  /**
   * Removes every batch whose last offset is >= `offset` (a batch holding `offset` goes whole),
   * durably. Returns the bytes removed and the offset after the last batch left (the base offset
   * when none is left), which is what a reload would find.
   */
  truncateTo(offset: bigint): Promise<{ removed: number; nextOffset: bigint }> {
    return this.pinned(() => truncateSegment(this, offset))
  }

  /** Drops transaction index entries whose marker is at or after `offset` (file written, not synced). */
  async truncateTxnIndex(offset: bigint): Promise<void> {
    if (!this.txnIndex.mayHaveEntries) return
    await this.txnIndex.ensureLoaded()
    this.txnIndex.truncateTo(offset)
    await this.txnIndex.write()
  }

  /** Called when the segment stops being the active one: records its largest timestamp. */
  onBecomeInactive(): void {
    if (this.maxTs >= 0n && this.timeIndex.loaded)
      this.timeIndex.maybeAppend(this.maxTs, this.maxTsOffset, true)
  }

  /**
   * fsyncs the log, and with `indexes` both indexes (writing pending entries first). The active
   * segment's indexes need no fsync: recovery always rebuilds the segment holding the recovery
   * point. An inactive segment's must be durable before the recovery point passes it.
   */
  async flush(indexes: boolean): Promise<void> {
    // Removed while a flush that listed it was running: nothing of it is left to make durable.
    if (this.deleted) return
    const wasDirty = this.dirty
    this.dirty = false
    try {
      if (wasDirty) await (await this.handle()).sync()
      // An index never made has nothing to write: empty (fresh) or never loaded.
      if (indexes) {
        await this.oi?.persist(this.fs, true)
        await this.ti?.persist(this.fs, true)
      }
      // Unlike the other indexes, recovery does not rebuild this one below the producer state's
      // snapshot: it is durable whenever the log data is.
      await this.xi?.flush()
    } catch (err) {
      this.dirty = true
      throw err
    }
  }

  /** Renames the three files to carry `suffix` ('' to make them live again). */
  changeSuffix(suffix: string): Promise<void> {
    return renameFiles(this, suffix)
  }

  /**
   * Cuts a reused file (see create) to the segment's data. Called before the file's fsync when
   * the segment stops being active or the log closes: a file loaded later without recovery must
   * hold whole batches only.
   */
  async trimFile(): Promise<void> {
    if (!this.recycled) return
    await (await this.handle()).truncate(this.size)
    this.recycled = false
    // The cut must be fsynced with the data before the recovery point passes this segment.
    this.dirty = true
  }

  /** Closes the file handle, writing index entries not yet on disk (no fsync). */
  async close(): Promise<void> {
    await this.trimFile()
    if (this.oi?.loaded) await this.oi.persist(this.fs, false)
    if (this.ti?.loaded) await this.ti.persist(this.fs, false)
    await this.xi?.write()
    await this.closeHandle()
  }

  async closeHandle(): Promise<void> {
    const f = this.file ?? (this.opening !== null ? await this.opening.catch(() => null) : null)
    this.file = null
    if (f !== null) openSegmentFiles.closed(this)
    await f?.close()
  }

  /** Closes and removes the segment's files; with `keepLog` the .log file stays (to be reused). */
  deleteFiles(keepLog = false): Promise<void> {
    this.deleted = true
    return removeFiles(this, keepLog)
  }

  /** Approximate heap bytes held by this segment's in-memory state. */
  get memoryBytes(): number {
    return 400 + (this.oi?.memoryBytes ?? 0) + (this.ti?.memoryBytes ?? 0)
  }
}
