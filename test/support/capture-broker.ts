// A fake Kafka broker for capturing what real clients send. It is NOT the Samsa broker: it keeps
// everything in memory, has one node (itself), auto-creates any topic a client asks about, and
// answers each API just well enough for kafkajs, librdkafka (kcat, confluent-kafka) and
// kafka-python to carry on to their next request. Every request frame is recorded as received
// (the bytes after the size prefix) with its api key, version, correlation id and client id.
//
// Used by scripts/capture-golden.ts (writes test/fixtures/golden) and usable by tests. Listens on
// 127.0.0.1, port 0 by default; `close()` stops it and drops every connection.

import net from 'node:net'
import type { MessageCodec } from '../../src/protocol/codec.ts'
import {
  decodeRequestBody,
  decodeRequestFrame,
  encodeResponseFrame,
  type RequestFrame,
} from '../../src/protocol/frame.ts'
import { FrameReader } from '../../src/protocol/frame-reader.ts'
import { API_TABLE, ApiKey } from '../../src/protocol/generated/api-keys.ts'
import { ErrorCode } from '../../src/protocol/generated/error-codes.ts'
import { ADVERTISED, CaptureState, type CaptureStateOptions, type TopicState } from './capture-state.ts'

export { ADVERTISED } from './capture-state.ts'

export interface CapturedRequest {
  /** Order of arrival over the whole broker. */
  readonly seq: number
  /** Connection number (1, 2, ... in accept order). */
  readonly connection: number
  readonly apiKey: number
  readonly apiVersion: number
  readonly correlationId: number
  readonly clientId: string | null
  /** The frame as received, without its size prefix (a private copy). */
  readonly raw: Buffer
}

export interface CaptureBrokerOptions extends CaptureStateOptions {
  port?: number
}

interface Conn {
  id: number
  socket: net.Socket
  /** Responses go out in request order: each request's work is chained behind the previous one. */
  tail: Promise<void>
}

export class CaptureBroker {
  readonly state: CaptureState
  readonly requests: CapturedRequest[] = []
  /** Frames that failed to decode, or requests the broker could not answer (the client then stalls). */
  readonly problems: string[] = []
  private readonly server: net.Server
  private readonly conns = new Set<Conn>()
  private connCount = 0

  private constructor(options: CaptureBrokerOptions) {
    this.state = new CaptureState(options)
    this.server = net.createServer((socket) => this.accept(socket))
  }

  static async start(options: CaptureBrokerOptions = {}): Promise<CaptureBroker> {
    const b = new CaptureBroker(options)
    await new Promise<void>((resolve, reject) => {
      b.server.once('error', reject)
      b.server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
    })
    const addr = b.server.address()
    if (addr === null || typeof addr === 'string') throw new Error('no TCP address')
    b.state.port = addr.port
    return b
  }

  get host(): string {
    return this.state.host
  }

  get port(): number {
    return this.state.port
  }

  get bootstrap(): string {
    return `${this.state.host}:${this.state.port}`
  }

  /** Topics by name, with the batches produced to them. */
  get topics(): ReadonlyMap<string, TopicState> {
    return this.state.topics
  }

  /** Forgets captured requests (the topics and groups stay). */
  clearRequests(): void {
    this.requests.length = 0
    this.problems.length = 0
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.socket.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  // --- connections -------------------------------------------------------------------------

  private accept(socket: net.Socket): void {
    const conn: Conn = { id: ++this.connCount, socket, tail: Promise.resolve() }
    this.conns.add(conn)
    socket.setNoDelay(true)
    const reader = new FrameReader()
    socket.on('data', (chunk: Buffer) => {
      let frames: Buffer[]
      try {
        frames = reader.push(chunk)
      } catch (e) {
        this.problems.push(`connection ${conn.id}: ${(e as Error).message}`)
        socket.destroy()
        return
      }
      for (const f of frames) this.onFrame(conn, f)
    })
    socket.on('error', () => {})
    socket.on('close', () => this.conns.delete(conn))
  }

  private onFrame(conn: Conn, buf: Buffer): void {
    let frame: RequestFrame
    try {
      frame = decodeRequestFrame(buf)
    } catch (e) {
      this.problems.push(`connection ${conn.id}: bad header: ${(e as Error).message}`)
      conn.socket.destroy()
      return
    }
    this.requests.push({
      seq: this.requests.length,
      connection: conn.id,
      apiKey: frame.apiKey,
      apiVersion: frame.apiVersion,
      correlationId: frame.correlationId,
      clientId: frame.clientId,
      raw: Buffer.from(buf),
    })
    conn.tail = conn.tail.then(() => this.answer(conn, frame))
  }

  private async answer(conn: Conn, frame: RequestFrame): Promise<void> {
    if (conn.socket.destroyed) return
    const { apiKey, apiVersion } = frame
    const range = ADVERTISED.find((a) => a[0] === apiKey)
    const inRange = range !== undefined && apiVersion >= range[1] && apiVersion <= range[2]
    if (apiKey === ApiKey.ApiVersions && !inRange) {
      // Too new: answer with the v0 layout and UNSUPPORTED_VERSION, as Kafka does.
      this.send(
        conn,
        API_TABLE[apiKey].response,
        this.state.apiVersions(ErrorCode.UNSUPPORTED_VERSION),
        0,
        frame,
      )
      return
    }
    const handler = this.state.handlers[apiKey]
    if (!inRange || handler === undefined) {
      this.problems.push(`unsupported ${API_TABLE[apiKey]?.name ?? apiKey} v${apiVersion}: closing`)
      conn.socket.destroy()
      return
    }
    let body: unknown
    try {
      body = decodeRequestBody(frame)
    } catch (e) {
      this.problems.push(`${API_TABLE[apiKey].name} v${apiVersion} does not decode: ${(e as Error).message}`)
      conn.socket.destroy()
      return
    }
    const resp = await (handler as (b: unknown, f: RequestFrame) => unknown)(body, frame)
    if (resp === null) return // acks=0
    this.send(conn, API_TABLE[apiKey].response, resp, apiVersion, frame)
  }

  private send(
    conn: Conn,
    codec: MessageCodec<unknown>,
    resp: unknown,
    version: number,
    frame: RequestFrame,
  ): void {
    if (conn.socket.destroyed) return
    try {
      conn.socket.write(encodeResponseFrame(codec, resp, version, frame.correlationId))
    } catch (e) {
      this.problems.push(`cannot encode ${codec.name} v${version}: ${(e as Error).message}`)
      conn.socket.destroy()
    }
  }
}
