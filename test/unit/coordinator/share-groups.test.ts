// Share group membership (src/coordinator/share/share-groups.ts): join, server-side assignment
// (several members on one partition when there are more members than partitions), epochs and
// fencing, leaving, session timeouts on an injected clock, and the ListGroups view.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ManualClock } from '../../../src/common/clock.ts'
import type { Uuid } from '../../../src/common/ids.ts'
import { DEFAULT_SHARE_CONFIG } from '../../../src/coordinator/share/share-config.ts'
import { type HeartbeatInput, ShareGroups } from '../../../src/coordinator/share/share-groups.ts'
import type { MetadataImage } from '../../../src/metadata/image.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'

const T = 'TTTTTTTTTTTTTTTTTTTTTQ' as Uuid
const image = (partitions: number) =>
  ({
    topics: new Map([
      ['t', { name: 't', topicId: T, partitions: Array.from({ length: partitions }, () => ({})) }],
    ]),
  }) as unknown as MetadataImage

function hb(memberId: string, memberEpoch: number, subscribed: string[] | null = null): HeartbeatInput {
  return {
    groupId: 'g',
    memberId,
    memberEpoch,
    rackId: null,
    subscribedTopicNames: subscribed,
    clientId: 'c',
    clientHost: '/127.0.0.1',
  }
}

test('members share partitions; more members than partitions share one', () => {
  const clock = new ManualClock()
  let parts = 2
  const groups = new ShareGroups(DEFAULT_SHARE_CONFIG, clock, () => image(parts))
  const a = groups.heartbeat(hb('a', 0, ['t']))
  assert.equal(a.errorCode, ErrorCode.NONE)
  assert.deepEqual(a.assignment, [{ topicId: T, partitions: [0, 1] }])
  const b = groups.heartbeat(hb('b', 0, ['t']))
  assert.deepEqual(b.assignment, [{ topicId: T, partitions: [1] }])
  // a's epoch moved with its new assignment: its old epoch is fenced, and it learns the new one.
  assert.equal(groups.heartbeat(hb('a', a.memberEpoch)).errorCode, ErrorCode.FENCED_MEMBER_EPOCH)
  const g = groups.groups.get('g')
  assert.deepEqual(g?.members.get('a')?.assignment.get(T), [0])
  const c = groups.heartbeat(hb('c', 0, ['t']))
  assert.deepEqual(c.assignment, [{ topicId: T, partitions: [0] }], 'third member shares partition 0 with a')
  parts = 1
  const left: string[] = []
  groups.onMemberLeft = (_g, m) => left.push(m)
  const out = groups.heartbeat(hb('b', g?.members.get('b')?.memberEpoch ?? -2))
  assert.equal(out.errorCode, ErrorCode.NONE)
  assert.deepEqual(out.assignment, [{ topicId: T, partitions: [0] }], 'one partition: everybody on it')
  assert.equal(groups.heartbeat(hb('c', -1)).memberEpoch, -1)
  assert.deepEqual(left, ['c'])
  assert.equal(groups.heartbeat(hb('zz', 3)).errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
  assert.equal(groups.heartbeat(hb('d', 0, null)).errorCode, ErrorCode.INVALID_REQUEST)
})

test('a member that stops heartbeating is removed after the session timeout', () => {
  const clock = new ManualClock()
  const groups = new ShareGroups(DEFAULT_SHARE_CONFIG, clock, () => image(1))
  const left: string[] = []
  groups.onMemberLeft = (_g, m) => left.push(m)
  groups.heartbeat(hb('a', 0, ['t']))
  const b = groups.heartbeat(hb('b', 0, ['t']))
  clock.advance(DEFAULT_SHARE_CONFIG.sessionTimeoutMs - 1)
  groups.heartbeat(hb('b', b.memberEpoch))
  clock.advance(1)
  assert.deepEqual(left, ['a'])
  assert.deepEqual([...(groups.groups.get('g')?.members.keys() ?? [])], ['b'])
  assert.deepEqual(groups.listGroups([], ['share']), [
    { groupId: 'g', protocolType: 'share', groupState: 'Stable', groupType: 'share' },
  ])
  assert.deepEqual(groups.listGroups(['empty'], []), [])
  assert.deepEqual(groups.listGroups([], ['consumer']), [])
  clock.advance(DEFAULT_SHARE_CONFIG.sessionTimeoutMs)
  assert.equal(groups.listGroups([], [])[0]?.groupState, 'Empty')
  groups.shutdown()
})
