// The shared tree behind MemoryZk (zk-memory.ts): znodes, the watch tables and transactions.
// Every write goes through commit(): the ops apply in order with an undo log, and either all of
// them stay (one new zxid, their watch triggers fire) or none does (the first failing op's error,
// with its path). Checks follow ZooKeeper's order (NO_NODE, then NODE_EXISTS or BAD_VERSION, then
// NO_CHILDREN_FOR_EPHEMERALS / NOT_EMPTY) so both implementations fail alike.

import type { CreateMode, Watcher, ZkOp, ZkStat } from './zk-client.ts'
import { ZkError } from './zk-client.ts'

/** What the tree needs to know of a session. */
export interface Session {
  readonly sessionId: bigint
}

interface Znode {
  data: Buffer | null
  czxid: bigint
  mzxid: bigint
  /** Creation time, epoch ms. */
  ctime: number
  version: number
  /** Children ever created: the next sequential suffix (ZooKeeper does not count deletions). */
  cversion: number
  ephemeralOwner: bigint
  children: Set<string>
}

/** One watch registration: `path` is the path as the registering client named it. */
export interface WatchReg {
  session: Session
  path: string
  watch: Watcher
}

type EventType = Parameters<Watcher>[0]['type']

function parentOf(path: string): string {
  const i = path.lastIndexOf('/')
  return i === 0 ? '/' : path.slice(0, i)
}

function copy(data: Buffer | null): Buffer | null {
  return data === null ? null : Buffer.from(data)
}

export class ZkTree {
  readonly #nodes = new Map<string, Znode>()
  /** Data watches (getData, and exists on present or absent nodes), by tree path. */
  readonly #dataWatches = new Map<string, WatchReg[]>()
  readonly #childWatches = new Map<string, WatchReg[]>()
  #zxid = 0n
  /** Triggers of the transaction being applied; fired only when it commits. */
  #triggers: { path: string; type: EventType }[] = []

  constructor() {
    for (const path of ['/', '/zookeeper', '/zookeeper/config', '/zookeeper/quota']) this.#put(path, null, 0n)
  }

  get zxid(): bigint {
    return this.#zxid
  }

  static validate(path: string): void {
    const bad =
      typeof path !== 'string' ||
      !path.startsWith('/') ||
      (path.length > 1 && path.endsWith('/')) ||
      path.includes('//') ||
      path.includes('\u0000') ||
      path.split('/').some((p) => p === '.' || p === '..')
    if (bad) throw new ZkError('OTHER', `Invalid path ${JSON.stringify(path)}`, null)
  }

  #put(path: string, data: Buffer | null, owner: bigint): Znode {
    const node: Znode = {
      data: copy(data),
      czxid: this.#zxid,
      mzxid: this.#zxid,
      ctime: Date.now(),
      version: 0,
      cversion: 0,
      ephemeralOwner: owner,
      children: new Set(),
    }
    this.#nodes.set(path, node)
    if (path !== '/') {
      const parent = this.#nodes.get(parentOf(path))!
      parent.children.add(path.slice(path.lastIndexOf('/') + 1))
      parent.cversion++
    }
    return node
  }

  #node(path: string): Znode {
    const node = this.#nodes.get(path)
    if (!node) throw new ZkError('NO_NODE', `NO_NODE for ${path}`, path)
    return node
  }

  static #stat(node: Znode): ZkStat {
    return {
      czxid: node.czxid,
      mzxid: node.mzxid,
      ctime: node.ctime,
      version: node.version,
      ephemeralOwner: node.ephemeralOwner,
      numChildren: node.children.size,
    }
  }

  stat(path: string): ZkStat | null {
    const node = this.#nodes.get(path)
    return node ? ZkTree.#stat(node) : null
  }

  #register(table: Map<string, WatchReg[]>, path: string, reg: WatchReg | undefined): void {
    if (!reg) return
    const list = table.get(path)
    if (list) list.push(reg)
    else table.set(path, [reg])
  }

  getData(path: string, reg?: WatchReg): { data: Buffer | null; stat: ZkStat } | null {
    const node = this.#nodes.get(path)
    // Like exists: a watch on an absent node fires when it is created.
    this.#register(this.#dataWatches, path, reg)
    return node ? { data: copy(node.data), stat: ZkTree.#stat(node) } : null
  }

  exists(path: string, reg?: WatchReg): ZkStat | null {
    this.#register(this.#dataWatches, path, reg)
    return this.stat(path)
  }

  getChildren(path: string, reg?: WatchReg): string[] | null {
    const node = this.#nodes.get(path)
    if (!node) return null
    this.#register(this.#childWatches, path, reg)
    return [...node.children].sort()
  }

  /** Applies `ops` atomically for `session`; returns the created paths (or the op's path). */
  commit(ops: readonly ZkOp[], session: Session): string[] {
    const undo: (() => void)[] = []
    const zxid = this.#zxid
    this.#zxid++
    this.#triggers = []
    const results: string[] = []
    try {
      for (const op of ops) {
        ZkTree.validate(op.path)
        results.push(this.#apply(op, session, undo))
      }
    } catch (err) {
      for (let i = undo.length - 1; i >= 0; i--) undo[i]()
      this.#zxid = zxid
      this.#triggers = []
      throw err
    }
    const triggers = this.#triggers
    this.#triggers = []
    for (const t of triggers) this.#fire(t.path, t.type)
    return results
  }

  #apply(op: ZkOp, session: Session, undo: (() => void)[]): string {
    switch (op.op) {
      case 'create':
        return this.#create(op.path, op.data, op.mode ?? 'persistent', session, undo)
      case 'setData': {
        const node = this.#node(op.path)
        this.#checkVersion(node, op.path, op.version ?? -1)
        const before = { data: node.data, mzxid: node.mzxid, version: node.version }
        node.data = copy(op.data)
        node.mzxid = this.#zxid
        node.version++
        undo.push(() => Object.assign(node, before))
        this.#triggers.push({ path: op.path, type: 'dataChanged' })
        return op.path
      }
      case 'delete':
        this.#delete(op.path, op.version ?? -1, undo)
        return op.path
      case 'check':
        this.#checkVersion(this.#node(op.path), op.path, op.version)
        return op.path
    }
  }

  #checkVersion(node: Znode, path: string, version: number): void {
    if (version !== -1 && version !== node.version) {
      throw new ZkError(
        'BAD_VERSION',
        `BAD_VERSION for ${path} (version ${node.version}, expected ${version})`,
        path,
      )
    }
  }

  #create(
    path: string,
    data: Buffer | null,
    mode: CreateMode,
    session: Session,
    undo: (() => void)[],
  ): string {
    if (path === '/') throw new ZkError('NODE_EXISTS', 'NODE_EXISTS for /', path)
    const parentPath = parentOf(path)
    const parent = this.#node(parentPath)
    const sequential = mode === 'persistent_sequential' || mode === 'ephemeral_sequential'
    const name = sequential ? `${path}${String(parent.cversion).padStart(10, '0')}` : path
    if (this.#nodes.has(name)) throw new ZkError('NODE_EXISTS', `NODE_EXISTS for ${name}`, path)
    if (parent.ephemeralOwner !== 0n) {
      throw new ZkError('NO_CHILDREN_FOR_EPHEMERALS', `NO_CHILDREN_FOR_EPHEMERALS for ${path}`, path)
    }
    const ephemeral = mode === 'ephemeral' || mode === 'ephemeral_sequential'
    this.#put(name, data, ephemeral ? session.sessionId : 0n)
    undo.push(() => {
      this.#nodes.delete(name)
      parent.children.delete(name.slice(name.lastIndexOf('/') + 1))
      parent.cversion--
    })
    this.#triggers.push({ path: name, type: 'created' }, { path: parentPath, type: 'childrenChanged' })
    return name
  }

  #delete(path: string, version: number, undo: (() => void)[]): void {
    if (path === '/' || path === '/zookeeper' || path.startsWith('/zookeeper/')) {
      throw new ZkError('OTHER', `Cannot delete ${path}`, path)
    }
    const node = this.#node(path)
    this.#checkVersion(node, path, version)
    if (node.children.size > 0) throw new ZkError('NOT_EMPTY', `NOT_EMPTY for ${path}`, path)
    const parentPath = parentOf(path)
    const parent = this.#nodes.get(parentPath)!
    const name = path.slice(path.lastIndexOf('/') + 1)
    this.#nodes.delete(path)
    parent.children.delete(name)
    undo.push(() => {
      this.#nodes.set(path, node)
      parent.children.add(name)
    })
    this.#triggers.push({ path, type: 'deleted' }, { path: parentPath, type: 'childrenChanged' })
  }

  /** One-shot: the registrations are removed before their callbacks are queued. */
  #fire(path: string, type: EventType): void {
    const regs: WatchReg[] = []
    const take = (table: Map<string, WatchReg[]>) => {
      const list = table.get(path)
      if (list) regs.push(...list)
      table.delete(path)
    }
    if (type === 'childrenChanged') take(this.#childWatches)
    else take(this.#dataWatches)
    if (type === 'deleted') take(this.#childWatches)
    for (const reg of regs) this.deliver(() => reg.watch({ type, path: reg.path }))
  }

  /** Queues a callback after everything queued before it (watch events, state changes). */
  deliver(fn: () => void): void {
    queueMicrotask(fn)
  }

  mkdirp(path: string): void {
    ZkTree.validate(path)
    let current = ''
    for (const part of path.split('/').slice(1)) {
      if (part === '') continue
      current += `/${part}`
      if (!this.#nodes.has(current))
        this.commit([{ op: 'create', path: current, data: null }], { sessionId: 0n })
    }
  }

  deleteRecursive(path: string, session: Session): void {
    ZkTree.validate(path)
    if (!this.#nodes.has(path)) return
    const paths = Object.keys(this.dump(path)).reverse()
    // One delete per node, deepest first, as a client walking the tree would do.
    for (const p of paths) this.commit([{ op: 'delete', path: p }], session)
  }

  /** Drops the session's watches, then deletes its ephemeral nodes in one transaction. */
  endSession(session: Session): void {
    for (const table of [this.#dataWatches, this.#childWatches]) {
      for (const [path, list] of table) {
        const kept = list.filter((r) => r.session !== session)
        if (kept.length === 0) table.delete(path)
        else table.set(path, kept)
      }
    }
    const owned = [...this.#nodes].filter(([, n]) => n.ephemeralOwner === session.sessionId).map(([p]) => p)
    if (owned.length > 0)
      this.commit(
        owned
          .sort()
          .reverse()
          .map((path) => ({ op: 'delete', path })),
        session,
      )
  }

  dump(path: string): Record<string, string | null> {
    const out: Record<string, string | null> = {}
    const walk = (p: string) => {
      const node = this.#nodes.get(p)
      if (!node) return
      out[p] = node.data === null ? null : node.data.toString('utf8')
      for (const child of [...node.children].sort()) {
        const cp = p === '/' ? `/${child}` : `${p}/${child}`
        if (cp !== '/zookeeper' || path.startsWith('/zookeeper')) walk(cp)
      }
    }
    walk(path)
    return out
  }
}
