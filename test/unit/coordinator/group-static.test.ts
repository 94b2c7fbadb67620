// Static membership (group.instance.id): a restarted instance takes its place back without a
// rebalance, the old incarnation is fenced, and a silent static member is removed by its session
// timeout like any other.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { GroupState } from '../../../src/coordinator/group/classic-group.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  assertPending,
  harness,
  joinParams,
  settled,
  stableGroup,
  stateOf,
  subscription,
} from './group-fixture.ts'

const statics = (i: number) => ({ groupInstanceId: `instance-${i}`, sessionTimeoutMs: 20000 })

describe('static membership', () => {
  it('replaces a restarted static member without rebalancing the others', async () => {
    const h = await harness()
    const { members, syncs } = await stableGroup(h, 'g', 2, statics)
    const follower = members.find((m) => !m.leader)!
    const other = members.find((m) => m.leader)!
    const i = members.indexOf(follower)
    const before = h.memory.appends
    // The instance restarts: no member id, same instance id.
    const r = await settled(
      h.gc.joinGroup(joinParams('g', { groupInstanceId: `instance-${i}`, sessionTimeoutMs: 20000 })),
    )
    assert.equal(r.errorCode, ErrorCode.NONE)
    assert.notEqual(r.memberId, follower.memberId)
    assert.match(r.memberId, new RegExp(`^instance-${i}-`))
    assert.equal(r.generationId, 1, 'same generation: no rebalance')
    assert.equal(r.leader, other.memberId)
    assert.equal(stateOf(h, 'g'), GroupState.Stable)
    assert.equal(h.memory.appends, before + 1, 'the new member id is persisted')
    // The others keep going; the new incarnation gets the old assignment back.
    assert.equal(await h.gc.heartbeat('g', other.memberId, null, 1), ErrorCode.NONE)
    const s = await h.gc.syncGroup({
      groupId: 'g',
      generationId: 1,
      memberId: r.memberId,
      groupInstanceId: `instance-${i}`,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [],
    })
    assert.deepEqual(s.assignment, syncs[i].assignment)
    // The old incarnation is fenced.
    assert.equal(
      await h.gc.heartbeat('g', follower.memberId, `instance-${i}`, 1),
      ErrorCode.FENCED_INSTANCE_ID,
    )
    const old = await h.gc.joinGroup(
      joinParams('g', { memberId: follower.memberId, groupInstanceId: `instance-${i}` }),
    )
    assert.equal(old.errorCode, ErrorCode.FENCED_INSTANCE_ID)
    const commit = await h.gc.commitOffsets({
      groupId: 'g',
      generationId: 1,
      memberId: follower.memberId,
      groupInstanceId: `instance-${i}`,
      retentionTimeMs: -1,
      groupIdNotFound: false,
      topics: [
        {
          name: 't1',
          partitions: [{ partition: 0, offset: 5n, leaderEpoch: -1, commitTimestamp: -1, metadata: '' }],
        },
      ],
    })
    assert.equal(commit[0].partitions[0].errorCode, ErrorCode.FENCED_INSTANCE_ID)
  })

  it('tells a restarted static leader to skip the assignment (v9) or hides its leadership (v5-8)', async () => {
    const h = await harness()
    const { members } = await stableGroup(h, 'g', 2, statics)
    const leaderIndex = members.findIndex((m) => m.leader)
    const v9 = await settled(
      h.gc.joinGroup(joinParams('g', { ...statics(leaderIndex), supportSkippingAssignment: true })),
    )
    assert.equal(v9.leader, v9.memberId)
    assert.equal(v9.skipAssignment, true)
    assert.equal(v9.members.length, 2)
    const v5 = await settled(h.gc.joinGroup(joinParams('g', { ...statics(leaderIndex) })))
    assert.equal(v5.skipAssignment, false)
    assert.equal(v5.leader, v9.memberId, 'the previous leader id, not its own')
    assert.notEqual(v5.memberId, v9.memberId)
    assert.deepEqual(v5.members, [])
    assert.equal(stateOf(h, 'g'), GroupState.Stable)
  })

  it('rebalances when a restarted static member changes the selected protocol', async () => {
    const h = await harness()
    await stableGroup(h, 'g', 1, statics)
    // Its new preference wins the vote: the group must move to it, through a rebalance.
    const both = ['roundrobin', 'range'].map((name) => ({ name, metadata: subscription(['t1']) }))
    const r = h.gc.joinGroup(joinParams('g', { ...statics(0), protocols: both }))
    assert.equal(stateOf(h, 'g'), GroupState.CompletingRebalance)
    const j = await settled(r)
    assert.equal(j.generationId, 2)
    assert.equal(j.protocolName, 'roundrobin')
    // A protocol the current member does not support at all is refused, static or not.
    const other = [{ name: 'sticky', metadata: subscription(['t1']) }]
    const refused = await settled(h.gc.joinGroup(joinParams('g', { ...statics(0), protocols: other })))
    assert.equal(refused.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
  })

  it('keeps a static member that has not rejoined through the join phase', async () => {
    const h = await harness()
    const { members } = await stableGroup(h, 'g', 2, (i) => ({ ...statics(i), rebalanceTimeoutMs: 5000 }))
    const [a, b] = members
    const ja = h.gc.joinGroup(
      joinParams('g', { memberId: a.memberId, ...statics(0), rebalanceTimeoutMs: 5000 }),
    )
    h.clock.advance(5000)
    const r = await settled(ja)
    assert.equal(r.generationId, 2)
    assert.equal(r.leader, a.memberId)
    assert.deepEqual(new Set(r.members.map((m) => m.memberId)), new Set([a.memberId, b.memberId]), 'b stays')
    // b sends no SyncGroup within the rebalance timeout: then it goes.
    await h.gc.syncGroup({
      groupId: 'g',
      generationId: 2,
      memberId: a.memberId,
      groupInstanceId: 'instance-0',
      protocolType: null,
      protocolName: null,
      assignments: [],
    })
    assert.equal(stateOf(h, 'g'), GroupState.Stable)
    h.clock.advance(5000)
    assert.equal(stateOf(h, 'g'), GroupState.PreparingRebalance)
    assert.equal(await h.gc.heartbeat('g', b.memberId, 'instance-1', 2), ErrorCode.UNKNOWN_MEMBER_ID)
  })

  it('removes a silent static member when its session expires', async () => {
    const h = await harness()
    const { members } = await stableGroup(h, 'g', 2, statics)
    const [a, b] = members
    for (let t = 0; t < 3; t++) {
      h.clock.advance(6000)
      assert.equal(await h.gc.heartbeat('g', a.memberId, 'instance-0', 1), ErrorCode.NONE)
    }
    h.clock.advance(2000) // 20 s without a heartbeat from b
    assert.equal(stateOf(h, 'g'), GroupState.PreparingRebalance)
    assert.equal(await h.gc.heartbeat('g', b.memberId, 'instance-1', 1), ErrorCode.UNKNOWN_MEMBER_ID)
  })

  it('fences the older of two live instances with the same id', async () => {
    const h = await harness()
    const first = h.gc.joinGroup(joinParams('g', statics(0)))
    await assertPending(first)
    // A duplicate starts while the first is still parked in the initial rebalance.
    const second = h.gc.joinGroup(joinParams('g', statics(0)))
    const f = await settled(first)
    assert.equal(f.errorCode, ErrorCode.FENCED_INSTANCE_ID)
    h.clock.advance(3000)
    const s = await settled(second)
    assert.equal(s.errorCode, ErrorCode.NONE)
    assert.equal(s.generationId, 1)
    assert.equal(h.gc.describeGroups(['g'])[0].members.length, 1)
  })

  it('removes a static member by instance id (admin LeaveGroup)', async () => {
    const h = await harness()
    await stableGroup(h, 'g', 2, statics)
    const r = await h.gc.leaveGroup('g', [
      { memberId: '', groupInstanceId: 'instance-1', reason: 'admin' },
      { memberId: '', groupInstanceId: 'instance-9', reason: 'admin' },
    ])
    assert.deepEqual(
      r.members.map((m) => m.errorCode),
      [ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID],
    )
    assert.equal(stateOf(h, 'g'), GroupState.PreparingRebalance)
  })
})
