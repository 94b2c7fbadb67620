// Bounds-checked reader over one Buffer with a sticky error.
//
// No method throws. The first failure (truncation, bad varint, a length prefix larger than the
// bytes left) is recorded in `error`, the position jumps to the end so every later read fails
// cheaply, and reads return zero values. Decoders check `error` once at the end. Every length
// prefix is checked against the bytes remaining *before* anything is allocated, so a hostile
// length of 2^31 inside a 50-byte frame costs nothing.
//
// Strings and bytes: `bytes()` returns a zero-copy view (subarray) into the source buffer.

import { DecodeError } from '../../common/errors.ts'
import type { Uuid } from '../../common/ids.ts'

export class Reader {
  readonly buf: Buffer
  pos: number
  end: number
  error: DecodeError | null = null

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf
    this.pos = start
    this.end = end
  }

  get remaining(): number {
    return this.end - this.pos
  }

  fail(message: string): void {
    if (this.error === null) this.error = new DecodeError(message, this.pos)
    this.pos = this.end
  }

  /** Returns false (and fails) when fewer than n bytes remain. */
  private need(n: number, what: string): boolean {
    if (n >= 0 && this.end - this.pos >= n) return true
    this.fail(`truncated ${what}: need ${n} bytes, have ${this.end - this.pos}`)
    return false
  }

  skip(n: number): void {
    if (n < 0) this.fail('negative skip')
    else if (this.need(n, 'skipped field')) this.pos += n
  }

  bool(): boolean {
    if (!this.need(1, 'bool')) return false
    return this.buf[this.pos++] !== 0
  }

  int8(): number {
    if (!this.need(1, 'int8')) return 0
    return this.buf.readInt8(this.pos++)
  }

  int16(): number {
    if (!this.need(2, 'int16')) return 0
    const v = this.buf.readInt16BE(this.pos)
    this.pos += 2
    return v
  }

  uint16(): number {
    if (!this.need(2, 'uint16')) return 0
    const v = this.buf.readUInt16BE(this.pos)
    this.pos += 2
    return v
  }

  int32(): number {
    if (!this.need(4, 'int32')) return 0
    const v = this.buf.readInt32BE(this.pos)
    this.pos += 4
    return v
  }

  uint32(): number {
    if (!this.need(4, 'uint32')) return 0
    const v = this.buf.readUInt32BE(this.pos)
    this.pos += 4
    return v
  }

  int64(): bigint {
    if (!this.need(8, 'int64')) return 0n
    const v = this.buf.readBigInt64BE(this.pos)
    this.pos += 8
    return v
  }

  float64(): number {
    if (!this.need(8, 'float64')) return 0
    const v = this.buf.readDoubleBE(this.pos)
    this.pos += 8
    return v
  }

  uuid(): Uuid {
    if (!this.need(16, 'uuid')) return 'AAAAAAAAAAAAAAAAAAAAAA' as Uuid
    const v = this.buf.toString('base64url', this.pos, this.pos + 16)
    this.pos += 16
    return v as Uuid
  }

  /** Unsigned LEB128 varint of at most 32 bits (5 bytes). */
  uvarint(): number {
    let result = 0
    let shift = 0
    const buf = this.buf
    while (this.pos < this.end) {
      const b = buf[this.pos++]
      if (shift === 28) {
        if (b > 0x0f) {
          this.fail('unsigned varint longer than 32 bits')
          return 0
        }
        return (result + b * 2 ** 28) >>> 0
      }
      result |= (b & 0x7f) << shift
      if ((b & 0x80) === 0) return result >>> 0
      shift += 7
    }
    this.fail('truncated varint')
    return 0
  }

  /** Zig-zag signed varint (int32). */
  varint(): number {
    const u = this.uvarint()
    return (u >>> 1) ^ -(u & 1)
  }

  /** Zig-zag signed varlong (int64), at most 10 bytes. */
  varlong(): bigint {
    let result = 0n
    let shift = 0n
    const buf = this.buf
    for (let i = 0; i < 10 && this.pos < this.end; i++) {
      const b = buf[this.pos++]
      result |= BigInt(b & 0x7f) << shift
      if ((b & 0x80) === 0) return (result >> 1n) ^ -(result & 1n)
      shift += 7n
    }
    this.fail('bad varlong')
    return 0n
  }

  /** Varlong that must fit in a safe integer (record-level deltas). */
  varlongNumber(): number {
    let result = 0
    let mul = 1
    const buf = this.buf
    for (let i = 0; i < 8 && this.pos < this.end; i++) {
      const b = buf[this.pos++]
      result += (b & 0x7f) * mul
      if ((b & 0x80) === 0) {
        // zig-zag decode without 32-bit truncation
        return result % 2 === 0 ? result / 2 : -(result + 1) / 2
      }
      mul *= 128
    }
    this.fail('varlong out of safe range')
    return 0
  }

  private utf8(len: number, what: string): string {
    if (!this.need(len, what)) return ''
    const s = this.buf.toString('utf8', this.pos, this.pos + len)
    this.pos += len
    return s
  }

  private view(len: number, what: string): Buffer {
    if (!this.need(len, what)) return EMPTY
    const b = this.buf.subarray(this.pos, this.pos + len)
    this.pos += len
    return b
  }

  /** int16-length string; -1 (null) is an error here. */
  string(): string {
    const len = this.int16()
    if (len < 0) {
      if (this.error === null) this.fail('null in non-nullable string')
      return ''
    }
    return this.utf8(len, 'string')
  }

  nullableString(): string | null {
    const len = this.int16()
    if (len === -1) return null
    if (len < 0) {
      this.fail('bad string length')
      return null
    }
    return this.utf8(len, 'string')
  }

  compactString(): string {
    const n = this.uvarint()
    if (n === 0) {
      if (this.error === null) this.fail('null in non-nullable compact string')
      return ''
    }
    return this.utf8(n - 1, 'compact string')
  }

  compactNullableString(): string | null {
    const n = this.uvarint()
    if (n === 0) return null
    return this.utf8(n - 1, 'compact string')
  }

  /** int32-length bytes; zero-copy view. */
  bytes(): Buffer {
    const len = this.int32()
    if (len < 0) {
      if (this.error === null) this.fail('null in non-nullable bytes')
      return EMPTY
    }
    return this.view(len, 'bytes')
  }

  nullableBytes(): Buffer | null {
    const len = this.int32()
    if (len === -1) return null
    if (len < 0) {
      this.fail('bad bytes length')
      return null
    }
    return this.view(len, 'bytes')
  }

  compactBytes(): Buffer {
    const n = this.uvarint()
    if (n === 0) {
      if (this.error === null) this.fail('null in non-nullable compact bytes')
      return EMPTY
    }
    return this.view(n - 1, 'compact bytes')
  }

  compactNullableBytes(): Buffer | null {
    const n = this.uvarint()
    if (n === 0) return null
    return this.view(n - 1, 'compact bytes')
  }

  /**
   * int32 array length: -1 for null. A count larger than the bytes remaining is refused (each
   * element takes at least one byte), so callers may size arrays from it safely.
   */
  arrayLength(): number {
    const n = this.int32()
    if (n < -1) {
      this.fail(`bad array length ${n}`)
      return 0
    }
    if (n > this.end - this.pos) {
      this.fail(`array length ${n} exceeds the ${this.end - this.pos} bytes left`)
      return 0
    }
    return n
  }

  /** Compact array length (uvarint n+1): -1 for null. */
  compactArrayLength(): number {
    const n = this.uvarint() - 1
    if (n > this.end - this.pos) {
      this.fail(`array length ${n} exceeds the ${this.end - this.pos} bytes left`)
      return 0
    }
    return n
  }

  /** Skips a whole tagged-field section (count, then tag/size/bytes entries). */
  skipTaggedFields(): void {
    const count = this.uvarint()
    for (let i = 0; i < count && this.error === null; i++) {
      this.uvarint()
      this.skip(this.uvarint())
    }
  }
}

const EMPTY = Buffer.alloc(0)
