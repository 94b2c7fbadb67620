// The read side of Fetch, as Kafka's ReplicaManager.fetchMessages + DelayedFetch:
//
// 1. Read: for each partition in order, whole batches from its fetch offset within
//    min(partition max bytes, bytes left of max.bytes), one positional read per segment touched,
//    into one buffer per partition (spliced into the response, never copied again). Only the
//    first partition that returns data may exceed the limits (one whole batch, KIP-74). When the
//    partition limits add up to no more than max.bytes (a follower's fetch: 1 MiB each, 10 MiB in
//    all) the order cannot change what is read, so all partitions are read at once: one wait
//    for the disk per fetch instead of one per partition, which bounded replication's speed.
// 2. Answer when max.wait.ms is 0, min.bytes is reached, or any partition has an error or a
//    diverging epoch. Otherwise wait: a FetchWait is registered on every partition and woken by
//    the writes that move their high watermarks (counting the bytes they add; read_committed
//    fetches: their last stable offsets) or by the max.wait.ms timer, one timer per waiting fetch.
//    Then read again. (What was read before
//    waiting is dropped; it is less than min.bytes, and nothing at all in the usual min.bytes=1.)
//
// Fetch from the closest replica (KIP-392), as Kafka's readFromLog: a consumer's fetch that carries
// client metadata (Fetch v11+) may be served by a follower, up to the follower's high watermark;
// without it only the leader serves consumers. At the leader, with a replica selector configured,
// such a fetch may instead be answered with a preferred read replica (replica-selector.ts): no
// records, the leader's offsets, and at once (it never waits for min.bytes).
//
// Allocation (issues 11 and 17: the young-generation garbage of fetches is what drives V8's
// collections on a busy leader): one FetchOp per fetch holds everything the fetch needs across its
// reads and waits: it is its own FetchWaiter, its partitions' slots are reused by every read, a
// partition with nothing to read answers synchronously (Partition.readForFetch), and promises are
// made only where a read waits for the disk, plus the one the caller awaits.
//
// Replication throttles (KIP-73, replication-quota.ts), follower fetches only: a partition this
// leader throttles, fetched by a replica outside the ISR while the leader quota is exceeded, is
// held: it is read for nothing (errors, divergence and the follower's position still count), its
// appends do not wake the fetch, and it never takes the first-batch exception. The bytes of
// throttled partitions in the final answer are recorded against the quota. Without a throttled
// partition on this broker none of this runs.

import type { Clock, Timer } from '../common/clock.ts'
import type { ProducerId, Uuid } from '../common/ids.ts'
import { ErrorCode } from '../protocol/generated/error-codes.ts'
import type { FetchWaiter } from './fetch-waiters.ts'
import {
  type FetchReadRequest,
  IsolationLevel,
  NO_ABORTED_TXNS,
  type Partition,
  type PartitionRead,
} from './partition.ts'
import { emptyRead } from './partition-read.ts'
import { type ClientMetadata, NO_PREFERRED_REPLICA } from './replica-selector.ts'
import type { ReplicaQuota } from './replication-quota.ts'

export interface FetchParams {
  /** -1 for consumers; a broker id for followers. */
  replicaId: number
  maxWaitMs: number
  minBytes: number
  maxBytes: number
  isolationLevel: number
  /** A follower's broker epoch (Fetch v15+ ReplicaState), -1n when absent. */
  replicaEpoch?: bigint
  /** A consumer's rack and listener (Fetch v11+); null/absent: older versions, leader only. */
  clientMetadata?: ClientMetadata | null
}

export interface FetchPartitionInput {
  /** null when the request names topics by id (Fetch v13+). */
  topic: string | null
  topicId: Uuid
  partition: number
  fetchOffset: bigint
  partitionMaxBytes: number
  currentLeaderEpoch: number
  lastFetchedEpoch: number
  /** A follower's log start offset (it tells the leader). */
  logStartOffset?: bigint
}

export interface FetchPartitionResult {
  errorCode: number
  highWatermark: bigint
  lastStableOffset: bigint
  logStartOffset: bigint
  /** Whole batches; empty when none. */
  records: Buffer
  divergingEpoch: { epoch: number; endOffset: bigint } | null
  /** read_committed: the aborted transactions overlapping the records; null for read_uncommitted. */
  abortedTransactions: readonly { producerId: ProducerId; firstOffset: bigint }[] | null
  /** KIP-392: the replica the consumer should fetch this partition from; -1 (or absent): here. */
  preferredReadReplica?: number
}

/** How the reader finds partitions (the ReplicaManager). */
export interface PartitionLookup {
  partition(topic: string, index: number): Partition | null
  partitionById(topicId: Uuid, index: number): Partition | null
  hasTopicId(topicId: Uuid): boolean
  /** The error for a partition not served here (by name, else by topic id). */
  missingError(topic: string | null, topicId: Uuid, index: number): number
  /** KIP-392 at the leader: a replica to send this consumer to, or -1; absent: never. */
  preferredReadReplica?(part: Partition, fetchOffset: bigint, client: ClientMetadata): number
  /** The leader's replication quota (KIP-73); absent or null: no throttling. */
  readonly leaderQuota?: ReplicaQuota | null
}

/** One partition of a fetch as last read; reused by every read of the fetch. */
interface Slot {
  part: Partition | null
  read: PartitionRead
  /** What this kind of fetch could read up to when it read (the log end for followers). */
  bound: bigint
  preferred: number
  /** Held back by the leader's replication quota at this read (see the header). */
  held: boolean
  /** Read from its log at this read (not missing, not redirected to a preferred replica). */
  reading: boolean
}

/** One fetch, from its first read to its answer; waits as a FetchWaiter on its partitions. */
class FetchOp implements FetchWaiter {
  private readonly lookup: PartitionLookup
  private readonly clock: Clock
  private readonly params: FetchParams
  private inputs: readonly FetchPartitionInput[]
  private readonly isFollower: boolean
  /** A read_committed consumer's fetch (bounded by the last stable offset). */
  private readonly committed: boolean
  private readonly client: ClientMetadata | null
  private readonly deadline: number
  private readonly slots: Slot[]
  /** Handed to Partition.readForFetch for each read (it is read before the call returns). */
  private readonly request: FetchReadRequest
  private resolve: (r: FetchPartitionResult[]) => void = noop
  private reject: (err: unknown) => void = noop
  private timedOut = false
  /** Set while registered on the partitions, waiting for min.bytes or the timer. */
  private waiting = false
  private remaining = 0
  private timer: Timer | null = null
  /** Made on the first wait (most fetches of a busy partition never wait). */
  private onTimer: (() => void) | null = null
  private onWoken: (() => void) | null = null

  constructor(
    lookup: PartitionLookup,
    clock: Clock,
    params: FetchParams,
    inputs: readonly FetchPartitionInput[],
  ) {
    this.lookup = lookup
    this.clock = clock
    this.params = params
    this.inputs = inputs
    this.isFollower = params.replicaId >= 0
    this.committed = !this.isFollower && params.isolationLevel === IsolationLevel.readCommitted
    this.client = this.isFollower ? null : (params.clientMetadata ?? null)
    this.deadline = clock.now() + params.maxWaitMs
    this.slots = new Array(inputs.length)
    for (let i = 0; i < inputs.length; i++)
      this.slots[i] = {
        part: null,
        read: EMPTY_READ,
        bound: -1n,
        preferred: NO_PREFERRED_REPLICA,
        held: false,
        reading: false,
      }
    this.request = {
      fetchOffset: 0n,
      maxBytes: 0,
      minOneBatch: false,
      isolationLevel: params.isolationLevel,
      isFollower: this.isFollower,
      currentLeaderEpoch: -1,
      lastFetchedEpoch: -1,
      leaderOnly: this.client === null,
    }
  }

  run(): Promise<FetchPartitionResult[]> {
    const answer = new Promise<FetchPartitionResult[]>((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
    this.read()
    return answer
  }

  /** Reads every partition, then answers, waits, or reads again. */
  private read(): void {
    try {
      for (;;) {
        const pending = this.readPartitions()
        if (pending !== undefined) {
          pending.then(
            () => {
              if (this.decide()) this.read()
            },
            (err) => this.reject(err),
          )
          return
        }
        if (!this.decide()) return
      }
    } catch (err) {
      this.reject(err)
    }
  }

  /** After a read: answers or starts waiting (false), or asks for another read at once (true). */
  private decide(): boolean {
    if (!this.timedOut && this.mustWait()) {
      const left = this.deadline - this.clock.now()
      if (left > 0) {
        // A write that completed while reading may have been missed: read again, don't wait.
        if (this.advancedSince()) return true
        this.wait(left)
        return false
      }
    }
    this.finish()
    return false
  }

  private wait(left: number): void {
    let total = 0
    for (const s of this.slots) total += s.read.sizeInBytes
    this.remaining = this.params.minBytes - total
    this.waiting = true
    for (const s of this.slots)
      if (s.part !== null && !s.held) s.part.registerWaiter(this, this.isFollower, this.committed)
    this.onTimer ??= () => this.stopWaiting(true)
    this.timer = this.clock.setTimeout(this.onTimer, left)
  }

  onAppend(bytes: number): void {
    if (!this.waiting) return
    this.remaining -= bytes
    if (this.remaining <= 0) this.stopWaiting(false)
  }

  wake(): void {
    this.stopWaiting(false)
  }

  private stopWaiting(timedOut: boolean): void {
    if (!this.waiting) return
    this.waiting = false
    for (const s of this.slots) if (s.part !== null && !s.held) s.part.unregisterWaiter(this)
    this.timer?.cancel()
    this.timer = null
    if (timedOut) this.timedOut = true
    // Read again once the waker (a write's bookkeeping, a timer) has finished its own work; a
    // reaction on a settled promise (queueMicrotask would add an async resource and a bound
    // function per wake-up).
    this.onWoken ??= () => this.read()
    RESOLVED.then(this.onWoken)
  }

  private finish(): void {
    try {
      const quota = this.lookup.leaderQuota
      if (this.isFollower && quota?.active) recordThrottled(quota, this.slots)
      const committed = this.params.isolationLevel === IsolationLevel.readCommitted
      const out: FetchPartitionResult[] = new Array(this.slots.length)
      for (let i = 0; i < this.slots.length; i++) {
        const s = this.slots[i]!
        // Each read made its own object: it becomes the answer, completed in place.
        const r = s.read
        r.abortedTransactions =
          r.errorCode === ErrorCode.NONE && committed ? (r.abortedTransactions ?? NO_ABORTED_TXNS) : null
        r.preferredReadReplica = s.preferred
        out[i] = r
      }
      const resolve = this.resolve
      this.release()
      resolve(out)
    } catch (err) {
      this.reject(err)
    }
  }

  /**
   * Done: drops what the fetch held. Something keeps a finished FetchOp reachable for a while
   * (the callbacks it handed to the timer and the microtask queue are the candidates; not pinned
   * down): measured without this, its requests and answers outlived two scavenges, filled the old
   * generation and brought a mark-compact every ~270 ms at 10k msg/s (fetch wait 1 ms).
   */
  private release(): void {
    this.slots.length = 0
    this.inputs = NO_INPUTS
    this.resolve = noop
    this.reject = noop
    this.timer = null
    this.onTimer = null
    this.onWoken = null
  }

  /** Reads every partition of the fetch; a promise only when a read waits for the disk. */
  private readPartitions(): Promise<unknown> | undefined {
    const { lookup, params, inputs, slots, committed, client } = this
    const quota = this.isFollower ? heldChecker(lookup.leaderQuota) : null
    let reading = 0
    let budget = 0
    for (let i = 0; i < inputs.length; i++) {
      const inp = inputs[i]!
      const s = slots[i]!
      const part =
        inp.topic !== null
          ? lookup.partition(inp.topic, inp.partition)
          : lookup.partitionById(inp.topicId, inp.partition)
      s.part = part
      s.bound = -1n
      s.held = false
      s.reading = false
      s.preferred = NO_PREFERRED_REPLICA
      if (part === null) {
        s.read = emptyRead(lookup.missingError(inp.topic, inp.topicId, inp.partition))
        continue
      }
      const preferred =
        client === null || lookup.preferredReadReplica === undefined
          ? NO_PREFERRED_REPLICA
          : lookup.preferredReadReplica(part, inp.fetchOffset, client)
      if (preferred !== NO_PREFERRED_REPLICA) {
        const read = part.offsetSnapshot(inp.currentLeaderEpoch)
        s.read = read
        s.bound = part.readBound(false, committed)
        s.preferred = read.errorCode === ErrorCode.NONE ? preferred : NO_PREFERRED_REPLICA
        continue
      }
      s.held = quota !== null && isHeld(quota, part, params.replicaId)
      s.reading = true
      reading++
      budget += Math.max(0, inp.partitionMaxBytes)
    }
    const done =
      reading > 1 && budget <= params.maxBytes
        ? this.readAtOnce()
        : this.readInOrder(0, params.maxBytes, true)
    if (!this.isFollower) return done
    if (done === undefined) {
      this.followerFetched()
      return undefined
    }
    return done.then(() => this.followerFetched())
  }

  /**
   * The response limit cannot bind: every partition is read at once (one wait for the disk
   * instead of one per partition), without Kafka's "first batch even if too large" rule, which
   * firstBatchRule then applies.
   */
  private readAtOnce(): Promise<unknown> | undefined {
    let pending: Promise<unknown>[] | null = null
    for (let i = 0; i < this.slots.length; i++) {
      if (!this.slots[i]!.reading) continue
      const p = this.readOne(i, Math.max(0, this.inputs[i]!.partitionMaxBytes), false)
      if (p === undefined) continue
      if (pending === null) pending = [p]
      else pending.push(p)
    }
    if (pending === null) return this.firstBatchRule()
    return Promise.all(pending).then(() => this.firstBatchRule())
  }

  /**
   * Where the sequential read would have applied it: the first partition that returned nothing
   * although its next batch is there (so it is larger than the limit) gets it whole, unless a
   * partition before it returned data.
   */
  private firstBatchRule(): Promise<unknown> | undefined {
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i]!
      if (!s.reading) continue
      if (s.read.sizeInBytes > 0) break
      if (s.held) continue
      if (
        s.read.errorCode === ErrorCode.NONE &&
        s.read.divergingEpoch === null &&
        this.inputs[i]!.fetchOffset < s.bound
      )
        return this.readOne(i, Math.max(0, this.inputs[i]!.partitionMaxBytes), true)
    }
    return undefined
  }

  /**
   * Kafka's order: each partition gets what the ones before it left of max.bytes, and only the
   * first partition that returns data may exceed the limits (one whole batch, KIP-74).
   */
  private readInOrder(from: number, remaining: number, minOne: boolean): Promise<unknown> | undefined {
    for (let i = from; i < this.slots.length; i++) {
      const s = this.slots[i]!
      if (!s.reading) continue
      const max = Math.max(0, Math.min(this.inputs[i]!.partitionMaxBytes, remaining))
      const p = this.readOne(i, max, minOne)
      if (p !== undefined) {
        return p.then(() => {
          const size = s.read.sizeInBytes
          return size > 0
            ? this.readInOrder(i + 1, Math.max(0, remaining - size), false)
            : this.readInOrder(i + 1, remaining, minOne)
        })
      }
      const size = s.read.sizeInBytes
      if (size > 0) {
        minOne = false
        remaining = Math.max(0, remaining - size)
      }
    }
    return undefined
  }

  /** Reads slot `i` from its partition; a promise only when the log is read. */
  private readOne(i: number, maxBytes: number, minOneBatch: boolean): Promise<void> | undefined {
    const s = this.slots[i]!
    const inp = this.inputs[i]!
    const part = s.part!
    s.bound = part.readBound(this.isFollower, this.committed)
    const q = this.request
    q.fetchOffset = inp.fetchOffset
    q.maxBytes = s.held ? 0 : maxBytes
    q.minOneBatch = s.held ? false : minOneBatch
    q.currentLeaderEpoch = inp.currentLeaderEpoch
    q.lastFetchedEpoch = inp.lastFetchedEpoch
    const r = part.readForFetch(q)
    if (r instanceof Promise) {
      return r.then((read) => {
        s.read = read
      })
    }
    s.read = r
    return undefined
  }

  /**
   * A follower's fetch offset is its log end: the leader's view of it moves (high watermark,
   * ISR), as Kafka's updateFollowerFetchState, with the log end each read saw.
   */
  private followerFetched(): void {
    const { params, inputs } = this
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i]!
      if (s.reading && s.read.errorCode === ErrorCode.NONE && s.read.divergingEpoch === null)
        s.part!.onFollowerFetch(
          params.replicaId,
          inputs[i]!.fetchOffset,
          inputs[i]!.logStartOffset ?? -1n,
          params.replicaEpoch ?? -1n,
          s.bound,
        )
    }
  }

  private mustWait(): boolean {
    const params = this.params
    if (params.maxWaitMs <= 0 || this.slots.length === 0) return false
    let total = 0
    for (const s of this.slots) {
      if (s.read.errorCode !== ErrorCode.NONE || s.read.divergingEpoch !== null) return false
      if (s.preferred !== NO_PREFERRED_REPLICA) return false
      total += s.read.sizeInBytes
    }
    return total < params.minBytes
  }

  /** Did a write complete while reading? Then the reads may have missed its bytes. */
  private advancedSince(): boolean {
    for (const s of this.slots) {
      if (s.part !== null && !s.held && s.part.readBound(this.isFollower, this.committed) !== s.bound)
        return true
    }
    return false
  }
}

export function fetchRecords(
  lookup: PartitionLookup,
  clock: Clock,
  params: FetchParams,
  inputs: readonly FetchPartitionInput[],
): Promise<FetchPartitionResult[]> {
  return new FetchOp(lookup, clock, params, inputs).run()
}

function noop(): void {}

const RESOLVED = Promise.resolve()

const NO_INPUTS: readonly FetchPartitionInput[] = Object.freeze([])

/** Decides, once per read of a fetch, which partitions the leader quota holds back. */
interface HeldChecker {
  readonly quota: ReplicaQuota
  exceeded: boolean | null
}

function heldChecker(quota: ReplicaQuota | null | undefined): HeldChecker | null {
  return quota?.active ? { quota, exceeded: null } : null
}

/** Kafka's shouldLeaderThrottle: throttled here, the follower not in the ISR, the quota exceeded. */
function isHeld(c: HeldChecker, part: Partition, replicaId: number): boolean {
  if (!c.quota.isThrottled(part.topic, part.index)) return false
  if (part.inSyncReplicas.includes(replicaId)) return false
  c.exceeded ??= c.quota.isQuotaExceeded()
  return c.exceeded
}

/** The bytes of throttled partitions in a follower's answer count against the leader quota. */
function recordThrottled(quota: ReplicaQuota, slots: readonly Slot[]): void {
  let bytes = 0
  for (const s of slots) {
    if (s.part !== null && s.read.sizeInBytes > 0 && quota.isThrottled(s.part.topic, s.part.index))
      bytes += s.read.sizeInBytes
  }
  if (bytes > 0) quota.record(bytes)
}

/** A slot's read before its first read (never part of an answer: every slot is read first). */
const EMPTY_READ: PartitionRead = Object.freeze(emptyRead(ErrorCode.NONE)) as PartitionRead
