// Streaming frame reader, sans-I/O: feed it the chunks a socket delivers, get back whole frames.
//
// Wire format: every Kafka request and response is `int32 size` followed by `size` bytes. The
// size is checked as soon as its 4 bytes are in: a negative size is FrameInvalid, one above the
// configured maximum is FrameTooLarge, and both are refused before a single body byte is kept.
//
// Copying: a frame that lies wholly inside one chunk is returned as a zero-copy subarray of that
// chunk. A frame split across chunks is kept as the list of received pieces and joined with one
// copy when its last byte arrives, so memory held is what was really received (a peer that sends
// a 4-byte size of 100 MiB and stalls costs 4 bytes, not 100 MiB), never more than one frame plus
// the 4-byte size prefix. After an error the reader stays failed: the connection must be closed.

import { InternalErrorCode, SamsaError } from '../common/errors.ts'

/** Kafka's default `socket.request.max.bytes`. */
export const DEFAULT_MAX_FRAME_SIZE = 100 * 1024 * 1024

export interface FrameReaderOptions {
  /** Largest accepted frame body (bytes after the size prefix). */
  maxFrameSize?: number
}

const EMPTY = Buffer.alloc(0)

export class FrameReader {
  readonly maxFrameSize: number
  /** Bytes of a size prefix split across chunks (0-3 of them are valid while waiting). */
  private readonly sizeBuf = Buffer.alloc(4)
  private sizeFill = 0
  /** Size of the frame whose body is being received, or -1 when between frames. */
  private want = -1
  private parts: Buffer[] = []
  private have = 0
  private failure: SamsaError | null = null

  constructor(options: FrameReaderOptions = {}) {
    const max = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE
    if (!Number.isInteger(max) || max < 0 || max > 0x7fffffff) {
      throw new RangeError(`maxFrameSize must be an integer in [0, 2^31-1], got ${max}`)
    }
    this.maxFrameSize = max
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
    const len = chunk.length
    let pos = 0
    while (pos < len) {
      if (this.want >= 0) {
        // Continue a body split across chunks.
        const n = Math.min(this.want - this.have, len - pos)
        this.parts.push(chunk.subarray(pos, pos + n))
        this.have += n
        pos += n
        if (this.have === this.want) out.push(this.takeParts())
        continue
      }
      let size: number
      if (this.sizeFill === 0 && len - pos >= 4) {
        size = chunk.readInt32BE(pos)
        pos += 4
      } else {
        const n = Math.min(4 - this.sizeFill, len - pos)
        chunk.copy(this.sizeBuf, this.sizeFill, pos, pos + n)
        this.sizeFill += n
        pos += n
        if (this.sizeFill < 4) break
        this.sizeFill = 0
        size = this.sizeBuf.readInt32BE(0)
      }
      this.check(size)
      if (len - pos >= size) {
        out.push(size === 0 ? EMPTY : chunk.subarray(pos, pos + size))
        pos += size
      } else {
        this.want = size
        if (pos < len) this.parts.push(chunk.subarray(pos))
        this.have = len - pos
        pos = len
      }
    }
    return out
  }

  private check(size: number): void {
    if (size < 0) {
      this.fail(new SamsaError(InternalErrorCode.FrameInvalid, `negative frame size ${size}`))
    }
    if (size > this.maxFrameSize) {
      this.fail(
        new SamsaError(
          InternalErrorCode.FrameTooLarge,
          `frame of ${size} bytes exceeds the maximum of ${this.maxFrameSize}`,
        ),
      )
    }
  }

  private fail(e: SamsaError): never {
    this.failure = e
    this.parts = []
    this.have = 0
    this.want = -1
    throw e
  }

  private takeParts(): Buffer {
    const parts = this.parts
    const frame = parts.length === 1 ? parts[0] : Buffer.concat(parts, this.want)
    this.parts = []
    this.have = 0
    this.want = -1
    return frame
  }
}
