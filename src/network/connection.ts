// One client connection: frames in, responses out, strictly in request order.
//
// Requests are dispatched as soon as their frame is complete (so a long-polling Fetch does not
// block the decoding of the next request), but responses are written in the order the requests
// arrived, as Kafka clients require. A dispatch result of `null` means "no response" (acks=0
// produce); its slot is simply skipped. Back-pressure: reading pauses while too many requests are
// in flight, the socket's write buffer is full (a slow consumer) or the server-wide in-flight
// budget is spent (in-flight-budget.ts: a slow disk), so memory stays bounded whatever the load.
//
// A frame whose size is refused, or a dispatch that throws (a frame that does not decode), closes
// this connection only, reported to the rate-limited peer reporter (abuse-log.ts) when there is one.
//
// TLS sockets (an SSL listener hands over a TLSSocket after the handshake) take the 'data' path;
// `info.principal` is who the peer authenticated as (User:ANONYMOUS until then).
//
// Writing: a response of several chunks (an envelope around spliced record bytes) is written with
// one writev; chunks from the shared buffer pool are released when the write completed.
//
// Muting (KIP-219): a result marked with muteAfterWrite (a client over its quota) is written, then
// reading stops for that long, as Kafka mutes a throttled channel. Requests already read still run.
//
// Frame limit: a listener may start a connection with a lower frame limit (SASL listeners:
// sasl.server.max.receive.size until authentication); `info.setFrameLimit` changes it (null: back
// to socket.request.max.bytes), checked on each size prefix before a body byte is buffered.
//
// Reading: plain TCP sockets read straight into the frame reader's buffers (owned-reads.ts: a
// produce body lands in its final buffer, no per-read allocation or concatenation); other sockets
// use 'data' events. The listener accepts sockets paused, so no byte arrives before this is set up.

import type { Socket } from 'node:net'
import type { Logger } from '../common/logger.ts'
import { sharedBufferPool } from '../protocol/buffer-pool.ts'
import { completedBefore, FrameReader } from '../protocol/frame-reader.ts'
import type { PeerReporter } from './abuse-log.ts'
import type { InFlightBudget } from './in-flight-budget.ts'
import { withOwnedReads } from './owned-reads.ts'

export interface ConnectionInfo {
  readonly id: number
  readonly remote: string
  readonly listener: string
  /**
   * Kafka principal: User:<mapped certificate DN> after mutual TLS, else User:ANONYMOUS (also when
   * absent, as in tests' hand-made infos); SASL may set it once the client authenticated.
   */
  principal?: string
  /**
   * Changes the largest frame accepted from the next size prefix on (null: maxFrameSize). Set by
   * the Connection; absent in hand-made infos.
   */
  setFrameLimit?: (max: number | null) => void
}

/** Response bytes to write (one or more chunks, e.g. envelope + spliced records), or null. */
export type DispatchResult = Buffer[] | null

/**
 * Marks a result after which the connection ends (a failed SASL authentication: the error goes
 * out, then the socket is closed, as Kafka does).
 */
export function closeAfterWrite(chunks: Buffer[]): Buffer[] {
  return Object.assign(chunks, { closeAfterWrite: true })
}
/** Marks a result after which reading pauses for `ms` (a throttled client, KIP-219). */
export function muteAfterWrite(chunks: Buffer[], ms: number): Buffer[] {
  return Object.assign(chunks, { muteMs: ms })
}
export type Dispatch = (frame: Buffer, conn: ConnectionInfo) => DispatchResult | Promise<DispatchResult>

export interface ConnectionOptions {
  maxFrameSize: number
  /** Requests dispatched but not yet answered before reading pauses. */
  maxInFlight: number
  /** Close after this long with no traffic either way (connections.max.idle.ms); 0 = never. */
  idleMs: number
  /** Request bytes in flight over all connections (shared; set by the SocketServer). */
  budget?: InFlightBudget
  /** Where misbehaving peers are reported (rate-limited); default: a WARN line each time. */
  reporter?: PeerReporter
  /** Largest frame before setFrameLimit(null) is called (SASL listeners before authentication). */
  initialFrameLimit?: number
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
  private readonly budget: InFlightBudget | null
  private readonly resumeLater = () => this.maybeResume()
  private readonly source: string
  /** Wall-clock ms until which reading stays paused (a throttled client); 0: not muted. */
  private mutedUntil = 0
  private muteTimer: NodeJS.Timeout | null = null

  /** `accepted` is paused (pauseOnConnect) and may be replaced by a socket with owned reads. */
  constructor(
    accepted: Socket,
    info: ConnectionInfo,
    dispatch: Dispatch,
    opts: ConnectionOptions,
    log: Logger,
  ) {
    this.info = info
    this.dispatch = dispatch
    this.opts = opts
    this.log = log
    this.budget = opts.budget ?? null
    this.source = accepted.remoteAddress ?? info.remote
    const frames = new FrameReader({ maxFrameSize: opts.maxFrameSize })
    if (opts.initialFrameLimit !== undefined && opts.initialFrameLimit < opts.maxFrameSize)
      frames.setLimit(opts.initialFrameLimit)
    info.setFrameLimit = (max) => frames.setLimit(max ?? opts.maxFrameSize)
    this.frames = frames
    const owned = withOwnedReads(accepted, {
      buffer: () => frames.readBuffer(),
      onRead: (n) => {
        this.onBytes(n)
        return true
      },
    })
    const socket = owned ?? accepted
    this.socket = socket
    socket.setNoDelay(true)
    if (opts.idleMs > 0) {
      socket.setTimeout(opts.idleMs, () => {
        this.log.debug(`closing idle connection ${info.remote} after ${opts.idleMs} ms`)
        this.close()
      })
    }
    if (owned === null) {
      socket.on('data', (chunk: Buffer) => this.onData(chunk))
      socket.resume()
    }
    socket.on('drain', () => this.maybeResume())
    socket.on('error', (err) => this.log.debug(`connection ${info.remote}: ${err.message}`))
    socket.on('close', () => {
      this.closed = true
      if (this.muteTimer !== null) clearTimeout(this.muteTimer)
      this.budget?.cancel(this.resumeLater)
      this.queue.length = 0
      this.onClose?.()
    })
  }

  whenClosed(fn: () => void): void {
    this.onClose = fn
  }

  get principal(): string {
    return this.info.principal ?? 'User:ANONYMOUS'
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
    this.onFrames(chunk, -1)
  }

  /** `n` bytes were read into the frame reader's buffer. */
  private onBytes(n: number): void {
    this.onFrames(null, n)
  }

  private onFrames(chunk: Buffer | null, n: number): void {
    if (this.closed) return
    let frames: Buffer[]
    try {
      frames = chunk !== null ? this.frames.push(chunk) : this.frames.commit(n)
    } catch (err) {
      this.warnPeer((err as Error).message)
      const before = completedBefore(err)
      if (before.length === 0) {
        this.close()
        return
      }
      // A refused size prefix after complete frames: those are served (their synchronous answers
      // written), then the connection is closed once the written bytes are out.
      for (const frame of before) {
        if (this.closed) return
        this.handle(frame)
      }
      if (this.closed) return
      this.closed = true
      this.socket.end(() => this.socket.destroy())
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
    const bytes = frame.length
    this.budget?.take(bytes)
    result.then(
      (r) => {
        this.inFlight--
        this.budget?.give(bytes)
        slot.done = true
        slot.result = r
        this.flush()
        this.maybeResume()
      },
      (err) => {
        this.inFlight--
        this.budget?.give(bytes)
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
    const muteMs = (chunks as { muteMs?: number }).muteMs
    if (muteMs !== undefined && muteMs > 0) this.mute(muteMs)
    // Checked before the empty case: a failed acks=0 produce closes with nothing to write.
    if ((chunks as { closeAfterWrite?: boolean }).closeAfterWrite === true) {
      this.closed = true
      for (const c of chunks) this.socket.write(c)
      this.socket.end(() => this.socket.destroy())
      return
    }
    if (chunks.length === 0) return
    if (chunks.length === 1) {
      this.socket.write(chunks[0])
      return
    }
    // One writev. The spliced chunks (record bytes read for a Fetch) go back to the buffer pool
    // once the kernel has them (the callback also runs when the socket is destroyed first).
    const last = chunks.length - 1
    this.socket.cork()
    for (let i = 0; i < last; i++) this.socket.write(chunks[i])
    this.socket.write(chunks[last], () => {
      for (const c of chunks) sharedBufferPool.release(c)
    })
    this.socket.uncork()
  }

  private fail(err: unknown): void {
    if (this.closed) return
    this.warnPeer(err instanceof Error ? err.message : String(err))
    this.close()
  }

  private warnPeer(reason: string): void {
    const message = `closing connection ${this.info.remote}: ${reason}`
    if (this.opts.reporter !== undefined) this.opts.reporter.report(this.source, message)
    else this.log.warn(message)
  }

  /** Stops reading for `ms` (KIP-219); a longer mute already running is kept. */
  private mute(ms: number): void {
    const until = Date.now() + ms
    if (until <= this.mutedUntil) return
    this.mutedUntil = until
    if (!this.paused) {
      this.paused = true
      this.socket.pause()
    }
    if (this.muteTimer !== null) clearTimeout(this.muteTimer)
    this.muteTimer = setTimeout(() => {
      this.muteTimer = null
      this.mutedUntil = 0
      this.maybeResume()
    }, ms)
  }

  private maybePause(): void {
    if (this.paused || this.closed) return
    const overBudget = this.budget?.exhausted
    if (this.inFlight >= this.opts.maxInFlight || this.socket.writableNeedDrain || overBudget) {
      this.paused = true
      this.socket.pause()
      if (overBudget) this.budget!.whenAvailable(this.resumeLater)
    }
  }

  private maybeResume(): void {
    if (!this.paused || this.closed || this.mutedUntil !== 0) return
    if (this.budget?.exhausted) {
      this.budget.whenAvailable(this.resumeLater)
      return
    }
    if (this.inFlight < this.opts.maxInFlight && !this.socket.writableNeedDrain) {
      this.paused = false
      this.socket.resume()
    }
  }
}
