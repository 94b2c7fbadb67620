// The file system as a seam: the few operations a log needs, all async. Two implementations:
// node-fs.ts (the real one) and memory-fs.ts (in memory, with fault injection and power-loss
// simulation). Errors are Node-style: an Error with a `code` ('ENOENT', 'EIO', 'ENOSPC', ...).
//
// Durability contract (what the memory implementation enforces and the real one relies on):
// - bytes written to a file survive a crash only after `sync()` on a handle of that file;
// - creating, renaming or removing a directory entry survives a crash only after `syncDir()` on
//   the directory that holds it.

import { dirname } from 'node:path'
import { Semaphore } from './bounded.ts'

export interface FileStat {
  size: number
  isDirectory: boolean
  mtimeMs: number
}

export interface FileHandle {
  /** Reads up to `length` bytes at `position` into buf[offset..]; returns the count (short at EOF). */
  read(buf: Uint8Array, offset: number, length: number, position: number): Promise<number>
  /** Writes all of `buf` at `position` (or throws). */
  write(buf: Uint8Array, position: number): Promise<void>
  /** Writes all the buffers back to back starting at `position` (or throws). */
  writev(bufs: readonly Uint8Array[], position: number): Promise<void>
  /**
   * The same write as one blocking call on the calling thread (optional; the result is the same).
   * Into the page cache a write is a memory copy, cheaper here, where the bytes are still in this
   * core's cache, than through the thread pool (storage/blocking-io.ts decides when).
   */
  writevBlocking?(bufs: readonly Uint8Array[], position: number): void
  /**
   * `read` as one blocking call on the calling thread (optional; same result, or the same error
   * thrown, EBADF once closed). From the page cache a copy; storage/read-ahead.ts decides when.
   */
  readBlocking?(buf: Uint8Array, offset: number, length: number, position: number): number
  truncate(length: number): Promise<void>
  /** fsync: the file's data and size are durable when this resolves. */
  sync(): Promise<void>
  size(): Promise<number>
  /** Once the reads in flight are over (a recycled file must not serve them new bytes); later reads fail (EBADF). */
  close(): Promise<void>
}

/** 'r': read only, must exist. 'rw': read and write, created empty when missing. */
export type OpenMode = 'r' | 'rw'

export interface Fs {
  open(path: string, mode: OpenMode): Promise<FileHandle>
  readFile(path: string): Promise<Buffer>
  /** Names (not paths) of the entries of a directory. */
  readdir(path: string): Promise<string[]>
  /** Creates the directory and missing parents; fine when it exists. */
  mkdir(path: string): Promise<void>
  /** null when nothing exists at `path`. */
  stat(path: string): Promise<FileStat | null>
  /** Atomically replaces `to` when it exists. */
  rename(from: string, to: string): Promise<void>
  unlink(path: string): Promise<void>
  /** Removes a directory and everything under it; fine when it does not exist. */
  removeTree(path: string): Promise<void>
  /** Makes the directory's entries (creations, renames, removals) durable. */
  syncDir(path: string): Promise<void>
  /**
   * Runs `fn` with readFile, readdir and stat answered by blocking calls (optional; the result
   * is the same). For loading thousands of logs at startup, when nothing else is served: a
   * small file read through the thread pool costs ~40 µs of the event loop, a blocking one ~5.
   */
  withBlockingReads?<T>(fn: () => Promise<T>): Promise<T>
}

export function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined
}

export const isNotFound = (err: unknown): boolean => errnoCode(err) === 'ENOENT'

/**
 * Reads `length` bytes at `position` into `buf` from `at`, read after read until they are all in or
 * the file ends (a positional read may return fewer bytes than asked); the count read.
 */
export async function readFully(
  file: FileHandle,
  buf: Uint8Array,
  at: number,
  length: number,
  position: number,
): Promise<number> {
  let done = 0
  while (done < length) {
    const n = await file.read(buf, at + done, length - done, position + done)
    if (n === 0) break
    done += n
  }
  return done
}

/** readFully with blocking reads: the handle must offer readBlocking. */
export function readFullyBlocking(
  file: FileHandle,
  buf: Uint8Array,
  at: number,
  length: number,
  position: number,
): number {
  let done = 0
  while (done < length) {
    const n = file.readBlocking!(buf, at + done, length - done, position + done)
    if (n === 0) break
    done += n
  }
  return done
}

/** Reads exactly `length` bytes at `position`, fewer only at end of file. */
export async function readAt(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length)
  const done = await readFully(file, buf, 0, length, position)
  return done === length ? buf : buf.subarray(0, done)
}

/**
 * Atomic writes in flight at once. Each holds a descriptor across several thread-pool round trips;
 * thousands started together (a leader epoch checkpoint per partition when thousands become
 * leader) would otherwise run out of descriptors (EMFILE) while queued behind one another.
 */
const atomicWrites = new Semaphore(64)

/**
 * Replaces a small file atomically and durably: write `<path>.tmp`, fsync it, rename over `path`,
 * fsync the directory. A crash leaves either the old or the new content, never a mix.
 */
export function writeFileAtomic(fs: Fs, path: string, data: Uint8Array): Promise<void> {
  return atomicWrites.use(() => writeAtomically(fs, path, data))
}

async function writeAtomically(fs: Fs, path: string, data: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp`
  const f = await fs.open(tmp, 'rw')
  try {
    await f.truncate(0)
    await f.write(data, 0)
    await f.sync()
  } finally {
    await f.close()
  }
  await fs.rename(tmp, path)
  await fs.syncDir(dirname(path))
}
