// An in-memory leader for deterministic fetcher tests (Kafka's MockLeaderEndPoint), answering the
// way a real leader's Partition does: the same checks in the same order, real v2 batches (built
// with records/builder.ts) and the storage layer's own leader epoch cache semantics, so a test that
// passes here exercises the fetcher against what a Samsa or Kafka leader would say.
//
// Per partition it holds batches with their epochs, a high watermark and a log start; becoming
// leader with an epoch records (epoch, LEO) in the epoch cache as Kafka's makeLeader does. A fetch
// long-polls like the real one: it answers once minBytes are there, an error or divergence is to be
// reported, or maxWaitMs of the injected clock passed; appends, epoch and log start changes wake
// it. Tests can inject per-partition errors, fail whole requests, and hold responses. connect()
// gives further endpoints to the same leader (one per fetcher thread), each closed on its own.

import type { Clock, Timer } from '../../common/clock.ts'
import { type Uuid, ZERO_UUID } from '../../common/ids.ts'
import { MemoryFs } from '../../common/memory-fs.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import { buildBatch, type RecordInput } from '../../records/builder.ts'
import { splitBatches } from '../../storage/batch-scan.ts'
import { LeaderEpochCache } from '../../storage/leader-epoch-cache.ts'
import {
  type FetchOptions,
  type FetchPartitionData,
  type FetchPartitionRequest,
  type LeaderEndPoint,
  LeaderPartitionError,
} from './leader-endpoint.ts'

interface MockBatch {
  readonly buf: Buffer
  readonly baseOffset: bigint
  readonly lastOffset: bigint
  readonly epoch: number
}

interface MockPartition {
  topicId: Uuid
  leaderEpoch: number
  /** False: answers NOT_LEADER_OR_FOLLOWER (the broker is no longer the leader). */
  isLeader: boolean
  batches: MockBatch[]
  logStartOffset: bigint
  logEndOffset: bigint
  highWatermark: bigint
  readonly epochs: LeaderEpochCache
  /** Error codes to answer the next fetches of this partition with, one per fetch. */
  readonly injected: number[]
}

interface Waiter {
  readonly held: boolean
  readonly conn: Connection
  readonly wake: () => void
}

/** One endpoint's view of the leader: closing it fails only its own requests. */
interface Connection {
  closed: boolean
}

const key = (topic: string, partition: number): string => `${topic}-${partition}`

export interface MockLeaderOptions {
  leaderId: number
  clock: Clock
}

export class MockLeaderEndPoint implements LeaderEndPoint {
  readonly leaderId: number
  /** Every fetch received, in order (the partitions as requested). */
  readonly fetches: { partitions: FetchPartitionRequest[]; options: FetchOptions }[] = []
  /** ListOffsets calls: `earliest`/`latest` with the partition and epoch. */
  readonly offsetRequests: { kind: 'earliest' | 'latest'; topic: string; partition: number }[] = []
  private readonly clock: Clock
  private readonly partitions = new Map<string, MockPartition>()
  private readonly waiters = new Set<Waiter>()
  private readonly failures: Error[] = []
  private hold: Promise<void> | null = null
  private readonly own: Connection = { closed: false }
  private openConnections = 0

  constructor(o: MockLeaderOptions) {
    this.leaderId = o.leaderId
    this.clock = o.clock
  }

  get closed(): boolean {
    return this.own.closed
  }

  /** Endpoints from connect() not closed yet. */
  get connections(): number {
    return this.openConnections
  }

  /**
   * Another endpoint to this same leader (a fetcher thread owns and closes its endpoint; several
   * threads may fetch from one leader). Closing it fails its own requests only.
   */
  connect(): LeaderEndPoint {
    const conn: Connection = { closed: false }
    this.openConnections++
    return {
      leaderId: this.leaderId,
      fetch: (partitions, o) => this.fetchVia(conn, partitions, o),
      fetchEarliestOffset: (topic, partition, epoch) => {
        this.checkOpen(conn)
        return this.fetchEarliestOffset(topic, partition, epoch)
      },
      fetchLatestOffset: (topic, partition, epoch) => {
        this.checkOpen(conn)
        return this.fetchLatestOffset(topic, partition, epoch)
      },
      close: () => {
        if (conn.closed) return
        conn.closed = true
        this.openConnections--
        this.wakeAll()
      },
    }
  }

  /** Creates (or resets) a partition led with `leaderEpoch`, empty at `logStartOffset`. */
  setPartition(
    topic: string,
    partition: number,
    o: { leaderEpoch: number; topicId?: Uuid; logStartOffset?: bigint },
  ): void {
    const start = o.logStartOffset ?? 0n
    const p: MockPartition = {
      topicId: o.topicId ?? ZERO_UUID,
      leaderEpoch: o.leaderEpoch,
      isLeader: true,
      batches: [],
      logStartOffset: start,
      logEndOffset: start,
      highWatermark: start,
      epochs: new LeaderEpochCache(new MemoryFs(), '/mock'),
      injected: [],
    }
    p.epochs.assign(o.leaderEpoch, start)
    this.partitions.set(key(topic, partition), p)
    this.wakeAll()
  }

  /**
   * Appends one batch of `records` at the log end in `epoch` (default: the leader epoch), as the
   * leader would; the high watermark moves to the new log end unless `advanceHighWatermark` is
   * false. Returns the batch.
   */
  append(
    topic: string,
    partition: number,
    records: readonly RecordInput[],
    o: { epoch?: number; advanceHighWatermark?: boolean } = {},
  ): Buffer {
    const p = this.get(topic, partition)
    const epoch = o.epoch ?? p.leaderEpoch
    const buf = buildBatch(records, {
      baseOffset: p.logEndOffset,
      partitionLeaderEpoch: epoch,
      timestamp: 1000,
    })
    this.appendBatches(topic, partition, buf, o.advanceHighWatermark ?? true)
    return buf
  }

  /** Appends ready-made batches (offsets and epochs kept), e.g. copied from another log. */
  appendBatches(topic: string, partition: number, records: Buffer, advanceHighWatermark = true): void {
    const p = this.get(topic, partition)
    for (const b of splitBatches(records).batches) {
      if (b.baseOffset < p.logEndOffset)
        throw new Error(`batch at ${b.baseOffset} below the log end ${p.logEndOffset}`)
      const buf = Buffer.from(records.subarray(b.position, b.position + b.size))
      p.batches.push({
        buf,
        baseOffset: b.baseOffset,
        lastOffset: b.lastOffset,
        epoch: b.partitionLeaderEpoch,
      })
      if (b.partitionLeaderEpoch > p.epochs.latestEpoch) p.epochs.assign(b.partitionLeaderEpoch, b.baseOffset)
      p.logEndOffset = b.lastOffset + 1n
    }
    if (advanceHighWatermark) p.highWatermark = p.logEndOffset
    this.wakeAll()
  }

  /** A new leader epoch on this broker (it stays leader): recorded at the log end, as makeLeader does. */
  setLeaderEpoch(topic: string, partition: number, epoch: number): void {
    const p = this.get(topic, partition)
    p.leaderEpoch = epoch
    p.isLeader = true
    p.epochs.assign(epoch, p.logEndOffset)
    this.wakeAll()
  }

  /** This broker stops leading the partition: fetches get NOT_LEADER_OR_FOLLOWER. */
  resign(topic: string, partition: number): void {
    this.get(topic, partition).isLeader = false
    this.wakeAll()
  }

  setHighWatermark(topic: string, partition: number, hw: bigint): void {
    const p = this.get(topic, partition)
    p.highWatermark = hw < p.logEndOffset ? hw : p.logEndOffset
    this.wakeAll()
  }

  /** Moves the log start (retention, DeleteRecords): whole batches below it are dropped. */
  setLogStartOffset(topic: string, partition: number, offset: bigint): void {
    const p = this.get(topic, partition)
    p.logStartOffset = offset
    p.batches = p.batches.filter((b) => b.lastOffset >= offset)
    if (p.logEndOffset < offset) p.logEndOffset = offset
    if (p.highWatermark < offset) p.highWatermark = offset
    p.epochs.truncateFromStart(offset)
    this.wakeAll()
  }

  /** Answers the next `times` fetches of the partition with `errorCode`. */
  injectError(topic: string, partition: number, errorCode: number, times = 1): void {
    const p = this.get(topic, partition)
    for (let i = 0; i < times; i++) p.injected.push(errorCode)
    this.wakeAll()
  }

  /** The next whole fetch rejects with `err` (a broken connection). */
  failNextFetch(err: Error = new Error('connection to the mock leader failed')): void {
    this.failures.push(err)
  }

  /** Fetches answer only after the returned release() is called (responses computed then). */
  holdResponses(): () => void {
    let release = (): void => {}
    this.hold = new Promise<void>((r) => {
      release = () => {
        this.hold = null
        r()
      }
    })
    return release
  }

  /** Fetches waiting right now (long-polling or held). */
  get waiting(): number {
    return this.waiters.size
  }

  /** The partition's log as one buffer of batches (to compare with a follower byte for byte). */
  logBytes(topic: string, partition: number): Buffer {
    return Buffer.concat(this.get(topic, partition).batches.map((b) => b.buf))
  }

  logEndOffset(topic: string, partition: number): bigint {
    return this.get(topic, partition).logEndOffset
  }

  fetch(partitions: readonly FetchPartitionRequest[], o: FetchOptions): Promise<FetchPartitionData[]> {
    return this.fetchVia(this.own, partitions, o)
  }

  private async fetchVia(
    conn: Connection,
    partitions: readonly FetchPartitionRequest[],
    o: FetchOptions,
  ): Promise<FetchPartitionData[]> {
    this.checkOpen(conn)
    this.fetches.push({ partitions: partitions.map((p) => ({ ...p })), options: { ...o } })
    const failure = this.failures.shift()
    if (failure !== undefined) throw failure
    if (this.hold !== null) await this.waitFor(conn, this.hold)
    let injectedTaken = false
    const deadline = this.clock.now() + o.maxWaitMs
    for (;;) {
      this.checkOpen(conn)
      if (!injectedTaken) {
        injectedTaken = true
        const injected = this.takeInjected(partitions)
        if (injected !== null) return this.answer(partitions, o, injected)
      }
      const res = this.answer(partitions, o, null)
      let bytes = 0
      let urgent = false
      for (const r of res) {
        bytes += r.records?.length ?? 0
        if (r.errorCode !== ErrorCode.NONE || r.divergingEpoch !== null) urgent = true
      }
      const left = deadline - this.clock.now()
      if (urgent || bytes >= o.minBytes || left <= 0) return res
      await this.waitFor(conn, null, left)
    }
  }

  async fetchEarliestOffset(topic: string, partition: number, currentLeaderEpoch: number): Promise<bigint> {
    this.checkOpen()
    this.offsetRequests.push({ kind: 'earliest', topic, partition })
    return this.checkedPartition(topic, partition, currentLeaderEpoch).logStartOffset
  }

  async fetchLatestOffset(topic: string, partition: number, currentLeaderEpoch: number): Promise<bigint> {
    this.checkOpen()
    this.offsetRequests.push({ kind: 'latest', topic, partition })
    return this.checkedPartition(topic, partition, currentLeaderEpoch).logEndOffset
  }

  close(): void {
    this.own.closed = true
    this.wakeAll()
  }

  private get(topic: string, partition: number): MockPartition {
    const p = this.partitions.get(key(topic, partition))
    if (p === undefined) throw new Error(`mock leader has no partition ${key(topic, partition)}`)
    return p
  }

  private checkOpen(conn: Connection = this.own): void {
    if (conn.closed) throw new Error(`endpoint to mock leader ${this.leaderId} is closed`)
  }

  private checkedPartition(topic: string, partition: number, currentLeaderEpoch: number): MockPartition {
    const p = this.partitions.get(key(topic, partition))
    const code =
      p === undefined ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : this.leaderError(p, currentLeaderEpoch)
    if (p === undefined || code !== null) {
      throw new LeaderPartitionError(
        code ?? ErrorCode.UNKNOWN_SERVER_ERROR,
        `${key(topic, partition)}: error ${code}`,
      )
    }
    return p
  }

  /** currentLeaderEpoch fencing, then NOT_LEADER_OR_FOLLOWER, as the leader checks them. */
  private leaderError(p: MockPartition, currentLeaderEpoch: number): number | null {
    if (currentLeaderEpoch >= 0 && currentLeaderEpoch < p.leaderEpoch) return ErrorCode.FENCED_LEADER_EPOCH
    if (currentLeaderEpoch > p.leaderEpoch) return ErrorCode.UNKNOWN_LEADER_EPOCH
    if (!p.isLeader) return ErrorCode.NOT_LEADER_OR_FOLLOWER
    return null
  }

  private takeInjected(partitions: readonly FetchPartitionRequest[]): Map<string, number> | null {
    let out: Map<string, number> | null = null
    for (const r of partitions) {
      const code = this.partitions.get(key(r.topic, r.partition))?.injected.shift()
      if (code !== undefined) {
        out ??= new Map()
        out.set(key(r.topic, r.partition), code)
      }
    }
    return out
  }

  private answer(
    partitions: readonly FetchPartitionRequest[],
    o: FetchOptions,
    injected: Map<string, number> | null,
  ): FetchPartitionData[] {
    let budget = o.maxBytes
    let anyBytes = false
    return partitions.map((r) => {
      const p = this.partitions.get(key(r.topic, r.partition))
      const base: FetchPartitionData = {
        topic: r.topic,
        topicId: r.topicId,
        partition: r.partition,
        errorCode: ErrorCode.NONE,
        highWatermark: p?.highWatermark ?? -1n,
        logStartOffset: p?.logStartOffset ?? -1n,
        records: null,
        divergingEpoch: null,
      }
      const code = injected?.get(key(r.topic, r.partition))
      if (code !== undefined) return { ...base, errorCode: code }
      if (p === undefined) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }
      const fenced = this.leaderError(p, r.currentLeaderEpoch)
      if (fenced !== null) return { ...base, errorCode: fenced }
      // The divergence check of Kafka's Partition.readRecords.
      if (r.lastFetchedEpoch >= 0) {
        const end = p.epochs.endOffsetFor(r.lastFetchedEpoch, p.logEndOffset)
        if (end.epoch < 0 || end.endOffset < 0n || r.fetchOffset < p.logStartOffset) {
          return { ...base, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE }
        }
        if (end.epoch < r.lastFetchedEpoch || end.endOffset < r.fetchOffset) {
          return { ...base, divergingEpoch: { epoch: end.epoch, endOffset: end.endOffset } }
        }
      }
      if (r.fetchOffset < p.logStartOffset || r.fetchOffset > p.logEndOffset) {
        return { ...base, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE }
      }
      // Followers read to the log end; the first batch goes even when larger than the limits.
      const limit = Math.min(r.partitionMaxBytes, budget)
      const out: Buffer[] = []
      let size = 0
      for (const b of p.batches) {
        if (b.lastOffset < r.fetchOffset) continue
        if ((anyBytes || size > 0) && size + b.buf.length > limit) break
        out.push(b.buf)
        size += b.buf.length
      }
      if (size > 0) anyBytes = true
      budget = Math.max(0, budget - size)
      return { ...base, records: out.length === 0 ? null : Buffer.concat(out) }
    })
  }

  /** Waits for `until` (a hold), or for a wake (append, epoch change, close) or `ms` of clock time. */
  private waitFor(conn: Connection, until: Promise<void> | null, ms?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: Timer | null = null
      const w: Waiter = {
        held: until !== null,
        conn,
        wake: () => {
          timer?.cancel()
          this.waiters.delete(w)
          resolve()
        },
      }
      this.waiters.add(w)
      until?.then(w.wake)
      if (ms !== undefined) timer = this.clock.setTimeout(w.wake, ms)
    })
  }

  /** Long-polls re-check; held fetches stay held unless the endpoint closed. */
  private wakeAll(): void {
    for (const w of [...this.waiters]) if (!w.held || w.conn.closed) w.wake()
  }
}
