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

export class TxnState {
  /** Open transactions by first offset. */
  readonly ongoing = new Map<bigint, TxnMetadata>()
  /** Completed transactions whose marker the high watermark has not passed, by first offset. */
  readonly unreplicated = new Map<bigint, TxnMetadata>()

  get isEmpty(): boolean {
    return this.ongoing.size === 0 && this.unreplicated.size === 0
  }

  begin(producerId: bigint, firstOffset: bigint): void {
    this.ongoing.set(firstOffset, { producerId, firstOffset, lastOffset: -1n })
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
    this.ongoing.delete(c.firstOffset)
    this.unreplicated.set(c.firstOffset, {
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
    for (const [k, t] of this.unreplicated) if (t.lastOffset < offset) this.unreplicated.delete(k)
  }

  /** The producers' transactions go (their state was evicted). */
  removeProducers(ids: ReadonlySet<bigint>): void {
    if (ids.size === 0) return
    for (const [k, t] of this.ongoing) if (ids.has(t.producerId)) this.ongoing.delete(k)
  }

  clear(): void {
    this.ongoing.clear()
    this.unreplicated.clear()
  }
}
