// TCP and TLS listeners: accept connections, enforce max.connections, max.connections.per.ip
// (with max.connections.per.ip.overrides) and max.connection.creation.rate, hand each socket to a
// Connection. The broker injects the dispatch function; network never imports server.
//
// A TLS listener (security protocol SSL) is a node:tls server: a Connection starts after the
// handshake, with the principal the listener's `principalOf` finds for the peer (a client that
// must be refused, e.g. no principal mapping rule applies, is closed and reported). Failed
// handshakes, refused frames and connections over max.connections go to one rate-limited
// AbuseLog (abuse-log.ts), not one WARN line each.
//
// Per-IP limits, as Kafka's: a connection beyond the count for its address is closed on accept
// (the override for the address, else max.connections.per.ip). The creation rate is broker-wide:
// a connection that would exceed it in the last second is not refused but accepted later (Kafka
// delays the accept, KIP-612), and waits paused, holding no Connection, until then.

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
  /** max.connections.per.ip (absent: no limit). */
  maxConnectionsPerIp?: number
  /** max.connections.per.ip.overrides: address → count. */
  maxConnectionsPerIpOverrides?: ReadonlyMap<string, number>
  /** max.connection.creation.rate: new connections per second over all listeners (absent: no limit). */
  maxConnectionCreationRate?: number
  /** The frame limit a new connection on `listener` starts with (SASL: before authentication). */
  frameLimitFor?: (listener: string) => number | undefined
}

/** `host:count,host:count` (max.connections.per.ip.overrides); throws on a malformed item. */
export function parsePerIpOverrides(text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const item of text.split(',').map((x) => x.trim())) {
    if (item === '') continue
    const colon = item.lastIndexOf(':')
    const n = Number(item.slice(colon + 1))
    if (colon <= 0 || !Number.isInteger(n) || n < 0)
      throw new Error(`Invalid max.connections.per.ip.overrides item ${item}: expected host:count`)
    out.set(normalizeAddress(item.slice(0, colon)), n)
  }
  return out
}

/** IPv4-mapped IPv6 addresses count as their IPv4 address. */
function normalizeAddress(a: string): string {
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a
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
  private readonly perIp = new Map<string, number>()
  /** Accept times (ms) of the last second, oldest first (max.connection.creation.rate). */
  private readonly recentAccepts: number[] = []
  private readonly delayed = new Map<NodeJS.Timeout, Socket>()
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

  /** Open connections by listener name (read when metrics are scraped, not kept up to date). */
  connectionsByListener(): Map<string, number> {
    const out = new Map<string, number>()
    for (const c of this.connections) out.set(c.info.listener, (out.get(c.info.listener) ?? 0) + 1)
    return out
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

  /** Delays the accept while the connection creation rate is spent; true when it was delayed. */
  private throttleAccept(socket: Socket, listener: string, principal: string): boolean {
    const rate = this.opts.maxConnectionCreationRate
    if (rate === undefined || rate <= 0 || !Number.isFinite(rate)) return false
    const now = Date.now()
    const recent = this.recentAccepts
    while (recent.length > 0 && now - recent[0]! >= 1000) recent.shift()
    if (recent.length < rate) {
      recent.push(now)
      return false
    }
    const wait = recent[recent.length - Math.floor(rate)]! + 1000 - now
    const timer = setTimeout(
      () => {
        this.delayed.delete(timer)
        if (socket.destroyed) return
        this.accept(socket, listener, principal)
      },
      Math.max(1, wait),
    )
    this.delayed.set(timer, socket)
    return true
  }

  private accept(socket: Socket, listener: string, principal = 'User:ANONYMOUS'): void {
    if (this.throttleAccept(socket, listener, principal)) return
    const ip = normalizeAddress(socket.remoteAddress ?? 'unknown')
    const ipLimit = this.opts.maxConnectionsPerIpOverrides?.get(ip) ?? this.opts.maxConnectionsPerIp
    const fromIp = this.perIp.get(ip) ?? 0
    if (ipLimit !== undefined && fromIp >= ipLimit) {
      this.abuse.report(
        ip,
        `refusing connection from ${socket.remoteAddress}: max.connections.per.ip (${ipLimit}) reached`,
      )
      socket.destroy()
      return
    }
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
    const frameLimit = this.opts.frameLimitFor?.(listener)
    const opts = frameLimit === undefined ? this.opts : { ...this.opts, initialFrameLimit: frameLimit }
    const conn = new Connection(socket, info, this.dispatch, opts, this.log)
    this.connections.add(conn)
    this.perIp.set(ip, fromIp + 1)
    conn.whenClosed(() => {
      this.connections.delete(conn)
      const n = (this.perIp.get(ip) ?? 1) - 1
      if (n <= 0) this.perIp.delete(ip)
      else this.perIp.set(ip, n)
    })
  }

  /** Stops accepting, lets in-flight requests finish (bounded), then closes everything. */
  async close(graceMs = 2000): Promise<void> {
    for (const stop of this.stopWatching.splice(0)) stop()
    for (const [t, socket] of this.delayed) {
      clearTimeout(t)
      socket.destroy()
    }
    this.delayed.clear()
    this.abuse.stop()
    const closing = this.servers.map((s) => new Promise<void>((r) => s.close(() => r())))
    await Promise.all([...this.connections].map((c) => c.drain(graceMs)))
    for (const c of this.connections) c.close()
    await Promise.all(closing)
  }
}
