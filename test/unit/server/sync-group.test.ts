import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import { joinGroupHandler } from '../../../src/server/handlers/join-group.ts'
import { syncGroupHandler } from '../../../src/server/handlers/sync-group.ts'
import { subscription } from '../coordinator/group-fixture.ts'
import { call, checkErrorResponses, groupFixture, withOffsetsTopic } from '../coordinator/handler-fixture.ts'

const join = {
  groupId: 'g',
  sessionTimeoutMs: 10000,
  rebalanceTimeoutMs: 10000,
  protocolType: 'consumer',
  protocols: [{ name: 'range', metadata: subscription(['t1']) }],
}

describe('SyncGroup', () => {
  it('delivers the leader assignment at every version, checking protocol type and name from v5', async () => {
    const g = await groupFixture()
    await withOffsetsTopic(g)
    for (let v = 0; v <= 5; v++) {
      const groupId = `g${v}`
      const j = await call(g, joinGroupHandler, 3, { ...join, groupId })
      const s = await call(g, syncGroupHandler, v, {
        groupId,
        generationId: j.generationId,
        memberId: j.memberId,
        protocolType: v >= 5 ? 'consumer' : null,
        protocolName: v >= 5 ? 'range' : null,
        assignments: [{ memberId: j.memberId, assignment: Buffer.from(`a${v}`) }],
      })
      assert.equal(s.errorCode, ErrorCode.NONE)
      assert.deepEqual(s.assignment, Buffer.from(`a${v}`))
      assert.equal(s.protocolName, v >= 5 ? 'range' : null)
    }
    const j = await call(g, joinGroupHandler, 3, { ...join, groupId: 'x' })
    const wrong = await call(g, syncGroupHandler, 5, {
      groupId: 'x',
      generationId: j.generationId,
      memberId: j.memberId,
      protocolType: 'consumer',
      protocolName: 'roundrobin',
      assignments: [],
    })
    assert.equal(wrong.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    const stale = await call(g, syncGroupHandler, 3, {
      groupId: 'x',
      generationId: 0,
      memberId: j.memberId,
      assignments: [],
    })
    assert.equal(stale.errorCode, ErrorCode.ILLEGAL_GENERATION)
  })

  it('has an error response at every version', () => {
    checkErrorResponses(
      syncGroupHandler,
      () => ({ groupId: 'g', memberId: 'm' }),
      ErrorCode.UNKNOWN_SERVER_ERROR,
    )
    assert.deepEqual([syncGroupHandler.minVersion, syncGroupHandler.maxVersion], [0, 5])
  })
})
