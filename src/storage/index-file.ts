// What the offset index and the time index share: entries kept in memory (loaded lazily from the
// file for old segments), written to the file in bulk when the segment is flushed, rolled or
// closed, never on the append path. After an unclean shutdown the indexes of every segment past
// the recovery point are rebuilt from the log, so an index file that lags behind is harmless;
// one that fails the sanity check is rebuilt too (an index is never trusted over the log).
//
// Kafka preallocates index files (it maps them into memory) and trims them on close; here they
// are written at their exact size, which is the size Kafka leaves after a clean shutdown.

import { join } from 'node:path'
import type { Fs } from '../common/fs.ts'
import { errnoCode, isNotFound } from '../common/fs.ts'
import { StorageError, StorageErrorCode } from './storage-error.ts'

/**
 * Where an index file is: its full path, or the directory of a live segment's files (the log's
 * own string, shared) from which the path is built when an operation needs it, so thousands of
 * idle segments do not each keep three ~90-byte paths.
 */
export type IndexLocation = string | { readonly dir: string }

export abstract class IndexFile {
  /** Given or set (renamed) explicitly; otherwise built from `dir`. */
  private fixedPath: string | null
  private readonly dir: string
  readonly baseOffset: bigint
  readonly maxEntries: number
  /** Number of entries. */
  count = 0
  /** Entries [0, fileCount) are in the file exactly as in memory. */
  protected fileCount = 0
  /** The file holds entries past fileCount that were truncated away in memory. */
  protected fileStale = false
  /** Bytes were written to the file since its last fsync. */
  private unsynced = false
  loaded: boolean

  readonly entrySize: number
  protected abstract grow(min: number): void
  protected abstract encode(i: number, buf: Buffer, pos: number): void
  protected abstract decode(i: number, buf: Buffer, pos: number): void
  /** Checks loaded entries against the log's size; false when the index must be rebuilt. */
  protected abstract sane(logSize: number): boolean
  /** The live file's name for a segment at `base`. */
  protected abstract fileName(base: bigint): string

  get path(): string {
    return this.fixedPath ?? join(this.dir, this.fileName(this.baseOffset))
  }
  set path(p: string) {
    this.fixedPath = p
  }

  constructor(
    where: IndexLocation,
    baseOffset: bigint,
    maxIndexBytes: number,
    loaded: boolean,
    entrySize: number,
  ) {
    this.fixedPath = typeof where === 'string' ? where : null
    this.dir = typeof where === 'string' ? '' : where.dir
    this.baseOffset = baseOffset
    this.loaded = loaded
    this.entrySize = entrySize
    this.maxEntries = Math.max(1, Math.floor(maxIndexBytes / entrySize))
  }

  get isFull(): boolean {
    return this.count >= this.maxEntries
  }

  /** Bytes the entries take (the file's size once persisted). */
  get sizeInBytes(): number {
    return this.count * this.entrySize
  }

  /** Drops all entries (before a rebuild). */
  reset(): void {
    this.count = 0
    // Whatever the file holds is unknown or wrong now: cut it to nothing at the next persist.
    this.fileStale = true
    this.fileCount = 0
    this.loaded = true
  }

  protected truncateToCount(n: number): void {
    if (n >= this.count) return
    this.count = n
    if (n < this.fileCount) {
      this.fileCount = n
      this.fileStale = true
    }
  }

  /**
   * Loads the file into memory. Returns false when it is missing or fails the sanity check (the
   * caller then rebuilds it from the log).
   */
  async load(fs: Fs, logSize: number): Promise<boolean> {
    let buf: Buffer
    try {
      buf = await fs.readFile(this.path)
    } catch (err) {
      if (!isNotFound(err)) throw err
      this.reset()
      return false
    }
    const n = Math.floor(buf.length / this.entrySize)
    this.count = 0
    this.grow(n)
    for (let i = 0; i < n; i++) this.decode(i, buf, i * this.entrySize)
    this.count = n
    this.fileCount = n
    this.fileStale = buf.length !== n * this.entrySize
    this.loaded = true
    if (buf.length % this.entrySize !== 0 || !this.sane(logSize)) {
      this.reset()
      return false
    }
    return true
  }

  /** Writes what the file lacks (and cuts what it has too much of); fsyncs when asked. */
  async persist(fs: Fs, sync: boolean): Promise<void> {
    if (!this.loaded) return
    const pending = this.fileStale || this.fileCount !== this.count
    if (!pending && !(sync && this.unsynced)) return
    const f = await fs.open(this.path, 'rw')
    try {
      if (pending) {
        this.unsynced = true
        if (this.fileStale) await f.truncate(this.fileCount * this.entrySize)
        this.fileStale = false
        const from = this.fileCount
        const to = this.count
        if (to > from) {
          const buf = Buffer.allocUnsafe((to - from) * this.entrySize)
          for (let i = from; i < to; i++) this.encode(i, buf, (i - from) * this.entrySize)
          try {
            await f.write(buf, from * this.entrySize)
          } catch (err) {
            // A full disk: the caller may keep the log online (the entries stay in memory and the
            // whole file is written again next time); a failed fsync never gets here.
            if (errnoCode(err) !== 'ENOSPC') throw err
            throw new StorageError(StorageErrorCode.NoSpace, `no space left on device writing ${this.path}`, {
              cause: err,
            })
          }
        }
        this.fileCount = to
      }
      if (sync) {
        await f.sync()
        this.unsynced = false
      }
    } catch (err) {
      // The file's state is unknown: rewrite it whole next time.
      this.fileCount = 0
      this.fileStale = true
      throw err
    } finally {
      await f.close()
    }
  }

  /** Largest i in [0, count) with key(i) <= target, or -1. Keys must be non-decreasing. */
  protected floorSearch(target: number | bigint, key: (i: number) => number | bigint): number {
    let lo = 0
    let hi = this.count - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if (key(mid) <= target) {
        found = mid
        lo = mid + 1
      } else {
        hi = mid - 1
      }
    }
    return found
  }
}
