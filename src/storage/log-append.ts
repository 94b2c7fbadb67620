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

/** Writes prepared batches: epochs, rolls, grouped positional writes. Inside the queue. */
export async function writeBatches(
  s: LogState,
  batches: Incoming[],
  appendTime: bigint,
  now: number,
  cacheTail: boolean,
): Promise<AppendResult> {
  for (const b of batches) {
    if (b.epoch >= 0 && b.epoch > s.epochCache.latestEpoch) s.epochCache.assign(b.epoch, b.baseOffset)
  }
  try {
    await s.epochCache.persist()
  } catch (err) {
    // Nothing is written yet and the cache stays dirty (persisted again by the next append).
    if (errnoCode(err) === 'ENOSPC') throw noSpace(s.name, err)
    throw err
  }
  let maxTs = -1n
  for (const b of batches) if (b.maxTimestamp > maxTs) maxTs = b.maxTimestamp
  if (await s.segments.active.shouldRollForTime(now, maxTs, s.config.segmentMs))
    await roll(s, batches[0].baseOffset)
  let bytes = 0
  let count = 0
  let i = 0
  while (i < batches.length) {
    let j: number
    try {
      j = await writeGroup(s, batches, i, now, cacheTail)
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
  if (!fits(seg, 0, batches[i], s.config.segmentBytes)) {
    await roll(s, batches[i].baseOffset)
    seg = s.segments.active
  }
  let groupBytes = batches[i].size
  let j = i + 1
  while (j < batches.length && fits(seg, groupBytes, batches[j], s.config.segmentBytes)) {
    groupBytes += batches[j].size
    j++
  }
  const group = batches.slice(i, j)
  const position = seg.size
  s.hints.set(group[0].baseOffset, seg, position)
  const chunks = chunksOf(group)
  await seg.append(chunks, group, s.config.indexIntervalBytes, now)
  s.leo = group[group.length - 1].lastOffset + 1n
  if (cacheTail) cacheChunks(s.tail, chunks, group, seg, position)
  return j
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
