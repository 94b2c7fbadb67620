// One replica fetcher: copies the partitions this broker follows from one leader broker (Kafka's
// AbstractFetcherThread + ReplicaFetcherThread, one per leader and fetcher id). An async loop, never
// busy: build one Fetch of every partition that is ready, await the answer, apply it, repeat; with
// nothing ready it sleeps until a partition is added or a back-off ends.
//
// Per partition (the response for a partition is applied only while its state is the one the
// request was built from, at the same fetch offset; removal or replacement drops late answers):
// - records → FollowerLog.appendAsFollower (also with no records: the high watermark follows the
//   leader), then fetch from the new log end with its latest epoch as lastFetchedEpoch;
// - divergingEpoch (KIP-320/595) → truncate to min(our end offset for that epoch, the leader's end
//   offset, our LEO), or only to our end of the largest epoch below it when we never had the
//   leader's epoch (the next fetch then finds the next divergence), and fetch from the new LEO;
// - OFFSET_OUT_OF_RANGE → ask the leader for its log end: above it, truncate to it; else ask for its
//   log start: beyond our LEO, start over empty there, else fetch from our LEO;
// - FENCED_LEADER_EPOCH with our current epoch → the partition fails: it stays out of fetching until
//   it is added again with a newer epoch (Kafka's failed partitions);
// - NOT_LEADER_OR_FOLLOWER, UNKNOWN_LEADER_EPOCH, UNKNOWN_TOPIC_*, anything else, and ListOffsets
//   trouble while handling out of range → the partition is delayed by backoffMs (metadata will
//   move it or the leader catch up);
// - an append error: corrupt data, and a full disk that refused an append it could undo, are
//   retried after the back-off; any other storage error fails the partition, as Kafka does;
// - the whole request failing (connection, timeout) → every partition is delayed by backoffMs.
// Replication throttles (KIP-73): a partition the follower quota throttles is left out of the
// fetch while the quota is exceeded, unless it is in sync (lag 0 at the last answer), as Kafka's
// shouldFollowerThrottle; the bytes appended for throttled partitions are recorded against the
// quota. When only held partitions are left, the loop sleeps replica.fetch.backoff.ms, as Kafka's
// fetcher does with nothing to fetch. Without a throttled partition here this costs one check.
// removePartitions resolves once nothing more is applied to those logs: the state is dropped at
// once, and an append or truncation already running for it is awaited. A partition added with the
// same leader epoch keeps its state; a new epoch (or another FollowerLog object) replaces it.

import type { Clock, Timer } from '../../common/clock.ts'
import type { Logger } from '../../common/logger.ts'
import { ErrorCode, errorName } from '../../protocol/generated/error-codes.ts'
import { isStorageError, StorageErrorCode } from '../../storage/storage-error.ts'
import type { ReplicaQuota } from '../replication-quota.ts'
import { divergenceTruncationOffset, type EpochEndOffset } from './divergence.ts'
import {
  type FetcherConfig,
  type PartitionFetchView,
  type TopicPartitionKey,
  tpKey,
} from './fetcher-config.ts'
import type { FollowerLog } from './follower-log.ts'
import {
  type FetchPartitionData,
  type FetchPartitionRequest,
  type LeaderEndPoint,
  LeaderPartitionError,
} from './leader-endpoint.ts'

interface PartitionState {
  readonly key: string
  readonly log: FollowerLog
  readonly currentLeaderEpoch: number
  /** False until the first fetch reads the offset and epoch from the log. */
  initialized: boolean
  fetchOffset: bigint
  lastFetchedEpoch: number
  delayedUntil: number | null
  lag: bigint | null
  /** Not fetched before this settles (another thread may still be applying to the log). */
  gate: Promise<void> | null
  /** The append or truncation running on the log now. */
  applying: Promise<void> | null
}

interface SentPartition {
  readonly state: PartitionState
  readonly fetchOffset: bigint
}

export interface FetcherThreadOptions {
  /** For logs, e.g. `ReplicaFetcherThread-0-2`. */
  name: string
  /** Owned by the thread: closed by stop(). */
  endpoint: LeaderEndPoint
  clock: Clock
  logger: Logger
  config: FetcherConfig
  /** The follower replication quota (KIP-73); absent or null: no throttling. */
  quota?: ReplicaQuota | null
}

export interface AddPartition {
  log: FollowerLog
  leaderEpoch: number
  /** The partition is not fetched before this settles. */
  after?: Promise<void>
}

const EMPTY = Buffer.alloc(0)

export class FetcherThread {
  readonly name: string
  readonly leaderId: number
  private readonly endpoint: LeaderEndPoint
  private readonly clock: Clock
  private readonly log: Logger
  private readonly config: FetcherConfig
  private readonly quota: ReplicaQuota | null
  /** Clock time at which partitions held back by the quota are looked at again; null: none held. */
  private heldUntil: number | null = null
  /** In fetch order: a partition moves to the end when it got data or an error (fairness). */
  private readonly states = new Map<string, PartitionState>()
  private readonly failed = new Map<string, TopicPartitionKey>()
  private loop: Promise<void> | null = null
  private stopped = false
  private wake: (() => void) | null = null

  constructor(o: FetcherThreadOptions) {
    this.name = o.name
    this.leaderId = o.endpoint.leaderId
    this.endpoint = o.endpoint
    this.clock = o.clock
    this.log = o.logger
    this.config = o.config
    this.quota = o.quota ?? null
  }

  start(): void {
    if (this.loop !== null || this.stopped) return
    this.loop = this.run().catch((err) => this.log.error(`[${this.name}] fetcher loop ended`, err))
  }

  /** Ends the loop (a fetch in flight is abandoned by closing the endpoint); resolves when it has. */
  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true
      this.endpoint.close()
      this.signal()
    }
    await this.loop
    await Promise.all([...this.states.values()].map((s) => s.applying))
  }

  get isStopped(): boolean {
    return this.stopped
  }

  addPartitions(items: readonly AddPartition[]): void {
    const added: string[] = []
    for (const { log, leaderEpoch, after } of items) {
      const key = tpKey(log.topic, log.partition)
      this.failed.delete(key)
      const cur = this.states.get(key)
      if (cur !== undefined && cur.currentLeaderEpoch === leaderEpoch && cur.log === log) continue
      // A replaced state's late answers are dropped; the loop fetches it again only after the
      // response being applied now (if any) is done, so the new offset is read afterwards.
      this.states.delete(key)
      const st: PartitionState = {
        key,
        log,
        currentLeaderEpoch: leaderEpoch,
        initialized: false,
        fetchOffset: -1n,
        lastFetchedEpoch: -1,
        delayedUntil: null,
        lag: null,
        gate: after ?? null,
        applying: null,
      }
      this.states.set(key, st)
      if (after !== undefined) {
        const open = (): void => {
          if (st.gate === after) st.gate = null
          this.signal()
        }
        after.then(open, open)
      }
      added.push(`${key}@${leaderEpoch}`)
    }
    if (added.length > 0)
      this.log.info(
        `[${this.name}] Fetching from broker ${this.leaderId}: ${added.join(', ')} (partition@leader epoch)`,
      )
    this.signal()
  }

  /** Stops fetching these partitions; resolves once no response will be applied to them. */
  async removePartitions(keys: readonly TopicPartitionKey[]): Promise<void> {
    const running: Promise<void>[] = []
    for (const k of keys) {
      const key = tpKey(k.topic, k.partition)
      this.failed.delete(key)
      const st = this.states.get(key)
      if (st === undefined) continue
      this.states.delete(key)
      if (st.applying !== null) running.push(st.applying)
    }
    await Promise.all(running)
  }

  /** Partitions being fetched or waiting to be (failed ones excluded, as in Kafka). */
  partitionCount(): number {
    return this.states.size
  }

  has(topic: string, partition: number): boolean {
    return this.states.has(tpKey(topic, partition))
  }

  fetchState(topic: string, partition: number): PartitionFetchView | undefined {
    const st = this.states.get(tpKey(topic, partition))
    if (st === undefined) return undefined
    return {
      fetchOffset: st.initialized ? st.fetchOffset : st.log.logEndOffset(),
      currentLeaderEpoch: st.currentLeaderEpoch,
      lastFetchedEpoch: st.initialized ? st.lastFetchedEpoch : st.log.latestEpoch(),
      delayedUntil: st.delayedUntil,
      lag: st.lag,
    }
  }

  /** Partitions that failed (fenced, storage errors) and wait to be added again. */
  failedPartitions(): TopicPartitionKey[] {
    return [...this.failed.values()]
  }

  // --- the loop ---

  private async run(): Promise<void> {
    while (!this.stopped) {
      const sent = this.buildFetch()
      if (sent.size === 0) {
        await this.idle()
        continue
      }
      const requests: FetchPartitionRequest[] = []
      for (const { state, fetchOffset } of sent.values()) {
        requests.push({
          topic: state.log.topic,
          topicId: state.log.topicId,
          partition: state.log.partition,
          fetchOffset,
          lastFetchedEpoch: state.lastFetchedEpoch,
          currentLeaderEpoch: state.currentLeaderEpoch,
          logStartOffset: state.log.logStartOffset(),
          partitionMaxBytes: this.config.partitionMaxBytes,
        })
      }
      let responses: FetchPartitionData[]
      try {
        responses = await this.endpoint.fetch(requests, {
          maxWaitMs: this.config.maxWaitMs,
          minBytes: this.config.minBytes,
          maxBytes: this.config.maxBytes,
        })
      } catch (err) {
        if (this.stopped) break
        this.log.warn(`[${this.name}] Error in fetch from broker ${this.leaderId}: ${describe(err)}`)
        this.delay([...this.states.values()])
        continue
      }
      if (this.stopped) break
      await Promise.all(responses.map((r) => this.processPartition(sent, r)))
      // Every append and truncation of this answer has settled: its buffers are free again.
      this.endpoint.release?.(responses)
    }
  }

  /** The partitions to fetch now, with the offsets asked for. */
  private buildFetch(): Map<string, SentPartition> {
    const now = this.clock.now()
    const sent = new Map<string, SentPartition>()
    const quota = this.quota?.active ? this.quota : null
    let exceeded: boolean | null = null
    this.heldUntil = null
    for (const st of [...this.states.values()]) {
      if (st.gate !== null) continue
      if (st.delayedUntil !== null) {
        if (st.delayedUntil > now) continue
        st.delayedUntil = null
      }
      if (!st.initialized) {
        try {
          st.fetchOffset = st.log.logEndOffset()
          st.lastFetchedEpoch = st.log.latestEpoch()
          st.initialized = true
        } catch (err) {
          this.log.warn(`[${this.name}] Cannot read the log of ${st.key}: ${describe(err)}`)
          this.delay([st])
          continue
        }
      }
      if (
        quota !== null &&
        !(st.lag !== null && st.lag <= 0n) &&
        quota.isThrottled(st.log.topic, st.log.partition)
      ) {
        exceeded ??= quota.isQuotaExceeded()
        if (exceeded) {
          this.heldUntil = now + this.config.backoffMs
          continue
        }
      }
      sent.set(st.key, { state: st, fetchOffset: st.fetchOffset })
    }
    return sent
  }

  /** Sleeps until signal() or the earliest back-off ends. */
  private idle(): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: Timer | null = null
      const done = (): void => {
        timer?.cancel()
        if (this.wake === done) this.wake = null
        resolve()
      }
      this.wake = done
      if (this.stopped) return done()
      let next: number | null = this.heldUntil
      for (const st of this.states.values()) {
        if (st.gate === null && st.delayedUntil !== null && (next === null || st.delayedUntil < next))
          next = st.delayedUntil
      }
      if (next !== null) timer = this.clock.setTimeout(done, Math.max(0, next - this.clock.now()))
    })
  }

  private signal(): void {
    this.wake?.()
  }

  private isCurrent(st: PartitionState): boolean {
    return this.states.get(st.key) === st
  }

  private moveToEnd(st: PartitionState): void {
    if (!this.isCurrent(st)) return
    this.states.delete(st.key)
    this.states.set(st.key, st)
  }

  private delay(states: readonly PartitionState[]): void {
    const until = this.clock.now() + this.config.backoffMs
    for (const st of states) {
      if (!this.isCurrent(st) || st.delayedUntil !== null) continue
      st.delayedUntil = until
      this.moveToEnd(st)
    }
  }

  private markFailed(st: PartitionState, why: string): void {
    if (!this.isCurrent(st)) return
    this.states.delete(st.key)
    this.failed.set(st.key, { topic: st.log.topic, partition: st.log.partition })
    this.log.warn(`[${this.name}] Partition ${st.key} marked as failed: ${why}`)
  }

  /** Runs a change of the log unless the partition was removed; removal waits for it. */
  private async mutate(st: PartitionState, fn: () => Promise<void>): Promise<boolean> {
    if (!this.isCurrent(st)) return false
    const p = fn()
    st.applying = p.then(
      () => {},
      () => {},
    )
    try {
      await p
    } finally {
      st.applying = null
    }
    return true
  }

  private async processPartition(sent: Map<string, SentPartition>, data: FetchPartitionData): Promise<void> {
    const req = sent.get(tpKey(data.topic, data.partition))
    if (req === undefined) return
    const st = req.state
    if (!this.isCurrent(st) || st.fetchOffset !== req.fetchOffset || st.delayedUntil !== null) return
    try {
      switch (data.errorCode) {
        case ErrorCode.NONE:
          if (
            data.divergingEpoch !== null &&
            (data.divergingEpoch.epoch >= 0 || data.divergingEpoch.endOffset >= 0n)
          )
            await this.truncateOnDivergence(st, data.divergingEpoch)
          else await this.append(st, data)
          return
        case ErrorCode.OFFSET_OUT_OF_RANGE:
          if (!(await this.handleOutOfRange(st))) this.delay([st])
          return
        case ErrorCode.FENCED_LEADER_EPOCH:
          this.markFailed(st, `the leader has a newer epoch than ${st.currentLeaderEpoch}`)
          return
        default:
          this.log.debug(
            `[${this.name}] ${st.key} at offset ${st.fetchOffset}: ${errorName(data.errorCode)} from broker ${this.leaderId}`,
          )
          this.delay([st])
      }
    } catch (err) {
      this.log.error(`[${this.name}] Unexpected error processing ${st.key} at offset ${req.fetchOffset}`, err)
      this.markFailed(st, describe(err))
    }
  }

  private async append(st: PartitionState, data: FetchPartitionData): Promise<void> {
    try {
      const records = data.records ?? EMPTY
      const done = await this.mutate(st, () =>
        st.log.appendAsFollower(records, data.highWatermark, data.logStartOffset),
      )
      if (records.length > 0 && this.quota !== null && this.quota.active)
        if (this.quota.isThrottled(st.log.topic, st.log.partition)) this.quota.record(records.length)
      if (!done || !this.isCurrent(st)) return
    } catch (err) {
      if (
        isStorageError(err, StorageErrorCode.CorruptData) ||
        isStorageError(err, StorageErrorCode.InvalidRecord)
      ) {
        this.log.error(
          `[${this.name}] Invalid records for ${st.key} at offset ${st.fetchOffset}: ${describe(err)}`,
        )
        this.delay([st])
      } else if (isStorageError(err, StorageErrorCode.NoSpace)) {
        // A full disk refused the append and it was undone (the log stays online): try again
        // after the back-off, so the follower catches up by itself once space returns.
        this.log.warn(`[${this.name}] No space to append ${st.key} at offset ${st.fetchOffset}; retrying`)
        this.delay([st])
      } else {
        this.markFailed(st, `append at offset ${st.fetchOffset} failed: ${describe(err)}`)
      }
      return
    }
    const leo = st.log.logEndOffset()
    st.lag = data.highWatermark > leo ? data.highWatermark - leo : 0n
    if (leo !== st.fetchOffset) {
      st.fetchOffset = leo
      st.lastFetchedEpoch = st.log.latestEpoch()
      this.moveToEnd(st)
    }
  }

  /** Kafka's truncateOnFetchResponse for one diverging epoch. */
  private async truncateOnDivergence(st: PartitionState, d: EpochEndOffset): Promise<void> {
    const offset = divergenceTruncationOffset(st.log, st.fetchOffset, d)
    this.log.info(
      `[${this.name}] Truncating ${st.key} to ${offset}: the leader's epoch ${d.epoch} ends at ${d.endOffset}`,
    )
    try {
      if (!(await this.mutate(st, () => st.log.truncateTo(offset)))) return
    } catch (err) {
      this.markFailed(st, `truncation to ${offset} failed: ${describe(err)}`)
      return
    }
    this.restartAtLogEnd(st)
  }

  /** Kafka's handleOutOfRangeError; false when it should be retried after the back-off. */
  private async handleOutOfRange(st: PartitionState): Promise<boolean> {
    const { topic, partition } = st.log
    try {
      const leaderEnd = await this.endpoint.fetchLatestOffset(topic, partition, st.currentLeaderEpoch)
      if (!this.isCurrent(st)) return true
      if (leaderEnd < st.log.logEndOffset()) {
        // An unclean election left the new leader behind us: take its end, as Kafka does.
        this.log.warn(`[${this.name}] Truncating ${st.key} to the leader's log end ${leaderEnd}`)
        if (!(await this.mutate(st, () => st.log.truncateTo(leaderEnd)))) return true
        this.restartAtLogEnd(st)
        st.lag = 0n
        return true
      }
      const leaderStart = await this.endpoint.fetchEarliestOffset(topic, partition, st.currentLeaderEpoch)
      if (!this.isCurrent(st)) return true
      if (leaderStart > st.log.logEndOffset()) {
        this.log.warn(
          `[${this.name}] ${st.key} is behind the leader's log start ${leaderStart}: starting over there`,
        )
        if (!(await this.mutate(st, () => st.log.truncateFullyAndStartAt(leaderStart)))) return true
      }
      this.restartAtLogEnd(st)
      st.lag = leaderEnd > st.fetchOffset ? leaderEnd - st.fetchOffset : 0n
      return true
    } catch (err) {
      if (err instanceof LeaderPartitionError && err.errorCode === ErrorCode.FENCED_LEADER_EPOCH) {
        this.markFailed(st, `the leader has a newer epoch than ${st.currentLeaderEpoch}`)
        return true
      }
      this.log.info(`[${this.name}] Could not reset the offset of ${st.key}: ${describe(err)}`)
      return false
    }
  }

  private restartAtLogEnd(st: PartitionState): void {
    if (!this.isCurrent(st)) return
    st.fetchOffset = st.log.logEndOffset()
    st.lastFetchedEpoch = st.log.latestEpoch()
    this.moveToEnd(st)
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
