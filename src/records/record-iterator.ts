// Walking batches and records.
//
// readBatches: zero-copy walk over concatenated batches (a log segment slice, a produce or fetch
// records field), yielding header views; it stops cleanly at a partial tail (a fetch response may
// end mid-batch) and returns the position where the complete batches end. It checks structure
// only; use checkBatch for the CRC.
//
// iterateRecords: the records of one batch, decompressed when needed, as absolute offsets and
// timestamps. Only tools, compaction and internal topics need this; the produce/fetch path never
// looks inside a batch.
//
// Both refuse the legacy message formats (magic 0 and 1) with a LegacyMessageFormat SamsaError:
// their bytes are never read as a v2 batch. Everything else malformed is a CorruptBatch (or, for
// codec failures, a Compression) SamsaError — nothing else is thrown.

import { InternalErrorCode, SamsaError } from '../common/errors.ts'
import { Reader } from '../protocol/primitives/reader.ts'
import {
  BATCH_HEADER_SIZE,
  BatchHeader,
  BatchProblem,
  Compression,
  checkBatch,
  LOG_OVERHEAD,
} from './batch-header.ts'
import { DEFAULT_MAX_DECOMPRESSED, decompress } from './compression/index.ts'
import { corruptBatch, decodeRecord, type KafkaRecord, type RecordContext } from './record.ts'

/** Bytes needed to see the magic byte, which sits at offset 16 in every format. */
const MAGIC_VISIBLE = 17

export function legacyFormatError(magic: number, pos: number): SamsaError {
  return new SamsaError(
    InternalErrorCode.LegacyMessageFormat,
    `legacy message format (magic ${magic}) at byte ${pos}: only record batches v2 (magic 2, Kafka 0.11+) ` +
      'are supported; upgrade the client or set its message format to v2',
  )
}

function problemError(problem: BatchProblem, buf: Buffer, pos: number, end: number): SamsaError {
  switch (problem) {
    case BatchProblem.legacyFormat:
      return legacyFormatError(buf.readInt8(pos + 16), pos)
    case BatchProblem.unknownMagic:
      return corruptBatch(`unknown magic ${buf.readInt8(pos + 16)} in batch at byte ${pos}`)
    case BatchProblem.truncated:
      return corruptBatch(
        `batch at byte ${pos} is truncated or its length is wrong (${end - pos} bytes available)`,
      )
    case BatchProblem.crc:
      return corruptBatch(`CRC-32C mismatch in batch at byte ${pos}`)
    default:
      return corruptBatch(`batch at byte ${pos} has a negative record count or last offset delta`)
  }
}

/**
 * Yields a header view for each complete batch in buf[pos, end) and returns where the complete
 * batches end (the start of a partial tail, or `end`).
 */
export function* readBatches(buf: Buffer, pos = 0, end = buf.length): Generator<BatchHeader, number> {
  while (end - pos >= MAGIC_VISIBLE) {
    const magic = buf.readInt8(pos + 16)
    if (magic === 0 || magic === 1) throw legacyFormatError(magic, pos)
    if (magic !== 2) throw corruptBatch(`unknown magic ${magic} in batch at byte ${pos}`)
    if (end - pos < BATCH_HEADER_SIZE) break
    const size = buf.readInt32BE(pos + 8) + LOG_OVERHEAD
    if (size < BATCH_HEADER_SIZE) throw corruptBatch(`batch at byte ${pos} has an impossible length ${size}`)
    if (size > end - pos) break
    yield new BatchHeader(buf, pos)
    pos += size
  }
  return pos
}

export interface IterateOptions {
  /** Check the CRC before reading records (default true). */
  verifyCrc?: boolean
  /** Limit on the decompressed size of the records (default DEFAULT_MAX_DECOMPRESSED). */
  maxDecompressed?: number
}

/** Yields the records of the batch at `pos` (which must hold the whole batch). */
export function* iterateRecords(
  batch: Buffer,
  pos = 0,
  options: IterateOptions = {},
): Generator<KafkaRecord> {
  const problem = checkBatch(batch, pos, batch.length, options.verifyCrc ?? true)
  if (problem !== BatchProblem.ok) throw problemError(problem, batch, pos, batch.length)
  const h = new BatchHeader(batch, pos)
  const count = h.recordsCount
  const codec = h.compression
  const raw = batch.subarray(pos + BATCH_HEADER_SIZE, pos + h.size)
  const data =
    codec === Compression.none
      ? raw
      : decompress(codec, raw, options.maxDecompressed ?? DEFAULT_MAX_DECOMPRESSED)
  const ctx: RecordContext = {
    baseOffset: h.baseOffset,
    baseTimestamp: h.baseTimestamp,
    logAppendTime: h.isLogAppendTime ? h.maxTimestamp : null,
  }
  const r = new Reader(data)
  for (let i = 0; i < count; i++) {
    if (r.remaining === 0)
      throw corruptBatch(`batch at byte ${pos} announces ${count} records but holds ${i}`)
    yield decodeRecord(r, ctx)
  }
  if (r.remaining !== 0) {
    throw corruptBatch(`batch at byte ${pos} has ${r.remaining} bytes after its ${count} records`)
  }
}

/** All records of the batch at `pos`, as an array. */
export function batchRecords(batch: Buffer, pos = 0, options: IterateOptions = {}): KafkaRecord[] {
  return Array.from(iterateRecords(batch, pos, options))
}
