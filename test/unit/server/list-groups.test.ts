import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import { listGroupsHandler } from '../../../src/server/handlers/list-groups.ts'
import { commitParams } from '../coordinator/group-fixture.ts'
import { call, checkErrorResponses, groupFixture, withOffsetsTopic } from '../coordinator/handler-fixture.ts'

describe('ListGroups', () => {
  it('lists groups with state (v4+) and type (v5), honouring the filters', async () => {
    const g = await groupFixture()
    await withOffsetsTopic(g)
    for (const id of ['a', 'b', 'c']) await g.gc.commitOffsets(commitParams(id, { t: { 0: 1n } }))
    for (let v = 0; v <= 5; v++) {
      const r = await call(g, listGroupsHandler, v, {})
      assert.equal(r.errorCode, ErrorCode.NONE)
      assert.deepEqual(r.groups.map((x) => x.groupId).sort(), ['a', 'b', 'c'])
      assert.equal(r.groups[0].groupState, v >= 4 ? 'Empty' : '')
      assert.equal(r.groups[0].groupType, v >= 5 ? 'classic' : '')
    }
    assert.equal((await call(g, listGroupsHandler, 4, { statesFilter: ['Stable'] })).groups.length, 0)
    assert.equal((await call(g, listGroupsHandler, 4, { statesFilter: ['empty'] })).groups.length, 3)
    assert.equal((await call(g, listGroupsHandler, 5, { typesFilter: ['consumer'] })).groups.length, 0)
    assert.equal((await call(g, listGroupsHandler, 5, { typesFilter: ['classic'] })).groups.length, 3)
  })

  it('has an error response at every version', () => {
    checkErrorResponses(listGroupsHandler, () => ({}), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
  })
})
