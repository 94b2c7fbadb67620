// Committed offsets: who may commit in which state, fetch, OffsetDelete, DeleteGroups and the
// expiration after offsets.retention.minutes, with the tombstones each writes.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { GroupState } from '../../../src/coordinator/group/classic-group.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  commitParams,
  harness,
  joinParams,
  joinWithId,
  settled,
  stableGroup,
  stateOf,
  subscription,
} from './group-fixture.ts'

const codes = (r: { partitions: { errorCode: number }[] }[]) =>
  r.flatMap((t) => t.partitions.map((p) => p.errorCode))

describe('committed offsets', () => {
  it('lets a simple consumer (generation -1, no member id) commit and fetch', async () => {
    const h = await harness()
    const r = await h.gc.commitOffsets(commitParams('simple', { t1: { 0: 10n, 1: 20n }, t2: { 0: 5n } }))
    assert.deepEqual(codes(r), [0, 0, 0])
    const f = h.gc.fetchOffsets('simple', [
      { name: 't1', partitionIndexes: [0, 1, 2] },
      { name: 'nope', partitionIndexes: [0] },
    ])
    assert.equal(f.errorCode, ErrorCode.NONE)
    assert.deepEqual(
      f.topics.map((t) => [t.name, t.partitions.map((p) => p.committedOffset)]),
      [
        ['t1', [10n, 20n, -1n]],
        ['nope', [-1n]],
      ],
    )
    const all = h.gc.fetchOffsets('simple', null)
    assert.deepEqual(
      all.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.committedOffset])]),
      [
        [
          't1',
          [
            [0, 10n],
            [1, 20n],
          ],
        ],
        ['t2', [[0, 5n]]],
      ],
    )
    assert.deepEqual(h.gc.fetchOffsets('unknown', null).topics, [])
    const listed = h.gc.listGroups([], []).groups.find((g) => g.groupId === 'simple')
    assert.deepEqual(listed, {
      groupId: 'simple',
      protocolType: '',
      groupState: 'Empty',
      groupType: 'classic',
    })
  })

  it('keeps metadata, leader epoch and commit timestamps; refuses oversized metadata per partition', async () => {
    const h = await harness({ offsetMetadataMaxBytes: 10 })
    const r = await h.gc.commitOffsets({
      ...commitParams('g', {}),
      topics: [
        {
          name: 't',
          partitions: [
            { partition: 0, offset: 7n, leaderEpoch: 3, commitTimestamp: -1, metadata: 'meta' },
            { partition: 1, offset: 8n, leaderEpoch: -1, commitTimestamp: -1, metadata: 'x'.repeat(11) },
          ],
        },
      ],
    })
    assert.deepEqual(codes(r), [ErrorCode.NONE, ErrorCode.OFFSET_METADATA_TOO_LARGE])
    const p = h.gc.fetchOffsets('g', [{ name: 't', partitionIndexes: [0, 1] }]).topics[0].partitions
    assert.deepEqual(p[0], {
      partitionIndex: 0,
      committedOffset: 7n,
      committedLeaderEpoch: 3,
      metadata: 'meta',
      errorCode: 0,
    })
    assert.equal(p[1].committedOffset, -1n)
  })

  it('checks member, generation and state of a group-managed commit', async () => {
    const h = await harness()
    const { members } = await stableGroup(h, 'g', 2)
    const [a, b] = members
    const commit = (over: Parameters<typeof commitParams>[2]) =>
      h.gc.commitOffsets(commitParams('g', { t1: { 0: 1n } }, over))
    assert.deepEqual(codes(await commit({ generationId: 1, memberId: a.memberId })), [ErrorCode.NONE])
    assert.deepEqual(codes(await commit({ generationId: 0, memberId: a.memberId })), [
      ErrorCode.ILLEGAL_GENERATION,
    ])
    assert.deepEqual(codes(await commit({ generationId: 1, memberId: 'who' })), [ErrorCode.UNKNOWN_MEMBER_ID])
    // Not a member, not a generation: refused while the group has members.
    assert.deepEqual(codes(await commit({})), [ErrorCode.UNKNOWN_MEMBER_ID])
    // During PreparingRebalance the current generation may still commit (Kafka allows it).
    const c = await joinWithId(h, 'g')
    assert.equal(stateOf(h, 'g'), GroupState.PreparingRebalance)
    assert.deepEqual(codes(await commit({ generationId: 1, memberId: b.memberId })), [ErrorCode.NONE])
    // Once the join phase is over the old generation is illegal, and the new one must wait for its assignment.
    const rejoins = [a, b].map((m) => h.gc.joinGroup(joinParams('g', { memberId: m.memberId })))
    await Promise.all([...rejoins, c.join].map(settled))
    assert.equal(stateOf(h, 'g'), GroupState.CompletingRebalance)
    assert.deepEqual(codes(await commit({ generationId: 1, memberId: a.memberId })), [
      ErrorCode.ILLEGAL_GENERATION,
    ])
    assert.deepEqual(codes(await commit({ generationId: 2, memberId: a.memberId })), [
      ErrorCode.REBALANCE_IN_PROGRESS,
    ])
    // A missing group: ILLEGAL_GENERATION before v9, GROUP_ID_NOT_FOUND from v9.
    const missing = (groupIdNotFound: boolean) =>
      h.gc.commitOffsets(
        commitParams('missing', { t1: { 0: 1n } }, { generationId: 3, memberId: 'm', groupIdNotFound }),
      )
    assert.deepEqual(codes(await missing(false)), [ErrorCode.ILLEGAL_GENERATION])
    assert.deepEqual(codes(await missing(true)), [ErrorCode.GROUP_ID_NOT_FOUND])
  })

  it('keeps offsets fetched by a group-managed consumer across rebalances', async () => {
    const h = await harness()
    const { members } = await stableGroup(h, 'g', 1)
    await h.gc.commitOffsets(
      commitParams('g', { t1: { 0: 42n } }, { generationId: 1, memberId: members[0].memberId }),
    )
    await h.gc.leaveGroup('g', [{ memberId: members[0].memberId, groupInstanceId: null, reason: null }])
    assert.equal(stateOf(h, 'g'), GroupState.Empty)
    assert.equal(
      h.gc.fetchOffsets('g', [{ name: 't1', partitionIndexes: [0] }]).topics[0].partitions[0].committedOffset,
      42n,
    )
  })

  it('expires the offsets of a group whose last member timed out, once the retention has passed', async () => {
    const h = await harness({ offsetsRetentionMs: 60_000, offsetsRetentionCheckIntervalMs: 10_000 })
    const { members } = await stableGroup(h, 'g', 1)
    await h.gc.commitOffsets(
      commitParams('g', { t1: { 0: 1n } }, { generationId: 1, memberId: members[0].memberId }),
    )
    h.clock.advance(40_000) // the member stopped heartbeating: its session ended, the group is empty
    await settled(Promise.resolve())
    assert.equal(stateOf(h, 'g'), GroupState.Empty)
    const offset = () =>
      h.gc.fetchOffsets('g', [{ name: 't1', partitionIndexes: [0] }]).topics[0].partitions[0]
    assert.equal(offset().committedOffset, 1n)
    h.clock.advance(60_000)
    await settled(Promise.resolve())
    assert.equal(offset().committedOffset, -1n)
  })

  it('does not expire offsets of a stable group for topics it subscribes to, and does for others', async () => {
    const h = await harness({ offsetsRetentionMs: 60_000, offsetsRetentionCheckIntervalMs: 10_000 })
    const { members } = await stableGroup(h, 'g', 1, () => ({ sessionTimeoutMs: 30_000 }))
    const m = members[0]
    await h.gc.commitOffsets(
      commitParams('g', { t1: { 0: 1n }, old: { 0: 2n } }, { generationId: 1, memberId: m.memberId }),
    )
    for (let i = 0; i < 8; i++) {
      h.clock.advance(10_000)
      assert.equal(await h.gc.heartbeat('g', m.memberId, null, 1), ErrorCode.NONE)
    }
    const f = h.gc.fetchOffsets('g', null).topics
    assert.deepEqual(
      f.map((t) => t.name),
      ['t1'],
    )
  })

  it('expires an emptied group: offsets after the retention, then the group itself', async () => {
    const h = await harness({ offsetsRetentionMs: 60_000, offsetsRetentionCheckIntervalMs: 10_000 })
    const { members } = await stableGroup(h, 'g', 1)
    await h.gc.commitOffsets(
      commitParams('g', { t1: { 0: 1n } }, { generationId: 1, memberId: members[0].memberId }),
    )
    await h.gc.leaveGroup('g', [{ memberId: members[0].memberId, groupInstanceId: null, reason: null }])
    h.clock.advance(50_000)
    await settled(Promise.resolve())
    assert.equal(stateOf(h, 'g'), GroupState.Empty)
    h.clock.advance(20_000)
    await settled(Promise.resolve())
    assert.equal(stateOf(h, 'g'), GroupState.Dead, 'unknown groups describe as Dead')
    assert.equal(h.gc.listGroups([], []).groups.length, 0)
    assert.equal(
      h.gc.fetchOffsets('g', [{ name: 't1', partitionIndexes: [0] }]).topics[0].partitions[0].committedOffset,
      -1n,
    )
  })

  it('expires offsets committed with an explicit retention time (OffsetCommit v2-4) at that time', async () => {
    const h = await harness({ offsetsRetentionMs: 600_000, offsetsRetentionCheckIntervalMs: 10_000 })
    await h.gc.commitOffsets(commitParams('s', { t: { 0: 1n } }, { retentionTimeMs: 15_000 }))
    await h.gc.commitOffsets(commitParams('s', { t: { 1: 1n } }))
    h.clock.advance(20_000)
    await settled(Promise.resolve())
    assert.deepEqual(
      h.gc.fetchOffsets('s', null).topics[0].partitions.map((p) => p.partitionIndex),
      [1],
    )
  })

  it('deletes offsets of topics the group does not consume (OffsetDelete)', async () => {
    const h = await harness()
    const { members } = await stableGroup(h, 'g', 1)
    await h.gc.commitOffsets(
      commitParams(
        'g',
        { t1: { 0: 1n }, gone: { 0: 1n, 1: 2n } },
        { generationId: 1, memberId: members[0].memberId },
      ),
    )
    const before = h.memory.appends
    const r = await h.gc.deleteOffsets('g', [
      { name: 't1', partitions: [{ partition: 0 }] },
      { name: 'gone', partitions: [{ partition: 0 }, { partition: 5 }] },
    ])
    assert.equal(r.errorCode, ErrorCode.NONE)
    assert.deepEqual(codes(r.topics), [ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, ErrorCode.NONE, ErrorCode.NONE])
    assert.equal(h.memory.appends, before + 1)
    assert.deepEqual(
      h.gc.fetchOffsets('g', null).topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)]),
      [
        ['t1', [0]],
        ['gone', [1]],
      ],
    )
    assert.equal((await h.gc.deleteOffsets('nope', [])).errorCode, ErrorCode.GROUP_ID_NOT_FOUND)
    // A non-consumer group with members: NON_EMPTY_GROUP.
    const other = h.gc.joinGroup(
      joinParams('connect', {
        protocolType: 'connect',
        protocols: [{ name: 'v1', metadata: Buffer.from('x') }],
      }),
    )
    h.clock.advance(3000)
    await settled(other)
    assert.equal((await h.gc.deleteOffsets('connect', [])).errorCode, ErrorCode.NON_EMPTY_GROUP)
  })

  it('deletes empty groups with tombstones for their offsets, refuses non-empty and unknown ones', async () => {
    const h = await harness()
    await h.gc.commitOffsets(commitParams('empty', { t: { 0: 1n, 1: 1n } }))
    await stableGroup(h, 'busy', 1)
    const r = await h.gc.deleteGroups(['empty', 'busy', 'unknown'])
    assert.deepEqual(r, [
      { groupId: 'empty', errorCode: ErrorCode.NONE },
      { groupId: 'busy', errorCode: ErrorCode.NON_EMPTY_GROUP },
      { groupId: 'unknown', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    ])
    assert.deepEqual(h.gc.fetchOffsets('empty', null).topics, [])
    assert.deepEqual(
      h.gc.listGroups([], []).groups.map((g) => g.groupId),
      ['busy'],
    )
    // The group can be used again right away.
    assert.deepEqual(codes(await h.gc.commitOffsets(commitParams('empty', { t: { 0: 9n } }))), [0])
  })

  it('filters ListGroups by state and type, case-insensitively', async () => {
    const h = await harness()
    await stableGroup(h, 'stable', 1)
    await h.gc.commitOffsets(commitParams('empty', { t: { 0: 1n } }))
    const names = (states: string[], types: string[] = []) =>
      h.gc
        .listGroups(states, types)
        .groups.map((g) => g.groupId)
        .sort()
    assert.deepEqual(names([]), ['empty', 'stable'])
    assert.deepEqual(names(['Stable']), ['stable'])
    assert.deepEqual(names(['empty', 'STABLE']), ['empty', 'stable'])
    assert.deepEqual(names(['Dead']), [])
    assert.deepEqual(names([], ['Classic']), ['empty', 'stable'])
    assert.deepEqual(names([], ['consumer']), [])
  })

  it('describes members with metadata and assignment only when the group is stable', async () => {
    const h = await harness()
    const { members } = await stableGroup(h, 'g', 1, () => ({ clientId: 'cid' }))
    const d = h.gc.describeGroups(['g', 'missing'])
    assert.equal(d[0].groupState, 'Stable')
    assert.equal(d[0].protocolType, 'consumer')
    assert.equal(d[0].members[0].clientId, 'cid')
    assert.equal(d[0].members[0].clientHost, '/127.0.0.1')
    assert.deepEqual(d[0].members[0].memberMetadata, subscription(['t1']))
    assert.deepEqual(d[1], {
      errorCode: 0,
      groupId: 'missing',
      groupState: 'Dead',
      protocolType: '',
      protocolData: '',
      members: [],
    })
    h.gc.joinGroup(joinParams('g', { memberId: members[0].memberId })) // leader rejoin: rebalance
    const r = h.gc.describeGroups(['g'])[0]
    assert.equal(r.groupState, 'CompletingRebalance')
    assert.equal(r.protocolData, '')
    assert.deepEqual(r.members[0].memberMetadata, Buffer.alloc(0))
  })
})
