// LZ4 in the frame format (https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md), which is
// what Kafka means by lz4 in magic v2 batches. The bytes go through lz4-napi (lz4_flex), but that
// decoder is lenient: it returns what it has for a frame with no end mark or even no blocks, and
// has no output limit. So before calling it we walk the frame ourselves:
//
//   magic      4  0x184D2204 (little-endian)
//   FLG        1  version (bits 7-6) = 01, block independence (5), block checksum (4),
//                 content size (3), content checksum (2), reserved (1) = 0, dictionary id (0)
//   BD         1  block max size (bits 6-4: 4 = 64 KiB, 5 = 256 KiB, 6 = 1 MiB, 7 = 4 MiB)
//   [size]     8  content size, if FLG bit 3
//   [dictId]   4  if FLG bit 0 (refused: Kafka never uses a dictionary)
//   HC         1  header checksum (checked by lz4_flex)
//   blocks        uint32 LE size (bit 31 = stored uncompressed), data, [uint32 checksum]
//   end mark   4  0x00000000
//   [checksum] 4  content checksum, if FLG bit 2
//
// The walk rejects truncated or malformed frames and computes an upper bound on the output: a
// compressed block yields at most its block max size, and never more than 255 bytes per input
// byte (LZ4's best possible ratio). The bound can overshoot by up to one block (a last block that
// is not full), so frames whose bound passes maxOut by more than one block max size are refused
// before anything is inflated, and the real output is then held to maxOut exactly: transient
// memory stays below maxOut + 4 MiB whatever the input. Frames may follow one
// another; each is decoded and the outputs joined. We encode with lz4_flex's defaults: independent
// blocks, no checksums, no content size — a frame every Kafka client reads.

import { compressionError, guard, tooLarge } from './errors.ts'
import { loadNative } from './native.ts'

interface Lz4Binding {
  compressFrameSync(data: Buffer): Buffer
  decompressFrameSync(data: Buffer): Buffer
}

const MAGIC = 0x184d2204
const MAX_RATIO = 255

function binding(): Lz4Binding {
  return loadNative<Lz4Binding>('lz4-napi', 'lz4')
}

export function lz4Compress(buf: Buffer): Buffer {
  return guard('lz4', 'compression', () => binding().compressFrameSync(buf))
}

interface FrameInfo {
  end: number
  bound: number
  blockMax: number
  contentSize: number
}

/** Walks one frame starting at pos; returns where it ends and its output bound. */
function walkFrame(buf: Buffer, pos: number): FrameInfo {
  const fail = (why: string) => compressionError('lz4', `${why} at byte ${pos}`)
  if (buf.length - pos < 7) throw fail('truncated frame header')
  if (buf.readUInt32LE(pos) !== MAGIC) throw fail('not an LZ4 frame (bad magic)')
  const flg = buf[pos + 4]
  const bd = buf[pos + 5]
  if (flg >> 6 !== 1) throw fail(`unsupported frame version ${flg >> 6}`)
  if ((flg & 0x02) !== 0 || (bd & 0x8f) !== 0) throw fail('reserved header bits set')
  if ((flg & 0x01) !== 0) throw fail('frames with a dictionary id are not supported')
  const blockMaxId = (bd >> 4) & 0x07
  if (blockMaxId < 4) throw fail(`invalid block max size id ${blockMaxId}`)
  const blockMax = 1 << (2 * blockMaxId + 8)
  const blockChecksum = (flg & 0x10) !== 0
  const hasContentSize = (flg & 0x08) !== 0
  const contentChecksum = (flg & 0x04) !== 0
  let p = pos + 6
  let contentSize = -1
  if (hasContentSize) {
    if (buf.length - p < 9) throw fail('truncated frame header')
    const size = buf.readBigUInt64LE(p)
    contentSize = size > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(size)
    p += 8
  }
  p += 1 // header checksum
  let bound = 0
  for (;;) {
    if (buf.length - p < 4) throw fail('truncated frame: no end mark')
    const word = buf.readUInt32LE(p)
    p += 4
    if (word === 0) break
    const size = word & 0x7fffffff
    const stored = word >>> 31 === 1
    if (size > blockMax) throw fail(`block of ${size} bytes exceeds the frame's block max size ${blockMax}`)
    const need = size + (blockChecksum ? 4 : 0)
    if (buf.length - p < need) throw fail('truncated block')
    bound += stored ? size : Math.min(blockMax, size * MAX_RATIO)
    p += need
  }
  if (contentChecksum) {
    if (buf.length - p < 4) throw fail('truncated content checksum')
    p += 4
  }
  if (contentSize >= 0) bound = Math.min(bound, contentSize)
  return { end: p, bound, blockMax, contentSize }
}

/** Decodes one or more concatenated LZ4 frames; output is at most maxOut bytes or this throws. */
export function lz4Decompress(buf: Buffer, maxOut: number): Buffer {
  const frames: FrameInfo[] = []
  let pos = 0
  let bound = 0
  let slack = 0
  do {
    const info = walkFrame(buf, pos)
    bound += info.bound
    slack = Math.max(slack, info.blockMax)
    if (bound > maxOut + slack) {
      throw compressionError(
        'lz4',
        `decompressed size could reach ${bound} bytes, over the limit of ${maxOut}`,
      )
    }
    frames.push(info)
    pos = info.end
  } while (pos < buf.length)
  const outs: Buffer[] = []
  let start = 0
  let total = 0
  for (const f of frames) {
    const out = guard('lz4', 'decompression', () => binding().decompressFrameSync(buf.subarray(start, f.end)))
    if (out.length > f.bound) throw compressionError('lz4', `frame decoded to more than its bound ${f.bound}`)
    if (f.contentSize >= 0 && out.length !== f.contentSize) {
      throw compressionError('lz4', `frame announced ${f.contentSize} bytes but decoded to ${out.length}`)
    }
    total += out.length
    if (total > maxOut) throw tooLarge('lz4', total, maxOut)
    outs.push(out)
    start = f.end
  }
  return outs.length === 1 ? outs[0] : Buffer.concat(outs, total)
}
