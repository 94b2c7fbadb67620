// The transaction coordinator's state machine over in-memory logs and a manual clock: producer ids
// and epochs (fencing, KIP-360 retries, epoch exhaustion), the Empty → Ongoing → Prepare* →
// Complete* transitions with markers retried until written, timeouts, expiration, reloading from
// __transaction_state, and transactional offsets held until their marker.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decodeTxnValue, TxnState } from '../../../src/coordinator/txn/txn-records.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import { buildControlBatch } from '../../../src/records/builder.ts'
import { iterateRecords, readBatches } from '../../../src/records/record-iterator.ts'
import { type TxnFixture, txnFixture } from './txn-fixture.ts'

async function ready(x: TxnFixture, topics: Record<string, number> = { out: 2 }) {
  assert.equal(await x.tc.ensureTopic(), ErrorCode.NONE)
  assert.equal(await x.gc.ensureOffsetsTopic(), ErrorCode.NONE)
  for (const [name, n] of Object.entries(topics)) {
    const [r] = await x.f.store.createTopics([{ name, numPartitions: n, replicationFactor: 1 }])
    assert.equal(r.errorCode, 0)
  }
  await x.tc.loaded()
  await x.gc.loaded()
}

const stateOf = (x: TxnFixture, id: string) => x.tc.describe([id])[0]

/** Every __transaction_state value written for `id`, decoded, in order. */
function written(x: TxnFixture, id: string) {
  const out: { state: number; epoch: number }[] = []
  const p = x.tc.partitionFor(id)
  return x.txnLog.read(p, 0n, 1 << 20).then((r) => {
    for (const h of readBatches(r.records))
      for (const rec of iterateRecords(r.records, h.pos))
        if (rec.value !== null && rec.key!.includes(Buffer.from(id))) {
          const v = decodeTxnValue(rec.value)
          out.push({ state: v.state, epoch: v.producerEpoch })
        }
    return out
  })
}

describe('transaction coordinator', () => {
  it('gives a new transactional id a producer id, bumps the epoch on each init, checks the timeout', async () => {
    const x = await txnFixture({ maxTimeoutMs: 60000 })
    await ready(x)
    const a = await x.tc.initProducerId('t1', 10000, -1n, -1)
    assert.deepEqual(a, { errorCode: 0, producerId: 1000n, producerEpoch: 0 })
    const b = await x.tc.initProducerId('t1', 10000, -1n, -1)
    assert.deepEqual(b, { errorCode: 0, producerId: 1000n, producerEpoch: 1 })
    assert.equal(
      (await x.tc.initProducerId('t1', 60001, -1n, -1)).errorCode,
      ErrorCode.INVALID_TRANSACTION_TIMEOUT,
    )
    assert.equal(
      (await x.tc.initProducerId('t1', 0, -1n, -1)).errorCode,
      ErrorCode.INVALID_TRANSACTION_TIMEOUT,
    )
    // KIP-360: the producer's own id and epoch bump it; a retry of that bump gets the same answer.
    const c = await x.tc.initProducerId('t1', 10000, 1000n, 1)
    assert.deepEqual([c.producerId, c.producerEpoch], [1000n, 2])
    const retry = await x.tc.initProducerId('t1', 10000, 1000n, 1)
    assert.deepEqual([retry.errorCode, retry.producerEpoch], [0, 2])
    assert.equal((await x.tc.initProducerId('t1', 10000, 77n, 0)).errorCode, ErrorCode.PRODUCER_FENCED)
    assert.equal((await x.tc.initProducerId('t1', 10000, 1000n, 0)).errorCode, ErrorCode.PRODUCER_FENCED)
    // Epoch exhaustion: a new producer id with epoch 0.
    x.tc.runtime.read(
      x.tc.partitionFor('t1'),
      (s) => {
        s.txns.get('t1')!.producerEpoch = 32766
      },
      () => undefined,
    )
    const d = await x.tc.initProducerId('t1', 10000, -1n, -1)
    assert.deepEqual([d.errorCode, d.producerId, d.producerEpoch], [0, 1001n, 0])
    assert.deepEqual(
      (await written(x, 't1')).map((w) => w.epoch),
      [0, 1, 2, 2, 0],
    )
  })

  it('commits: Ongoing, PrepareCommit, markers on every partition, CompleteCommit', async () => {
    const x = await txnFixture()
    await ready(x)
    const { producerId, producerEpoch } = await x.tc.initProducerId('t2', 10000, -1n, -1)
    const r = { transactionalId: 't2', producerId, producerEpoch }
    assert.equal(await x.tc.addPartitions(r, [{ topic: 'out', partition: 0 }]), 0)
    assert.equal(await x.tc.addPartitions(r, [{ topic: 'out', partition: 1 }]), 0)
    const d = stateOf(x, 't2')
    assert.deepEqual([d.state, d.topics], ['Ongoing', [{ topic: 'out', partitions: [0, 1] }]])
    // A wrong epoch or producer id is refused; so is ending a transaction that never started.
    assert.equal(
      await x.tc.addPartitions({ ...r, producerEpoch: producerEpoch - 1 }, []),
      ErrorCode.PRODUCER_FENCED,
    )
    assert.equal(await x.tc.endTxn({ ...r, producerId: 5n }, true), ErrorCode.INVALID_PRODUCER_ID_MAPPING)
    x.failMarkers.set('out-1', [ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.NOT_LEADER_OR_FOLLOWER])
    assert.equal(await x.tc.endTxn(r, true), 0)
    await x.run()
    assert.equal(stateOf(x, 't2').state, 'PrepareCommit')
    assert.equal(
      await x.tc.addPartitions(r, [{ topic: 'out', partition: 0 }]),
      ErrorCode.CONCURRENT_TRANSACTIONS,
    )
    assert.equal(await x.tc.endTxn(r, true), ErrorCode.CONCURRENT_TRANSACTIONS)
    assert.equal(await x.tc.endTxn(r, false), ErrorCode.INVALID_TXN_STATE)
    await x.run(100)
    await x.run(100)
    await x.run(100)
    assert.equal(stateOf(x, 't2').state, 'CompleteCommit')
    assert.deepEqual(stateOf(x, 't2').topics, [])
    // The first marker covered both partitions, the two retries only the refused one.
    assert.deepEqual(
      x.markers.map((m) => [m.commit, m.producerEpoch, m.partitions.map((p) => p.partition)]),
      [
        [true, 0, [0, 1]],
        [true, 0, [1]],
        [true, 0, [1]],
      ],
    )
    assert.equal(await x.tc.endTxn(r, true), 0, 'a retried commit is answered NONE')
    assert.equal(await x.tc.endTxn(r, false), ErrorCode.INVALID_TXN_STATE)
    assert.deepEqual(
      (await written(x, 't2')).map((w) => w.state),
      [TxnState.Empty, TxnState.Ongoing, TxnState.Ongoing, TxnState.PrepareCommit, TxnState.CompleteCommit],
    )
  })

  it('fences the old producer: a new init aborts the open transaction with a bumped epoch', async () => {
    const x = await txnFixture()
    await ready(x)
    const old = await x.tc.initProducerId('t3', 10000, -1n, -1)
    const r = { transactionalId: 't3', producerId: old.producerId, producerEpoch: old.producerEpoch }
    assert.equal(await x.tc.addPartitions(r, [{ topic: 'out', partition: 0 }]), 0)
    const first = await x.tc.initProducerId('t3', 10000, -1n, -1)
    assert.equal(first.errorCode, ErrorCode.CONCURRENT_TRANSACTIONS)
    await x.run()
    assert.deepEqual(
      x.markers.map((m) => [m.commit, m.producerEpoch]),
      [[false, 1]],
    )
    assert.equal(stateOf(x, 't3').state, 'CompleteAbort')
    const second = await x.tc.initProducerId('t3', 10000, -1n, -1)
    assert.deepEqual([second.errorCode, second.producerId, second.producerEpoch], [0, old.producerId, 2])
    assert.equal(await x.tc.addPartitions(r, [{ topic: 'out', partition: 0 }]), ErrorCode.PRODUCER_FENCED)
    assert.equal(await x.tc.endTxn(r, true), ErrorCode.PRODUCER_FENCED)
  })

  it('aborts a transaction past its timeout, and forgets idle ids after the expiration', async () => {
    const x = await txnFixture({
      abortTimedOutIntervalMs: 500,
      idExpirationMs: 5000,
      removeExpiredIntervalMs: 1000,
    })
    await ready(x)
    const p = await x.tc.initProducerId('t4', 1000, -1n, -1)
    const r = { transactionalId: 't4', producerId: p.producerId, producerEpoch: p.producerEpoch }
    assert.equal(await x.tc.addPartitions(r, [{ topic: 'out', partition: 1 }]), 0)
    await x.run(500)
    assert.equal(stateOf(x, 't4').state, 'Ongoing')
    await x.run(500)
    assert.equal(stateOf(x, 't4').state, 'Ongoing', 'not past 1000 ms yet')
    await x.run(500)
    assert.equal(stateOf(x, 't4').state, 'CompleteAbort')
    assert.deepEqual(
      x.markers.map((m) => [m.commit, m.producerEpoch]),
      [[false, 1]],
    )
    assert.equal(await x.tc.endTxn(r, true), ErrorCode.PRODUCER_FENCED)
    for (let i = 0; i < 6; i++) await x.run(1000)
    assert.equal(stateOf(x, 't4').errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND)
  })

  it('reloads its state from __transaction_state and finishes a transaction left half-ended', async () => {
    const x = await txnFixture()
    await ready(x)
    const p = await x.tc.initProducerId('t5', 10000, -1n, -1)
    const r = { transactionalId: 't5', producerId: p.producerId, producerEpoch: p.producerEpoch }
    assert.equal(await x.tc.addPartitions(r, [{ topic: 'out', partition: 0 }]), 0)
    x.failMarkers.set('out-0', Array(50).fill(ErrorCode.NOT_LEADER_OR_FOLLOWER))
    assert.equal(await x.tc.endTxn(r, false), 0)
    await x.run()
    const partition = x.tc.partitionFor('t5')
    x.tc.runtime.unload(partition)
    assert.equal(stateOf(x, 't5').errorCode, ErrorCode.NOT_COORDINATOR)
    const before = x.markers.length
    await x.run(100)
    assert.equal(x.markers.length, before, 'the unloaded coordinator stopped sending')
    x.failMarkers.clear()
    await x.tc.runtime.load(partition)
    await x.run()
    const d = stateOf(x, 't5')
    assert.deepEqual(
      [d.state, d.producerId, d.producerEpoch],
      ['CompleteAbort', p.producerId, p.producerEpoch],
    )
    assert.equal(x.markers.at(-1)!.commit, false)
  })

  it('holds transactional offsets until the commit marker; an abort drops them; loading replays markers', async () => {
    const x = await txnFixture()
    await ready(x)
    const group = 'g1'
    const gp = x.gc.partitionFor(group)
    const fetch = () =>
      x.gc.fetchOffsets(group, [{ name: 'out', partitionIndexes: [0] }]).topics[0].partitions[0]
        .committedOffset
    const commitIn = async (id: string, offset: bigint, commit: boolean) => {
      const before = fetch()
      const p = await x.tc.initProducerId(id, 10000, -1n, -1)
      const r = { transactionalId: id, producerId: p.producerId, producerEpoch: p.producerEpoch }
      assert.equal(await x.tc.addPartitions(r, [{ topic: '__consumer_offsets', partition: gp }]), 0)
      const res = await x.gc.txnCommitOffsets({
        groupId: group,
        producerId: p.producerId,
        producerEpoch: p.producerEpoch,
        generationId: -1,
        memberId: '',
        groupInstanceId: null,
        topics: [{ name: 'out', partitions: [{ partition: 0, offset, leaderEpoch: -1, metadata: '' }] }],
      })
      assert.equal(res[0].partitions[0].errorCode, 0)
      assert.equal(fetch(), before, 'invisible before the marker')
      assert.equal(x.gc.hasPendingTxnOffsets(group, 'out', 0), true)
      assert.equal(await x.tc.endTxn(r, commit), 0)
      await x.run()
      return p
    }
    await commitIn('ta', 42n, false)
    assert.equal(fetch(), -1n, 'aborted offsets are dropped')
    const p = await commitIn('tb', 43n, true)
    assert.equal(fetch(), 43n, 'committed offsets apply at the marker')
    assert.equal(x.gc.hasPendingTxnOffsets(group, 'out', 0), false)
    // The transactional batch carries the producer; loading settles it by the control record.
    const pending = await x.gc.txnCommitOffsets({
      groupId: group,
      producerId: p.producerId,
      producerEpoch: p.producerEpoch,
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [{ name: 'out', partitions: [{ partition: 0, offset: 50n, leaderEpoch: -1, metadata: '' }] }],
    })
    assert.equal(pending[0].partitions[0].errorCode, 0)
    const data = await x.memory.read(gp, 0n, 1 << 20)
    const last = [...readBatches(data.records)].at(-1)!
    assert.deepEqual([last.isTransactional, last.producerId], [true, p.producerId])
    await x.memory.append(gp, buildControlBatch('commit', p.producerId, p.producerEpoch, 0))
    x.gc.runtime.unload(gp)
    await x.gc.runtime.load(gp)
    assert.equal(fetch(), 50n)
  })

  it("writes each producer's transactional offsets as its own batch, with its next sequence", async () => {
    const x = await txnFixture()
    await ready(x)
    const gp = x.gc.partitionFor('g2')
    const commit = (producerId: bigint, offset: bigint) =>
      x.gc.txnCommitOffsets({
        groupId: 'g2',
        producerId,
        producerEpoch: 3,
        generationId: -1,
        memberId: '',
        groupInstanceId: null,
        topics: [{ name: 'out', partitions: [{ partition: 0, offset, leaderEpoch: -1, metadata: '' }] }],
      })
    x.memory.hold()
    const done = Promise.all([commit(7n, 1n), commit(8n, 2n), commit(7n, 3n), commit(7n, 4n)])
    await x.run()
    x.memory.release()
    await done
    const data = await x.memory.read(gp, 0n, 1 << 20)
    const batches = [...readBatches(data.records)].map((h) => [h.producerId, h.baseSequence, h.recordsCount])
    // The first write goes alone (the others queue behind it); then 8's, then 7's two together.
    // Coordinator writes carry no sequence (-1): the log takes them with origin 'coordinator'.
    assert.deepEqual(batches, [
      [7n, -1, 1],
      [8n, -1, 1],
      [7n, -1, 2],
    ])
  })
})
