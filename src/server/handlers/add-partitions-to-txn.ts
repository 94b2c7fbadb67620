// AddPartitionsToTxn: v0-5 (flexible 3+). v0-3: one transaction from a producer; v4+: the batched
// form (several transactional ids, each with its partitions; Kafka sends it broker-to-broker),
// with verifyOnly (KIP-890: "are these partitions in the ongoing transaction?", answered from the
// coordinator's state without writing). The partitions are added to the transaction with one
// __transaction_state record once they all exist: partitions of unknown topics answer
// UNKNOWN_TOPIC_OR_PARTITION and the rest OPERATION_NOT_ATTEMPTED, as Kafka does; otherwise every
// partition carries the coordinator's answer. PRODUCER_FENCED is INVALID_PRODUCER_EPOCH below v2.
// Partition leaders on other brokers send the verifyOnly form before a transactional batch opens
// a transaction there (replication/txn-verification.ts, coordinator/txn/txn-verifier.ts); on this
// broker they call the coordinator directly.
// Not implemented: ACL checks.

import type { TransactionalId } from '../../common/ids.ts'
import type { TxnCoordinator } from '../../coordinator/txn/txn-coordinator.ts'
import type { MetadataStore } from '../../metadata/store.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type AddPartitionsToTxnRequest,
  type AddPartitionsToTxnRequestAddPartitionsToTxnTopic,
  type AddPartitionsToTxnResponse,
  type AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult,
  addPartitionsToTxnRequestCodec,
  addPartitionsToTxnResponseCodec,
} from '../../protocol/generated/messages/add-partitions-to-txn.ts'
import type { Handler } from '../handler.ts'
import { fencedForVersion } from './txn-errors.ts'

export interface AddPartitionsToTxnServices {
  readonly metadata: Pick<MetadataStore, 'image'>
  readonly txnCoordinator: Pick<TxnCoordinator, 'addPartitions' | 'verifyPartitions'>
}

type Topics = readonly AddPartitionsToTxnRequestAddPartitionsToTxnTopic[]

function results(
  topics: Topics,
  codeOf: (topic: string, partition: number) => number,
): AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult[] {
  return topics.map((t) => ({
    name: t.name,
    resultsByPartition: t.partitions.map((partitionIndex) => ({
      partitionIndex,
      partitionErrorCode: codeOf(t.name, partitionIndex),
    })),
  }))
}

async function one(
  s: AddPartitionsToTxnServices,
  version: number,
  transactionalId: string,
  producerId: bigint,
  producerEpoch: number,
  topics: Topics,
  verifyOnly: boolean,
): Promise<AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult[]> {
  const image = s.metadata.image()
  const known = (t: string, p: number) => image.topics.get(t)?.partitions[p] !== undefined
  const partitions = topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })))
  if (partitions.some((p) => !known(p.topic, p.partition)))
    return results(topics, (t, p) =>
      known(t, p) ? ErrorCode.OPERATION_NOT_ATTEMPTED : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    )
  const r = { transactionalId, producerId, producerEpoch }
  if (verifyOnly) {
    const codes = s.txnCoordinator.verifyPartitions(r, partitions)
    return results(topics, (t, p) => codes.get(`${t}\u0000${p}`) ?? ErrorCode.INVALID_TXN_STATE)
  }
  const code = fencedForVersion(await s.txnCoordinator.addPartitions(r, partitions), version, 2)
  return results(topics, () => code)
}

function errorResponse(
  req: AddPartitionsToTxnRequest,
  version: number,
  errorCode: number,
): AddPartitionsToTxnResponse {
  const res: AddPartitionsToTxnResponse = addPartitionsToTxnResponseCodec.defaults(version)
  if (version < 4) res.resultsByTopicV3AndBelow = results(req.v3AndBelowTopics, () => errorCode)
  else res.errorCode = errorCode
  return res
}

export const addPartitionsToTxnHandler: Handler<
  AddPartitionsToTxnRequest,
  AddPartitionsToTxnResponse,
  AddPartitionsToTxnServices
> = {
  apiKey: 24,
  minVersion: 0,
  maxVersion: 5,
  request: addPartitionsToTxnRequestCodec,
  response: addPartitionsToTxnResponseCodec,
  async handle(ctx, req, s) {
    const version = ctx.apiVersion
    const res: AddPartitionsToTxnResponse = addPartitionsToTxnResponseCodec.defaults(version)
    if (version < 4) {
      res.resultsByTopicV3AndBelow = await one(
        s,
        version,
        req.v3AndBelowTransactionalId,
        req.v3AndBelowProducerId,
        req.v3AndBelowProducerEpoch,
        req.v3AndBelowTopics,
        false,
      )
      return res
    }
    res.resultsByTransaction = await Promise.all(
      req.transactions.map(async (t) => ({
        transactionalId: t.transactionalId as TransactionalId,
        topicResults: await one(
          s,
          version,
          t.transactionalId,
          t.producerId,
          t.producerEpoch,
          t.topics,
          t.verifyOnly,
        ),
      })),
    )
    return res
  },
  errorResponse,
}
