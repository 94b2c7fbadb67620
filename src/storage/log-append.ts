// The write of an append, kept apart from the rest of the log (log.ts): the leader epochs it
// starts, the rolls it needs, its batches written in as few positional writes as the segments
// allow, the read hints and the leader's tail cache. Log.append and Log.appendAsFollower check and
// prepare the batches (append-input.ts), then run this inside the writer queue.

import { errnoCode } from '../common/fs.ts'
import { chunksOf, type Incoming } from './append-input.ts'
import { roll } from './log-roll.ts'
import type { LogSegment } from './log-segment.ts'
import type { LogState } from './log-state.ts'
import { isStorageError, StorageError, StorageErrorCode } from './storage-error.ts'
import type { TailCache } from './tail-cache.ts'

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

export function emptyAppendResult(logStartOffset: bigint): AppendResult {
  return {
    firstOffset: -1n,
    lastOffset: -1n,
    logAppendTime: -1n,
    logStartOffset,
    recordsCount: 0,
    bytes: 0,
  }
}

/**
 * Writes prepared batches: epochs, rolls, grouped positional writes. Inside the queue. A partition's
 * usual append needs no epoch checkpoint and no roll and goes into the open active segment with
 * one write on the event loop: then the result comes back without a promise (a request appending
 * to thousands of partitions pays no promise chain per partition); otherwise a promise.
 */
export function writeBatches(
  s: LogState,
  batches: Incoming[],
  appendTime: bigint,
  now: number,
  cacheTail: boolean,
): AppendResult | Promise<AppendResult> {
  for (const b of batches) {
    if (b.epoch >= 0 && b.epoch > s.epochCache.latestEpoch) s.epochCache.assign(b.epoch, b.baseOffset)
  }
  let maxTs = -1n
  for (const b of batches) if (b.maxTimestamp > maxTs) maxTs = b.maxTimestamp
  const seg = s.segments.active
  if (
    s.epochCache.isDirty ||
    seg.shouldRollForTimeNow(now, maxTs, s.config.segmentMs) !== false ||
    groupEnd(seg, batches, 0, s.config.segmentBytes) < batches.length
  )
    return writeBatchesAsync(s, batches, maxTs, appendTime, now, cacheTail)
  const written = writeGroupTo(s, seg, batches, 0, batches.length, now, cacheTail)
  return written === undefined
    ? appendResult(s, batches, appendTime)
    : written.then(() => appendResult(s, batches, appendTime))
}

/** writeBatches when it needs more than one write into the active segment as it is. */
async function writeBatchesAsync(
  s: LogState,
  batches: Incoming[],
  maxTs: bigint,
  appendTime: bigint,
  now: number,
  cacheTail: boolean,
): Promise<AppendResult> {
  try {
    await s.epochCache.persist()
  } catch (err) {
    // Nothing is written yet and the cache stays dirty (persisted again by the next append).
    if (errnoCode(err) === 'ENOSPC') throw noSpace(s.name, err)
    throw err
  }
  if (await s.segments.active.shouldRollForTime(now, maxTs, s.config.segmentMs))
    await roll(s, batches[0].baseOffset)
  let i = 0
  while (i < batches.length) {
    try {
      i = await writeGroup(s, batches, i, now, cacheTail)
    } catch (err) {
      // An undone write refuses the whole append only when nothing of it is in the log yet;
      // after an earlier group the append is half done, which only recovery can sort out.
      if (i > 0 && isStorageError(err, StorageErrorCode.NoSpace)) throw err.cause
      throw err
    }
  }
  return appendResult(s, batches, appendTime)
}

/** Counts what an append of `batches` wrote. */
function appendResult(s: LogState, batches: Incoming[], appendTime: bigint): AppendResult {
  let bytes = 0
  let count = 0
  for (const b of batches) {
    count += b.recordsCount
    bytes += b.size
  }
  s.unflushedMessages += count
  return {
    firstOffset: batches[0].baseOffset,
    lastOffset: batches[batches.length - 1].lastOffset,
    logAppendTime: appendTime,
    logStartOffset: s.startOffset,
    recordsCount: count,
    bytes,
  }
}

/** Writes batches[i..j) with one write (rolling first when needed); returns j. */
async function writeGroup(
  s: LogState,
  batches: Incoming[],
  i: number,
  now: number,
  cacheTail: boolean,
): Promise<number> {
  let seg = s.segments.active
  let j = groupEnd(seg, batches, i, s.config.segmentBytes)
  if (j === i) {
    await roll(s, batches[i].baseOffset)
    seg = s.segments.active
    // A new segment takes any one batch.
    j = Math.max(i + 1, groupEnd(seg, batches, i, s.config.segmentBytes))
  }
  await writeGroupTo(s, seg, batches, i, j, now, cacheTail)
  return j
}

/** The end of the run of batches from i that `seg` can take in one write (i: not even batches[i]). */
function groupEnd(seg: LogSegment, batches: Incoming[], i: number, segmentBytes: number): number {
  if (!fits(seg, 0, batches[i], segmentBytes)) return i
  let groupBytes = batches[i].size
  let j = i + 1
  while (j < batches.length && fits(seg, groupBytes, batches[j], segmentBytes)) {
    groupBytes += batches[j].size
    j++
  }
  return j
}

/** Writes batches[i..j) into `seg` with one write; nothing returned when it was done at once. */
function writeGroupTo(
  s: LogState,
  seg: LogSegment,
  batches: Incoming[],
  i: number,
  j: number,
  now: number,
  cacheTail: boolean,
): void | Promise<void> {
  const group = i === 0 && j === batches.length ? batches : batches.slice(i, j)
  const position = seg.size
  s.hints.set(group[0].baseOffset, seg, position)
  const chunks = chunksOf(group)
  const written = seg.append(chunks, group, s.config.indexIntervalBytes, now)
  if (written !== undefined)
    return written.then(() => groupWritten(s, chunks, group, seg, position, cacheTail))
  groupWritten(s, chunks, group, seg, position, cacheTail)
}

/** After a group's write: the log end moves past it; the leader's tail cache takes its chunks. */
function groupWritten(
  s: LogState,
  chunks: readonly Buffer[],
  group: readonly Incoming[],
  seg: LogSegment,
  position: number,
  cacheTail: boolean,
): void {
  s.leo = group[group.length - 1].lastOffset + 1n
  if (cacheTail) cacheChunks(s.tail, chunks, group, seg, position)
}

/** Hands the chunks just written (batches back to back, in `group` order) to the tail cache. */
function cacheChunks(
  tail: TailCache,
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
    tail.add(c, base, group[b - 1].lastOffset, seg, position)
    position += c.length
  }
}

/** Can `b` go into `seg` after `pending` more bytes? (An empty segment takes any one batch.) */
function fits(seg: LogSegment, pending: number, b: Incoming, segmentBytes: number): boolean {
  const used = seg.size + pending
  if (used > 0 && used + b.size > segmentBytes) return false
  if (!seg.canHold(b.lastOffset) || b.baseOffset < seg.baseOffset) return false
  return !(seg.offsetIndex.isFull || seg.timeIndex.isFull)
}

function noSpace(name: string, cause: unknown): StorageError {
  return new StorageError(StorageErrorCode.NoSpace, `no space left on device appending to ${name}`, { cause })
}
