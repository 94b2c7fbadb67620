// The leader epoch cache: for each leader epoch, the first offset written in it. Replication uses
// it to answer OffsetsForLeaderEpoch and to find where a follower's log diverges from the
// leader's. Persisted as `leader-epoch-checkpoint` in the partition directory:
//
//   0            version
//   2            entries
//   0 0          <epoch> <startOffset>, epochs and start offsets both strictly increasing
//   3 157
//
// Mutations are synchronous and mark the cache dirty; the Log persists it (`persist`) before the
// operation that changed it returns, except a truncation from the start by retention, persisted
// after the writer queue moved on (a stale file holds entries below the log start, which the
// loader drops: log-loader.ts).

import { join } from 'node:path'
import type { Fs } from '../common/fs.ts'
import { formatCheckpoint, readCheckpointFile, writeCheckpointFile } from './checkpoint-file.ts'
import { LEADER_EPOCH_CHECKPOINT } from './file-names.ts'

export const UNDEFINED_EPOCH = -1
export const UNDEFINED_EPOCH_OFFSET = -1n

export interface EpochEntry {
  epoch: number
  startOffset: bigint
}

export class LeaderEpochCache {
  private entries: EpochEntry[] = []
  private dirty = false
  /** The write in flight (settles, never rejects), or null. */
  private writing: Promise<void> | null = null
  /** A new log's first write: creates the file in place, durable in a batch (new-files.ts). */
  private firstWrite: ((path: string, data: Buffer) => Promise<void>) | null = null
  private readonly fs: Fs
  /** The log's own directory string (shared): the path is built when needed, not kept per log. */
  private readonly dir: string

  get path(): string {
    return join(this.dir, LEADER_EPOCH_CHECKPOINT)
  }

  constructor(fs: Fs, partitionDir: string) {
    this.fs = fs
    this.dir = partitionDir
  }

  /** Loads the checkpoint (missing file: empty cache). Entries that break monotonicity are dropped. */
  async load(): Promise<void> {
    const rows = (await readCheckpointFile(this.fs, this.path, 2)) ?? []
    this.entries = []
    for (const [e, o] of rows) this.assign(Number(e), BigInt(o))
    this.dirty = false
  }

  /**
   * For a new log, whose directory holds no checkpoint yet: the first write goes through `write`
   * (the file written in place, fsynced with other new logs' files); later ones replace it
   * atomically as usual.
   */
  createFileWith(write: (path: string, data: Buffer) => Promise<void>): void {
    this.firstWrite = write
  }

  /** An empty cache that will be written (replacing an unreadable file). */
  reset(): void {
    this.entries = []
    this.dirty = true
  }

  all(): readonly EpochEntry[] {
    return this.entries
  }

  get latestEpoch(): number {
    return this.entries.length === 0 ? UNDEFINED_EPOCH : this.entries[this.entries.length - 1].epoch
  }

  get latestEntry(): EpochEntry | undefined {
    return this.entries[this.entries.length - 1]
  }

  /**
   * Records that `epoch` starts at `startOffset`. A no-op when it is already the latest epoch (at
   * the same or a lower offset); entries with an epoch >= `epoch` or a start offset >=
   * `startOffset` are removed first, keeping both columns increasing.
   */
  assign(epoch: number, startOffset: bigint): void {
    if (epoch < 0 || startOffset < 0n) return
    const last = this.latestEntry
    if (last !== undefined && last.epoch === epoch && last.startOffset <= startOffset) return
    while (this.entries.length > 0) {
      const e = this.entries[this.entries.length - 1]
      if (e.epoch >= epoch || e.startOffset >= startOffset) this.entries.pop()
      else break
    }
    // A fresh literal for the first entry: push() onto [] reserves room for 17 (~150 bytes), and
    // most partitions only ever have one epoch entry.
    if (this.entries.length === 0) this.entries = [{ epoch, startOffset }]
    else this.entries.push({ epoch, startOffset })
    this.dirty = true
  }

  /**
   * Kafka's OffsetsForLeaderEpoch answer: the largest epoch <= `requested` and the offset where it
   * ends (the start of the next epoch, or `logEndOffset` for the latest epoch).
   */
  endOffsetFor(requested: number, logEndOffset: bigint): { epoch: number; endOffset: bigint } {
    const undefinedResult = { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET }
    if (requested === UNDEFINED_EPOCH || this.entries.length === 0) return undefinedResult
    if (requested === this.latestEpoch) return { epoch: requested, endOffset: logEndOffset }
    const higher = this.entries.find((e) => e.epoch > requested)
    if (higher === undefined) return undefinedResult
    let floor: EpochEntry | undefined
    for (const e of this.entries) if (e.epoch <= requested) floor = e
    return { epoch: floor === undefined ? requested : floor.epoch, endOffset: higher.startOffset }
  }

  /** The epoch of the record at `offset` (the last entry starting at or before it). */
  epochForOffset(offset: bigint): number {
    let epoch = UNDEFINED_EPOCH
    for (const e of this.entries) {
      if (e.startOffset <= offset) epoch = e.epoch
      else break
    }
    return epoch
  }

  /** After truncating the log to `endOffset`: drops entries starting at or after it. */
  truncateFromEnd(endOffset: bigint): void {
    const before = this.entries.length
    this.entries = this.entries.filter((e) => e.startOffset < endOffset)
    if (this.entries.length !== before) this.dirty = true
  }

  /**
   * After the log start moved to `startOffset`: entries starting at or before it collapse into
   * one, the latest of them, now starting at `startOffset`.
   */
  truncateFromStart(startOffset: bigint): void {
    let i = 0
    while (i < this.entries.length && this.entries[i].startOffset <= startOffset) i++
    if (i === 0) return
    const kept = this.entries[i - 1]
    if (i === 1 && kept.startOffset === startOffset) return
    this.entries = [{ epoch: kept.epoch, startOffset }, ...this.entries.slice(i)]
    this.dirty = true
  }

  clear(): void {
    if (this.entries.length > 0) this.dirty = true
    this.entries = []
  }

  get isDirty(): boolean {
    return this.dirty
  }

  /**
   * Writes the checkpoint when something changed, one write at a time: retention persists a
   * truncation from the start outside the log's writer queue (Log.deleteSegmentsWhile), so a
   * write from inside the queue may find one in flight. It waits for it, then writes if its own
   * change came after that write's snapshot.
   */
  async persist(): Promise<void> {
    while (this.writing !== null) await this.writing
    if (!this.dirty) return
    this.dirty = false
    const rows = this.entries.map((e) => [e.epoch, e.startOffset])
    const first = this.firstWrite
    this.firstWrite = null
    const write = (
      first !== null
        ? first(this.path, Buffer.from(formatCheckpoint(rows), 'utf8'))
        : writeCheckpointFile(this.fs, this.path, rows)
    ).finally(() => {
      this.writing = null
    })
    this.writing = write.catch(() => {})
    try {
      await write
    } catch (err) {
      this.dirty = true
      throw err
    }
  }
}
