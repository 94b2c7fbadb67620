// The share persister's routing and retries (coordinator/share/share-persister.ts) with a fake
// wire and a manual clock: a state partition led here goes to the local share coordinator, one led
// elsewhere to that broker as Read/WriteShareGroupState; NOT_COORDINATOR makes it look the leader
// up again and resend the newest state; a leader that never answers fails the write with
// COORDINATOR_NOT_AVAILABLE (nothing is kept in memory only).

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ManualClock } from '../../../src/common/clock.ts'
import type { Uuid } from '../../../src/common/ids.ts'
import { silentLogger } from '../../../src/common/logger.ts'
import { SHARE_STATE_TOPIC } from '../../../src/coordinator/share/share-coordinator.ts'
import { SharePersister } from '../../../src/coordinator/share/share-persister.ts'
import type { ShareStateValue } from '../../../src/coordinator/share/share-records.ts'
import type { MetadataImage } from '../../../src/metadata/image.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'

const KEY = { groupId: 'g', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' as Uuid, partition: 0 }
const state = (startOffset: bigint): ShareStateValue => ({
  snapshotEpoch: 0,
  stateEpoch: 0,
  leaderEpoch: -1,
  startOffset,
  stateBatches: [
    { firstOffset: startOffset, lastOffset: startOffset + 1n, deliveryState: 0, deliveryCount: 1 },
  ],
})

interface Sent {
  broker: number
  apiKey: number
  // biome-ignore lint/suspicious/noExplicitAny: the request bodies of two message types
  body: any
}

function setup(answer: (s: Sent) => unknown) {
  const clock = new ManualClock()
  let leader = 2
  const sent: Sent[] = []
  const local: string[] = []
  const image = () =>
    ({
      topics: new Map([[SHARE_STATE_TOPIC, { partitions: [{ leader }] }]]),
      brokers: new Map(),
    }) as unknown as MetadataImage
  const persister = new SharePersister({
    nodeId: 1,
    image,
    coordinator: {
      partitionFor: () => 0,
      ensureTopic: async () => ErrorCode.NONE,
      readState: async () => {
        local.push('read')
        return { errorCode: 0, state: state(5n) }
      },
      writeState: async () => {
        local.push('write')
        return ErrorCode.NONE
      },
    },
    listenerName: 'PLAINTEXT',
    requestTimeoutMs: 1000,
    clock,
    logger: silentLogger,
    connect: (broker) => ({
      send: async (spec, body) => {
        const s = { broker, apiKey: spec.apiKey, body }
        sent.push(s)
        return answer(s) as never
      },
    }),
  })
  return { clock, sent, local, persister, setLeader: (l: number) => (leader = l) }
}

const writeAnswer = (errorCode: number) => ({
  results: [{ topicId: KEY.topicId, partitions: [{ partition: 0, errorCode, errorMessage: null }] }],
})

test('a state partition led here is read and written by the local share coordinator', async () => {
  const t = setup(() => assert.fail('nothing goes over the wire'))
  t.setLeader(1)
  assert.equal((await t.persister.readState(KEY)).state?.startOffset, 5n)
  assert.equal(await t.persister.writeState(KEY, () => state(6n)), ErrorCode.NONE)
  assert.deepEqual(t.local, ['read', 'write'])
})

test('a remote read maps start offset -1 to no state and returns the batches otherwise', async () => {
  let start = -1n
  const t = setup(() => ({
    results: [
      {
        topicId: KEY.topicId,
        partitions: [
          {
            partition: 0,
            errorCode: 0,
            errorMessage: null,
            stateEpoch: 3,
            startOffset: start,
            stateBatches: start < 0n ? [] : state(start).stateBatches,
          },
        ],
      },
    ],
  }))
  assert.deepEqual(await t.persister.readState(KEY), { errorCode: 0, state: null })
  start = 7n
  const r = await t.persister.readState(KEY)
  assert.equal(r.state?.startOffset, 7n)
  assert.equal(r.state?.stateEpoch, 3)
  assert.deepEqual(r.state?.stateBatches, state(7n).stateBatches)
  assert.deepEqual(
    t.sent.map((s) => [s.broker, s.apiKey, s.body.groupId]),
    [
      [2, 84, 'g'],
      [2, 84, 'g'],
    ],
  )
})

test('NOT_COORDINATOR: the leader is looked up again and the newest state is resent', async () => {
  let current = 10n
  const t = setup((s) => writeAnswer(s.broker === 2 ? ErrorCode.NOT_COORDINATOR : ErrorCode.NONE))
  const done = t.persister.writeState(KEY, () => state(current))
  await t.clock.advanceAsync(0)
  assert.equal(t.sent.length, 1)
  t.setLeader(3)
  current = 12n
  await t.clock.advanceAsync(1000)
  assert.equal(await done, ErrorCode.NONE)
  assert.deepEqual(
    t.sent.map((s) => [s.broker, s.apiKey, s.body.topics[0].partitions[0].startOffset]),
    [
      [2, 85, 10n],
      [3, 85, 12n],
    ],
  )
})

test('a state leader that never answers fails the write with COORDINATOR_NOT_AVAILABLE', async () => {
  const t = setup(() => {
    throw new Error('connection refused')
  })
  let result: number | null = null
  void t.persister
    .writeState(KEY, () => state(1n))
    .then((c) => {
      result = c
    })
  await t.clock.advanceAsync(15_000)
  assert.equal(result, null, 'still retrying')
  await t.clock.advanceAsync(10_000)
  assert.equal(result, ErrorCode.COORDINATOR_NOT_AVAILABLE)
  assert.ok(t.sent.length > 5, `retried (${t.sent.length} sends)`)
})
