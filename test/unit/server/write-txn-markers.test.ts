// WriteTxnMarkers handler over the local marker writer (replication/txn-markers.ts): markers
// written on the partitions led here, answers grouped by producer and topic in both versions, the
// partitions' own errors, and the error response a frame that cannot be served gets.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { ProducerId, TopicName } from '../../../src/common/ids.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  type WriteTxnMarkersRequest,
  type WriteTxnMarkersResponse,
  writeTxnMarkersResponseCodec,
} from '../../../src/protocol/generated/messages/write-txn-markers.ts'
import { localTxnMarkerWriter } from '../../../src/replication/txn-markers.ts'
import { writeTxnMarkersHandler } from '../../../src/server/handlers/write-txn-markers.ts'
import { ctx, roundTrip, startEnv } from '../replication/helpers.ts'

const req = (coordinatorEpoch: number): WriteTxnMarkersRequest => ({
  markers: [
    {
      producerId: 11n as ProducerId,
      producerEpoch: 2,
      transactionResult: true,
      coordinatorEpoch,
      topics: [
        { name: 'a' as TopicName, partitionIndexes: [0, 1] },
        { name: 'missing' as TopicName, partitionIndexes: [0] },
      ],
    },
    {
      producerId: 12n as ProducerId,
      producerEpoch: 0,
      transactionResult: false,
      coordinatorEpoch,
      topics: [{ name: 'a' as TopicName, partitionIndexes: [1] }],
    },
  ],
})

describe('WriteTxnMarkers handler', () => {
  it('writes each marker on the partitions led here and answers per producer, topic and partition', async () => {
    const env = await startEnv()
    await env.setTopics({ name: 'a', partitions: 2 })
    const services = { txnMarkerWriter: localTxnMarkerWriter(env.rm, { clock: env.clock }) }
    for (const version of [0, 1]) {
      const res = (await writeTxnMarkersHandler.handle(
        ctx(27, version),
        req(4),
        services,
      )) as WriteTxnMarkersResponse
      assert.deepEqual(roundTrip(writeTxnMarkersResponseCodec, res, version), {
        markers: [
          {
            producerId: 11n,
            topics: [
              {
                name: 'a',
                partitions: [
                  { partitionIndex: 0, errorCode: ErrorCode.NONE },
                  { partitionIndex: 1, errorCode: ErrorCode.NONE },
                ],
              },
              {
                name: 'missing',
                partitions: [{ partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }],
              },
            ],
          },
          {
            producerId: 12n,
            topics: [{ name: 'a', partitions: [{ partitionIndex: 1, errorCode: ErrorCode.NONE }] }],
          },
        ],
      })
    }
    assert.equal(env.rm.partition('a', 0)!.log.logEndOffset, 2n)
    assert.equal(env.rm.partition('a', 1)!.log.logEndOffset, 4n)
    const stale = (await writeTxnMarkersHandler.handle(
      ctx(27, 1),
      req(3),
      services,
    )) as WriteTxnMarkersResponse
    assert.equal(stale.markers[0].topics[0].partitions[0].errorCode, ErrorCode.TRANSACTION_COORDINATOR_FENCED)
    const failed = writeTxnMarkersHandler.errorResponse!(req(4), 1, ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
    assert.deepEqual(
      failed.markers.map((m) => m.topics.map((t) => t.partitions.map((p) => p.errorCode))),
      [[[31, 31], [31]], [[31]]],
    )
    await env.stop()
  })
})
