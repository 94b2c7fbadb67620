// What the append path does with its input before writing: find the batches in the caller's
// buffers (headers only), check them (sizes; a follower's offsets), assign a leader's offsets in
// place, group the bytes into as few write chunks as possible, and, on compacted topics only,
// check that every record has a key (the one place the append path looks inside batches).

import { Attr, assignOffsets, BatchOffsets, setLogAppendTime } from '../records/batch-header.ts'
import { iterateRecords } from '../records/record-iterator.ts'
import { splitBatches } from './batch-scan.ts'
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

/** Finds the batches in the input buffers; follower input may end in a partial batch. */
export function parseIncoming(bufs: readonly Buffer[], withOffsets: boolean): Incoming[] {
  const out: Incoming[] = []
  for (const buf of bufs) {
    const { batches, end } = splitBatches(buf)
    if (end !== buf.length && !withOffsets) {
      throw new StorageError(
        StorageErrorCode.CorruptData,
        `append input holds a partial batch at byte ${end}`,
      )
    }
    for (const b of batches) {
      out.push({
        buf,
        pos: b.position,
        size: b.size,
        lastOffsetDelta: Number(b.lastOffset - b.baseOffset),
        baseOffset: b.baseOffset,
        lastOffset: b.lastOffset,
        maxTimestamp: b.maxTimestamp,
        epoch: withOffsets ? b.partitionLeaderEpoch : -1,
        recordsCount: b.recordsCount,
      })
    }
  }
  return out
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

/** Subarrays to write, merging batches that sit back to back in the same input buffer. */
export function chunksOf(group: readonly Incoming[]): Buffer[] {
  const chunks: Buffer[] = []
  let cur: { buf: Buffer; start: number; end: number } | null = null
  for (const b of group) {
    if (cur !== null && cur.buf === b.buf && cur.end === b.pos) {
      cur.end += b.size
      continue
    }
    if (cur !== null) chunks.push(cur.buf.subarray(cur.start, cur.end))
    cur = { buf: b.buf, start: b.pos, end: b.pos + b.size }
  }
  if (cur !== null) chunks.push(cur.buf.subarray(cur.start, cur.end))
  return chunks
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
