import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import { clientHostOf, joinGroupHandler } from '../../../src/server/handlers/join-group.ts'
import { subscription } from '../coordinator/group-fixture.ts'
import { call, checkErrorResponses, groupFixture, withOffsetsTopic } from '../coordinator/handler-fixture.ts'

const protocols = [{ name: 'range', metadata: subscription(['t1']) }]
const base = {
  groupId: 'g',
  sessionTimeoutMs: 10000,
  rebalanceTimeoutMs: 20000,
  protocolType: 'consumer',
  protocols,
}

describe('JoinGroup', () => {
  it('joins directly before v4, taking the session timeout as rebalance timeout in v0', async () => {
    const g = await groupFixture()
    await withOffsetsTopic(g)
    for (const v of [0, 1, 2, 3]) {
      const r = await call(g, joinGroupHandler, v, { ...base, groupId: `g${v}` })
      assert.equal(r.errorCode, ErrorCode.NONE, `v${v}`)
      assert.equal(r.generationId, 1)
      assert.equal(r.leader, r.memberId)
      assert.equal(r.protocolName, 'range')
      assert.match(r.memberId, /^test-client-/)
      assert.deepEqual(r.members[0].metadata, subscription(['t1']))
    }
    const d = g.gc.describeGroups(['g0'])[0]
    assert.equal(d.members[0].clientHost, '/127.0.0.1')
    assert.equal(d.members[0].clientId, 'test-client')
  })

  it('asks new members for a known member id from v4, then joins them (v4-9)', async () => {
    const g = await groupFixture()
    await withOffsetsTopic(g)
    for (const v of [4, 5, 6, 7, 8, 9]) {
      const groupId = `g${v}`
      const first = await call(g, joinGroupHandler, v, { ...base, groupId })
      assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED)
      assert.notEqual(first.memberId, '')
      const r = await call(g, joinGroupHandler, v, {
        ...base,
        groupId,
        memberId: first.memberId,
        reason: v >= 8 ? 'why' : null,
      })
      assert.equal(r.errorCode, ErrorCode.NONE)
      assert.equal(r.memberId, first.memberId)
      assert.equal(r.protocolType, v >= 7 ? 'consumer' : null)
    }
  })

  it('lets static members (v5+) skip MEMBER_ID_REQUIRED and rejoin without a rebalance', async () => {
    const g = await groupFixture()
    await withOffsetsTopic(g)
    const r = await call(g, joinGroupHandler, 5, { ...base, groupInstanceId: 'inst' })
    assert.equal(r.errorCode, ErrorCode.NONE)
    assert.match(r.memberId, /^inst-/)
    assert.equal(r.members[0].groupInstanceId, 'inst')
  })

  it('answers coordinator and validation errors', async () => {
    const g = await groupFixture()
    const r = await call(g, joinGroupHandler, 5, base)
    assert.equal(r.errorCode, ErrorCode.NOT_COORDINATOR, 'no __consumer_offsets yet')
    await withOffsetsTopic(g)
    assert.equal(
      (await call(g, joinGroupHandler, 5, { ...base, groupId: '' })).errorCode,
      ErrorCode.INVALID_GROUP_ID,
    )
    const bad = await call(g, joinGroupHandler, 5, { ...base, sessionTimeoutMs: 1000 })
    assert.equal(bad.errorCode, ErrorCode.INVALID_SESSION_TIMEOUT)
    assert.equal(bad.protocolName, '')
  })

  it('has an error response at every version', () => {
    checkErrorResponses(joinGroupHandler, () => base, ErrorCode.UNKNOWN_SERVER_ERROR)
    assert.deepEqual([joinGroupHandler.minVersion, joinGroupHandler.maxVersion], [0, 9])
  })

  it('writes the client host as Kafka does', () => {
    assert.equal(clientHostOf('127.0.0.1:5000'), '/127.0.0.1')
    assert.equal(clientHostOf('::ffff:10.1.2.3:5000'), '/10.1.2.3')
    assert.equal(clientHostOf('::1:5000'), '/::1')
  })
})
