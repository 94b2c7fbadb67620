// A ZooKeeper client that outlives its sessions, as a Kafka broker does: when the session expires
// (the broker was cut off from ZooKeeper for longer than zookeeper.session.timeout.ms), a new
// session is opened — retrying until it succeeds or the client is closed — and listeners hear
// 'expired' then 'connected'. Everything tied to the old session is gone by then (ephemeral nodes,
// watches): on 'connected' the broker registers again (a new broker epoch) and the controller
// competes again.
// A broker whose startup blocked its event loop past the session timeout (loading 10,000 logs
// under load) meets the expiry in its next request, as CONNECTION_LOSS (the request went out on
// the socket the server closed) or SESSION_EXPIRED, and must not die of it. So, as Kafka's client
// retries a request once connected again, the requests that are safe to make twice are made
// again once the connection is back (same session) or a new session is open: reads (getData,
// getChildren, exists: the same on any session, and a watch they set belongs on the new one),
// mkdirp (creates only what is missing), and creates of 'ephemeral' nodes, checked as Kafka's
// checkedEphemeralCreate is: a node that exists owned by this session is ours (the first attempt
// reached the server but its answer was lost), and an expired session's ephemeral node is gone
// anyway. Other writes that meet a lost connection fail with its error: whether they happened is
// for their caller to find out.

import type { Logger } from '../../common/logger.ts'
import {
  type CreateMode,
  type SessionState,
  type Watcher,
  type ZkClient,
  ZkError,
  type ZkOp,
  type ZkStat,
} from './zk-client.ts'

const RETRY_MS = 1000
/** How long a request that saw its session expire waits for the expiry to be reported. */
const EXPIRY_NOTICE_MS = 1000
/**
 * How long a request that lost its connection waits by default for it to come back: past the
 * session timeout (Kafka's default 18 s) the server has ended the session, and the client learns
 * so only once it reaches a server again, however long that takes.
 */
const DEFAULT_RECONNECT_WAIT_MS = 18_000

function codeOf(e: unknown): string | null {
  return e instanceof ZkError ? e.code : null
}

export class RenewingZkClient implements ZkClient {
  private current: ZkClient
  private readonly renew: () => Promise<ZkClient>
  private readonly logger: Logger
  private readonly listeners = new Set<(state: SessionState) => void>()
  private readonly reconnectWaitMs: number
  private closed = false
  private renewing: Promise<void> | null = null
  /** Bumped on every (re)connection of the current session and on every new session. */
  private connections = 0

  constructor(
    first: ZkClient,
    renew: () => Promise<ZkClient>,
    logger: Logger,
    opts: { readonly reconnectWaitMs?: number } = {},
  ) {
    this.current = first
    this.renew = renew
    this.logger = logger
    this.reconnectWaitMs = opts.reconnectWaitMs ?? DEFAULT_RECONNECT_WAIT_MS
    this.follow(first)
  }

  get sessionId(): bigint {
    return this.current.sessionId
  }

  private follow(client: ZkClient): void {
    client.onStateChange((state) => {
      if (client !== this.current || this.closed) return
      if (state === 'expired') {
        this.emit('expired')
        this.renewing ??= this.renewSession().finally(() => {
          this.renewing = null
        })
      } else if (state !== 'closed') {
        if (state === 'connected') this.connections++
        this.emit(state)
      }
    })
  }

  private async renewSession(): Promise<void> {
    this.logger.warn('ZooKeeper session expired; opening a new session')
    while (!this.closed) {
      try {
        const next = await this.renew()
        if (this.closed) {
          await next.close()
          return
        }
        await this.current.close().catch(() => {})
        this.current = next
        this.follow(next)
        this.logger.info(`new ZooKeeper session 0x${next.sessionId.toString(16)}`)
        this.connections++
        this.emit('connected')
        return
      } catch (e) {
        this.logger.warn(`could not open a new ZooKeeper session: ${(e as Error).message}`)
        await new Promise((r) => setTimeout(r, RETRY_MS))
      }
    }
  }

  private emit(state: SessionState): void {
    for (const l of this.listeners) {
      try {
        l(state)
      } catch (e) {
        this.logger.error('a ZooKeeper state listener failed', e)
      }
    }
  }

  /** An 'ephemeral' create is checked, and made again after a lost connection (see the header). */
  create(path: string, data: Buffer | null, mode?: CreateMode): Promise<string> {
    if (mode !== 'ephemeral') return this.current.create(path, data, mode)
    return this.again(async (client) => {
      try {
        return await client.create(path, data, mode)
      } catch (e) {
        if (codeOf(e) !== 'NODE_EXISTS') throw e
        const stat = await client.exists(path)
        if (stat !== null && stat.ephemeralOwner === client.sessionId) return path
        throw e
      }
    })
  }
  mkdirp(path: string): Promise<void> {
    return this.again((c) => c.mkdirp(path))
  }

  /** A request safe to make twice, made again once connected again (see the header). */
  private async again<T>(call: (client: ZkClient) => Promise<T>): Promise<T> {
    for (;;) {
      const client = this.current
      const connections = this.connections
      try {
        return await call(client)
      } catch (e) {
        if (this.closed || !(await this.usableAfter(e, client, connections))) throw e
      }
    }
  }

  /** After `e`, waits until the request can be made again; false when it cannot (or must not). */
  private usableAfter(e: unknown, old: ZkClient, connections: number): Promise<boolean> {
    const code = codeOf(e)
    if (code === 'SESSION_EXPIRED') return this.renewedAfter(old)
    if (code === 'CONNECTION_LOSS') return this.reconnectedAfter(connections)
    return Promise.resolve(false)
  }

  /** Waits until a connection newer than the `connections`-th is up (this session or a new one). */
  private async reconnectedAfter(connections: number): Promise<boolean> {
    const giveUpAt = Date.now() + this.reconnectWaitMs
    while (this.connections === connections && !this.closed) {
      if (this.renewing !== null) await this.renewing
      else if (Date.now() > giveUpAt) return false
      else await new Promise((r) => setTimeout(r, 10))
    }
    return !this.closed
  }

  /** Waits until a session other than `old` is current; false if none comes (closed, or no expiry reported). */
  private async renewedAfter(old: ZkClient): Promise<boolean> {
    const noticeBy = Date.now() + EXPIRY_NOTICE_MS
    while (this.current === old && !this.closed) {
      if (this.renewing !== null) await this.renewing
      else if (Date.now() > noticeBy) return false
      else await new Promise((r) => setTimeout(r, 10))
    }
    return !this.closed
  }

  getData(path: string, watch?: Watcher): Promise<{ data: Buffer | null; stat: ZkStat } | null> {
    return this.again((c) => c.getData(path, watch))
  }
  setData(path: string, data: Buffer | null, version?: number): Promise<ZkStat> {
    return this.current.setData(path, data, version)
  }
  getChildren(path: string, watch?: Watcher): Promise<string[] | null> {
    return this.again((c) => c.getChildren(path, watch))
  }
  exists(path: string, watch?: Watcher): Promise<ZkStat | null> {
    return this.again((c) => c.exists(path, watch))
  }
  delete(path: string, version?: number): Promise<void> {
    return this.current.delete(path, version)
  }
  deleteRecursive(path: string): Promise<void> {
    return this.current.deleteRecursive(path)
  }
  multi(ops: readonly ZkOp[]): Promise<void> {
    return this.current.multi(ops)
  }

  onStateChange(listener: (state: SessionState) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.current.close()
    this.emit('closed')
  }
}
