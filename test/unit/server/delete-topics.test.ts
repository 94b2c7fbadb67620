import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { TopicName, Uuid } from '../../../src/common/ids.ts'
import { ZERO_UUID } from '../../../src/common/ids.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  type DeleteTopicsRequest,
  deleteTopicsRequestCodec,
  deleteTopicsResponseCodec,
} from '../../../src/protocol/generated/messages/delete-topics.ts'
import { deleteTopicsHandler } from '../../../src/server/handlers/delete-topics.ts'
import { ctx, type Fixture, fixture, request, wire } from './admin-fixtures.ts'

async function deleteTopics(f: Fixture, version: number, fields: Partial<DeleteTopicsRequest>) {
  const req = request(deleteTopicsRequestCodec, fields, version)
  const res = await deleteTopicsHandler.handle(ctx(20, version), req, f.services)
  assert.ok(res)
  return wire(deleteTopicsResponseCodec, res, version)
}

async function withTopics(...names: string[]) {
  const f = await fixture()
  const results = await f.store.createTopics(
    names.map((name) => ({ name, numPartitions: 1, replicationFactor: 1 })),
  )
  assert.ok(results.every((r) => r.errorCode === ErrorCode.NONE))
  return { f, ids: new Map(results.map((r) => [r.name, r.topicId])) }
}

const asNames = (...n: string[]) => n as TopicName[]
const UNKNOWN_ID = 'AAAAAAAAAAAAAAAAAAAAAQ' as Uuid

describe('DeleteTopics', () => {
  it('deletes by name in every version 0-5 and answers UNKNOWN_TOPIC_OR_PARTITION for unknown names', async () => {
    for (let v = 0; v <= 5; v++) {
      const { f } = await withTopics('a', 'b')
      const res = await deleteTopics(f, v, { topicNames: asNames('a', 'nope') })
      assert.deepEqual(
        res.responses.map((r) => [r.name, r.errorCode]),
        [
          ['a', ErrorCode.NONE],
          ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
        ],
        `v${v}`,
      )
      assert.deepEqual([...f.store.image().topics.keys()], ['b'])
    }
  })

  it('deletes by name and by id in v6; unknown ids answer UNKNOWN_TOPIC_ID with a null name', async () => {
    const { f, ids } = await withTopics('a', 'b', 'c')
    const res = await deleteTopics(f, 6, {
      topics: [
        { name: 'a' as TopicName, topicId: ZERO_UUID },
        { name: null, topicId: ids.get('b')! },
        { name: null, topicId: UNKNOWN_ID },
      ],
    })
    assert.deepEqual(
      res.responses.map((r) => [r.name, r.topicId, r.errorCode]),
      [
        ['a', ids.get('a'), ErrorCode.NONE],
        ['b', ids.get('b'), ErrorCode.NONE],
        [null, UNKNOWN_ID, ErrorCode.UNKNOWN_TOPIC_ID],
      ],
    )
    assert.deepEqual([...f.store.image().topics.keys()], ['c'])
  })

  it('refuses entries with both a name and an id, with neither, and duplicates', async () => {
    const { f, ids } = await withTopics('a', 'b')
    const res = await deleteTopics(f, 6, {
      topics: [
        { name: 'a' as TopicName, topicId: ids.get('a')! },
        { name: null, topicId: ZERO_UUID },
        { name: 'b' as TopicName, topicId: ZERO_UUID },
        { name: 'b' as TopicName, topicId: ZERO_UUID },
        { name: null, topicId: UNKNOWN_ID },
        { name: null, topicId: UNKNOWN_ID },
      ],
    })
    assert.deepEqual(
      res.responses.map((r) => [r.name, r.errorCode, r.errorMessage]),
      [
        ['a', ErrorCode.INVALID_REQUEST, 'You may not specify both topic name and topic id.'],
        [null, ErrorCode.INVALID_REQUEST, 'Neither topic name nor id were specified.'],
        ['b', ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'],
        [null, ErrorCode.INVALID_REQUEST, 'Duplicate topic id.'],
      ],
    )
    assert.equal(f.store.image().topics.size, 2)
  })

  it('refuses everything when delete.topic.enable is false: INVALID_REQUEST before v3', async () => {
    const f = await fixture({ 'delete.topic.enable': false })
    await f.store.createTopics([{ name: 'keep', numPartitions: 1, replicationFactor: 1 }])
    for (const [v, code] of [
      [2, ErrorCode.INVALID_REQUEST],
      [3, ErrorCode.TOPIC_DELETION_DISABLED],
      [5, ErrorCode.TOPIC_DELETION_DISABLED],
    ] as const) {
      const res = await deleteTopics(f, v, { topicNames: asNames('keep', 'other') })
      assert.deepEqual(
        res.responses.map((r) => [r.name, r.errorCode]),
        [
          ['keep', code],
          ['other', code],
        ],
      )
    }
    const v6 = await deleteTopics(f, 6, { topics: [{ name: 'keep' as TopicName, topicId: ZERO_UUID }] })
    assert.equal(v6.responses[0]!.errorCode, ErrorCode.TOPIC_DELETION_DISABLED)
    assert.ok(f.store.image().topics.has('keep'))
  })
})
