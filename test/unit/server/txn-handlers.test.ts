// The transactional APIs through their wire codecs, at the versions clients use, over the real
// transaction and group coordinators (in-memory logs): AddPartitionsToTxn v0-5 (unknown topics,
// the batched form, verifyOnly), AddOffsetsToTxn, EndTxn, TxnOffsetCommit, the fencing error of
// old versions, DescribeTransactions, ListTransactions filters, OffsetFetch requireStable.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import { addOffsetsToTxnHandler } from '../../../src/server/handlers/add-offsets-to-txn.ts'
import { addPartitionsToTxnHandler } from '../../../src/server/handlers/add-partitions-to-txn.ts'
import { describeTransactionsHandler } from '../../../src/server/handlers/describe-transactions.ts'
import { endTxnHandler } from '../../../src/server/handlers/end-txn.ts'
import { initProducerIdHandler } from '../../../src/server/handlers/init-producer-id.ts'
import { listTransactionsHandler } from '../../../src/server/handlers/list-transactions.ts'
import { offsetFetchHandler } from '../../../src/server/handlers/offset-fetch.ts'
import { txnOffsetCommitHandler } from '../../../src/server/handlers/txn-offset-commit.ts'
import { call, checkErrorResponses } from '../coordinator/handler-fixture.ts'
import { txnFixture } from '../coordinator/txn-fixture.ts'

async function setup() {
  const x = await txnFixture()
  assert.equal(await x.tc.ensureTopic(), 0)
  assert.equal(await x.gc.ensureOffsetsTopic(), 0)
  const [r] = await x.f.store.createTopics([{ name: 'out', numPartitions: 2, replicationFactor: 1 }])
  assert.equal(r.errorCode, 0)
  await x.tc.loaded()
  await x.gc.loaded()
  const s = { ...x.services, producerIds: { generate: async () => 1n } }
  const g = { ...x, services: s }
  const init = await call(g, initProducerIdHandler, 1, { transactionalId: 'h1', transactionTimeoutMs: 5000 })
  assert.equal(init.errorCode, 0)
  return { x, g, pid: init.producerId, epoch: init.producerEpoch }
}

describe('transaction handlers', () => {
  it('AddPartitionsToTxn v0-3: unknown topics fail alone, the rest is not attempted; then all are added', async () => {
    const { x, g, pid, epoch } = await setup()
    const ask = (topics: unknown, v = 1) =>
      call(g, addPartitionsToTxnHandler, v, {
        v3AndBelowTransactionalId: 'h1',
        v3AndBelowProducerId: pid,
        v3AndBelowProducerEpoch: epoch,
        v3AndBelowTopics: topics,
      })
    const bad = await ask([
      { name: 'out', partitions: [0] },
      { name: 'nope', partitions: [0] },
    ])
    assert.deepEqual(
      bad.resultsByTopicV3AndBelow.map((t) => [t.name, t.resultsByPartition[0].partitionErrorCode]),
      [
        ['out', ErrorCode.OPERATION_NOT_ATTEMPTED],
        ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ],
    )
    const ok = await ask([{ name: 'out', partitions: [0, 1] }], 3)
    assert.deepEqual(
      ok.resultsByTopicV3AndBelow[0].resultsByPartition.map((p) => p.partitionErrorCode),
      [0, 0],
    )
    assert.equal(x.tc.describe(['h1'])[0].state, 'Ongoing')
    // v4+ verifyOnly: which partitions are in the transaction (KIP-890), nothing written.
    const v = await call(g, addPartitionsToTxnHandler, 4, {
      transactions: [
        {
          transactionalId: 'h1',
          producerId: pid,
          producerEpoch: epoch,
          verifyOnly: true,
          topics: [{ name: 'out', partitions: [1] }],
        },
      ],
    })
    assert.equal(v.resultsByTransaction[0].topicResults[0].resultsByPartition[0].partitionErrorCode, 0)
    // Fenced: INVALID_PRODUCER_EPOCH before v2, PRODUCER_FENCED from v2.
    const stale = (v2: number) =>
      call(g, endTxnHandler, v2, {
        transactionalId: 'h1',
        producerId: pid,
        producerEpoch: epoch - 1,
        committed: true,
      })
    assert.equal((await stale(1)).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH)
    assert.equal((await stale(3)).errorCode, ErrorCode.PRODUCER_FENCED)
  })

  it('AddOffsetsToTxn + TxnOffsetCommit: OffsetFetch requireStable says UNSTABLE_OFFSET_COMMIT until the end', async () => {
    const { x, g, pid, epoch } = await setup()
    const added = await call(g, addOffsetsToTxnHandler, 1, {
      transactionalId: 'h1',
      producerId: pid,
      producerEpoch: epoch,
      groupId: 'grp',
    })
    assert.equal(added.errorCode, 0)
    assert.deepEqual(x.tc.describe(['h1'])[0].topics, [
      { topic: '__consumer_offsets', partitions: [x.gc.partitionFor('grp')] },
    ])
    const committed = await call(g, txnOffsetCommitHandler, 3, {
      transactionalId: 'h1',
      groupId: 'grp',
      producerId: pid,
      producerEpoch: epoch,
      generationId: -1,
      topics: [
        {
          name: 'out',
          partitions: [
            { partitionIndex: 1, committedOffset: 12n, committedLeaderEpoch: -1, committedMetadata: '' },
          ],
        },
        {
          name: 'gone',
          partitions: [
            { partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: '' },
          ],
        },
      ],
    })
    assert.deepEqual(
      committed.topics.map((t) => t.partitions[0].errorCode),
      [0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    )
    const fetch = (requireStable: boolean) =>
      call(g, offsetFetchHandler, 7, {
        groupId: 'grp',
        topics: [{ name: 'out', partitionIndexes: [1] }],
        requireStable,
      })
    const unstable = (await fetch(true)).topics[0].partitions[0]
    assert.deepEqual([unstable.errorCode, unstable.committedOffset], [ErrorCode.UNSTABLE_OFFSET_COMMIT, -1n])
    const loose = (await fetch(false)).topics[0].partitions[0]
    assert.deepEqual([loose.errorCode, loose.committedOffset], [0, -1n])
    const ended = await call(g, endTxnHandler, 1, {
      transactionalId: 'h1',
      producerId: pid,
      producerEpoch: epoch,
      committed: true,
    })
    assert.equal(ended.errorCode, 0)
    await x.run()
    const stable = (await fetch(true)).topics[0].partitions[0]
    assert.deepEqual([stable.errorCode, stable.committedOffset], [0, 12n])
  })

  it('DescribeTransactions and ListTransactions with filters', async () => {
    const { g, pid } = await setup()
    const d = await call(g, describeTransactionsHandler, 0, { transactionalIds: ['h1', 'nope'] })
    assert.deepEqual(
      d.transactionStates.map((t) => [t.transactionalId, t.errorCode, t.transactionState, t.producerId]),
      [
        ['h1', 0, 'Empty', pid],
        ['nope', ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, '', -1n],
      ],
    )
    const all = await call(g, listTransactionsHandler, 1, {})
    assert.deepEqual(
      all.transactionStates.map((t) => [t.transactionalId, t.transactionState]),
      [['h1', 'Empty']],
    )
    const filtered = await call(g, listTransactionsHandler, 0, { stateFilters: ['Ongoing', 'Bogus'] })
    assert.deepEqual([filtered.transactionStates, filtered.unknownStateFilters], [[], ['Bogus']])
    const byPid = await call(g, listTransactionsHandler, 1, { producerIdFilters: [pid], durationFilter: -1n })
    assert.equal(byPid.transactionStates.length, 1)
    const longRunning = await call(g, listTransactionsHandler, 1, { durationFilter: 0n })
    assert.equal(longRunning.transactionStates.length, 0, 'only open transactions have a duration')
  })

  it('have an error response at every version', () => {
    checkErrorResponses(
      addPartitionsToTxnHandler,
      (v) => (v < 4 ? { v3AndBelowTopics: [{ name: 't', partitions: [0] }] } : {}),
      15,
    )
    checkErrorResponses(addOffsetsToTxnHandler, () => ({}), 15)
    checkErrorResponses(endTxnHandler, () => ({}), 15)
    checkErrorResponses(
      txnOffsetCommitHandler,
      () => ({
        topics: [
          {
            name: 't',
            partitions: [
              { partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata: '' },
            ],
          },
        ],
      }),
      15,
    )
    checkErrorResponses(describeTransactionsHandler, () => ({ transactionalIds: ['a'] }), 15)
    checkErrorResponses(listTransactionsHandler, () => ({}), 15)
  })
})
