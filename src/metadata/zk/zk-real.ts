// The ZkClient seam over a real Apache ZooKeeper, through node-zookeeper-client (pure JS). This
// file and zk-real-raw.ts are the only ones that import that library; they turn callbacks into
// promises, the library's exceptions into ZkError codes, its 8-byte buffers into bigints and its
// watch events into the Watcher shape. Workarounds for what the library gets wrong or leaves open:
// - setData with null data throws inside the library, so it goes as a one-op transaction (which
//   serializes null as ZooKeeper's null);
// - Transaction.check/setData/remove turn version 0 into -1 (`version || -1`), so the version of
//   each queued op is set again after it is added;
// - after close() or a connection timeout the library may keep retrying: zk-real-raw.ts stops it
//   for good, so nothing keeps the process alive;
// - the server sets no watch for getData on a missing node: the watch goes through exists;
// - a chroot must exist before a chrooted session can use it: it is created first through an
//   unchrooted session, as Kafka does;
// - answers are cut into frames in zk-real-raw.ts (the library's own cutting is quadratic in a
//   pipeline's answers and glues a partial frame to the next connection's first answer), and the
//   requests of one tick go out in one socket write.

import { type Logger, silentLogger } from '../../common/logger.ts'
import type {
  CreateMode,
  SessionState,
  Watcher,
  ZkClient,
  ZkConnectOptions,
  ZkErrorCode,
  ZkOp,
  ZkStat,
} from './zk-client.ts'
import { ZkError } from './zk-client.ts'
import {
  closeRaw,
  isCode,
  long,
  MODES,
  oneShot,
  openRaw,
  type Raw,
  type RawEvent,
  type RawSession,
  type RawStat,
  splitConnect,
  toStat,
  toZkError,
} from './zk-real-raw.ts'

/** Opens a session; with a chroot suffix, creates the chroot first (as Kafka does). */
export async function connectZk(opts: ZkConnectOptions, logger: Logger = silentLogger): Promise<ZkClient> {
  const { hosts, chroot } = splitConnect(opts.connect)
  const deadline = Date.now() + opts.connectionTimeoutMs
  if (chroot !== null) {
    const setup = new RealZkClient(await openRaw(hosts, opts), logger)
    try {
      await setup.mkdirp(chroot)
    } finally {
      await setup.close()
    }
  }
  // Both sessions share one connection timeout.
  const left = Math.max(deadline - Date.now(), Math.min(1000, opts.connectionTimeoutMs))
  const client = new RealZkClient(await openRaw(opts.connect, opts, undefined, left), logger)
  logger.info(`Connected to ZooKeeper at ${opts.connect}, session 0x${client.sessionId.toString(16)}`)
  return client
}

/**
 * Ends the session of `client` from the outside, as a session timeout would: a second connection
 * takes over the session (same id and password) and closes it. For tests of session expiry; the
 * client sees 'expired' when it reconnects.
 */
export async function expireSession(client: ZkClient, opts: ZkConnectOptions): Promise<void> {
  if (!(client instanceof RealZkClient)) throw new Error('expireSession: not a real ZooKeeper client')
  const session = client.rawSession()
  // The twin's connection makes the server drop the client's; the client must not take the
  // session back before the twin has closed it.
  session.hold(true)
  try {
    const twin = await openRaw(splitConnect(opts.connect).hosts, opts, {
      sessionId: session.raw.getSessionId(),
      sessionPassword: session.raw.getSessionPassword(),
    })
    await closeRaw(twin, 3000)
  } finally {
    session.hold(false)
  }
}

class RealZkClient implements ZkClient {
  readonly #session: RawSession
  readonly #raw: Raw
  readonly #logger: Logger
  readonly #listeners = new Set<(state: SessionState) => void>()
  #closed = false
  /** Once expired the library reports CONNECTION_LOSS; the session's fate is what callers need. */
  #expired = false
  readonly #pending = new Set<(err: ZkError) => void>()

  constructor(session: RawSession, logger: Logger) {
    this.#session = session
    this.#raw = session.raw
    this.#logger = logger
    this.#raw.on('connected', () => this.#emit('connected'))
    this.#raw.on('disconnected', () => this.#emit('disconnected'))
    this.#raw.on('expired', () => {
      this.#logger.warn(`ZooKeeper session 0x${this.sessionId.toString(16)} expired`)
      this.#emit('expired')
      this.#expired = true
      this.#failPending('SESSION_EXPIRED', 'The ZooKeeper session has expired')
      // The library stops on its own after expiry; make sure no reconnect timer is left.
      queueMicrotask(() => this.#session.stop())
    })
  }

  /**
   * Calls a callback-style library method. Synchronous assertion failures become rejections, and
   * calls still queued in the library when the session ends are settled here (the library would
   * keep them forever once it stops reconnecting).
   */
  #call<T>(path: string | null, fn: (cb: (err: unknown, value: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const fail = (err: ZkError) => {
        this.#pending.delete(fail)
        reject(err)
      }
      this.#pending.add(fail)
      try {
        fn((err, value) => {
          this.#pending.delete(fail)
          if (err) reject(toZkError(err, path))
          else resolve(value)
        })
      } catch (err) {
        fail(toZkError(err, path))
      }
    })
  }

  #failPending(code: ZkErrorCode, message: string): void {
    for (const fail of [...this.#pending]) fail(new ZkError(code, message))
  }

  rawSession(): RawSession {
    return this.#session
  }

  get sessionId(): bigint {
    return long(this.#raw.getSessionId())
  }

  /** Listeners run as a microtask, outside the library's handlers (see oneShot). */
  #deliver(state: SessionState): void {
    const listeners = [...this.#listeners]
    queueMicrotask(() => {
      for (const l of listeners) l(state)
    })
  }

  #emit(state: SessionState): void {
    if (this.#closed || this.#expired) return
    this.#deliver(state)
  }

  #guard(path: string | null): void {
    if (this.#closed) throw new ZkError('CLOSED', 'The ZooKeeper client is closed', path)
    if (this.#expired) throw new ZkError('SESSION_EXPIRED', 'The ZooKeeper session has expired', path)
  }

  async create(path: string, data: Buffer | null, mode: CreateMode = 'persistent'): Promise<string> {
    this.#guard(path)
    const args: (Buffer | number)[] = data === null ? [MODES[mode]] : [data, MODES[mode]]
    return this.#call<string>(path, (cb) =>
      (this.#raw.create as (...a: unknown[]) => void)(path, ...args, cb),
    )
  }

  async mkdirp(path: string): Promise<void> {
    let current = ''
    for (const part of path.split('/').slice(1)) {
      if (part === '') continue
      current += `/${part}`
      try {
        await this.create(current, null)
      } catch (err) {
        if (!isCode(err, 'NODE_EXISTS')) throw err
      }
    }
  }

  async getData(path: string, watch?: Watcher): Promise<{ data: Buffer | null; stat: ZkStat } | null> {
    this.#guard(path)
    const w = watch && oneShot(watch)
    for (;;) {
      try {
        const [data, stat] = await this.#call<[Buffer | undefined, RawStat]>(path, (cb) => {
          const done = (err: unknown, d: Buffer, s: RawStat) => cb(err, [d, s])
          if (w) this.#raw.getData(path, w, done)
          else this.#raw.getData(path, done)
        })
        return { data: data ?? null, stat: toStat(stat) }
      } catch (err) {
        if (!isCode(err, 'NO_NODE')) throw err
        // The server sets no watch for getData on a missing node: watch its creation instead.
        if (!w || (await this.#exists(path, w)) === null) return null
      }
    }
  }

  async setData(path: string, data: Buffer | null, version = -1): Promise<ZkStat> {
    this.#guard(path)
    if (data === null) {
      const [result] = await this.#commit([{ op: 'setData', path, data, version }])
      return toStat(result.stat!)
    }
    return toStat(await this.#call<RawStat>(path, (cb) => this.#raw.setData(path, data, version, cb)))
  }

  async getChildren(path: string, watch?: Watcher): Promise<string[] | null> {
    this.#guard(path)
    try {
      return await this.#call<string[]>(path, (cb) => {
        if (watch) this.#raw.getChildren(path, oneShot(watch), cb)
        else this.#raw.getChildren(path, cb)
      })
    } catch (err) {
      if (isCode(err, 'NO_NODE')) return null
      throw err
    }
  }

  async exists(path: string, watch?: Watcher): Promise<ZkStat | null> {
    this.#guard(path)
    const stat = await this.#exists(path, watch && oneShot(watch))
    return stat === null ? null : toStat(stat)
  }

  #exists(path: string, w: ((e: RawEvent) => void) | undefined): Promise<RawStat | null> {
    return this.#call<RawStat | null>(path, (cb) => {
      if (w) this.#raw.exists(path, w, cb)
      else this.#raw.exists(path, cb)
    })
  }

  async delete(path: string, version = -1): Promise<void> {
    this.#guard(path)
    await this.#call<void>(path, (cb) => this.#raw.remove(path, version, cb))
  }

  async deleteRecursive(path: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const children = await this.getChildren(path)
      if (children === null) return
      for (const child of children)
        await this.deleteRecursive(path === '/' ? `/${child}` : `${path}/${child}`)
      try {
        await this.delete(path)
        return
      } catch (err) {
        if (isCode(err, 'NO_NODE')) return
        // A child appeared meanwhile: go around again.
        if (!isCode(err, 'NOT_EMPTY') || attempt >= 10) throw err
      }
    }
  }

  async multi(ops: readonly ZkOp[]): Promise<void> {
    this.#guard(null)
    if (ops.length > 0) await this.#commit(ops)
  }

  async #commit(ops: readonly ZkOp[]): Promise<{ err?: number; stat?: RawStat }[]> {
    const tx = this.#raw.transaction()
    const queued = (tx as unknown as { ops: { version?: number }[] }).ops
    try {
      for (const op of ops) {
        switch (op.op) {
          case 'create':
            if (op.data === null) tx.create(op.path, MODES[op.mode ?? 'persistent'])
            else tx.create(op.path, op.data, MODES[op.mode ?? 'persistent'])
            break
          case 'setData':
            tx.setData(op.path, op.data, op.version ?? -1)
            queued[queued.length - 1].version = op.version ?? -1
            break
          case 'delete':
            tx.remove(op.path, op.version ?? -1)
            queued[queued.length - 1].version = op.version ?? -1
            break
          case 'check':
            tx.check(op.path, op.version)
            queued[queued.length - 1].version = op.version
            break
        }
      }
    } catch (err) {
      throw toZkError(err, null)
    }
    return this.#call<{ err?: number; stat?: RawStat }[]>(null, (cb) =>
      tx.commit((err, results: { err?: number; stat?: RawStat }[] | undefined) => {
        if (!err) return cb(null, results ?? [])
        // The failing op is the first result with a non-zero code; the others are OK or
        // RUNTIME_INCONSISTENCY (rolled back).
        const index = results?.findIndex((r) => r.err !== undefined && r.err !== 0) ?? -1
        cb(toZkError(err, index >= 0 ? ops[index].path : null), [])
      }),
    )
  }

  onStateChange(listener: (state: SessionState) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await closeRaw(this.#session, 3000)
    this.#failPending('CLOSED', 'The ZooKeeper client is closed')
    this.#deliver('closed')
  }
}
