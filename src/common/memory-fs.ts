// An in-memory Fs for tests, with fault injection and power-loss simulation.
//
// Every file keeps two states: what readers see now, and what would survive a power cut (its
// content as of the last sync plus nothing else). Every directory likewise keeps its current
// entries and the entries as of its last syncDir. `crash()` throws away everything that was not
// made durable, the way a machine losing power does; in 'torn' mode a random prefix of each
// file's unsynced writes survives, the last one possibly cut in the middle (write-back in order,
// stopped at an arbitrary byte). Handles opened before a crash belong to the dead process: any use
// fails with EBADF.
//
// `session()` gives one "process" its own view of the file system: after a crash every call
// through an older session fails with EBADF too, so a dead process cannot write on (a test that
// starts the next process on a fresh session sees only what survived).
//
// `failNext` makes the next matching operation fail with an errno-style error (EIO by default),
// optionally after writing a prefix of the bytes (a torn write, as with ENOSPC).

import { posix } from 'node:path'
import type { FileHandle, FileStat, Fs, OpenMode } from './fs.ts'

export type FaultOp =
  | 'open'
  | 'read'
  | 'write'
  | 'sync'
  | 'truncate'
  | 'rename'
  | 'unlink'
  | 'syncDir'
  | 'mkdir'
  | 'readdir'
  | 'readFile'
  | 'removeTree'

export interface Fault {
  op: FaultOp
  /** Only paths containing this string (or matching this pattern). */
  path?: string | RegExp
  /** errno code of the error thrown; default 'EIO'. */
  code?: string
  /** For writes: bytes written before failing. */
  partialBytes?: number
  /** How many matching operations fail; default 1. */
  times?: number
}

export interface CrashOptions {
  /** 'drop' (default): unsynced writes vanish. 'torn': a random prefix of them survives. */
  mode?: 'drop' | 'torn'
  /** Source of randomness for 'torn' (defaults to Math.random). */
  random?: () => number
}

type PendingOp = { kind: 'write'; pos: number; bytes: Buffer } | { kind: 'truncate'; len: number }

/** A growable byte array. */
class Bytes {
  buf: Buffer
  size: number
  constructor(buf = Buffer.alloc(0), size = buf.length) {
    this.buf = buf
    this.size = size
  }
  private ensure(cap: number): void {
    if (cap <= this.buf.length) return
    const next = Buffer.alloc(Math.max(cap, this.buf.length * 2, 256))
    this.buf.copy(next, 0, 0, this.size)
    this.buf = next
  }
  write(pos: number, src: Uint8Array): void {
    const end = pos + src.length
    this.ensure(end)
    if (pos > this.size) this.buf.fill(0, this.size, pos)
    this.buf.set(src, pos)
    if (end > this.size) this.size = end
  }
  truncate(len: number): void {
    if (len < this.size) {
      this.size = len
    } else if (len > this.size) {
      this.ensure(len)
      this.buf.fill(0, this.size, len)
      this.size = len
    }
  }
  apply(op: PendingOp): void {
    if (op.kind === 'write') this.write(op.pos, op.bytes)
    else this.truncate(op.len)
  }
  clone(): Bytes {
    return new Bytes(Buffer.from(this.buf.subarray(0, this.size)))
  }
}

class FileNode {
  readonly kind = 'file'
  data = new Bytes()
  durable = new Bytes()
  pending: PendingOp[] = []
  mtimeMs: number
  constructor(now: number) {
    this.mtimeMs = now
  }
}

class DirNode {
  readonly kind = 'dir'
  entries = new Map<string, FileNode | DirNode>()
  durable = new Map<string, FileNode | DirNode>()
  mtimeMs: number
  constructor(now: number) {
    this.mtimeMs = now
  }
}

function fsError(code: string, op: string, path: string): Error {
  const err = new Error(`${code}: ${op} '${path}'`) as Error & { code: string; syscall: string; path: string }
  err.code = code
  err.syscall = op
  err.path = path
  return err
}

export class MemoryFs implements Fs {
  private root: DirNode
  private gen = 0
  private faults: (Fault & { left: number })[] = []
  private readonly now: () => number
  /** Real milliseconds each fsync takes (0: instant), to let tests see fsyncs overlap with writes. */
  readonly syncLatencyMs: number
  /** Operation counters, for tests that check the flush policy. */
  readonly stats = { writes: 0, syncs: 0, syncDirs: 0, reads: 0 }

  /** Handles offer writevBlocking (as NodeFs's do), so appends take the synchronous path. */
  readonly blockingWrites: boolean
  /** Handles offer readBlocking (as NodeFs's do), so read-aheads take the synchronous path. */
  readonly blockingReads: boolean

  constructor(
    opts: {
      now?: () => number
      syncLatencyMs?: number
      blockingWrites?: boolean
      blockingReads?: boolean
    } = {},
  ) {
    this.now = opts.now ?? Date.now
    this.syncLatencyMs = opts.syncLatencyMs ?? 0
    this.blockingWrites = opts.blockingWrites ?? false
    this.blockingReads = opts.blockingReads ?? false
    this.root = new DirNode(this.now())
  }

  /** Makes the next matching operation(s) fail. */
  failNext(fault: Fault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1 })
  }

  clearFaults(): void {
    this.faults = []
  }

  /** Simulates a power cut: only durable state survives; open handles become unusable. */
  crash(opts: CrashOptions = {}): void {
    const torn = opts.mode === 'torn'
    const random = opts.random ?? Math.random
    this.gen++
    this.faults = []
    const visit = (dir: DirNode): void => {
      dir.entries = new Map(dir.durable)
      for (const node of dir.entries.values()) {
        if (node.kind === 'dir') {
          visit(node)
          continue
        }
        const survived = node.durable.clone()
        if (torn && node.pending.length > 0) {
          const keep = Math.floor(random() * (node.pending.length + 1))
          for (let i = 0; i < keep; i++) survived.apply(node.pending[i])
          const cut = node.pending[keep]
          if (cut !== undefined && cut.kind === 'write' && cut.bytes.length > 0) {
            survived.write(cut.pos, cut.bytes.subarray(0, Math.floor(random() * cut.bytes.length)))
          }
        }
        node.data = survived
        node.durable = survived.clone()
        node.pending = []
      }
    }
    visit(this.root)
  }

  /**
   * An Fs for one process lifetime: it stops working (EBADF) at the next crash(). The MemoryFs
   * itself always works on the current state.
   */
  session(): Fs {
    const gen = this.gen
    const live =
      <A extends unknown[], R>(op: string, fn: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        this.checkGen(gen, op, String(args[0]))
        return fn.apply(this, args)
      }
    return {
      open: live('open', this.open),
      readFile: live('open', this.readFile),
      readdir: live('scandir', this.readdir),
      mkdir: live('mkdir', this.mkdir),
      stat: live('stat', this.stat),
      rename: live('rename', this.rename),
      unlink: live('unlink', this.unlink),
      removeTree: live('rm', this.removeTree),
      syncDir: live('fsync', this.syncDir),
    }
  }

  /** Current content of a file (test helper); null when missing. */
  peek(path: string): Buffer | null {
    const node = this.lookup(path)
    return node?.kind === 'file' ? Buffer.from(node.data.buf.subarray(0, node.data.size)) : null
  }

  // --- Fs ---

  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    this.fault('open', path)
    const { parent, name } = this.parentOf(path, 'open')
    let node = parent.entries.get(name)
    if (node === undefined) {
      if (mode === 'r') throw fsError('ENOENT', 'open', path)
      node = new FileNode(this.now())
      parent.entries.set(name, node)
      parent.mtimeMs = this.now()
    }
    if (node.kind === 'dir') throw fsError('EISDIR', 'open', path)
    return new MemoryFileHandle(this, node, path, this.gen, mode)
  }

  async readFile(path: string): Promise<Buffer> {
    this.fault('readFile', path)
    const node = this.lookup(path)
    if (node === null) throw fsError('ENOENT', 'open', path)
    if (node.kind === 'dir') throw fsError('EISDIR', 'read', path)
    return Buffer.from(node.data.buf.subarray(0, node.data.size))
  }

  async readdir(path: string): Promise<string[]> {
    this.fault('readdir', path)
    const node = this.lookup(path)
    if (node === null) throw fsError('ENOENT', 'scandir', path)
    if (node.kind !== 'dir') throw fsError('ENOTDIR', 'scandir', path)
    return [...node.entries.keys()].sort()
  }

  async mkdir(path: string): Promise<void> {
    this.fault('mkdir', path)
    let dir = this.root
    for (const part of split(path)) {
      let next = dir.entries.get(part)
      if (next === undefined) {
        next = new DirNode(this.now())
        dir.entries.set(part, next)
      }
      if (next.kind !== 'dir') throw fsError('ENOTDIR', 'mkdir', path)
      dir = next
    }
  }

  async stat(path: string): Promise<FileStat | null> {
    const node = this.lookup(path)
    if (node === null) return null
    return {
      size: node.kind === 'file' ? node.data.size : 0,
      isDirectory: node.kind === 'dir',
      mtimeMs: node.mtimeMs,
    }
  }

  async rename(from: string, to: string): Promise<void> {
    this.fault('rename', from)
    const src = this.parentOf(from, 'rename')
    const node = src.parent.entries.get(src.name)
    if (node === undefined) throw fsError('ENOENT', 'rename', from)
    const dst = this.parentOf(to, 'rename')
    const existing = dst.parent.entries.get(dst.name)
    if (existing?.kind === 'dir' && (node.kind !== 'dir' || existing.entries.size > 0)) {
      throw fsError(node.kind === 'dir' ? 'ENOTEMPTY' : 'EISDIR', 'rename', to)
    }
    src.parent.entries.delete(src.name)
    dst.parent.entries.set(dst.name, node)
  }

  async unlink(path: string): Promise<void> {
    this.fault('unlink', path)
    const { parent, name } = this.parentOf(path, 'unlink')
    const node = parent.entries.get(name)
    if (node === undefined) throw fsError('ENOENT', 'unlink', path)
    if (node.kind === 'dir') throw fsError('EISDIR', 'unlink', path)
    parent.entries.delete(name)
  }

  async removeTree(path: string): Promise<void> {
    this.fault('removeTree', path)
    const parts = split(path)
    if (parts.length === 0) throw fsError('EPERM', 'rm', path)
    const parent = this.lookup(`/${parts.slice(0, -1).join('/')}`)
    if (parent?.kind === 'dir') parent.entries.delete(parts[parts.length - 1])
  }

  async syncDir(path: string): Promise<void> {
    this.fault('syncDir', path)
    this.stats.syncDirs++
    const node = this.lookup(path)
    if (node === null) throw fsError('ENOENT', 'open', path)
    if (node.kind !== 'dir') throw fsError('ENOTDIR', 'fsync', path)
    node.durable = new Map(node.entries)
  }

  // --- internals used by handles ---

  /** Throws if a registered fault matches; returns it (for partial writes). */
  fault(op: FaultOp, path: string): Fault | null {
    for (let i = 0; i < this.faults.length; i++) {
      const f = this.faults[i]
      if (f.op !== op) continue
      if (f.path !== undefined && !(typeof f.path === 'string' ? path.includes(f.path) : f.path.test(path))) {
        continue
      }
      if (--f.left <= 0) this.faults.splice(i, 1)
      if (op === 'write' && f.partialBytes !== undefined) return f
      throw fsError(f.code ?? 'EIO', op, path)
    }
    return null
  }

  checkGen(gen: number, op: string, path: string): void {
    if (gen !== this.gen) throw fsError('EBADF', op, path)
  }

  nowMs(): number {
    return this.now()
  }

  private lookup(path: string): FileNode | DirNode | null {
    let node: FileNode | DirNode = this.root
    for (const part of split(path)) {
      if (node.kind !== 'dir') return null
      const next: FileNode | DirNode | undefined = node.entries.get(part)
      if (next === undefined) return null
      node = next
    }
    return node
  }

  private parentOf(path: string, op: string): { parent: DirNode; name: string } {
    const parts = split(path)
    const name = parts.pop()
    const parent = this.lookup(`/${parts.join('/')}`)
    if (name === undefined || parent === null) throw fsError('ENOENT', op, path)
    if (parent.kind !== 'dir') throw fsError('ENOTDIR', op, path)
    return { parent, name }
  }
}

function split(path: string): string[] {
  return posix
    .resolve('/', path.replaceAll('\\', '/'))
    .split('/')
    .filter((p) => p.length > 0)
}

class MemoryFileHandle implements FileHandle {
  private readonly fs: MemoryFs
  private readonly node: FileNode
  private readonly path: string
  private readonly gen: number
  private readonly writable: boolean
  private closed = false
  readonly writevBlocking?: (bufs: readonly Uint8Array[], position: number) => void
  readonly readBlocking?: (buf: Uint8Array, offset: number, length: number, position: number) => number

  constructor(fs: MemoryFs, node: FileNode, path: string, gen: number, mode: OpenMode) {
    this.fs = fs
    this.node = node
    this.path = path
    this.gen = gen
    this.writable = mode === 'rw'
    if (fs.blockingWrites) this.writevBlocking = (bufs, position) => this.writeNow(bufs, position)
    if (fs.blockingReads)
      this.readBlocking = (buf, offset, length, position) => this.readNow(buf, offset, length, position)
  }

  private check(op: string, write = false): void {
    this.fs.checkGen(this.gen, op, this.path)
    if (this.closed) throw fsError('EBADF', op, this.path)
    if (write && !this.writable) throw fsError('EBADF', op, this.path)
  }

  async read(buf: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    return this.readNow(buf, offset, length, position)
  }

  private readNow(buf: Uint8Array, offset: number, length: number, position: number): number {
    this.check('read')
    this.fs.fault('read', this.path)
    this.fs.stats.reads++
    const data = this.node.data
    const n = Math.max(0, Math.min(length, data.size - position))
    if (n > 0) buf.set(data.buf.subarray(position, position + n), offset)
    return n
  }

  async write(buf: Uint8Array, position: number): Promise<void> {
    return this.writev([buf], position)
  }

  async writev(bufs: readonly Uint8Array[], position: number): Promise<void> {
    this.writeNow(bufs, position)
  }

  private writeNow(bufs: readonly Uint8Array[], position: number): void {
    this.check('write', true)
    const bytes = Buffer.concat(bufs)
    const f = this.fs.fault('write', this.path)
    this.fs.stats.writes++
    if (f !== null) {
      const partial = bytes.subarray(0, Math.min(f.partialBytes ?? 0, bytes.length))
      this.apply({ kind: 'write', pos: position, bytes: partial })
      throw fsError(f.code ?? 'ENOSPC', 'write', this.path)
    }
    this.apply({ kind: 'write', pos: position, bytes })
  }

  async truncate(length: number): Promise<void> {
    this.check('truncate', true)
    this.fs.fault('truncate', this.path)
    this.apply({ kind: 'truncate', len: length })
  }

  async sync(): Promise<void> {
    this.check('sync')
    this.fs.fault('sync', this.path)
    this.fs.stats.syncs++
    // What is durable is what was written when the fsync started.
    const ops = this.node.pending
    this.node.pending = []
    if (this.fs.syncLatencyMs > 0) {
      await new Promise((r) => setTimeout(r, this.fs.syncLatencyMs))
      this.fs.checkGen(this.gen, 'fsync', this.path)
    }
    for (const op of ops) this.node.durable.apply(op)
  }

  async size(): Promise<number> {
    this.check('fstat')
    return this.node.data.size
  }

  async close(): Promise<void> {
    this.closed = true
  }

  private apply(op: PendingOp): void {
    this.node.data.apply(op)
    this.node.pending.push(op)
    this.node.mtimeMs = this.fs.nowMs()
  }
}
