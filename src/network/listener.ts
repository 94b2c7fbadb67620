// TCP and TLS listeners: accept connections, enforce max.connections, hand each socket to a
// Connection. The broker injects the dispatch function; network never imports server.
//
// A TLS listener (security protocol SSL) is a node:tls server: a Connection starts after the
// handshake, with the principal the listener's `principalOf` finds for the peer (a client that
// must be refused, e.g. no principal mapping rule applies, is closed and reported). Failed
// handshakes, refused frames and connections over max.connections go to one rate-limited
// AbuseLog (abuse-log.ts), not one WARN line each.

import { createServer, type Server, type Socket } from 'node:net'
import {
  createServer as createTlsServer,
  type TLSSocket,
  type TlsOptions,
  type Server as TlsServer,
} from 'node:tls'
import type { Logger } from '../common/logger.ts'
import { AbuseLog } from './abuse-log.ts'
import { Connection, type ConnectionOptions, type Dispatch } from './connection.ts'
import { InFlightBudget } from './in-flight-budget.ts'

/** What makes a listener TLS (built by security/tls-listener.ts from the ssl.* configs). */
export interface TlsListenerOptions {
  /** node:tls server options: the secure context, requestCert, rejectUnauthorized. */
  readonly server: TlsOptions
  /** The peer's principal once the handshake is done, or an Error saying why it is refused. */
  principalOf(socket: TLSSocket): string | Error
  /** Called once the server is bound (certificate reload); returns what stops it. */
  watch?(server: TlsServer): () => void
}

/** Time a TLS client has to finish its handshake. */
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000

export interface ListenerSpec {
  /** Listener name as in `listeners` (e.g. PLAINTEXT). */
  name: string
  host: string
  port: number
  /** Present on SSL listeners. */
  tls?: TlsListenerOptions
}

export interface BoundListener {
  name: string
  host: string
  port: number
}

export interface NetworkOptions extends ConnectionOptions {
  /** Total connections over all listeners (max.connections). */
  maxConnections: number
  /** Request bytes in flight over all connections before reading pauses (default 256 MiB). */
  maxInFlightBytes?: number
}

export const DEFAULT_MAX_IN_FLIGHT_BYTES = 256 * 1024 * 1024

export class SocketServer {
  private readonly servers: Server[] = []
  private readonly connections = new Set<Connection>()
  private readonly dispatch: Dispatch
  private readonly opts: NetworkOptions
  private readonly log: Logger
  private readonly abuse: AbuseLog
  private readonly stopWatching: (() => void)[] = []
  private nextId = 1
  readonly bound: BoundListener[] = []

  constructor(dispatch: Dispatch, opts: NetworkOptions, log: Logger) {
    this.dispatch = dispatch
    this.opts = {
      ...opts,
      budget: opts.budget ?? new InFlightBudget(opts.maxInFlightBytes ?? DEFAULT_MAX_IN_FLIGHT_BYTES),
    }
    this.log = log
    this.abuse = new AbuseLog(log)
    this.opts.reporter ??= this.abuse
  }

  /** Misbehaving-peer events seen by this server (rate-limited in the log). */
  get abuseCounters(): Readonly<AbuseLog['counters']> {
    return this.abuse.counters
  }

  /** Request bytes being served now, over all connections. */
  get inFlightBytes(): number {
    return this.opts.budget?.bytes ?? 0
  }

  get connectionCount(): number {
    return this.connections.size
  }

  async listen(specs: ListenerSpec[]): Promise<BoundListener[]> {
    for (const spec of specs) {
      const server = spec.tls === undefined ? this.plainServer(spec) : this.tlsServer(spec, spec.tls)
      server.on('error', (err) => this.log.error(`listener ${spec.name} failed`, err))
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen({ host: spec.host || undefined, port: spec.port }, () => {
          server.off('error', reject)
          resolve()
        })
      })
      const addr = server.address()
      if (addr === null || typeof addr === 'string') throw new Error(`listener ${spec.name} has no address`)
      this.servers.push(server)
      this.bound.push({ name: spec.name, host: spec.host, port: addr.port })
      if (spec.tls?.watch !== undefined) this.stopWatching.push(spec.tls.watch(server as TlsServer))
    }
    return this.bound
  }

  private plainServer(spec: ListenerSpec): Server {
    return createServer({ noDelay: true, pauseOnConnect: true }, (socket) => this.accept(socket, spec.name))
  }

  private tlsServer(spec: ListenerSpec, t: TlsListenerOptions): TlsServer {
    const server = createTlsServer({ ...t.server, handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS }, (socket) => {
      const principal = t.principalOf(socket)
      if (principal instanceof Error) {
        this.abuse.report(
          socket.remoteAddress ?? 'unknown',
          `refusing TLS connection from ${socket.remoteAddress}:${socket.remotePort} on ${spec.name}: ${principal.message}`,
        )
        socket.destroy()
        return
      }
      this.accept(socket, spec.name, principal)
    })
    server.on('connection', (raw: Socket) => raw.setNoDelay(true))
    server.on('tlsClientError', (err, socket) => {
      this.abuse.report(
        socket.remoteAddress ?? 'unknown',
        `TLS handshake with ${socket.remoteAddress}:${socket.remotePort} on ${spec.name} failed: ${err.message}`,
      )
      socket.destroy()
    })
    return server
  }

  private accept(socket: Socket, listener: string, principal = 'User:ANONYMOUS'): void {
    if (this.connections.size >= this.opts.maxConnections) {
      this.abuse.report(
        socket.remoteAddress ?? 'unknown',
        `refusing connection from ${socket.remoteAddress}: max.connections (${this.opts.maxConnections}) reached`,
      )
      socket.destroy()
      return
    }
    const remote = `${socket.remoteAddress}:${socket.remotePort}`
    const info = { id: this.nextId++, remote, listener, principal }
    const conn = new Connection(socket, info, this.dispatch, this.opts, this.log)
    this.connections.add(conn)
    conn.whenClosed(() => this.connections.delete(conn))
  }

  /** Stops accepting, lets in-flight requests finish (bounded), then closes everything. */
  async close(graceMs = 2000): Promise<void> {
    for (const stop of this.stopWatching.splice(0)) stop()
    this.abuse.stop()
    const closing = this.servers.map((s) => new Promise<void>((r) => s.close(() => r())))
    await Promise.all([...this.connections].map((c) => c.drain(graceMs)))
    for (const c of this.connections) c.close()
    await Promise.all(closing)
  }
}
