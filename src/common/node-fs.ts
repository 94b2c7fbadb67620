// The real file system behind the Fs seam (node:fs/promises). Positional reads and writes only:
// files are opened O_RDWR|O_CREAT, never O_APPEND (which would ignore the position on Linux).

import {
  close,
  constants,
  read as fdRead,
  fsync,
  open,
  readdirSync,
  readFileSync,
  readSync,
  statSync,
  writeSync,
  writevSync,
} from 'node:fs'
import * as fsp from 'node:fs/promises'
import type { FileHandle, FileStat, Fs, OpenMode } from './fs.ts'
import { errnoCode, isNotFound } from './fs.ts'

const RW_CREATE = constants.O_RDWR | constants.O_CREAT

/** What a read through a closed handle fails with (as Node's FileHandle does). */
function closedError(): Error {
  return Object.assign(new Error('file closed'), { code: 'EBADF', syscall: 'read' })
}

class NodeFileHandle implements FileHandle {
  private readonly h: fsp.FileHandle
  /** Reads in flight on the bare descriptor; close() waits for them (the number may be reused). */
  private reading = 0
  /** What close() awaits while reads are in flight; settled by the last of them. */
  private drained: { done: Promise<void>; over: () => void } | null = null

  constructor(h: fsp.FileHandle) {
    this.h = h
  }

  // Through the callback API on the descriptor: FileHandle.read's promise machinery cost ~10 µs
  // of the event loop per read, and every consume fetch's read-ahead starts one on its way to
  // the socket. The handle's own guard (a close waits for its operations) is kept by `reading`.
  read(buf: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    const fd = this.h.fd
    if (fd < 0) return Promise.reject(closedError())
    return new Promise((resolve, reject) => {
      fdRead(fd, buf, offset, length, position, (err, n) => {
        if (--this.reading === 0 && this.drained !== null) {
          this.drained.over()
          this.drained = null
        }
        if (err) reject(err)
        else resolve(n)
      })
      // Counted once handed over (arguments out of range throw above, and the promise rejects).
      this.reading++
    })
  }

  readBlocking(buf: Uint8Array, offset: number, length: number, position: number): number {
    const fd = this.h.fd
    if (fd < 0) throw closedError()
    return readSync(fd, buf, offset, length, position)
  }

  async write(buf: Uint8Array, position: number): Promise<void> {
    let done = 0
    while (done < buf.length) {
      const { bytesWritten } = await this.h.write(buf, done, buf.length - done, position + done)
      done += bytesWritten
    }
  }

  async writev(bufs: readonly Uint8Array[], position: number): Promise<void> {
    if (bufs.length === 1) return this.write(bufs[0], position)
    const { bytesWritten } = await this.h.writev(bufs as Uint8Array[], position)
    if (bytesWritten === totalLength(bufs)) return
    // Short write (rare: signals, quotas): finish the rest buffer by buffer.
    for (const [b, from, pos] of leftAfter(bufs, bytesWritten, position))
      await this.write(b.subarray(from), pos)
  }

  writevBlocking(bufs: readonly Uint8Array[], position: number): void {
    const fd = this.h.fd
    if (bufs.length === 1) {
      writeFullySync(fd, bufs[0], 0, position)
      return
    }
    const written = writevSync(fd, bufs as Uint8Array[], position)
    if (written === totalLength(bufs)) return
    for (const [b, from, pos] of leftAfter(bufs, written, position)) writeFullySync(fd, b, from, pos)
  }

  truncate(length: number): Promise<void> {
    return this.h.truncate(length)
  }

  sync(): Promise<void> {
    return this.h.sync()
  }

  async size(): Promise<number> {
    return (await this.h.stat()).size
  }

  async close(): Promise<void> {
    while (this.reading > 0) {
      if (this.drained === null) {
        let over = () => {}
        const done = new Promise<void>((r) => {
          over = r
        })
        this.drained = { done, over }
      }
      await this.drained.done
    }
    return this.h.close()
  }
}

export class NodeFs implements Fs {
  /** > 0 while withBlockingReads runs. */
  private blocking = 0

  async withBlockingReads<T>(fn: () => Promise<T>): Promise<T> {
    this.blocking++
    try {
      return await fn()
    } finally {
      this.blocking--
    }
  }

  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    return new NodeFileHandle(await fsp.open(path, mode === 'r' ? 'r' : RW_CREATE, 0o644))
  }

  readFile(path: string): Promise<Buffer> {
    if (this.blocking > 0) return settle(() => readFileSync(path))
    return fsp.readFile(path)
  }

  readdir(path: string): Promise<string[]> {
    if (this.blocking > 0) return settle(() => readdirSync(path))
    return fsp.readdir(path)
  }

  async mkdir(path: string): Promise<void> {
    await fsp.mkdir(path, { recursive: true })
  }

  async stat(path: string): Promise<FileStat | null> {
    try {
      const s = this.blocking > 0 ? statSync(path) : await fsp.stat(path)
      return { size: s.size, isDirectory: s.isDirectory(), mtimeMs: s.mtimeMs }
    } catch (err) {
      if (isNotFound(err)) return null
      throw err
    }
  }

  rename(from: string, to: string): Promise<void> {
    return fsp.rename(from, to)
  }

  unlink(path: string): Promise<void> {
    return fsp.unlink(path)
  }

  removeTree(path: string): Promise<void> {
    return fsp.rm(path, { recursive: true, force: true })
  }

  // Through the callback API on a bare descriptor: a FileHandle costs several times more of the
  // event loop to open and close, and thousands of partitions created at once sync their dirs.
  async syncDir(path: string): Promise<void> {
    let fd: number | undefined
    try {
      fd = await new Promise<number>((ok, fail) => open(path, 'r', (e, d) => (e ? fail(e) : ok(d))))
      await new Promise<void>((ok, fail) => fsync(fd!, (e) => (e ? fail(e) : ok())))
    } catch (err) {
      // Some platforms (Windows) cannot open or fsync a directory; their metadata is journaled.
      const code = errnoCode(err)
      if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EACCES') throw err
    } finally {
      if (fd !== undefined) {
        const d = fd
        await new Promise<void>((ok, fail) => close(d, (e) => (e ? fail(e) : ok())))
      }
    }
  }
}

export const nodeFs: Fs = new NodeFs()

/** A blocking call's result (or error) as a promise, like its async twin's. */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn())
  } catch (err) {
    return Promise.reject(err)
  }
}

function totalLength(bufs: readonly Uint8Array[]): number {
  let total = 0
  for (const b of bufs) total += b.length
  return total
}

/** What a short vectored write of `written` bytes at `position` left: [buffer, from, file position]. */
function leftAfter(
  bufs: readonly Uint8Array[],
  written: number,
  position: number,
): [Uint8Array, number, number][] {
  const rest: [Uint8Array, number, number][] = []
  let pos = position
  for (const b of bufs) {
    if (written >= b.length) written -= b.length
    else {
      rest.push([b, written, pos + written])
      written = 0
    }
    pos += b.length
  }
  return rest
}

/** b[from..] written at `position`, however many calls it takes. */
function writeFullySync(fd: number, b: Uint8Array, from: number, position: number): void {
  for (let done = from; done < b.length; )
    done += writeSync(fd, b, done, b.length - done, position + done - from)
}
