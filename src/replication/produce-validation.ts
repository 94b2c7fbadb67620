// Validation of one partition's records in a Produce request, in Kafka's order and with its error
// codes (ProduceRequest.validateRecords, UnifiedLog.analyzeAndValidateRecords, LogValidator):
//
//   no batch, magic != 2, more than one batch, bad counts,
//   baseOffset != 0, control batch, producer id without a sequence    → INVALID_RECORD
//     (the last one for clients only: a coordinator's transactional write carries no sequence)
//   zstd before Produce v7, unknown codec                              → UNSUPPORTED_COMPRESSION_TYPE
//   truncated batch, CRC mismatch, undecodable records                 → CORRUPT_MESSAGE
//   batch larger than max.message.bytes                                → MESSAGE_TOO_LARGE
//   batch larger than segment.bytes                                    → RECORD_LIST_TOO_LARGE
//   LogAppendTime set by the producer, CreateTime outside
//   message.timestamp.before/after.max.ms                              → INVALID_TIMESTAMP
//   a record without a key on a compacted topic                        → INVALID_RECORD
//
// Legacy formats (magic 0/1) are refused with INVALID_RECORD, which is what Kafka answers for
// them in Produce v3+ (v0-2 are refused before this, with UNSUPPORTED_VERSION).
//
// The common path reads the 61-byte header and computes the CRC: no record is decoded. Records
// are iterated only for compacted topics (keys) and when message.timestamp.before.max.ms is set
// (the smallest timestamp is not in the header). Compressed batches are stored as sent when the
// topic's compression.type is 'producer' (the default); their inner records are then not validated
// (Kafka decompresses to check them). Otherwise a batch in another codec is rebuilt with the
// topic's (`targetCodec`, `recompressProduced`); the zstd check above concerns the producer's codec
// only, so a zstd batch the broker built for a Produce v3-6 request passes (as in Kafka).

import { ErrorCode } from '../protocol/generated/error-codes.ts'
import { crc32c } from '../protocol/primitives/crc32c.ts'
import {
  Attr,
  BATCH_HEADER_SIZE,
  BatchOffsets,
  Compression,
  CRC_START,
  LOG_OVERHEAD,
} from '../records/batch-header.ts'
import { codecByName } from '../records/compression/index.ts'
import { isBrokerCompressed, recompressBatch } from '../records/recompress.ts'
import { iterateRecords } from '../records/record-iterator.ts'
import { isCompacted, type LogConfig } from '../storage/log-config.ts'
import type { AppendOrigin } from './producer-state/producer-state-manager.ts'

/** Durations at or beyond this are Kafka's Long.MAX_VALUE ("no limit"). */
const UNLIMITED = 2 ** 53

export interface RecordErrorInfo {
  batchIndex: number
  message: string | null
}

export interface RecordsProblem {
  errorCode: number
  message: string
  recordErrors?: RecordErrorInfo[]
}

const problem = (errorCode: number, message: string, recordErrors?: RecordErrorInfo[]): RecordsProblem => ({
  errorCode,
  message,
  recordErrors,
})

/**
 * Checks the records of one partition of a Produce request (v3+). Returns null when they may be
 * appended. `now` is the broker's clock in ms.
 */
export function validateProduceRecords(
  buf: Buffer | null,
  apiVersion: number,
  config: LogConfig,
  now: number,
  origin: AppendOrigin = 'client',
): RecordsProblem | null {
  if (buf === null || buf.length === 0) {
    return problem(ErrorCode.INVALID_RECORD, 'produce requests must carry one record batch per partition')
  }
  if (buf.length < LOG_OVERHEAD + 5) return problem(ErrorCode.CORRUPT_MESSAGE, 'record batch is truncated')
  const magic = buf.readInt8(BatchOffsets.magic)
  if (magic !== 2) {
    return problem(
      ErrorCode.INVALID_RECORD,
      `produce requests v${apiVersion} only take record batches with magic 2, not ${magic}`,
    )
  }
  if (buf.length < BATCH_HEADER_SIZE) return problem(ErrorCode.CORRUPT_MESSAGE, 'record batch is truncated')
  const size = buf.readInt32BE(BatchOffsets.batchLength) + LOG_OVERHEAD
  if (size < BATCH_HEADER_SIZE || size > buf.length) {
    return problem(ErrorCode.CORRUPT_MESSAGE, `record batch of ${size} bytes in ${buf.length} bytes`)
  }
  if (size < buf.length) {
    return problem(
      ErrorCode.INVALID_RECORD,
      `produce requests v${apiVersion} must contain exactly one record batch per partition`,
    )
  }
  const attributes = buf.readInt16BE(BatchOffsets.attributes)
  const codec = attributes & Attr.compressionMask
  if (codec > Compression.zstd) {
    return problem(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `unknown compression codec ${codec}`)
  }
  if (codec === Compression.zstd && apiVersion < 7 && !isBrokerCompressed(buf)) {
    return problem(
      ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
      `produce requests v${apiVersion} may not use zstd compression`,
    )
  }
  if (buf.readInt32BE(0) !== 0 || buf.readInt32BE(4) !== 0) {
    return problem(ErrorCode.INVALID_RECORD, `the base offset of a produced batch must be 0`)
  }
  const count = buf.readInt32BE(BatchOffsets.recordsCount)
  const lastOffsetDelta = buf.readInt32BE(BatchOffsets.lastOffsetDelta)
  if (count <= 0 || lastOffsetDelta < 0 || lastOffsetDelta + 1 !== count) {
    return problem(
      ErrorCode.INVALID_RECORD,
      `record count ${count} does not match the last offset delta ${lastOffsetDelta}`,
    )
  }
  if (size > config.maxMessageBytes) {
    return problem(
      ErrorCode.MESSAGE_TOO_LARGE,
      `the record batch is ${size} bytes, more than max.message.bytes ${config.maxMessageBytes}`,
    )
  }
  if (crc32c(buf, CRC_START, size) !== buf.readUInt32BE(BatchOffsets.crc)) {
    return problem(ErrorCode.CORRUPT_MESSAGE, 'record batch CRC mismatch')
  }
  if ((attributes & Attr.control) !== 0) {
    return problem(ErrorCode.INVALID_RECORD, 'clients may not write control batches')
  }
  const hasProducerId = !(buf.readInt32BE(BatchOffsets.producerId) === -1 && buf.readInt32BE(47) === -1)
  if (hasProducerId && origin === 'client' && buf.readInt32BE(BatchOffsets.baseSequence) < 0) {
    return problem(ErrorCode.INVALID_RECORD, 'a batch with a producer id must have a base sequence')
  }
  if (size > config.segmentBytes) {
    return problem(
      ErrorCode.RECORD_LIST_TOO_LARGE,
      `the record batch is ${size} bytes, more than segment.bytes ${config.segmentBytes}`,
    )
  }
  if ((attributes & Attr.logAppendTime) !== 0) {
    return problem(ErrorCode.INVALID_TIMESTAMP, 'producers may not set the LogAppendTime timestamp type')
  }
  const createTime = config.messageTimestampType === 'CreateTime'
  if (createTime && config.messageTimestampAfterMaxMs < UNLIMITED) {
    const maxTs = Number(buf.readBigInt64BE(BatchOffsets.maxTimestamp))
    if (maxTs >= 0 && maxTs - now > config.messageTimestampAfterMaxMs) {
      return problem(
        ErrorCode.INVALID_TIMESTAMP,
        `timestamp ${maxTs} is more than message.timestamp.after.max.ms ahead of the broker's ${now}`,
      )
    }
  }
  const checkBefore = createTime && config.messageTimestampBeforeMaxMs < UNLIMITED
  const compacted = isCompacted(config)
  if (checkBefore || compacted) return checkRecords(buf, config, now, checkBefore, compacted)
  return null
}

/** The per-record checks; only for compacted topics and message.timestamp.before.max.ms. */
function checkRecords(
  buf: Buffer,
  config: LogConfig,
  now: number,
  checkBefore: boolean,
  compacted: boolean,
): RecordsProblem | null {
  const keyless: RecordErrorInfo[] = []
  const stale: RecordErrorInfo[] = []
  let index = 0
  try {
    for (const rec of iterateRecords(buf, 0, { verifyCrc: false })) {
      if (compacted && rec.key === null) {
        keyless.push({ batchIndex: index, message: 'compacted topics take only records with a key' })
      }
      if (
        checkBefore &&
        rec.timestamp >= 0n &&
        now - Number(rec.timestamp) > config.messageTimestampBeforeMaxMs
      ) {
        stale.push({ batchIndex: index, message: `timestamp ${rec.timestamp} is too old` })
      }
      index++
    }
  } catch (err) {
    return problem(ErrorCode.CORRUPT_MESSAGE, `records do not decode: ${(err as Error).message}`)
  }
  if (stale.length > 0) {
    return problem(
      ErrorCode.INVALID_TIMESTAMP,
      'one or more records have a timestamp older than message.timestamp.before.max.ms',
      stale,
    )
  }
  if (keyless.length > 0) {
    return problem(ErrorCode.INVALID_RECORD, 'compacted topics cannot accept records without a key', keyless)
  }
  return null
}

/**
 * The codec a topic's compression.type asks batches to be stored with, or null for 'producer'
 * (batches kept as the producer compressed them).
 */
export function targetCodec(config: LogConfig): Compression | null {
  const name = config.compressionType
  if (name === 'producer') return null
  return codecByName(name === 'uncompressed' ? 'none' : name) ?? null
}

/**
 * One partition's records as they are to be appended under the codec `target`: `buf` itself when
 * its codec is already that one or when it fails validation (the append then refuses it with that
 * problem); else the batch rebuilt with `target`, or CORRUPT_MESSAGE when its records do not
 * decompress or decode.
 */
export function recompressProduced(
  buf: Buffer | null,
  target: Compression,
  apiVersion: number,
  config: LogConfig,
  now: number,
): Buffer | RecordsProblem | null {
  if (buf === null || buf.length < BATCH_HEADER_SIZE) return buf
  if ((buf.readInt16BE(BatchOffsets.attributes) & Attr.compressionMask) === target) return buf
  if (validateProduceRecords(buf, apiVersion, config, now) !== null) return buf
  try {
    return recompressBatch(buf, target)
  } catch (err) {
    return problem(ErrorCode.CORRUPT_MESSAGE, `records do not decode: ${(err as Error).message}`)
  }
}
