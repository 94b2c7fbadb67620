// Log compaction (cleanup.policy=compact, compact,delete): keep only the newest record of each key.
//
// A pass over one log:
// 1. Cleanable segments: every segment wholly below min(high watermark, active segment, the first
//    segment younger than min.compaction.lag.ms, the first unstable transaction's first offset).
//    The active segment is never cleaned, nor the data of a transaction still open.
// 2. Dirty part: the cleanable segments at or after the first dirty offset (from
//    `cleaner-offset-checkpoint`, else the log start). Clean when dirty/(clean+dirty) bytes reach
//    min.cleanable.dirty.ratio, or when dirty data is older than max.compaction.lag.ms.
// 3. Offset map: key -> last offset, over the dirty records (aborted transactions' left out).
// 4. Rewrite every cleanable segment, in groups that fit one segment, keeping a record when no
//    later record has its key; tombstones (null values) also go once their segment's newest
//    timestamp is older than delete.retention.ms; keyless records go. A batch whose records all
//    stay is copied verbatim; a partly kept batch is rebuilt with the same base offset, last
//    offset (Kafka keeps it so producer sequence checks still work), epoch, producer fields and
//    codec; an emptied batch disappears. Aborted transactions' data goes whole; transaction
//    markers stay until no data of their transaction is left and delete.retention.ms passed, and
//    the aborted index entries of the markers that stay are written to the new segment's index
//    (cleaner-txns.ts has the rules).
// 5. Each group is written to `<base>.log.cleaned` (+ indexes), fsynced, renamed to `.swap`, and
//    swapped in by Log.replaceSegments (crash-safe, see log-loader.ts). The new first dirty offset
//    is checkpointed.
//
// Records are read and rewritten outside the log's writer queue; only the swap takes it, and it
// is abandoned if the log was truncated or the segments deleted meanwhile.

import { join } from 'node:path'
import type { Clock } from '../common/clock.ts'
import { type Fs, readFully } from '../common/fs.ts'
import { Attr, BatchHeader } from '../records/batch-header.ts'
import { buildBatch } from '../records/builder.ts'
import type { KafkaRecord } from '../records/record.ts'
import { iterateRecords } from '../records/record-iterator.ts'
import { collectAbortedTxns } from './aborted-txns.ts'
import type { BatchInfo } from './batch-scan.ts'
import { splitBatches } from './batch-scan.ts'
import { OffsetCheckpointFile } from './checkpoint-file.ts'
import { stableBound, TxnCleaning } from './cleaner-txns.ts'
import { CLEANED_SUFFIX, CLEANER_OFFSET_CHECKPOINT, SWAP_SUFFIX } from './file-names.ts'
import type { Log } from './log.ts'
import { LogSegment } from './log-segment.ts'
import type { StorageLogger } from './logger.ts'
import { SerialQueue } from './serial-queue.ts'

export interface CleanStats {
  segmentsIn: number
  segmentsOut: number
  bytesIn: number
  bytesOut: number
  recordsRemoved: number
  /** The first dirty offset after the pass. */
  firstDirtyOffset: bigint
}

const READ_CHUNK = 4 << 20
const WRITE_CHUNK = 1 << 20

/** Calls `fn` for every batch of the segment (whole bytes), in order. */
export function forEachBatch(
  seg: LogSegment,
  fn: (bytes: Buffer, info: BatchInfo) => void | Promise<void>,
): Promise<void> {
  // The pass holds the handle across many reads: kept open meanwhile (open-files.ts).
  return seg.pinned(() => eachBatch(seg, fn))
}

async function eachBatch(
  seg: LogSegment,
  fn: (bytes: Buffer, info: BatchInfo) => void | Promise<void>,
): Promise<void> {
  const f = await seg.handle()
  const limit = seg.size
  let pos = 0
  while (pos < limit) {
    const want = Math.min(READ_CHUNK, limit - pos)
    let buf = Buffer.allocUnsafe(want)
    const got = await readFully(f, buf, 0, want, pos)
    buf = buf.subarray(0, got)
    let { batches, end } = splitBatches(buf)
    if (batches.length === 0) {
      // One batch larger than the chunk: read it whole.
      if (got < 12) return
      const size = buf.readInt32BE(8) + 12
      if (size <= got || pos + size > limit) return
      const whole = Buffer.allocUnsafe(size)
      if ((await readFully(f, whole, 0, size, pos)) < size) return
      buf = whole
      ;({ batches, end } = splitBatches(buf))
      if (batches.length === 0) return
    }
    for (const b of batches) {
      await fn(buf.subarray(b.position, b.position + b.size), { ...b, position: pos + b.position })
    }
    pos += end
  }
}

export class LogCleaner {
  private readonly fs: Fs
  private readonly clock: Clock
  private readonly logger: StorageLogger
  /** Per log dir: first dirty offset per partition, as in cleaner-offset-checkpoint. */
  private readonly checkpoints = new Map<string, Map<string, bigint>>()
  private readonly queue = new SerialQueue()

  constructor(p: { fs: Fs; clock: Clock; logger: StorageLogger }) {
    this.fs = p.fs
    this.clock = p.clock
    this.logger = p.logger
  }

  /** Drops a deleted log's checkpoint entry (written at the next pass in its dir). */
  forget(log: Log): void {
    for (const m of this.checkpoints.values()) m.delete(log.name)
  }

  private async dirCheckpoints(logDir: string): Promise<Map<string, bigint>> {
    let m = this.checkpoints.get(logDir)
    if (m === undefined) {
      try {
        m = await new OffsetCheckpointFile(this.fs, join(logDir, CLEANER_OFFSET_CHECKPOINT)).read()
      } catch (err) {
        this.logger.warn(`ignoring unreadable ${CLEANER_OFFSET_CHECKPOINT} in ${logDir}: ${err}`)
        m = new Map()
      }
      this.checkpoints.set(logDir, m)
    }
    return m
  }

  /** Cleans the log if its dirty ratio (or compaction lag) calls for it. */
  async maybeClean(log: Log, logDir: string): Promise<CleanStats | null> {
    return this.queue.run(() => this.cleanLocked(log, logDir, false))
  }

  /** Cleans whatever is cleanable, ignoring the dirty ratio (tools and tests). */
  async clean(log: Log, logDir: string): Promise<CleanStats | null> {
    return this.queue.run(() => this.cleanLocked(log, logDir, true))
  }

  private async cleanLocked(log: Log, logDir: string, force: boolean): Promise<CleanStats | null> {
    const now = this.clock.now()
    const cfg = log.config
    const checkpoints = await this.dirCheckpoints(logDir)
    const truncations = log.truncationCount
    const segments = log.segmentList
    const active = segments[segments.length - 1]

    // 1. Cleanable: whole segments below the bound.
    let bound = minOffset(log.highWatermark, active.baseOffset)
    for (const s of segments) {
      if (s === active || cfg.minCompactionLagMs <= 0) break
      if ((await s.largestTimestamp()) > now - cfg.minCompactionLagMs) {
        if (s.baseOffset < bound) bound = s.baseOffset
        break
      }
    }
    bound = await stableBound(segments, bound, log.highWatermark, forEachBatch)
    const cleanable: LogSegment[] = []
    for (let i = 0; i + 1 < segments.length; i++)
      if (segments[i + 1].baseOffset <= bound) cleanable.push(segments[i])
    if (cleanable.length === 0) return null
    const end = segments[cleanable.length].baseOffset

    // 2. Dirty ratio.
    let firstDirty = checkpoints.get(log.name) ?? log.logStartOffset
    if (firstDirty < log.logStartOffset || firstDirty > log.logEndOffset) firstDirty = log.logStartOffset
    let cleanBytes = 0
    let dirtyBytes = 0
    const dirty: LogSegment[] = []
    for (let i = 0; i < cleanable.length; i++) {
      if (segments[i + 1].baseOffset <= firstDirty) cleanBytes += cleanable[i].size
      else {
        dirtyBytes += cleanable[i].size
        dirty.push(cleanable[i])
      }
    }
    if (dirty.length === 0) return null
    const ratio = dirtyBytes / Math.max(1, cleanBytes + dirtyBytes)
    const firstTs = await dirty[0].firstBatchTimestamp()
    const dirtyAge = now - (firstTs >= 0n ? Number(firstTs) : await dirty[0].largestTimestamp())
    if (!force && ratio < cfg.minCleanableDirtyRatio && dirtyAge <= cfg.maxCompactionLagMs) return null

    // 3. Offset map over the dirty records.
    const txns = new TxnCleaning(await collectAbortedTxns(segments, log.logStartOffset, end))
    const latest = new Map<string, bigint>()
    for (const seg of dirty) {
      await forEachBatch(seg, (bytes) => {
        const h = new BatchHeader(bytes)
        if (h.isControl || txns.abortedTxnOf(h) !== null) return
        for (const r of iterateRecords(bytes, 0, { verifyCrc: false })) {
          if (r.key !== null && r.offset >= firstDirty) latest.set(r.key.toString('latin1'), r.offset)
        }
      })
    }

    // 4-5. Rewrite in groups and swap.
    const stats: CleanStats = {
      segmentsIn: 0,
      segmentsOut: 0,
      bytesIn: 0,
      bytesOut: 0,
      recordsRemoved: 0,
      firstDirtyOffset: firstDirty,
    }
    for (const group of groupSegments(cleanable, segments, cfg.segmentBytes)) {
      const out = await this.rewrite(log, group, latest, txns, now)
      stats.recordsRemoved += out.removed
      if (!(await log.replaceSegments(group, out.segment, truncations))) {
        await out.segment.deleteFiles()
        this.logger.info(`${log.name}: compaction abandoned, the log changed meanwhile`)
        return null
      }
      stats.segmentsIn += group.length
      stats.segmentsOut++
      for (const s of group) stats.bytesIn += s.size
      stats.bytesOut += out.segment.size
    }
    stats.firstDirtyOffset = end
    checkpoints.set(log.name, end)
    await new OffsetCheckpointFile(this.fs, join(logDir, CLEANER_OFFSET_CHECKPOINT)).write(
      [...checkpoints].map(([key, offset]) => {
        const dash = key.lastIndexOf('-')
        return { topic: key.slice(0, dash), partition: Number(key.slice(dash + 1)), offset }
      }),
    )
    this.logger.info(
      `${log.name}: compacted ${stats.segmentsIn} segment(s) into ${stats.segmentsOut}, ` +
        `${stats.bytesIn} -> ${stats.bytesOut} bytes, ${stats.recordsRemoved} records removed`,
    )
    return stats
  }

  private async rewrite(
    log: Log,
    group: readonly LogSegment[],
    latest: Map<string, bigint>,
    txns: TxnCleaning,
    now: number,
  ) {
    const cfg = log.config
    const seg = await LogSegment.create(
      this.fs,
      log.dir,
      group[0].baseOffset,
      { indexBytes: cfg.segmentIndexBytes, now, rollJitterMs: 0 },
      CLEANED_SUFFIX,
    )
    let removed = 0
    let chunks: Buffer[] = []
    let metas: { size: number; lastOffset: bigint; maxTimestamp: bigint }[] = []
    let pending = 0
    const drain = async (): Promise<void> => {
      if (chunks.length === 0) return
      await seg.append(chunks, metas, cfg.indexIntervalBytes, now)
      chunks = []
      metas = []
      pending = 0
    }
    for (const src of group) {
      const horizonPassed = (await src.largestTimestamp()) < now - cfg.deleteRetentionMs
      await forEachBatch(src, async (bytes, info) => {
        const h = new BatchHeader(bytes)
        let out: Buffer | null = bytes
        const drop = txns.onBatch(bytes, h)
        if (h.isControl) {
          if (drop && horizonPassed) {
            removed += h.recordsCount
            out = null
          } else if (h.isTransactional) txns.markerKept(h)
        } else if (drop) {
          removed += h.recordsCount
          out = null
        } else {
          const all = [...iterateRecords(bytes, 0, { verifyCrc: false })]
          const kept = all.filter((r) => keep(r, latest, horizonPassed))
          removed += all.length - kept.length
          if (kept.length === 0) out = null
          else if (kept.length !== all.length) out = rebuild(h, kept)
        }
        if (out === null) return
        chunks.push(out)
        const maxTimestamp = out === bytes ? h.maxTimestamp : new BatchHeader(out).maxTimestamp
        metas.push({ size: out.length, lastOffset: info.lastOffset, maxTimestamp })
        pending += out.length
        if (pending >= WRITE_CHUNK) await drain()
      })
    }
    await drain()
    // The aborted transactions whose markers stay in this segment, with data left to skip.
    for (const e of txns.takeKeptEntries()) seg.txnIndex.append(e)
    await seg.flush(true)
    await seg.changeSuffix(SWAP_SUFFIX)
    await this.fs.syncDir(log.dir)
    return { segment: seg, removed }
  }
}

const minOffset = (a: bigint, b: bigint): bigint => (a < b ? a : b)

function keep(r: KafkaRecord, latest: Map<string, bigint>, horizonPassed: boolean): boolean {
  if (r.key === null) return false
  const last = latest.get(r.key.toString('latin1'))
  if (last !== undefined && last > r.offset) return false
  return !(r.value === null && horizonPassed)
}

/** A batch holding only `kept`, with the original batch's identity (offsets, producer, codec). */
function rebuild(h: BatchHeader, kept: readonly KafkaRecord[]): Buffer {
  const base = h.baseOffset
  return buildBatch(
    kept.map((r) => ({
      key: r.key,
      value: r.value,
      headers: r.headers,
      timestamp: r.timestamp,
      offsetDelta: Number(r.offset - base),
      attributes: r.attributes,
    })),
    {
      baseOffset: base,
      partitionLeaderEpoch: h.partitionLeaderEpoch,
      compression: h.compression as 0 | 1 | 2 | 3 | 4,
      timestampType: h.isLogAppendTime ? 'logAppend' : 'create',
      logAppendTime: h.isLogAppendTime ? h.maxTimestamp : undefined,
      producerId: h.producerId,
      producerEpoch: h.producerEpoch,
      baseSequence: h.baseSequence,
      transactional: (h.attributes & Attr.transactional) !== 0,
      lastOffsetDelta: h.lastOffsetDelta,
    },
  )
}

/** Consecutive segments whose total size fits one segment and whose offsets fit 32 bits. */
function groupSegments(cleanable: readonly LogSegment[], all: readonly LogSegment[], maxBytes: number) {
  const groups: LogSegment[][] = []
  let cur: LogSegment[] = []
  let bytes = 0
  for (let i = 0; i < cleanable.length; i++) {
    const s = cleanable[i]
    const end = all[i + 1].baseOffset
    const fits = cur.length > 0 && bytes + s.size <= maxBytes && end - 1n - cur[0].baseOffset <= 0x7fffffffn
    if (!fits && cur.length > 0) {
      groups.push(cur)
      cur = []
      bytes = 0
    }
    cur.push(s)
    bytes += s.size
  }
  if (cur.length > 0) groups.push(cur)
  return groups
}
