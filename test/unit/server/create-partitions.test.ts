import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { BrokerId, TopicName } from '../../../src/common/ids.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  type CreatePartitionsRequest,
  type CreatePartitionsRequestCreatePartitionsTopic,
  createPartitionsRequestCodec,
  createPartitionsResponseCodec,
} from '../../../src/protocol/generated/messages/create-partitions.ts'
import { createPartitionsHandler } from '../../../src/server/handlers/create-partitions.ts'
import { ctx, type Fixture, fixture, request, wire } from './admin-fixtures.ts'

async function createPartitions(f: Fixture, version: number, fields: Partial<CreatePartitionsRequest>) {
  const req = request(createPartitionsRequestCodec, fields, version)
  const res = await createPartitionsHandler.handle(ctx(37, version), req, f.services)
  assert.ok(res)
  return wire(createPartitionsResponseCodec, res, version)
}

const grow = (
  name: string,
  count: number,
  assignments: number[][] | null = null,
): CreatePartitionsRequestCreatePartitionsTopic => ({
  name: name as TopicName,
  count,
  assignments: assignments === null ? null : assignments.map((ids) => ({ brokerIds: ids as BrokerId[] })),
})

async function withTopic(name = 't', partitions = 2) {
  const f = await fixture()
  await f.store.createTopics([{ name, numPartitions: partitions, replicationFactor: 1 }])
  return f
}

const partitionsOf = (f: Fixture, name: string) => f.store.image().topics.get(name)!.partitions.length

describe('CreatePartitions', () => {
  it('raises the partition count in every version 0-3', async () => {
    for (let v = 0; v <= 3; v++) {
      const f = await withTopic()
      const res = await createPartitions(f, v, { topics: [grow('t', 5)] })
      assert.deepEqual(res.results, [{ name: 't', errorCode: ErrorCode.NONE, errorMessage: null }])
      assert.equal(partitionsOf(f, 't'), 5)
    }
  })

  it('takes manual assignments for the new partitions', async () => {
    const f = await withTopic()
    const res = await createPartitions(f, 3, { topics: [grow('t', 4, [[1], [1]])] })
    assert.equal(res.results[0]!.errorCode, ErrorCode.NONE)
    assert.equal(partitionsOf(f, 't'), 4)
    assert.deepEqual(f.readyHooks, [['t']])
    const bad = await createPartitions(f, 3, { topics: [grow('t', 6, [[1]])] })
    assert.equal(bad.results[0]!.errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT)
  })

  it('answers INVALID_PARTITIONS when the count is not an increase, UNKNOWN_TOPIC_OR_PARTITION for unknown topics', async () => {
    const f = await withTopic()
    const res = await createPartitions(f, 1, { topics: [grow('t', 2), grow('nope', 3)] })
    assert.deepEqual(
      res.results.map((r) => [r.name, r.errorCode]),
      [
        ['t', ErrorCode.INVALID_PARTITIONS],
        ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ],
    )
    assert.match(res.results[0]!.errorMessage!, /already has 2 partition/)
    const fewer = await createPartitions(f, 1, { topics: [grow('t', 1)] })
    assert.equal(fewer.results[0]!.errorCode, ErrorCode.INVALID_PARTITIONS)
  })

  it('validateOnly checks and changes nothing', async () => {
    const f = await withTopic()
    const res = await createPartitions(f, 2, { topics: [grow('t', 9)], validateOnly: true })
    assert.equal(res.results[0]!.errorCode, ErrorCode.NONE)
    assert.equal(partitionsOf(f, 't'), 2)
    assert.deepEqual(f.readyHooks, [])
  })

  it('answers a duplicated name once with INVALID_REQUEST', async () => {
    const f = await withTopic()
    const res = await createPartitions(f, 2, { topics: [grow('t', 3), grow('t', 4)] })
    assert.deepEqual(res.results, [
      { name: 't', errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name.' },
    ])
    assert.equal(partitionsOf(f, 't'), 2)
  })

  it('has an error response naming each topic', () => {
    const req = request(createPartitionsRequestCodec, { topics: [grow('a', 2), grow('b', 2)] }, 0)
    const res = wire(
      createPartitionsResponseCodec,
      createPartitionsHandler.errorResponse!(req, 0, ErrorCode.UNSUPPORTED_VERSION),
      0,
    )
    assert.deepEqual(
      res.results.map((r) => [r.name, r.errorCode]),
      [
        ['a', ErrorCode.UNSUPPORTED_VERSION],
        ['b', ErrorCode.UNSUPPORTED_VERSION],
      ],
    )
  })
})
