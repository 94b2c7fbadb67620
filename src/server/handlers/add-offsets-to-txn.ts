// AddOffsetsToTxn: v0-4 (flexible 3+). Adds the group's __consumer_offsets partition (Kafka's hash
// of the group id) to the producer's transaction, so that the transaction's marker also settles the
// offsets TxnOffsetCommit writes there. PRODUCER_FENCED is INVALID_PRODUCER_EPOCH below v2.
// Not implemented: ACL checks.

import { OFFSETS_TOPIC } from '../../coordinator/group/group-config.ts'
import type { GroupCoordinator } from '../../coordinator/group/group-coordinator.ts'
import type { TxnCoordinator } from '../../coordinator/txn/txn-coordinator.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type AddOffsetsToTxnRequest,
  type AddOffsetsToTxnResponse,
  addOffsetsToTxnRequestCodec,
  addOffsetsToTxnResponseCodec,
} from '../../protocol/generated/messages/add-offsets-to-txn.ts'
import type { Handler } from '../handler.ts'
import { fencedForVersion } from './txn-errors.ts'

export interface AddOffsetsToTxnServices {
  readonly txnCoordinator: Pick<TxnCoordinator, 'addPartitions'>
  readonly groupCoordinator: Pick<GroupCoordinator, 'partitionFor' | 'ensureOffsetsTopic'>
}

export const addOffsetsToTxnHandler: Handler<
  AddOffsetsToTxnRequest,
  AddOffsetsToTxnResponse,
  AddOffsetsToTxnServices
> = {
  apiKey: 25,
  minVersion: 0,
  maxVersion: 4,
  request: addOffsetsToTxnRequestCodec,
  response: addOffsetsToTxnResponseCodec,
  async handle(ctx, req, s) {
    if (req.groupId === '') return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_GROUP_ID }
    const created = await s.groupCoordinator.ensureOffsetsTopic()
    if (created !== ErrorCode.NONE)
      return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE }
    const code = await s.txnCoordinator.addPartitions(
      { transactionalId: req.transactionalId, producerId: req.producerId, producerEpoch: req.producerEpoch },
      [{ topic: OFFSETS_TOPIC, partition: s.groupCoordinator.partitionFor(req.groupId) }],
    )
    return { throttleTimeMs: 0, errorCode: fencedForVersion(code, ctx.apiVersion, 2) }
  },
  errorResponse: (_req, _version, errorCode) => ({ throttleTimeMs: 0, errorCode }),
}
