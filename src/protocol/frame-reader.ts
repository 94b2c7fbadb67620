// Streaming frame reader, sans-I/O: give it the bytes a socket delivers, get back whole frames.
//
// Wire format: every Kafka request and response is `int32 size` followed by `size` bytes. The
// size is checked as soon as its 4 bytes are in: a negative size is FrameInvalid, one above the
// configured maximum is FrameTooLarge, and both are refused before a single body byte is kept.
//
// Two ways to feed it:
// - push(chunk): the caller owns the chunk memory and never reuses it (socket 'data' events,
//   tests). A frame wholly inside one chunk is returned as a zero-copy subarray of it.
// - readBuffer() + commit(n): the socket reads straight into memory the reader hands out
//   (net.Socket's `onread`). Between frames that is a reused scratch buffer, so frames completed
//   there are copied out (one copy for the whole run of frames of that read; they are small in
//   practice). Once a size prefix announces a body that has not fully arrived, the reader
//   allocates one buffer of exactly that size and hands out its unfilled tail, so the kernel
//   writes a 1 MiB produce request into its final place: no chunk list, no concatenation, no
//   per-read allocation (these were 5-10 % of a produce profile, plus the GC they caused).
//
// The limit can be lowered and raised while reading (setLimit): a SASL listener accepts only small
// frames until the client authenticated (sasl.server.max.receive.size), so an unauthenticated peer
// cannot make the broker allocate a large body. It applies from the next size prefix. Frames
// completed before a refused size prefix in the same chunk are still returned (a handshake sent
// together with an oversized token is answered, as Kafka reads one frame at a time): the error
// thrown carries them as `completed` (see completedBefore), and the caller closes after them.
//
// Split bodies: up to DIRECT_MAX bytes, the body buffer is taken from a BufferPool when its size
// is known (uninitialised memory; whoever knows the frame is no longer used, the dispatcher for
// Produce, gives it back, see buffer-pool.ts). Larger bodies
// (only possible when socket.request.max.bytes is raised above it) are kept as the list of
// received pieces and joined when complete, so memory held is what was really received. Either
// way never more than one frame plus the 4-byte size prefix is buffered. After an error the reader
// stays failed: the connection must be closed.

import { InternalErrorCode, SamsaError } from '../common/errors.ts'
import { type BufferPool, MAX_CLASS, sharedBufferPool } from './buffer-pool.ts'

/** Kafka's default `socket.request.max.bytes`. */
export const DEFAULT_MAX_FRAME_SIZE = 100 * 1024 * 1024

/** Largest split body given a buffer of its final size up front (see the header). */
export const DIRECT_MAX = MAX_CLASS

/** Size of the scratch buffer socket reads go to between frames. */
const SCRATCH_SIZE = 64 * 1024

export interface FrameReaderOptions {
  /** Largest accepted frame body (bytes after the size prefix). */
  maxFrameSize?: number
  /** Where split bodies get their buffers (default: the shared pool; see buffer-pool.ts). */
  pool?: BufferPool
}

const EMPTY = Buffer.alloc(0)

export class FrameReader {
  private limit: number
  private readonly pool: BufferPool
  /** Bytes of a size prefix split across chunks (0-3 of them are valid while waiting). */
  private readonly sizeBuf = Buffer.alloc(4)
  private sizeFill = 0
  /** Size of the frame whose body is being received, or -1 when between frames. */
  private want = -1
  /** Bytes of that body received so far. */
  private have = 0
  /** The body's own buffer (bodies up to DIRECT_MAX), else null. */
  private body: Buffer | null = null
  /** Received pieces of a body larger than DIRECT_MAX. */
  private parts: Buffer[] = []
  /** Where reads go between frames (readBuffer/commit mode); allocated on first use. */
  private scratch: Buffer | null = null
  /** What the last readBuffer() returned. */
  private lent: Buffer | null = null
  private failure: SamsaError | null = null

  constructor(options: FrameReaderOptions = {}) {
    const max = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE
    if (!Number.isInteger(max) || max < 0 || max > 0x7fffffff) {
      throw new RangeError(`maxFrameSize must be an integer in [0, 2^31-1], got ${max}`)
    }
    this.limit = max
    this.pool = options.pool ?? sharedBufferPool
  }

  /** Largest frame body accepted from the next size prefix on. */
  get maxFrameSize(): number {
    return this.limit
  }

  /** Changes the largest accepted frame body (checked on each later size prefix). */
  setLimit(max: number): void {
    if (!Number.isInteger(max) || max < 0 || max > 0x7fffffff) {
      throw new RangeError(`maxFrameSize must be an integer in [0, 2^31-1], got ${max}`)
    }
    this.limit = max
  }

  /** Bytes received toward the incomplete frame, size prefix included; at most maxFrameSize + 3. */
  get bufferedBytes(): number {
    return this.want >= 0 ? 4 + this.have : this.sizeFill
  }

  /** True when no partial frame is pending (a clean place for the peer to close). */
  get idle(): boolean {
    return this.sizeFill === 0 && this.want === -1
  }

  /**
   * Consumes one chunk and returns the frames it completes, in order (bodies without the size
   * prefix). Throws SamsaError FrameTooLarge / FrameInvalid on a bad size, and again on every later
   * call. Frames returned may share memory with `chunk`: the caller must not reuse chunk buffers.
   */
  push(chunk: Buffer): Buffer[] {
    if (this.failure !== null) throw this.failure
    const out: Buffer[] = []
    try {
      this.parse(chunk, 0, chunk.length, false, out)
    } catch (e) {
      throw withCompleted(e, out)
    }
    return out
  }

  /**
   * The buffer the next socket read should fill: the unfilled tail of a body being received, else
   * the scratch buffer. Pass the number of bytes read to commit() before asking again.
   */
  readBuffer(): Buffer {
    let b: Buffer
    if (this.body !== null) b = this.body.subarray(this.have)
    else {
      this.scratch ??= Buffer.allocUnsafeSlow(SCRATCH_SIZE)
      b = this.scratch
    }
    this.lent = b
    return b
  }

  /**
   * `n` bytes were read into the start of the buffer readBuffer() returned; returns the frames
   * completed, in order. Frames never share memory with the scratch buffer. Throws like push().
   */
  commit(n: number): Buffer[] {
    if (this.failure !== null) throw this.failure
    const buf = this.lent
    if (buf === null || n < 0 || n > buf.length) throw new RangeError(`commit(${n}) without a matching read`)
    this.lent = null
    const out: Buffer[] = []
    if (this.body !== null && buf !== this.scratch) {
      this.have += n
      if (this.have === this.want) out.push(this.take())
      return out
    }
    try {
      this.parse(buf, 0, n, true, out)
    } catch (e) {
      throw withCompleted(e, out)
    }
    return out
  }

  /**
   * Splits buf[pos, len) into frames. `copy`: buf is reused by the caller, so complete frames are
   * copied out (one allocation for all of them) and partial bodies are copied into their own memory.
   */
  private parse(buf: Buffer, pos: number, len: number, copy: boolean, out: Buffer[]): void {
    // Complete frames found in buf are collected as [start, end) pairs when copying.
    let runStart = -1
    let runEnd = -1
    const first = out.length
    while (pos < len) {
      if (this.want >= 0) {
        // Continue a body split across reads.
        const n = Math.min(this.want - this.have, len - pos)
        if (this.body !== null) buf.copy(this.body, this.have, pos, pos + n)
        else this.parts.push(copy ? Buffer.from(buf.subarray(pos, pos + n)) : buf.subarray(pos, pos + n))
        this.have += n
        pos += n
        if (this.have === this.want) out.push(this.take())
        continue
      }
      let size: number
      if (this.sizeFill === 0 && len - pos >= 4) {
        size = buf.readInt32BE(pos)
        pos += 4
      } else {
        const n = Math.min(4 - this.sizeFill, len - pos)
        buf.copy(this.sizeBuf, this.sizeFill, pos, pos + n)
        this.sizeFill += n
        pos += n
        if (this.sizeFill < 4) break
        this.sizeFill = 0
        size = this.sizeBuf.readInt32BE(0)
      }
      try {
        this.check(size)
      } catch (e) {
        // Frames already completed from buf must not stay views of a buffer the caller reuses.
        if (runStart >= 0) relocate(buf, runStart, runEnd, out, first, this.pool)
        throw e
      }
      if (len - pos >= size) {
        if (!copy || size === 0) out.push(size === 0 ? EMPTY : buf.subarray(pos, pos + size))
        else {
          // Mark it; copied out with the rest of its run below.
          if (runStart < 0) runStart = pos
          runEnd = pos + size
          out.push(buf.subarray(pos, pos + size))
        }
        pos += size
        continue
      }
      this.want = size
      this.have = 0
      if (size <= DIRECT_MAX) this.body = this.pool.acquire(size)
    }
    if (runStart >= 0) relocate(buf, runStart, runEnd, out, first, this.pool)
  }

  private check(size: number): void {
    if (size < 0) {
      this.fail(new SamsaError(InternalErrorCode.FrameInvalid, `negative frame size ${size}`))
    }
    if (size > this.limit) {
      this.fail(
        new SamsaError(
          InternalErrorCode.FrameTooLarge,
          `frame of ${size} bytes exceeds the maximum of ${this.limit}`,
        ),
      )
    }
  }

  private fail(e: SamsaError): never {
    this.failure = e
    this.parts = []
    this.body = null
    this.have = 0
    this.want = -1
    throw e
  }

  private take(): Buffer {
    let frame: Buffer
    if (this.body !== null) frame = this.body
    else frame = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.want)
    this.body = null
    this.parts = []
    this.have = 0
    this.want = -1
    return frame
  }
}

/** Frames completed before the refused size prefix that made a push/commit throw `err`. */
export function completedBefore(err: unknown): readonly Buffer[] {
  return (err as { completed?: Buffer[] })?.completed ?? []
}

/** The error to throw after `out` frames were completed in the same call (a copy, so the stored
 * failure rethrown later carries none). */
function withCompleted(e: unknown, out: Buffer[]): unknown {
  if (out.length === 0 || !(e instanceof SamsaError)) return e
  return Object.assign(new SamsaError(e.code, e.message), { completed: out })
}

/**
 * Replaces the frames in out[first..] that are views of buf[start, end) by views of one copy of
 * that range (frames completed from their own body buffers are left alone). A range that is one
 * frame gets a pooled buffer of its own, like a split body: a produce request of a few KiB read
 * whole is then given back by the dispatcher instead of being new external memory each time.
 * Several frames share one plain copy (never pooled: giving one back would free the others).
 */
function relocate(
  buf: Buffer,
  start: number,
  end: number,
  out: Buffer[],
  first: number,
  pool: BufferPool,
): void {
  const base = buf.byteOffset + start
  let inRun = 0
  for (let i = first; i < out.length; i++) if (out[i].buffer === buf.buffer && out[i].length > 0) inRun++
  const copy = inRun === 1 ? pool.acquire(end - start) : Buffer.allocUnsafe(end - start)
  buf.copy(copy, 0, start, end)
  for (let i = first; i < out.length; i++) {
    const f = out[i]
    if (f.buffer !== buf.buffer || f.length === 0) continue
    const at = f.byteOffset - base
    if (at < 0 || at + f.length > end - start) continue
    out[i] = copy.subarray(at, at + f.length)
  }
}
