// The coordinator runtime: one state machine ("shard") per partition of a coordinator's internal
// topic, and the rules for changing it (Kafka's CoordinatorRuntime, in one thread of JS):
//
// - A write operation runs synchronously against the shard and returns { records, response }.
//   No await happens inside it, so it is the only writer while it runs. Its records go to the
//   partition's log as one v2 batch; once the batch is committed the records are replayed into
//   the shard (the same replay that loading does), onCommitted runs, and only then is the
//   response released. When the write fails, onFailed runs and the caller gets `onError(code)`.
// - Operations that arrive while a batch is being written are grouped: their records go out
//   together in the next batch (group commit), still in operation order.
// - Loading a partition replays its log from the start; operations meanwhile are answered with
//   COORDINATOR_LOAD_IN_PROGRESS, and with NOT_COORDINATOR for a partition not loaded at all.
// - Timers are keyed per partition, fire through the injected Clock and run as write operations;
//   unloading a partition cancels them.
//
// Who may call what: handlers (through a coordinator service) call write/read; the broker calls
// load/unload when it becomes or stops being the leader of a partition.

import type { Clock, Timer } from '../../common/clock.ts'
import type { Logger } from '../../common/logger.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import { buildBatch } from '../../records/builder.ts'
import { parseControlRecord } from '../../records/control.ts'
import { iterateRecords, readBatches } from '../../records/record-iterator.ts'
import { type CoordinatorLog, type CoordinatorRecord, clientErrorOfWrite } from './coordinator-log.ts'

/** What an operation produces: records to persist and the answer to release after they are. */
export interface CoordinatorResult<R> {
  readonly records: readonly CoordinatorRecord[]
  /** The answer; a promise when a later transition completes it (a JoinGroup waiting for others). */
  readonly response: R | Promise<R>
  /** Runs once the records are committed and replayed, before the response is released. */
  onCommitted?(): void
  /** Runs when the records could not be written; the caller is answered with onError(code). */
  onFailed?(errorCode: number): void
  /**
   * Writes the records as a transactional batch of this producer (TxnOffsetCommit): they take
   * effect only when the partition's transaction marker arrives (replayEndTxn).
   */
  readonly producer?: TxnProducer
}

/** The producer of a transactional coordinator write. */
export interface TxnProducer {
  readonly producerId: bigint
  readonly producerEpoch: number
}

/** A state machine rebuilt by replaying its partition's records. */
export interface CoordinatorShard {
  /**
   * Applies one committed record (during loading, and after each committed write). `producerId`
   * is set for records of a transactional batch, which wait for their transaction's marker.
   */
  replay(offset: bigint, key: Buffer, value: Buffer | null, producerId?: bigint): void
  /** A transaction marker of `producerId` in this partition (loading, and live from the log). */
  replayEndTxn?(offset: bigint, producerId: bigint, commit: boolean): void
  /** Loading finished: start timers for the state that was loaded. */
  onLoaded(): void
  /** The partition is going away: fail waiting requests (NOT_COORDINATOR), drop state. */
  onUnloaded(): void
}

/** Timers of one partition, keyed so that re-scheduling a key replaces the previous timer. */
export interface CoordinatorTimer {
  schedule(key: string, delayMs: number, op: () => CoordinatorResult<unknown>): void
  cancel(key: string): void
  isScheduled(key: string): boolean
}

export interface ShardContext {
  readonly partition: number
  readonly clock: Clock
  readonly timer: CoordinatorTimer
  readonly log: Logger
}

export type PartitionState = 'absent' | 'loading' | 'active'

interface Pending {
  records: readonly CoordinatorRecord[]
  producer: TxnProducer | undefined
  done: (err: unknown, lastOffset: bigint) => void
}

interface PartitionContext<S> {
  readonly partition: number
  state: 'loading' | 'active' | 'closed'
  readonly shard: S
  readonly timers: Map<string, Timer>
  /** Records waiting for the in-flight batch to finish. */
  queue: Pending[]
  writing: boolean
  loaded: Promise<void>
}

export interface RuntimeParams<S extends CoordinatorShard> {
  log: CoordinatorLog
  clock: Clock
  logger: Logger
  newShard(ctx: ShardContext): S
  /** Bytes read per step while loading (default 1 MiB). */
  loadChunkBytes?: number
  /** Operations are grouped into batches up to this size (default 512 KiB, under max.message.bytes; an op is never split). */
  maxBatchBytes?: number
}

export class CoordinatorRuntime<S extends CoordinatorShard> {
  private readonly log: CoordinatorLog
  private readonly clock: Clock
  private readonly logger: Logger
  private readonly newShard: (ctx: ShardContext) => S
  private readonly loadChunkBytes: number
  private readonly maxBatchBytes: number
  private readonly partitions = new Map<number, PartitionContext<S>>()

  constructor(p: RuntimeParams<S>) {
    this.log = p.log
    this.clock = p.clock
    this.logger = p.logger
    this.newShard = p.newShard
    this.loadChunkBytes = p.loadChunkBytes ?? 1 << 20
    this.maxBatchBytes = p.maxBatchBytes ?? 512 * 1024
  }

  state(partition: number): PartitionState {
    const ctx = this.partitions.get(partition)
    return ctx === undefined ? 'absent' : ctx.state === 'active' ? 'active' : 'loading'
  }

  /** Partitions loaded or loading. */
  partitionIds(): number[] {
    return [...this.partitions.keys()]
  }

  /** The shards that finished loading. */
  *activeShards(): Generator<[number, S]> {
    for (const [p, ctx] of this.partitions) if (ctx.state === 'active') yield [p, ctx.shard]
  }

  /**
   * Becomes the coordinator of `partition`: replays its log, then serves it. Resolves when
   * loading is over (also when it failed: the partition is then unloaded and logged).
   */
  load(partition: number): Promise<void> {
    const existing = this.partitions.get(partition)
    if (existing !== undefined) return existing.loaded
    const timers = new Map<string, Timer>()
    const shardLog = this.logger.child(`partition-${partition}`)
    let ctx: PartitionContext<S>
    const timer: CoordinatorTimer = {
      schedule: (key, delayMs, op) => {
        timers.get(key)?.cancel()
        const t = this.clock.setTimeout(() => {
          if (timers.get(key) !== t) return
          timers.delete(key)
          if (ctx.state !== 'active') return
          this.write(partition, op, () => undefined).catch((err) =>
            shardLog.error(`timer ${key} failed`, err),
          )
        }, delayMs)
        timers.set(key, t)
      },
      cancel: (key) => {
        timers.get(key)?.cancel()
        timers.delete(key)
      },
      isScheduled: (key) => timers.has(key),
    }
    const shard = this.newShard({ partition, clock: this.clock, timer, log: shardLog })
    ctx = {
      partition,
      state: 'loading',
      shard,
      timers,
      queue: [],
      writing: false,
      loaded: Promise.resolve(),
    }
    this.partitions.set(partition, ctx)
    ctx.loaded = this.replayLog(ctx).then(
      () => {
        if (ctx.state !== 'loading') return
        ctx.state = 'active'
        ctx.shard.onLoaded()
      },
      (err) => {
        shardLog.error(`loading partition ${partition} failed; it stays unloaded`, err)
        if (this.partitions.get(partition) === ctx) this.unload(partition)
      },
    )
    return ctx.loaded
  }

  private async replayLog(ctx: PartitionContext<S>): Promise<void> {
    const started = this.clock.now()
    let offset = 0n
    let end = -1n
    let count = 0
    for (;;) {
      if (ctx.state !== 'loading') return
      const r = await this.log.read(ctx.partition, offset, this.loadChunkBytes)
      if (end < 0n) end = r.logEndOffset
      if (offset < r.logStartOffset) offset = r.logStartOffset
      if (offset >= end || r.records.length === 0) break
      for (const h of readBatches(r.records)) {
        if (ctx.state !== 'loading') return
        if (h.lastOffset < offset) continue
        if (!h.isControl) {
          const producerId = h.isTransactional ? h.producerId : undefined
          for (const rec of iterateRecords(r.records, h.pos)) {
            if (rec.offset < offset || rec.key === null) continue
            ctx.shard.replay(rec.offset, rec.key, rec.value, producerId)
            count++
          }
        } else if (h.isTransactional && ctx.shard.replayEndTxn !== undefined) {
          for (const rec of iterateRecords(r.records, h.pos)) {
            if (rec.offset < offset) continue
            const info = parseControlRecord(rec)
            if (info.marker !== null)
              ctx.shard.replayEndTxn(rec.offset, h.producerId, info.marker === 'commit')
          }
        }
        offset = h.lastOffset + 1n
      }
    }
    this.logger.info(
      `Finished loading partition ${ctx.partition}: ${count} records up to offset ${offset} in ${this.clock.now() - started} ms`,
    )
  }

  /** Stops coordinating `partition`: cancels its timers and fails what waits on it. */
  unload(partition: number): void {
    const ctx = this.partitions.get(partition)
    if (ctx === undefined) return
    this.partitions.delete(partition)
    const wasActive = ctx.state === 'active'
    ctx.state = 'closed'
    for (const t of ctx.timers.values()) t.cancel()
    ctx.timers.clear()
    if (wasActive) ctx.shard.onUnloaded()
  }

  /** Unloads every partition. */
  close(): void {
    for (const p of [...this.partitions.keys()]) this.unload(p)
  }

  /**
   * Runs a write operation on the shard of `partition`. Resolves with its response after its
   * records are committed, or with onError(code) when the partition is not served here, is
   * loading, or the write failed. Never rejects for business errors.
   */
  async write<R>(
    partition: number,
    op: (shard: S) => CoordinatorResult<R>,
    onError: (errorCode: number) => R,
  ): Promise<R> {
    const ctx = this.partitions.get(partition)
    if (ctx === undefined) return onError(ErrorCode.NOT_COORDINATOR)
    if (ctx.state !== 'active') return onError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
    const result = op(ctx.shard)
    if (result.records.length > 0) {
      try {
        const last = await this.append(ctx, result.records, result.producer)
        if (ctx.state !== 'active') throw new Error('partition unloaded during the write')
        let offset = last - BigInt(result.records.length) + 1n
        const producerId = result.producer?.producerId
        for (const r of result.records) ctx.shard.replay(offset++, r.key, r.value, producerId)
      } catch (err) {
        const code = ctx.state === 'active' ? clientErrorOfWrite(err) : ErrorCode.NOT_COORDINATOR
        this.logger.warn(`write to partition ${partition} failed (error ${code}): ${err}`)
        result.onFailed?.(code)
        return onError(code)
      }
    }
    result.onCommitted?.()
    return await result.response
  }

  /** Runs a read-only operation on the committed state, or answers onError. */
  read<R>(partition: number, op: (shard: S) => R, onError: (errorCode: number) => R): R {
    const ctx = this.partitions.get(partition)
    if (ctx === undefined) return onError(ErrorCode.NOT_COORDINATOR)
    if (ctx.state !== 'active') return onError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
    return op(ctx.shard)
  }

  /**
   * A transaction marker was written to `partition` (the log side tells us): the shard settles
   * that producer's pending records. A partition still loading gets it once loaded (its replay
   * may already have seen the marker; settling twice is harmless).
   */
  applyEndTxn(partition: number, offset: bigint, producerId: bigint, commit: boolean): void {
    const ctx = this.partitions.get(partition)
    if (ctx === undefined) return
    const apply = () => {
      if (ctx.state === 'active') ctx.shard.replayEndTxn?.(offset, producerId, commit)
    }
    if (ctx.state === 'active') apply()
    else void ctx.loaded.then(apply)
  }

  /** Queues records for the next batch; resolves with the offset of the last one. */
  private append(
    ctx: PartitionContext<S>,
    records: readonly CoordinatorRecord[],
    producer?: TxnProducer,
  ): Promise<bigint> {
    return new Promise<bigint>((resolve, reject) => {
      ctx.queue.push({ records, producer, done: (err, last) => (err === null ? resolve(last) : reject(err)) })
      if (!ctx.writing) void this.drain(ctx)
    })
  }

  /** Writes queued records, batch after batch, until the queue is empty. */
  private async drain(ctx: PartitionContext<S>): Promise<void> {
    ctx.writing = true
    try {
      while (ctx.queue.length > 0) {
        const group = this.takeGroup(ctx)
        const records = group.flatMap((p) => p.records)
        const producer = group[0].producer
        try {
          // Transactional records carry their producer and epoch but no sequence: the log takes
          // them as a coordinator's write (no sequence check), as Kafka's coordinators write them.
          const batch = buildBatch(
            records.map((r) => ({ key: r.key, value: r.value })),
            producer === undefined
              ? { timestamp: this.clock.now() }
              : {
                  timestamp: this.clock.now(),
                  producerId: producer.producerId,
                  producerEpoch: producer.producerEpoch,
                  transactional: true,
                },
          )
          const last = await this.log.append(ctx.partition, batch)
          let end = last - BigInt(records.length)
          for (const p of group) {
            end += BigInt(p.records.length)
            p.done(null, end)
          }
        } catch (err) {
          for (const p of group) p.done(err, -1n)
        }
      }
    } finally {
      ctx.writing = false
    }
  }

  /**
   * The next operations whose records fit one batch (at least one operation); a batch holds
   * either non-transactional records or one producer's.
   */
  private takeGroup(ctx: PartitionContext<S>): Pending[] {
    let bytes = 0
    let n = 0
    const first = ctx.queue[0]?.producer
    for (const p of ctx.queue) {
      if (
        n > 0 &&
        (p.producer?.producerId !== first?.producerId || p.producer?.producerEpoch !== first?.producerEpoch)
      )
        break
      let size = 0
      for (const r of p.records) size += r.key.length + (r.value?.length ?? 0) + 16
      if (n > 0 && bytes + size > this.maxBatchBytes) break
      bytes += size
      n++
    }
    return ctx.queue.splice(0, n)
  }
}
