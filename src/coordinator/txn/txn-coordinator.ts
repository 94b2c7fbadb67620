// The transaction coordinator service the handlers call: routes each transactional id to its
// __transaction_state partition (Kafka's hash, as for groups), runs the operation on that
// partition's shard through the coordinator runtime, allocates producer ids (async, so before the
// synchronous operation that needs one), and runs marker delivery for transactions that end. It
// follows the leadership of __transaction_state exactly as the group coordinator follows
// __consumer_offsets, so in a cluster it moves with the partition leaders (a new coordinator
// loads the partition and finishes the transactions it finds half-ended).
//
// Wiring (the broker): construct it with a CoordinatorLog over __transaction_state, call
// onLocalChanges(changes, image) after each applied metadata change, and shutdown() on stop.

import type { Clock } from '../../common/clock.ts'
import type { Logger } from '../../common/logger.ts'
import type { MetadataImage } from '../../metadata/image.ts'
import type { LocalReplicaChanges } from '../../metadata/local-changes.ts'
import type { CreateTopicRequest, MetadataStore } from '../../metadata/store.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import { groupPartition } from '../group/group-partition.ts'
import type { CoordinatorLog } from '../runtime/coordinator-log.ts'
import { CoordinatorRuntime } from '../runtime/coordinator-runtime.ts'
import { InternalTopic } from '../runtime/internal-topic.ts'
import { type DescribedTxn, describeTxn, type ListedTxn, listTxns } from './txn-admin.ts'
import { TRANSACTION_STATE_TOPIC, type TxnConfig } from './txn-config.ts'
import type { TxnMarkerSender } from './txn-marker-sender.ts'
import { TxnState } from './txn-records.ts'
import {
  type InitParams,
  type InitResult,
  type MarkerJob,
  NEEDS_PRODUCER_ID,
  type TxnRequest,
  TxnShard,
} from './txn-shard.ts'
import { CoordinatorTxnVerifier } from './txn-verifier.ts'

export interface TxnCoordinatorParams {
  readonly log: CoordinatorLog
  readonly clock: Clock
  readonly logger: Logger
  readonly config: TxnConfig
  readonly metadata: Pick<MetadataStore, 'image' | 'createTopics'>
  readonly topicSpec: CreateTopicRequest
  readonly producerIds: { generate(): Promise<bigint> }
  /** Set once the broker built it (it needs the replica manager). */
  markers?: TxnMarkerSender
}

export class TxnCoordinator {
  readonly runtime: CoordinatorRuntime<TxnShard>
  private readonly p: TxnCoordinatorParams
  private readonly topic: InternalTopic

  constructor(p: TxnCoordinatorParams) {
    this.p = p
    this.runtime = new CoordinatorRuntime<TxnShard>({
      log: p.log,
      clock: p.clock,
      logger: p.logger,
      newShard: (ctx) => {
        const shard: TxnShard = new TxnShard(ctx, p.config, (job) =>
          this.endOnPartitions(ctx.partition, shard, job),
        )
        return shard
      },
    })
    this.topic = new InternalTopic({
      name: TRANSACTION_STATE_TOPIC,
      spec: () => p.topicSpec,
      metadata: p.metadata,
      runtime: this.runtime,
      clock: p.clock,
      logger: p.logger,
    })
  }

  /**
   * Takes the marker sender; unless transaction.partition.verification.enable is false, also
   * gives this broker's partition leaders the KIP-890 verifier (through the sender's local writer,
   * which reaches the replica manager), asking this coordinator or, over the sender's channels,
   * the others.
   */
  setMarkerSender(sender: TxnMarkerSender): void {
    this.p.markers = sender
    const local = sender.localWriter
    if (local === null || !('setTxnVerifier' in local)) return
    local.setTxnVerifier(
      this.p.config.partitionVerification
        ? new CoordinatorTxnVerifier({
            nodeId: sender.nodeId,
            image: sender.image,
            partitionFor: (id) => this.partitionFor(id),
            local: (req) => this.verifyPartitions(req, req.partitions),
            remote: (id) => sender.verifyChannel(id),
            logger: this.p.logger,
          })
        : null,
    )
  }

  numPartitions(): number {
    return (
      this.p.metadata.image().topics.get(TRANSACTION_STATE_TOPIC)?.partitions.length ??
      this.p.config.numPartitions
    )
  }

  partitionFor(transactionalId: string): number {
    return groupPartition(transactionalId, this.numPartitions())
  }

  /** The leader epoch of our partition: the coordinator epoch written into markers. */
  private coordinatorEpoch(partition: number): number {
    return (
      this.p.metadata.image().topics.get(TRANSACTION_STATE_TOPIC)?.partitions[partition]?.leaderEpoch ?? 0
    )
  }

  /** Creates __transaction_state unless it exists (FindCoordinator), then waits for it to load here. */
  ensureTopic(): Promise<number> {
    return this.topic.ensure()
  }

  /** Follows the leadership of __transaction_state partitions (internal-topic.ts). */
  onLocalChanges(changes: LocalReplicaChanges, image: MetadataImage): void {
    this.topic.onLocalChanges(changes, image)
  }

  loaded(): Promise<void> {
    return this.topic.loaded()
  }

  shutdown(): void {
    this.p.markers?.close()
    this.runtime.close()
  }

  // ----- markers -----

  /** A Prepare* record is durable: write the markers, then Complete*. */
  private endOnPartitions(partition: number, shard: TxnShard, job: MarkerJob): void {
    const sender = this.p.markers
    const still = () =>
      this.runtime.read(
        partition,
        (s) => s === shard,
        () => false,
      )
    const run = async () => {
      let delivered = true
      if (job.partitions.length > 0) {
        if (sender === undefined) {
          this.p.logger.error(`no marker sender: transaction of ${job.transactionalId} cannot end`)
          return
        }
        delivered = await sender.deliver(
          {
            producerId: job.producerId,
            producerEpoch: job.producerEpoch,
            coordinatorEpoch: this.coordinatorEpoch(partition),
            commit: job.commit,
            partitions: job.partitions,
          },
          still,
        )
      }
      if (!delivered || !still()) return
      await complete()
    }
    // Complete* once the markers are all written; a failed write (not the coordinator's state
    // refusing it) is retried while this shard still coordinates the id.
    const complete = async (): Promise<void> => {
      const code = await this.runtime.write(
        partition,
        (s) => s.completeTransaction(job),
        (c) => c,
      )
      if (code === ErrorCode.NONE || code === ErrorCode.INVALID_TXN_STATE || !still()) return
      this.p.logger.warn(
        `Completing the transaction of ${job.transactionalId} failed (error ${code}); retrying`,
      )
      this.p.clock.setTimeout(() => void complete().catch(() => {}), this.p.config.markerRetryBackoffMs)
    }
    run().catch((err) => this.p.logger.error(`ending the transaction of ${job.transactionalId} failed`, err))
  }

  // ----- client APIs -----

  async initProducerId(
    transactionalId: string,
    timeoutMs: number,
    producerId: bigint,
    producerEpoch: number,
  ): Promise<InitResult> {
    const partition = this.partitionFor(transactionalId)
    const failed = (errorCode: number): InitResult => ({ errorCode, producerId: -1n, producerEpoch: -1 })
    let newProducerId: bigint | null = null
    for (let attempt = 0; attempt < 3; attempt++) {
      const params: InitParams = { transactionalId, timeoutMs, producerId, producerEpoch, newProducerId }
      const r = await this.runtime.write<InitResult | typeof NEEDS_PRODUCER_ID>(
        partition,
        (s) => s.initProducerId(params),
        failed,
      )
      if (r !== NEEDS_PRODUCER_ID) return r
      try {
        newProducerId = await this.p.producerIds.generate()
      } catch (err) {
        this.p.logger.error('allocating a producer id failed', err)
        return failed(ErrorCode.UNKNOWN_SERVER_ERROR)
      }
    }
    return failed(ErrorCode.CONCURRENT_TRANSACTIONS)
  }

  addPartitions(r: TxnRequest, partitions: readonly { topic: string; partition: number }[]): Promise<number> {
    return this.runtime.write(
      this.partitionFor(r.transactionalId),
      (s) => s.addPartitions(r, partitions),
      (c) => c,
    )
  }

  /** KIP-890 verifyOnly: per partition NONE when it is in the producer's ongoing transaction. */
  verifyPartitions(
    r: TxnRequest,
    partitions: readonly { topic: string; partition: number }[],
  ): Map<string, number> {
    const out = new Map<string, number>()
    const code = this.runtime.read(
      this.partitionFor(r.transactionalId),
      (s) => {
        const m = s.txns.get(r.transactionalId)
        if (m === undefined || m.producerId !== r.producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING
        if (m.producerEpoch !== r.producerEpoch) return ErrorCode.PRODUCER_FENCED
        for (const p of partitions)
          out.set(
            `${p.topic}\u0000${p.partition}`,
            m.state === TxnState.Ongoing && m.hasPartition(p.topic, p.partition)
              ? ErrorCode.NONE
              : ErrorCode.INVALID_TXN_STATE,
          )
        return ErrorCode.NONE
      },
      (c) => c,
    )
    if (code !== ErrorCode.NONE) for (const p of partitions) out.set(`${p.topic}\u0000${p.partition}`, code)
    return out
  }

  endTxn(r: TxnRequest, commit: boolean): Promise<number> {
    return this.runtime.write(
      this.partitionFor(r.transactionalId),
      (s) => s.endTxn(r, commit),
      (c) => c,
    )
  }

  // ----- administration -----

  describe(transactionalIds: readonly string[]): DescribedTxn[] {
    return transactionalIds.map((id) =>
      this.runtime.read(
        this.partitionFor(id),
        (s) => describeTxn(s, id),
        (errorCode) => ({
          errorCode,
          transactionalId: id,
          state: '',
          timeoutMs: 0,
          startMs: -1,
          producerId: -1n,
          producerEpoch: -1,
          topics: [],
        }),
      ),
    )
  }

  list(
    states: readonly string[],
    producerIds: readonly bigint[],
    durationMs: number,
  ): { errorCode: number; txns: ListedTxn[] } {
    let errorCode: number = ErrorCode.NONE
    const txns: ListedTxn[] = []
    const now = this.p.clock.now()
    for (const p of this.runtime.partitionIds()) {
      txns.push(
        ...this.runtime.read(
          p,
          (s) => listTxns(s, states, producerIds, durationMs, now),
          (code) => {
            errorCode = code
            return []
          },
        ),
      )
    }
    return { errorCode, txns }
  }
}
