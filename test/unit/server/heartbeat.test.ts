import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import { heartbeatHandler } from '../../../src/server/handlers/heartbeat.ts'
import { joinGroupHandler } from '../../../src/server/handlers/join-group.ts'
import { subscription } from '../coordinator/group-fixture.ts'
import { call, checkErrorResponses, groupFixture, withOffsetsTopic } from '../coordinator/handler-fixture.ts'

describe('Heartbeat', () => {
  it('keeps a member alive and reports generation, member and fencing errors (v0-4)', async () => {
    const g = await groupFixture()
    await withOffsetsTopic(g)
    const j = await call(g, joinGroupHandler, 5, {
      groupId: 'g',
      sessionTimeoutMs: 10000,
      rebalanceTimeoutMs: 10000,
      groupInstanceId: 'i',
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: subscription(['t1']) }],
    })
    for (let v = 0; v <= 4; v++) {
      const ok = await call(g, heartbeatHandler, v, {
        groupId: 'g',
        generationId: 1,
        memberId: j.memberId,
        groupInstanceId: v >= 3 ? 'i' : null,
      })
      assert.equal(ok.errorCode, ErrorCode.NONE)
      const stale = await call(g, heartbeatHandler, v, {
        groupId: 'g',
        generationId: 0,
        memberId: j.memberId,
      })
      assert.equal(stale.errorCode, ErrorCode.ILLEGAL_GENERATION)
    }
    const fenced = await call(g, heartbeatHandler, 3, {
      groupId: 'g',
      generationId: 1,
      memberId: 'old',
      groupInstanceId: 'i',
    })
    assert.equal(fenced.errorCode, ErrorCode.FENCED_INSTANCE_ID)
    const unknown = await call(g, heartbeatHandler, 0, { groupId: 'g', generationId: 1, memberId: 'who' })
    assert.equal(unknown.errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
  })

  it('has an error response at every version', () => {
    checkErrorResponses(heartbeatHandler, () => ({ groupId: 'g' }), ErrorCode.UNKNOWN_SERVER_ERROR)
  })
})
