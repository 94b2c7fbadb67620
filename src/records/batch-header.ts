// Record batch v2 ("magic 2") header: a zero-copy view over the first 61 bytes of a batch, and
// the in-place rewrites the broker does on append. On disk and on the wire a batch is:
//
//   offset  size  field
//        0     8  baseOffset             (rewritten by the broker on append)
//        8     4  batchLength            (bytes after this field: total size - 12)
//       12     4  partitionLeaderEpoch   (rewritten by the broker; not covered by the CRC)
//       16     1  magic                  (2; 0 and 1 are the legacy message formats)
//       17     4  crc                    (CRC-32C of bytes 21..end)
//       21     2  attributes             (bits 0-2 compression, 3 timestamp type, 4 transactional,
//                                         5 control, 6 delete horizon)
//       23     4  lastOffsetDelta
//       27     8  baseTimestamp
//       35     8  maxTimestamp           (rewritten for LogAppendTime; the CRC is then recomputed)
//       43     8  producerId
//       51     2  producerEpoch
//       53     4  baseSequence
//       57     4  recordsCount
//       61     -  records (possibly compressed)
//
// Nothing here decodes individual records: that is records/record-iterator.ts, used only by
// tools, compaction and internal topics.

import { crc32c } from '../protocol/primitives/crc32c.ts'

export const BatchOffsets = {
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordsCount: 57,
} as const

/** Size of the v2 batch header; records start here. */
export const BATCH_HEADER_SIZE = 61
/** Bytes before and including batchLength: batch size = batchLength + LOG_OVERHEAD. */
export const LOG_OVERHEAD = 12
/** Where the CRC-covered range starts. */
export const CRC_START = 21

export const Compression = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const
export type Compression = (typeof Compression)[keyof typeof Compression]

export const Attr = {
  compressionMask: 0x07,
  logAppendTime: 0x08,
  transactional: 0x10,
  control: 0x20,
  deleteHorizon: 0x40,
} as const

export const NO_PRODUCER_ID = -1n
export const NO_SEQUENCE = -1

/** Why a batch was refused; maps to Kafka error codes in the broker. */
export const BatchProblem = {
  ok: 0,
  /** Fewer bytes than a header, or batchLength disagrees with the bytes present. */
  truncated: 1,
  /** magic 0 or 1: the legacy message-set formats. */
  legacyFormat: 2,
  /** magic other than 0, 1, 2. */
  unknownMagic: 3,
  /** CRC-32C mismatch. */
  crc: 4,
  /** recordsCount/lastOffsetDelta inconsistent or negative. */
  invalid: 5,
} as const
export type BatchProblem = (typeof BatchProblem)[keyof typeof BatchProblem]

/**
 * A view of one batch header over `buf` at `pos`. Reads go straight to the buffer; nothing is
 * copied. The caller ensures at least BATCH_HEADER_SIZE bytes exist (see checkBatch).
 */
export class BatchHeader {
  buf: Buffer
  pos: number
  constructor(buf: Buffer, pos = 0) {
    this.buf = buf
    this.pos = pos
  }
  get baseOffset(): bigint {
    return this.buf.readBigInt64BE(this.pos)
  }
  get batchLength(): number {
    return this.buf.readInt32BE(this.pos + 8)
  }
  /** Whole batch size in bytes (batchLength + 12). */
  get size(): number {
    return this.buf.readInt32BE(this.pos + 8) + LOG_OVERHEAD
  }
  get partitionLeaderEpoch(): number {
    return this.buf.readInt32BE(this.pos + 12)
  }
  get magic(): number {
    return this.buf.readInt8(this.pos + 16)
  }
  get crc(): number {
    return this.buf.readUInt32BE(this.pos + 17)
  }
  get attributes(): number {
    return this.buf.readInt16BE(this.pos + 21)
  }
  get compression(): number {
    return this.attributes & Attr.compressionMask
  }
  get isLogAppendTime(): boolean {
    return (this.attributes & Attr.logAppendTime) !== 0
  }
  get isTransactional(): boolean {
    return (this.attributes & Attr.transactional) !== 0
  }
  get isControl(): boolean {
    return (this.attributes & Attr.control) !== 0
  }
  get lastOffsetDelta(): number {
    return this.buf.readInt32BE(this.pos + 23)
  }
  get lastOffset(): bigint {
    return this.baseOffset + BigInt(this.lastOffsetDelta)
  }
  get baseTimestamp(): bigint {
    return this.buf.readBigInt64BE(this.pos + 27)
  }
  get maxTimestamp(): bigint {
    return this.buf.readBigInt64BE(this.pos + 35)
  }
  get producerId(): bigint {
    return this.buf.readBigInt64BE(this.pos + 43)
  }
  get producerEpoch(): number {
    return this.buf.readInt16BE(this.pos + 51)
  }
  get baseSequence(): number {
    return this.buf.readInt32BE(this.pos + 53)
  }
  get recordsCount(): number {
    return this.buf.readInt32BE(this.pos + 57)
  }
}

/** The magic byte of a batch or legacy message at pos (same position in every format). */
export function magicAt(buf: Buffer, pos = 0): number {
  return buf.length - pos > 16 ? buf.readInt8(pos + 16) : -1
}

/**
 * Validates the batch that starts at `pos` and must end exactly at `pos + size` where size comes
 * from its batchLength. Checks length, magic, CRC (unless `verifyCrc` is false) and counts; never
 * decodes records.
 */
export function checkBatch(buf: Buffer, pos = 0, end = buf.length, verifyCrc = true): BatchProblem {
  const avail = end - pos
  if (avail < LOG_OVERHEAD + 5) return BatchProblem.truncated
  const magic = buf.readInt8(pos + 16)
  if (magic === 0 || magic === 1) return BatchProblem.legacyFormat
  if (magic !== 2) return BatchProblem.unknownMagic
  if (avail < BATCH_HEADER_SIZE) return BatchProblem.truncated
  const size = buf.readInt32BE(pos + 8) + LOG_OVERHEAD
  if (size < BATCH_HEADER_SIZE || size > avail) return BatchProblem.truncated
  const count = buf.readInt32BE(pos + 57)
  const lastDelta = buf.readInt32BE(pos + 23)
  if (count < 0 || lastDelta < 0) return BatchProblem.invalid
  if (verifyCrc && crc32c(buf, pos + CRC_START, pos + size) !== buf.readUInt32BE(pos + 17)) {
    return BatchProblem.crc
  }
  return BatchProblem.ok
}

/** Rewrites base offset and leader epoch in place (both outside the CRC range). */
export function assignOffsets(buf: Buffer, pos: number, baseOffset: bigint, leaderEpoch: number): void {
  buf.writeBigInt64BE(baseOffset, pos)
  buf.writeInt32BE(leaderEpoch, pos + 12)
}

/**
 * For LogAppendTime topics: sets the timestamp-type bit and maxTimestamp, then recomputes the CRC
 * (both fields are inside the CRC range). Kafka also leaves record timestamps as sent.
 */
export function setLogAppendTime(buf: Buffer, pos: number, now: bigint): void {
  const size = buf.readInt32BE(pos + 8) + LOG_OVERHEAD
  buf.writeInt16BE(buf.readInt16BE(pos + 21) | Attr.logAppendTime, pos + 21)
  buf.writeBigInt64BE(now, pos + 35)
  buf.writeUInt32BE(crc32c(buf, pos + CRC_START, pos + size), pos + 17)
}
