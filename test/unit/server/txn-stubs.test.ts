import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { GroupId, ProducerId, TopicName, TransactionalId } from '../../../src/common/ids.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  addOffsetsToTxnRequestCodec,
  addOffsetsToTxnResponseCodec,
} from '../../../src/protocol/generated/messages/add-offsets-to-txn.ts'
import {
  addPartitionsToTxnRequestCodec,
  addPartitionsToTxnResponseCodec,
} from '../../../src/protocol/generated/messages/add-partitions-to-txn.ts'
import { endTxnRequestCodec, endTxnResponseCodec } from '../../../src/protocol/generated/messages/end-txn.ts'
import {
  txnOffsetCommitRequestCodec,
  txnOffsetCommitResponseCodec,
} from '../../../src/protocol/generated/messages/txn-offset-commit.ts'
import {
  addOffsetsToTxnHandler,
  addPartitionsToTxnHandler,
  endTxnHandler,
  txnOffsetCommitHandler,
} from '../../../src/server/handlers/txn-stubs.ts'
import { ctx, request, wire } from './admin-fixtures.ts'

const NOT_COORDINATOR = ErrorCode.NOT_COORDINATOR
const txnId = 'tx-1' as TransactionalId
const topics = [
  { name: 'a' as TopicName, partitions: [0, 2] },
  { name: 'b' as TopicName, partitions: [1] },
]
const expectedTopics = [
  {
    name: 'a',
    resultsByPartition: [
      { partitionIndex: 0, partitionErrorCode: NOT_COORDINATOR },
      { partitionIndex: 2, partitionErrorCode: NOT_COORDINATOR },
    ],
  },
  { name: 'b', resultsByPartition: [{ partitionIndex: 1, partitionErrorCode: NOT_COORDINATOR }] },
]

describe('transaction APIs without a transaction coordinator', () => {
  it('AddPartitionsToTxn answers NOT_COORDINATOR per partition (v0-3) and per transaction (v4-5)', async () => {
    for (let v = 0; v <= 5; v++) {
      const fields =
        v < 4
          ? {
              v3AndBelowTransactionalId: txnId,
              v3AndBelowProducerId: 5n as ProducerId,
              v3AndBelowTopics: topics,
            }
          : {
              transactions: [
                {
                  transactionalId: txnId,
                  producerId: 5n as ProducerId,
                  producerEpoch: 0,
                  verifyOnly: false,
                  topics,
                },
              ],
            }
      const req = request(addPartitionsToTxnRequestCodec, fields, v)
      const res = wire(
        addPartitionsToTxnResponseCodec,
        (await addPartitionsToTxnHandler.handle(ctx(24, v), req, {}))!,
        v,
      )
      if (v < 4) assert.deepEqual(res.resultsByTopicV3AndBelow, expectedTopics)
      else {
        assert.equal(res.errorCode, ErrorCode.NONE)
        assert.deepEqual(res.resultsByTransaction, [{ transactionalId: txnId, topicResults: expectedTopics }])
      }
    }
  })

  it('AddOffsetsToTxn (v0-4) and EndTxn (v0-5) answer NOT_COORDINATOR', async () => {
    for (let v = 0; v <= 4; v++) {
      const req = request(addOffsetsToTxnRequestCodec, { transactionalId: txnId, groupId: 'g' as GroupId }, v)
      const res = wire(
        addOffsetsToTxnResponseCodec,
        (await addOffsetsToTxnHandler.handle(ctx(25, v), req, {}))!,
        v,
      )
      assert.equal(res.errorCode, NOT_COORDINATOR)
    }
    for (let v = 0; v <= 5; v++) {
      const req = request(endTxnRequestCodec, { transactionalId: txnId, committed: true }, v)
      const res = wire(endTxnResponseCodec, (await endTxnHandler.handle(ctx(26, v), req, {}))!, v)
      assert.equal(res.errorCode, NOT_COORDINATOR)
    }
  })

  it('TxnOffsetCommit answers NOT_COORDINATOR per partition (v0-4)', async () => {
    for (let v = 0; v <= 4; v++) {
      const req = request(
        txnOffsetCommitRequestCodec,
        {
          transactionalId: txnId,
          groupId: 'g' as GroupId,
          topics: [
            {
              name: 'a' as TopicName,
              partitions: [
                {
                  partitionIndex: 3,
                  committedOffset: 10n,
                  committedLeaderEpoch: -1,
                  committedMetadata: null,
                },
              ],
            },
          ],
        },
        v,
      )
      const res = wire(
        txnOffsetCommitResponseCodec,
        (await txnOffsetCommitHandler.handle(ctx(28, v), req, {}))!,
        v,
      )
      assert.deepEqual(res.topics, [
        { name: 'a', partitions: [{ partitionIndex: 3, errorCode: NOT_COORDINATOR }] },
      ])
    }
  })

  it('error responses carry the given code', () => {
    const req = request(endTxnRequestCodec, { transactionalId: txnId }, 0)
    assert.equal(
      endTxnHandler.errorResponse!(req, 0, ErrorCode.UNSUPPORTED_VERSION).errorCode,
      ErrorCode.UNSUPPORTED_VERSION,
    )
    const ap = request(addPartitionsToTxnRequestCodec, { v3AndBelowTopics: topics }, 0)
    const res = addPartitionsToTxnHandler.errorResponse!(ap, 0, ErrorCode.UNSUPPORTED_VERSION)
    assert.equal(
      res.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode,
      ErrorCode.UNSUPPORTED_VERSION,
    )
  })
})
