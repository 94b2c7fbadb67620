// gzip and zstd through node:zlib. Both decompressors take `maxOutputLength`, which stops
// inflation as soon as the output would pass the limit (zlib streams internally), so a small
// hostile payload cannot make us allocate more than the limit.
//
// gzip: RFC 1952 members, as Java's GZIPOutputStream and librdkafka write them; several members
// in a row decode as their concatenation. zstd: RFC 8878 frames, with or without a content size
// (Java's zstd-jni streams omit it).

import * as zlib from 'node:zlib'
import { SamsaError } from '../../common/errors.ts'
import { compressionError, tooLarge } from './errors.ts'

function inflate(codec: string, fn: () => Buffer, maxOut: number): Buffer {
  try {
    return fn()
  } catch (err) {
    if (err instanceof SamsaError) throw err
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw compressionError(codec, `decompressed size exceeds the limit of ${maxOut} bytes`, err)
    }
    const msg = err instanceof Error ? err.message : String(err)
    throw compressionError(codec, `decompression failed: ${msg}`, err)
  }
}

export function gzipCompress(buf: Buffer): Buffer {
  return zlib.gzipSync(buf)
}

export function gzipDecompress(buf: Buffer, maxOut: number): Buffer {
  const out = inflate('gzip', () => zlib.gunzipSync(buf, { maxOutputLength: Math.max(1, maxOut) }), maxOut)
  if (out.length > maxOut) throw tooLarge('gzip', out.length, maxOut)
  return out
}

type ZstdSync = (buf: Buffer, options?: { maxOutputLength?: number }) => Buffer

function zstdFn(name: 'zstdCompressSync' | 'zstdDecompressSync'): ZstdSync {
  const fn = (zlib as unknown as Record<string, ZstdSync | undefined>)[name]
  if (typeof fn !== 'function')
    throw compressionError('zstd', `node:zlib has no ${name} (Node >= 22.15 needed)`)
  return fn
}

export function zstdCompress(buf: Buffer): Buffer {
  return zstdFn('zstdCompressSync')(buf)
}

export function zstdDecompress(buf: Buffer, maxOut: number): Buffer {
  const fn = zstdFn('zstdDecompressSync')
  const out = inflate('zstd', () => fn(buf, { maxOutputLength: Math.max(1, maxOut) }), maxOut)
  if (out.length > maxOut) throw tooLarge('zstd', out.length, maxOut)
  return out
}
