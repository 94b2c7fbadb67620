// Read-ahead for a reader that is behind (a consumer catching up, a follower re-replicating): when
// a fetch read stops at its byte limit with more committed bytes after it in the same segment, the
// next fetch will almost surely start right there, so its positional read is started at once, in
// the thread pool, while the answer travels and the client asks again. Without it the next fetch
// waits for that read (a thread-pool round trip and a copy of up to max.partition.fetch.bytes)
// on the critical path: kperf consume (one fetch in flight, ~1 MiB each) spent a fifth of each
// round trip there.
//
// What is prefetched is bytes of a segment below its committed size at that moment; the fetch that
// takes them walks their batch headers with its own limits (high watermark, LSO, max bytes), so an
// answer built from them is what a direct read would have returned. Truncation clears the log's
// read hints, and with them any read-ahead (a read still in flight is dropped when it lands);
// segments are matched by identity, so a deleted or replaced segment is never read ahead from.
// Memory: one read-ahead per log, dropped unused after EXPIRE_MS, and at most MAX_BYTES in all.

import { type FileHandle, readFully } from '../common/fs.ts'
import { sharedBufferPool } from '../protocol/buffer-pool.ts'
import type { LogSegment } from './log-segment.ts'

const pool = sharedBufferPool
/** Smaller reads are not worth a read-ahead (and a caught-up reader never triggers one). */
export const READ_AHEAD_MIN_BYTES = 64 * 1024
const EXPIRE_MS = 1000
const MAX_BYTES = 64 * 1024 * 1024
let bytesHeld = 0

/** Bytes held by read-aheads of all logs (tests). */
export function readAheadBytesHeld(): number {
  return bytesHeld
}

interface Pending {
  seg: LogSegment
  position: number
  /** The offset of the batch at `position` (the offset the next fetch asks for). */
  offset: bigint
  buf: Buffer
  /** Bytes read into buf (resolves once the read is over; 0 on a failed read). */
  read: Promise<number>
  settled: boolean
  /** Dropped unused: its buffer goes back to the pool once the read is over. */
  dropped: boolean
  timer: ReturnType<typeof setTimeout> | null
}

/** A read-ahead handed to a fetch: the bytes of its segment from `position` on. */
export interface ReadAheadBytes {
  buf: Buffer
  got: number
}

export class ReadAhead {
  private slot: Pending | null = null

  /**
   * Starts reading `length` bytes of `seg` at `position` (where the batch holding `offset`
   * starts). A read-ahead still waiting for its fetch is dropped instead (another reader of the
   * same log is in between: reading ahead for both would read everything twice).
   */
  start(seg: LogSegment, file: FileHandle, position: number, offset: bigint, length: number): void {
    if (this.slot !== null) {
      this.drop()
      return
    }
    if (length < READ_AHEAD_MIN_BYTES || bytesHeld + length > MAX_BYTES) return
    const buf = pool.acquire(length)
    bytesHeld += buf.length
    const p: Pending = {
      seg,
      position,
      offset,
      buf,
      read: Promise.resolve(0),
      settled: false,
      dropped: false,
      timer: null,
    }
    p.read = readFully(file, buf, 0, buf.length, position).then(
      (n) => {
        p.settled = true
        if (p.dropped) free(p)
        return n
      },
      () => {
        p.settled = true
        if (p.dropped) free(p)
        return 0
      },
    )
    p.timer = setTimeout(() => {
      p.timer = null
      if (this.slot === p) this.drop()
    }, EXPIRE_MS)
    p.timer.unref?.()
    this.slot = p
  }

  /**
   * The read-ahead for a fetch at `offset` starting at `position` of `seg`, or null (at once:
   * most fetches have none, and pay no promise for it). The caller owns the returned buffer (a
   * pool buffer: it goes back to the pool with the fetch response).
   */
  take(seg: LogSegment, position: number, offset: bigint): Promise<ReadAheadBytes> | null {
    const p = this.slot
    if (p === null || p.seg !== seg || p.position !== position || p.offset !== offset) return null
    this.slot = null
    if (p.timer !== null) clearTimeout(p.timer)
    return p.read.then((got) => {
      bytesHeld -= p.buf.length
      return { buf: p.buf, got }
    })
  }

  /** Forgets the read-ahead (truncation, or not wanted); its buffer goes back once read. */
  drop(): void {
    const p = this.slot
    if (p === null) return
    this.slot = null
    p.dropped = true
    if (p.timer !== null) clearTimeout(p.timer)
    if (p.settled) free(p)
  }
}

function free(p: Pending): void {
  bytesHeld -= p.buf.length
  pool.release(p.buf)
}
