import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { TopicName } from '../../../src/common/ids.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  listOffsetsResponseCodec,
} from '../../../src/protocol/generated/messages/list-offsets.ts'
import { listOffsetsHandler } from '../../../src/server/handlers/list-offsets.ts'
import { produceHandler } from '../../../src/server/handlers/produce.ts'
import { batch, ctx, type Env, roundTrip, startEnv } from '../replication/helpers.ts'

function req(
  parts: { topic?: string; partition?: number; timestamp: bigint; currentLeaderEpoch?: number }[],
  isolationLevel = 0,
): ListOffsetsRequest {
  const topics: ListOffsetsRequest['topics'] = []
  for (const p of parts) {
    const name = (p.topic ?? 'lo') as TopicName
    let t = topics.find((x) => x.name === name)
    if (t === undefined) {
      t = { name, partitions: [] }
      topics.push(t)
    }
    t.partitions.push({
      partitionIndex: p.partition ?? 0,
      currentLeaderEpoch: p.currentLeaderEpoch ?? -1,
      timestamp: p.timestamp,
      maxNumOffsets: 1,
    })
  }
  return { replicaId: -1 as never, isolationLevel, topics, timeoutMs: 0 }
}

async function list(env: Env, r: ListOffsetsRequest, version = 7): Promise<ListOffsetsResponse> {
  return roundTrip(
    listOffsetsResponseCodec,
    (await listOffsetsHandler.handle(ctx(2, version), r, env.services))!,
    version,
  )
}

describe('ListOffsets handler', () => {
  let env: Env
  const T0 = 1_700_000_000_000
  before(async () => {
    env = await startEnv()
    await env.setTopics({ name: 'lo', leaderEpoch: 3 }, { name: 'empty' })
    // Three batches: timestamps T0..T0+2, T0+100..+102, T0+50..+52 (max timestamp in the second).
    for (const ts of [T0, T0 + 100, T0 + 50]) {
      await produceHandler.handle(
        ctx(0, 9),
        {
          transactionalId: null,
          acks: 1,
          timeoutMs: 1000,
          topicData: [{ name: 'lo' as TopicName, partitionData: [{ index: 0, records: batch(3, { ts }) }] }],
        },
        env.services,
      )
    }
  })
  after(() => env.stop())

  it('earliest, latest and max timestamp', async () => {
    const res = await list(env, req([{ timestamp: -2n }, { topic: 'empty', timestamp: -1n }]))
    const earliest = res.topics[0].partitions[0]
    assert.equal(earliest.errorCode, ErrorCode.NONE)
    assert.equal(earliest.offset, 0n)
    assert.equal(earliest.timestamp, -1n)
    assert.equal(res.topics[1].partitions[0].offset, 0n)
    const latest = (await list(env, req([{ timestamp: -1n }]))).topics[0].partitions[0]
    assert.equal(latest.offset, 9n)
    assert.equal(latest.leaderEpoch, 3)
    const max = (await list(env, req([{ timestamp: -3n }]))).topics[0].partitions[0]
    assert.equal(max.offset, 5n)
    assert.equal(max.timestamp, BigInt(T0 + 102))
    const local = (await list(env, req([{ timestamp: -4n }]), 8)).topics[0].partitions[0]
    assert.equal(local.offset, 0n)
    const tiered = (await list(env, req([{ timestamp: -5n }]), 9)).topics[0].partitions[0]
    assert.equal(tiered.offset, -1n)
  })

  it('by timestamp: the first record at or after it, or -1', async () => {
    const at = async (ts: number) =>
      (await list(env, req([{ timestamp: BigInt(ts) }]), 1)).topics[0].partitions[0]
    assert.equal((await at(T0 + 1)).offset, 1n)
    assert.equal((await at(T0 + 1)).timestamp, BigInt(T0 + 1))
    assert.equal((await at(T0 + 3)).offset, 3n)
    assert.equal((await at(T0 + 51)).offset, 3n)
    const none = await at(T0 + 1000)
    assert.equal(none.errorCode, ErrorCode.NONE)
    assert.equal(none.offset, -1n)
    assert.equal(none.timestamp, -1n)
  })

  it('errors: unknown partition, duplicates, fenced epoch', async () => {
    const res = await list(
      env,
      req([
        { topic: 'nope', timestamp: -1n },
        { partition: 0, timestamp: -1n },
        { partition: 0, timestamp: -2n },
      ]),
    )
    assert.equal(res.topics[0].partitions[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    assert.deepEqual(
      res.topics[1].partitions.map((p) => p.errorCode),
      [ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST],
    )
    const fenced = await list(env, req([{ timestamp: -1n, currentLeaderEpoch: 2 }]), 4)
    assert.equal(fenced.topics[0].partitions[0].errorCode, ErrorCode.FENCED_LEADER_EPOCH)
  })

  it('v0 (not served) gets an encodable UNSUPPORTED_VERSION answer', () => {
    const res = listOffsetsHandler.errorResponse!(req([{ timestamp: -1n }]), 0, ErrorCode.UNSUPPORTED_VERSION)
    const back = roundTrip(listOffsetsResponseCodec, res, 0)
    assert.equal(back.topics[0].partitions[0].errorCode, ErrorCode.UNSUPPORTED_VERSION)
  })

  it('read_committed latest is the last stable offset', async () => {
    const rc = (await list(env, req([{ timestamp: -1n }], 1), 2)).topics[0].partitions[0]
    assert.equal(rc.offset, 9n)
  })
})
