import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { TopicName } from '../../../src/common/ids.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import type { AppendOutcome } from '../../../src/replication/partition.ts'
import { listSnapshots, snapshotFileName } from '../../../src/replication/producer-state/snapshot-file.ts'
import { batch, type Env, startEnv } from './helpers.ts'

async function append(env: Env, topic: string, records: Buffer, partition = 0): Promise<AppendOutcome> {
  const out = await env.rm.appendRecords({
    apiVersion: 9,
    acks: 1,
    transactionalId: null,
    topics: [{ name: topic as TopicName, partitionData: [{ index: partition, records }] }],
  })
  return out[0]
}

const idem = (pid: bigint, seq: number, n = 2, epoch = 0) =>
  batch(n, { producerId: pid, producerEpoch: epoch, baseSequence: seq, tag: `s${seq}` })

/** Seven idempotent batches of two records from producer 42: offsets 0..13. */
async function produceSeven(env: Env, topic: string) {
  for (let i = 0; i < 7; i++) {
    const o = await append(env, topic, idem(42n, i * 2))
    assert.equal(o.errorCode, ErrorCode.NONE)
    assert.equal(o.baseOffset, BigInt(i * 2))
  }
}

async function restart(env: Env, topic: string): Promise<Env> {
  const next = await startEnv({ fs: env.fs, clock: env.clock })
  await next.setTopics({ name: topic, topicId: env.topics.get(topic)!.topicId })
  return next
}

/** After a restart: every batch still in the window is a duplicate; older ones are out of order. */
async function checkWindow(env: Env, topic: string) {
  for (let i = 2; i < 7; i++) {
    const dup = await append(env, topic, idem(42n, i * 2))
    assert.equal(dup.errorCode, ErrorCode.NONE, `batch ${i}`)
    assert.equal(dup.baseOffset, BigInt(i * 2), `batch ${i}`)
  }
  assert.equal((await append(env, topic, idem(42n, 2))).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
  assert.equal(env.rm.partition(topic, 0)!.log.logEndOffset, 14n)
  const next = await append(env, topic, idem(42n, 14))
  assert.equal(next.baseOffset, 14n)
}

describe('ReplicaManager: metadata images', () => {
  it('creates logs for new partitions, deletes those of deleted topics, replaces recreated ones', async () => {
    const env = await startEnv()
    await env.setTopics({ name: 'x', partitions: 3 })
    const id = env.topics.get('x')!.topicId
    assert.equal(env.logManager.allLogs().length, 3)
    assert.equal(env.rm.partitionById(id, 2)?.topic, 'x')
    assert.equal(env.logManager.getLog('x', 1)?.topicId, id)
    await append(env, 'x', batch(3))

    await env.deleteTopic('x')
    assert.equal(env.rm.partition('x', 0), null)
    assert.equal(env.rm.hasTopicId(id), false)
    assert.equal(env.logManager.allLogs().length, 0)
    assert.equal((await append(env, 'x', batch(1))).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)

    await env.setTopics({ name: 'x', partitions: 1 })
    const fresh = env.rm.partition('x', 0)!
    assert.notEqual(fresh.topicId, id)
    assert.equal(fresh.log.logEndOffset, 0n)
    await env.stop()
  })

  it('follows partition additions, leader epochs and config changes', async () => {
    const env = await startEnv({ logConfig: (t) => ({ maxMessageBytes: t === 'y' ? 100_000 : 1_000_000 }) })
    await env.setTopics({ name: 'y', partitions: 1 })
    await env.setTopics({
      name: 'y',
      partitions: 2,
      leaderEpoch: 4,
      configs: { 'max.message.bytes': '100000' },
    })
    assert.equal(env.rm.partition('y', 1)?.leaderEpoch, 4)
    assert.equal(env.rm.partition('y', 0)?.leaderEpoch, 4)
    assert.equal(env.rm.partition('y', 0)?.log.config.maxMessageBytes, 100_000)
    await append(env, 'y', batch(1))
    assert.equal(env.rm.partition('y', 0)!.log.endOffsetForEpoch(4).endOffset, 1n)
    await env.stop()
  })
})

describe('ReplicaManager: producer state across restarts', () => {
  it('clean shutdown writes a snapshot of the whole window; a restart deduplicates from it', async () => {
    const env = await startEnv()
    await env.setTopics({ name: 'clean' })
    await produceSeven(env, 'clean')
    await env.stop()
    const dir = env.rm.partition('clean', 0)!.log.dir
    assert.deepEqual(await listSnapshots(env.fs, dir), [14n])
    assert.ok(env.fs.peek(`${dir}/${snapshotFileName(14n)}`))
    const again = await restart(env, 'clean')
    await checkWindow(again, 'clean')
    await again.stop()
  })

  it('after a crash the state is rebuilt from the log tail', async () => {
    const env = await startEnv()
    await env.setTopics({ name: 'crash' })
    await produceSeven(env, 'crash')
    await env.crash()
    const dir = env.rm.partition('crash', 0)!.log.dir
    assert.deepEqual(await listSnapshots(env.fs, dir), [])
    const again = await restart(env, 'crash')
    await checkWindow(again, 'crash')
    await again.stop()
  })

  it('snapshots taken at segment rolls plus the tail after them', async () => {
    // Four batches per segment: the fifth rolls (snapshot at 10), two more stay in the tail.
    const segmentBytes = idem(42n, 0).length * 4 + 1
    const env = await startEnv({ logConfig: () => ({ segmentBytes }) })
    await env.setTopics({ name: 'roll' })
    await produceSeven(env, 'roll')
    const part = env.rm.partition('roll', 0)!
    assert.equal(part.log.numberOfSegments, 2)
    await part.close(ErrorCode.NOT_LEADER_OR_FOLLOWER, false)
    const snaps = await listSnapshots(env.fs, part.log.dir)
    assert.deepEqual(snaps, [10n])
    await env.crash()
    const again = await startEnv({ fs: env.fs, clock: env.clock, logConfig: () => ({ segmentBytes }) })
    await again.setTopics({ name: 'roll', topicId: env.topics.get('roll')!.topicId })
    await checkWindow(again, 'roll')
    await again.stop()
  })

  it('rebuilds from large batches (header reads only) after a crash', async () => {
    const env = await startEnv()
    await env.setTopics({ name: 'large' })
    const big = (seq: number) =>
      batch(2, { producerId: 9n, producerEpoch: 0, baseSequence: seq, valueBytes: 150_000 })
    for (let i = 0; i < 4; i++)
      assert.equal((await append(env, 'large', big(i * 2))).baseOffset, BigInt(i * 2))
    await env.crash()
    const again = await restart(env, 'large')
    for (let i = 0; i < 4; i++)
      assert.equal((await append(again, 'large', big(i * 2))).baseOffset, BigInt(i * 2))
    assert.equal(again.rm.partition('large', 0)!.log.logEndOffset, 8n)
    await again.stop()
  })

  it('a producer whose records were all deleted is unknown again: any sequence is accepted', async () => {
    const env = await startEnv()
    await env.setTopics({ name: 'gone' })
    await produceSeven(env, 'gone')
    const part = env.rm.partition('gone', 0)!
    assert.equal((await part.deleteRecordsBefore(14n)).errorCode, ErrorCode.NONE)
    const o = await append(env, 'gone', idem(42n, 1000))
    assert.equal(o.errorCode, ErrorCode.NONE)
    assert.equal(o.baseOffset, 14n)
    await env.stop()
  })
})

describe('Partition.readForFetch', () => {
  it('answers a reader at its bound without reading the log, and refuses offsets outside the log', async () => {
    const env = await startEnv()
    await env.setTopics({ name: 'r', partitions: 1 })
    for (let i = 0; i < 3; i++) assert.equal((await append(env, 'r', batch(2))).errorCode, ErrorCode.NONE)
    assert.equal((await env.rm.deleteRecords('r', 0, 2n)).errorCode, ErrorCode.NONE)
    const part = env.rm.partition('r', 0)!
    const ask = (fetchOffset: bigint, isolationLevel = 0) =>
      part.readForFetch({
        fetchOffset,
        maxBytes: 1 << 20,
        minOneBatch: true,
        isolationLevel,
        isFollower: false,
        currentLeaderEpoch: -1,
        lastFetchedEpoch: -1,
      })
    for (const isolation of [0, 1]) {
      const atEnd = ask(6n, isolation)
      assert.ok(!(atEnd instanceof Promise), 'caught up: answered at once')
      assert.equal(atEnd.errorCode, ErrorCode.NONE)
      assert.equal(atEnd.records.length, 0)
      assert.equal(atEnd.highWatermark, 6n)
      assert.equal(atEnd.lastStableOffset, 6n)
      assert.equal(atEnd.logStartOffset, 2n)
      assert.deepEqual(atEnd.abortedTransactions, isolation === 1 ? [] : null)
    }
    const data = await ask(2n)
    assert.equal(data.errorCode, ErrorCode.NONE)
    assert.ok(data.records.length > 0)
    assert.equal((await ask(7n)).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE, 'past the log end')
    assert.equal((await ask(0n)).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE, 'before the log start')
    await env.stop()
  })
})
