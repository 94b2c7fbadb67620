// The share-partition state machine (src/share/share-partition.ts) against KIP-932's rules:
// one member holds a record at a time, release and lock expiry make it available again, the
// delivery-count limit archives it, the start offset moves over finished records, and the
// persisted state restores what was acknowledged. Also the __share_group_state record codec.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Uuid } from '../../../src/common/ids.ts'
import {
  decodeShareKey,
  decodeShareValue,
  encodeShareKey,
  encodeShareValue,
} from '../../../src/coordinator/share/share-records.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import { AckType, RecordState, SharePartition } from '../../../src/share/share-partition.ts'

const limits = { lockMs: 1000, deliveryLimit: 3, maxInFlight: 100 }
const batch = (first: number, last: number, control = false) => ({
  first: BigInt(first),
  last: BigInt(last),
  control,
})

test('records go to one member at a time and come back after release or lock expiry', () => {
  const sp = new SharePartition(0n, limits)
  const a = sp.acquire('A', [batch(0, 3)], 500, 0)
  assert.deepEqual(a, [{ firstOffset: 0n, lastOffset: 3n, deliveryCount: 1 }])
  assert.deepEqual(sp.acquire('B', [batch(0, 3)], 500, 0), [], 'all held by A')
  assert.equal(sp.acknowledge('A', 0n, 0n, [AckType.Accept]), ErrorCode.NONE)
  assert.equal(sp.acknowledge('A', 1n, 1n, [AckType.Release]), ErrorCode.NONE)
  assert.equal(sp.startOffset, 1n)
  assert.equal(sp.nextFetchOffset(), 1n)
  assert.deepEqual(sp.acquire('B', [batch(0, 3)], 500, 10), [
    { firstOffset: 1n, lastOffset: 1n, deliveryCount: 2 },
  ])
  assert.equal(sp.acknowledge('B', 2n, 2n, [AckType.Accept]), ErrorCode.INVALID_RECORD_STATE, "A's record")
  assert.equal(sp.expireLocks(999), false)
  assert.equal(sp.expireLocks(1000), true, "A's locks on 2 and 3 ran out")
  assert.equal(sp.acknowledge('A', 2n, 3n, [AckType.Accept]), ErrorCode.INVALID_RECORD_STATE, 'lock lost')
  assert.deepEqual(sp.acquire('B', [batch(0, 3)], 500, 1000), [
    { firstOffset: 2n, lastOffset: 3n, deliveryCount: 2 },
  ])
})

test('the delivery-count limit archives a poison record; reject archives at once', () => {
  const sp = new SharePartition(10n, limits)
  for (let i = 1; i <= 3; i++) {
    const got = sp.acquire(`m${i}`, [batch(10, 11)], 500, 0)
    assert.equal(got[0]?.firstOffset, 10n, `delivery ${i}`)
    assert.equal(got[0]?.deliveryCount, i)
    if (i === 1) assert.equal(sp.acknowledge('m1', 11n, 11n, [AckType.Accept]), ErrorCode.NONE)
    assert.equal(sp.acknowledge(`m${i}`, 10n, 10n, [AckType.Release]), ErrorCode.NONE)
  }
  assert.equal(sp.stateOf(10n).state, RecordState.Acknowledged, 'below the start offset: done')
  assert.equal(sp.startOffset, 12n, 'archived after the third delivery, start offset moved over it')
  assert.deepEqual(sp.acquire('m4', [batch(10, 11)], 500, 0), [])
  const sp2 = new SharePartition(0n, limits)
  sp2.acquire('A', [batch(0, 1)], 500, 0)
  assert.equal(sp2.acknowledge('A', 0n, 1n, [AckType.Reject, AckType.Accept]), ErrorCode.NONE)
  assert.equal(sp2.startOffset, 2n)
})

test('control batches are skipped, max records and member release are honoured', () => {
  const sp = new SharePartition(0n, limits)
  assert.deepEqual(sp.acquire('A', [batch(0, 4), batch(5, 5, true), batch(6, 9)], 6, 0), [
    { firstOffset: 0n, lastOffset: 4n, deliveryCount: 1 },
    { firstOffset: 6n, lastOffset: 6n, deliveryCount: 1 },
  ])
  assert.equal(sp.stateOf(5n).state, RecordState.Archived)
  assert.equal(sp.endOffset, 7n)
  assert.equal(sp.releaseMember('A'), true)
  assert.equal(sp.nextFetchOffset(), 0n)
  assert.equal(sp.acquiredCount(), 0)
})

test('the persisted state restores acknowledged and archived records and delivery counts', () => {
  const sp = new SharePartition(0n, limits)
  sp.acquire('A', [batch(0, 5)], 500, 0)
  sp.acknowledge('A', 0n, 5n, [1, 1, 3, 1, 2, 1])
  const state = sp.persisted()
  assert.equal(state.startOffset, 4n, '0-3 accepted or rejected')
  const bytes = encodeShareValue({ snapshotEpoch: 4, stateEpoch: 0, leaderEpoch: 2, ...state })
  const back = decodeShareValue(bytes)
  assert.equal(back.snapshotEpoch, 4)
  assert.equal(back.leaderEpoch, 2)
  const restored = new SharePartition(0n, limits, back)
  assert.equal(restored.startOffset, 4n)
  assert.equal(restored.stateOf(4n).state, RecordState.Available)
  assert.equal(restored.stateOf(5n).state, RecordState.Acknowledged)
  assert.deepEqual(restored.acquire('B', [batch(0, 7)], 500, 0), [
    { firstOffset: 4n, lastOffset: 4n, deliveryCount: 2 },
    { firstOffset: 6n, lastOffset: 7n, deliveryCount: 1 },
  ])
  const key = { groupId: 'g', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' as Uuid, partition: 7 }
  assert.deepEqual(decodeShareKey(encodeShareKey(key)), { version: 0, key })
})

test('records deleted from the log are dropped from the in-flight set', () => {
  const sp = new SharePartition(0n, limits)
  sp.acquire('A', [batch(0, 4)], 500, 0)
  sp.moveStartTo(3n)
  assert.equal(sp.startOffset, 3n)
  assert.equal(sp.acknowledge('A', 1n, 1n, [AckType.Accept]), ErrorCode.INVALID_RECORD_STATE)
  assert.equal(sp.acknowledge('A', 3n, 4n, [AckType.Accept]), ErrorCode.NONE)
  assert.equal(sp.startOffset, 5n)
  sp.moveStartTo(9n)
  assert.equal(sp.nextFetchOffset(), 9n)
})
