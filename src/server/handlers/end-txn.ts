// EndTxn: v0-5 (flexible 3+). Commits or aborts the producer's transaction: answered once the
// PrepareCommit/PrepareAbort record is durable; the markers are then written in the background
// and the transaction completes when every one is (requests for the id meanwhile answer
// CONCURRENT_TRANSACTIONS). A retried EndTxn of a completed transaction answers NONE, the other
// outcome INVALID_TXN_STATE. PRODUCER_FENCED is INVALID_PRODUCER_EPOCH below v2.
// Not implemented: transaction version 2 (KIP-890 part 2: v5's epoch bump per transaction; v5
// answers with producerId -1 / epoch -1, i.e. no new epoch, as a TV1 coordinator does); ACLs.

import type { TxnCoordinator } from '../../coordinator/txn/txn-coordinator.ts'
import {
  type EndTxnRequest,
  type EndTxnResponse,
  endTxnRequestCodec,
  endTxnResponseCodec,
} from '../../protocol/generated/messages/end-txn.ts'
import type { Handler } from '../handler.ts'
import { fencedForVersion } from './txn-errors.ts'

export interface EndTxnServices {
  readonly txnCoordinator: Pick<TxnCoordinator, 'endTxn'>
}

export const endTxnHandler: Handler<EndTxnRequest, EndTxnResponse, EndTxnServices> = {
  apiKey: 26,
  minVersion: 0,
  maxVersion: 5,
  request: endTxnRequestCodec,
  response: endTxnResponseCodec,
  async handle(ctx, req, s) {
    const code = await s.txnCoordinator.endTxn(
      { transactionalId: req.transactionalId, producerId: req.producerId, producerEpoch: req.producerEpoch },
      req.committed,
    )
    return {
      ...endTxnResponseCodec.defaults(ctx.apiVersion),
      errorCode: fencedForVersion(code, ctx.apiVersion, 2),
    }
  },
  errorResponse: (_req, version, errorCode) => ({ ...endTxnResponseCodec.defaults(version), errorCode }),
}
