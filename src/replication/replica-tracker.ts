// The leader's view of its followers (Kafka's Replica state inside Partition): each follower's log
// end offset as its last fetch said, when it last fetched, and when it was last caught up — fully
// at the leader's log end, or at the log end the leader had at its previous fetch. From these:
// - the high watermark: the smallest log end offset over the maximal ISR (the committed ISR plus a
//   pending expansion; a pending shrink still counts until the controller accepted it), never
//   lower than it was;
// - followers to add to the ISR: outside it, at or past the high watermark and past the start of
//   the current leader epoch;
// - ISR members to drop: not caught up for replica.lag.time.max.ms.
// Pure bookkeeping, no I/O; the Partition owns one while it leads.

export const UNKNOWN_OFFSET = -1n

interface FollowerState {
  readonly id: number
  logEndOffset: bigint
  logStartOffset: bigint
  lastFetchTimeMs: number
  lastCaughtUpTimeMs: number
  /** The leader's log end at the follower's previous fetch. */
  lastFetchLeaderLogEndOffset: bigint
  brokerEpoch: bigint
}

/**
 * Shared by every tracker without followers (replication factor 1: most partitions of a large
 * standalone broker); only ever read or deleted from, a tracker makes its own map to add one.
 */
const NO_FOLLOWERS = new Map<number, FollowerState>()

export class ReplicaTracker {
  private readonly localId: number
  private followers = NO_FOLLOWERS

  /**
   * `isr` members start as caught up now (they were in sync under the previous leader), the others
   * as never caught up; every log end offset is unknown until the follower fetches.
   */
  constructor(localId: number, replicas: readonly number[], isr: readonly number[], now: number) {
    this.localId = localId
    for (const id of replicas) {
      if (id === localId) continue
      this.own().set(id, {
        id,
        logEndOffset: UNKNOWN_OFFSET,
        logStartOffset: UNKNOWN_OFFSET,
        lastFetchTimeMs: 0,
        lastCaughtUpTimeMs: isr.includes(id) ? now : 0,
        lastFetchLeaderLogEndOffset: UNKNOWN_OFFSET,
        brokerEpoch: -1n,
      })
    }
  }

  /** Replicas changed (reassignment): new followers are added, removed ones dropped. */
  setReplicas(replicas: readonly number[]): void {
    for (const id of [...this.followers.keys()]) if (!replicas.includes(id)) this.followers.delete(id)
    for (const id of replicas) {
      if (id === this.localId || this.followers.has(id)) continue
      this.own().set(id, {
        id,
        logEndOffset: UNKNOWN_OFFSET,
        logStartOffset: UNKNOWN_OFFSET,
        lastFetchTimeMs: 0,
        lastCaughtUpTimeMs: 0,
        lastFetchLeaderLogEndOffset: UNKNOWN_OFFSET,
        brokerEpoch: -1n,
      })
    }
  }

  private own(): Map<number, FollowerState> {
    if (this.followers === NO_FOLLOWERS) this.followers = new Map()
    return this.followers
  }

  isReplica(id: number): boolean {
    return this.followers.has(id)
  }

  /** A follower fetched from `fetchOffset` (its log end) while the leader's log ended at `leaderLeo`. */
  onFetch(
    id: number,
    fetchOffset: bigint,
    logStartOffset: bigint,
    now: number,
    leaderLeo: bigint,
    brokerEpoch: bigint,
  ): boolean {
    const f = this.followers.get(id)
    if (f === undefined) return false
    if (fetchOffset >= leaderLeo) f.lastCaughtUpTimeMs = now
    else if (f.lastFetchLeaderLogEndOffset !== UNKNOWN_OFFSET && fetchOffset >= f.lastFetchLeaderLogEndOffset)
      f.lastCaughtUpTimeMs = Math.max(f.lastCaughtUpTimeMs, f.lastFetchTimeMs)
    f.logEndOffset = fetchOffset
    f.logStartOffset = logStartOffset
    f.lastFetchLeaderLogEndOffset = leaderLeo
    f.lastFetchTimeMs = now
    if (brokerEpoch >= 0n) f.brokerEpoch = brokerEpoch
    return true
  }

  logEndOffset(id: number): bigint {
    return this.followers.get(id)?.logEndOffset ?? UNKNOWN_OFFSET
  }

  /** A follower's log start and how long ago it was last caught up (the replica selector's view). */
  view(id: number, now: number): { logStartOffset: bigint; timeSinceLastCaughtUpMs: number } | null {
    const f = this.followers.get(id)
    return f === undefined
      ? null
      : { logStartOffset: f.logStartOffset, timeSinceLastCaughtUpMs: now - f.lastCaughtUpTimeMs }
  }

  brokerEpoch(id: number): bigint {
    return this.followers.get(id)?.brokerEpoch ?? -1n
  }

  /**
   * The high watermark the maximal ISR allows: the smallest log end offset over its members
   * (the leader's own is `leaderLeo`); null while a member's log end is unknown.
   */
  highWatermark(maximalIsr: readonly number[], leaderLeo: bigint): bigint | null {
    let hw = leaderLeo
    for (let i = 0; i < maximalIsr.length; i++) {
      const id = maximalIsr[i]!
      if (id === this.localId) continue
      const leo = this.followers.get(id)?.logEndOffset ?? UNKNOWN_OFFSET
      if (leo === UNKNOWN_OFFSET) return null
      if (leo < hw) hw = leo
    }
    return hw
  }

  /**
   * Followers outside `isr` that may join it; null when none (asked at every follower fetch, so
   * the usual answer, everyone in the ISR already, allocates nothing).
   */
  caughtUpOutside(
    isr: readonly number[],
    highWatermark: bigint,
    leaderEpochStartOffset: bigint,
  ): number[] | null {
    let out: number[] | null = null
    for (const f of this.followers.values()) {
      const id = f.id
      if (isr.includes(id)) continue
      if (
        f.logEndOffset !== UNKNOWN_OFFSET &&
        f.logEndOffset >= highWatermark &&
        f.logEndOffset >= leaderEpochStartOffset
      ) {
        if (out === null) out = [id]
        else out.push(id)
      }
    }
    return out
  }

  /** ISR members (other than the leader) not caught up within `maxLagMs`. */
  laggingIn(isr: readonly number[], now: number, maxLagMs: number): number[] {
    const out: number[] = []
    for (const id of isr) {
      if (id === this.localId) continue
      const f = this.followers.get(id)
      if (f === undefined || now - f.lastCaughtUpTimeMs > maxLagMs) out.push(id)
    }
    return out
  }

  /** Per-follower lag for DescribeLogDirs and tools: leader log end minus the follower's. */
  lags(leaderLeo: bigint): Map<number, bigint> {
    const m = new Map<number, bigint>()
    for (const [id, f] of this.followers)
      m.set(id, f.logEndOffset === UNKNOWN_OFFSET ? leaderLeo : leaderLeo - f.logEndOffset)
    return m
  }
}
