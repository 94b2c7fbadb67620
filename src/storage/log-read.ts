// The read side of a log: batches for a fetch (as file ranges, or as bytes read straight into
// one buffer), and offsets by timestamp. Readers work on a snapshot (ReadView) taken without
// waiting for the writer: the segment list, each segment's committed size and the LEO. A batch
// counts only once the LEO passed it, so a batch still being written is never returned.

import { type FileHandle, readFully, readFullyBlocking } from '../common/fs.ts'
import { sharedBufferPool } from '../protocol/buffer-pool.ts'
import { BATCH_HEADER_SIZE, BatchOffsets, LOG_OVERHEAD } from '../records/batch-header.ts'
import { iterateRecords } from '../records/record-iterator.ts'
import { blockingReads } from './blocking-io.ts'
import type { FileRange } from './file-range.ts'
import type { LeaderEpochCache } from './leader-epoch-cache.ts'
import type { LogSegment } from './log-segment.ts'
import { floorSegmentIndex } from './log-segments.ts'
import { READ_AHEAD_MIN_BYTES, ReadAhead } from './read-ahead.ts'
import { StorageError, StorageErrorCode } from './storage-error.ts'
import type { TailCache } from './tail-cache.ts'

const pool = sharedBufferPool
const NO_RECORDS = Buffer.alloc(0)

export interface ReadOptions {
  /** Exclusive upper bound: no batch holding an offset >= this is returned (e.g. the HW). */
  maxOffset?: bigint
  /** Return the first batch even when larger than maxBytes (Kafka's rule; default true). */
  minOneBatch?: boolean
}

export interface LogReadResult {
  /** Whole batches, in order; empty when there is nothing to return. */
  ranges: FileRange[]
  sizeInBytes: number
  /** Base offset of the first batch returned (-1n when none). */
  firstBatchOffset: bigint
  highWatermark: bigint
  logStartOffset: bigint
  logEndOffset: bigint
}

/** Kafka's ListOffsets sentinels. */
export const ListOffsetsTimestamp = {
  latest: -1n,
  earliest: -2n,
  maxTimestamp: -3n,
  earliestLocal: -4n,
} as const

/** How many recent batch starts a log remembers. */
const HINTS = 32

/**
 * Where recent batches start, keyed by base offset: the ends of recent reads and the starts of
 * recent appends. A sequential reader's next fetch starts exactly at one, so it costs no index
 * lookup. The log clears it on truncation; an entry for a segment no longer in the list is
 * never used (segments are compared by identity). It also holds the log's read-ahead
 * (read-ahead.ts), which the same clearing drops.
 *
 * A ring of the last HINTS starts, searched newest first: every append adds one, and a Map keyed
 * by bigint (hash, delete, insert, evict per append) was ~5 % of the broker's main thread for a
 * request carrying a 1 KiB batch for each of 1,000 partitions (docs/performance.md, session 18).
 */
export class ReadHints {
  /** Hints in slots 0..count-1; null until the first (an idle log carries none). */
  private slots: { offsets: bigint[]; segs: LogSegment[]; positions: number[] } | null = null
  /** Slot of the next hint; hints held (at most HINTS). */
  private next = 0
  private count = 0
  private aheadSlot: ReadAhead | null = null

  /** Made on the first read that uses it, like the hints. */
  get ahead(): ReadAhead {
    this.aheadSlot ??= new ReadAhead()
    return this.aheadSlot
  }

  get(offset: bigint): { seg: LogSegment; position: number } | undefined {
    const s = this.slots
    if (s === null) return undefined
    for (let i = 1, k = this.next; i <= this.count; i++) {
      k = k === 0 ? HINTS - 1 : k - 1
      if (s.offsets[k] === offset) return { seg: s.segs[k], position: s.positions[k] }
    }
    return undefined
  }

  set(offset: bigint, seg: LogSegment, position: number): void {
    // The arrays grow slot by slot up to HINTS (filled in order, so they stay packed): a log
    // written once keeps one hint, not 32 slots.
    this.slots ??= { offsets: [], segs: [], positions: [] }
    const s = this.slots
    const k = this.next
    s.offsets[k] = offset
    s.segs[k] = seg
    s.positions[k] = position
    this.next = k === HINTS - 1 ? 0 : k + 1
    if (this.count < HINTS) this.count++
  }

  clear(): void {
    this.slots = null
    this.next = 0
    this.count = 0
    this.aheadSlot?.drop()
  }
}

export interface ReadView {
  name: string
  leo: bigint
  startOffset: bigint
  highWatermark: bigint
  segments: readonly LogSegment[]
  hints: ReadHints
  /** The leader's newest appends in memory (tail-cache.ts); absent in readers that have none. */
  tail?: TailCache
}

export async function readFileRanges(
  v: ReadView,
  fetchOffset: bigint,
  maxBytes: number,
  opts: ReadOptions = {},
): Promise<LogReadResult> {
  const { leo, segments, startOffset } = v
  const result: LogReadResult = {
    ranges: [],
    sizeInBytes: 0,
    firstBatchOffset: -1n,
    highWatermark: v.highWatermark,
    logStartOffset: startOffset,
    logEndOffset: leo,
  }
  if (fetchOffset < startOffset || fetchOffset > leo) {
    throw new StorageError(
      StorageErrorCode.OffsetOutOfRange,
      `offset ${fetchOffset} is out of range for ${v.name} [${startOffset}, ${leo}]`,
    )
  }
  const maxOffset = opts.maxOffset !== undefined && opts.maxOffset < leo ? opts.maxOffset : leo
  if (fetchOffset >= maxOffset) return result
  let remaining = maxBytes
  let minOne = opts.minOneBatch ?? true
  const hint = v.hints.get(fetchOffset)
  for (let i = Math.max(0, floorSegmentIndex(segments, fetchOffset)); i < segments.length; i++) {
    const seg = segments[i]
    const at = hint?.seg === seg ? hint.position : undefined
    const r = await seg.readRange(fetchOffset, remaining, maxOffset, seg.size, minOne, at)
    if (r === null) continue
    if (r.length > 0) {
      result.ranges.push({ file: await seg.handle(), position: r.position, length: r.length })
      if (result.firstBatchOffset < 0n) result.firstBatchOffset = r.firstOffset
      result.sizeInBytes += r.length
      remaining -= r.length
      minOne = false
    }
    if (r.full || remaining <= 0) break
  }
  return result
}

export async function readBatchBytes(
  v: ReadView,
  fetchOffset: bigint,
  maxBytes: number,
  opts: ReadOptions = {},
): Promise<LogReadResult & { records: Buffer }> {
  const { leo, segments, startOffset, highWatermark } = v
  if (fetchOffset < startOffset || fetchOffset > leo) {
    throw new StorageError(
      StorageErrorCode.OffsetOutOfRange,
      `offset ${fetchOffset} is out of range for ${v.name} [${startOffset}, ${leo}]`,
    )
  }
  const maxOffset = opts.maxOffset !== undefined && opts.maxOffset < leo ? opts.maxOffset : leo
  const result = {
    ranges: [] as FileRange[],
    sizeInBytes: 0,
    firstBatchOffset: -1n,
    highWatermark,
    logStartOffset: startOffset,
    logEndOffset: leo,
  }
  if (fetchOffset >= maxOffset) return { ...result, records: NO_RECORDS }
  const cached = v.tail?.read(fetchOffset, maxBytes, maxOffset, opts.minOneBatch ?? true)
  if (cached != null) {
    const { records, firstBatchOffset, next } = cached
    v.hints.set(next.offset, next.seg, next.position)
    return { ...result, firstBatchOffset, sizeInBytes: records.length, records }
  }
  const first = Math.max(0, floorSegmentIndex(segments, fetchOffset))
  const hint = v.hints.get(fetchOffset)
  const locate = (seg: LogSegment, limit: number) =>
    hint?.seg === seg ? hint.position : seg.locate(fetchOffset, limit)
  // Sized by what lies after the fetch position, so a consumer that is caught up (a few KiB new)
  // gets a small buffer, not maxBytes. Large ones come from the shared pool: a fetch response
  // gives them back once written to the socket; other callers simply drop them.
  const firstLimit = first < segments.length ? segments[first].size : 0
  const firstStart = first < segments.length ? await locate(segments[first], firstLimit) : null
  let available = firstStart === null ? 0 : Math.max(0, firstLimit - firstStart)
  for (let i = first + 1; i < segments.length; i++) available += segments[i].size
  let out = pool.acquire(Math.max(0, Math.min(maxBytes, available)))
  /** The byte budget of `out` (a read-ahead buffer taken as `out` may be larger). */
  let cap = out.length
  let filled = 0
  let minOne = opts.minOneBatch ?? true
  let lastEnd: { seg: LogSegment; file: FileHandle; position: number; next: bigint } | null = null
  for (let i = first; i < segments.length; i++) {
    const seg = segments[i]
    const limit = i === first ? firstLimit : seg.size
    const start = i === first ? firstStart : await locate(seg, limit)
    if (start === null || start >= limit) continue
    const room = cap - filled
    const want = Math.min(limit - start, Math.max(room, minOne ? BATCH_HEADER_SIZE : 0))
    if (want <= 0) break
    // A sequential reader's bytes may have been read ahead already (read-ahead.ts).
    const taking = i === first && hint?.seg === seg ? v.hints.ahead.take(seg, start, fetchOffset) : null
    const ahead = taking === null ? null : await taking
    let got: number
    const f = await seg.handle()
    if (ahead !== null && ahead.got >= want) {
      pool.release(out)
      out = ahead.buf
      got = want
    } else {
      if (ahead !== null) pool.release(ahead.buf)
      if (filled + want > out.length) {
        const bigger = pool.acquire(filled + want)
        out.copy(bigger, 0, 0, filled)
        pool.release(out)
        out = bigger
        cap = out.length
      }
      got = readSmallNow(f, out, filled, want, start) ?? (await readFully(f, out, filled, want, start))
    }
    // Walk the headers in what was read; stop at a partial batch, maxOffset or the budget.
    let p = filled
    let stop = false
    for (;;) {
      if (filled + got - p < BATCH_HEADER_SIZE) {
        // Out of bytes: go on to the next segment only if this one was read to its end.
        const leftover = filled + got - p
        stop = leftover > 0 || got < limit - start
        break
      }
      const size = out.readInt32BE(p + BatchOffsets.batchLength) + LOG_OVERHEAD
      const base = out.readBigInt64BE(p + BatchOffsets.baseOffset)
      const last = base + BigInt(out.readInt32BE(p + BatchOffsets.lastOffsetDelta))
      if (size < BATCH_HEADER_SIZE || last >= maxOffset) {
        stop = true
        break
      }
      if (p + size > filled + got) {
        if (!minOne || p !== filled || start + size > limit) {
          stop = true
          break
        }
        // The first batch is larger than maxBytes: return it whole anyway (Kafka's rule).
        const whole = pool.acquire(filled + size)
        out.copy(whole, 0, 0, filled + got)
        pool.release(out)
        out = whole
        cap = out.length
        got += await readFully(f, out, filled + got, size - got, start + got)
        if (p + size > filled + got) {
          stop = true
          break
        }
      }
      if (result.firstBatchOffset < 0n) result.firstBatchOffset = base
      minOne = false
      p += size
      lastEnd = { seg, file: f, position: start + (p - filled), next: last + 1n }
    }
    const taken = p - filled
    if (taken > 0) result.ranges.push({ file: f, position: start, length: taken })
    filled = p
    if (stop || filled >= cap) break
  }
  result.sizeInBytes = filled
  if (lastEnd !== null) {
    v.hints.set(lastEnd.next, lastEnd.seg, lastEnd.position)
    // A large read with committed bytes after it in the same segment: a reader that is behind.
    const rest = lastEnd.seg.size - lastEnd.position
    if (filled >= READ_AHEAD_MIN_BYTES && rest > 0)
      v.hints.ahead.start(lastEnd.seg, lastEnd.file, lastEnd.position, lastEnd.next, Math.min(rest, maxBytes))
  }
  if (filled === 0) {
    pool.release(out)
    return { ...result, records: NO_RECORDS }
  }
  return { ...result, records: out.subarray(0, filled) }
}

/**
 * Reads of at most this many bytes are made on the event loop (blocking-io.ts decides whether it
 * may block): a caught-up reader asks for what was appended moments ago, in the page cache, where
 * the read is a copy of a few KiB (microseconds), while through the thread pool it paid a hand-off,
 * a pool thread's wake-up and the loop's when it landed, on the fetch's critical path (e2e at
 * fetch wait 1 ms, docs/performance.md "Side by side, session 16"). Larger reads are a reader that
 * is behind, whose next reads are read ahead (read-ahead.ts).
 */
export const BLOCKING_READ_MAX = READ_AHEAD_MIN_BYTES
/**
 * Blocking small reads stop for the rest of a loop turn once they took this long in it: a fetch
 * of thousands of partitions whose bytes are no longer cached would otherwise stall every
 * connection for all of them (each such read can be under the policy's "slow" mark).
 */
export const BLOCKING_READ_TURN_MS = 1
let turnMs = 0
let turnEndQueued = false
const endTurn = () => {
  turnMs = 0
  turnEndQueued = false
}

/** The read made at once when it is small and blocking reads are allowed, else null. */
function readSmallNow(
  f: FileHandle,
  out: Buffer,
  at: number,
  length: number,
  position: number,
): number | null {
  if (length > BLOCKING_READ_MAX || f.readBlocking === undefined || turnMs >= BLOCKING_READ_TURN_MS)
    return null
  if (!blockingReads.allowed()) return null
  const t0 = performance.now()
  let n = -1
  try {
    n = readFullyBlocking(f, out, at, length, position)
  } finally {
    const ms = performance.now() - t0
    turnMs += ms
    if (!turnEndQueued) {
      turnEndQueued = true
      setImmediate(endTurn)
    }
    if (n >= 0) blockingReads.took(ms, n)
  }
  return n
}

export async function offsetForTimestamp(
  v: ReadView,
  epochCache: LeaderEpochCache,
  timestamp: bigint,
): Promise<{ offset: bigint; timestamp: bigint; leaderEpoch: number } | null> {
  const withEpoch = (offset: bigint, ts: bigint) => ({
    offset,
    timestamp: ts,
    leaderEpoch: epochCache.epochForOffset(offset),
  })
  if (timestamp === ListOffsetsTimestamp.earliest || timestamp === ListOffsetsTimestamp.earliestLocal) {
    return withEpoch(v.startOffset, -1n)
  }
  if (timestamp === ListOffsetsTimestamp.latest) return withEpoch(v.leo, -1n)
  const start = v.startOffset
  const segments = v.segments
  if (timestamp === ListOffsetsTimestamp.maxTimestamp) {
    let best: LogSegment | null = null
    let bestTs = -1n
    for (const seg of segments) {
      const ts = await seg.maxTimestamp()
      if (ts > bestTs) {
        bestTs = ts
        best = seg
      }
    }
    if (best === null) return null
    const b = await best.translateOffset(await best.offsetOfMaxTimestamp())
    if (b === null) return null
    const bytes = await best.readBytes(b.position, b.size)
    for (const rec of iterateRecords(bytes, 0, { verifyCrc: false })) {
      if (rec.timestamp === bestTs) return withEpoch(rec.offset, rec.timestamp)
    }
    return withEpoch(b.lastOffset, bestTs)
  }
  for (const seg of segments) {
    if ((await seg.maxTimestamp()) < timestamp) continue
    const b = await seg.findBatchByTimestamp(timestamp, start)
    if (b === null) continue
    const bytes = await seg.readBytes(b.position, b.size)
    for (const rec of iterateRecords(bytes, 0, { verifyCrc: false })) {
      if (rec.timestamp >= timestamp && rec.offset >= start) return withEpoch(rec.offset, rec.timestamp)
    }
  }
  return null
}
