import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { TopicName } from '../../../src/common/ids.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  type OffsetForLeaderEpochRequest,
  offsetForLeaderEpochResponseCodec,
} from '../../../src/protocol/generated/messages/offset-for-leader-epoch.ts'
import { offsetForLeaderEpochHandler } from '../../../src/server/handlers/offset-for-leader-epoch.ts'
import { produceHandler } from '../../../src/server/handlers/produce.ts'
import { batch, ctx, type Env, roundTrip, startEnv } from '../replication/helpers.ts'

const req = (topic: string, leaderEpoch: number, currentLeaderEpoch = -1): OffsetForLeaderEpochRequest => ({
  replicaId: -1 as never,
  topics: [{ topic: topic as TopicName, partitions: [{ partition: 0, currentLeaderEpoch, leaderEpoch }] }],
})

async function ask(env: Env, r: OffsetForLeaderEpochRequest, version = 4) {
  const res = roundTrip(
    offsetForLeaderEpochResponseCodec,
    (await offsetForLeaderEpochHandler.handle(ctx(23, version), r, env.services))!,
    version,
  )
  return res.topics[0].partitions[0]
}

async function produce(env: Env, n: number) {
  await produceHandler.handle(
    ctx(0, 9),
    {
      transactionalId: null,
      acks: 1,
      timeoutMs: 1000,
      topicData: [{ name: 'e' as TopicName, partitionData: [{ index: 0, records: batch(n) }] }],
    },
    env.services,
  )
}

describe('OffsetForLeaderEpoch handler', () => {
  let env: Env
  before(async () => {
    env = await startEnv()
    await env.setTopics({ name: 'e', leaderEpoch: 1 })
    await produce(env, 4)
    await env.setTopics({ name: 'e', leaderEpoch: 3 })
    await produce(env, 2)
  })
  after(() => env.stop())

  it('answers the end offset of each epoch from the leader-epoch cache', async () => {
    const current = await ask(env, req('e', 3))
    assert.deepEqual([current.errorCode, current.leaderEpoch, current.endOffset], [ErrorCode.NONE, 3, 6n])
    const old = await ask(env, req('e', 1))
    assert.deepEqual([old.leaderEpoch, old.endOffset], [1, 4n])
    // An epoch that never led: the largest epoch below it, ending where the next one starts.
    const gap = await ask(env, req('e', 2), 2)
    assert.deepEqual([gap.leaderEpoch, gap.endOffset], [1, 4n])
  })

  it('v0-1 (not served) get an encodable UNSUPPORTED_VERSION answer', () => {
    for (const v of [0, 1]) {
      const res = offsetForLeaderEpochHandler.errorResponse!(req('e', 1), v, ErrorCode.UNSUPPORTED_VERSION)
      const back = roundTrip(offsetForLeaderEpochResponseCodec, res, v)
      assert.equal(back.topics[0].partitions[0].errorCode, ErrorCode.UNSUPPORTED_VERSION)
    }
  })

  it('fences the current leader epoch and reports unknown partitions', async () => {
    assert.equal((await ask(env, req('e', 1, 2))).errorCode, ErrorCode.FENCED_LEADER_EPOCH)
    assert.equal((await ask(env, req('e', 1, 9))).errorCode, ErrorCode.UNKNOWN_LEADER_EPOCH)
    const unknown = await ask(env, req('nope', 1))
    assert.deepEqual(
      [unknown.errorCode, unknown.leaderEpoch, unknown.endOffset],
      [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1n],
    )
  })
})
