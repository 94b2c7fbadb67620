// An in-memory FollowerLog for fetcher tests: a list of whole batches with the storage layer's
// leader epoch cache semantics, truncation by whole batches like storage/log.ts, and a switch that
// holds appends so a test can act while one is in progress.

import { type Uuid, ZERO_UUID } from '../../../../src/common/ids.ts'
import { MemoryFs } from '../../../../src/common/memory-fs.ts'
import { buildBatch, type RecordInput } from '../../../../src/records/builder.ts'
import type { FollowerLog } from '../../../../src/replication/fetcher/follower-log.ts'
import { splitBatches } from '../../../../src/storage/batch-scan.ts'
import { LeaderEpochCache } from '../../../../src/storage/leader-epoch-cache.ts'

interface Batch {
  buf: Buffer
  baseOffset: bigint
  lastOffset: bigint
  epoch: number
}

export class MemoryFollowerLog implements FollowerLog {
  readonly topic: string
  readonly topicId: Uuid
  readonly partition: number
  batches: Batch[] = []
  start = 0n
  end = 0n
  highWatermark = 0n
  readonly epochs = new LeaderEpochCache(new MemoryFs(), '/follower')
  /** Every mutating call, in order. */
  readonly calls: string[] = []
  private held: Promise<void> | null = null

  constructor(topic: string, partition: number, topicId: Uuid = ZERO_UUID) {
    this.topic = topic
    this.partition = partition
    this.topicId = topicId
  }

  /** Writes a batch of `records` at the log end in `epoch`, as if this replica had led then. */
  write(records: readonly RecordInput[], epoch: number): Buffer {
    const buf = buildBatch(records, { baseOffset: this.end, partitionLeaderEpoch: epoch, timestamp: 1000 })
    this.put(buf)
    return buf
  }

  /** Appends from now on wait for the returned release(). */
  holdAppends(): () => void {
    let release = (): void => {}
    this.held = new Promise<void>((r) => {
      release = () => {
        this.held = null
        r()
      }
    })
    return release
  }

  bytes(): Buffer {
    return Buffer.concat(this.batches.map((b) => b.buf))
  }

  /** Errors the next appends throw, one each, before writing anything (e.g. a full disk). */
  readonly refuseAppends: Error[] = []

  logEndOffset(): bigint {
    return this.end
  }

  logStartOffset(): bigint {
    return this.start
  }

  latestEpoch(): number {
    return this.epochs.latestEpoch
  }

  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: bigint } {
    return this.epochs.endOffsetFor(epoch, this.end)
  }

  async appendAsFollower(
    records: Buffer,
    leaderHighWatermark: bigint,
    leaderLogStartOffset: bigint,
  ): Promise<void> {
    this.calls.push(`append ${records.length}`)
    if (this.held !== null) await this.held
    const refusal = this.refuseAppends.shift()
    if (refusal !== undefined) throw refusal
    this.put(records)
    this.highWatermark = leaderHighWatermark < this.end ? leaderHighWatermark : this.end
    if (leaderLogStartOffset > this.start && leaderLogStartOffset <= this.highWatermark) {
      this.start = leaderLogStartOffset
      this.batches = this.batches.filter((b) => b.lastOffset >= this.start)
      this.epochs.truncateFromStart(this.start)
    }
  }

  async truncateTo(offset: bigint): Promise<void> {
    this.calls.push(`truncate ${offset}`)
    if (offset >= this.end) return
    this.batches = this.batches.filter((b) => b.lastOffset < offset)
    const last = this.batches[this.batches.length - 1]
    this.end = last === undefined ? this.start : last.lastOffset + 1n
    this.epochs.truncateFromEnd(this.end)
    if (this.highWatermark > this.end) this.highWatermark = this.end
  }

  async truncateFullyAndStartAt(offset: bigint): Promise<void> {
    this.calls.push(`truncateFully ${offset}`)
    this.batches = []
    this.start = offset
    this.end = offset
    this.highWatermark = offset
    this.epochs.clear()
  }

  private put(records: Buffer): void {
    for (const b of splitBatches(records).batches) {
      if (b.baseOffset < this.end) throw new Error(`batch at ${b.baseOffset} below the log end ${this.end}`)
      this.batches.push({
        buf: Buffer.from(records.subarray(b.position, b.position + b.size)),
        baseOffset: b.baseOffset,
        lastOffset: b.lastOffset,
        epoch: b.partitionLeaderEpoch,
      })
      if (b.partitionLeaderEpoch > this.epochs.latestEpoch)
        this.epochs.assign(b.partitionLeaderEpoch, b.baseOffset)
      this.end = b.lastOffset + 1n
    }
  }
}
