// Walking the batches of a segment file without decoding records: only the fixed 61-byte v2
// header of each batch is looked at (sizes, offsets, timestamps, epoch). Reads go through a
// window buffer, so runs of small batches cost one read per window.

import { type FileHandle, readFully } from '../common/fs.ts'
import { BATCH_HEADER_SIZE, BatchOffsets, LOG_OVERHEAD } from '../records/batch-header.ts'

export interface BatchInfo {
  /** Position of the batch in its segment file. */
  position: number
  /** Whole batch size in bytes. */
  size: number
  baseOffset: bigint
  lastOffset: bigint
  maxTimestamp: bigint
  partitionLeaderEpoch: number
  recordsCount: number
}

/** Header fields of the batch at buf[pos..]; the caller ensures BATCH_HEADER_SIZE bytes exist. */
export function batchInfoAt(buf: Buffer, pos: number, filePosition: number): BatchInfo {
  const baseOffset = buf.readBigInt64BE(pos + BatchOffsets.baseOffset)
  return {
    position: filePosition,
    size: buf.readInt32BE(pos + BatchOffsets.batchLength) + LOG_OVERHEAD,
    baseOffset,
    lastOffset: baseOffset + BigInt(buf.readInt32BE(pos + BatchOffsets.lastOffsetDelta)),
    maxTimestamp: buf.readBigInt64BE(pos + BatchOffsets.maxTimestamp),
    partitionLeaderEpoch: buf.readInt32BE(pos + BatchOffsets.partitionLeaderEpoch),
    recordsCount: buf.readInt32BE(pos + BatchOffsets.recordsCount),
  }
}

/**
 * Splits a buffer of back-to-back batches into their headers. Stops at the first batch that is
 * incomplete (a fetch response may end in a partial batch) or whose size is impossible; `end`
 * tells where parsing stopped.
 */
export function splitBatches(
  buf: Buffer,
  start = 0,
  limit = buf.length,
): { batches: BatchInfo[]; end: number } {
  const batches: BatchInfo[] = []
  let pos = start
  while (limit - pos >= BATCH_HEADER_SIZE) {
    const size = buf.readInt32BE(pos + BatchOffsets.batchLength) + LOG_OVERHEAD
    if (size < BATCH_HEADER_SIZE || size > limit - pos) break
    batches.push(batchInfoAt(buf, pos, pos))
    pos += size
  }
  return { batches, end: pos }
}

/** Reads batch headers at arbitrary positions of one file, through a cached window. */
export class HeaderReader {
  private readonly file: FileHandle
  private readonly limit: number
  private readonly window: number
  private buf: Buffer = Buffer.alloc(0)
  private bufStart = 0
  private bufLen = 0

  /** `limit`: end of the committed data; batches must end at or before it. */
  constructor(file: FileHandle, limit: number, window = 16384) {
    this.file = file
    this.limit = limit
    this.window = Math.max(window, BATCH_HEADER_SIZE)
  }

  /** The header of the batch at `position`; null at or past the limit or for a malformed batch. */
  async at(position: number): Promise<BatchInfo | null> {
    if (this.limit - position < BATCH_HEADER_SIZE) return null
    if (position < this.bufStart || position + BATCH_HEADER_SIZE > this.bufStart + this.bufLen) {
      const len = Math.min(this.window, this.limit - position)
      if (this.buf.length < len) this.buf = Buffer.allocUnsafe(Math.max(len, this.window))
      const got = await readFully(this.file, this.buf, 0, len, position)
      this.bufStart = position
      this.bufLen = got
      if (got < BATCH_HEADER_SIZE) return null
    }
    const info = batchInfoAt(this.buf, position - this.bufStart, position)
    if (info.size < BATCH_HEADER_SIZE || info.size > this.limit - position) return null
    return info
  }
}
