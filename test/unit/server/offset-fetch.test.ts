import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import { offsetFetchHandler } from '../../../src/server/handlers/offset-fetch.ts'
import { commitParams } from '../coordinator/group-fixture.ts'
import { call, checkErrorResponses, groupFixture, withOffsetsTopic } from '../coordinator/handler-fixture.ts'

describe('OffsetFetch', () => {
  it('returns committed offsets per partition (v0-7), -1 where none, every topic for a null list (v2+)', async () => {
    const g = await groupFixture()
    await withOffsetsTopic(g)
    await g.gc.commitOffsets(commitParams('g', { a: { 0: 10n, 1: 11n }, b: { 0: 20n } }))
    for (let v = 0; v <= 7; v++) {
      const r = await call(g, offsetFetchHandler, v, {
        groupId: 'g',
        topics: [{ name: 'a', partitionIndexes: [1, 2] }],
      })
      assert.deepEqual(
        r.topics[0].partitions.map((p) => [p.partitionIndex, p.committedOffset, p.errorCode]),
        [
          [1, 11n, 0],
          [2, -1n, 0],
        ],
        `v${v}`,
      )
    }
    const all = await call(g, offsetFetchHandler, 2, { groupId: 'g', topics: null })
    assert.deepEqual(
      all.topics.map((t) => [t.name, t.partitions.length]),
      [
        ['a', 2],
        ['b', 1],
      ],
    )
  })

  it('fetches several groups at once (v8+)', async () => {
    const g = await groupFixture()
    await withOffsetsTopic(g)
    await g.gc.commitOffsets(commitParams('g1', { a: { 0: 1n } }))
    await g.gc.commitOffsets(commitParams('g2', { a: { 0: 2n } }))
    for (const v of [8, 9]) {
      const r = await call(g, offsetFetchHandler, v, {
        groups: [
          { groupId: 'g1', memberId: null, memberEpoch: -1, topics: null },
          {
            groupId: 'g2',
            memberId: null,
            memberEpoch: -1,
            topics: [{ name: 'a', partitionIndexes: [0] }],
          },
        ],
      })
      assert.deepEqual(
        r.groups.map((x) => [x.groupId, x.errorCode, x.topics[0].partitions[0].committedOffset]),
        [
          ['g1', 0, 1n],
          ['g2', 0, 2n],
        ],
      )
    }
  })

  it('puts coordinator errors on the partitions before v2, at the top from v2', async () => {
    const g = await groupFixture()
    const v1 = await call(g, offsetFetchHandler, 1, {
      groupId: 'g',
      topics: [{ name: 'a', partitionIndexes: [0] }],
    })
    assert.equal(v1.topics[0].partitions[0].errorCode, ErrorCode.NOT_COORDINATOR)
    const v2 = await call(g, offsetFetchHandler, 2, {
      groupId: 'g',
      topics: [{ name: 'a', partitionIndexes: [0] }],
    })
    assert.equal(v2.errorCode, ErrorCode.NOT_COORDINATOR)
  })

  it('has an error response at every version', () => {
    checkErrorResponses(
      offsetFetchHandler,
      (v) =>
        v < 8
          ? { groupId: 'g', topics: [{ name: 'a', partitionIndexes: [0] }] }
          : { groups: [{ groupId: 'g', memberId: null, memberEpoch: -1, topics: null }] },
      ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
    )
  })
})
