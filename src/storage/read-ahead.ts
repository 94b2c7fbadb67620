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
//
// Where it is read: a read-ahead of at most BLOCKING_MAX_BYTES is read on the event loop, in the
// check phase after the fetch that started it (by then its answer has been handed to the socket),
// when the file offers blocking reads and the policy allows them (blocking-io.ts: timed, backing
// off to the thread pool when reads are slow); a larger one, or one past BLOCKING_TURN_BYTES of
// blocking read-aheads queued for the same turn (a follower's fetch of many lagging partitions),
// through the thread pool. Through the pool the same copy landed later (a thread wake-up to hand
// it over, another when it lands): kperf consume ran 5-11 % faster on
// the event loop, the broker's CPU per MiB about the same in all (docs/performance.md).

import { type FileHandle, readFully, readFullyBlocking } from '../common/fs.ts'
import { sharedBufferPool } from '../protocol/buffer-pool.ts'
import { blockingReads } from './blocking-io.ts'
import type { LogSegment } from './log-segment.ts'

const pool = sharedBufferPool
/** Smaller reads are not worth a read-ahead (and a caught-up reader never triggers one). */
export const READ_AHEAD_MIN_BYTES = 64 * 1024
const EXPIRE_MS = 1000
const MAX_BYTES = 64 * 1024 * 1024
let bytesHeld = 0
/** A read-ahead up to this size may be read on the event loop (Kafka clients fetch 1 MiB a partition). */
export const BLOCKING_MAX_BYTES = 1024 * 1024
/** Blocking read-aheads queued for the next check phase, at most (bounds one turn's stall). */
export const BLOCKING_TURN_BYTES = 2 * 1024 * 1024
let blockingQueued = 0

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
    const blocking =
      file.readBlocking !== undefined &&
      buf.length <= BLOCKING_MAX_BYTES &&
      blockingQueued + buf.length <= BLOCKING_TURN_BYTES &&
      blockingReads.allowed()
    p.read = (blocking ? readSoon(p, file) : readFully(file, buf, 0, buf.length, position)).then(
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

/** Reads `p` with a blocking read in the next check phase, unless it was dropped by then. */
function readSoon(p: Pending, file: FileHandle): Promise<number> {
  const bytes = p.buf.length
  blockingQueued += bytes
  return new Promise((resolve, reject) => {
    setImmediate(() => {
      blockingQueued -= bytes
      if (p.dropped) {
        resolve(0)
        return
      }
      const t0 = performance.now()
      try {
        const n = readFullyBlocking(file, p.buf, 0, bytes, p.position)
        blockingReads.took(performance.now() - t0, n)
        resolve(n)
      } catch (err) {
        reject(err)
      }
    })
  })
}

function free(p: Pending): void {
  bytesHeld -= p.buf.length
  pool.release(p.buf)
}
