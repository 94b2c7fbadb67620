// One client connection: frames in, responses out, strictly in request order.
//
// Requests are dispatched as soon as their frame is complete (so a long-polling Fetch does not
// block the decoding of the next request), but responses are written in the order the requests
// arrived, as Kafka clients require. A dispatch result of `null` means "no response" (acks=0
// produce); its slot is simply skipped. Back-pressure: reading pauses while too many requests are
// in flight or the socket's write buffer is full, so one connection's memory stays bounded.
//
// A frame whose size is refused, or a dispatch that throws (a frame that does not decode), closes
// this connection only, logged once.

import type { Socket } from 'node:net'
import type { Logger } from '../common/logger.ts'
import { FrameReader } from '../protocol/frame-reader.ts'

export interface ConnectionInfo {
  readonly id: number
  readonly remote: string
  readonly listener: string
}

/** Response bytes to write (one or more chunks, e.g. envelope + spliced records), or null. */
export type DispatchResult = Buffer[] | null
export type Dispatch = (frame: Buffer, conn: ConnectionInfo) => DispatchResult | Promise<DispatchResult>

export interface ConnectionOptions {
  maxFrameSize: number
  /** Requests dispatched but not yet answered before reading pauses. */
  maxInFlight: number
  /** Close after this long with no traffic either way (connections.max.idle.ms); 0 = never. */
  idleMs: number
}

interface Slot {
  done: boolean
  result: DispatchResult
}

export class Connection {
  readonly info: ConnectionInfo
  private readonly socket: Socket
  private readonly frames: FrameReader
  private readonly dispatch: Dispatch
  private readonly log: Logger
  private readonly opts: ConnectionOptions
  private readonly queue: Slot[] = []
  private inFlight = 0
  private paused = false
  private closed = false
  private onClose: (() => void) | null = null

  constructor(
    socket: Socket,
    info: ConnectionInfo,
    dispatch: Dispatch,
    opts: ConnectionOptions,
    log: Logger,
  ) {
    this.socket = socket
    this.info = info
    this.dispatch = dispatch
    this.opts = opts
    this.log = log
    this.frames = new FrameReader({ maxFrameSize: opts.maxFrameSize })
    socket.setNoDelay(true)
    if (opts.idleMs > 0) {
      socket.setTimeout(opts.idleMs, () => {
        this.log.debug(`closing idle connection ${info.remote} after ${opts.idleMs} ms`)
        this.close()
      })
    }
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('drain', () => this.maybeResume())
    socket.on('error', (err) => this.log.debug(`connection ${info.remote}: ${err.message}`))
    socket.on('close', () => {
      this.closed = true
      this.queue.length = 0
      this.onClose?.()
    })
  }

  whenClosed(fn: () => void): void {
    this.onClose = fn
  }

  get isClosed(): boolean {
    return this.closed
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.socket.destroy()
  }

  /** Half-close after the responses already queued have been written (graceful shutdown). */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    this.socket.pause()
    while (!this.closed && this.queue.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10))
    }
    if (!this.closed) this.socket.end()
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[]
    try {
      frames = this.frames.push(chunk)
    } catch (err) {
      this.log.warn(`closing connection ${this.info.remote}: ${(err as Error).message}`)
      this.close()
      return
    }
    for (const frame of frames) {
      if (this.closed) return
      this.handle(frame)
    }
    this.maybePause()
  }

  private handle(frame: Buffer): void {
    let result: DispatchResult | Promise<DispatchResult>
    try {
      result = this.dispatch(frame, this.info)
    } catch (err) {
      this.fail(err)
      return
    }
    if (!(result instanceof Promise)) {
      if (this.queue.length === 0) {
        if (result !== null) this.write(result)
        return
      }
      this.queue.push({ done: true, result })
      this.flush()
      return
    }
    const slot: Slot = { done: false, result: null }
    this.queue.push(slot)
    this.inFlight++
    result.then(
      (r) => {
        this.inFlight--
        slot.done = true
        slot.result = r
        this.flush()
        this.maybeResume()
      },
      (err) => {
        this.inFlight--
        this.fail(err)
      },
    )
  }

  private flush(): void {
    const q = this.queue
    let i = 0
    while (i < q.length && q[i].done) {
      const r = q[i].result
      if (r !== null && !this.closed) this.write(r)
      i++
    }
    if (i > 0) q.splice(0, i)
  }

  private write(chunks: Buffer[]): void {
    if (this.closed) return
    if (chunks.length === 1) {
      this.socket.write(chunks[0])
      return
    }
    this.socket.cork()
    for (const c of chunks) this.socket.write(c)
    this.socket.uncork()
  }

  private fail(err: unknown): void {
    if (this.closed) return
    this.log.warn(
      `closing connection ${this.info.remote}: ${err instanceof Error ? err.message : String(err)}`,
    )
    this.close()
  }

  private maybePause(): void {
    if (this.paused || this.closed) return
    if (this.inFlight >= this.opts.maxInFlight || this.socket.writableNeedDrain) {
      this.paused = true
      this.socket.pause()
    }
  }

  private maybeResume(): void {
    if (!this.paused || this.closed) return
    if (this.inFlight < this.opts.maxInFlight && !this.socket.writableNeedDrain) {
      this.paused = false
      this.socket.resume()
    }
  }
}
