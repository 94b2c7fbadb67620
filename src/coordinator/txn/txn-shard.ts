// The transaction coordinator's state machine for one __transaction_state partition: the
// transactional ids coordinated there, with Kafka's transitions
//
//   Empty/CompleteCommit/CompleteAbort --AddPartitions--> Ongoing --EndTxn--> PrepareCommit/Abort
//   --markers written--> CompleteCommit/CompleteAbort; Ongoing --InitProducerId / timeout-->
//   (epoch fence) PrepareAbort --markers--> CompleteAbort
//
// Every operation runs synchronously (the runtime's single writer): it checks the request
// against the id's state, writes the id's next record, and marks the transition pending so that
// other requests for the id answer CONCURRENT_TRANSACTIONS until the record is durable. The state
// itself changes only when the record is replayed (live or when loading), so what a new coordinator
// loads is what this one served. After a Prepare* record is durable the markers go out (the
// `markers` callback, the coordinator's marker sender); once all are written the sender calls
// completeTransaction, which writes Complete*.

import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import type { CoordinatorRecord } from '../runtime/coordinator-log.ts'
import type { CoordinatorResult, CoordinatorShard, ShardContext } from '../runtime/coordinator-runtime.ts'
import type { TxnConfig } from './txn-config.ts'
import {
  EXHAUSTED_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  TxnMetadata,
  transition,
} from './txn-metadata.ts'
import { decodeTxnKey, decodeTxnValue, TxnState, txnRecord, txnTombstone } from './txn-records.ts'

/** What the marker sender needs to end a transaction on its partitions. */
export interface MarkerJob {
  readonly transactionalId: string
  readonly producerId: bigint
  readonly producerEpoch: number
  readonly commit: boolean
  readonly partitions: readonly { topic: string; partition: number }[]
}

export interface InitResult {
  readonly errorCode: number
  readonly producerId: bigint
  readonly producerEpoch: number
}

/** InitProducerId needs a fresh producer id the caller must allocate first (allocation is async). */
export const NEEDS_PRODUCER_ID = Symbol('needs-producer-id')

export interface InitParams {
  readonly transactionalId: string
  readonly timeoutMs: number
  /** KIP-360: the producer id and epoch the client has (-1/-1: none). */
  readonly producerId: bigint
  readonly producerEpoch: number
  /** A producer id allocated for this request, or null. */
  readonly newProducerId: bigint | null
}

export interface TxnRequest {
  readonly transactionalId: string
  readonly producerId: bigint
  readonly producerEpoch: number
}

const ABORT_TIMED_OUT_KEY = 'abort-timed-out'
const EXPIRE_IDS_KEY = 'expire-transactional-ids'

const fail = (errorCode: number): InitResult => ({
  errorCode,
  producerId: NO_PRODUCER_ID,
  producerEpoch: NO_PRODUCER_EPOCH,
})

export class TxnShard implements CoordinatorShard {
  readonly txns = new Map<string, TxnMetadata>()
  private readonly ctx: ShardContext
  private readonly config: TxnConfig
  private readonly markers: (job: MarkerJob) => void
  private out: CoordinatorRecord[] = []
  private commitHooks: (() => void)[] = []
  private failHooks: (() => void)[] = []

  constructor(ctx: ShardContext, config: TxnConfig, markers: (job: MarkerJob) => void) {
    this.ctx = ctx
    this.config = config
    this.markers = markers
  }

  private now(): number {
    return this.ctx.clock.now()
  }

  private finish<R>(response: R): CoordinatorResult<R> {
    const records = this.out
    const commits = this.commitHooks
    const fails = this.failHooks
    this.out = []
    this.commitHooks = []
    this.failHooks = []
    return {
      records,
      response,
      onCommitted: () => {
        for (const f of commits) f()
      },
      onFailed: () => {
        for (const f of fails) f()
      },
    }
  }

  /** Writes `m`'s next record; the transition is pending until it is durable. */
  private write(m: TxnMetadata, value: ReturnType<typeof transition>, afterCommit?: () => void): void {
    m.pending = value.state
    this.out.push(txnRecord(m.transactionalId, value))
    this.commitHooks.push(() => {
      m.pending = null
      afterCommit?.()
    })
    this.failHooks.push(() => {
      m.pending = null
    })
  }

  // ----- replay and lifecycle -----

  replay(_offset: bigint, key: Buffer, value: Buffer | null): void {
    const id = decodeTxnKey(key)
    if (value === null) {
      this.txns.delete(id)
      return
    }
    const v = decodeTxnValue(value)
    let m = this.txns.get(id)
    if (m === undefined) {
      m = new TxnMetadata(id, v.producerId, v.producerEpoch, v.timeoutMs, v.lastUpdateMs)
      this.txns.set(id, m)
    }
    m.apply(v)
  }

  onLoaded(): void {
    for (const m of this.txns.values()) {
      // A transaction that was ending when the previous coordinator stopped: finish it.
      if (m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort) this.sendMarkers(m)
    }
    this.ctx.timer.schedule(ABORT_TIMED_OUT_KEY, this.config.abortTimedOutIntervalMs, () =>
      this.abortTimedOut(),
    )
    this.ctx.timer.schedule(EXPIRE_IDS_KEY, this.config.removeExpiredIntervalMs, () => this.expireIds())
  }

  onUnloaded(): void {
    this.txns.clear()
  }

  private sendMarkers(m: TxnMetadata): void {
    this.markers({
      transactionalId: m.transactionalId,
      producerId: m.producerId,
      producerEpoch: m.producerEpoch,
      commit: m.state === TxnState.PrepareCommit,
      partitions: m.topicPartitions(),
    })
  }

  // ----- InitProducerId -----

  initProducerId(p: InitParams): CoordinatorResult<InitResult | typeof NEEDS_PRODUCER_ID> {
    if (p.timeoutMs <= 0 || p.timeoutMs > this.config.maxTimeoutMs)
      return this.finish(fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT))
    const now = this.now()
    let m = this.txns.get(p.transactionalId)
    if (m === undefined) {
      if (p.newProducerId === null) return this.finish(NEEDS_PRODUCER_ID)
      // A new id: epoch -1 in memory, bumped to 0 by the first record.
      m = new TxnMetadata(p.transactionalId, p.newProducerId, NO_PRODUCER_EPOCH, p.timeoutMs, now)
      this.txns.set(p.transactionalId, m)
      const created = m
      this.failHooks.push(() => {
        if (this.txns.get(created.transactionalId) === created && created.producerEpoch === NO_PRODUCER_EPOCH)
          this.txns.delete(created.transactionalId)
      })
    }
    if (m.pending !== null) return this.finish(fail(ErrorCode.CONCURRENT_TRANSACTIONS))
    const expected =
      p.producerEpoch === NO_PRODUCER_EPOCH ? null : { id: p.producerId, epoch: p.producerEpoch }
    if (expected !== null && !this.isValidProducer(m, expected.id, expected.epoch))
      return this.finish(fail(ErrorCode.PRODUCER_FENCED))
    switch (m.state) {
      case TxnState.PrepareCommit:
      case TxnState.PrepareAbort:
      case TxnState.Dead:
      case TxnState.PrepareEpochFence:
        return this.finish(fail(ErrorCode.CONCURRENT_TRANSACTIONS))
      case TxnState.Ongoing:
        // Abort the open transaction first with a bumped epoch (which fences the old producer
        // on every partition through the markers); the client retries.
        this.fenceAndAbort(m, now)
        return this.finish(fail(ErrorCode.CONCURRENT_TRANSACTIONS))
      default:
        break
    }
    let producerId = m.producerId
    let epoch: number
    let lastEpoch: number
    if (m.isEpochExhausted && (expected === null || expected.epoch === m.producerEpoch)) {
      if (p.newProducerId === null) return this.finish(NEEDS_PRODUCER_ID)
      producerId = p.newProducerId
      epoch = 0
      lastEpoch = NO_PRODUCER_EPOCH
    } else if (expected === null) {
      epoch = m.producerEpoch + 1
      lastEpoch = NO_PRODUCER_EPOCH
    } else if (m.producerEpoch === NO_PRODUCER_EPOCH || expected.epoch === m.producerEpoch) {
      epoch = m.producerEpoch + 1
      lastEpoch = m.producerEpoch
    } else if (expected.epoch === m.lastProducerEpoch) {
      // A retry of a bump that succeeded: answer the current epoch again.
      epoch = m.producerEpoch
      lastEpoch = m.lastProducerEpoch
    } else {
      return this.finish(fail(ErrorCode.PRODUCER_FENCED))
    }
    const previousId = m.producerId
    const target = m
    this.write(
      m,
      transition(m, {
        state: TxnState.Empty,
        producerId,
        producerEpoch: epoch,
        timeoutMs: p.timeoutMs,
        partitions: new Map(),
        startMs: -1,
        lastUpdateMs: now,
      }),
      () => {
        target.lastProducerEpoch = lastEpoch
        if (producerId !== previousId) target.lastProducerId = previousId
      },
    )
    return this.finish({ errorCode: ErrorCode.NONE, producerId, producerEpoch: epoch })
  }

  /** Kafka's check of a KIP-360 producer id/epoch against the id's current producer. */
  private isValidProducer(m: TxnMetadata, producerId: bigint, epoch: number): boolean {
    if (m.producerEpoch === NO_PRODUCER_EPOCH) return true
    if (producerId === m.producerId) return true
    return producerId === m.lastProducerId && epoch >= EXHAUSTED_EPOCH
  }

  /** Ongoing → PrepareAbort with the epoch bumped (Kafka's PrepareEpochFence), then markers. */
  private fenceAndAbort(m: TxnMetadata, now: number): void {
    const epoch = m.isEpochExhausted ? m.producerEpoch : m.producerEpoch + 1
    this.ctx.log.info(
      `Aborting the open transaction of ${m.transactionalId} (producer ${m.producerId}) with epoch ${epoch} to fence epoch ${m.producerEpoch}`,
    )
    const target = m
    this.write(
      m,
      transition(m, { state: TxnState.PrepareAbort, producerEpoch: epoch, lastUpdateMs: now }),
      () => this.sendMarkers(target),
    )
  }

  // ----- AddPartitionsToTxn / AddOffsetsToTxn -----

  /** Checks shared by the transactional requests; NONE when the producer may go on. */
  private check(m: TxnMetadata | undefined, r: TxnRequest): number {
    if (m === undefined || m.producerId !== r.producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING
    if (m.producerEpoch !== r.producerEpoch) return ErrorCode.PRODUCER_FENCED
    if (m.pending !== null) return ErrorCode.CONCURRENT_TRANSACTIONS
    return ErrorCode.NONE
  }

  addPartitions(
    r: TxnRequest,
    partitions: readonly { topic: string; partition: number }[],
  ): CoordinatorResult<number> {
    const m = this.txns.get(r.transactionalId)
    const invalid = this.check(m, r)
    if (invalid !== ErrorCode.NONE || m === undefined) return this.finish(invalid)
    if (m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort)
      return this.finish(ErrorCode.CONCURRENT_TRANSACTIONS)
    if (m.state === TxnState.Dead || m.state === TxnState.PrepareEpochFence)
      return this.finish(ErrorCode.INVALID_TXN_STATE)
    if (m.state === TxnState.Ongoing && partitions.every((p) => m.hasPartition(p.topic, p.partition)))
      return this.finish(ErrorCode.NONE)
    const now = this.now()
    const starting = m.state !== TxnState.Ongoing
    const merged = starting ? new Map<string, number[]>() : m.partitionList()
    for (const p of partitions) {
      const list = merged.get(p.topic) ?? []
      if (!list.includes(p.partition)) list.push(p.partition)
      merged.set(p.topic, list)
    }
    this.write(
      m,
      transition(m, {
        state: TxnState.Ongoing,
        partitions: merged,
        startMs: starting ? now : m.startMs,
        lastUpdateMs: now,
      }),
    )
    return this.finish(ErrorCode.NONE)
  }

  // ----- EndTxn -----

  endTxn(r: TxnRequest, commit: boolean): CoordinatorResult<number> {
    const m = this.txns.get(r.transactionalId)
    const invalid = this.check(m, r)
    if (invalid !== ErrorCode.NONE || m === undefined) return this.finish(invalid)
    switch (m.state) {
      case TxnState.Ongoing: {
        const target = m
        this.write(
          m,
          transition(m, {
            state: commit ? TxnState.PrepareCommit : TxnState.PrepareAbort,
            lastUpdateMs: this.now(),
          }),
          () => this.sendMarkers(target),
        )
        return this.finish(ErrorCode.NONE)
      }
      case TxnState.CompleteCommit:
        return this.finish(commit ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE)
      case TxnState.CompleteAbort:
        return this.finish(commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE)
      case TxnState.PrepareCommit:
        return this.finish(commit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE)
      case TxnState.PrepareAbort:
        return this.finish(commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS)
      default:
        return this.finish(ErrorCode.INVALID_TXN_STATE)
    }
  }

  /** Every marker of the transaction is written: Prepare* → Complete*. */
  completeTransaction(job: MarkerJob): CoordinatorResult<number> {
    const m = this.txns.get(job.transactionalId)
    const expected = job.commit ? TxnState.PrepareCommit : TxnState.PrepareAbort
    if (
      m === undefined ||
      m.state !== expected ||
      m.pending !== null ||
      m.producerId !== job.producerId ||
      m.producerEpoch !== job.producerEpoch
    )
      return this.finish(ErrorCode.INVALID_TXN_STATE)
    this.write(
      m,
      transition(m, {
        state: job.commit ? TxnState.CompleteCommit : TxnState.CompleteAbort,
        partitions: new Map(),
        lastUpdateMs: this.now(),
      }),
    )
    return this.finish(ErrorCode.NONE)
  }

  // ----- timers -----

  /** transaction.abort.timed.out.transaction.cleanup.interval.ms: abort what ran past its timeout. */
  abortTimedOut(): CoordinatorResult<void> {
    const now = this.now()
    for (const m of this.txns.values()) {
      if (m.state !== TxnState.Ongoing || m.pending !== null || m.startMs < 0) continue
      if (now - m.startMs <= m.timeoutMs) continue
      this.ctx.log.info(`Transaction of ${m.transactionalId} timed out after ${m.timeoutMs} ms`)
      this.fenceAndAbort(m, now)
    }
    this.ctx.timer.schedule(ABORT_TIMED_OUT_KEY, this.config.abortTimedOutIntervalMs, () =>
      this.abortTimedOut(),
    )
    return this.finish(undefined)
  }

  /** transactional.id.expiration.ms: forget ids idle that long (a tombstone each). */
  expireIds(): CoordinatorResult<void> {
    const now = this.now()
    for (const m of this.txns.values()) {
      const idle =
        m.state === TxnState.Empty ||
        m.state === TxnState.CompleteCommit ||
        m.state === TxnState.CompleteAbort
      if (!idle || m.pending !== null || now - m.lastUpdateMs < this.config.idExpirationMs) continue
      m.pending = TxnState.Dead
      this.out.push(txnTombstone(m.transactionalId))
      const target = m
      this.failHooks.push(() => {
        target.pending = null
      })
    }
    this.ctx.timer.schedule(EXPIRE_IDS_KEY, this.config.removeExpiredIntervalMs, () => this.expireIds())
    return this.finish(undefined)
  }
}
