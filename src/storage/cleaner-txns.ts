// What log compaction must know about transactions (Kafka's rules for the cleaner, over our own
// structures):
//
// - Compaction never reaches an unstable transaction: the cleanable range ends at or below the
//   first offset of a transaction still open at the high watermark (stableBound). The storage log
//   does not hold the producer state, so this is read from the log itself: batch headers from the
//   log start, a transactional data batch opening its producer's transaction and a control batch
//   closing it; only a marker below the high watermark makes a transaction stable.
// - The data of an aborted transaction (found through the aborted transactions index: a
//   transactional batch of the producer between the entry's firstOffset and its marker) is
//   dropped, and is left out of the key -> offset map (an aborted record must not hide an older
//   committed one).
// - A marker goes only once no data of its transaction remains below it and its segment is past
//   delete.retention.ms (a read_committed consumer that fetched the data before must still find
//   the marker). "No data remains" is judged in the pass: a marker is kept when a batch of its
//   transaction was met in the same pass (even one dropped in it), so it goes at the next pass.
// - The aborted index entry of an aborted transaction whose marker is rewritten is kept only
//   while the marker stays and data of the transaction was met in the pass; the entries of markers
//   outside the rewritten segments stay in those segments' indexes.
//
// One TxnCleaning lives for one pass over the cleanable segments, fed every batch in offset order.

import { BatchHeader, BatchOffsets } from '../records/batch-header.ts'
import { ControlType } from '../records/control.ts'
import { iterateRecords } from '../records/record-iterator.ts'
import type { LogSegment } from './log-segment.ts'
import type { AbortedTxn } from './transaction-index.ts'

/** Calls `fn` on every whole batch of a segment, in order (see log-cleaner.ts). */
export type BatchWalker = (
  seg: LogSegment,
  fn: (bytes: Buffer, info: { baseOffset: bigint; lastOffset: bigint }) => void | Promise<void>,
) => Promise<void>

/**
 * The offset compaction may not reach: `bound` (the high watermark, or lower) lowered to the first
 * offset of every transaction that starts below it and is not closed by a marker below `hw`.
 * Stops reading once past `bound` with no transaction left open from below it.
 */
export async function stableBound(
  segments: readonly LogSegment[],
  bound: bigint,
  hw: bigint,
  walk: BatchWalker,
): Promise<bigint> {
  const open = new Map<bigint, bigint>()
  let result = bound
  const STOP = Symbol('stop')
  try {
    for (const seg of segments) {
      await walk(seg, (bytes, info) => {
        if (info.baseOffset >= hw || (info.baseOffset >= bound && open.size === 0)) throw STOP
        const attrs = bytes.readInt16BE(BatchOffsets.attributes)
        if ((attrs & 0x10) === 0) return
        const pid = bytes.readBigInt64BE(BatchOffsets.producerId)
        if ((attrs & 0x20) !== 0) open.delete(pid)
        else if (!open.has(pid) && info.baseOffset < bound) open.set(pid, info.baseOffset)
      })
    }
  } catch (err) {
    if (err !== STOP) throw err
  }
  for (const first of open.values()) if (first < result) result = first
  return result
}

/** The transaction marker type of a control batch: 'commit', 'abort', or null (other control). */
export function markerType(bytes: Buffer): 'commit' | 'abort' | null {
  for (const r of iterateRecords(bytes, 0, { verifyCrc: false })) {
    if (r.key === null || r.key.length < 4) return null
    const type = r.key.readInt16BE(2)
    return type === ControlType.commit ? 'commit' : type === ControlType.abort ? 'abort' : null
  }
  return null
}

export class TxnCleaning {
  /** Aborted transactions by producer, from the indexes over the cleaned range. */
  private readonly aborted = new Map<bigint, AbortedTxn[]>()
  /** Aborted transactions whose data was met in this pass. */
  private readonly abortedSeen = new Set<AbortedTxn>()
  /** Producers whose (not aborted) transactional data was met since their last marker. */
  private readonly committedSeen = new Set<bigint>()
  /** Index entries for the markers kept since the last takeKeptEntries(), in marker order. */
  private keptEntries: AbortedTxn[] = []

  constructor(abortedTxns: readonly AbortedTxn[]) {
    for (const e of abortedTxns) {
      const l = this.aborted.get(e.producerId)
      if (l === undefined) this.aborted.set(e.producerId, [e])
      else l.push(e)
    }
  }

  /** The aborted transaction a data batch belongs to, if any (no state change). */
  abortedTxnOf(h: BatchHeader): AbortedTxn | null {
    if (!h.isTransactional || h.isControl) return null
    const l = this.aborted.get(h.producerId)
    if (l === undefined) return null
    for (const e of l) if (e.firstOffset <= h.baseOffset && h.lastOffset < e.lastOffset) return e
    return null
  }

  /**
   * Called for every batch of the pass, in offset order. For a data batch: true when it is aborted
   * data to drop whole. For a control batch: true when it may go once delete.retention.ms passed.
   */
  onBatch(bytes: Buffer, h: BatchHeader = new BatchHeader(bytes)): boolean {
    if (!h.isControl) {
      const e = this.abortedTxnOf(h)
      if (e !== null) {
        this.abortedSeen.add(e)
        return true
      }
      if (h.isTransactional) this.committedSeen.add(h.producerId)
      return false
    }
    if (!h.isTransactional) return false
    const type = markerType(bytes)
    if (type === null) return false
    // Data of this producer met since its last marker and not known as aborted: keep the marker
    // (for an abort, an index that lost its entry must not also lose the marker).
    if (this.committedSeen.delete(h.producerId)) return false
    if (type === 'commit') return true
    const e = this.aborted.get(h.producerId)?.find((x) => x.lastOffset === h.baseOffset)
    return e === undefined || !this.abortedSeen.has(e)
  }

  /** An abort marker stays in the rewritten segment: its entry stays if its data was met. */
  markerKept(h: BatchHeader): void {
    const e = this.aborted.get(h.producerId)?.find((x) => x.lastOffset === h.baseOffset)
    if (e !== undefined && this.abortedSeen.has(e)) this.keptEntries.push(e)
  }

  /** The entries for the index of the segment just rewritten. */
  takeKeptEntries(): AbortedTxn[] {
    const out = this.keptEntries
    this.keptEntries = []
    return out
  }
}
