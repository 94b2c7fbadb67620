// KIP-848 consumer groups over the in-memory coordinator log: joining and sharing partitions,
// revoke-before-assign reconciliation (no partition is ever held by two members), epoch fencing,
// leaving, static members, session and rebalance timeouts, assignors, regex subscriptions, topic
// changes, offsets with member epochs, replay after a restart, and classic <-> consumer takeover.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { settle } from '../../../src/common/clock.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  type ConsumerHarness,
  consumerHarness,
  converge,
  hb,
  Member,
  named,
  type Owned,
  restartConsumer,
} from './consumer-group-fixture.ts'
import { commitParams, joinParams } from './group-fixture.ts'

const G = 'cg'

function members(h: ConsumerHarness, n: number, extra = {}): Member[] {
  return Array.from(
    { length: n },
    (_, i) => new Member(h, G, `m${i}`, { subscribedTopicNames: ['t'], ...extra }),
  )
}

/** No partition is held by two members (what each client believes it owns). */
function assertExclusive(ms: readonly Member[]): void {
  const seen = new Map<string, string>()
  for (const m of ms)
    for (const [t, ps] of Object.entries(m.owned))
      for (const p of ps) {
        const k = `${t}-${p}`
        assert.equal(seen.get(k), undefined, `${k} held by ${seen.get(k)} and ${m.memberId}`)
        seen.set(k, m.memberId)
      }
}

function union(ms: readonly Member[]): string[] {
  return ms.flatMap((m) => Object.entries(m.owned).flatMap(([t, ps]) => ps.map((p) => `${t}-${p}`))).sort()
}

const all = (t: string, n: number) => Array.from({ length: n }, (_, i) => `${t}-${i}`).sort()

function describeOne(h: ConsumerHarness) {
  return h.gc.consumerGroupDescribe([G])[0]
}

describe('consumer group membership', () => {
  it('three members share six partitions, with epochs, revoking before assigning', async () => {
    const h = await consumerHarness()
    h.topics.set('t', 6)
    const [a, b, c] = members(h, 3)
    const r = await a.join()
    assert.equal(r.errorCode, ErrorCode.NONE)
    assert.equal(r.memberEpoch, 1)
    assert.equal(r.heartbeatIntervalMs, 5000)
    assert.deepEqual(named(r.assignment), { t: [0, 1, 2, 3, 4, 5] })
    await b.join()
    // b is at epoch 2 but waits: a still holds what b is to get.
    assert.equal(b.epoch, 2)
    assert.equal(b.count(), 0)
    assertExclusive([a, b])
    await a.beat() // told to revoke three, keeps epoch 1
    assert.equal(a.epoch, 1)
    assert.equal(a.count(), 3)
    assertExclusive([a, b])
    await a.beat() // revoked: moves to epoch 2
    assert.equal(a.epoch, 2)
    await b.beat()
    assert.equal(b.count(), 3)
    await c.join()
    for (let i = 0; i < 4; i++) {
      for (const m of [a, b, c]) {
        await m.beat()
        assertExclusive([a, b, c])
      }
    }
    assert.deepEqual([a.count(), b.count(), c.count()], [2, 2, 2])
    assert.deepEqual(union([a, b, c]), all('t', 6))
    const d = describeOne(h)
    assert.equal(d.errorCode, ErrorCode.NONE)
    assert.equal(d.groupState, 'Stable')
    assert.equal(d.groupEpoch, 3)
    assert.equal(d.assignmentEpoch, 3)
    assert.equal(d.assignorName, 'uniform')
    assert.deepEqual(
      d.members.map((m) => [m.memberId, m.memberEpoch, m.assignment.topicPartitions[0].partitions.length]),
      [
        ['m0', 3, 2],
        ['m1', 3, 2],
        ['m2', 3, 2],
      ],
    )
    const listed = h.gc.listGroups([], ['consumer']).groups
    assert.deepEqual(listed, [
      { groupId: G, protocolType: 'consumer', groupState: 'Stable', groupType: 'consumer' },
    ])
    assert.deepEqual(h.gc.listGroups([], ['classic']).groups, [])
  })

  it("a leaving member's partitions go to the others, who keep theirs", async () => {
    const h = await consumerHarness()
    h.topics.set('t', 6)
    const ms = members(h, 3)
    for (const m of ms) await m.join()
    await converge(ms)
    const before = ms.map((m) => m.owned.t)
    const left = await ms[2].beat({ memberEpoch: -1 })
    assert.equal(left.memberEpoch, -1)
    await converge(ms.slice(0, 2))
    for (let i = 0; i < 2; i++)
      for (const p of before[i]) assert.ok(ms[i].owned.t.includes(p), 'kept its partitions')
    assert.deepEqual(union(ms.slice(0, 2)), all('t', 6))
    assert.equal(describeOne(h).members.length, 2)
    assert.equal((await ms[2].beat({ memberEpoch: 5 })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
  })

  it('fences wrong epochs, accepts a retry with the previous epoch, validates requests', async () => {
    const h = await consumerHarness()
    h.topics.set('t', 2)
    const [a, b] = members(h, 2)
    await a.join()
    await b.join()
    await converge([a, b])
    assert.equal(a.epoch, 2)
    assert.equal((await a.beat({ memberEpoch: 7 })).errorCode, ErrorCode.FENCED_MEMBER_EPOCH)
    // The answer that moved a to epoch 2 was lost: epoch 1 with a subset of its partitions is fine.
    assert.equal((await a.beat({ memberEpoch: 1 })).errorCode, ErrorCode.NONE)
    assert.equal(
      (await hb(h, { groupId: G, memberId: 'ghost', memberEpoch: 3 })).errorCode,
      ErrorCode.UNKNOWN_MEMBER_ID,
    )
    assert.equal((await hb(h, { groupId: G, memberId: '' })).errorCode, ErrorCode.INVALID_REQUEST)
    const noSub = await hb(h, { groupId: G, memberId: 'x' })
    assert.equal(noSub.errorCode, ErrorCode.INVALID_REQUEST)
    assert.match(noSub.errorMessage ?? '', /SubscribedTopicNames/)
    const v0 = await hb(h, { apiVersion: 0, groupId: G, memberId: '', subscribedTopicNames: ['t'] })
    assert.equal(v0.errorCode, ErrorCode.NONE)
    assert.ok((v0.memberId ?? '').length > 0, 'v0: the coordinator picks the member id')
    const bad = await hb(h, {
      groupId: G,
      memberId: 'y',
      subscribedTopicNames: ['t'],
      serverAssignor: 'sticky',
    })
    assert.equal(bad.errorCode, ErrorCode.UNSUPPORTED_ASSIGNOR)
  })

  it('range assignor when members ask for it', async () => {
    const h = await consumerHarness()
    h.topics.set('t', 5)
    h.topics.set('u', 5)
    const ms = members(h, 2, { subscribedTopicNames: ['t', 'u'], serverAssignor: 'range' })
    for (const m of ms) await m.join()
    await converge(ms)
    assert.deepEqual(ms[0].owned, { t: [0, 1, 2], u: [0, 1, 2] })
    assert.deepEqual(ms[1].owned, { t: [3, 4], u: [3, 4] })
    assert.equal(describeOne(h).assignorName, 'range')
  })

  it('regex subscriptions follow topics created, grown and deleted', async () => {
    const h = await consumerHarness()
    h.topics.set('orders-eu', 2)
    h.topics.set('payments', 2)
    const ms = members(h, 2, { subscribedTopicNames: [], subscribedTopicRegex: 'orders-.*' })
    for (const m of ms) await m.join()
    await converge(ms)
    assert.deepEqual(union(ms), all('orders-eu', 2))
    const epoch = describeOne(h).groupEpoch
    h.topics.set('orders-us', 2)
    h.topics.set('orders-eu', 4)
    await converge(ms)
    assert.ok(describeOne(h).groupEpoch > epoch)
    assert.deepEqual(union(ms), [...all('orders-eu', 4), ...all('orders-us', 2)].sort())
    assertExclusive(ms)
    h.topics.set('orders-eu', null)
    await converge(ms)
    assert.deepEqual(union(ms), all('orders-us', 2))
    for (const re of ['(a)\\1', 'x(?=y)', '(?<!a)b', 'a++', '[']) {
      const r = await hb(h, { groupId: G, memberId: 'r', subscribedTopicNames: [], subscribedTopicRegex: re })
      assert.equal(r.errorCode, ErrorCode.INVALID_REGULAR_EXPRESSION, re)
    }
    const ok = await hb(h, {
      groupId: 'g2',
      memberId: 'r',
      subscribedTopicNames: [],
      subscribedTopicRegex: '(?i)PAY\\Qments\\E',
    })
    assert.deepEqual(named(ok.assignment), { payments: [0, 1] })
  })

  it('static members keep their assignment across a restart within the session', async () => {
    const h = await consumerHarness()
    h.topics.set('t', 4)
    const a = new Member(h, G, 'a1', { subscribedTopicNames: ['t'], instanceId: 'ia' })
    const b = new Member(h, G, 'b1', { subscribedTopicNames: ['t'], instanceId: 'ib' })
    await a.join()
    await b.join()
    await converge([a, b])
    const held = a.owned.t
    assert.equal((await a.beat({ memberEpoch: -2, instanceId: 'ia' })).memberEpoch, -2)
    const dup = await hb(h, { groupId: G, memberId: 'b2', instanceId: 'ib', subscribedTopicNames: ['t'] })
    assert.equal(dup.errorCode, ErrorCode.UNRELEASED_INSTANCE_ID)
    await converge([b])
    assert.equal(b.count(), 2, 'nobody takes the partitions of a static member that left')
    h.clock.advance(10_000)
    const a2 = new Member(h, G, 'a2', { subscribedTopicNames: ['t'], instanceId: 'ia' })
    const r = await a2.join()
    assert.equal(r.errorCode, ErrorCode.NONE)
    assert.deepEqual(a2.owned.t, held)
    assert.deepEqual(
      describeOne(h)
        .members.map((m) => m.memberId)
        .sort(),
      ['a2', 'b1'],
    )
    // A static member gone for longer than the session timeout is removed.
    await a2.beat({ memberEpoch: -2, instanceId: 'ia' })
    h.clock.advance(30_000)
    await b.beat()
    h.clock.advance(16_000)
    await b.beat()
    await converge([b])
    assert.deepEqual(b.owned.t, [0, 1, 2, 3])
  })

  it('session timeout removes a silent member; rebalance timeout fences one that does not revoke', async () => {
    const h = await consumerHarness({ sessionTimeoutMs: 45000 })
    h.topics.set('t', 4)
    const [a, b] = members(h, 2, { rebalanceTimeoutMs: 20000 })
    await a.join()
    h.clock.advance(40_000)
    await a.beat()
    await b.join()
    await a.beat() // asked to revoke two partitions
    assert.equal(a.count(), 2)
    // a's client never says it revoked them: still owning all four.
    const stubborn = { t: [0, 1, 2, 3] }
    await a.beat({ topicPartitions: tpOf(h, stubborn) })
    h.clock.advance(30_001) // the rebalance timeout its last heartbeat gave
    assert.equal((await a.beat()).errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
    await converge([b])
    assert.deepEqual(b.owned.t, [0, 1, 2, 3])
    h.clock.advance(45_001)
    assert.equal(describeOne(h).members.length, 0)
    assert.equal(describeOne(h).groupState, 'Empty')
  })

  it('a loaded member that still has to revoke keeps its rebalance deadline', async () => {
    const h = await consumerHarness()
    h.topics.set('t', 4)
    const [a, b] = members(h, 2, { rebalanceTimeoutMs: 20000 })
    await a.join()
    await b.join()
    await a.beat({ rebalanceTimeoutMs: 20000, topicPartitions: tpOf(h, { t: [0, 1, 2, 3] }) })
    const h2 = await restartConsumer(h)
    h2.clock.advance(20_001)
    await settle()
    assert.deepEqual(
      describeOne(h2).members.map((m) => m.memberId),
      ['m1'],
    )
  })

  it('offsets: commits and fetches carry the member epoch', async () => {
    const h = await consumerHarness()
    h.topics.set('t', 2)
    const [a] = members(h, 1)
    await a.join()
    const ok = await h.gc.commitOffsets(
      commitParams(G, { t: { 0: 42n } }, { memberId: 'm0', generationId: a.epoch, groupIdNotFound: true }),
    )
    assert.equal(ok[0].partitions[0].errorCode, ErrorCode.NONE)
    const stale = await h.gc.commitOffsets(
      commitParams(
        G,
        { t: { 0: 43n } },
        { memberId: 'm0', generationId: a.epoch - 1, groupIdNotFound: true },
      ),
    )
    assert.equal(stale[0].partitions[0].errorCode, ErrorCode.STALE_MEMBER_EPOCH)
    const stranger = await h.gc.commitOffsets(commitParams(G, { t: { 0: 44n } }))
    assert.equal(stranger[0].partitions[0].errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
    const f = h.gc.fetchOffsets(G, [{ name: 't', partitionIndexes: [0] }], {
      memberId: 'm0',
      memberEpoch: a.epoch,
    })
    assert.equal(f.errorCode, ErrorCode.NONE)
    assert.equal(f.topics[0].partitions[0].committedOffset, 42n)
    assert.equal(
      h.gc.fetchOffsets(G, null, { memberId: 'm0', memberEpoch: 99 }).errorCode,
      ErrorCode.STALE_MEMBER_EPOCH,
    )
    assert.equal(
      h.gc.fetchOffsets(G, null, { memberId: 'zz', memberEpoch: 1 }).errorCode,
      ErrorCode.UNKNOWN_MEMBER_ID,
    )
  })

  it('loading replays the records: same group after a restart, members carry on', async () => {
    const h = await consumerHarness()
    h.topics.set('t', 6)
    const ms = members(h, 3)
    for (const m of ms) await m.join()
    await converge(ms)
    await ms[1].beat({ memberEpoch: -1 })
    await ms[0].beat() // mid-reconciliation: m0 may hold new partitions, m2 not yet
    await h.gc.commitOffsets(commitParams(G, { t: { 1: 7n } }, { memberId: 'm0', generationId: ms[0].epoch }))
    const before = describeOne(h)
    const h2 = await restartConsumer(h)
    assert.deepEqual(describeOne(h2), before)
    assert.equal(h2.gc.fetchOffsets(G, null).topics[0].partitions[0].committedOffset, 7n)
    const live = [ms[0], ms[2]].map((m) => Object.assign(m, { h: h2 }))
    await converge(live)
    assertExclusive(live)
    assert.deepEqual(union(live), all('t', 6))
    assert.equal(describeOne(h2).groupState, 'Stable')
  })

  it('an empty group changes protocol; a busy one refuses the other kind', async () => {
    const h = await consumerHarness()
    h.topics.set('t', 2)
    // Offsets committed outside group management make an empty classic group.
    await h.gc.commitOffsets(commitParams(G, { t: { 0: 5n } }))
    assert.equal(h.gc.listGroups([], []).groups[0].groupType, 'classic')
    const [a] = members(h, 1)
    assert.equal((await a.join()).errorCode, ErrorCode.NONE)
    assert.equal(h.gc.listGroups([], []).groups[0].groupType, 'consumer')
    assert.equal(h.gc.fetchOffsets(G, null).topics[0].partitions[0].committedOffset, 5n, 'offsets stay')
    const blocked = await h.gc.joinGroup(joinParams(G))
    assert.equal(blocked.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    assert.equal(h.gc.describeGroups([G])[0].errorCode, ErrorCode.GROUP_ID_NOT_FOUND)
    await a.beat({ memberEpoch: -1 })
    const joining = h.gc.joinGroup(joinParams(G))
    h.clock.advance(h.config.initialRebalanceDelayMs + 1)
    assert.equal((await joining).errorCode, ErrorCode.NONE)
    assert.equal(h.gc.listGroups([], []).groups[0].groupType, 'classic')
    const cg = await hb(h, { groupId: G, memberId: 'z', subscribedTopicNames: ['t'] })
    assert.equal(cg.errorCode, ErrorCode.GROUP_ID_NOT_FOUND)
    const h2 = await restartConsumer(h)
    assert.equal(h2.gc.listGroups([], []).groups[0].groupType, 'classic')
    h2.gc.shutdown()
  })

  it('deletes an empty consumer group with its offsets', async () => {
    const h = await consumerHarness()
    h.topics.set('t', 1)
    const [a] = members(h, 1)
    await a.join()
    assert.deepEqual(await h.gc.deleteGroups([G]), [{ groupId: G, errorCode: ErrorCode.NON_EMPTY_GROUP }])
    await h.gc.commitOffsets(commitParams(G, { t: { 0: 1n } }, { memberId: 'm0', generationId: a.epoch }))
    await a.beat({ memberEpoch: -1 })
    assert.deepEqual(await h.gc.deleteGroups([G]), [{ groupId: G, errorCode: ErrorCode.NONE }])
    assert.deepEqual(h.gc.listGroups([], []).groups, [])
    const h2 = await restartConsumer(h)
    assert.deepEqual(h2.gc.listGroups([], []).groups, [])
    assert.deepEqual(h2.gc.fetchOffsets(G, null).topics, [])
  })
})

describe('a failed write', () => {
  it('is answered with the mapped error, and memory is reloaded from the log', async () => {
    const h = await consumerHarness()
    h.topics.set('t', 2)
    const [a, b] = members(h, 2)
    await a.join()
    h.memory.failNext(ErrorCode.NOT_ENOUGH_REPLICAS)
    const r = await b.join()
    assert.notEqual(r.errorCode, ErrorCode.NONE)
    await h.gc.loaded()
    assert.deepEqual(
      describeOne(h).members.map((m) => m.memberId),
      ['m0'],
      'the member whose records were not written is not there',
    )
    assert.equal(describeOne(h).groupEpoch, 1)
    assert.equal((await b.join()).errorCode, ErrorCode.NONE)
    await converge([a, b])
    assert.deepEqual(union([a, b]), all('t', 2))
  })
})

describe('consumer group offsets expire', () => {
  it('an empty group loses its offsets after the retention, then the group goes', async () => {
    const h = await consumerHarness({ sessionTimeoutMs: 30 * 24 * 3600_000 })
    h.topics.set('t', 1)
    const [a] = members(h, 1)
    await a.join()
    await h.gc.commitOffsets(commitParams(G, { t: { 0: 3n } }, { memberId: 'm0', generationId: a.epoch }))
    await h.clock.advanceAsync(h.config.offsetsRetentionMs + h.config.offsetsRetentionCheckIntervalMs)
    await settle()
    assert.equal(h.gc.fetchOffsets(G, null).topics.length, 1, 'a subscribed topic keeps its offsets')
    assert.equal((await a.beat({ memberEpoch: -1 })).errorCode, ErrorCode.NONE)
    await h.clock.advanceAsync(h.config.offsetsRetentionCheckIntervalMs)
    await settle()
    assert.deepEqual(h.gc.fetchOffsets(G, null).topics, [])
    assert.deepEqual(h.gc.listGroups([], []).groups, [])
  })
})

function tpOf(_h: ConsumerHarness, owned: Owned) {
  return Object.entries(owned).map(([t, partitions]) => ({
    topicId: Buffer.from(t.padEnd(16, '.').slice(0, 16)).toString('base64url'),
    partitions,
  }))
}
