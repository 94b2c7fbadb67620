// What the append path does with its input before writing: find the batches in the caller's
// buffers (headers only), check them (sizes; a follower's offsets), assign a leader's offsets in
// place, group the bytes into as few write chunks as possible, and, on compacted topics only,
// check that every record has a key (the one place the append path looks inside batches).

import {
  Attr,
  assignOffsets,
  BATCH_HEADER_SIZE,
  BatchOffsets,
  LOG_OVERHEAD,
  setLogAppendTime,
} from '../records/batch-header.ts'
import { iterateRecords } from '../records/record-iterator.ts'
import { isCompacted, type LogConfig } from './log-config.ts'
import { StorageError, StorageErrorCode } from './storage-error.ts'

/** A batch found in an append's input, about to be written. */
export interface Incoming {
  buf: Buffer
  pos: number
  size: number
  lastOffsetDelta: number
  baseOffset: bigint
  lastOffset: bigint
  maxTimestamp: bigint
  epoch: number
  recordsCount: number
}

/**
 * Finds the batches in the input buffers; follower input may end in a partial batch. Reads the
 * header fields straight into each Incoming (no intermediate header objects: a Java client's
 * request appends to thousands of partitions). A leader's batches get their offsets from
 * assignLeaderOffsets, so their client-set offsets are not read (-1n until then).
 */
export function parseIncoming(bufs: readonly Buffer[], withOffsets: boolean): Incoming[] {
  let out: Incoming[] | null = null
  let one: Incoming | null = null
  for (const buf of bufs) {
    let pos = 0
    while (buf.length - pos >= BATCH_HEADER_SIZE) {
      const size = buf.readInt32BE(pos + BatchOffsets.batchLength) + LOG_OVERHEAD
      if (size < BATCH_HEADER_SIZE || size > buf.length - pos) break
      const b = incomingAt(buf, pos, size, withOffsets)
      if (one === null) one = b
      else if (out === null) out = [one, b]
      else out.push(b)
      pos += size
    }
    if (pos !== buf.length && !withOffsets) {
      throw new StorageError(
        StorageErrorCode.CorruptData,
        `append input holds a partial batch at byte ${pos}`,
      )
    }
  }
  // The usual append is one batch: a one-element array (push onto [] reserves 17 slots).
  return out ?? (one === null ? [] : [one])
}

function incomingAt(buf: Buffer, pos: number, size: number, withOffsets: boolean): Incoming {
  const lastOffsetDelta = buf.readInt32BE(pos + BatchOffsets.lastOffsetDelta)
  const baseOffset = withOffsets ? buf.readBigInt64BE(pos + BatchOffsets.baseOffset) : -1n
  return {
    buf,
    pos,
    size,
    lastOffsetDelta,
    baseOffset,
    lastOffset: withOffsets ? baseOffset + BigInt(lastOffsetDelta) : -1n,
    maxTimestamp: buf.readBigInt64BE(pos + BatchOffsets.maxTimestamp),
    epoch: withOffsets ? buf.readInt32BE(pos + BatchOffsets.partitionLeaderEpoch) : -1,
    recordsCount: buf.readInt32BE(pos + BatchOffsets.recordsCount),
  }
}

/** A leader's checks of client batches, before anything is assigned. */
export function checkLeaderBatches(batches: readonly Incoming[], config: LogConfig, name: string): void {
  for (const b of batches) {
    if (b.size > config.segmentBytes) {
      throw new StorageError(
        StorageErrorCode.RecordBatchTooLarge,
        `batch of ${b.size} bytes exceeds segment.bytes ${config.segmentBytes} in ${name}`,
      )
    }
  }
  if (isCompacted(config)) rejectKeylessRecords(batches, name)
}

/**
 * Assigns offsets from `next` and the leader epoch by rewriting each batch header in place, and
 * stamps `appendTime` when it is set (LogAppendTime topics, else -1n).
 */
export function assignLeaderOffsets(
  batches: readonly Incoming[],
  next: bigint,
  epoch: number,
  appendTime: bigint,
): void {
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
}

/** A follower's batches must start at or after the log end `leo`, in order, each fitting a segment. */
export function checkFollowerBatches(
  batches: readonly Incoming[],
  leo: bigint,
  segmentBytes: number,
  name: string,
): void {
  let prev = leo - 1n
  for (const b of batches) {
    if (b.baseOffset <= prev) {
      throw new StorageError(
        StorageErrorCode.UnexpectedAppendOffset,
        `${name}: batch at offset ${b.baseOffset} does not follow offset ${prev} (log end ${leo})`,
      )
    }
    if (b.size > segmentBytes) {
      throw new StorageError(StorageErrorCode.RecordBatchTooLarge, `batch of ${b.size} bytes in ${name}`)
    }
    prev = b.lastOffset
  }
}

/**
 * What to write, merging batches that sit back to back in the same input buffer: the input buffer
 * itself when a run covers all of it (the usual one batch per partition of a request), else a
 * subarray of it.
 */
export function chunksOf(group: readonly Incoming[]): Buffer[] {
  let chunks: Buffer[] | null = null
  let buf = group[0].buf
  let start = group[0].pos
  let end = start + group[0].size
  for (let i = 1; i < group.length; i++) {
    const b = group[i]
    if (b.buf === buf && b.pos === end) {
      end += b.size
      continue
    }
    if (chunks === null) chunks = []
    chunks.push(chunkOf(buf, start, end))
    buf = b.buf
    start = b.pos
    end = start + b.size
  }
  if (chunks === null) return [chunkOf(buf, start, end)]
  chunks.push(chunkOf(buf, start, end))
  return chunks
}

function chunkOf(buf: Buffer, start: number, end: number): Buffer {
  return start === 0 && end === buf.length ? buf : buf.subarray(start, end)
}

/** Compacted topics need a key on every record (control batches excepted). */
export function rejectKeylessRecords(batches: readonly Incoming[], name: string): void {
  for (const b of batches) {
    const attributes = b.buf.readInt16BE(b.pos + BatchOffsets.attributes)
    if ((attributes & Attr.control) !== 0) continue
    const one = b.buf.subarray(b.pos, b.pos + b.size)
    for (const rec of iterateRecords(one, 0, { verifyCrc: false })) {
      if (rec.key === null) {
        throw new StorageError(
          StorageErrorCode.InvalidRecord,
          `compacted topic ${name} cannot accept a record without a key (offset delta ${rec.offsetDelta})`,
        )
      }
    }
  }
}
