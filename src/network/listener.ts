// TCP listeners: accept connections, enforce max.connections, hand each socket to a Connection.
// The broker injects the dispatch function; network never imports server.

import { createServer, type Server, type Socket } from 'node:net'
import type { Logger } from '../common/logger.ts'
import { Connection, type ConnectionOptions, type Dispatch } from './connection.ts'
import { InFlightBudget } from './in-flight-budget.ts'

export interface ListenerSpec {
  /** Listener name as in `listeners` (e.g. PLAINTEXT). */
  name: string
  host: string
  port: number
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
  private nextId = 1
  readonly bound: BoundListener[] = []

  constructor(dispatch: Dispatch, opts: NetworkOptions, log: Logger) {
    this.dispatch = dispatch
    this.opts = {
      ...opts,
      budget: opts.budget ?? new InFlightBudget(opts.maxInFlightBytes ?? DEFAULT_MAX_IN_FLIGHT_BYTES),
    }
    this.log = log
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
      const server = createServer({ noDelay: true, pauseOnConnect: true }, (socket) =>
        this.accept(socket, spec.name),
      )
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
    }
    return this.bound
  }

  private accept(socket: Socket, listener: string): void {
    if (this.connections.size >= this.opts.maxConnections) {
      this.log.warn(
        `refusing connection from ${socket.remoteAddress}: max.connections (${this.opts.maxConnections}) reached`,
      )
      socket.destroy()
      return
    }
    const info = { id: this.nextId++, remote: `${socket.remoteAddress}:${socket.remotePort}`, listener }
    const conn = new Connection(socket, info, this.dispatch, this.opts, this.log)
    this.connections.add(conn)
    conn.whenClosed(() => this.connections.delete(conn))
  }

  /** Stops accepting, lets in-flight requests finish (bounded), then closes everything. */
  async close(graceMs = 2000): Promise<void> {
    const closing = this.servers.map((s) => new Promise<void>((r) => s.close(() => r())))
    await Promise.all([...this.connections].map((c) => c.drain(graceMs)))
    for (const c of this.connections) c.close()
    await Promise.all(closing)
  }
}
