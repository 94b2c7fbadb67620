// LZ4 in the frame format (https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md), which is
// what Kafka means by lz4 in magic v2 batches:
//
//   magic      4  0x184D2204 (little-endian)
//   FLG        1  version (bits 7-6) = 01, block independence (5), block checksum (4),
//                 content size (3), content checksum (2), reserved (1) = 0, dictionary id (0)
//   BD         1  block max size (bits 6-4: 4 = 64 KiB, 5 = 256 KiB, 6 = 1 MiB, 7 = 4 MiB)
//   [size]     8  content size, if FLG bit 3
//   [dictId]   4  if FLG bit 0 (refused: Kafka never uses a dictionary)
//   HC         1  header checksum: second byte of XXH32(FLG..dictId, seed 0)
//   blocks        uint32 LE size (bit 31 = stored uncompressed), data, [uint32 block checksum]
//   end mark   4  0x00000000
//   [checksum] 4  content checksum, if FLG bit 2
//
// The codec work is lz4-napi's (lz4_flex). Its frame functions are lenient (a frame with no end
// mark, or no blocks, decodes to whatever it has), have no output limit, and run at ~200 MB/s
// here, against ~1 GB/s for its block functions. So we do the framing ourselves and use the
// block functions for blocks:
//
// - Decoding walks the frame first, refusing truncated or malformed frames and computing an upper
//   bound on the output: a compressed block yields at most its block max size and never more than
//   255 bytes per input byte (LZ4's best ratio). The bound can overshoot by up to one block (a
//   last block that is not full), so frames whose bound passes maxOut by more than one block max
//   size are refused before anything is inflated, and the real output is held to maxOut exactly;
//   transient memory stays below maxOut + 4 MiB whatever the input. Independent blocks are then
//   decoded one by one; frames with linked blocks (allowed by the format, rare in Kafka) go to
//   lz4_flex's frame decoder, which also checks their checksums. For independent blocks the
//   block and content checksums are not verified: the batch CRC-32C already covers these bytes.
//   Several frames in a row decode as their concatenation.
// - Encoding writes one frame: FLG 0x60 (version 1, independent blocks, no checksums, no content
//   size), BD 0x40 (64 KiB blocks), HC 0x82 — the shape Kafka's Java client writes — with each
//   block stored uncompressed when compression would not make it smaller.

import { compressionError, guard, tooLarge } from './errors.ts'
import { loadNative } from './native.ts'

interface Lz4Binding {
  /** Block format with the uncompressed size prepended (uint32 LE). */
  compressSync(data: Buffer): Buffer
  /** Block format; the prepended size is a capacity: a larger one still yields the exact output. */
  uncompressSync(data: Buffer): Buffer
  decompressFrameSync(data: Buffer): Buffer
}

const MAGIC = 0x184d2204
const MAX_RATIO = 255
const FRAME_HEADER = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82])
const BLOCK_SIZE = 64 * 1024
const STORED = 0x80000000

function binding(): Lz4Binding {
  return loadNative<Lz4Binding>('lz4-napi', 'lz4')
}

export function lz4Compress(buf: Buffer): Buffer {
  const lz = binding()
  const parts: Buffer[] = [FRAME_HEADER]
  let total = FRAME_HEADER.length + 4
  for (let at = 0; at < buf.length; at += BLOCK_SIZE) {
    const chunk = buf.subarray(at, Math.min(buf.length, at + BLOCK_SIZE))
    const packed = guard('lz4', 'compression', () => lz.compressSync(chunk)).subarray(4)
    const stored = packed.length >= chunk.length
    const body = stored ? chunk : packed
    const head = Buffer.allocUnsafe(4)
    head.writeUInt32LE((body.length | (stored ? STORED : 0)) >>> 0, 0)
    parts.push(head, body)
    total += 4 + body.length
  }
  parts.push(Buffer.alloc(4))
  return Buffer.concat(parts, total)
}

interface Block {
  start: number
  size: number
  stored: boolean
}

interface FrameInfo {
  start: number
  end: number
  bound: number
  blockMax: number
  independent: boolean
  contentSize: number
  blocks: Block[]
}

/** Walks one frame starting at pos; returns its blocks, where it ends and its output bound. */
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
  p += 1 // header checksum, checked below
  const blocks: Block[] = []
  let bound = 0
  for (;;) {
    if (buf.length - p < 4) throw fail('truncated frame: no end mark')
    const word = buf.readUInt32LE(p)
    p += 4
    if (word === 0) break
    const size = word & 0x7fffffff
    const stored = word >>> 31 === 1
    if (size > blockMax) throw fail(`block of ${size} bytes exceeds the frame's block max size ${blockMax}`)
    if (buf.length - p < size + (blockChecksum ? 4 : 0)) throw fail('truncated block')
    blocks.push({ start: p, size, stored })
    bound += stored ? size : Math.min(blockMax, size * MAX_RATIO)
    p += size + (blockChecksum ? 4 : 0)
  }
  if (contentChecksum) {
    if (buf.length - p < 4) throw fail('truncated content checksum')
    p += 4
  }
  if (contentSize >= 0) bound = Math.min(bound, contentSize)
  const hcAt = pos + 6 + (hasContentSize ? 8 : 0)
  if (buf[hcAt] !== ((xxh32(buf, pos + 4, hcAt) >>> 8) & 0xff)) throw fail('bad frame header checksum')
  return { start: pos, end: p, bound, blockMax, independent: (flg & 0x20) !== 0, contentSize, blocks }
}

function decodeBlocks(buf: Buffer, frame: FrameInfo, lz: Lz4Binding): Buffer[] {
  const outs: Buffer[] = []
  for (const b of frame.blocks) {
    const data = buf.subarray(b.start, b.start + b.size)
    if (b.stored) {
      outs.push(data)
      continue
    }
    // The block API wants a uint32 LE size in front; the block max size is a safe capacity.
    const input = Buffer.allocUnsafe(4 + b.size)
    input.writeUInt32LE(frame.blockMax, 0)
    data.copy(input, 4)
    outs.push(guard('lz4', 'decompression', () => lz.uncompressSync(input)))
  }
  return outs
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
  const lz = binding()
  const outs: Buffer[] = []
  let total = 0
  for (const f of frames) {
    const parts = f.independent
      ? decodeBlocks(buf, f, lz)
      : [guard('lz4', 'decompression', () => lz.decompressFrameSync(buf.subarray(f.start, f.end)))]
    let size = 0
    for (const part of parts) size += part.length
    if (size > f.bound) throw compressionError('lz4', `frame decoded to more than its bound ${f.bound}`)
    if (f.contentSize >= 0 && size !== f.contentSize) {
      throw compressionError('lz4', `frame announced ${f.contentSize} bytes but decoded to ${size}`)
    }
    total += size
    if (total > maxOut) throw tooLarge('lz4', total, maxOut)
    outs.push(...parts)
  }
  return outs.length === 1 ? outs[0] : Buffer.concat(outs, total)
}

// XXH32 (https://github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md), only for the 1-byte
// frame header checksum, so inputs are 2 to 14 bytes: the short-input path suffices.
const P1 = 0x9e3779b1
const P2 = 0x85ebca77
const P3 = 0xc2b2ae3d
const P4 = 0x27d4eb2f
const P5 = 0x165667b1

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r))
}

/** XXH32 of a short input (< 16 bytes); exported for tests that hand-build frames. */
export function xxh32(buf: Buffer, start: number, end: number): number {
  const len = end - start
  if (len >= 16) throw new Error('xxh32: long inputs are not implemented')
  let h = (P5 + len) | 0
  let i = start
  for (; i + 4 <= end; i += 4) h = Math.imul(rotl((h + Math.imul(buf.readUInt32LE(i), P3)) | 0, 17), P4)
  for (; i < end; i++) h = Math.imul(rotl((h + Math.imul(buf[i], P5)) | 0, 11), P1)
  h = Math.imul(h ^ (h >>> 15), P2)
  h = Math.imul(h ^ (h >>> 13), P3)
  return (h ^ (h >>> 16)) >>> 0
}
