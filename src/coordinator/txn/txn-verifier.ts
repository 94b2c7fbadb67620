// The coordinator side of KIP-890 part 1 as the partition leaders use it
// (replication/txn-verification.ts): "is this partition in the producer's ongoing transaction at
// this epoch?" goes to the transactional id's coordinator, the leader of its __transaction_state
// partition in the metadata image. When that is this broker the coordinator is asked directly;
// otherwise the questions for one coordinator are batched into AddPartitionsToTxn v4 requests with
// verifyOnly (Kafka's AddPartitionsToTxnManager): one request in flight per coordinator, questions
// arriving meanwhile wait for the next. A transactional id asked twice in one batch keeps the
// newer question: the older gets NETWORK_EXCEPTION at the same epoch (a retry) or
// INVALID_PRODUCER_EPOCH when fenced by a newer epoch; a question with an older epoch than the
// waiting one is answered INVALID_PRODUCER_EPOCH at once.
//
// Answers are mapped as Kafka's broker maps them: PRODUCER_FENCED → INVALID_PRODUCER_EPOCH (what
// producers expect from a produce), a top-level CLUSTER_AUTHORIZATION_FAILED → INVALID_TXN_STATE,
// a coordinator that does not know the version (UNSUPPORTED_VERSION) → not verified (appended),
// no __transaction_state or no live leader → COORDINATOR_NOT_AVAILABLE, a lost connection →
// NETWORK_EXCEPTION.

import type { ProducerId, TopicName, TransactionalId } from '../../common/ids.ts'
import type { Logger } from '../../common/logger.ts'
import type { MetadataImage } from '../../metadata/image.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import type {
  AddPartitionsToTxnRequestAddPartitionsToTxnTransaction,
  AddPartitionsToTxnResponse,
} from '../../protocol/generated/messages/add-partitions-to-txn.ts'
import { type TxnVerifier, type TxnVerifyRequest, verifyKey } from '../../replication/txn-verification.ts'
import { TRANSACTION_STATE_TOPIC } from './txn-config.ts'

/** Sends AddPartitionsToTxn v4 (the batched form) to one broker. */
export type VerifyChannel = (
  transactions: AddPartitionsToTxnRequestAddPartitionsToTxnTransaction[],
) => Promise<AddPartitionsToTxnResponse>

export interface TxnVerifierParams {
  readonly nodeId: number
  readonly image: () => MetadataImage
  readonly partitionFor: (transactionalId: string) => number
  /** This broker's coordinator (TxnCoordinator.verifyPartitions). */
  readonly local: (req: TxnVerifyRequest) => Map<string, number>
  readonly remote: (brokerId: number) => VerifyChannel
  readonly logger: Logger
}

type Codes = ReadonlyMap<string, number>

interface Question {
  req: TxnVerifyRequest
  resolve: (codes: Codes) => void
}

const everyPartition = (req: TxnVerifyRequest, code: number): Codes =>
  new Map(req.partitions.map((p) => [verifyKey(p.topic, p.partition), code]))

const fencedAsEpoch = (code: number) =>
  code === ErrorCode.PRODUCER_FENCED ? ErrorCode.INVALID_PRODUCER_EPOCH : code

export class CoordinatorTxnVerifier implements TxnVerifier {
  private readonly p: TxnVerifierParams
  /** Questions waiting for the next request to each coordinator, by transactional id. */
  private readonly waiting = new Map<number, Map<string, Question>>()
  private readonly inFlight = new Set<number>()

  constructor(p: TxnVerifierParams) {
    this.p = p
  }

  verify(req: TxnVerifyRequest): Promise<Codes> {
    const image = this.p.image()
    const topic = image.topics.get(TRANSACTION_STATE_TOPIC)
    const leader = topic?.partitions[this.p.partitionFor(req.transactionalId)]?.leader ?? -1
    if (leader < 0 || !image.brokers.has(leader))
      return Promise.resolve(everyPartition(req, ErrorCode.COORDINATOR_NOT_AVAILABLE))
    if (leader === this.p.nodeId) {
      const codes = this.p.local(req)
      for (const [k, c] of codes) if (c === ErrorCode.PRODUCER_FENCED) codes.set(k, fencedAsEpoch(c))
      return Promise.resolve(codes)
    }
    return new Promise((resolve) => {
      let batch = this.waiting.get(leader)
      if (batch === undefined) {
        batch = new Map()
        this.waiting.set(leader, batch)
      }
      const earlier = batch.get(req.transactionalId)
      if (earlier !== undefined) {
        if (req.producerEpoch < earlier.req.producerEpoch) {
          resolve(everyPartition(req, ErrorCode.INVALID_PRODUCER_EPOCH))
          return
        }
        earlier.resolve(
          everyPartition(
            earlier.req,
            earlier.req.producerEpoch < req.producerEpoch
              ? ErrorCode.INVALID_PRODUCER_EPOCH
              : ErrorCode.NETWORK_EXCEPTION,
          ),
        )
      }
      batch.set(req.transactionalId, { req, resolve })
      this.sendNext(leader)
    })
  }

  private sendNext(broker: number): void {
    if (this.inFlight.has(broker)) return
    const batch = this.waiting.get(broker)
    if (batch === undefined || batch.size === 0) return
    this.waiting.delete(broker)
    this.inFlight.add(broker)
    const questions = [...batch.values()]
    const transactions = questions.map(({ req }) => {
      const byTopic = new Map<string, number[]>()
      for (const tp of req.partitions) {
        const list = byTopic.get(tp.topic)
        if (list === undefined) byTopic.set(tp.topic, [tp.partition])
        else list.push(tp.partition)
      }
      return {
        transactionalId: req.transactionalId as TransactionalId,
        producerId: req.producerId as ProducerId,
        producerEpoch: req.producerEpoch,
        verifyOnly: true,
        topics: [...byTopic].map(([name, partitions]) => ({ name: name as TopicName, partitions })),
      }
    })
    let send: Promise<AddPartitionsToTxnResponse>
    try {
      send = this.p.remote(broker)(transactions)
    } catch (err) {
      send = Promise.reject(err)
    }
    send
      .then(
        (res) => this.answer(questions, res),
        (err) => {
          this.p.logger.warn(`AddPartitionsToTxn (verifyOnly) to broker ${broker} failed: ${err}`)
          for (const q of questions) q.resolve(everyPartition(q.req, ErrorCode.NETWORK_EXCEPTION))
        },
      )
      .finally(() => {
        this.inFlight.delete(broker)
        this.sendNext(broker)
      })
  }

  private answer(questions: Question[], res: AddPartitionsToTxnResponse): void {
    if (res.errorCode === ErrorCode.UNSUPPORTED_VERSION) {
      for (const q of questions) q.resolve(new Map())
      return
    }
    if (res.errorCode !== ErrorCode.NONE) {
      const code =
        res.errorCode === ErrorCode.CLUSTER_AUTHORIZATION_FAILED ? ErrorCode.INVALID_TXN_STATE : res.errorCode
      for (const q of questions) q.resolve(everyPartition(q.req, code))
      return
    }
    const byId = new Map(res.resultsByTransaction.map((r) => [r.transactionalId as string, r]))
    for (const q of questions) {
      const r = byId.get(q.req.transactionalId)
      if (r === undefined) {
        q.resolve(everyPartition(q.req, ErrorCode.NETWORK_EXCEPTION))
        continue
      }
      const codes = new Map<string, number>()
      for (const t of r.topicResults)
        for (const p of t.resultsByPartition)
          if (p.partitionErrorCode !== ErrorCode.NONE)
            codes.set(verifyKey(t.name, p.partitionIndex), fencedAsEpoch(p.partitionErrorCode))
      q.resolve(codes)
    }
  }
}
