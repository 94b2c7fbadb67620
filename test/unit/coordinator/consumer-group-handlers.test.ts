// ConsumerGroupHeartbeat and ConsumerGroupDescribe through their wire codecs, on a coordinator
// built from a parsed broker config (the group.consumer.* keys reach it), with and without an
// authorizer, and the error responses every served version encodes.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import type { Authorizer } from '../../../src/security/authorizer.ts'
import { consumerGroupDescribeHandler } from '../../../src/server/handlers/consumer-group-describe.ts'
import { consumerGroupHeartbeatHandler } from '../../../src/server/handlers/consumer-group-heartbeat.ts'
import { call, checkErrorResponses, createTopic, groupFixture, withOffsetsTopic } from './handler-fixture.ts'

const CONFIG = {
  'group.consumer.heartbeat.interval.ms': 1234,
  'group.consumer.min.heartbeat.interval.ms': 1000,
  'group.consumer.assignors': 'range,org.apache.kafka.coordinator.group.assignor.UniformAssignor',
}

describe('ConsumerGroupHeartbeat / ConsumerGroupDescribe handlers', () => {
  it('joins over the wire and describes the group with topic names', async () => {
    const g = await groupFixture(CONFIG)
    await withOffsetsTopic(g)
    await createTopic(g, 'orders', 3)
    const topicId = g.f.store.image().topics.get('orders' as never)!.topicId
    const r = await call(g, consumerGroupHeartbeatHandler, 1, {
      groupId: 'g',
      memberId: 'member-1',
      memberEpoch: 0,
      rebalanceTimeoutMs: 30000,
      subscribedTopicNames: ['orders'],
      topicPartitions: [],
    })
    assert.equal(r.errorCode, ErrorCode.NONE)
    assert.equal(r.memberId, 'member-1')
    assert.equal(r.memberEpoch, 1)
    assert.equal(r.heartbeatIntervalMs, 1234)
    assert.deepEqual(r.assignment, { topicPartitions: [{ topicId, partitions: [0, 1, 2] }] })
    const v0 = await call(g, consumerGroupHeartbeatHandler, 0, {
      groupId: 'g',
      memberId: '',
      memberEpoch: 0,
      rebalanceTimeoutMs: 30000,
      subscribedTopicNames: ['orders'],
      topicPartitions: [],
    })
    assert.equal(v0.errorCode, ErrorCode.NONE)
    assert.ok((v0.memberId ?? '').length > 0)

    const d = await call(g, consumerGroupDescribeHandler, 0, {
      groupIds: ['g', 'nope'],
      includeAuthorizedOperations: true,
    })
    assert.equal(d.groups[0].errorCode, ErrorCode.NONE)
    assert.equal(d.groups[0].assignorName, 'range', 'the first configured assignor')
    assert.equal(d.groups[0].members.length, 2)
    const m1 = d.groups[0].members.find((m) => m.memberId === 'member-1')!
    assert.equal(m1.clientId, 'test-client')
    assert.deepEqual(
      m1.targetAssignment.topicPartitions.map((t) => t.topicName),
      ['orders'],
    )
    assert.notEqual(d.groups[0].authorizedOperations, -2147483648)
    assert.equal(d.groups[1].errorCode, ErrorCode.GROUP_ID_NOT_FOUND)
    assert.equal(d.groups[1].errorMessage, 'Group nope not found.')
  })

  it('refuses with an authorizer that denies, and when the protocol is disabled', async () => {
    const g = await groupFixture(CONFIG)
    await withOffsetsTopic(g)
    const deny = { authorize: () => false, authorizedOperations: () => 0 } as unknown as Authorizer
    const services = g.services as unknown as Record<string, unknown>
    services.authorizer = deny
    const r = await call(g, consumerGroupHeartbeatHandler, 1, {
      groupId: 'g',
      memberId: 'm',
      memberEpoch: 0,
      rebalanceTimeoutMs: 1,
      subscribedTopicNames: ['t'],
      topicPartitions: [],
    })
    assert.equal(r.errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED)
    const d = await call(g, consumerGroupDescribeHandler, 0, { groupIds: ['g'] })
    assert.equal(d.groups[0].errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED)

    const off = await groupFixture({ 'group.coordinator.rebalance.protocols': 'classic' })
    await withOffsetsTopic(off)
    const u = await call(off, consumerGroupHeartbeatHandler, 1, {
      groupId: 'g',
      memberId: 'm',
      memberEpoch: 0,
      rebalanceTimeoutMs: 1,
      subscribedTopicNames: ['t'],
      topicPartitions: [],
    })
    assert.equal(u.errorCode, ErrorCode.UNSUPPORTED_VERSION)
  })

  it('error responses encode at every version', () => {
    checkErrorResponses(consumerGroupHeartbeatHandler, () => ({ groupId: 'g' }), ErrorCode.NOT_COORDINATOR)
    checkErrorResponses(consumerGroupDescribeHandler, () => ({ groupIds: ['g'] }), ErrorCode.NOT_COORDINATOR)
  })
})
