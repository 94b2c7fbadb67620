// The internal wire client: how one broker (the controller now, the replica fetcher next) talks to
// another. One TCP connection per BrokerClient, opened on the first send and again on the first
// send after it broke; requests are pipelined and matched to responses by correlation id.
//
// Failure model (the caller decides about retries; send never retries):
// - the connection cannot be opened (refused, unreachable, connectTimeoutMs) → every send waiting
//   on it rejects with code CONNECT;
// - the peer closes, the socket errors, a response frame is malformed or carries a correlation id
//   no send is waiting for → the connection is dropped and every pending send rejects with
//   DISCONNECTED (a Kafka peer answers in order, so an unknown id means the stream is out of step);
// - a send waits longer than its timeout → it rejects with TIMEOUT and the connection is dropped,
//   failing the other pending sends with DISCONNECTED, as Kafka's NetworkClient does: a late answer
//   could otherwise never be told apart from the next one;
// - close() → pending and later sends reject with CLOSED.
// A request that does not encode rejects with the codec's EncodeError and leaves the connection
// alone. Header versions follow frame.ts: request v2 / response v1 for flexible versions (but
// ApiVersions responses are always v0), request v0 for ControlledShutdown v0.
//
// TLS: with `tls` options (or, when the option is left out, the process-wide inter-broker TLS
// options a broker sets when its inter-broker listener is SSL: setInterBrokerTls), the connection
// is a TLS one; reads then come as 'data' chunks, since node:tls has no `onread`.
//
// SASL: with a `sasl` option (or the process-wide one a broker sets when its inter-broker listener
// is SASL_*: setInterBrokerSasl), each new connection first authenticates (SaslHandshake v1, then
// SaslAuthenticate v1 rounds, KIP-152); requests sent meanwhile wait and go out once it succeeded.
// A failed authentication fails the connection with code CONNECT. When the broker gives the session
// a lifetime (KIP-368), the connection is replaced at ~85 % of it, between requests, so the new
// connection authenticates afresh.

import * as net from 'node:net'
import * as tls from 'node:tls'
import type { Logger } from '../common/logger.ts'
import type { MessageCodec } from '../protocol/codec.ts'
import { requestHeaderVersion, responseHeaderVersion } from '../protocol/frame.ts'
import { FrameReader } from '../protocol/frame-reader.ts'
import { requestHeaderCodec, responseHeaderCodec } from '../protocol/generated/headers.ts'
import {
  type SaslAuthenticateRequest,
  type SaslAuthenticateResponse,
  saslAuthenticateRequestCodec,
  saslAuthenticateResponseCodec,
} from '../protocol/generated/messages/sasl-authenticate.ts'
import {
  type SaslHandshakeRequest,
  type SaslHandshakeResponse,
  saslHandshakeRequestCodec,
  saslHandshakeResponseCodec,
} from '../protocol/generated/messages/sasl-handshake.ts'
import { Reader } from '../protocol/primitives/reader.ts'
import { Writer } from '../protocol/primitives/writer.ts'

/** One API at one version: what send() writes and how it reads the answer. */
export interface RequestSpec<Req, Res> {
  readonly apiKey: number
  readonly version: number
  readonly request: MessageCodec<Req>
  readonly response: MessageCodec<Res>
}

export interface BrokerClientOptions {
  host: string
  port: number
  /** Sent in every request header (v1+). */
  clientId: string
  /** Default 10 000 (Kafka's socket.connection.setup.timeout.ms). */
  connectTimeoutMs?: number
  /** Default for send()'s timeout: 30 000 (Kafka's controller.socket.timeout.ms). */
  requestTimeoutMs?: number
  logger?: Logger
  /** Connect with TLS using these options; null: plaintext; absent: setInterBrokerTls's choice. */
  tls?: tls.ConnectionOptions | null
  /** Authenticate each connection with SASL; null: no SASL; absent: setInterBrokerSasl's choice. */
  sasl?: BrokerClientSasl | null
}

/** One SASL exchange, client side: the next token for the server's last challenge. */
export interface SaslClientExchange {
  /** The token to send for `challenge` (null: before the first), or null when the exchange is over. */
  respond(challenge: Buffer | null): Buffer | null
}

export interface BrokerClientSasl {
  readonly mechanism: string
  /** A fresh exchange for a new connection. */
  exchange(): SaslClientExchange
}

let interBrokerSasl: BrokerClientSasl | null = null

/** The SASL of clients created without a `sasl` option (set by a broker with a SASL inter-broker listener). */
export function setInterBrokerSasl(sasl: BrokerClientSasl | null): void {
  interBrokerSasl = sasl
}

const SASL_HANDSHAKE_V1: RequestSpec<SaslHandshakeRequest, SaslHandshakeResponse> = {
  apiKey: 17,
  version: 1,
  request: saslHandshakeRequestCodec,
  response: saslHandshakeResponseCodec,
}
const SASL_AUTHENTICATE_V1: RequestSpec<SaslAuthenticateRequest, SaslAuthenticateResponse> = {
  apiKey: 36,
  version: 1,
  request: saslAuthenticateRequestCodec,
  response: saslAuthenticateResponseCodec,
}

let interBrokerTls: tls.ConnectionOptions | null = null

/**
 * The TLS options of clients created without a `tls` option: a broker whose inter-broker listener
 * is SSL sets them at startup (its own key store and trust store) and clears them at stop, so that
 * the replica fetcher, the controller and AlterPartition requests all connect over TLS.
 */
export function setInterBrokerTls(options: tls.ConnectionOptions | null): void {
  interBrokerTls = options
}

export const BrokerClientErrorCode = {
  CONNECT: 'CONNECT',
  DISCONNECTED: 'DISCONNECTED',
  TIMEOUT: 'TIMEOUT',
  CLOSED: 'CLOSED',
} as const
export type BrokerClientErrorCode = (typeof BrokerClientErrorCode)[keyof typeof BrokerClientErrorCode]

export class BrokerClientError extends Error {
  readonly code: BrokerClientErrorCode
  constructor(code: BrokerClientErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'BrokerClientError'
    this.code = code
  }
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000

interface Pending {
  readonly spec: RequestSpec<unknown, unknown>
  /** Resolve with { body, frame } (sendKeepingFrame) instead of the body alone. */
  readonly withFrame: boolean
  readonly resolve: (res: unknown) => void
  readonly reject: (err: Error) => void
  readonly timer: NodeJS.Timeout
}

/** One socket's state; replaced wholesale when a new connection is opened. */
interface Connection {
  readonly socket: net.Socket
  readonly frames: FrameReader
  readonly pending: Map<number, Pending>
  established: boolean
  connectTimer: NodeJS.Timeout | null
  /** Frames held back until SASL authentication completes; null once it did (or without SASL). */
  held: Buffer[] | null
  /** Set when the SASL session nears its end: replace the connection at the next idle send. */
  reauthDue: boolean
  reauthTimer: NodeJS.Timeout | null
}

export class BrokerClient {
  private readonly host: string
  private readonly port: number
  private readonly clientId: string
  private readonly connectTimeoutMs: number
  private readonly requestTimeoutMs: number
  private readonly log: Logger | null
  private readonly tls: tls.ConnectionOptions | null
  private readonly sasl: BrokerClientSasl | null
  private conn: Connection | null = null
  private nextCorrelationId = 0
  private closed = false

  constructor(o: BrokerClientOptions) {
    this.host = o.host
    this.port = o.port
    this.clientId = o.clientId
    this.connectTimeoutMs = o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS
    this.requestTimeoutMs = o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
    this.log = o.logger ?? null
    this.tls = o.tls === undefined ? interBrokerTls : o.tls
    this.sasl = o.sasl === undefined ? interBrokerSasl : o.sasl
  }

  /** True while a connection is open (established, not broken, not closed). */
  get connected(): boolean {
    return this.conn?.established === true
  }

  private get address(): string {
    return `${this.host}:${this.port}`
  }

  /** Sends one request and resolves with its decoded response body. See the header for failures. */
  send<Req, Res>(spec: RequestSpec<Req, Res>, body: Req, timeoutMs?: number): Promise<Res> {
    return this.request(spec, body, timeoutMs, false) as Promise<Res>
  }

  /**
   * Like send, and also hands over the response frame the body's byte fields are views of (a
   * large frame comes from the shared buffer pool): once nothing reads those bytes any more, the
   * caller may give the frame back to the pool, so the next large response reuses its memory.
   */
  sendKeepingFrame<Req, Res>(
    spec: RequestSpec<Req, Res>,
    body: Req,
    timeoutMs?: number,
  ): Promise<{ body: Res; frame: Buffer }> {
    return this.request(spec, body, timeoutMs, true) as Promise<{ body: Res; frame: Buffer }>
  }

  private request<Req, Res>(
    spec: RequestSpec<Req, Res>,
    body: Req,
    timeoutMs: number | undefined,
    withFrame: boolean,
  ): Promise<unknown> {
    if (this.closed) {
      return Promise.reject(new BrokerClientError('CLOSED', `client for broker ${this.address} is closed`))
    }
    const correlationId = this.nextCorrelationId
    this.nextCorrelationId = correlationId === 0x7fffffff ? 0 : correlationId + 1
    let frame: Buffer
    try {
      frame = this.encode(spec, body, correlationId)
    } catch (e) {
      return Promise.reject(e)
    }
    // A connection the peer has already ended cannot carry this request: start afresh.
    if (this.conn?.established && !this.conn.socket.writable)
      this.drop(this.conn, this.disconnected(`broker ${this.address} closed the connection`))
    if (this.conn?.reauthDue && this.conn.pending.size === 0)
      this.drop(
        this.conn,
        new BrokerClientError('CLOSED', `SASL session with broker ${this.address} ends; reconnecting`),
      )
    const conn = this.conn ?? this.open()
    return this.enqueue(conn, spec, frame, correlationId, timeoutMs, withFrame, false)
  }

  private enqueue<Req, Res>(
    conn: Connection,
    spec: RequestSpec<Req, Res>,
    frame: Buffer,
    correlationId: number,
    timeoutMs: number | undefined,
    withFrame: boolean,
    direct: boolean,
  ): Promise<unknown> {
    const wait = timeoutMs ?? this.requestTimeoutMs
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => this.timedOut(conn, correlationId, wait), wait)
      conn.pending.set(correlationId, {
        spec: spec as RequestSpec<unknown, unknown>,
        withFrame,
        resolve,
        reject,
        timer,
      })
      // Written at once even while connecting: the socket queues it until connected.
      if (conn.held !== null && !direct) conn.held.push(frame)
      else conn.socket.write(frame)
    })
  }

  /** SaslHandshake v1 + SaslAuthenticate rounds on a new connection, then the held requests. */
  private async authenticate(conn: Connection, sasl: BrokerClientSasl): Promise<void> {
    const send = <Req, Res>(spec: RequestSpec<Req, Res>, body: Req): Promise<Res> => {
      const id = this.nextCorrelationId
      this.nextCorrelationId = id === 0x7fffffff ? 0 : id + 1
      return this.enqueue(conn, spec, this.encode(spec, body, id), id, undefined, false, true) as Promise<Res>
    }
    try {
      const hs = await send(SASL_HANDSHAKE_V1, { mechanism: sasl.mechanism })
      if (hs.errorCode !== 0)
        throw new Error(
          `SASL handshake error ${hs.errorCode} (enabled mechanisms: ${hs.mechanisms.join(', ')})`,
        )
      const exchange = sasl.exchange()
      let token = exchange.respond(null)
      let lifetimeMs = 0n
      while (token !== null) {
        const res = await send(SASL_AUTHENTICATE_V1, { authBytes: token })
        if (res.errorCode !== 0) throw new Error(`error ${res.errorCode}: ${res.errorMessage ?? ''}`)
        lifetimeMs = res.sessionLifetimeMs
        token = exchange.respond(res.authBytes)
      }
      if (this.conn !== conn) return
      const held = conn.held ?? []
      conn.held = null
      for (const f of held) conn.socket.write(f)
      if (lifetimeMs > 0n) {
        conn.reauthTimer = setTimeout(() => {
          conn.reauthDue = true
        }, Number(lifetimeMs) * 0.85)
        conn.reauthTimer.unref()
      }
    } catch (e) {
      if (this.conn !== conn || e instanceof BrokerClientError) return
      this.drop(
        conn,
        new BrokerClientError(
          'CONNECT',
          `SASL ${sasl.mechanism} authentication with broker ${this.address} failed: ${(e as Error).message}`,
          { cause: e },
        ),
      )
    }
  }

  /** Drops the connection; pending and later sends reject with CLOSED. */
  close(): void {
    if (this.closed) return
    this.closed = true
    if (this.conn !== null)
      this.drop(this.conn, new BrokerClientError('CLOSED', `client for broker ${this.address} was closed`))
  }

  /** `size | header | body` in one buffer, sized first. */
  private encode<Req>(spec: RequestSpec<Req, unknown>, body: Req, correlationId: number): Buffer {
    const hv = requestHeaderVersion(spec.apiKey, spec.version)
    const header = {
      requestApiKey: spec.apiKey,
      requestApiVersion: spec.version,
      correlationId,
      clientId: this.clientId,
    }
    const size = requestHeaderCodec.size(header, hv, null) + spec.request.size(body, spec.version, null)
    const w = new Writer(4 + size)
    w.int32(size)
    requestHeaderCodec.write(w, header, hv)
    spec.request.write(w, body, spec.version)
    return w.finish()
  }

  private open(): Connection {
    // The socket reads straight into the frame being received (FrameReader's readBuffer/commit
    // mode): a 1 MiB fetch response lands in its final buffer, with no chunk list to join.
    const frames = new FrameReader()
    let conn!: Connection
    const secure = this.tls
    const socket =
      secure !== null
        ? tls.connect({
            ...secure,
            host: this.host,
            port: this.port,
            ...(net.isIP(this.host) === 0 ? { servername: this.host } : {}),
          })
        : net.createConnection({
            host: this.host,
            port: this.port,
            onread: {
              buffer: () => frames.readBuffer(),
              callback: (n: number) => {
                this.received(conn, null, n)
                return true
              },
            },
          })
    if (secure !== null) socket.on('data', (chunk: Buffer) => this.received(conn, chunk))
    socket.setNoDelay(true)
    conn = {
      socket,
      frames,
      pending: new Map(),
      established: false,
      connectTimer: null,
      held: this.sasl === null ? null : [],
      reauthDue: false,
      reauthTimer: null,
    }
    this.conn = conn
    conn.connectTimer = setTimeout(() => {
      this.drop(
        conn,
        new BrokerClientError(
          'CONNECT',
          `could not connect to broker ${this.address} within ${this.connectTimeoutMs} ms`,
        ),
      )
    }, this.connectTimeoutMs)
    socket.once(secure !== null ? 'secureConnect' : 'connect', () => {
      conn.established = true
      if (conn.connectTimer !== null) clearTimeout(conn.connectTimer)
      conn.connectTimer = null
      this.log?.debug(`Connected to broker ${this.address}`)
      if (this.sasl !== null) void this.authenticate(conn, this.sasl)
    })
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? err.message
      this.drop(
        conn,
        conn.established
          ? new BrokerClientError('DISCONNECTED', `connection to broker ${this.address} failed: ${code}`, {
              cause: err,
            })
          : new BrokerClientError('CONNECT', `could not connect to broker ${this.address}: ${code}`, {
              cause: err,
            }),
      )
    })
    socket.on('close', () => {
      this.drop(
        conn,
        conn.established
          ? new BrokerClientError('DISCONNECTED', `broker ${this.address} closed the connection`)
          : new BrokerClientError('CONNECT', `could not connect to broker ${this.address}`),
      )
    })
    return conn
  }

  /** A read of `n` bytes into the reader's buffer (or a pushed chunk, in tests). */
  private received(conn: Connection, chunk: Buffer | null, n = 0): void {
    if (this.conn !== conn) {
      if (chunk === null) conn.frames.commit(n)
      return
    }
    let frames: Buffer[]
    try {
      frames = chunk !== null ? conn.frames.push(chunk) : conn.frames.commit(n)
    } catch (e) {
      this.drop(conn, this.disconnected(`bad response frame from broker ${this.address}`, e))
      return
    }
    for (const frame of frames) {
      if (this.conn !== conn) return
      this.answer(conn, frame)
    }
  }

  private answer(conn: Connection, frame: Buffer): void {
    if (frame.length < 4) {
      this.drop(
        conn,
        this.disconnected(`response frame of ${frame.length} bytes from broker ${this.address}`),
      )
      return
    }
    const correlationId = frame.readInt32BE(0)
    const p = conn.pending.get(correlationId)
    if (p === undefined) {
      const waiting = [...conn.pending.keys()].join(', ') || 'none'
      this.drop(
        conn,
        this.disconnected(
          `broker ${this.address} answered correlation id ${correlationId}; waiting for ${waiting}`,
        ),
      )
      return
    }
    const { spec } = p
    const r = new Reader(frame)
    responseHeaderCodec.decode(r, responseHeaderVersion(spec.apiKey, spec.version))
    const body = spec.response.decode(r, spec.version)
    const failure = r.error ?? (r.pos !== r.end ? new Error(`${r.end - r.pos} trailing bytes`) : null)
    if (failure !== null) {
      this.drop(
        conn,
        this.disconnected(
          `${spec.response.name} v${spec.version} from broker ${this.address} does not decode: ${failure.message}`,
          failure,
        ),
      )
      return
    }
    conn.pending.delete(correlationId)
    clearTimeout(p.timer)
    p.resolve(p.withFrame ? { body, frame } : body)
  }

  private timedOut(conn: Connection, correlationId: number, waitedMs: number): void {
    const p = conn.pending.get(correlationId)
    if (p === undefined) return
    conn.pending.delete(correlationId)
    p.reject(
      new BrokerClientError(
        'TIMEOUT',
        `${p.spec.request.name} v${p.spec.version} to broker ${this.address} timed out after ${waitedMs} ms`,
      ),
    )
    this.drop(
      conn,
      this.disconnected(`connection to broker ${this.address} dropped after a request timed out`),
    )
  }

  private disconnected(message: string, cause?: unknown): BrokerClientError {
    return new BrokerClientError('DISCONNECTED', message, cause === undefined ? undefined : { cause })
  }

  /** Ends `conn` (once) and rejects everything still waiting on it with `err`. */
  private drop(conn: Connection, err: BrokerClientError): void {
    if (conn.connectTimer !== null) clearTimeout(conn.connectTimer)
    conn.connectTimer = null
    if (conn.reauthTimer !== null) clearTimeout(conn.reauthTimer)
    conn.reauthTimer = null
    if (this.conn === conn) {
      this.conn = null
      if (err.code !== 'CLOSED') this.log?.debug(err.message)
    }
    conn.established = false
    if (!conn.socket.destroyed) conn.socket.destroy()
    const pending = [...conn.pending.values()]
    conn.pending.clear()
    for (const p of pending) {
      clearTimeout(p.timer)
      p.reject(err)
    }
  }
}
