// Loading and saving a partition's producer state. On open: the newest snapshot at or below the
// log end offset, then every batch after it replayed from the log — batch headers only (producer
// id, epoch and base sequence are in the v2 header), read in large windows, plus the one record of
// each control batch (a transaction marker: commit or abort, coordinator epoch). Snapshots are
// written at the current map end offset (when the active segment rolled, and on clean shutdown);
// only the newest two are kept.
//
// The aborted transactions index (storage/transaction-index.ts) is derived from the same replay:
// entries below the snapshot are trusted (they are made durable before a snapshot is written, see
// unified-log.ts), entries from the snapshot on are dropped and rebuilt from the markers replayed.
// Open transactions come back from the snapshot's currentTxnFirstOffset and the replay.

import { type Fs, readFully } from '../../common/fs.ts'
import { Attr, BATCH_HEADER_SIZE, BatchOffsets, LOG_OVERHEAD } from '../../records/batch-header.ts'
import { parseControlRecord } from '../../records/control.ts'
import { iterateRecords } from '../../records/record-iterator.ts'
import { appendAbortedTxns, truncateTxnIndexes } from '../../storage/aborted-txns.ts'
import type { FileRange } from '../../storage/file-range.ts'
import type { Log } from '../../storage/log.ts'
import { pinnedAll } from '../../storage/open-files.ts'
import type { AbortedTxn } from '../../storage/transaction-index.ts'
import { decrementSequence, ProducerEntry } from './producer-entry.ts'
import type { MarkerInfo, ProducerStateManager } from './producer-state-manager.ts'
import {
  deleteSnapshot,
  listSnapshots,
  loadLatestSnapshot,
  type SnapshotEntry,
  writeSnapshot,
} from './snapshot-file.ts'

const SCAN_WINDOW = 256 * 1024
const SNAPSHOTS_KEPT = 2

/** Snapshot rows: one per batch in each producer's window, oldest first (see snapshot-file.ts). */
export function toSnapshotEntries(m: ProducerStateManager): SnapshotEntry[] {
  const out: SnapshotEntry[] = []
  for (const e of m.producers.values()) {
    const common = {
      producerId: e.producerId,
      epoch: e.epoch,
      coordinatorEpoch: e.coordinatorEpoch,
      currentTxnFirstOffset: e.currentTxnFirstOffset,
    }
    if (e.batches.length === 0) {
      out.push({ ...common, lastSequence: -1, lastOffset: -1n, offsetDelta: 0, timestamp: e.lastTimestamp })
      continue
    }
    for (const b of e.batches) {
      out.push({
        ...common,
        lastSequence: b.lastSeq,
        lastOffset: b.lastOffset,
        offsetDelta: Number(b.lastOffset - b.firstOffset),
        timestamp: b.timestamp,
      })
    }
  }
  return out
}

/** Rebuilds entries from snapshot rows (rows of one producer merge into its window). */
export function loadSnapshotEntries(m: ProducerStateManager, rows: readonly SnapshotEntry[], now: number) {
  for (const r of rows) {
    let e = m.producers.get(r.producerId)
    if (e === undefined) {
      e = new ProducerEntry(r.producerId, r.epoch, now)
      m.producers.set(r.producerId, e)
    }
    e.setEpoch(r.epoch)
    if (r.lastOffset >= 0n) {
      e.addBatch(r.epoch, {
        firstSeq: decrementSequence(r.lastSequence, r.offsetDelta),
        lastSeq: r.lastSequence,
        firstOffset: r.lastOffset - BigInt(r.offsetDelta),
        lastOffset: r.lastOffset,
        timestamp: r.timestamp,
      })
    }
    e.lastTimestamp = r.timestamp
    e.coordinatorEpoch = r.coordinatorEpoch
    e.currentTxnFirstOffset = r.currentTxnFirstOffset
  }
  m.rebuildOngoingTxns()
}

/**
 * Calls `fn` with the header of every whole batch in the ranges. Small batches are read
 * SCAN_WINDOW bytes at a time; after a batch larger than a quarter window only the next header
 * is read, so large batches cost one small read each instead of their bytes. A control batch
 * (a few dozen bytes) is always passed whole, so its marker can be read.
 */
export async function scanBatchHeaders(
  ranges: readonly FileRange[],
  fn: (buf: Buffer, pos: number) => void,
): Promise<void> {
  const buf = Buffer.allocUnsafe(SCAN_WINDOW)
  for (const r of ranges) {
    const end = r.position + r.length
    let pos = r.position
    let winStart = 0
    let winLen = 0
    let lastSize = 0
    while (end - pos >= BATCH_HEADER_SIZE) {
      if (pos < winStart || pos + BATCH_HEADER_SIZE > winStart + winLen) {
        const want = Math.min(lastSize > SCAN_WINDOW / 4 ? BATCH_HEADER_SIZE : SCAN_WINDOW, end - pos)
        const got = await readFully(r.file, buf, 0, want, pos)
        winStart = pos
        winLen = got
        if (got < BATCH_HEADER_SIZE) break
      }
      let at = pos - winStart
      const size = buf.readInt32BE(at + BatchOffsets.batchLength) + LOG_OVERHEAD
      if (size < BATCH_HEADER_SIZE || size > end - pos) break
      const control = (buf.readInt16BE(at + BatchOffsets.attributes) & Attr.control) !== 0
      if (control && at + size > winLen && size <= SCAN_WINDOW) {
        const got = await readFully(r.file, buf, 0, size, pos)
        winStart = pos
        winLen = got
        at = 0
        if (got < size) break
      }
      fn(buf, at)
      pos += size
      lastSize = size
    }
  }
}

/**
 * The marker in the control batch at buf[pos..] (the whole batch must be there); null when its
 * record is not a transaction marker or does not parse.
 */
export function markerAt(buf: Buffer, pos: number): MarkerInfo | null {
  const size = buf.readInt32BE(pos + BatchOffsets.batchLength) + LOG_OVERHEAD
  if (pos + size > buf.length) return null
  try {
    for (const r of iterateRecords(buf.subarray(pos, pos + size), 0, { verifyCrc: false })) {
      const c = parseControlRecord(r)
      return c.marker === null
        ? null
        : { commit: c.marker === 'commit', coordinatorEpoch: c.coordinatorEpoch }
    }
  } catch {
    // A marker that does not parse closes the transaction without telling how (as a commit).
  }
  return null
}

/**
 * Replays the batch whose header is at buf[pos..] (the whole batch for a control batch) into the
 * manager; returns the aborted-index entry an abort marker yields, else null.
 */
export function replayHeader(
  m: ProducerStateManager,
  buf: Buffer,
  pos: number,
  now: number,
): AbortedTxn | null {
  const producerId = buf.readBigInt64BE(pos + BatchOffsets.producerId)
  const baseOffset = buf.readBigInt64BE(pos + BatchOffsets.baseOffset)
  const lastOffset = baseOffset + BigInt(buf.readInt32BE(pos + BatchOffsets.lastOffsetDelta))
  if (lastOffset + 1n > m.mapEndOffset) m.mapEndOffset = lastOffset + 1n
  if (producerId < 0n) return null
  const attributes = buf.readInt16BE(pos + BatchOffsets.attributes)
  const control = (attributes & Attr.control) !== 0
  return m.replay(
    producerId,
    buf.readInt16BE(pos + BatchOffsets.producerEpoch),
    buf.readInt32BE(pos + BatchOffsets.baseSequence),
    baseOffset,
    lastOffset,
    buf.readBigInt64BE(pos + BatchOffsets.maxTimestamp),
    {
      transactional: (attributes & Attr.transactional) !== 0,
      control,
      marker: control ? markerAt(buf, pos) : null,
    },
    now,
  )
}

export interface LoadProducerStateResult {
  /** Offset of the snapshot used, -1n when none. */
  snapshotOffset: bigint
  /** Batches replayed from the log after it. */
  replayedFrom: bigint
}

/** Rebuilds `m` for `log`: newest usable snapshot, then the log tail after it. */
export async function loadProducerState(
  m: ProducerStateManager,
  log: Log,
  fs: Fs,
  now: number,
  warn: (msg: string) => void = () => {},
): Promise<LoadProducerStateResult> {
  const leo = log.logEndOffset
  const start = log.logStartOffset
  const snap = await loadLatestSnapshot(fs, log.dir, leo, warn)
  m.clear(start)
  let from = start
  if (snap !== null && snap.offset >= start) {
    loadSnapshotEntries(m, snap.entries, now)
    m.mapEndOffset = snap.offset
    from = snap.offset
  }
  // Index entries from `from` on are rebuilt by the replay below.
  await truncateTxnIndexes(log.segmentList, from)
  const aborted: AbortedTxn[] = []
  if (from < leo) {
    // The ranges' handles are used for the whole scan: kept open meanwhile (open-files.ts).
    await pinnedAll(log.segmentList, async () => {
      const r = await log.read(from, Number.MAX_SAFE_INTEGER, { minOneBatch: true })
      await scanBatchHeaders(r.ranges, (buf, pos) => {
        // The first range may start at a batch holding `from` that the snapshot already covers.
        const last = buf.readBigInt64BE(pos) + BigInt(buf.readInt32BE(pos + BatchOffsets.lastOffsetDelta))
        if (last >= from) {
          const e = replayHeader(m, buf, pos, now)
          if (e !== null) aborted.push(e)
        }
      })
    })
  }
  if (aborted.length > 0) await appendAbortedTxns(log.segmentList, aborted)
  if (m.mapEndOffset < leo) m.mapEndOffset = leo
  m.truncateHead(start)
  return { snapshotOffset: snap?.offset ?? -1n, replayedFrom: from }
}

/**
 * Writes a snapshot at the map end offset and keeps only the newest SNAPSHOTS_KEPT. The state is
 * taken at once; `beforeWrite` (fsyncing the transaction indexes, which loading trusts below the
 * snapshot) runs between that and writing the file.
 */
export async function takeSnapshot(
  m: ProducerStateManager,
  fs: Fs,
  dir: string,
  beforeWrite: () => Promise<void> = async () => {},
): Promise<bigint> {
  const offset = m.mapEndOffset
  const entries = toSnapshotEntries(m)
  await beforeWrite()
  await writeSnapshot(fs, dir, offset, entries)
  const all = await listSnapshots(fs, dir)
  for (let i = 0; i < all.length - SNAPSHOTS_KEPT; i++) await deleteSnapshot(fs, dir, all[i])
  return offset
}
