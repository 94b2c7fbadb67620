// Transaction coordinator APIs before transactions exist: AddPartitionsToTxn v0-5 (flexible from v3),
// AddOffsetsToTxn v0-4 (flexible from v3), EndTxn v0-5 (flexible from v3), TxnOffsetCommit v0-4
// (flexible from v3). This broker hosts no transaction coordinator, so each answers NOT_COORDINATOR
// for every partition (or at the top level where the API has no partitions), which is what a Kafka
// broker answers when it does not own the transactional id's (or group's) coordinator partition.
// Clients then look the coordinator up again; FindCoordinator (the groups issue) answers for
// transactions, and a transactional producer fails with the client's own timeout instead of
// hanging. InitProducerId (idempotence) is served by the data path, not here.
// Not implemented: transactions (a later issue replaces these handlers).

import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type AddOffsetsToTxnRequest,
  type AddOffsetsToTxnResponse,
  addOffsetsToTxnRequestCodec,
  addOffsetsToTxnResponseCodec,
} from '../../protocol/generated/messages/add-offsets-to-txn.ts'
import {
  type AddPartitionsToTxnRequest,
  type AddPartitionsToTxnRequestAddPartitionsToTxnTopic,
  type AddPartitionsToTxnResponse,
  addPartitionsToTxnRequestCodec,
  addPartitionsToTxnResponseCodec,
} from '../../protocol/generated/messages/add-partitions-to-txn.ts'
import {
  type EndTxnRequest,
  type EndTxnResponse,
  endTxnRequestCodec,
  endTxnResponseCodec,
} from '../../protocol/generated/messages/end-txn.ts'
import {
  type TxnOffsetCommitRequest,
  type TxnOffsetCommitResponse,
  txnOffsetCommitRequestCodec,
  txnOffsetCommitResponseCodec,
} from '../../protocol/generated/messages/txn-offset-commit.ts'
import type { Handler } from '../handler.ts'

const topicResults = (
  topics: readonly AddPartitionsToTxnRequestAddPartitionsToTxnTopic[],
  errorCode: number,
) =>
  topics.map((t) => ({
    name: t.name,
    resultsByPartition: t.partitions.map((partitionIndex) => ({
      partitionIndex,
      partitionErrorCode: errorCode,
    })),
  }))

function addPartitions(req: AddPartitionsToTxnRequest, version: number, errorCode: number) {
  const res: AddPartitionsToTxnResponse = addPartitionsToTxnResponseCodec.defaults(version)
  if (version < 4) res.resultsByTopicV3AndBelow = topicResults(req.v3AndBelowTopics, errorCode)
  else
    res.resultsByTransaction = req.transactions.map((t) => ({
      transactionalId: t.transactionalId,
      topicResults: topicResults(t.topics, errorCode),
    }))
  return res
}

export const addPartitionsToTxnHandler: Handler<
  AddPartitionsToTxnRequest,
  AddPartitionsToTxnResponse,
  unknown
> = {
  apiKey: 24,
  minVersion: 0,
  maxVersion: 5,
  request: addPartitionsToTxnRequestCodec,
  response: addPartitionsToTxnResponseCodec,
  handle: (ctx, req) => addPartitions(req, ctx.apiVersion, ErrorCode.NOT_COORDINATOR),
  errorResponse: (req, version, errorCode) => addPartitions(req, version, errorCode),
}

export const addOffsetsToTxnHandler: Handler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse, unknown> = {
  apiKey: 25,
  minVersion: 0,
  maxVersion: 4,
  request: addOffsetsToTxnRequestCodec,
  response: addOffsetsToTxnResponseCodec,
  handle: () => ({ throttleTimeMs: 0, errorCode: ErrorCode.NOT_COORDINATOR }),
  errorResponse: (_req, _version, errorCode) => ({ throttleTimeMs: 0, errorCode }),
}

export const endTxnHandler: Handler<EndTxnRequest, EndTxnResponse, unknown> = {
  apiKey: 26,
  minVersion: 0,
  maxVersion: 5,
  request: endTxnRequestCodec,
  response: endTxnResponseCodec,
  handle: (ctx) => ({
    ...endTxnResponseCodec.defaults(ctx.apiVersion),
    errorCode: ErrorCode.NOT_COORDINATOR,
  }),
  errorResponse: (_req, version, errorCode) => ({ ...endTxnResponseCodec.defaults(version), errorCode }),
}

const txnOffsetCommit = (req: TxnOffsetCommitRequest, errorCode: number): TxnOffsetCommitResponse => ({
  throttleTimeMs: 0,
  topics: req.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
  })),
})

export const txnOffsetCommitHandler: Handler<TxnOffsetCommitRequest, TxnOffsetCommitResponse, unknown> = {
  apiKey: 28,
  minVersion: 0,
  maxVersion: 4,
  request: txnOffsetCommitRequestCodec,
  response: txnOffsetCommitResponseCodec,
  handle: (_ctx, req) => txnOffsetCommit(req, ErrorCode.NOT_COORDINATOR),
  errorResponse: (req, _version, errorCode) => txnOffsetCommit(req, errorCode),
}
