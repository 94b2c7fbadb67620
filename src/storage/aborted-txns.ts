// The aborted transactions of a log, over its segments' transaction indexes (transaction-index.ts):
// what a read_committed fetch must be told about, and the upkeep the producer state
// (replication/unified-log.ts) does when it writes or replays abort markers. Each entry lives in
// the index of the segment holding its marker (its lastOffset), as in Kafka. Functions take a
// snapshot of the segment list (Log.segmentList) and never wait for the log's writer.

import { BATCH_HEADER_SIZE, BatchOffsets, LOG_OVERHEAD } from '../records/batch-header.ts'
import type { LogSegment } from './log-segment.ts'
import { floorSegmentIndex } from './log-segments.ts'
import type { AbortedTxn, TransactionIndex } from './transaction-index.ts'

/**
 * Kafka's collectAbortedTransactions: the aborted transactions overlapping [fetchOffset,
 * upperBound) (lastOffset >= fetchOffset, firstOffset < upperBound), from the segment holding
 * fetchOffset onwards until an entry shows no later one can overlap. Segments known to have no
 * entry cost nothing.
 */
export async function collectAbortedTxns(
  segments: readonly LogSegment[],
  fetchOffset: bigint,
  upperBound: bigint,
): Promise<AbortedTxn[]> {
  const out: AbortedTxn[] = []
  for (let i = Math.max(0, floorSegmentIndex(segments, fetchOffset)); i < segments.length; i++) {
    const idx = segments[i].txnIndex
    if (!idx.mayHaveEntries) continue
    await idx.ensureLoaded()
    if (idx.collect(fetchOffset, upperBound, out)) break
  }
  return out
}

/**
 * The aborted transactions overlapping `records` (whole batches read from `fetchOffset`): the
 * bound is the offset after the last batch, read from the batch headers (no record is decoded).
 */
export function abortedTxnsOverlapping(
  segments: readonly LogSegment[],
  fetchOffset: bigint,
  records: Buffer,
): Promise<AbortedTxn[]> {
  if (records.length === 0) return Promise.resolve([])
  let end = fetchOffset
  for (let pos = 0; pos + BATCH_HEADER_SIZE <= records.length; ) {
    end = records.readBigInt64BE(pos) + BigInt(records.readInt32BE(pos + BatchOffsets.lastOffsetDelta)) + 1n
    pos += records.readInt32BE(pos + BatchOffsets.batchLength) + LOG_OVERHEAD
  }
  return collectAbortedTxns(segments, fetchOffset, end)
}

/** The index a marker at `offset` belongs to, loaded (so appending to it is synchronous). */
export async function txnIndexFor(
  segments: readonly LogSegment[],
  offset: bigint,
): Promise<TransactionIndex> {
  const i = floorSegmentIndex(segments, offset)
  const idx = segments[Math.max(0, i)].txnIndex
  await idx.ensureLoaded()
  return idx
}

/** Appends entries (in marker order) to their segments' indexes and writes the files. */
export async function appendAbortedTxns(segments: readonly LogSegment[], entries: readonly AbortedTxn[]) {
  const touched = new Set<TransactionIndex>()
  for (const e of entries) {
    const idx = await txnIndexFor(segments, e.lastOffset)
    idx.append(e)
    touched.add(idx)
  }
  for (const idx of touched) await idx.write()
}

/** Drops every entry whose marker is at or after `offset` (before the producer state replays from it). */
export async function truncateTxnIndexes(segments: readonly LogSegment[], offset: bigint): Promise<void> {
  for (let i = Math.max(0, floorSegmentIndex(segments, offset)); i < segments.length; i++)
    await segments[i].truncateTxnIndex(offset)
}

/** Every entry of the log, in segment order (tools and tests). */
export async function allAbortedTxns(segments: readonly LogSegment[]): Promise<AbortedTxn[]> {
  const out: AbortedTxn[] = []
  for (const s of segments) {
    if (!s.txnIndex.mayHaveEntries) continue
    await s.txnIndex.ensureLoaded()
    out.push(...s.txnIndex.entries())
  }
  return out
}
