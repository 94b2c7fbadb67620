// The aborted transactions index of one segment, `<base>.txnindex`, in Kafka's format: one
// 34-byte entry per transaction aborted by a marker in this segment, in marker order:
//
//   offset  size  field
//        0     2  version (int16, 0)
//        2     8  producerId
//       10     8  firstOffset        first offset of the aborted transaction
//       18     8  lastOffset         offset of its abort marker
//       26     8  lastStableOffset   the partition's last stable offset when the marker was written
//
// read_committed fetches ask it which aborted transactions overlap what they return (Kafka's
// collectAbortedTxns). The file exists only once a segment holds an aborted transaction (most
// never do, so most segments cost no I/O here: the loader tells which files exist). Entries are
// kept in memory (raw, 34 bytes each) once loaded; appends go to memory at once (readers see them
// as soon as the producer state does) and to the file with the next write; fsynced with the
// segment's indexes. Entries are derived from the log (the producer state replay in
// replication/unified-log.ts rebuilds the ones past its snapshot), so an index that lags after a
// crash is repaired, never trusted over the log.

import { join } from 'node:path'
import type { Fs } from '../common/fs.ts'
import { isNotFound } from '../common/fs.ts'
import { txnIndexFileName } from './file-names.ts'
import { SerialQueue } from './serial-queue.ts'

export const ABORTED_TXN_SIZE = 34
const VERSION = 0

export interface AbortedTxn {
  producerId: bigint
  firstOffset: bigint
  lastOffset: bigint
  lastStableOffset: bigint
}

export function encodeAbortedTxn(e: AbortedTxn, buf: Buffer, pos: number): void {
  buf.writeInt16BE(VERSION, pos)
  buf.writeBigInt64BE(e.producerId, pos + 2)
  buf.writeBigInt64BE(e.firstOffset, pos + 10)
  buf.writeBigInt64BE(e.lastOffset, pos + 18)
  buf.writeBigInt64BE(e.lastStableOffset, pos + 26)
}

export function decodeAbortedTxn(buf: Buffer, pos: number): AbortedTxn {
  return {
    producerId: buf.readBigInt64BE(pos + 2),
    firstOffset: buf.readBigInt64BE(pos + 10),
    lastOffset: buf.readBigInt64BE(pos + 18),
    lastStableOffset: buf.readBigInt64BE(pos + 26),
  }
}

/** Decodes a whole file's bytes; a partial last entry (a torn write) is ignored. */
export function decodeAbortedTxns(buf: Buffer): AbortedTxn[] {
  const out: AbortedTxn[] = []
  for (let p = 0; p + ABORTED_TXN_SIZE <= buf.length; p += ABORTED_TXN_SIZE)
    out.push(decodeAbortedTxn(buf, p))
  return out
}

/** Shared by every index known to be empty (most segments): never written into, only replaced. */
const NO_ENTRIES = Buffer.alloc(0)

export class TransactionIndex {
  /** Given or set (renamed) explicitly; otherwise built from the live segment's dir and base. */
  private fixedPath: string | null
  private readonly live: { readonly dir: string; readonly base: bigint } | null
  private readonly fs: Fs
  /** Entries, raw; null until loaded. */
  private data: Buffer | null
  private count = 0
  /** Entries [0, fileCount) are in the file as in memory. */
  private fileCount = 0
  /** The file may hold bytes past fileCount (cut in memory, not yet on disk). */
  private fileStale = false
  private fileExists: boolean
  private unsynced = false
  private loading: Promise<void> | null = null
  /** Made on first use: most segments never queue anything on their transaction index. */
  private queueOrNull: SerialQueue | null = null

  /** `exists`: whether the file is on disk (false: the index is empty, known without I/O). */
  constructor(fs: Fs, where: string | { readonly dir: string; readonly base: bigint }, exists: boolean) {
    this.fs = fs
    this.fixedPath = typeof where === 'string' ? where : null
    this.live = typeof where === 'string' ? null : where
    this.fileExists = exists
    this.data = exists ? null : NO_ENTRIES
  }

  private get queue(): SerialQueue {
    this.queueOrNull ??= new SerialQueue()
    return this.queueOrNull
  }

  get path(): string {
    if (this.fixedPath !== null || this.live === null) return this.fixedPath ?? ''
    return join(this.live.dir, txnIndexFileName(this.live.base))
  }
  set path(p: string) {
    this.fixedPath = p
  }

  /** False when the index is known to hold no entry; true when it does or is not loaded yet. */
  get mayHaveEntries(): boolean {
    return this.data === null || this.count > 0
  }

  get loaded(): boolean {
    return this.data !== null
  }

  get entryCount(): number {
    return this.count
  }

  ensureLoaded(): Promise<void> {
    if (this.data !== null) return Promise.resolve()
    this.loading ??= this.queue
      .run(async () => {
        if (this.data !== null) return
        let raw: Buffer
        try {
          raw = await this.fs.readFile(this.path)
        } catch (err) {
          if (!isNotFound(err)) throw err
          this.fileExists = false
          raw = Buffer.alloc(0)
        }
        this.count = Math.floor(raw.length / ABORTED_TXN_SIZE)
        this.fileCount = this.count
        this.fileStale = raw.length !== this.count * ABORTED_TXN_SIZE
        this.data = raw
      })
      .finally(() => {
        this.loading = null
      })
    return this.loading
  }

  private loadedData(): Buffer {
    if (this.data === null) throw new Error(`${this.path}: transaction index used before it was loaded`)
    return this.data
  }

  /** Adds an entry in memory (visible at once); write() puts it in the file. Must be loaded. */
  append(e: AbortedTxn): void {
    let data = this.loadedData()
    const need = (this.count + 1) * ABORTED_TXN_SIZE
    if (data.length < need) {
      const bigger = Buffer.allocUnsafe(Math.max(need, data.length * 2, 8 * ABORTED_TXN_SIZE))
      data.copy(bigger, 0, 0, this.count * ABORTED_TXN_SIZE)
      data = bigger
      this.data = bigger
    }
    encodeAbortedTxn(e, data, this.count * ABORTED_TXN_SIZE)
    this.count++
  }

  entries(): AbortedTxn[] {
    const data = this.loadedData()
    const out: AbortedTxn[] = []
    for (let i = 0; i < this.count; i++) out.push(decodeAbortedTxn(data, i * ABORTED_TXN_SIZE))
    return out
  }

  /**
   * Kafka's collectAbortedTxns: adds the transactions with lastOffset >= fetchOffset and
   * firstOffset < upperBound to `out`; true when an entry's lastStableOffset reached upperBound
   * (no later segment can hold an overlapping one). Must be loaded.
   */
  collect(fetchOffset: bigint, upperBound: bigint, out: AbortedTxn[]): boolean {
    const data = this.loadedData()
    for (let i = 0; i < this.count; i++) {
      const p = i * ABORTED_TXN_SIZE
      const last = data.readBigInt64BE(p + 18)
      const first = data.readBigInt64BE(p + 10)
      if (last >= fetchOffset && first < upperBound) out.push(decodeAbortedTxn(data, p))
      if (data.readBigInt64BE(p + 26) >= upperBound) return true
    }
    return false
  }

  /** Drops the entries whose marker is at or after `offset` (in memory; the file at the next write). */
  truncateTo(offset: bigint): void {
    const data = this.loadedData()
    let n = this.count
    while (n > 0 && data.readBigInt64BE((n - 1) * ABORTED_TXN_SIZE + 18) >= offset) n--
    this.cut(n)
  }

  /** Drops every entry. */
  reset(): void {
    if (this.data === null) this.data = NO_ENTRIES
    this.cut(0)
  }

  private cut(n: number): void {
    if (n === this.count) return
    this.count = n
    if (this.fileCount > n) {
      this.fileCount = n
      this.fileStale = true
    }
  }

  /** Brings the file in line with memory (no fsync). Creates it only when there are entries. */
  write(): Promise<void> {
    return this.queue.run(() => this.writeNow())
  }

  private async writeNow(): Promise<void> {
    const data = this.data
    if (data === null || (this.fileCount === this.count && !this.fileStale)) return
    if (!this.fileExists && this.count === 0) {
      this.fileStale = false
      return
    }
    const f = await this.fs.open(this.path, 'rw')
    try {
      this.fileExists = true
      const from = this.fileCount * ABORTED_TXN_SIZE
      const to = this.count * ABORTED_TXN_SIZE
      if (to > from) await f.write(data.subarray(from, to), from)
      if (this.fileStale) await f.truncate(to)
      this.fileCount = this.count
      this.fileStale = false
      this.unsynced = true
    } finally {
      await f.close()
    }
  }

  /** write(), then fsync when anything was written since the last one. */
  flush(): Promise<void> {
    // Cheap when there is nothing to do: every segment's index is flushed with its segment.
    const idle = this.data === null || (this.fileCount === this.count && !this.fileStale && !this.unsynced)
    if (idle && (this.queueOrNull?.size ?? 0) === 0) return Promise.resolve()
    return this.queue.run(async () => {
      await this.writeNow()
      if (!this.unsynced || !this.fileExists) return
      const f = await this.fs.open(this.path, 'rw')
      try {
        await f.sync()
        this.unsynced = false
      } finally {
        await f.close()
      }
    })
  }

  /** Renames the file (segment suffix changes); missing files are fine. */
  rename(to: string): Promise<void> {
    return this.queue.run(async () => {
      if (this.fileExists) {
        try {
          await this.fs.rename(this.path, to)
        } catch (err) {
          if (!isNotFound(err)) throw err
        }
      }
      this.path = to
    })
  }

  delete(): Promise<void> {
    return this.queue.run(async () => {
      try {
        await this.fs.unlink(this.path)
      } catch (err) {
        if (!isNotFound(err)) throw err
      }
      this.fileExists = false
    })
  }
}
