// Size-first writer. Encoders compute the exact size of a message with the size helpers below,
// allocate once (`Buffer.allocUnsafe`), and write into it; `finish()` checks that the size was
// exact. Large `records` blobs can be *spliced* instead of copied: the writer records where they
// belong and `chunks()` returns the pieces in order for one `writev`, so record bytes from the log
// or from a request are never copied into the envelope.

import { EncodeError } from '../../common/errors.ts'
import type { Uuid } from '../../common/ids.ts'

/**
 * Blobs at least this large are spliced rather than copied when splicing is on. 4 KiB: from this
 * size up record bytes read for a Fetch are pooled buffers (buffer-pool.ts) that the connection
 * gives back once written; copied into the envelope instead, they would be dropped to the GC, and
 * an envelope of 4 KiB or more is itself a new ArrayBuffer.
 */
export const SPLICE_MIN = 4 * 1024

/** Counts the bytes that will be spliced; passed through size functions. null = copy all. */
export class Splice {
  bytes = 0
}

export function uvarintSize(n: number): number {
  if (n < 0x80) return 1
  if (n < 0x4000) return 2
  if (n < 0x200000) return 3
  if (n < 0x10000000) return 4
  return 5
}

export function varintSize(n: number): number {
  return uvarintSize(((n << 1) ^ (n >> 31)) >>> 0)
}

export function varlongSize(n: bigint): number {
  let z = n >= 0n ? n << 1n : (-n << 1n) - 1n
  let size = 1
  while (z >= 0x80n) {
    z >>= 7n
    size++
  }
  return size
}

/** Size of a zig-zag varlong given as a safe integer. */
export function varlongNumberSize(n: number): number {
  let z = n >= 0 ? n * 2 : -n * 2 - 1
  let size = 1
  while (z >= 0x80) {
    z = Math.floor(z / 128)
    size++
  }
  return size
}

export function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8')
}

export function stringSize(s: string | null): number {
  return s === null ? 2 : 2 + utf8Length(s)
}

export function compactStringSize(s: string | null): number {
  if (s === null) return 1
  const n = utf8Length(s)
  return uvarintSize(n + 1) + n
}

export function bytesSize(b: Buffer | null): number {
  return b === null ? 4 : 4 + b.length
}

export function compactBytesSize(b: Buffer | null): number {
  return b === null ? 1 : uvarintSize(b.length + 1) + b.length
}

/** Size of a records field in the envelope; spliced blobs count only their length prefix. */
export function recordsSize(b: Buffer | null, compact: boolean, splice: Splice | null): number {
  const prefix = compact ? (b === null ? 1 : uvarintSize(b.length + 1)) : 4
  if (b === null) return prefix
  if (splice !== null && b.length >= SPLICE_MIN) {
    splice.bytes += b.length
    return prefix
  }
  return prefix + b.length
}

const MAX_INT64 = 0x7fffffffffffffffn
const MIN_INT64 = -0x8000000000000000n

export class Writer {
  readonly buf: Buffer
  pos: number
  private readonly splice: boolean
  private splices: { at: number; data: Buffer }[] | null = null
  private dv: DataView | null = null

  /** `size` is the inline size; with `splice`, big records fields are referenced, not copied. */
  constructor(size: number, splice = false) {
    this.buf = Buffer.allocUnsafe(size)
    this.pos = 0
    this.splice = splice
  }

  bool(v: boolean): void {
    this.buf[this.pos++] = v ? 1 : 0
  }

  int8(v: number): void {
    this.buf.writeInt8(v, this.pos)
    this.pos += 1
  }

  int16(v: number): void {
    this.buf.writeInt16BE(v, this.pos)
    this.pos += 2
  }

  uint16(v: number): void {
    this.buf.writeUInt16BE(v, this.pos)
    this.pos += 2
  }

  int32(v: number): void {
    this.buf.writeInt32BE(v, this.pos)
    this.pos += 4
  }

  uint32(v: number): void {
    this.buf.writeUInt32BE(v, this.pos)
    this.pos += 4
  }

  int64(v: bigint): void {
    // Through a DataView: Buffer's writeBigInt64BE splits the value with BigInt arithmetic (new
    // BigInts, ~30x slower), three times per partition of a Produce response. Out of range: the
    // Buffer method's own error.
    if (v > MAX_INT64 || v < MIN_INT64) this.buf.writeBigInt64BE(v, this.pos)
    this.dv ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length)
    this.dv.setBigInt64(this.pos, v)
    this.pos += 8
  }

  float64(v: number): void {
    this.buf.writeDoubleBE(v, this.pos)
    this.pos += 8
  }

  uuid(v: Uuid): void {
    const n = this.buf.write(v, this.pos, 16, 'base64url')
    if (n !== 16) throw new EncodeError(`invalid uuid ${JSON.stringify(v)}`)
    this.pos += 16
  }

  uvarint(v: number): void {
    const buf = this.buf
    while (v >= 0x80) {
      buf[this.pos++] = (v & 0x7f) | 0x80
      v >>>= 7
    }
    buf[this.pos++] = v
  }

  varint(v: number): void {
    this.uvarint(((v << 1) ^ (v >> 31)) >>> 0)
  }

  varlong(v: bigint): void {
    let z = v >= 0n ? v << 1n : (-v << 1n) - 1n
    const buf = this.buf
    while (z >= 0x80n) {
      buf[this.pos++] = Number(z & 0x7fn) | 0x80
      z >>= 7n
    }
    buf[this.pos++] = Number(z)
  }

  varlongNumber(v: number): void {
    let z = v >= 0 ? v * 2 : -v * 2 - 1
    const buf = this.buf
    while (z >= 0x80) {
      buf[this.pos++] = (z % 128) | 0x80
      z = Math.floor(z / 128)
    }
    buf[this.pos++] = z
  }

  raw(b: Buffer): void {
    b.copy(this.buf, this.pos)
    this.pos += b.length
  }

  private utf8(s: string): void {
    this.pos += this.buf.write(s, this.pos, 'utf8')
  }

  string(s: string | null): void {
    if (s === null) {
      this.int16(-1)
      return
    }
    const n = utf8Length(s)
    if (n > 0x7fff) throw new EncodeError(`string of ${n} bytes is too long for an int16 length`)
    this.int16(n)
    this.utf8(s)
  }

  compactString(s: string | null): void {
    if (s === null) {
      this.uvarint(0)
      return
    }
    this.uvarint(utf8Length(s) + 1)
    this.utf8(s)
  }

  bytes(b: Buffer | null): void {
    if (b === null) {
      this.int32(-1)
      return
    }
    this.int32(b.length)
    this.raw(b)
  }

  compactBytes(b: Buffer | null): void {
    if (b === null) {
      this.uvarint(0)
      return
    }
    this.uvarint(b.length + 1)
    this.raw(b)
  }

  /** A records field: copied, or spliced when splicing is on and the blob is large. */
  records(b: Buffer | null, compact: boolean): void {
    if (compact) this.uvarint(b === null ? 0 : b.length + 1)
    else this.int32(b === null ? -1 : b.length)
    if (b === null) return
    if (this.splice && b.length >= SPLICE_MIN) {
      if (this.splices === null) this.splices = []
      this.splices.push({ at: this.pos, data: b })
    } else {
      this.raw(b)
    }
  }

  /** The encoded bytes as one buffer (copying spliced blobs if any: tests and small messages). */
  finish(): Buffer {
    this.checkFull()
    if (this.splices === null) return this.buf
    return Buffer.concat(this.chunks())
  }

  /** The encoded bytes as buffers to write in order, without copying spliced blobs. */
  chunks(): Buffer[] {
    this.checkFull()
    if (this.splices === null) return [this.buf]
    const out: Buffer[] = []
    let prev = 0
    for (const { at, data } of this.splices) {
      if (at > prev) out.push(this.buf.subarray(prev, at))
      out.push(data)
      prev = at
    }
    if (prev < this.buf.length) out.push(this.buf.subarray(prev))
    return out
  }

  private checkFull(): void {
    if (this.pos !== this.buf.length) {
      throw new EncodeError(`size mismatch: computed ${this.buf.length} bytes, wrote ${this.pos}`)
    }
  }
}
