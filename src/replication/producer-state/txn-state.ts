// The transactions of one partition, as Kafka's ProducerStateManager keeps them: which are open
// (a producer's first transactional batch opened one, its marker has not been written) and which
// are completed but not yet replicated (the marker is at or above the high watermark). Both hold
// the last stable offset back:
//
//   firstUnstableOffset = min(first offset of every open or unreplicated transaction)
//   lastStableOffset    = max(logStartOffset, min(firstUnstableOffset, highWatermark))
//
// read_committed consumers read below the last stable offset. A completed transaction leaves the
// unreplicated set once the high watermark passed its marker (checked lazily, whenever the
// offset is asked for). Partitions without transactions keep both maps empty, so the hot path
// pays one size check.

/** An open transaction, or a completed one awaiting replication (lastOffset: its marker). */
export interface TxnMetadata {
  producerId: bigint
  firstOffset: bigint
  /** The marker's offset once completed; -1n while open. */
  lastOffset: bigint
}

/** A transaction ended by a marker at lastOffset. */
export interface CompletedTxn {
  producerId: bigint
  firstOffset: bigint
  lastOffset: bigint
  aborted: boolean
}

/** Read in place of a map not made yet: most partitions never see a transaction. */
const NONE: ReadonlyMap<bigint, TxnMetadata> = new Map()

export class TxnState {
  private open: Map<bigint, TxnMetadata> | null = null
  private completed: Map<bigint, TxnMetadata> | null = null

  /** Open transactions by first offset. */
  get ongoing(): ReadonlyMap<bigint, TxnMetadata> {
    return this.open ?? NONE
  }
  /** Completed transactions whose marker the high watermark has not passed, by first offset. */
  get unreplicated(): ReadonlyMap<bigint, TxnMetadata> {
    return this.completed ?? NONE
  }

  get isEmpty(): boolean {
    return (
      (this.open === null || this.open.size === 0) && (this.completed === null || this.completed.size === 0)
    )
  }

  begin(producerId: bigint, firstOffset: bigint): void {
    this.open ??= new Map()
    this.open.set(firstOffset, { producerId, firstOffset, lastOffset: -1n })
  }

  /**
   * Kafka's lastStableOffset(completedTxn), stored in the aborted index entry: the first offset of
   * the earliest other open transaction, else the offset after the marker.
   */
  lastStableOffsetAfter(c: CompletedTxn): bigint {
    let min = -1n
    for (const t of this.ongoing.values())
      if (t.producerId !== c.producerId && (min < 0n || t.firstOffset < min)) min = t.firstOffset
    return min >= 0n ? min : c.lastOffset + 1n
  }

  complete(c: CompletedTxn): void {
    this.open?.delete(c.firstOffset)
    this.completed ??= new Map()
    this.completed.set(c.firstOffset, {
      producerId: c.producerId,
      firstOffset: c.firstOffset,
      lastOffset: c.lastOffset,
    })
  }

  /** The smallest first offset of an open or unreplicated transaction, -1n when none. */
  firstUnstableOffset(highWatermark: bigint): bigint {
    if (this.unreplicated.size > 0) this.removeUnreplicatedBelow(highWatermark)
    let min = -1n
    for (const t of this.ongoing.values()) if (min < 0n || t.firstOffset < min) min = t.firstOffset
    for (const t of this.unreplicated.values()) if (min < 0n || t.firstOffset < min) min = t.firstOffset
    return min
  }

  /** Completed transactions whose marker is below `offset` are stable. */
  removeUnreplicatedBelow(offset: bigint): void {
    const done = this.completed
    if (done !== null) for (const [k, t] of done) if (t.lastOffset < offset) done.delete(k)
  }

  /** The producers' transactions go (their state was evicted). */
  removeProducers(ids: ReadonlySet<bigint>): void {
    const open = this.open
    if (ids.size === 0 || open === null) return
    for (const [k, t] of open) if (ids.has(t.producerId)) open.delete(k)
  }

  clear(): void {
    this.open = null
    this.completed = null
  }
}
