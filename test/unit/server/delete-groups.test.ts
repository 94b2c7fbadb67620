import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import { deleteGroupsHandler } from '../../../src/server/handlers/delete-groups.ts'
import { joinGroupHandler } from '../../../src/server/handlers/join-group.ts'
import { commitParams, subscription } from '../coordinator/group-fixture.ts'
import { call, checkErrorResponses, groupFixture, withOffsetsTopic } from '../coordinator/handler-fixture.ts'

describe('DeleteGroups', () => {
  it('deletes empty groups and their offsets, refuses busy and unknown ones (v0-2)', async () => {
    const g = await groupFixture()
    await withOffsetsTopic(g)
    await call(g, joinGroupHandler, 3, {
      groupId: 'busy',
      sessionTimeoutMs: 10000,
      rebalanceTimeoutMs: 10000,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: subscription(['t']) }],
    })
    for (let v = 0; v <= 2; v++) {
      await g.gc.commitOffsets(commitParams('idle', { t: { 0: 1n } }))
      const r = await call(g, deleteGroupsHandler, v, {
        groupsNames: ['idle', 'busy', 'none'],
      })
      assert.deepEqual(
        r.results.map((x) => [x.groupId, x.errorCode]),
        [
          ['idle', ErrorCode.NONE],
          ['busy', ErrorCode.NON_EMPTY_GROUP],
          ['none', ErrorCode.GROUP_ID_NOT_FOUND],
        ],
      )
      assert.deepEqual(g.gc.fetchOffsets('idle', null).topics, [])
    }
  })

  it('has an error response at every version', () => {
    checkErrorResponses(deleteGroupsHandler, () => ({ groupsNames: ['g'] }), ErrorCode.NOT_COORDINATOR)
  })
})
