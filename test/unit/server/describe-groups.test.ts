import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import { describeGroupsHandler, GROUP_AUTHORIZED_OPS } from '../../../src/server/handlers/describe-groups.ts'
import { joinGroupHandler } from '../../../src/server/handlers/join-group.ts'
import { AUTHORIZED_OPS_NOT_REQUESTED } from '../../../src/server/handlers/metadata-brokers.ts'
import { syncGroupHandler } from '../../../src/server/handlers/sync-group.ts'
import { subscription } from '../coordinator/group-fixture.ts'
import { call, checkErrorResponses, groupFixture, withOffsetsTopic } from '../coordinator/handler-fixture.ts'

describe('DescribeGroups', () => {
  it('describes a stable group with its members at every version; unknown groups are Dead', async () => {
    const g = await groupFixture()
    await withOffsetsTopic(g)
    const j = await call(g, joinGroupHandler, 5, {
      groupId: 'g',
      sessionTimeoutMs: 10000,
      rebalanceTimeoutMs: 10000,
      groupInstanceId: 'inst',
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: subscription(['t1']) }],
    })
    await call(g, syncGroupHandler, 5, {
      groupId: 'g',
      generationId: j.generationId,
      memberId: j.memberId,
      groupInstanceId: 'inst',
      assignments: [{ memberId: j.memberId, assignment: Buffer.from('A') }],
    })
    for (let v = 0; v <= 5; v++) {
      const r = await call(g, describeGroupsHandler, v, {
        groups: ['g', 'nope'],
        includeAuthorizedOperations: v >= 3,
      })
      const [d, missing] = r.groups
      assert.deepEqual(
        [d.errorCode, d.groupState, d.protocolType, d.protocolData],
        [0, 'Stable', 'consumer', 'range'],
      )
      const m = d.members[0]
      assert.deepEqual(
        [m.memberId, m.groupInstanceId, m.clientId, m.clientHost],
        [j.memberId, v >= 4 ? 'inst' : null, 'test-client', '/127.0.0.1'],
      )
      assert.deepEqual(m.memberAssignment, Buffer.from('A'))
      assert.deepEqual(m.memberMetadata, subscription(['t1']))
      assert.equal(d.authorizedOperations, v >= 3 ? GROUP_AUTHORIZED_OPS : AUTHORIZED_OPS_NOT_REQUESTED)
      assert.deepEqual([missing.errorCode, missing.groupState, missing.members.length], [0, 'Dead', 0])
    }
  })

  it('has an error response at every version', () => {
    checkErrorResponses(describeGroupsHandler, () => ({ groups: ['g'] }), ErrorCode.NOT_COORDINATOR)
  })
})
