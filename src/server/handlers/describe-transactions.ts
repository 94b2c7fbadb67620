// DescribeTransactions: v0 (flexible). The state of each transactional id this broker
// coordinates: state name, timeout, start time, producer id and epoch, and the partitions of the
// open (or ending) transaction. An id coordinated elsewhere answers NOT_COORDINATOR, one loading
// COORDINATOR_LOAD_IN_PROGRESS, an unknown one TRANSACTIONAL_ID_NOT_FOUND (clients first find the
// coordinator with FindCoordinator key type 1, as Kafka's admin client does).
// Not implemented: ACLs (DESCRIBE on the transactional id).

import type { ProducerId, TopicName, TransactionalId } from '../../common/ids.ts'
import type { TxnCoordinator } from '../../coordinator/txn/txn-coordinator.ts'
import {
  type DescribeTransactionsRequest,
  type DescribeTransactionsResponse,
  describeTransactionsRequestCodec,
  describeTransactionsResponseCodec,
} from '../../protocol/generated/messages/describe-transactions.ts'
import type { Handler } from '../handler.ts'

export interface DescribeTransactionsServices {
  readonly txnCoordinator: Pick<TxnCoordinator, 'describe'>
}

const failed = (id: string, errorCode: number) => ({
  errorCode,
  transactionalId: id as TransactionalId,
  transactionState: '',
  transactionTimeoutMs: 0,
  transactionStartTimeMs: -1n,
  producerId: -1n as ProducerId,
  producerEpoch: -1,
  topics: [],
})

export const describeTransactionsHandler: Handler<
  DescribeTransactionsRequest,
  DescribeTransactionsResponse,
  DescribeTransactionsServices
> = {
  apiKey: 65,
  minVersion: 0,
  maxVersion: 0,
  request: describeTransactionsRequestCodec,
  response: describeTransactionsResponseCodec,
  handle(_ctx, req, s) {
    return {
      throttleTimeMs: 0,
      transactionStates: s.txnCoordinator.describe(req.transactionalIds).map((d) =>
        d.errorCode !== 0
          ? failed(d.transactionalId, d.errorCode)
          : {
              errorCode: 0,
              transactionalId: d.transactionalId as TransactionalId,
              transactionState: d.state,
              transactionTimeoutMs: d.timeoutMs,
              transactionStartTimeMs: BigInt(d.startMs),
              producerId: d.producerId as ProducerId,
              producerEpoch: d.producerEpoch,
              topics: d.topics.map((t) => ({ topic: t.topic as TopicName, partitions: t.partitions })),
            },
      ),
    }
  },
  errorResponse: (req, _version, errorCode) => ({
    throttleTimeMs: 0,
    transactionStates: req.transactionalIds.map((id) => failed(id, errorCode)),
  }),
}
