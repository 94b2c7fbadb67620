// An in-memory CoordinatorLog for tests: per partition an array of batches with offsets assigned
// on append, like a log whose high watermark follows every write. Failures can be injected per
// append (failNext) and appends can be held back (hold/release) to test what the coordinator
// does while a write is in flight.

import { BatchHeader } from '../../records/batch-header.ts'
import { type CoordinatorLog, type CoordinatorReadResult, CoordinatorWriteError } from './coordinator-log.ts'

interface PartitionData {
  batches: Buffer[]
  endOffset: bigint
}

export class MemoryCoordinatorLog implements CoordinatorLog {
  private readonly partitions = new Map<number, PartitionData>()
  private failures: number[] = []
  private held: (() => void)[] | null = null
  /** Number of batches appended so far (all partitions). */
  appends = 0

  private data(partition: number): PartitionData {
    let d = this.partitions.get(partition)
    if (d === undefined) {
      d = { batches: [], endOffset: 0n }
      this.partitions.set(partition, d)
    }
    return d
  }

  /** The next append fails with `errorCode` (queued: call repeatedly for several). */
  failNext(errorCode: number): void {
    this.failures.push(errorCode)
  }

  /** Appends wait until release() from now on. */
  hold(): void {
    this.held ??= []
  }

  /** Lets held appends complete, and stops holding. */
  release(): void {
    const waiting = this.held ?? []
    this.held = null
    for (const go of waiting) go()
  }

  async append(partition: number, batch: Buffer): Promise<bigint> {
    if (this.held !== null) await new Promise<void>((r) => this.held!.push(r))
    const failure = this.failures.shift()
    if (failure !== undefined) throw new CoordinatorWriteError(failure, `injected failure ${failure}`)
    const d = this.data(partition)
    const copy = Buffer.from(batch)
    const h = new BatchHeader(copy, 0)
    const base = d.endOffset
    copy.writeBigInt64BE(base, 0)
    d.batches.push(copy)
    d.endOffset = base + BigInt(h.lastOffsetDelta) + 1n
    this.appends++
    return d.endOffset - 1n
  }

  async read(partition: number, offset: bigint, maxBytes: number): Promise<CoordinatorReadResult> {
    const d = this.data(partition)
    const out: Buffer[] = []
    let size = 0
    for (const b of d.batches) {
      const h = new BatchHeader(b, 0)
      if (h.lastOffset < offset) continue
      if (out.length > 0 && size + b.length > maxBytes) break
      out.push(b)
      size += b.length
    }
    const start = d.batches.length === 0 ? d.endOffset : new BatchHeader(d.batches[0], 0).baseOffset
    return { records: Buffer.concat(out), logEndOffset: d.endOffset, logStartOffset: start }
  }

  /** Batches appended to `partition`. */
  batchCount(partition: number): number {
    return this.data(partition).batches.length
  }
}
