// ListTransactions: v0-1 (flexible). The transactions of every __transaction_state partition this
// broker coordinates (admin clients ask every broker and merge), filtered by state names (unknown
// names are echoed in unknownStateFilters), producer ids, and v1's duration (open transactions
// running at least that long). A partition still loading sets COORDINATOR_LOAD_IN_PROGRESS.
// Not implemented: ACLs (DESCRIBE on each transactional id).

import type { ProducerId, TransactionalId } from '../../common/ids.ts'
import type { TxnCoordinator } from '../../coordinator/txn/txn-coordinator.ts'
import { txnStateName, txnStateOfName } from '../../coordinator/txn/txn-records.ts'
import {
  type ListTransactionsRequest,
  type ListTransactionsResponse,
  listTransactionsRequestCodec,
  listTransactionsResponseCodec,
} from '../../protocol/generated/messages/list-transactions.ts'
import { AclOperation, ResourceType } from '../../security/acl-types.ts'
import { type Authorizing, allows, callerOf } from '../../security/authorizer-check.ts'
import type { Handler } from '../handler.ts'

export interface ListTransactionsServices extends Authorizing {
  readonly txnCoordinator: Pick<TxnCoordinator, 'list'>
}

function visible<T extends { transactionalId: string }>(
  txns: readonly T[],
  c: ReturnType<typeof callerOf>,
): readonly T[] {
  if (c === null) return txns
  return txns.filter((t) =>
    allows(c, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, t.transactionalId),
  )
}

export const listTransactionsHandler: Handler<
  ListTransactionsRequest,
  ListTransactionsResponse,
  ListTransactionsServices
> = {
  apiKey: 66,
  minVersion: 0,
  maxVersion: 1,
  request: listTransactionsRequestCodec,
  response: listTransactionsResponseCodec,
  handle(ctx, req, s) {
    const unknownStateFilters = req.stateFilters.filter((n) => txnStateOfName(n) === undefined)
    const known = req.stateFilters.flatMap((n) => {
      const st = txnStateOfName(n)
      return st === undefined ? [] : [txnStateName(st)]
    })
    // Only unknown names given: nothing can match.
    if (req.stateFilters.length > 0 && known.length === 0)
      return { throttleTimeMs: 0, errorCode: 0, unknownStateFilters, transactionStates: [] }
    const duration = ctx.apiVersion >= 1 ? Number(req.durationFilter) : -1
    const r = s.txnCoordinator.list(known, req.producerIdFilters, duration)
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      unknownStateFilters,
      // With an authorizer: only the transactional ids the caller may DESCRIBE.
      transactionStates: visible(r.txns, callerOf(s.authorizer, ctx.connection)).map((t) => ({
        transactionalId: t.transactionalId as TransactionalId,
        producerId: t.producerId as ProducerId,
        transactionState: t.state,
      })),
    }
  },
  errorResponse: (_req, _version, errorCode) => ({
    throttleTimeMs: 0,
    errorCode,
    unknownStateFilters: [],
    transactionStates: [],
  }),
}
