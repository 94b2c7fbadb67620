// The classic group state machine with a manual clock: every state and transition, member ids,
// the initial rebalance delay, session and rebalance timeouts, leaving, protocol selection and
// the error codes Kafka answers with.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { GroupState } from '../../../src/coordinator/group/classic-group.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  assertPending,
  harness,
  joinParams,
  joinWithId,
  settled,
  stableGroup,
  stateOf,
  subscription,
} from './group-fixture.ts'

describe('classic group membership', () => {
  it('hands out a member id with MEMBER_ID_REQUIRED, then joins with it (v4+)', async () => {
    const h = await harness()
    const first = await h.gc.joinGroup(joinParams('g', { requireKnownMemberId: true, clientId: 'app' }))
    assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED)
    assert.match(first.memberId, /^app-[0-9a-f-]{36}$/)
    assert.equal(first.generationId, -1)
    // Until it rejoins, the group holds it as pending: still Empty.
    assert.equal(stateOf(h, 'g'), GroupState.Empty)
    const join = h.gc.joinGroup(joinParams('g', { memberId: first.memberId, requireKnownMemberId: true }))
    await assertPending(join)
    assert.equal(stateOf(h, 'g'), GroupState.PreparingRebalance)
    h.clock.advance(3000)
    const r = await settled(join)
    assert.equal(r.errorCode, ErrorCode.NONE)
    assert.equal(r.memberId, first.memberId)
    assert.equal(r.generationId, 1)
    assert.equal(r.leader, first.memberId)
    assert.equal(r.protocolName, 'range')
    assert.equal(r.protocolType, 'consumer')
    assert.deepEqual(
      r.members.map((m) => m.memberId),
      [first.memberId],
    )
    assert.deepEqual(r.members[0].metadata, subscription(['t1']))
    assert.equal(stateOf(h, 'g'), GroupState.CompletingRebalance)
  })

  it('drops a pending member that never rejoins after its session timeout', async () => {
    const h = await harness()
    const first = await h.gc.joinGroup(
      joinParams('g', { requireKnownMemberId: true, sessionTimeoutMs: 6000 }),
    )
    h.clock.advance(6000)
    await settled(Promise.resolve())
    const late = await h.gc.joinGroup(
      joinParams('g', { memberId: first.memberId, requireKnownMemberId: true }),
    )
    assert.equal(late.errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
  })

  it('joins old clients (v0-3) directly without MEMBER_ID_REQUIRED', async () => {
    const h = await harness()
    const join = h.gc.joinGroup(joinParams('g'))
    h.clock.advance(3000)
    const r = await settled(join)
    assert.equal(r.errorCode, ErrorCode.NONE)
    assert.notEqual(r.memberId, '')
  })

  it('extends the initial rebalance delay while members keep arriving, up to the rebalance timeout', async () => {
    const h = await harness({ initialRebalanceDelayMs: 3000 })
    const a = await joinWithId(h, 'g', { rebalanceTimeoutMs: 7000 })
    h.clock.advance(2000)
    const b = await joinWithId(h, 'g', { rebalanceTimeoutMs: 7000 })
    h.clock.advance(1000) // t=3000: b arrived, delay extended by min(3000, 4000)
    await assertPending(a.join)
    h.clock.advance(1500)
    const c = await joinWithId(h, 'g', { rebalanceTimeoutMs: 7000 })
    h.clock.advance(1500) // t=6000: c arrived; only 1000 ms of the rebalance timeout remain
    await assertPending(a.join)
    h.clock.advance(999)
    await assertPending(a.join)
    h.clock.advance(1) // t=7000
    const results = await Promise.all([a, b, c].map((m) => settled(m.join)))
    assert.ok(results.every((r) => r.errorCode === ErrorCode.NONE && r.generationId === 1))
    const leader = results.find((r) => r.leader === r.memberId)!
    assert.equal(leader.memberId, a.memberId, 'the first member leads')
    assert.equal(leader.members.length, 3)
    assert.ok(results.filter((r) => r !== leader).every((r) => r.members.length === 0))
  })

  it('walks Empty -> PreparingRebalance -> CompletingRebalance -> Stable, storing the assignment', async () => {
    const h = await harness()
    const before = h.memory.appends
    const { members, syncs } = await stableGroup(h, 'g', 2)
    assert.equal(stateOf(h, 'g'), GroupState.Stable)
    assert.equal(h.memory.appends, before + 1, 'one group metadata record, when the leader syncs')
    assert.ok(syncs.every((s) => s.errorCode === ErrorCode.NONE && s.protocolName === 'range'))
    assert.notDeepEqual(syncs[0].assignment, syncs[1].assignment)
    const d = h.gc.describeGroups(['g'])[0]
    assert.equal(d.protocolData, 'range')
    assert.deepEqual(
      d.members.map((m) => m.memberId),
      members.map((m) => m.memberId),
    )
    assert.deepEqual(
      d.members.map((m) => m.memberAssignment),
      syncs.map((s) => s.assignment),
    )
  })

  it('parks a follower SyncGroup until the leader sends the assignment', async () => {
    const h = await harness()
    const a = await joinWithId(h, 'g')
    const b = await joinWithId(h, 'g')
    h.clock.advance(6000)
    const [ja, jb] = [await settled(a.join), await settled(b.join)]
    const leader = ja.leader === ja.memberId ? ja : jb
    const follower = leader === ja ? jb : ja
    const sync = {
      groupId: 'g',
      generationId: 1,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
    }
    const fsync = h.gc.syncGroup({ ...sync, memberId: follower.memberId, assignments: [] })
    await assertPending(fsync, 'follower sync')
    const lsync = h.gc.syncGroup({
      ...sync,
      memberId: leader.memberId,
      assignments: [{ memberId: follower.memberId, assignment: Buffer.from('F') }],
    })
    assert.deepEqual((await settled(fsync)).assignment, Buffer.from('F'))
    // Members left out of the leader's assignment get an empty one.
    assert.deepEqual((await settled(lsync)).assignment, Buffer.alloc(0))
  })

  it('answers heartbeats by state, generation and member', async () => {
    const h = await harness()
    const { members } = await stableGroup(h, 'g', 2)
    const [a, b] = members
    assert.equal(await h.gc.heartbeat('g', a.memberId, null, 1), ErrorCode.NONE)
    assert.equal(await h.gc.heartbeat('g', a.memberId, null, 0), ErrorCode.ILLEGAL_GENERATION)
    assert.equal(await h.gc.heartbeat('g', 'nobody', null, 1), ErrorCode.UNKNOWN_MEMBER_ID)
    assert.equal(await h.gc.heartbeat('other', a.memberId, null, 1), ErrorCode.UNKNOWN_MEMBER_ID)
    assert.equal(await h.gc.heartbeat('', a.memberId, null, 1), ErrorCode.INVALID_GROUP_ID)
    // A third member starts a rebalance: the others hear about it through heartbeats.
    const c = await joinWithId(h, 'g')
    assert.equal(stateOf(h, 'g'), GroupState.PreparingRebalance)
    assert.equal(await h.gc.heartbeat('g', b.memberId, null, 1), ErrorCode.REBALANCE_IN_PROGRESS)
    const ja = h.gc.joinGroup(joinParams('g', { memberId: a.memberId }))
    const jb = h.gc.joinGroup(joinParams('g', { memberId: b.memberId }))
    const all = await Promise.all([ja, jb, c.join].map(settled))
    assert.ok(all.every((r) => r.generationId === 2))
    assert.equal(stateOf(h, 'g'), GroupState.CompletingRebalance)
    assert.equal(await h.gc.heartbeat('g', b.memberId, null, 2), ErrorCode.NONE)
  })

  it('removes a member whose session expires and rebalances the rest', async () => {
    const h = await harness()
    const { members } = await stableGroup(h, 'g', 2, () => ({ sessionTimeoutMs: 6000 }))
    const [a, b] = members
    // Both sessions restarted when the assignment was delivered; only a heartbeats from then on.
    for (let i = 0; i < 2; i++) {
      h.clock.advance(2999)
      assert.equal(await h.gc.heartbeat('g', a.memberId, null, 1), ErrorCode.NONE)
    }
    assert.equal(stateOf(h, 'g'), GroupState.Stable)
    h.clock.advance(2) // b's 6 s are over
    assert.equal(stateOf(h, 'g'), GroupState.PreparingRebalance)
    assert.equal(await h.gc.heartbeat('g', b.memberId, null, 1), ErrorCode.UNKNOWN_MEMBER_ID)
    assert.equal(await h.gc.heartbeat('g', a.memberId, null, 1), ErrorCode.REBALANCE_IN_PROGRESS)
    // a rejoins: it is the only member left, so the join phase completes at once.
    const r = await settled(h.gc.joinGroup(joinParams('g', { memberId: a.memberId })))
    assert.equal(r.generationId, 2)
    assert.equal(r.leader, a.memberId)
    assert.deepEqual(
      r.members.map((m) => m.memberId),
      [a.memberId],
    )
  })

  it('drops members that do not rejoin within the rebalance timeout', async () => {
    const h = await harness()
    const { members } = await stableGroup(h, 'g', 2, () => ({
      rebalanceTimeoutMs: 8000,
      sessionTimeoutMs: 30000,
    }))
    const [a, b] = members
    const ja = h.gc.joinGroup(
      joinParams('g', { memberId: a.memberId, rebalanceTimeoutMs: 8000, sessionTimeoutMs: 30000 }),
    )
    assert.equal(stateOf(h, 'g'), GroupState.PreparingRebalance)
    h.clock.advance(7999)
    await assertPending(ja)
    h.clock.advance(1)
    const r = await settled(ja)
    assert.equal(r.generationId, 2)
    assert.deepEqual(
      r.members.map((m) => m.memberId),
      [a.memberId],
    )
    assert.equal(await h.gc.heartbeat('g', b.memberId, null, 1), ErrorCode.UNKNOWN_MEMBER_ID)
  })

  it('removes members that do not send SyncGroup within the rebalance timeout', async () => {
    const h = await harness()
    const a = await joinWithId(h, 'g', { rebalanceTimeoutMs: 8000 })
    const b = await joinWithId(h, 'g', { rebalanceTimeoutMs: 8000 })
    h.clock.advance(6000)
    const ja = await settled(a.join)
    await settled(b.join)
    // Only a syncs (and heartbeats); b goes silent after its JoinGroup answer.
    const sa = h.gc.syncGroup({
      groupId: 'g',
      generationId: 1,
      memberId: a.memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: ja.leader === a.memberId ? [] : [],
    })
    h.clock.advance(8000)
    if (ja.leader !== a.memberId) assert.equal((await settled(sa)).errorCode, ErrorCode.REBALANCE_IN_PROGRESS)
    assert.equal(stateOf(h, 'g'), GroupState.PreparingRebalance)
    assert.equal(await h.gc.heartbeat('g', b.memberId, null, 1), ErrorCode.UNKNOWN_MEMBER_ID)
  })

  it('lets members leave, alone or in a batch, and empties the group', async () => {
    const h = await harness()
    const { members } = await stableGroup(h, 'g', 3)
    const before = h.memory.appends
    const one = await h.gc.leaveGroup('g', [
      { memberId: members[0].memberId, groupInstanceId: null, reason: 'bye' },
    ])
    assert.deepEqual(one, {
      errorCode: ErrorCode.NONE,
      members: [{ memberId: members[0].memberId, groupInstanceId: null, errorCode: ErrorCode.NONE }],
    })
    assert.equal(stateOf(h, 'g'), GroupState.PreparingRebalance)
    const rest = await h.gc.leaveGroup('g', [
      { memberId: members[1].memberId, groupInstanceId: null, reason: null },
      { memberId: members[2].memberId, groupInstanceId: null, reason: null },
      { memberId: 'stranger', groupInstanceId: null, reason: null },
    ])
    assert.deepEqual(
      rest.members.map((m) => m.errorCode),
      [ErrorCode.NONE, ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID],
    )
    assert.equal(stateOf(h, 'g'), GroupState.Empty)
    assert.equal(h.memory.appends, before + 1, 'the empty group is persisted')
    const d = h.gc.describeGroups(['g'])[0]
    assert.equal(d.members.length, 0)
    const unknown = await h.gc.leaveGroup('nope', [{ memberId: 'x', groupInstanceId: null, reason: null }])
    assert.equal(unknown.members[0].errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
  })

  it('answers a parked JoinGroup of a member that leaves with UNKNOWN_MEMBER_ID', async () => {
    const h = await harness()
    const a = await joinWithId(h, 'g')
    await h.gc.leaveGroup('g', [{ memberId: a.memberId, groupInstanceId: null, reason: null }])
    const r = await settled(a.join)
    assert.equal(r.errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
  })

  it('answers a parked SyncGroup of a member removed meanwhile, so nothing waits forever', async () => {
    const h = await harness()
    const a = await joinWithId(h, 'g')
    const b = await joinWithId(h, 'g')
    h.clock.advance(6000)
    const [ja, jb] = [await settled(a.join), await settled(b.join)]
    const follower = ja.leader === ja.memberId ? jb : ja
    const parked = h.gc.syncGroup({
      groupId: 'g',
      generationId: 1,
      memberId: follower.memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [],
    })
    await assertPending(parked)
    await h.gc.leaveGroup('g', [{ memberId: follower.memberId, groupInstanceId: null, reason: null }])
    assert.equal((await settled(parked)).errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
  })

  it('selects the protocol all members support that most prefer', async () => {
    const h = await harness()
    const p = (...names: string[]) => names.map((name) => ({ name, metadata: subscription(['t1']) }))
    const a = await joinWithId(h, 'g', { protocols: p('roundrobin', 'range') })
    const b = await joinWithId(h, 'g', { protocols: p('range', 'roundrobin') })
    const c = await joinWithId(h, 'g', { protocols: p('range', 'sticky', 'roundrobin') })
    // A member without any common protocol is refused.
    const d = await h.gc.joinGroup(joinParams('g', { protocols: p('cooperative-sticky') }))
    assert.equal(d.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    const other = await h.gc.joinGroup(joinParams('g', { protocolType: 'connect' }))
    assert.equal(other.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    h.clock.advance(9000)
    const rs = await Promise.all([a, b, c].map((m) => settled(m.join)))
    assert.ok(rs.every((r) => r.protocolName === 'range'))
  })

  it('refuses session timeouts outside the configured bounds and empty group ids', async () => {
    const h = await harness({ minSessionTimeoutMs: 6000, maxSessionTimeoutMs: 60000 })
    for (const sessionTimeoutMs of [5999, 60001]) {
      const r = await h.gc.joinGroup(joinParams('g', { sessionTimeoutMs }))
      assert.equal(r.errorCode, ErrorCode.INVALID_SESSION_TIMEOUT)
    }
    assert.equal((await h.gc.joinGroup(joinParams(''))).errorCode, ErrorCode.INVALID_GROUP_ID)
    assert.equal(
      (await h.gc.joinGroup(joinParams('g', { memberId: 'm-1' }))).errorCode,
      ErrorCode.UNKNOWN_MEMBER_ID,
    )
  })

  it('enforces group.max.size', async () => {
    const h = await harness({ maxSize: 2 })
    await stableGroup(h, 'g', 2)
    const r = await h.gc.joinGroup(joinParams('g'))
    assert.equal(r.errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED)
    assert.equal(r.memberId, '')
    assert.equal(stateOf(h, 'g'), GroupState.Stable)
  })

  it('repeats the answer to a member that rejoins unchanged during CompletingRebalance', async () => {
    const h = await harness()
    const a = await joinWithId(h, 'g')
    h.clock.advance(3000)
    const first = await settled(a.join)
    const again = await settled(h.gc.joinGroup(joinParams('g', { memberId: a.memberId })))
    assert.deepEqual(again, first)
    assert.equal(stateOf(h, 'g'), GroupState.CompletingRebalance)
  })

  it('handles the repeated joins of cooperative rebalancing', async () => {
    const h = await harness()
    const coop = (owned: number[]) => [
      { name: 'cooperative-sticky', metadata: subscription(['t1'], [{ topic: 't1', partitions: owned }]) },
    ]
    const { members } = await stableGroup(h, 'g', 2, (i) => ({ protocols: coop([i]) }))
    const [a, b] = members
    const leader = a.leader ? a : b
    const follower = leader === a ? b : a
    // A follower with unchanged metadata rejoining gets the current generation back at once.
    const same = await settled(
      h.gc.joinGroup(
        joinParams('g', { memberId: follower.memberId, protocols: coop([members.indexOf(follower)]) }),
      ),
    )
    assert.equal(same.generationId, 1)
    assert.equal(stateOf(h, 'g'), GroupState.Stable)
    // First round: a new member joins; both revoke nothing yet and rejoin with their owned partitions.
    const c = await joinWithId(h, 'g', { protocols: coop([]) })
    const round1 = await Promise.all(
      [a, b].map((m, i) => h.gc.joinGroup(joinParams('g', { memberId: m.memberId, protocols: coop([i]) }))),
    )
    assert.ok([...round1, await c.join].every((r) => r.generationId === 2))
    // Second round: after revoking, a member rejoins with fewer owned partitions: another rebalance.
    await Promise.all(
      [a, b, { memberId: c.memberId }].map((m) =>
        h.gc.syncGroup({
          groupId: 'g',
          generationId: 2,
          memberId: m.memberId,
          groupInstanceId: null,
          protocolType: 'consumer',
          protocolName: 'cooperative-sticky',
          assignments: m.memberId === leader.memberId ? [] : [],
        }),
      ),
    )
    assert.equal(stateOf(h, 'g'), GroupState.Stable)
    const round2 = [a, b, { memberId: c.memberId }].map((m) =>
      h.gc.joinGroup(joinParams('g', { memberId: m.memberId, protocols: coop([]) })),
    )
    const r2 = await Promise.all(round2.map(settled))
    assert.ok(r2.every((r) => r.generationId === 3 && r.errorCode === ErrorCode.NONE))
  })

  it('tells members of a deleted or unloaded group to find the coordinator again', async () => {
    const h = await harness()
    const a = await joinWithId(h, 'g')
    h.gc.runtime.unload(h.gc.partitionFor('g'))
    assert.equal((await settled(a.join)).errorCode, ErrorCode.NOT_COORDINATOR)
    assert.equal(await h.gc.heartbeat('g', a.memberId, null, 0), ErrorCode.NOT_COORDINATOR)
  })
})
