// The read side of one segment (log-segment.ts): the batch holding an offset, a fetch's byte
// range, the first batch at or after a timestamp. Kept apart from the segment's state and
// writes: these only look up, through the offset and time indexes and a short header scan,
// and change nothing. LogSegment's translateOffset, readRange and findBatchByTimestamp call
// these with the same arguments (no async layer of their own): the fetch path runs through them.

import type { BatchInfo } from './batch-scan.ts'
import { HeaderReader } from './batch-scan.ts'
import type { LogSegment } from './log-segment.ts'

/** A fetch's byte range in a segment (see LogSegment.readRange). */
export interface SegmentRange {
  position: number
  length: number
  firstOffset: bigint
  full: boolean
}

/** LogSegment.translateOffset. */
export async function translateOffsetIn(
  seg: LogSegment,
  target: bigint,
  limit: number,
): Promise<BatchInfo | null> {
  await seg.ensureIndexes()
  const reader = new HeaderReader(await seg.handle(), limit)
  return firstBatchFrom(reader, seg.offsetIndex.lookup(target).position, target)
}

/** Scans from `pos` for the first batch whose last offset is >= `target`; null if none. */
async function firstBatchFrom(reader: HeaderReader, pos: number, target: bigint): Promise<BatchInfo | null> {
  for (let b = await reader.at(pos); b !== null; b = await reader.at(pos)) {
    if (b.lastOffset >= target) return b
    pos += b.size
  }
  return null
}

/** LogSegment.readRange. */
export async function readRangeIn(
  seg: LogSegment,
  fetchOffset: bigint,
  maxBytes: number,
  maxOffset: bigint,
  limit: number,
  minOneBatch: boolean,
  startHint?: number,
): Promise<SegmentRange | null> {
  await seg.ensureIndexes()
  const reader = new HeaderReader(await seg.handle(), limit)
  const first = await firstBatchFrom(
    reader,
    startHint ?? seg.offsetIndex.lookup(fetchOffset).position,
    fetchOffset,
  )
  if (first === null) return null
  const start = first.position
  if (first.lastOffset >= maxOffset || (first.size > maxBytes && !minOneBatch))
    return { position: start, length: 0, firstOffset: first.baseOffset, full: true }
  let end = start + first.size
  if (end - start >= maxBytes)
    return { position: start, length: end - start, firstOffset: first.baseOffset, full: true }
  // Jump over whole runs of batches with the index: every batch before an entry's position has
  // offsets below that entry's offset.
  const byPos = seg.offsetIndex.floorByPosition(Math.min(start + maxBytes, limit))
  const byOff = seg.offsetIndex.floorByOffset(maxOffset)
  const j = Math.min(byPos, byOff)
  if (j >= 0 && seg.offsetIndex.positionAt(j) > end) end = seg.offsetIndex.positionAt(j)
  for (let b = await reader.at(end); ; b = await reader.at(end)) {
    if (b === null)
      return { position: start, length: end - start, firstOffset: first.baseOffset, full: false }
    if (b.lastOffset >= maxOffset || end + b.size - start > maxBytes) break
    end += b.size
  }
  return { position: start, length: end - start, firstOffset: first.baseOffset, full: true }
}

/** LogSegment.findBatchByTimestamp. */
export async function findBatchByTimestampIn(
  seg: LogSegment,
  timestamp: bigint,
  startingOffset: bigint,
  limit: number,
): Promise<BatchInfo | null> {
  await seg.ensureIndexes()
  const t = seg.timeIndex.lookup(timestamp)
  const from = t.offset > startingOffset ? t.offset : startingOffset
  const reader = new HeaderReader(await seg.handle(), limit)
  let pos = seg.offsetIndex.lookup(from).position
  for (let b = await reader.at(pos); b !== null; b = await reader.at(pos)) {
    if (b.maxTimestamp >= timestamp && b.lastOffset >= startingOffset) return b
    pos += b.size
  }
  return null
}
