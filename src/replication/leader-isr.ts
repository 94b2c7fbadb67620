// The leader's half of a replicated partition, for one leader epoch (Partition creates one on
// becoming leader and drops it on losing leadership): its followers' fetch state, the maximal ISR
// the high watermark is computed over (the committed ISR plus followers being added), ISR changes
// sent to the controller through AlterPartition, and the acks=all produces waiting for the high
// watermark. Partition owns the log and the partition state; this asks it to move the high
// watermark and to take a new committed ISR.

import type { Clock } from '../common/clock.ts'
import type { Uuid } from '../common/ids.ts'
import type { Logger } from '../common/logger.ts'
import { makePartition, type PartitionImage } from '../metadata/image.ts'
import { ErrorCode } from '../protocol/generated/error-codes.ts'
import type { Log } from '../storage/log.ts'
import type { FollowerView } from './replica-selector.ts'
import { ReplicaTracker } from './replica-tracker.ts'

/** What the partition needs of the AlterPartition sender (alter-partition-manager.ts). */
export type AlterIsr = (item: {
  topic: string
  topicId: Uuid
  partition: number
  leaderEpoch: number
  partitionEpoch: number
  newIsr: readonly number[]
  newIsrEpochs: readonly bigint[]
}) => Promise<{ errorCode: number; leaderEpoch: number; isr: readonly number[]; partitionEpoch: number }>

/** The partition, as the leader side sees it. */
export interface LeaderHost {
  readonly name: string
  readonly topic: string
  readonly topicId: Uuid
  readonly index: number
  readonly localBrokerId: number
  readonly log: Log
  readonly clock: Clock
  readonly logger: Logger
  /** The current partition state (leader, epochs, replicas, committed ISR). */
  readonly state: PartitionImage
  /** Takes a new committed ISR (an accepted AlterPartition) and lets the high watermark move. */
  commitIsr(state: PartitionImage): void
  /** Follower progress: the high watermark may move. */
  followersMoved(): void
}

/** An acks=all write waiting for the high watermark to reach `offset` (acks-wait.ts). */
export interface AckWaiter {
  readonly offset: bigint
  readonly minIsr: number
  /** Called once: NONE, NOT_ENOUGH_REPLICAS_AFTER_APPEND, or why leadership ended. */
  done(errorCode: number): void
}

export class LeaderIsr {
  private readonly host: LeaderHost
  private readonly alterIsr: AlterIsr | null
  private readonly tracker: ReplicaTracker
  /** Log end when this broker became leader: a follower joins the ISR only past it. */
  private readonly epochStartOffset: bigint
  /** The ISR sent to the controller and not answered yet. */
  private pendingIsr: readonly number[] | null = null
  /** acks=all produces waiting for the high watermark, in offset order. */
  private readonly ackWaiters: AckWaiter[] = []

  constructor(host: LeaderHost, alterIsr: AlterIsr | null) {
    this.host = host
    this.alterIsr = alterIsr
    const s = host.state
    this.tracker = new ReplicaTracker(host.localBrokerId, s.replicas, s.isr, host.clock.now())
    this.epochStartOffset = host.log.logEndOffset
  }

  /** A new state of the same leader epoch (replicas or committed ISR changed). */
  stateChanged(prev: PartitionImage, next: PartitionImage): void {
    this.tracker.setReplicas(next.replicas)
    if (next.partitionEpoch > prev.partitionEpoch) this.pendingIsr = null
  }

  /** The committed ISR, plus followers being added (they count for the high watermark already). */
  private maximalIsr(): readonly number[] {
    const isr = this.host.state.isr
    const pending = this.pendingIsr
    if (pending === null) return isr
    const out = [...isr]
    for (const id of pending) if (!out.includes(id)) out.push(id)
    return out
  }

  /**
   * The high watermark the maximal ISR allows with this log ending at `leo`: its smallest log end
   * (`leo` when this broker is alone in it); null while a member's log end is unknown.
   */
  highWatermark(leo: bigint): bigint | null {
    const isr = this.maximalIsr()
    const alone = isr.length === 0 || (isr.length === 1 && isr[0] === this.host.localBrokerId)
    return alone ? leo : this.tracker.highWatermark(isr, leo)
  }

  /** A follower fetched from `fetchOffset` (its log end) while this log ended at `leaderLeo`. */
  onFollowerFetch(
    replicaId: number,
    fetchOffset: bigint,
    logStartOffset: bigint,
    brokerEpoch: bigint,
    leaderLeo: bigint,
  ): void {
    const now = this.host.clock.now()
    if (!this.tracker.onFetch(replicaId, fetchOffset, logStartOffset, now, leaderLeo, brokerEpoch)) return
    this.host.followersMoved()
    this.maybeExpandIsr()
  }

  private maybeExpandIsr(): void {
    if (this.pendingIsr !== null || this.alterIsr === null) return
    const isr = this.host.state.isr
    const add = this.tracker.caughtUpOutside(isr, this.host.log.highWatermark, this.epochStartOffset)
    if (add !== null) this.submitIsr([...isr, ...add])
  }

  /** Drops ISR members that were not caught up for `maxLagMs` (replica.lag.time.max.ms). */
  maybeShrinkIsr(now: number, maxLagMs: number): void {
    if (this.pendingIsr !== null || this.alterIsr === null) return
    const isr = this.host.state.isr
    const lagging = this.tracker.laggingIn(isr, now, maxLagMs)
    if (lagging.length === 0) return
    this.host.logger.info(
      `Shrinking ISR of ${this.host.name} from ${isr.join(',')} (lagging: ${lagging.join(',')})`,
    )
    this.submitIsr(isr.filter((id) => !lagging.includes(id)))
  }

  private submitIsr(newIsr: readonly number[]): void {
    const alter = this.alterIsr
    if (alter === null) return
    const h = this.host
    this.pendingIsr = newIsr
    const epoch = h.state.leaderEpoch
    alter({
      topic: h.topic,
      topicId: h.topicId,
      partition: h.index,
      leaderEpoch: epoch,
      partitionEpoch: h.state.partitionEpoch,
      newIsr,
      newIsrEpochs: newIsr.map((id) => (id === h.localBrokerId ? -1n : this.tracker.brokerEpoch(id))),
    }).then(
      (r) => this.onIsrAnswer(epoch, newIsr, r),
      (err) => {
        h.logger.warn(`ISR change of ${h.name} failed: ${err}`)
        if (this.pendingIsr === newIsr) this.pendingIsr = null
      },
    )
  }

  private onIsrAnswer(
    epoch: number,
    asked: readonly number[],
    r: { errorCode: number; leaderEpoch: number; isr: readonly number[]; partitionEpoch: number },
  ): void {
    const h = this.host
    // A leader that moved on dropped this object; a newer epoch of ours ignores an old answer.
    if (h.state.leaderEpoch !== epoch || this.pendingIsr !== asked) return
    this.pendingIsr = null
    if (r.errorCode !== ErrorCode.NONE) {
      // The metadata will bring the current state (a newer epoch, or the committed ISR).
      h.logger.info(`ISR change of ${h.name} to ${asked.join(',')} refused: error ${r.errorCode}`)
      return
    }
    if (r.leaderEpoch !== epoch || r.partitionEpoch <= h.state.partitionEpoch) return
    h.logger.info(`ISR of ${h.name} is now ${r.isr.join(',')} (partition epoch ${r.partitionEpoch})`)
    h.commitIsr(makePartition({ ...h.state, isr: r.isr, partitionEpoch: r.partitionEpoch }))
  }

  /** An acks=all produce waiting for the high watermark: answered now if it is there already. */
  waitForAcks(w: AckWaiter): void {
    if (this.host.log.highWatermark >= w.offset) w.done(this.ackCode(w.minIsr))
    else this.ackWaiters.push(w)
  }

  /** Drops a waiter that gave up (its request timed out). */
  cancelAcks(w: AckWaiter): void {
    const i = this.ackWaiters.indexOf(w)
    if (i >= 0) this.ackWaiters.splice(i, 1)
  }

  private ackCode(minIsr: number): number {
    return this.host.state.isr.length < minIsr ? ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND : ErrorCode.NONE
  }

  /** Answers the waiters the high watermark now covers. */
  completeAcks(): void {
    const waiters = this.ackWaiters
    if (waiters.length === 0) return
    const hw = this.host.log.highWatermark
    // One at a time from the front (in offset order): a waiter's answer may cancel others of its
    // request, here or on other partitions, so nothing is held across done().
    while (waiters.length > 0 && waiters[0]!.offset <= hw) {
      const w = waiters.shift()!
      w.done(this.ackCode(w.minIsr))
    }
  }

  /** The waiters of the previous leader epoch of this broker (they still wait for the high watermark). */
  adoptAcks(previous: LeaderIsr): void {
    this.ackWaiters.push(...previous.ackWaiters.splice(0))
    this.completeAcks()
  }

  /** Leadership ended (or the partition closed): every waiter gets `code`. */
  failAcks(code: number): void {
    for (const w of this.ackWaiters.splice(0)) w.done(code)
  }

  /** Followers' lag behind this leader's log end. */
  followerLags(): Map<number, bigint> {
    return this.tracker.lags(this.host.log.logEndOffset)
  }

  /** The replica selector's view of the followers (KIP-392). */
  followerViews(): FollowerView[] {
    const h = this.host
    const now = h.clock.now()
    const out: FollowerView[] = []
    for (const id of h.state.replicas) {
      if (id === h.localBrokerId) continue
      const v = this.tracker.view(id, now)
      out.push({
        id,
        logEndOffset: this.tracker.logEndOffset(id),
        logStartOffset: v?.logStartOffset ?? -1n,
        timeSinceLastCaughtUpMs: v?.timeSinceLastCaughtUpMs ?? 0,
      })
    }
    return out
  }
}
