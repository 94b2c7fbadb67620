// One record inside a v2 batch (after decompression). All integers are zig-zag varints:
//
//   length          varint   bytes after this field
//   attributes      int8     unused (0)
//   timestampDelta  varlong  timestamp - batch baseTimestamp (may be negative)
//   offsetDelta     varint   offset - batch baseOffset
//   keyLength       varint   -1 for a null key
//   key             bytes
//   valueLength     varint   -1 for a null value
//   value           bytes
//   headersCount    varint
//   headers         headerKeyLength varint, headerKey utf8, headerValueLength varint (-1 null), value
//
// decodeRecord reads exactly one record and checks that it ends where its length says. Keys,
// values and header values are zero-copy views of the (decompressed) batch bytes.

import { InternalErrorCode, SamsaError } from '../common/errors.ts'
import type { Reader } from '../protocol/primitives/reader.ts'

export interface RecordHeader {
  key: string
  value: Buffer | null
}

export interface KafkaRecord {
  /** Absolute offset: batch baseOffset + offsetDelta. */
  offset: bigint
  offsetDelta: number
  /** baseTimestamp + timestampDelta, or the batch maxTimestamp for LogAppendTime batches. */
  timestamp: bigint
  timestampDelta: number
  key: Buffer | null
  value: Buffer | null
  headers: RecordHeader[]
  /** The record's own attribute byte (unused by Kafka so far). */
  attributes: number
}

/** What a record needs from its batch to become absolute. */
export interface RecordContext {
  baseOffset: bigint
  baseTimestamp: bigint
  /** Non-null for LogAppendTime batches: every record reports this timestamp. */
  logAppendTime: bigint | null
}

export function corruptBatch(message: string, cause?: unknown): SamsaError {
  return new SamsaError(InternalErrorCode.CorruptBatch, message, cause === undefined ? undefined : { cause })
}

/** Smallest record body: attributes, two deltas, key and value lengths, header count. */
export const MIN_RECORD_BODY = 6

const NO_HEADERS: RecordHeader[] = []

/**
 * Decodes the record at r.pos. Throws a CorruptBatch SamsaError (with the reader's DecodeError as
 * its cause where there is one) on any malformation; leaves r.pos after the record.
 */
export function decodeRecord(r: Reader, ctx: RecordContext): KafkaRecord {
  const at = r.pos
  const length = r.varint()
  if (r.error !== null) throw corruptBatch(`bad record length at byte ${at}`, r.error)
  if (length < MIN_RECORD_BODY || length > r.remaining) {
    throw corruptBatch(`record at byte ${at} claims ${length} bytes, ${r.remaining} remain`)
  }
  const end = r.pos + length
  const outerEnd = r.end
  // Confine reads to the record so a bad inner length cannot run into the next one.
  r.end = end
  const attributes = r.int8()
  const timestampDelta = r.varlongNumber()
  const offsetDelta = r.varint()
  const key = readVarBytes(r, 'key', at)
  const value = readVarBytes(r, 'value', at)
  const count = r.varint()
  if (count < 0 || count > r.remaining)
    throw corruptBatch(`record at byte ${at} has a bad header count ${count}`)
  let headers = NO_HEADERS
  if (count > 0) {
    headers = new Array<RecordHeader>(count)
    for (let i = 0; i < count; i++) {
      const klen = r.varint()
      if (klen < 0 || klen > r.remaining) {
        throw corruptBatch(
          `record at byte ${at}: header ${i} key length ${klen} is invalid`,
          r.error ?? undefined,
        )
      }
      const hkey = r.buf.toString('utf8', r.pos, r.pos + klen)
      r.pos += klen
      headers[i] = { key: hkey, value: readVarBytes(r, `header ${i} value`, at) }
    }
  }
  if (r.error !== null) throw corruptBatch(`malformed record at byte ${at}`, r.error)
  if (r.pos !== end) throw corruptBatch(`record at byte ${at} has ${end - r.pos} trailing bytes`)
  r.end = outerEnd
  if (offsetDelta < 0) throw corruptBatch(`record at byte ${at} has a negative offset delta ${offsetDelta}`)
  return {
    offset: ctx.baseOffset + BigInt(offsetDelta),
    offsetDelta,
    timestamp: ctx.logAppendTime ?? ctx.baseTimestamp + BigInt(timestampDelta),
    timestampDelta,
    key,
    value,
    headers,
    attributes,
  }
}

function readVarBytes(r: Reader, what: string, at: number): Buffer | null {
  const len = r.varint()
  if (r.error !== null) return null
  if (len === -1) return null
  if (len < -1 || len > r.remaining)
    throw corruptBatch(`record at byte ${at}: ${what} length ${len} is invalid`)
  const b = r.buf.subarray(r.pos, r.pos + len)
  r.pos += len
  return b
}
