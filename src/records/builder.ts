// Builds record batches v2 for tools, internal topics (group offsets, transaction state) and
// tests. The produce path never builds batches: clients do.
//
// Layout and field meanings are in batch-header.ts (batch) and record.ts (records). The builder
// follows Kafka's producer: baseTimestamp is the first record's timestamp (deltas of later
// records may be negative), maxTimestamp the largest, lastOffsetDelta the last record's offset
// delta, and the CRC-32C covers attributes to the end. Records are sized first and written into
// one buffer; with compression they are written, compressed, and the header put in front.

import { EncodeError } from '../common/errors.ts'
import { crc32c } from '../protocol/primitives/crc32c.ts'
import { utf8Length, varintSize, varlongSize, Writer } from '../protocol/primitives/writer.ts'
import {
  Attr,
  BATCH_HEADER_SIZE,
  Compression,
  CRC_START,
  LOG_OVERHEAD,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
} from './batch-header.ts'
import { type CompressOptions, compress } from './compression/index.ts'
import { ControlType, controlKey, endTxnMarkerValue } from './control.ts'

export type Bytes = Buffer | string | null

export interface RecordInput {
  key?: Bytes
  value?: Bytes
  headers?: { key: string; value: Bytes }[]
  /** Milliseconds; defaults to BuildOptions.timestamp, else -1 (no timestamp). */
  timestamp?: bigint | number
  /** Defaults to the record's index; explicit deltas make gaps, as compaction leaves them. */
  offsetDelta?: number
  /** The record's attribute byte (0; Kafka defines no bits). */
  attributes?: number
}

export interface BuildOptions {
  baseOffset?: bigint
  partitionLeaderEpoch?: number
  compression?: Compression
  /** Snappy framing etc. */
  compressOptions?: CompressOptions
  timestampType?: 'create' | 'logAppend'
  /** LogAppendTime batches: the broker's append time, stored as maxTimestamp. */
  logAppendTime?: bigint | number
  /** Timestamp of records that have none. */
  timestamp?: bigint | number
  /** Overrides baseTimestamp (e.g. a delete horizon, with deleteHorizon set). */
  baseTimestamp?: bigint | number
  deleteHorizon?: boolean
  producerId?: bigint
  producerEpoch?: number
  baseSequence?: number
  transactional?: boolean
  control?: boolean
  /** Overrides lastOffsetDelta (a compacted batch keeps the original one). */
  lastOffsetDelta?: number
}

interface Prepared {
  key: Buffer | null
  value: Buffer | null
  headers: { key: string; keyLen: number; value: Buffer | null }[]
  timestamp: bigint
  offsetDelta: number
  attributes: number
}

function toBytes(b: Bytes | undefined): Buffer | null {
  if (b === undefined || b === null) return null
  return typeof b === 'string' ? Buffer.from(b, 'utf8') : b
}

function varBytesSize(b: Buffer | null): number {
  return b === null ? 1 : varintSize(b.length) + b.length
}

function bodySize(p: Prepared, baseTimestamp: bigint): number {
  let n = 1 + varlongSize(p.timestamp - baseTimestamp) + varintSize(p.offsetDelta)
  n += varBytesSize(p.key) + varBytesSize(p.value) + varintSize(p.headers.length)
  for (const h of p.headers) n += varintSize(h.keyLen) + h.keyLen + varBytesSize(h.value)
  return n
}

function writeVarBytes(w: Writer, b: Buffer | null): void {
  if (b === null) {
    w.varint(-1)
    return
  }
  w.varint(b.length)
  w.raw(b)
}

function writeRecord(w: Writer, p: Prepared, body: number, baseTimestamp: bigint): void {
  w.varint(body)
  w.int8(p.attributes)
  w.varlong(p.timestamp - baseTimestamp)
  w.varint(p.offsetDelta)
  writeVarBytes(w, p.key)
  writeVarBytes(w, p.value)
  w.varint(p.headers.length)
  for (const h of p.headers) {
    w.varint(h.keyLen)
    w.buf.write(h.key, w.pos, 'utf8')
    w.pos += h.keyLen
    writeVarBytes(w, h.value)
  }
}

function prepare(records: readonly RecordInput[], defaultTs: bigint): Prepared[] {
  return records.map((r, i) => {
    const offsetDelta = r.offsetDelta ?? i
    if (!Number.isInteger(offsetDelta) || offsetDelta < 0 || offsetDelta > 0x7fffffff) {
      throw new EncodeError(`record ${i}: offset delta ${offsetDelta} is not a non-negative int32`)
    }
    return {
      key: toBytes(r.key),
      value: toBytes(r.value),
      headers: (r.headers ?? []).map((h) => ({
        key: h.key,
        keyLen: utf8Length(h.key),
        value: toBytes(h.value),
      })),
      timestamp: r.timestamp === undefined ? defaultTs : BigInt(r.timestamp),
      offsetDelta,
      attributes: r.attributes ?? 0,
    }
  })
}

/** Builds one v2 batch holding `records`. */
export function buildBatch(records: readonly RecordInput[], options: BuildOptions = {}): Buffer {
  const defaultTs = options.timestamp === undefined ? -1n : BigInt(options.timestamp)
  const prepared = prepare(records, defaultTs)
  const first = prepared[0]
  const baseTimestamp =
    options.baseTimestamp !== undefined
      ? BigInt(options.baseTimestamp)
      : first === undefined
        ? defaultTs
        : first.timestamp
  let maxTimestamp = first === undefined ? baseTimestamp : first.timestamp
  for (const p of prepared) if (p.timestamp > maxTimestamp) maxTimestamp = p.timestamp
  const logAppend = options.timestampType === 'logAppend'
  if (logAppend && options.logAppendTime !== undefined) maxTimestamp = BigInt(options.logAppendTime)

  const bodies = prepared.map((p) => bodySize(p, baseTimestamp))
  let recordsSize = 0
  for (const b of bodies) recordsSize += varintSize(b) + b

  const codec = options.compression ?? Compression.none
  let out: Buffer
  if (codec === Compression.none) {
    const w = new Writer(BATCH_HEADER_SIZE + recordsSize)
    w.pos = BATCH_HEADER_SIZE
    for (let i = 0; i < prepared.length; i++) writeRecord(w, prepared[i], bodies[i], baseTimestamp)
    out = w.finish()
  } else {
    const w = new Writer(recordsSize)
    for (let i = 0; i < prepared.length; i++) writeRecord(w, prepared[i], bodies[i], baseTimestamp)
    const packed = compress(codec, w.finish(), options.compressOptions)
    out = Buffer.allocUnsafe(BATCH_HEADER_SIZE + packed.length)
    packed.copy(out, BATCH_HEADER_SIZE)
  }

  let attributes = codec & Attr.compressionMask
  if (logAppend) attributes |= Attr.logAppendTime
  if (options.transactional) attributes |= Attr.transactional
  if (options.control) attributes |= Attr.control
  if (options.deleteHorizon) attributes |= Attr.deleteHorizon
  const last = prepared.length === 0 ? 0 : prepared[prepared.length - 1].offsetDelta
  out.writeBigInt64BE(options.baseOffset ?? 0n, 0)
  out.writeInt32BE(out.length - LOG_OVERHEAD, 8)
  out.writeInt32BE(options.partitionLeaderEpoch ?? -1, 12)
  out.writeInt8(2, 16)
  out.writeInt16BE(attributes, 21)
  out.writeInt32BE(options.lastOffsetDelta ?? last, 23)
  out.writeBigInt64BE(baseTimestamp, 27)
  out.writeBigInt64BE(maxTimestamp, 35)
  out.writeBigInt64BE(options.producerId ?? NO_PRODUCER_ID, 43)
  out.writeInt16BE(options.producerEpoch ?? -1, 51)
  out.writeInt32BE(options.baseSequence ?? NO_SEQUENCE, 53)
  out.writeInt32BE(prepared.length, 57)
  out.writeUInt32BE(crc32c(out, CRC_START, out.length), 17)
  return out
}

export interface ControlBatchOptions {
  baseOffset?: bigint
  partitionLeaderEpoch?: number
  timestamp?: bigint | number
}

/**
 * A transaction marker: a transactional control batch with one record whose key is
 * (version 0, type) and value (version 0, coordinatorEpoch). Written by the partition leader
 * when the transaction coordinator ends a transaction (WriteTxnMarkers).
 */
export function buildControlBatch(
  type: 'commit' | 'abort',
  producerId: bigint,
  producerEpoch: number,
  coordinatorEpoch: number,
  options: ControlBatchOptions = {},
): Buffer {
  const record: RecordInput = {
    key: controlKey(type === 'commit' ? ControlType.commit : ControlType.abort),
    value: endTxnMarkerValue(coordinatorEpoch),
    timestamp: options.timestamp ?? -1n,
  }
  return buildBatch([record], {
    baseOffset: options.baseOffset,
    partitionLeaderEpoch: options.partitionLeaderEpoch,
    producerId,
    producerEpoch,
    baseSequence: NO_SEQUENCE,
    transactional: true,
    control: true,
  })
}
