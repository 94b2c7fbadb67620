// The compression codecs of record batches v2, by their attribute value (batch-header.ts
// Compression: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd). Synchronous, bytes in and bytes out.
//
// Decompression is always bounded: `maxOut` caps the output, checked before inflating where the
// format announces sizes (snappy, lz4) and while inflating otherwise (gzip, zstd), so a few
// hostile bytes cannot expand into gigabytes. Every failure — corrupt input, an output over the
// limit, an unknown codec, a native package that does not load — is a SamsaError with code
// InternalErrorCode.Compression.

import { Compression } from '../batch-header.ts'
import { compressionError } from './errors.ts'
import { lz4Compress, lz4Decompress } from './lz4.ts'
import { snappyCompress, snappyCompressXerial, snappyDecompress } from './snappy.ts'
import { gzipCompress, gzipDecompress, zstdCompress, zstdDecompress } from './zlib-codecs.ts'

/** Default output limit: larger than any batch Kafka accepts by default, small enough to survive. */
export const DEFAULT_MAX_DECOMPRESSED = 256 * 1024 * 1024

export interface CompressOptions {
  /** Snappy only: 'raw' (default, what librdkafka sends) or 'xerial' (what the Java client sends). */
  snappyFraming?: 'raw' | 'xerial'
}

const NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const
export type CodecName = (typeof NAMES)[number]

export function codecName(codec: number): CodecName | `unknown(${number})` {
  return NAMES[codec] ?? `unknown(${codec})`
}

/** The codec for a name as Kafka's `compression.type` spells it ('producer' is not a codec). */
export function codecByName(name: string): Compression | undefined {
  const i = (NAMES as readonly string[]).indexOf(name)
  return i < 0 ? undefined : (i as Compression)
}

export function compress(codec: number, buf: Buffer, options: CompressOptions = {}): Buffer {
  switch (codec) {
    case Compression.none:
      return buf
    case Compression.gzip:
      return gzipCompress(buf)
    case Compression.snappy:
      return options.snappyFraming === 'xerial' ? snappyCompressXerial(buf) : snappyCompress(buf)
    case Compression.lz4:
      return lz4Compress(buf)
    case Compression.zstd:
      return zstdCompress(buf)
    default:
      throw compressionError(codecName(codec), 'unknown compression codec')
  }
}

/** Decompresses buf; the result is never longer than maxOut (else a Compression error). */
export function decompress(codec: number, buf: Buffer, maxOut = DEFAULT_MAX_DECOMPRESSED): Buffer {
  switch (codec) {
    case Compression.none:
      if (buf.length > maxOut)
        throw compressionError('none', `${buf.length} bytes exceed the limit of ${maxOut}`)
      return buf
    case Compression.gzip:
      return gzipDecompress(buf, maxOut)
    case Compression.snappy:
      return snappyDecompress(buf, maxOut)
    case Compression.lz4:
      return lz4Decompress(buf, maxOut)
    case Compression.zstd:
      return zstdDecompress(buf, maxOut)
    default:
      throw compressionError(codecName(codec), 'unknown compression codec')
  }
}
