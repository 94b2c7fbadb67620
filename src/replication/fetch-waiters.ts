// The fetches waiting for data on one partition (Kafka's delayed fetches, keyed by partition) and
// what the partition's writes tell them. Partition owns one and calls it from its write path;
// fetch-reader.ts registers its waiting fetches here through the partition.
//
// Three kinds of fetch wait for three bounds: a follower's for the log end (told of every write,
// with the bytes it added), a read_uncommitted consumer's for the high watermark and a
// read_committed consumer's for the last stable offset (told when the high watermark moves, with
// the bytes written since it last moved). No timers or polling per partition.

/** A fetch waiting for data on one or more partitions. */
export interface FetchWaiter {
  /** A write added `bytes` readable bytes. */
  onAppend(bytes: number): void
  /** Something else changed (leadership, deletion, shutdown): look again. */
  wake(): void
}

export class PartitionWaiters {
  /** The sets are made on first use: most partitions of a large broker have no waiter. */
  private waiters: Set<FetchWaiter> | null = null
  /** Follower fetches wait for the log end, consumer fetches for the high watermark. */
  private followerWaiters: Set<FetchWaiter> | null = null
  /** read_committed fetches wait for the last stable offset. */
  private committedWaiters: Set<FetchWaiter> | null = null
  /** Bytes written since the high watermark last moved (what consumers can see when it does). */
  private invisibleBytes = 0
  /** The high watermark and last stable offset when consumers were last told of visible data. */
  private hwDelivered = -1n
  private lsoDelivered = -2n

  /**
   * A follower's fetch waits for the log end to move, a consumer's for the high watermark, a
   * read_committed consumer's for the last stable offset.
   */
  register(w: FetchWaiter, follower: boolean, committed: boolean): void {
    if (follower) {
      this.followerWaiters ??= new Set()
      this.followerWaiters.add(w)
    } else if (committed) {
      this.committedWaiters ??= new Set()
      this.committedWaiters.add(w)
    } else {
      this.waiters ??= new Set()
      this.waiters.add(w)
    }
  }

  unregister(w: FetchWaiter): void {
    this.waiters?.delete(w)
    this.followerWaiters?.delete(w)
    this.committedWaiters?.delete(w)
  }

  /** Every waiter looks again (leadership moved, the partition closed). */
  wakeAll(): void {
    for (const set of [this.waiters, this.followerWaiters, this.committedWaiters])
      if (set !== null) for (const w of [...set]) w.wake()
  }

  /** A leader's write added `bytes` to the log: followers' fetches hear of it at once. */
  written(bytes: number): void {
    if (bytes <= 0) return
    this.invisibleBytes += bytes
    // A waiter that finishes unregisters itself: deleting the visited entry of a Set is safe.
    if (this.followerWaiters !== null) for (const w of this.followerWaiters) w.onAppend(bytes)
  }

  /** A follower's append added `bytes`, visible to its consumers once its high watermark moves. */
  writtenAsFollower(bytes: number): void {
    this.invisibleBytes += bytes
  }

  /**
   * The high watermark moved (now `hw`, the last stable offset `lso`): consumers' waiting fetches
   * hear of the bytes now visible.
   */
  deliver(hw: bigint, lso: bigint): void {
    const bytes = this.invisibleBytes
    this.invisibleBytes = 0
    if (this.waiters !== null) for (const w of this.waiters) w.onAppend(bytes > 0 ? bytes : 1)
    if (this.committedWaiters !== null && this.committedWaiters.size > 0 && lso !== this.lsoDelivered) {
      // Without transactions in the way the bytes are exact; otherwise the fetch reads again.
      const plain = this.lsoDelivered === this.hwDelivered && lso === hw
      for (const w of this.committedWaiters) plain ? w.onAppend(bytes > 0 ? bytes : 1) : w.wake()
    }
    this.lsoDelivered = lso
    this.hwDelivered = hw
  }
}
