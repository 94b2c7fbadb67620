// The offset index (`.index`): a sparse map from offsets to file positions in the segment's .log.
// Entry (8 bytes, big-endian):
//
//   0  int32  relative offset   (the last offset of a batch minus the segment's base offset)
//   4  int32  position          (where that batch starts in the .log file)
//
// An entry is added for a batch when more than index.interval.bytes of batches were appended
// since the previous entry. Both columns strictly increase. To find offset X: take the last
// entry with offset <= X and scan batches forward from its position.

import { indexFileName } from './file-names.ts'
import { IndexFile, type IndexLocation } from './index-file.ts'

export const OFFSET_INDEX_ENTRY_SIZE = 8

export interface OffsetPosition {
  offset: bigint
  position: number
}

/** Shared by every index without entries (most idle partitions): allocated on the first entry. */
const NO_ENTRIES = new Int32Array(0)

export class OffsetIndex extends IndexFile {
  private data = NO_ENTRIES

  constructor(where: IndexLocation, baseOffset: bigint, maxIndexBytes: number, loaded: boolean) {
    super(where, baseOffset, maxIndexBytes, loaded, OFFSET_INDEX_ENTRY_SIZE)
  }

  protected fileName(base: bigint): string {
    return indexFileName(base)
  }

  protected grow(min: number): void {
    if (min * 2 <= this.data.length) return
    const next = new Int32Array(Math.max(min * 2, this.data.length * 2, 32))
    next.set(this.data.subarray(0, this.count * 2))
    this.data = next
  }

  protected encode(i: number, buf: Buffer, pos: number): void {
    buf.writeInt32BE(this.data[2 * i], pos)
    buf.writeInt32BE(this.data[2 * i + 1], pos + 4)
  }

  protected decode(i: number, buf: Buffer, pos: number): void {
    this.data[2 * i] = buf.readInt32BE(pos)
    this.data[2 * i + 1] = buf.readInt32BE(pos + 4)
  }

  protected sane(logSize: number): boolean {
    for (let i = 0; i < this.count; i++) {
      const rel = this.data[2 * i]
      const pos = this.data[2 * i + 1]
      if (rel < 0 || pos < 0 || pos >= logSize) return false
      if (i > 0 && (rel <= this.data[2 * i - 2] || pos <= this.data[2 * i - 1])) return false
    }
    return true
  }

  relativeOffsetAt(i: number): number {
    return this.data[2 * i]
  }

  positionAt(i: number): number {
    return this.data[2 * i + 1]
  }

  entry(i: number): OffsetPosition {
    return { offset: this.baseOffset + BigInt(this.data[2 * i]), position: this.data[2 * i + 1] }
  }

  get lastEntry(): OffsetPosition | null {
    return this.count === 0 ? null : this.entry(this.count - 1)
  }

  /** Adds an entry; offsets and positions must increase. */
  append(offset: bigint, position: number): void {
    const rel = Number(offset - this.baseOffset)
    if (
      this.count > 0 &&
      (rel <= this.data[2 * this.count - 2] || position <= this.data[2 * this.count - 1])
    ) {
      throw new Error(`offset index ${this.path}: entry ${offset}@${position} does not follow the last one`)
    }
    if (rel < 0 || rel > 0x7fffffff) throw new Error(`offset index ${this.path}: ${offset} out of range`)
    this.grow(this.count + 1)
    this.data[2 * this.count] = rel
    this.data[2 * this.count + 1] = position
    this.count++
  }

  /** The last entry with offset <= target; (baseOffset, 0) when there is none. */
  lookup(target: bigint): OffsetPosition {
    const i = this.floorByOffset(target)
    return i < 0 ? { offset: this.baseOffset, position: 0 } : this.entry(i)
  }

  /** Index of the last entry whose offset is <= `target`, or -1. */
  floorByOffset(target: bigint): number {
    const rel = target - this.baseOffset
    if (rel < 0n) return -1
    const t = rel > 0x7fffffffn ? 0x7fffffff : Number(rel)
    return this.floorSearch(t, (k) => this.data[2 * k])
  }

  /** Index of the last entry whose position is <= `position`, or -1. */
  floorByPosition(position: number): number {
    return this.floorSearch(position, (k) => this.data[2 * k + 1])
  }

  /** Removes entries for offsets >= `offset`. */
  truncateToOffset(offset: bigint): void {
    const rel = offset - this.baseOffset
    if (rel <= 0n) {
      this.truncateToCount(0)
      return
    }
    const t = rel > 0x7fffffffn ? 0x7fffffff : Number(rel)
    // Keep entries with relative offset < t, i.e. the floor of t - 1.
    this.truncateToCount(this.floorSearch(t - 1, (k) => this.data[2 * k]) + 1)
  }

  /** Removes entries whose batch starts at or after `position`. */
  truncateToPosition(position: number): void {
    this.truncateToCount(this.floorSearch(position - 1, (k) => this.data[2 * k + 1]) + 1)
  }

  /** Approximate heap bytes held. */
  get memoryBytes(): number {
    return this.data.byteLength
  }
}
