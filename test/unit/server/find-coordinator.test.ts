import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { groupPartition } from '../../../src/coordinator/group/group-partition.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import { findCoordinatorHandler } from '../../../src/server/handlers/find-coordinator.ts'
import { call, checkErrorResponses, groupFixture } from '../coordinator/handler-fixture.ts'
import { txnFixture } from '../coordinator/txn-fixture.ts'
import { ctx, HOST, NODE_ID, PORT, request, wire } from './admin-fixtures.ts'

describe('FindCoordinator', () => {
  it('creates __consumer_offsets on the first group lookup and answers this broker (v0-3)', async () => {
    const g = await groupFixture()
    assert.equal(g.f.store.image().topics.has('__consumer_offsets'), false)
    const r = await call(g, findCoordinatorHandler, 0, { key: 'my-group' })
    assert.deepEqual([r.errorCode, r.nodeId, r.host, r.port], [ErrorCode.NONE, NODE_ID, HOST, PORT])
    const topic = g.f.store.image().topics.get('__consumer_offsets')!
    assert.equal(topic.internal, true)
    assert.equal(topic.partitions.length, 3)
    assert.equal(topic.configs.get('cleanup.policy'), 'compact')
    assert.equal(topic.configs.get('segment.bytes'), '104857600')
    await g.gc.loaded()
    assert.equal(g.gc.runtime.state(groupPartition('my-group', 3)), 'active')
    for (const v of [1, 2, 3]) {
      const x = await call(g, findCoordinatorHandler, v, { key: 'my-group', keyType: 0 })
      assert.deepEqual(
        [x.errorCode, x.errorMessage, x.nodeId, x.port],
        [ErrorCode.NONE, 'NONE', NODE_ID, PORT],
      )
    }
  })

  it('answers through the listener the request came in on', async () => {
    const g = await txnFixture()
    const req = request(findCoordinatorHandler.request, { key: 'g' }, 2)
    const res = await findCoordinatorHandler.handle(ctx(10, 2, 'INTERNAL'), req, g.services)
    assert.deepEqual([res!.host, res!.port], ['internal.example', 9093])
  })

  it('answers batched keys (v4+), transactions from __transaction_state, share groups as invalid', async () => {
    const g = await txnFixture()
    for (const v of [4, 5, 6]) {
      const r = await call(g, findCoordinatorHandler, v, { coordinatorKeys: ['a', 'b'], keyType: 0 })
      assert.deepEqual(
        r.coordinators.map((c) => [c.key, c.nodeId, c.host, c.port, c.errorCode, c.errorMessage]),
        [
          ['a', NODE_ID, HOST, PORT, 0, 'NONE'],
          ['b', NODE_ID, HOST, PORT, 0, 'NONE'],
        ],
      )
    }
    assert.equal(g.f.store.image().topics.has('__transaction_state'), false)
    const txn = await call(g, findCoordinatorHandler, 4, { coordinatorKeys: ['tx'], keyType: 1 })
    assert.deepEqual(
      [txn.coordinators[0].errorCode, txn.coordinators[0].nodeId, txn.coordinators[0].port],
      [ErrorCode.NONE, NODE_ID, PORT],
    )
    const state = g.f.store.image().topics.get('__transaction_state')!
    assert.equal(state.partitions.length, 3)
    assert.equal(state.configs.get('cleanup.policy'), 'compact')
    assert.equal(state.configs.get('min.insync.replicas'), '1')
    const old = await call(g, findCoordinatorHandler, 1, { key: 'tx', keyType: 1 })
    assert.equal(old.errorCode, ErrorCode.NONE)
    const empty = await call(g, findCoordinatorHandler, 1, { key: '', keyType: 1 })
    assert.equal(empty.errorCode, ErrorCode.INVALID_REQUEST)
    const share = await call(g, findCoordinatorHandler, 6, { coordinatorKeys: ['s'], keyType: 2 })
    assert.equal(share.coordinators[0].errorCode, ErrorCode.INVALID_REQUEST)
  })

  it('answers COORDINATOR_NOT_AVAILABLE when the topic cannot be created', async () => {
    const g = await groupFixture({ 'offsets.topic.replication.factor': 3 })
    const r = await call(g, findCoordinatorHandler, 3, { key: 'g' })
    assert.equal(r.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE)
    assert.equal(r.nodeId, -1)
  })

  it('has an error response at every version', () => {
    checkErrorResponses(
      findCoordinatorHandler,
      (v) => (v < 4 ? { key: 'g' } : { coordinatorKeys: ['g'] }),
      ErrorCode.UNSUPPORTED_VERSION,
    )
    assert.deepEqual([findCoordinatorHandler.minVersion, findCoordinatorHandler.maxVersion], [0, 6])
    const v4 = wire(
      findCoordinatorHandler.response,
      findCoordinatorHandler.errorResponse!(
        request(findCoordinatorHandler.request, { coordinatorKeys: ['x'] }, 4),
        4,
        35,
      ),
      4,
    )
    assert.equal(v4.coordinators[0].errorCode, 35)
  })
})
