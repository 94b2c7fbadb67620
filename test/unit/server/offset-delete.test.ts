import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import { joinGroupHandler } from '../../../src/server/handlers/join-group.ts'
import { offsetDeleteHandler } from '../../../src/server/handlers/offset-delete.ts'
import { syncGroupHandler } from '../../../src/server/handlers/sync-group.ts'
import { commitParams, subscription } from '../coordinator/group-fixture.ts'
import {
  call,
  checkErrorResponses,
  createTopic,
  groupFixture,
  withOffsetsTopic,
} from '../coordinator/handler-fixture.ts'

describe('OffsetDelete', () => {
  it('deletes offsets of topics a group does not consume; refuses subscribed topics and unknown ones', async () => {
    const g = await groupFixture()
    await withOffsetsTopic(g)
    await createTopic(g, 'sub', 1)
    await createTopic(g, 'old', 1)
    const j = await call(g, joinGroupHandler, 3, {
      groupId: 'g',
      sessionTimeoutMs: 10000,
      rebalanceTimeoutMs: 10000,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: subscription(['sub']) }],
    })
    await call(g, syncGroupHandler, 3, {
      groupId: 'g',
      generationId: 1,
      memberId: j.memberId,
      assignments: [],
    })
    await g.gc.commitOffsets(
      commitParams('g', { sub: { 0: 1n }, old: { 0: 2n } }, { generationId: 1, memberId: j.memberId }),
    )
    const r = await call(g, offsetDeleteHandler, 0, {
      groupId: 'g',
      topics: [
        { name: 'sub', partitions: [{ partitionIndex: 0 }] },
        { name: 'old', partitions: [{ partitionIndex: 0 }] },
        { name: 'gone', partitions: [{ partitionIndex: 0 }] },
      ],
    })
    assert.equal(r.errorCode, ErrorCode.NONE)
    assert.deepEqual(
      r.topics.map((t) => [t.name, t.partitions[0].errorCode]),
      [
        ['sub', ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC],
        ['old', ErrorCode.NONE],
        ['gone', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ],
    )
    assert.deepEqual(
      g.gc.fetchOffsets('g', null).topics.map((t) => t.name),
      ['sub'],
    )
    const none = await call(g, offsetDeleteHandler, 0, { groupId: 'none', topics: [] })
    assert.equal(none.errorCode, ErrorCode.GROUP_ID_NOT_FOUND)
  })

  it('has an error response', () => {
    checkErrorResponses(offsetDeleteHandler, () => ({ groupId: 'g' }), ErrorCode.NOT_COORDINATOR)
  })
})
