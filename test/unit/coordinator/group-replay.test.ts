// Loading is replay: a coordinator started over the same __consumer_offsets log has the same
// groups and offsets, sessions of loaded members run again, tombstones stay deleted, and a failed
// write leaves memory consistent with the log.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { GroupState } from '../../../src/coordinator/group/classic-group.ts'
import { decodeKey } from '../../../src/coordinator/group/records.ts'
import type { CoordinatorLog } from '../../../src/coordinator/runtime/coordinator-log.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import { batchRecords, readBatches } from '../../../src/records/record-iterator.ts'
import {
  commitParams,
  type Harness,
  harness,
  joinParams,
  joinWithId,
  restart,
  settled,
  stableGroup,
  stateOf,
} from './group-fixture.ts'

function snapshot(h: Harness, groups: string[]) {
  return {
    listed: h.gc
      .listGroups([], [])
      .groups.slice()
      .sort((a, b) => a.groupId.localeCompare(b.groupId)),
    described: h.gc.describeGroups(groups),
    offsets: groups.map((g) => h.gc.fetchOffsets(g, null)),
  }
}

async function allRecords(h: Harness) {
  const out: { key: ReturnType<typeof decodeKey>; tombstone: boolean }[] = []
  for (let p = 0; p < h.config.offsetsTopicNumPartitions; p++) {
    const r = await h.log.read(p, 0n, 1 << 20)
    for (const b of readBatches(r.records))
      for (const rec of batchRecords(r.records, b.pos))
        out.push({ key: decodeKey(rec.key!), tombstone: rec.value === null })
  }
  return out
}

describe('replay after a restart', () => {
  it('rebuilds the same groups and offsets', async () => {
    const h = await harness()
    const { members } = await stableGroup(h, 'stable', 2, (i) =>
      i === 0 ? { groupInstanceId: 'static-0' } : {},
    )
    await h.gc.commitOffsets(
      commitParams('stable', { t1: { 0: 10n, 1: 11n } }, { generationId: 1, memberId: members[1].memberId }),
    )
    await h.gc.commitOffsets(commitParams('simple', { t2: { 3: 33n } }))
    const { members: gone } = await stableGroup(h, 'emptied', 1)
    await h.gc.commitOffsets(
      commitParams('emptied', { t1: { 0: 5n } }, { generationId: 1, memberId: gone[0].memberId }),
    )
    await h.gc.leaveGroup('emptied', [{ memberId: gone[0].memberId, groupInstanceId: null, reason: null }])
    await h.gc.commitOffsets(commitParams('deleted', { t3: { 0: 1n } }))
    await h.gc.deleteGroups(['deleted'])
    await h.gc.commitOffsets(commitParams('partly', { t4: { 0: 1n, 1: 2n } }))
    await h.gc.deleteOffsets('partly', [{ name: 't4', partitions: [{ partition: 0 }] }])
    const groups = ['stable', 'simple', 'emptied', 'deleted', 'partly']
    const before = snapshot(h, groups)
    const h2 = await restart(h)
    assert.deepEqual(snapshot(h2, groups), before)
    assert.equal(stateOf(h2, 'deleted'), GroupState.Dead)
    assert.equal(h2.gc.describeGroups(['emptied'])[0].groupState, GroupState.Empty)
    // Records are Kafka's: offset keys v1, group keys v2, tombstones for the deleted group and offset.
    const recs = await allRecords(h2)
    assert.ok(recs.some((r) => r.key.type === 'group' && r.key.group === 'deleted' && r.tombstone))
    assert.ok(recs.some((r) => r.key.type === 'offset' && r.key.group === 'deleted' && r.tombstone))
    assert.ok(
      recs.some(
        (r) => r.key.type === 'offset' && r.key.group === 'partly' && r.key.partition === 0 && r.tombstone,
      ),
    )
  })

  it('lets loaded members carry on with heartbeats, and expires the silent ones', async () => {
    const h = await harness()
    const { members } = await stableGroup(h, 'g', 2, () => ({ sessionTimeoutMs: 10_000 }))
    const h2 = await restart(h)
    const [a, b] = members
    assert.equal(stateOf(h2, 'g'), GroupState.Stable)
    h2.clock.advance(6000)
    assert.equal(await h2.gc.heartbeat('g', a.memberId, null, 1), ErrorCode.NONE)
    const s = await h2.gc.syncGroup({
      groupId: 'g',
      generationId: 1,
      memberId: a.memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [],
    })
    assert.equal(s.errorCode, ErrorCode.NONE)
    assert.ok(s.assignment.length > 0, 'the assignment survived the restart')
    h2.clock.advance(4000) // b: 10 s since the load without a heartbeat
    assert.equal(stateOf(h2, 'g'), GroupState.PreparingRebalance)
    assert.equal(await h2.gc.heartbeat('g', b.memberId, null, 1), ErrorCode.UNKNOWN_MEMBER_ID)
  })

  it('lets a static member restart across a broker restart without a rebalance', async () => {
    const h = await harness()
    await stableGroup(h, 'g', 1, () => ({ groupInstanceId: 'i0' }))
    const h2 = await restart(h)
    const r = await settled(h2.gc.joinGroup(joinParams('g', { groupInstanceId: 'i0' })))
    assert.equal(r.errorCode, ErrorCode.NONE)
    assert.equal(r.generationId, 1)
    assert.equal(stateOf(h2, 'g'), GroupState.Stable)
  })

  it('answers COORDINATOR_LOAD_IN_PROGRESS while loading, and heartbeats blindly', async () => {
    const h = await harness()
    await h.gc.commitOffsets(commitParams('g', { t: { 0: 1n } }))
    h.gc.shutdown()
    let release!: () => void
    const gate = new Promise<void>((r) => {
      release = r
    })
    const gated = (l: CoordinatorLog): CoordinatorLog => ({
      append: (p, b) => l.append(p, b),
      read: (p, o, m) => gate.then(() => l.read(p, o, m)),
    })
    const h2 = await harness(h.config, { clock: h.clock, log: h.memory, wrap: gated, noWait: true })
    assert.equal(h2.gc.runtime.state(h2.gc.partitionFor('g')), 'loading')
    assert.equal(h2.gc.fetchOffsets('g', null).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
    assert.equal((await h2.gc.joinGroup(joinParams('g'))).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
    assert.equal(await h2.gc.heartbeat('g', 'm', null, 1), ErrorCode.NONE)
    assert.equal(h2.gc.listGroups([], []).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
    release()
    await h2.gc.loaded()
    assert.equal(h2.gc.fetchOffsets('g', null).topics[0].partitions[0].committedOffset, 1n)
    assert.equal(h2.gc.listGroups([], []).errorCode, ErrorCode.NONE)
  })

  it('refuses requests for partitions it does not lead with NOT_COORDINATOR', async () => {
    const h = await harness()
    h.gc.runtime.unload(h.gc.partitionFor('g'))
    assert.equal((await h.gc.joinGroup(joinParams('g'))).errorCode, ErrorCode.NOT_COORDINATOR)
    assert.equal(h.gc.fetchOffsets('g', null).errorCode, ErrorCode.NOT_COORDINATOR)
    const c = await h.gc.commitOffsets(commitParams('g', { t: { 0: 1n } }))
    assert.equal(c[0].partitions[0].errorCode, ErrorCode.NOT_COORDINATOR)
  })
})

describe('failed writes', () => {
  it('answers a commit whose write failed with the mapped error and keeps no offset', async () => {
    const h = await harness()
    h.memory.failNext(ErrorCode.KAFKA_STORAGE_ERROR)
    const r = await h.gc.commitOffsets(commitParams('g', { t: { 0: 1n } }))
    assert.equal(r[0].partitions[0].errorCode, ErrorCode.NOT_COORDINATOR)
    assert.equal(
      h.gc.fetchOffsets('g', [{ name: 't', partitionIndexes: [0] }]).topics[0].partitions[0].committedOffset,
      -1n,
    )
    h.memory.failNext(ErrorCode.NOT_ENOUGH_REPLICAS)
    const again = await h.gc.commitOffsets(commitParams('g', { t: { 0: 1n } }))
    assert.equal(again[0].partitions[0].errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE)
    // Memory matches the log: a restart sees the same (nothing).
    const h2 = await restart(h)
    assert.deepEqual(h2.gc.fetchOffsets('g', null).topics, [])
  })

  it('sends the error to every member when the assignment cannot be stored, and rebalances', async () => {
    const h = await harness()
    const { join: ja } = await joinWithId(h, 'g')
    h.clock.advance(3000)
    const j = await settled(ja)
    h.memory.failNext(ErrorCode.NOT_LEADER_OR_FOLLOWER)
    const s = await h.gc.syncGroup({
      groupId: 'g',
      generationId: 1,
      memberId: j.memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [{ memberId: j.memberId, assignment: Buffer.from('a') }],
    })
    assert.equal(s.errorCode, ErrorCode.NOT_COORDINATOR)
    assert.equal(stateOf(h, 'g'), GroupState.PreparingRebalance)
    const again = await settled(h.gc.joinGroup(joinParams('g', { memberId: j.memberId })))
    assert.equal(again.generationId, 2)
  })

  it('reverts a static member replacement whose record could not be written', async () => {
    const h = await harness()
    const { members } = await stableGroup(h, 'g', 1, () => ({ groupInstanceId: 'i' }))
    h.memory.failNext(ErrorCode.KAFKA_STORAGE_ERROR)
    const r = await h.gc.joinGroup(joinParams('g', { groupInstanceId: 'i' }))
    assert.equal(r.errorCode, ErrorCode.NOT_COORDINATOR)
    assert.equal(
      await h.gc.heartbeat('g', members[0].memberId, 'i', 1),
      ErrorCode.NONE,
      'the old incarnation is back',
    )
  })
})
