// A ZooKeeper client that outlives its sessions, as a Kafka broker does: when the session expires
// (the broker was cut off from ZooKeeper for longer than zookeeper.session.timeout.ms), a new
// session is opened — retrying until it succeeds or the client is closed — and listeners hear
// 'expired' then 'connected'. Everything tied to the old session is gone by then (ephemeral nodes,
// watches): on 'connected' the broker registers again (a new broker epoch) and the controller
// competes again. Reads (getData, getChildren, exists) that fail because their session expired
// wait for the new session and are made again there (a read is the same on any session, and a
// watch it sets belongs on the new one): a broker whose startup blocked its event loop past the
// session timeout (loading 10,000 logs under load) otherwise failed to start on the first read.
// Writes made while no session exists fail with the old session's error: whether they happened
// is for their caller to find out.

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
/** How long a read that saw its session expire waits for the expiry to be reported. */
const EXPIRY_NOTICE_MS = 1000

function isSessionExpired(e: unknown): boolean {
  return e instanceof ZkError && e.code === 'SESSION_EXPIRED'
}

export class RenewingZkClient implements ZkClient {
  private current: ZkClient
  private readonly renew: () => Promise<ZkClient>
  private readonly logger: Logger
  private readonly listeners = new Set<(state: SessionState) => void>()
  private closed = false
  private renewing: Promise<void> | null = null

  constructor(first: ZkClient, renew: () => Promise<ZkClient>, logger: Logger) {
    this.current = first
    this.renew = renew
    this.logger = logger
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
      } else if (state !== 'closed') this.emit(state)
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

  create(path: string, data: Buffer | null, mode?: CreateMode): Promise<string> {
    return this.current.create(path, data, mode)
  }
  mkdirp(path: string): Promise<void> {
    return this.current.mkdirp(path)
  }
  /** A read, made again on the next session if its own expired under it (see the header). */
  private async read<T>(call: (client: ZkClient) => Promise<T>): Promise<T> {
    const client = this.current
    try {
      return await call(client)
    } catch (e) {
      if (this.closed || !isSessionExpired(e) || !(await this.renewedAfter(client))) throw e
      return call(this.current)
    }
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
    return this.read((c) => c.getData(path, watch))
  }
  setData(path: string, data: Buffer | null, version?: number): Promise<ZkStat> {
    return this.current.setData(path, data, version)
  }
  getChildren(path: string, watch?: Watcher): Promise<string[] | null> {
    return this.read((c) => c.getChildren(path, watch))
  }
  exists(path: string, watch?: Watcher): Promise<ZkStat | null> {
    return this.read((c) => c.exists(path, watch))
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
