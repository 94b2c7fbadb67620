import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { TopicName } from '../../../src/common/ids.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  type DeleteRecordsRequest,
  deleteRecordsResponseCodec,
} from '../../../src/protocol/generated/messages/delete-records.ts'
import { deleteRecordsHandler } from '../../../src/server/handlers/delete-records.ts'
import { produceHandler } from '../../../src/server/handlers/produce.ts'
import { batch, ctx, type Env, roundTrip, startEnv } from '../replication/helpers.ts'

const req = (topic: string, offset: bigint, partitionIndex = 0): DeleteRecordsRequest => ({
  topics: [{ name: topic as TopicName, partitions: [{ partitionIndex, offset }] }],
  timeoutMs: 1000,
})

async function del(env: Env, r: DeleteRecordsRequest, version = 2) {
  const res = roundTrip(
    deleteRecordsResponseCodec,
    (await deleteRecordsHandler.handle(ctx(21, version), r, env.services))!,
    version,
  )
  return res.topics[0].partitions[0]
}

async function produce(env: Env, topic: string, n: number) {
  await produceHandler.handle(
    ctx(0, 9),
    {
      transactionalId: null,
      acks: 1,
      timeoutMs: 1000,
      topicData: [{ name: topic as TopicName, partitionData: [{ index: 0, records: batch(n) }] }],
    },
    env.services,
  )
}

describe('DeleteRecords handler', () => {
  let env: Env
  before(async () => {
    env = await startEnv({ logConfig: (t) => (t === 'compact' ? { cleanupPolicy: 'compact' } : {}) })
    await env.setTopics({ name: 'd' }, { name: 'compact' }, { name: '__consumer_offsets' })
    await produce(env, 'd', 5)
    await produce(env, 'd', 5)
  })
  after(() => env.stop())

  it('moves the log start offset; -1 means the high watermark', async () => {
    const r = await del(env, req('d', 3n))
    assert.equal(r.errorCode, ErrorCode.NONE)
    assert.equal(r.lowWatermark, 3n)
    assert.equal(env.rm.partition('d', 0)!.log.logStartOffset, 3n)
    // Lower than the current start: nothing moves, the current low watermark is answered.
    assert.equal((await del(env, req('d', 1n))).lowWatermark, 3n)
    assert.equal((await del(env, req('d', -1n), 0)).lowWatermark, 10n)
  })

  it('refuses offsets past the high watermark, compact-only and internal topics, unknown partitions', async () => {
    assert.equal((await del(env, req('d', 11n))).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE)
    assert.equal((await del(env, req('d', -7n))).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE)
    assert.equal((await del(env, req('compact', 0n))).errorCode, ErrorCode.POLICY_VIOLATION)
    assert.equal((await del(env, req('__consumer_offsets', 0n))).errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION)
    const unknown = await del(env, req('d', 0n, 4))
    assert.equal(unknown.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    assert.equal(unknown.lowWatermark, -1n)
  })
})
