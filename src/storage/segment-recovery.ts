// Recovery and truncation of one segment (log-segment.ts): both cut the .log file after its last
// good (or last kept) batch and derive the segment's in-memory state again from what is left —
// the indexes, the largest timestamp and its offset, the bytes since the last index entry, the
// first batch's timestamp. The rest of that state's loading from files is here too: the end scan
// of a clean load (the tail past the last index entry) and an old segment's largest timestamp
// from its time index file's last entry. LogSegment keeps this state in its own fields (no object
// of its own: thousands of idle segments) and its methods of the same purpose call these.

import { isNotFound, readAt, readFully } from '../common/fs.ts'
import {
  BATCH_HEADER_SIZE,
  BatchOffsets,
  BatchProblem,
  checkBatch,
  LOG_OVERHEAD,
} from '../records/batch-header.ts'
import type { BatchInfo } from './batch-scan.ts'
import { batchInfoAt, HeaderReader } from './batch-scan.ts'
import type { LogSegment } from './log-segment.ts'
import { TIME_INDEX_ENTRY_SIZE } from './time-index.ts'

/** The largest offset a segment can hold relative to its base (32 bits). */
export const MAX_RELATIVE_OFFSET = 0x7fffffffn
const RECOVERY_CHUNK = 4 << 20

/** LogSegment.recover. */
export async function recoverSegment(
  seg: LogSegment,
  indexIntervalBytes: number,
  onBatch?: (b: BatchInfo) => void,
): Promise<{ truncatedBytes: number; nextOffset: bigint }> {
  const f = await seg.handle()
  const fileSize = await f.size()
  seg.offsetIndex.reset()
  seg.timeIndex.reset()
  seg.maxTs = -1n
  seg.maxTsOffset = -1n
  seg.maxTsKnown = true
  seg.bytesSinceLastIndexEntry = 0
  seg.firstBatchTs = -1n
  let chunk = Buffer.allocUnsafe(Math.min(RECOVERY_CHUNK, Math.max(fileSize, BATCH_HEADER_SIZE)))
  let chunkStart = 0
  let chunkLen = 0
  const load = async (pos: number, want: number): Promise<void> => {
    const len = Math.min(Math.max(want, RECOVERY_CHUNK), fileSize - pos)
    if (chunk.length < len) chunk = Buffer.allocUnsafe(len)
    chunkStart = pos
    chunkLen = await readFully(f, chunk, 0, len, pos)
  }
  let pos = 0
  let prevLast = seg.baseOffset - 1n
  while (fileSize - pos >= BATCH_HEADER_SIZE) {
    if (pos + BATCH_HEADER_SIZE > chunkStart + chunkLen) await load(pos, BATCH_HEADER_SIZE)
    const size = chunk.readInt32BE(pos - chunkStart + BatchOffsets.batchLength) + LOG_OVERHEAD
    if (size < BATCH_HEADER_SIZE || size > fileSize - pos) break
    if (pos + size > chunkStart + chunkLen) await load(pos, size)
    if (pos + size > chunkStart + chunkLen) break
    const off = pos - chunkStart
    if (checkBatch(chunk, off, off + size) !== BatchProblem.ok) break
    const info = batchInfoAt(chunk, off, pos)
    if (info.baseOffset <= prevLast || info.lastOffset - seg.baseOffset > MAX_RELATIVE_OFFSET) break
    if (pos === 0) seg.firstBatchTs = info.maxTimestamp
    seg.indexBatch(info, pos, indexIntervalBytes)
    onBatch?.(info)
    prevLast = info.lastOffset
    pos += size
  }
  const truncatedBytes = fileSize - pos
  if (truncatedBytes > 0) await f.truncate(pos)
  // Whatever a crashed process wrote may still be only in the page cache: the next flush must
  // fsync it before the recovery point passes it (Kafka forces recovered segments too), or a
  // later power loss could take data below what was fsynced after it.
  seg.dirty = true
  seg.size = pos
  // Entries for markers that are no longer in the log go; the producer state replay rebuilds
  // whatever it covers (replication/unified-log.ts).
  await seg.truncateTxnIndex(prevLast + 1n)
  return { truncatedBytes, nextOffset: prevLast + 1n }
}

/** LogSegment.readNextOffset; `wasOpen`: whether the segment's file was open before. */
export async function readNextOffsetOf(seg: LogSegment, wasOpen: boolean): Promise<bigint | null> {
  if (!seg.offsetIndex.loaded || !seg.timeIndex.loaded) {
    const ok1 = await seg.offsetIndex.load(seg.fs, seg.size)
    const ok2 = await seg.timeIndex.load(seg.fs, seg.size)
    if (!ok1 || !ok2) return null
    seg.adoptTimeIndexMax()
  }
  if (seg.size === 0) return seg.baseOffset
  const start = seg.offsetIndex.lastEntry?.position ?? 0
  // The handle opened for this scan closes after it: a log loaded and left idle holds no
  // descriptor (the next read or append opens it again).
  try {
    return await seg.pinned(() => scanToEnd(seg, start))
  } finally {
    if (!wasOpen) await seg.closeHandle()
  }
}

/**
 * The offset after the last batch, scanning from `start` (the last offset index entry's
 * position) to the end; null when the tail does not parse. Part of LogSegment.readNextOffset.
 */
export async function scanToEnd(seg: LogSegment, start: number): Promise<bigint | null> {
  const reader = new HeaderReader(await seg.handle(), seg.size, 1 << 16)
  let last: BatchInfo | null = null
  let pos = start
  while (pos < seg.size) {
    const b = await reader.at(pos)
    if (b === null || b.baseOffset < seg.baseOffset || (last !== null && b.baseOffset <= last.lastOffset)) {
      return null
    }
    if (b.maxTimestamp > seg.maxTs) {
      seg.maxTs = b.maxTimestamp
      seg.maxTsOffset = b.lastOffset
    }
    last = b
    pos += b.size
  }
  seg.bytesSinceLastIndexEntry = seg.size - start
  return last === null ? seg.baseOffset : last.lastOffset + 1n
}

/** LogSegment.truncateTo. */
export async function truncateSegment(
  seg: LogSegment,
  offset: bigint,
): Promise<{ removed: number; nextOffset: bigint }> {
  const b = await seg.translateOffset(offset)
  let removed = 0
  if (b !== null) {
    const newSize = b.position
    removed = seg.size - newSize
    seg.offsetIndex.truncateToPosition(newSize)
    seg.timeIndex.truncateToOffset(offset)
    // Durable at once, log and indexes: an index must never hold entries past its log's end
    // (they would point into the middle of batches appended later).
    const f = await seg.handle()
    await f.truncate(newSize)
    seg.size = newSize
    await f.sync()
    await seg.offsetIndex.persist(seg.fs, true)
    await seg.timeIndex.persist(seg.fs, true)
    seg.bytesSinceLastIndexEntry = 0
    if (newSize === 0) seg.firstBatchTs = -1n
    await seg.truncateTxnIndex(offset)
    await seg.txnIndex.flush()
    // Largest timestamp left: the last time index entry covers everything up to the last
    // offset index entry; the scan below covers the batches after it.
    seg.maxTs = -1n
    seg.maxTsOffset = -1n
    seg.adoptTimeIndexMax()
  }
  const reader = new HeaderReader(await seg.handle(), seg.size)
  let pos = seg.offsetIndex.lastEntry?.position ?? 0
  let nextOffset = seg.baseOffset
  for (let h = await reader.at(pos); h !== null; h = await reader.at(pos)) {
    if (h.maxTimestamp > seg.maxTs) {
      seg.maxTs = h.maxTimestamp
      seg.maxTsOffset = h.lastOffset
    }
    nextOffset = h.lastOffset + 1n
    pos += h.size
  }
  return { removed, nextOffset }
}

/**
 * An old segment's largest timestamp from the last entry of its time index file, without loading
 * the index (LogSegment.maxTimestamp); leaves maxTsKnown false when the file is missing or its
 * size is not whole entries (the caller then loads the indexes).
 */
export async function readTimeIndexMax(seg: LogSegment): Promise<void> {
  try {
    const f = await seg.fs.open(seg.timeIndex.path, 'r')
    try {
      const size = await f.size()
      if (size >= TIME_INDEX_ENTRY_SIZE && size % TIME_INDEX_ENTRY_SIZE === 0) {
        const last = await readAt(f, size - TIME_INDEX_ENTRY_SIZE, TIME_INDEX_ENTRY_SIZE)
        const ts = last.readBigInt64BE(0)
        if (ts > seg.maxTs) {
          seg.maxTs = ts
          seg.maxTsOffset = seg.baseOffset + BigInt(last.readInt32BE(8))
        }
        seg.maxTsKnown = true
      }
    } finally {
      await f.close()
    }
  } catch (err) {
    if (!isNotFound(err)) throw err
  }
}
