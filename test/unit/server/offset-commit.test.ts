import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import { offsetCommitHandler } from '../../../src/server/handlers/offset-commit.ts'
import {
  call,
  checkErrorResponses,
  createTopic,
  groupFixture,
  withOffsetsTopic,
} from '../coordinator/handler-fixture.ts'

const partition = (partitionIndex: number, committedOffset: bigint) => ({
  partitionIndex,
  committedOffset,
  committedLeaderEpoch: -1,
  commitTimestamp: -1n,
  committedMetadata: 'md',
})

describe('OffsetCommit', () => {
  it('commits for a simple consumer at every version; unknown topics and partitions are refused', async () => {
    const g = await groupFixture()
    await withOffsetsTopic(g)
    await createTopic(g, 't', 2)
    for (let v = 0; v <= 9; v++) {
      const r = await call(g, offsetCommitHandler, v, {
        groupId: `g${v}`,
        generationIdOrMemberEpoch: -1,
        retentionTimeMs: -1n,
        topics: [
          { name: 't', partitions: [partition(0, BigInt(v)), partition(7, 1n)] },
          { name: 'missing', partitions: [partition(0, 1n)] },
        ],
      })
      assert.deepEqual(
        r.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode])]),
        [
          [
            't',
            [
              [0, ErrorCode.NONE],
              [7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
            ],
          ],
          ['missing', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
        ],
        `v${v}`,
      )
      const f = g.gc.fetchOffsets(`g${v}`, [{ name: 't', partitionIndexes: [0] }]).topics[0].partitions[0]
      assert.equal(f.committedOffset, BigInt(v))
      assert.equal(f.metadata, 'md')
    }
  })

  it('keeps the leader epoch from v6 and answers group errors per version', async () => {
    const g = await groupFixture()
    await withOffsetsTopic(g)
    await createTopic(g, 't', 1)
    await call(g, offsetCommitHandler, 6, {
      groupId: 'e',
      generationIdOrMemberEpoch: -1,
      topics: [{ name: 't', partitions: [{ ...partition(0, 5n), committedLeaderEpoch: 4 }] }],
    })
    assert.equal(
      g.gc.fetchOffsets('e', [{ name: 't', partitionIndexes: [0] }]).topics[0].partitions[0]
        .committedLeaderEpoch,
      4,
    )
    const missing = (v: number) =>
      call(g, offsetCommitHandler, v, {
        groupId: 'nobody',
        generationIdOrMemberEpoch: 3,
        memberId: 'm',
        topics: [{ name: 't', partitions: [partition(0, 1n)] }],
      })
    assert.equal((await missing(8)).topics[0].partitions[0].errorCode, ErrorCode.ILLEGAL_GENERATION)
    assert.equal((await missing(9)).topics[0].partitions[0].errorCode, ErrorCode.GROUP_ID_NOT_FOUND)
  })

  it('has an error response at every version', () => {
    checkErrorResponses(
      offsetCommitHandler,
      () => ({ groupId: 'g', topics: [{ name: 't', partitions: [partition(0, 1n)] }] }),
      ErrorCode.NOT_COORDINATOR,
    )
    assert.deepEqual([offsetCommitHandler.minVersion, offsetCommitHandler.maxVersion], [0, 9])
  })
})
