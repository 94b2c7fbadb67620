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
// Replication throttles (KIP-73, replication-quota.ts), follower fetches only: a partition this
// leader throttles, fetched by a replica outside the ISR while the leader quota is exceeded, is
// held: it is read for nothing (errors, divergence and the follower's position still count), its
// appends do not wake the fetch, and it never takes the first-batch exception. The bytes of
// throttled partitions in the final answer are recorded against the quota. Without a throttled
// partition on this broker none of this runs.

import type { Clock, Timer } from '../common/clock.ts'
import type { ProducerId, Uuid } from '../common/ids.ts'
import { ErrorCode } from '../protocol/generated/error-codes.ts'
import { type FetchWaiter, IsolationLevel, type Partition, type PartitionRead } from './partition.ts'
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
  abortedTransactions: { producerId: ProducerId; firstOffset: bigint }[] | null
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

const NO_RECORDS = Buffer.alloc(0)

interface PartitionResult {
  part: Partition | null
  read: PartitionRead
  /** What this kind of fetch could read up to when it read (the log end for followers). */
  bound: bigint
  follower: boolean
  /** A read_committed consumer's read (bounded by the last stable offset). */
  committed: boolean
  preferred: number
  /** Held back by the leader's replication quota at this read (see the header). */
  held: boolean
}

/** A fetch waiting for min.bytes; see the header. */
class FetchWait implements FetchWaiter {
  private remaining: number
  private readonly parts: Partition[]
  private readonly resolve: (timedOut: boolean) => void
  private timer: Timer | null = null
  private done = false

  constructor(remaining: number, parts: Partition[], resolve: (timedOut: boolean) => void) {
    this.remaining = remaining
    this.parts = parts
    this.resolve = resolve
  }

  start(clock: Clock, ms: number, follower: boolean, committed: boolean): void {
    for (const p of this.parts) p.registerWaiter(this, follower, committed)
    this.timer = clock.setTimeout(() => this.finish(true), ms)
  }

  onAppend(bytes: number): void {
    this.remaining -= bytes
    if (this.remaining <= 0) this.finish(false)
  }

  wake(): void {
    this.finish(false)
  }

  private finish(timedOut: boolean): void {
    if (this.done) return
    this.done = true
    for (const p of this.parts) p.unregisterWaiter(this)
    this.timer?.cancel()
    this.resolve(timedOut)
  }
}

export async function fetchRecords(
  lookup: PartitionLookup,
  clock: Clock,
  params: FetchParams,
  inputs: readonly FetchPartitionInput[],
): Promise<FetchPartitionResult[]> {
  const deadline = clock.now() + params.maxWaitMs
  let timedOut = false
  let reads = await readPartitions(lookup, params, inputs)
  while (!timedOut && mustWait(params, reads)) {
    const left = deadline - clock.now()
    if (left <= 0) break
    if (!advancedSince(reads)) {
      let total = 0
      const parts: Partition[] = []
      for (const p of reads) {
        total += p.read.sizeInBytes
        if (p.part !== null && !p.held) parts.push(p.part)
      }
      timedOut = await new Promise<boolean>((resolve) =>
        new FetchWait(params.minBytes - total, parts, resolve).start(
          clock,
          left,
          params.replicaId >= 0,
          params.replicaId < 0 && params.isolationLevel === IsolationLevel.readCommitted,
        ),
      )
    }
    reads = await readPartitions(lookup, params, inputs)
  }
  const quota = lookup.leaderQuota
  if (params.replicaId >= 0 && quota != null && quota.active) recordThrottled(quota, reads)
  const committed = params.isolationLevel === IsolationLevel.readCommitted
  return reads.map(({ read, preferred }) => ({
    errorCode: read.errorCode,
    highWatermark: read.highWatermark,
    lastStableOffset: read.lastStableOffset,
    logStartOffset: read.logStartOffset,
    records: read.records,
    divergingEpoch: read.divergingEpoch,
    abortedTransactions:
      read.errorCode === ErrorCode.NONE && committed ? (read.abortedTransactions ?? []) : null,
    preferredReadReplica: preferred,
  }))
}

async function readPartitions(
  lookup: PartitionLookup,
  params: FetchParams,
  inputs: readonly FetchPartitionInput[],
): Promise<PartitionResult[]> {
  const isFollower = params.replicaId >= 0
  const committed = !isFollower && params.isolationLevel === IsolationLevel.readCommitted
  const client = isFollower ? null : (params.clientMetadata ?? null)
  const quota = isFollower ? heldChecker(lookup.leaderQuota) : null
  const out: PartitionResult[] = []
  /** Indexes into `out` of the partitions still to read from their logs. */
  const toRead: number[] = []
  let budget = 0
  for (const inp of inputs) {
    const part =
      inp.topic !== null
        ? lookup.partition(inp.topic, inp.partition)
        : lookup.partitionById(inp.topicId, inp.partition)
    if (part === null) {
      out.push({
        part,
        read: errorRead(lookup.missingError(inp.topic, inp.topicId, inp.partition)),
        bound: -1n,
        follower: isFollower,
        committed,
        preferred: NO_PREFERRED_REPLICA,
        held: false,
      })
      continue
    }
    const preferred =
      client === null || lookup.preferredReadReplica === undefined
        ? NO_PREFERRED_REPLICA
        : lookup.preferredReadReplica(part, inp.fetchOffset, client)
    if (preferred !== NO_PREFERRED_REPLICA) {
      const read = part.offsetSnapshot(inp.currentLeaderEpoch)
      out.push({
        part,
        read,
        bound: part.readBound(false, committed),
        follower: false,
        committed,
        preferred: read.errorCode === ErrorCode.NONE ? preferred : NO_PREFERRED_REPLICA,
        held: false,
      })
      continue
    }
    const held = quota !== null && isHeld(quota, part, params.replicaId)
    toRead.push(out.length)
    budget += Math.max(0, inp.partitionMaxBytes)
    out.push({
      part,
      read: errorRead(ErrorCode.NONE),
      bound: -1n,
      follower: isFollower,
      committed,
      preferred,
      held,
    })
  }
  const inputOf = (i: number) => inputs[i]!
  const read = async (i: number, maxBytes: number, minOneBatch: boolean): Promise<number> => {
    const r = out[i]!
    const inp = inputOf(i)
    r.bound = r.part!.readBound(isFollower, committed)
    r.read = await r.part!.readForFetch({
      fetchOffset: inp.fetchOffset,
      maxBytes: r.held ? 0 : maxBytes,
      minOneBatch: r.held ? false : minOneBatch,
      isolationLevel: params.isolationLevel,
      isFollower,
      currentLeaderEpoch: inp.currentLeaderEpoch,
      lastFetchedEpoch: inp.lastFetchedEpoch,
      leaderOnly: client === null,
    })
    return r.read.sizeInBytes
  }
  if (toRead.length > 1 && budget <= params.maxBytes) {
    // The response limit cannot bind: every partition is read at once (one wait for the disk
    // instead of one per partition), without Kafka's "first batch even if too large" rule...
    await Promise.all(toRead.map((i) => read(i, Math.max(0, inputOf(i).partitionMaxBytes), false)))
    // ...which is then applied where the sequential read would have: the first partition that
    // returned nothing although its next batch is there (so it is larger than the limit) gets
    // it whole, unless a partition before it returned data.
    for (const i of toRead) {
      const r = out[i]!
      if (r.read.sizeInBytes > 0) break
      if (r.held) continue
      if (
        r.read.errorCode === ErrorCode.NONE &&
        r.read.divergingEpoch === null &&
        inputOf(i).fetchOffset < r.bound
      ) {
        await read(i, Math.max(0, inputOf(i).partitionMaxBytes), true)
        break
      }
    }
  } else {
    // Kafka's order: each partition gets what the ones before it left of max.bytes, and only the
    // first partition that returns data may exceed the limits (one whole batch, KIP-74).
    let remaining = params.maxBytes
    let minOne = true
    for (const i of toRead) {
      const size = await read(i, Math.max(0, Math.min(inputOf(i).partitionMaxBytes, remaining)), minOne)
      if (size > 0) {
        minOne = false
        remaining = Math.max(0, remaining - size)
      }
    }
  }
  // A follower's fetch offset is its log end: the leader's view of it moves (high watermark,
  // ISR), as Kafka's updateFollowerFetchState, with the log end each read saw.
  if (isFollower) {
    for (const i of toRead) {
      const r = out[i]!
      if (r.read.errorCode === ErrorCode.NONE && r.read.divergingEpoch === null)
        r.part!.onFollowerFetch(
          params.replicaId,
          inputOf(i).fetchOffset,
          inputOf(i).logStartOffset ?? -1n,
          params.replicaEpoch ?? -1n,
          r.bound,
        )
    }
  }
  return out
}

function mustWait(params: FetchParams, reads: readonly PartitionResult[]): boolean {
  if (params.maxWaitMs <= 0 || reads.length === 0) return false
  let total = 0
  for (const p of reads) {
    if (p.read.errorCode !== ErrorCode.NONE || p.read.divergingEpoch !== null) return false
    if (p.preferred !== NO_PREFERRED_REPLICA) return false
    total += p.read.sizeInBytes
  }
  return total < params.minBytes
}

/** Did a write complete while reading? Then the reads may have missed its bytes. */
function advancedSince(reads: readonly PartitionResult[]): boolean {
  for (const p of reads) {
    if (p.part !== null && !p.held && p.part.readBound(p.follower, p.committed) !== p.bound) return true
  }
  return false
}

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
function recordThrottled(quota: ReplicaQuota, reads: readonly PartitionResult[]): void {
  let bytes = 0
  for (const r of reads) {
    if (r.part !== null && r.read.sizeInBytes > 0 && quota.isThrottled(r.part.topic, r.part.index))
      bytes += r.read.sizeInBytes
  }
  if (bytes > 0) quota.record(bytes)
}

function errorRead(errorCode: number): PartitionRead {
  return {
    errorCode,
    records: NO_RECORDS,
    sizeInBytes: 0,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    divergingEpoch: null,
  }
}
