// The newest appends of a leader's log, kept in memory until every in-sync follower has them.
//
// Why: with replication factor 3 each byte a producer sends is read back from the page cache
// twice (one positional read per follower fetch) before it goes out again; on a 2-core machine
// where three brokers share the cores, those copies are a fifth of all the work. Followers fetch
// what was appended moments ago, and the leader still holds those bytes: the produce request body
// the batches came in (offsets already assigned in place). Keeping views of those bodies until the
// high watermark passes them lets a follower's fetch be answered from memory, spliced into the
// response without a copy.
//
// Memory: entries below the high watermark are dropped as it moves (Log.updateHighWatermark), so
// what is held is what the ISR has not fetched yet — mostly produce requests still waiting for
// acks=all, whose bodies are alive anyway. A per-log and a process-wide cap bound the rest (a
// follower that stalls); beyond them appends are simply not cached and readers use the file.
// Bodies come from the shared buffer pool: the cache retains them, and a view handed to a fetch
// response is retained again and released by the connection once written (buffer-pool.ts).
//
// Consistency: entries are added after the write completed (so never beyond the LEO) and cleared
// on every truncation; a read takes whole batches only, walks their headers (never records) and
// stops at maxOffset and maxBytes exactly like the file read it stands in for.

import { sharedBufferPool } from '../protocol/buffer-pool.ts'
import { SPLICE_MIN } from '../protocol/primitives/writer.ts'
import { BATCH_HEADER_SIZE, BatchOffsets, LOG_OVERHEAD } from '../records/batch-header.ts'
import type { LogSegment } from './log-segment.ts'

const pool = sharedBufferPool

/** Bytes one log may hold, and bytes all logs together may hold. */
export const TAIL_CACHE_LOG_MAX = 64 * 1024 * 1024
export const TAIL_CACHE_TOTAL_MAX = 256 * 1024 * 1024
let totalBytes = 0

interface Entry {
  /** Offsets of the first and last record in `bytes` (whole batches, back to back). */
  base: bigint
  last: bigint
  bytes: Buffer
  seg: LogSegment
  /** Where `bytes` start in the segment file. */
  position: number
}

export interface TailRead {
  records: Buffer
  firstBatchOffset: bigint
  /** Where the next batch after the returned ones starts, for the log's read hints. */
  next: { seg: LogSegment; position: number; offset: bigint }
}

const NONE: Entry[] = Object.freeze([]) as unknown as Entry[]

export class TailCache {
  /** NONE (shared, frozen) while empty: thousands of idle logs carry no array each. */
  private entries: Entry[] = NONE
  private bytes = 0
  /** Reads answered from memory, and bytes, for tests and benchmarks. */
  hits = 0
  hitBytes = 0

  get size(): number {
    return this.bytes
  }

  /** Keeps a view of bytes just written at `position` of `seg`; they hold offsets base..last. */
  add(bytes: Buffer, base: bigint, last: bigint, seg: LogSegment, position: number): void {
    const tail = this.entries[this.entries.length - 1]
    // Only a contiguous run is kept: anything else (a gap after a failed write) starts over.
    if (tail !== undefined && tail.last + 1n !== base) this.clear()
    if (this.bytes + bytes.length > TAIL_CACHE_LOG_MAX || totalBytes + bytes.length > TAIL_CACHE_TOTAL_MAX) {
      this.clear()
      return
    }
    pool.retain(bytes)
    const e: Entry = { base, last, bytes, seg, position }
    // A one-element array for a log's first entry (push onto [] reserves 17 slots).
    if (this.entries === NONE) this.entries = [e]
    else this.entries.push(e)
    this.bytes += bytes.length
    totalBytes += bytes.length
  }

  /** Drops the entries wholly below `offset` (the high watermark moved past them). */
  dropBelow(offset: bigint): void {
    let n = 0
    while (n < this.entries.length && this.entries[n].last < offset) n++
    if (n === 0) return
    for (let i = 0; i < n; i++) this.forget(this.entries[i])
    this.entries = n === this.entries.length ? NONE : this.entries.slice(n)
  }

  clear(): void {
    for (const e of this.entries) this.forget(e)
    this.entries = NONE
  }

  /**
   * Whole batches from the one starting at `fetchOffset`, none reaching `maxOffset`, up to
   * `maxBytes` (the first one even when larger, if `minOne`), or null when `fetchOffset` is not a
   * batch start held here (the caller reads the file). The caller owns `records`: release it to
   * the pool once written (a view of a produce body is retained for it).
   */
  read(fetchOffset: bigint, maxBytes: number, maxOffset: bigint, minOne: boolean): TailRead | null {
    const es = this.entries
    if (es.length === 0 || fetchOffset < es[0].base || fetchOffset > es[es.length - 1].last) return null
    let i = 0
    while (es[i].last < fetchOffset) i++
    const first = es[i]
    let start = 0
    if (first.base !== fetchOffset) {
      start = batchStartOf(first.bytes, fetchOffset)
      if (start < 0) return null
    }
    // Walk the batch headers over consecutive entries, collecting [entry, from, to) pieces.
    const pieces: { e: Entry; from: number; to: number }[] = []
    let total = 0
    let next: TailRead['next'] | null = null
    let firstBatchOffset = -1n
    let take = minOne
    walk: for (let k = i; k < es.length; k++) {
      const e = es[k]
      const from = k === i ? start : 0
      let p = from
      while (p + BATCH_HEADER_SIZE <= e.bytes.length) {
        const size = e.bytes.readInt32BE(p + BatchOffsets.batchLength) + LOG_OVERHEAD
        const base = e.bytes.readBigInt64BE(p + BatchOffsets.baseOffset)
        const last = base + BigInt(e.bytes.readInt32BE(p + BatchOffsets.lastOffsetDelta))
        if (last >= maxOffset || (!take && total + (p - from) + size > maxBytes)) {
          if (p > from) pieces.push({ e, from, to: p })
          total += p - from
          break walk
        }
        if (firstBatchOffset < 0n) firstBatchOffset = base
        take = false
        p += size
        next = { seg: e.seg, position: e.position + p, offset: last + 1n }
      }
      if (p > from) pieces.push({ e, from, to: p })
      total += p - from
    }
    if (pieces.length === 0 || next === null) return null
    this.hits++
    this.hitBytes += total
    if (pieces.length === 1 && total >= SPLICE_MIN) {
      // One produce body: a view, spliced into the response as is.
      const view = pieces[0].e.bytes.subarray(pieces[0].from, pieces[0].to)
      pool.retain(view)
      return { records: view, firstBatchOffset, next }
    }
    // Several bodies (or a small piece the encoder copies anyway): one buffer the caller owns.
    const out = pool.acquire(total)
    let at = 0
    for (const pc of pieces) at += pc.e.bytes.copy(out, at, pc.from, pc.to)
    return { records: out, firstBatchOffset, next }
  }

  private forget(e: Entry): void {
    this.bytes -= e.bytes.length
    totalBytes -= e.bytes.length
    pool.release(e.bytes)
  }
}

/** Position of the batch starting at `offset` in back-to-back batches, or -1. */
function batchStartOf(bytes: Buffer, offset: bigint): number {
  let p = 0
  while (p + BATCH_HEADER_SIZE <= bytes.length) {
    const base = bytes.readBigInt64BE(p + BatchOffsets.baseOffset)
    if (base === offset) return p
    if (base > offset) return -1
    p += bytes.readInt32BE(p + BatchOffsets.batchLength) + LOG_OVERHEAD
  }
  return -1
}
