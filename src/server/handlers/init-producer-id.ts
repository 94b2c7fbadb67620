// InitProducerId: v0-5 (flexible 2+). v0 is the floor (librdkafka < 2.11 enables idempotence only
// when v0 is advertised; the Java producer fails fatally without this API). Without a
// transactional id every request gets a new producer id with epoch 0, as Kafka's coordinator does
// for idempotent producers (a producerId/epoch sent by v3+ clients is not needed then: the new id
// starts a clean sequence). Ids come from a persisted block, never reused after a restart.
// An empty transactional id: INVALID_REQUEST (Kafka's answer). Any other transactional id:
// COORDINATOR_NOT_AVAILABLE — there is no transaction coordinator yet;
// Kafka answers that while its coordinator is unavailable, and clients retry it until their own
// timeout (transactions come with their own issue).

import type { ProducerId } from '../../common/ids.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type InitProducerIdRequest,
  type InitProducerIdResponse,
  initProducerIdRequestCodec,
  initProducerIdResponseCodec,
} from '../../protocol/generated/messages/init-producer-id.ts'
import type { Handler } from '../handler.ts'

export interface InitProducerIdServices {
  producerIds: { generate(): Promise<bigint> }
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
    if (req.transactionalId !== null) return failed(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    const producerId = (await services.producerIds.generate()) as ProducerId
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 }
  },
  errorResponse(_req, _version, errorCode) {
    return failed(errorCode)
  },
}
