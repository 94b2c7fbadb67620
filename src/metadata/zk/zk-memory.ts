// An in-memory ZooKeeper ensemble for fast, deterministic tests of the cluster logic: one shared
// tree, many sessions, with ZooKeeper's semantics where Samsa relies on them (the same contract
// suite runs against this and a real server): versions, sequential names (10 digits, counting
// the parent's child creations as ZooKeeper does), ephemeral nodes removed when their session closes or is expired, one-shot
// watches, atomic multi, increasing zxids (one per transaction). Watch callbacks are queued as
// microtasks in the order the changes happened, so they run after the change, never inside it.
// Not modelled: ACLs, quotas, connection loss (a session is connected until closed or expired).

import type { CreateMode, SessionState, Watcher, ZkClient, ZkOp, ZkStat } from './zk-client.ts'
import { ZkError } from './zk-client.ts'
import { type Session, ZkTree } from './zk-memory-tree.ts'

export interface MemoryConnectOptions {
  sessionTimeoutMs?: number
  /** The chroot suffix of zookeeper.connect (e.g. '/samsa'); created when missing. */
  chroot?: string
}

export class MemoryZk {
  readonly #tree = new ZkTree()
  #nextSession = 0x100000000n

  connect(opts: MemoryConnectOptions = {}): ZkClient {
    const chroot = opts.chroot === undefined || opts.chroot === '/' ? '' : opts.chroot.replace(/\/+$/, '')
    if (chroot !== '') this.#tree.mkdirp(chroot)
    return new MemoryZkClient(this.#tree, this.#nextSession++, chroot)
  }

  /** Ends the session as a timeout would: its ephemeral nodes vanish, it sees 'expired'. */
  expireSession(client: ZkClient): void {
    if (!(client instanceof MemoryZkClient)) throw new Error('expireSession: not a MemoryZk client')
    client.end('expired')
  }

  /** Every node under `path` (inclusive) with its data as UTF-8, in path order. */
  dump(path = '/'): Record<string, string | null> {
    return this.#tree.dump(path)
  }

  /** The current (last assigned) zxid. */
  get zxid(): bigint {
    return this.#tree.zxid
  }
}

class MemoryZkClient implements ZkClient, Session {
  readonly sessionId: bigint
  readonly #tree: ZkTree
  readonly #chroot: string
  readonly #listeners = new Set<(state: SessionState) => void>()
  #state: 'connected' | 'expired' | 'closed' = 'connected'

  constructor(tree: ZkTree, sessionId: bigint, chroot: string) {
    this.#tree = tree
    this.sessionId = sessionId
    this.#chroot = chroot
  }

  /** Client path → tree path. */
  #in(path: string): string {
    ZkTree.validate(path)
    return this.#chroot === '' ? path : path === '/' ? this.#chroot : this.#chroot + path
  }

  /** Tree path → client path. */
  #out(path: string): string {
    if (this.#chroot === '') return path
    return path === this.#chroot ? '/' : path.slice(this.#chroot.length)
  }

  /** Runs one operation for this session; errors carry the client's path. */
  #run<T>(fn: () => T): T {
    if (this.#state === 'closed') throw new ZkError('CLOSED', 'The ZooKeeper client is closed')
    if (this.#state === 'expired') throw new ZkError('SESSION_EXPIRED', 'The ZooKeeper session has expired')
    try {
      return fn()
    } catch (err) {
      if (err instanceof ZkError && err.path !== null && this.#chroot !== '') {
        const path = this.#out(err.path)
        throw new ZkError(err.code, err.message.replace(err.path, path), path)
      }
      throw err
    }
  }

  #watch(path: string, watch: Watcher | undefined) {
    return watch && { session: this as Session, path, watch }
  }

  async create(path: string, data: Buffer | null, mode: CreateMode = 'persistent'): Promise<string> {
    return this.#run(() =>
      this.#out(this.#tree.commit([{ op: 'create', path: this.#in(path), data, mode }], this)[0]),
    )
  }

  async mkdirp(path: string): Promise<void> {
    this.#run(() => this.#tree.mkdirp(this.#in(path)))
  }

  async getData(path: string, watch?: Watcher): Promise<{ data: Buffer | null; stat: ZkStat } | null> {
    return this.#run(() => this.#tree.getData(this.#in(path), this.#watch(path, watch)))
  }

  async setData(path: string, data: Buffer | null, version = -1): Promise<ZkStat> {
    return this.#run(() => {
      this.#tree.commit([{ op: 'setData', path: this.#in(path), data, version }], this)
      return this.#tree.stat(this.#in(path))!
    })
  }

  async getChildren(path: string, watch?: Watcher): Promise<string[] | null> {
    return this.#run(() => this.#tree.getChildren(this.#in(path), this.#watch(path, watch)))
  }

  async exists(path: string, watch?: Watcher): Promise<ZkStat | null> {
    return this.#run(() => this.#tree.exists(this.#in(path), this.#watch(path, watch)))
  }

  async delete(path: string, version = -1): Promise<void> {
    this.#run(() => this.#tree.commit([{ op: 'delete', path: this.#in(path), version }], this))
  }

  async deleteRecursive(path: string): Promise<void> {
    this.#run(() => this.#tree.deleteRecursive(this.#in(path), this))
  }

  async multi(ops: readonly ZkOp[]): Promise<void> {
    this.#run(() => {
      if (ops.length > 0)
        this.#tree.commit(
          ops.map((op) => ({ ...op, path: this.#in(op.path) })),
          this,
        )
    })
  }

  onStateChange(listener: (state: SessionState) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  async close(): Promise<void> {
    this.end('closed')
  }

  /** Closes or expires the session: ephemerals and watches go, listeners hear the new state. */
  end(state: 'expired' | 'closed'): void {
    if (this.#state === 'closed' || (this.#state === 'expired' && state === 'expired')) return
    const wasLive = this.#state === 'connected'
    this.#state = state
    if (wasLive) this.#tree.endSession(this)
    const listeners = [...this.#listeners]
    this.#tree.deliver(() => {
      for (const l of listeners) l(state)
    })
  }
}
