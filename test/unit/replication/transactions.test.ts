// The log side of transactions on a ReplicaManager over the memory Fs: transactions opened by
// transactional batches and closed by markers (txn-markers.ts), the last stable offset,
// read_committed fetches (bound and aborted transactions), ListOffsets, the aborted transactions
// index across clean and unclean restarts, snapshots carrying open transactions, truncation, and
// follower replay. The random model test is transactions-model.test.ts.

import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { silentLogger } from '../../../src/common/logger.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import { buildBatch, buildControlBatch } from '../../../src/records/builder.ts'
import type { FetchPartitionResult } from '../../../src/replication/fetch-reader.ts'
import { loadSnapshotEntries } from '../../../src/replication/producer-state/producer-state-loader.ts'
import { ProducerStateManager } from '../../../src/replication/producer-state/producer-state-manager.ts'
import {
  decodeSnapshot,
  listSnapshots,
  snapshotFileName,
} from '../../../src/replication/producer-state/snapshot-file.ts'
import { localTxnMarkerWriter } from '../../../src/replication/txn-markers.ts'
import { UnifiedLog } from '../../../src/replication/unified-log.ts'
import { allAbortedTxns } from '../../../src/storage/aborted-txns.ts'
import { decodeAbortedTxns } from '../../../src/storage/transaction-index.ts'
import { batch, type Env, recordsIn, startEnv, tick } from './helpers.ts'
import { fetch, marker, part, produce, T, txnBatch, values } from './txn-fixture.ts'

/** 0-1 plain, 2-3 txn of 100, 4-5 txn of 200, 6 abort of 100, 7 commit of 200. */
async function scenario(env: Env) {
  assert.equal((await produce(env, batch(2, { tag: 'plain' }), null)).errorCode, ErrorCode.NONE)
  assert.equal(part(env).lastStableOffset, 2n)
  assert.equal((await produce(env, txnBatch(100n, 0, 2, 'a'))).baseOffset, 2n)
  assert.equal((await produce(env, txnBatch(200n, 0, 2, 'b'))).baseOffset, 4n)
  assert.equal(part(env).highWatermark, 6n)
  assert.equal(part(env).lastStableOffset, 2n)
  assert.deepEqual(await marker(env, 100n, false), [{ topic: T, partition: 0, errorCode: ErrorCode.NONE }])
  assert.equal(part(env).lastStableOffset, 4n)
  assert.deepEqual(await marker(env, 200n, true), [{ topic: T, partition: 0, errorCode: ErrorCode.NONE }])
  assert.equal(part(env).lastStableOffset, 8n)
}

async function restart(env: Env): Promise<Env> {
  const next = await startEnv({ fs: env.fs, clock: env.clock, logConfig: () => ({ segmentBytes: 1 << 20 }) })
  await next.setTopics({ name: T, topicId: env.topics.get(T)!.topicId })
  return next
}

describe('transactions: the last stable offset and read_committed', () => {
  it('holds read_committed at the first open transaction, lists aborted ones, skips nothing for read_uncommitted', async () => {
    const env = await startEnv()
    await env.setTopics({ name: T })
    await produce(env, batch(2, { tag: 'plain' }), null)
    await produce(env, txnBatch(100n, 0, 2, 'a'))
    await produce(env, txnBatch(200n, 0, 2, 'b'))
    const held = await fetch(env, 0n, 1)
    assert.deepEqual(values(held), ['plain-0', 'plain-1'])
    assert.equal(held.lastStableOffset, 2n)
    assert.equal(held.highWatermark, 6n)
    assert.deepEqual(held.abortedTransactions, [])
    const all = await fetch(env, 0n, 0)
    assert.equal(all.lastStableOffset, 2n)
    assert.equal(all.abortedTransactions, null)
    assert.equal(recordsIn(all.records).length, 6)
    assert.equal((await part(env).offsetForTimestamp(-1n, 1, -1)).offset, 2n)
    assert.equal((await part(env).offsetForTimestamp(-1n, 0, -1)).offset, 6n)

    await marker(env, 100n, false)
    assert.equal(part(env).lastStableOffset, 4n)
    await marker(env, 200n, true)
    assert.equal(part(env).lastStableOffset, 8n)
    const done = await fetch(env, 0n, 1)
    assert.equal(recordsIn(done.records).length, 8)
    assert.deepEqual(done.abortedTransactions, [{ producerId: 100n, firstOffset: 2n }])
    assert.deepEqual((await fetch(env, 7n, 1)).abortedTransactions, [])
    assert.equal((await part(env).offsetForTimestamp(-1n, 1, -1)).offset, 8n)
    assert.deepEqual(await allAbortedTxns(part(env).log.segmentList), [
      { producerId: 100n, firstOffset: 2n, lastOffset: 6n, lastStableOffset: 4n },
    ])
    await env.stop()
  })

  it('refuses stale markers and batches that break the transaction rules', async () => {
    const env = await startEnv()
    await env.setTopics({ name: T })
    await produce(env, txnBatch(100n, 0, 2, 'a', 3))
    const stale = await marker(env, 100n, true, { epoch: 2 })
    assert.equal(stale[0].errorCode, ErrorCode.INVALID_PRODUCER_EPOCH)
    assert.equal(
      (await marker(env, 100n, true, { epoch: 3, coordinatorEpoch: 7 }))[0].errorCode,
      ErrorCode.NONE,
    )
    const fenced = await marker(env, 100n, false, { epoch: 3, coordinatorEpoch: 6 })
    assert.equal(fenced[0].errorCode, ErrorCode.TRANSACTION_COORDINATOR_FENCED)
    assert.equal(part(env).log.logEndOffset, 3n, 'refused markers are not written')
    // An open transaction refuses the producer's non-transactional batches.
    await produce(env, txnBatch(300n, 0, 1, 'c'))
    const plain = batch(1, { producerId: 300n, producerEpoch: 0, baseSequence: 1 })
    assert.equal((await produce(env, plain)).errorCode, ErrorCode.INVALID_TXN_STATE)
    assert.equal(
      (await produce(env, txnBatch(400n, 0, 1, 'd'), null)).errorCode,
      ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    )
    const unknown = await localTxnMarkerWriter(env.rm, { clock: env.clock }).write({
      producerId: 1n,
      producerEpoch: 0,
      coordinatorEpoch: 0,
      commit: true,
      partitions: [{ topic: 'nope', partition: 0 }],
    })
    assert.equal(unknown[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    await env.stop()
  })

  it('wakes a waiting read_committed fetch when the last stable offset moves, not before', async () => {
    const env = await startEnv()
    await env.setTopics({ name: T })
    await produce(env, txnBatch(100n, 0, 1, 'a'))
    let answer: FetchPartitionResult | null = null
    const waiting = fetch(env, 0n, 1, 60_000).then((r) => {
      answer = r
    })
    await tick()
    await produce(env, txnBatch(100n, 1, 1, 'a2'))
    await tick()
    assert.equal(answer, null, 'the high watermark moved, the last stable offset did not')
    await marker(env, 100n, true)
    await waiting
    assert.deepEqual(values(answer!), ['a-0', 'a2-0'])
    await env.stop()
  })

  it('notifies the offsets listener of markers on __consumer_offsets partitions', async () => {
    const env = await startEnv()
    await env.setTopics({ name: '__consumer_offsets' })
    const heard: unknown[] = []
    const w = localTxnMarkerWriter(env.rm, { clock: env.clock })
    w.setOffsetsMarkerListener((...args) => heard.push(args))
    const r = await w.write({
      producerId: 9n,
      producerEpoch: 1,
      coordinatorEpoch: 0,
      commit: true,
      partitions: [{ topic: '__consumer_offsets', partition: 0 }],
    })
    assert.equal(r[0].errorCode, ErrorCode.NONE)
    assert.deepEqual(heard, [[0, 9n, 1, true, 0n]])
    await env.stop()
  })
})

describe('transactions: the aborted index and producer state across restarts', () => {
  it('a clean restart keeps the last stable offset, the open transaction and the .txnindex file', async () => {
    const env = await startEnv()
    await env.setTopics({ name: T })
    await scenario(env)
    await produce(env, txnBatch(300n, 0, 2, 'c'))
    const dir = part(env).log.dir
    await env.stop()
    const raw = env.fs.peek(join(dir, '00000000000000000000.txnindex'))!
    assert.equal(raw.length, 34)
    assert.equal(raw.readInt16BE(0), 0)
    assert.deepEqual(decodeAbortedTxns(raw), [
      { producerId: 100n, firstOffset: 2n, lastOffset: 6n, lastStableOffset: 4n },
    ])
    const again = await restart(env)
    assert.equal(part(again).lastStableOffset, 8n)
    assert.equal(part(again).highWatermark, 10n)
    assert.deepEqual((await fetch(again, 0n, 1)).abortedTransactions, [{ producerId: 100n, firstOffset: 2n }])
    await marker(again, 300n, false)
    assert.equal(part(again).lastStableOffset, 11n)
    assert.equal((await allAbortedTxns(part(again).log.segmentList)).length, 2)
    await again.stop()
  })

  it('after a crash the index is rebuilt from the log, snapshots carry open transactions', async () => {
    const env = await startEnv({ logConfig: () => ({ segmentBytes: 200 }) })
    await env.setTopics({ name: T })
    await scenario(env)
    await produce(env, txnBatch(300n, 0, 1, 'c'))
    await produce(env, batch(1, { tag: 'after' }), null)
    const dir = part(env).log.dir
    for (let i = 0; i < 100 && (await listSnapshots(env.fs, dir)).length === 0; i++) await tick()
    assert.ok((await listSnapshots(env.fs, dir)).length > 0, 'segments rolled, snapshots were taken')
    await env.crash()
    // The files are lost; the producer state replay rebuilds them from the log's markers.
    for (const n of await env.fs.readdir(dir)) if (n.endsWith('.txnindex')) await env.fs.unlink(join(dir, n))
    for (const s of await listSnapshots(env.fs, dir))
      if (s > 6n) await env.fs.unlink(join(dir, `${s.toString().padStart(20, '0')}.snapshot`))
    const again = await restart(env)
    assert.deepEqual(await allAbortedTxns(part(again).log.segmentList), [
      { producerId: 100n, firstOffset: 2n, lastOffset: 6n, lastStableOffset: 4n },
    ])
    // Open transaction of 300 at offset 8 (from the log or a snapshot).
    assert.equal(part(again).producers.get(300n)?.currentTxnFirstOffset, 8n)
    assert.equal(part(again).lastStableOffset, 8n)
    await again.stop()
  })

  it('a marker after a large batch is read whole when the log is replayed', async () => {
    const env = await startEnv()
    await env.setTopics({ name: T })
    const big = buildBatch([{ key: 'k', value: Buffer.alloc(300_000, 7), timestamp: 1_700_000_000_000 }], {
      producerId: 100n,
      producerEpoch: 0,
      baseSequence: 0,
      transactional: true,
    })
    await produce(env, big)
    await marker(env, 100n, false)
    await produce(env, txnBatch(200n, 0, 1, 'b'))
    await env.crash()
    const again = await restart(env)
    assert.deepEqual(await allAbortedTxns(part(again).log.segmentList), [
      { producerId: 100n, firstOffset: 0n, lastOffset: 1n, lastStableOffset: 2n },
    ])
    assert.equal(part(again).lastStableOffset, 2n)
    await again.stop()
  })

  it('producer snapshots carry currentTxnFirstOffset; loading one reopens the transaction', async () => {
    const env = await startEnv({ logConfig: () => ({ segmentBytes: 200 }) })
    await env.setTopics({ name: T })
    await produce(env, batch(1, { tag: 'first' }), null)
    await produce(env, txnBatch(300n, 0, 1, 'c'))
    for (let i = 0; i < 4; i++) await produce(env, batch(1, { tag: `later${i}` }), null)
    const dir = part(env).log.dir
    await env.stop()
    const offsets = await listSnapshots(env.fs, dir)
    const last = offsets[offsets.length - 1]
    assert.equal(last, 6n)
    const rows = decodeSnapshot(env.fs.peek(join(dir, snapshotFileName(last)))!)
    assert.deepEqual(
      rows.map((r) => [r.producerId, r.currentTxnFirstOffset]),
      [[300n, 1n]],
    )
    const m = new ProducerStateManager()
    loadSnapshotEntries(m, rows, 0)
    assert.deepEqual([...m.txns.ongoing.values()], [{ producerId: 300n, firstOffset: 1n, lastOffset: -1n }])
    const again = await restart(env)
    assert.equal(part(again).lastStableOffset, 1n)
    assert.equal((await fetch(again, 0n, 1)).records.length > 0, true)
    assert.deepEqual(values(await fetch(again, 0n, 1)), ['first-0'])
    await again.stop()
  })

  it('truncation reopens transactions whose marker went and drops their index entries', async () => {
    const env = await startEnv()
    await env.setTopics({ name: T })
    await scenario(env)
    await part(env).truncateTo(7n)
    assert.equal(part(env).lastStableOffset, 4n, "200's commit is gone: its transaction is open again")
    assert.equal((await allAbortedTxns(part(env).log.segmentList)).length, 1)
    await part(env).truncateTo(6n)
    assert.equal(part(env).lastStableOffset, 2n)
    assert.deepEqual(await allAbortedTxns(part(env).log.segmentList), [])
    assert.equal(env.fs.peek(join(part(env).log.dir, '00000000000000000000.txnindex'))?.length ?? 0, 0)
    await part(env).truncateTo(2n)
    assert.equal(part(env).lastStableOffset, 2n)
    assert.equal(part(env).producers.txns.isEmpty, true)
    await env.stop()
  })

  it('a follower replays transactions and markers from the leader', async () => {
    const env = await startEnv()
    await env.setTopics({ name: T })
    await scenario(env)
    const bytes = (await fetch(env, 0n, 0)).records
    const log = await env.logManager.getOrCreateLog('copy', 0, {})
    const ulog = await UnifiedLog.open({ log, fs: env.fs, clock: env.clock, logger: silentLogger })
    await ulog.appendAsFollower(bytes)
    log.updateHighWatermark(log.logEndOffset)
    assert.equal(ulog.lastStableOffset, 8n)
    assert.deepEqual(await allAbortedTxns(log.segmentList), [
      { producerId: 100n, firstOffset: 2n, lastOffset: 6n, lastStableOffset: 4n },
    ])
    // An abort written as follower of a transaction the leader opened later.
    const open = txnBatch(500n, 0, 1, 'e')
    open.writeBigInt64BE(8n, 0)
    const abort = buildControlBatch('abort', 500n, 0, 5, { baseOffset: 9n })
    await ulog.appendAsFollower(open)
    log.updateHighWatermark(log.logEndOffset)
    assert.equal(ulog.lastStableOffset, 8n)
    await ulog.appendAsFollower(abort)
    assert.equal(ulog.lastStableOffset, 8n, 'the marker is not below the high watermark yet')
    log.updateHighWatermark(log.logEndOffset)
    assert.equal(ulog.lastStableOffset, 10n)
    assert.equal((await allAbortedTxns(log.segmentList)).at(-1)?.lastStableOffset, 10n)
    await ulog.close(false)
    await env.stop()
  })
})
