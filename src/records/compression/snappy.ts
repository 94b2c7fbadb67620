// Snappy, in the two shapes Kafka clients send:
//
// - raw: one snappy block (https://github.com/google/snappy/blob/main/format_description.txt),
//   starting with the uncompressed length as an unsigned LEB128 varint. librdkafka and most
//   non-Java clients send this; it is also what we write by default.
// - xerial ("snappy-java" stream), written by the Java client and kafka-go:
//
//     offset  size  field
//          0     8  magic: 0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00
//          8     4  version (int32 BE, 1)
//         12     4  minimum compatible version (int32 BE, 1)
//         16     -  chunks: int32 BE length, then that many bytes of one raw snappy block
//
//   A chunk length equal to the first four magic bytes starts a new header: snappy-java reads
//   concatenated streams that way, and so do we. We write 32 KiB chunks, like snappy-java.
//
// Decoding tells the two apart by the 8 magic bytes, as Java and librdkafka do. Every raw block
// announces its uncompressed length in its preamble, so the total is checked against the limit
// before anything is inflated.

import { compressionError, guard, tooLarge } from './errors.ts'
import { loadNative } from './native.ts'

interface SnappyBinding {
  compressSync(input: Uint8Array, options?: { copyOutputData?: boolean }): Buffer
  uncompressSync(
    input: Uint8Array,
    options?: { asBuffer?: boolean; copyOutputData?: boolean },
  ): Buffer | string
}

// copyOutputData: the binding's default hands over a native buffer as an external Buffer, which
// measured 4-7x slower here than letting it copy into an ordinary one.
const COPY = { copyOutputData: true }
const COPY_AS_BUFFER = { asBuffer: true, copyOutputData: true }

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])
const XERIAL_HEADER_SIZE = 16
const XERIAL_MAGIC_HEAD = XERIAL_MAGIC.readInt32BE(0)
const XERIAL_CHUNK = 32 * 1024

function binding(): SnappyBinding {
  return loadNative<SnappyBinding>('snappy', 'snappy')
}

export function isXerial(buf: Buffer): boolean {
  return buf.length >= XERIAL_MAGIC.length && buf.compare(XERIAL_MAGIC, 0, 8, 0, 8) === 0
}

/** The uncompressed length a raw block announces (its varint preamble), or -1 if unreadable. */
export function rawSnappyLength(buf: Buffer, start = 0, end = buf.length): number {
  let result = 0
  let mul = 1
  for (let i = start; i < end && i < start + 5; i++) {
    const b = buf[i]
    result += (b & 0x7f) * mul
    if ((b & 0x80) === 0) return result <= 0xffffffff ? result : -1
    mul *= 128
  }
  return -1
}

function rawDecode(block: Buffer, maxOut: number, what: string): Buffer {
  const len = rawSnappyLength(block)
  if (len < 0) throw compressionError('snappy', `${what}: unreadable length preamble`)
  if (len > maxOut) throw tooLarge('snappy', len, maxOut)
  const out = guard('snappy', what, () => binding().uncompressSync(block, COPY_AS_BUFFER))
  if (typeof out === 'string' || out.length !== len) {
    throw compressionError('snappy', `${what}: output size differs from the announced ${len} bytes`)
  }
  return out
}

export function snappyCompress(buf: Buffer): Buffer {
  return guard('snappy', 'compression', () => binding().compressSync(buf, COPY))
}

/** Xerial framing around raw blocks of at most 32 KiB of input each. */
export function snappyCompressXerial(buf: Buffer): Buffer {
  const parts: Buffer[] = []
  const header = Buffer.alloc(XERIAL_HEADER_SIZE)
  XERIAL_MAGIC.copy(header, 0)
  header.writeInt32BE(1, 8)
  header.writeInt32BE(1, 12)
  parts.push(header)
  for (let at = 0; at < buf.length; at += XERIAL_CHUNK) {
    const block = snappyCompress(buf.subarray(at, Math.min(buf.length, at + XERIAL_CHUNK)))
    const len = Buffer.allocUnsafe(4)
    len.writeInt32BE(block.length, 0)
    parts.push(len, block)
  }
  return Buffer.concat(parts)
}

function xerialDecode(buf: Buffer, maxOut: number): Buffer {
  // First pass: find the chunks and add up their announced sizes, so nothing is inflated when
  // the total would pass the limit.
  if (buf.length < XERIAL_HEADER_SIZE) throw compressionError('snappy', 'xerial: truncated header')
  const chunks: Buffer[] = []
  let total = 0
  let pos = XERIAL_HEADER_SIZE
  while (pos < buf.length) {
    if (buf.length - pos < 4)
      throw compressionError('snappy', `xerial: truncated chunk length at byte ${pos}`)
    const len = buf.readInt32BE(pos)
    if (len === XERIAL_MAGIC_HEAD && isXerial(buf.subarray(pos))) {
      if (buf.length - pos < XERIAL_HEADER_SIZE) throw compressionError('snappy', 'xerial: truncated header')
      pos += XERIAL_HEADER_SIZE
      continue
    }
    pos += 4
    if (len <= 0 || len > buf.length - pos) {
      throw compressionError('snappy', `xerial: chunk length ${len} at byte ${pos - 4} does not fit`)
    }
    const chunk = buf.subarray(pos, pos + len)
    const announced = rawSnappyLength(chunk)
    if (announced < 0) throw compressionError('snappy', `xerial: unreadable chunk preamble at byte ${pos}`)
    total += announced
    if (total > maxOut) throw tooLarge('snappy', total, maxOut)
    chunks.push(chunk)
    pos += len
  }
  if (chunks.length === 1) return rawDecode(chunks[0], maxOut, 'xerial chunk')
  return Buffer.concat(
    chunks.map((c) => rawDecode(c, maxOut, 'xerial chunk')),
    total,
  )
}

/** Decodes raw or xerial-framed snappy; output is at most maxOut bytes or this throws. */
export function snappyDecompress(buf: Buffer, maxOut: number): Buffer {
  if (isXerial(buf)) return xerialDecode(buf, maxOut)
  return rawDecode(buf, maxOut, 'decompression')
}
