// InitProducerId: v0-5 (flexible 2+). v0 is the floor (librdkafka < 2.11 enables idempotence only
// when v0 is advertised; the Java producer fails fatally without this API). Without a
// transactional id every request gets a new producer id with epoch 0, as Kafka's coordinator does
// for idempotent producers (a producerId/epoch sent by v3+ clients is not needed then: the new id
// starts a clean sequence). Ids come from a persisted block, never reused after a restart.
// An empty transactional id: INVALID_REQUEST (Kafka's answer). Any other transactional id goes to
// the transaction coordinator (coordinator/txn): a new id gets a producer id and epoch 0, a known
// one its epoch bumped (fencing the previous producer; an open transaction is aborted first and
// the answer is CONCURRENT_TRANSACTIONS until it is), with KIP-360 recovery from the producer id
// and epoch of v3+, a new producer id when the epoch is exhausted, INVALID_TRANSACTION_TIMEOUT
// above transaction.max.timeout.ms, NOT_COORDINATOR when the id's partition is led elsewhere.
// PRODUCER_FENCED is INVALID_PRODUCER_EPOCH below v4, as Kafka answers.

import type { ProducerId } from '../../common/ids.ts'
import type { TxnCoordinator } from '../../coordinator/txn/txn-coordinator.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type InitProducerIdRequest,
  type InitProducerIdResponse,
  initProducerIdRequestCodec,
  initProducerIdResponseCodec,
} from '../../protocol/generated/messages/init-producer-id.ts'
import type { Handler } from '../handler.ts'
import { fencedForVersion } from './txn-errors.ts'

export interface InitProducerIdServices {
  producerIds: { generate(): Promise<bigint> }
  readonly txnCoordinator: Pick<TxnCoordinator, 'initProducerId'>
}

const failed = (errorCode: number): InitProducerIdResponse => ({
  throttleTimeMs: 0,
  errorCode,
  producerId: -1n as ProducerId,
  producerEpoch: -1,
})

export const initProducerIdHandler: Handler<
  InitProducerIdRequest,
  InitProducerIdResponse,
  InitProducerIdServices
> = {
  apiKey: 22,
  minVersion: 0,
  maxVersion: 5,
  request: initProducerIdRequestCodec,
  response: initProducerIdResponseCodec,
  async handle(_ctx, req, services) {
    if (req.transactionalId === '') return failed(ErrorCode.INVALID_REQUEST)
    if (req.transactionalId !== null) {
      const r = await services.txnCoordinator.initProducerId(
        req.transactionalId,
        req.transactionTimeoutMs,
        req.producerId,
        req.producerEpoch,
      )
      return {
        throttleTimeMs: 0,
        errorCode: fencedForVersion(r.errorCode, _ctx.apiVersion, 4),
        producerId: r.producerId as ProducerId,
        producerEpoch: r.producerEpoch,
      }
    }
    const producerId = (await services.producerIds.generate()) as ProducerId
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 }
  },
  errorResponse(_req, _version, errorCode) {
    return failed(errorCode)
  },
}
