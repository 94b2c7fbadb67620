import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import { joinGroupHandler } from '../../../src/server/handlers/join-group.ts'
import { leaveGroupHandler } from '../../../src/server/handlers/leave-group.ts'
import { subscription } from '../coordinator/group-fixture.ts'
import {
  call,
  checkErrorResponses,
  type GroupFixture,
  groupFixture,
  withOffsetsTopic,
} from '../coordinator/handler-fixture.ts'

async function member(g: GroupFixture, groupId: string, groupInstanceId: string | null = null) {
  const j = await call(g, joinGroupHandler, 5, {
    groupId,
    sessionTimeoutMs: 10000,
    rebalanceTimeoutMs: 10000,
    groupInstanceId,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription(['t1']) }],
  })
  if (j.errorCode === ErrorCode.MEMBER_ID_REQUIRED)
    return (
      await call(g, joinGroupHandler, 5, {
        groupId,
        memberId: j.memberId,
        sessionTimeoutMs: 10000,
        rebalanceTimeoutMs: 10000,
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: subscription(['t1']) }],
      })
    ).memberId
  return j.memberId
}

describe('LeaveGroup', () => {
  it('removes one member by id before v3, with its error at the top', async () => {
    const g = await groupFixture()
    await withOffsetsTopic(g)
    for (const v of [0, 1, 2]) {
      const groupId = `g${v}`
      const m = await member(g, groupId)
      const r = await call(g, leaveGroupHandler, v, { groupId, memberId: m })
      assert.equal(r.errorCode, ErrorCode.NONE)
      assert.equal(g.gc.describeGroups([groupId])[0].groupState, 'Empty')
      const again = await call(g, leaveGroupHandler, v, { groupId, memberId: m })
      assert.equal(again.errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
    }
  })

  it('removes a batch of members by id or instance id from v3', async () => {
    const g = await groupFixture()
    await withOffsetsTopic(g)
    const a = await member(g, 'g', 'ia')
    for (const v of [3, 4, 5]) {
      const r = await call(g, leaveGroupHandler, v, {
        groupId: 'g',
        members: [
          { memberId: '', groupInstanceId: v === 3 ? 'ia' : 'nope', reason: null },
          { memberId: 'ghost', groupInstanceId: null, reason: v >= 5 ? 'bye' : null },
        ],
      })
      assert.equal(r.errorCode, ErrorCode.NONE)
      assert.deepEqual(
        r.members.map((m) => [m.memberId, m.groupInstanceId, m.errorCode]),
        [
          ['', v === 3 ? 'ia' : 'nope', v === 3 ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID],
          ['ghost', null, ErrorCode.UNKNOWN_MEMBER_ID],
        ],
      )
    }
    assert.notEqual(a, '')
    assert.equal(g.gc.describeGroups(['g'])[0].members.length, 0)
  })

  it('has an error response at every version', () => {
    checkErrorResponses(leaveGroupHandler, () => ({ groupId: 'g' }), ErrorCode.UNKNOWN_SERVER_ERROR)
  })
})
