// The time index (`.timeindex`): a sparse map from timestamps to offsets. Entry (12 bytes,
// big-endian):
//
//   0  int64  timestamp         (the largest record timestamp seen so far in the segment)
//   8  int32  relative offset   (of the batch where that timestamp was first seen, minus base)
//
// Entries are added together with offset index entries, but only when the segment's largest
// timestamp grew; so timestamps strictly increase and offsets never decrease. When a segment
// stops being the active one a final entry records its largest timestamp, which is what
// time-based retention reads after a restart. To find the first record with timestamp >= T:
// take the last entry with timestamp <= T (or the segment start), find its offset's position
// with the offset index, and scan batches forward.

import { timeIndexFileName } from './file-names.ts'
import { IndexFile, type IndexLocation } from './index-file.ts'

export const TIME_INDEX_ENTRY_SIZE = 12

export interface TimestampOffset {
  timestamp: bigint
  offset: bigint
}

/** Shared by every index without entries (most idle partitions): allocated on the first entry. */
const NO_TIMESTAMPS = new BigInt64Array(0)
const NO_OFFSETS = new Int32Array(0)

export class TimeIndex extends IndexFile {
  private ts = NO_TIMESTAMPS
  private rel = NO_OFFSETS

  constructor(where: IndexLocation, baseOffset: bigint, maxIndexBytes: number, loaded: boolean) {
    super(where, baseOffset, maxIndexBytes, loaded, TIME_INDEX_ENTRY_SIZE)
  }

  protected fileName(base: bigint): string {
    return timeIndexFileName(base)
  }

  protected grow(min: number): void {
    if (min <= this.ts.length) return
    const cap = Math.max(min, this.ts.length * 2, 16)
    const ts = new BigInt64Array(cap)
    const rel = new Int32Array(cap)
    ts.set(this.ts.subarray(0, this.count))
    rel.set(this.rel.subarray(0, this.count))
    this.ts = ts
    this.rel = rel
  }

  protected encode(i: number, buf: Buffer, pos: number): void {
    buf.writeBigInt64BE(this.ts[i], pos)
    buf.writeInt32BE(this.rel[i], pos + 8)
  }

  protected decode(i: number, buf: Buffer, pos: number): void {
    this.ts[i] = buf.readBigInt64BE(pos)
    this.rel[i] = buf.readInt32BE(pos + 8)
  }

  protected sane(): boolean {
    for (let i = 0; i < this.count; i++) {
      if (this.rel[i] < 0) return false
      if (i > 0 && (this.ts[i] <= this.ts[i - 1] || this.rel[i] < this.rel[i - 1])) return false
    }
    return true
  }

  entry(i: number): TimestampOffset {
    return { timestamp: this.ts[i], offset: this.baseOffset + BigInt(this.rel[i]) }
  }

  get lastEntry(): TimestampOffset | null {
    return this.count === 0 ? null : this.entry(this.count - 1)
  }

  /**
   * Adds (timestamp, offset) if the timestamp is larger than the last entry's. `force` ignores the
   * size limit (the final entry written when the segment becomes inactive).
   */
  maybeAppend(timestamp: bigint, offset: bigint, force = false): void {
    // -1: no record had a timestamp yet (batches without timestamps are legal).
    if (timestamp < 0n || (this.isFull && !force)) return
    if (this.count > 0 && timestamp <= this.ts[this.count - 1]) return
    const rel = Number(offset - this.baseOffset)
    if (rel < 0 || (this.count > 0 && rel < this.rel[this.count - 1])) {
      throw new Error(`time index ${this.path}: offset ${offset} goes backwards`)
    }
    this.grow(this.count + 1)
    this.ts[this.count] = timestamp
    this.rel[this.count] = rel
    this.count++
  }

  /** The last entry with timestamp <= target; (-1, baseOffset) when there is none. */
  lookup(target: bigint): TimestampOffset {
    const i = this.floorSearch(target, (k) => this.ts[k])
    return i < 0 ? { timestamp: -1n, offset: this.baseOffset } : this.entry(i)
  }

  /** Removes entries for offsets >= `offset`. */
  truncateToOffset(offset: bigint): void {
    const rel = offset - this.baseOffset
    if (rel <= 0n) {
      this.truncateToCount(0)
      return
    }
    const t = rel > 0x7fffffffn ? 0x7fffffff : Number(rel)
    let n = this.count
    while (n > 0 && this.rel[n - 1] >= t) n--
    this.truncateToCount(n)
  }

  get memoryBytes(): number {
    return this.ts.byteLength + this.rel.byteLength
  }
}
