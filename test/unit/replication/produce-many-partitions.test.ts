// A Produce request carrying batches for many partitions (the Java client's shape), through
// ReplicaManager.appendRecords: every partition answered in request order whether it failed
// before its queue, was a duplicate, was written or met a full disk (only that partition fails,
// its torn write undone); appends dispatched together share one write
// per partition and keep their order. Run on both write paths: with blocking writes the appends
// complete synchronously in one drain for all partitions (append-queue.ts, log-append.ts), without
// them through promises. Also the writer queue's runNow (serial-queue.ts) that the first uses.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { TopicName } from '../../../src/common/ids.ts'
import { MemoryFs } from '../../../src/common/memory-fs.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import type { AppendOutcome } from '../../../src/replication/partition.ts'
import type { ProduceInput } from '../../../src/replication/produce-request.ts'
import { blockingWrites as policy } from '../../../src/storage/blocking-io.ts'
import { SerialQueue } from '../../../src/storage/serial-queue.ts'
import { batch, startEnv } from './helpers.ts'

type Topics = ProduceInput['topics']

function request(topics: Topics): ProduceInput {
  return { apiVersion: 9, acks: 1, transactionalId: null, topics }
}

const t = (name: string, parts: [number, Buffer][]) => ({
  name: name as TopicName,
  partitionData: parts.map(([index, records]) => ({ index, records })),
})

/** A batch whose CRC no longer matches (a record byte flipped). */
function corrupt(b: Buffer): Buffer {
  const c = Buffer.from(b)
  c[c.length - 1] ^= 0xff
  return c
}

const idem = (seq: number) =>
  batch(2, { producerId: 7n, producerEpoch: 0, baseSequence: seq, tag: `i${seq}` })

for (const blockingWrites of [true, false]) {
  describe(`a produce to many partitions (${blockingWrites ? 'blocking' : 'thread-pool'} writes)`, () => {
    it('answers each partition in request order: refused, written, duplicate', async () => {
      const fs = new MemoryFs({ blockingWrites })
      const env = await startEnv({ fs })
      try {
        await env.setTopics({ name: 'a', partitions: 4 }, { name: 'b', partitions: 2 })
        const first = await env.rm.appendRecords(
          request([
            t('a', [
              [0, batch(3)],
              [1, idem(0)],
              [2, batch(1)],
              [3, batch(2)],
            ]),
          ]),
        )
        assert.deepEqual(
          first.map((o) => [o.errorCode, o.baseOffset]),
          [
            [ErrorCode.NONE, 0n],
            [ErrorCode.NONE, 0n],
            [ErrorCode.NONE, 0n],
            [ErrorCode.NONE, 0n],
          ],
        )
        const out: AppendOutcome[] = await env.rm.appendRecords(
          request([
            t('a', [
              [0, batch(2)],
              [1, idem(0)], // the same idempotent batch again: its first offsets
              [2, corrupt(batch(1))],
              [9, batch(1)], // no such partition
              [3, batch(4)],
              [1, idem(2)], // the same partition again in one request: after the duplicate
            ]),
            t('missing', [[0, batch(1)]]),
            t('b', [
              [1, batch(5)],
              [0, batch(1)],
            ]),
          ]),
        )
        assert.deepEqual(
          out.map((o) => [o.errorCode, o.baseOffset]),
          [
            [ErrorCode.NONE, 3n],
            [ErrorCode.NONE, 0n],
            [ErrorCode.CORRUPT_MESSAGE, -1n],
            [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1n],
            [ErrorCode.NONE, 2n],
            [ErrorCode.NONE, 2n],
            [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1n],
            [ErrorCode.NONE, 0n],
            [ErrorCode.NONE, 0n],
          ],
        )
        assert.deepEqual(
          out.map((o) => o.nextOffset),
          [5n, 2n, undefined, undefined, 6n, 4n, undefined, 5n, 1n],
        )
        const leo = (topic: string, p: number) => env.rm.partition(topic, p)!.log.logEndOffset
        assert.deepEqual([leo('a', 0), leo('a', 1), leo('a', 2), leo('a', 3)], [5n, 4n, 1n, 6n])
        assert.deepEqual([leo('b', 0), leo('b', 1)], [1n, 5n])
        // The high watermark followed every write (a single replica).
        assert.equal(env.rm.partition('a', 3)!.log.highWatermark, 6n)
      } finally {
        await env.stop()
      }
    })

    it('a partition whose write fails on a full disk answers KAFKA_STORAGE_ERROR; the others are written', async () => {
      const fs = new MemoryFs({ blockingWrites })
      const env = await startEnv({ fs })
      try {
        await env.setTopics({ name: 'd', partitions: 3 })
        const all = (n: number) =>
          request([
            t(
              'd',
              [0, 1, 2].map((p) => [p, batch(n)]),
            ),
          ])
        await env.rm.appendRecords(all(1))
        fs.failNext({ op: 'write', path: /d-1\/.*\.log$/, code: 'ENOSPC', partialBytes: 11 })
        const out = await env.rm.appendRecords(all(2))
        assert.deepEqual(
          out.map((o) => [o.errorCode, o.baseOffset]),
          [
            [ErrorCode.NONE, 1n],
            [ErrorCode.KAFKA_STORAGE_ERROR, -1n],
            [ErrorCode.NONE, 1n],
          ],
        )
        // The torn write was undone and the log stayed online: the next append takes its offset.
        const next = await env.rm.appendRecords(all(1))
        assert.deepEqual(
          next.map((o) => [o.errorCode, o.baseOffset]),
          [
            [ErrorCode.NONE, 3n],
            [ErrorCode.NONE, 1n],
            [ErrorCode.NONE, 3n],
          ],
        )
        assert.equal(env.rm.partition('d', 1)!.log.isOffline, false)
      } finally {
        await env.stop()
      }
    })

    it('requests dispatched together share one write per partition, in arrival order', async () => {
      const fs = new MemoryFs({ blockingWrites })
      const env = await startEnv({ fs })
      try {
        await env.setTopics({ name: 'c', partitions: 3 })
        // Prime: each partition's segment file is open, as on a broker that has written before.
        await env.rm.appendRecords(
          request([
            t(
              'c',
              [0, 1, 2].map((p) => [p, batch(1)]),
            ),
          ]),
        )
        const writes = fs.stats.writes
        const blocking = policy.blocking
        const slow = policy.slow
        // Dispatched in the same turn of the event loop (as requests read from one socket read).
        const pending = [1, 2, 3].map((n) =>
          env.rm.appendRecords(
            request([
              t(
                'c',
                [0, 1, 2].map((p) => [p, batch(n, { tag: `r${n}` })]),
              ),
            ]),
          ),
        )
        const answers = await Promise.all(pending)
        assert.deepEqual(
          answers.map((a) => a.map((o) => o.baseOffset)),
          [
            [1n, 1n, 1n],
            [2n, 2n, 2n],
            [4n, 4n, 4n],
          ],
        )
        assert.equal(fs.stats.writes - writes, 3, 'one write per partition for the three requests')
        // Unless a write counted as slow on a loaded machine (the thread pool is then used for a while).
        if (policy.slow === slow)
          assert.equal(policy.blocking - blocking, blockingWrites ? 3 : 0, 'the writes on the event loop')
      } finally {
        await env.stop()
      }
    })
  })
}

describe('SerialQueue.runNow and adopt', () => {
  it('runs at once when idle, returning a plain value; queues behind running work', async () => {
    const q = new SerialQueue()
    const order: string[] = []
    assert.equal(
      q.runNow(() => {
        order.push('sync')
        return 1
      }),
      1,
    )
    assert.equal(q.size, 0)
    let release!: () => void
    const slow = q.runNow(
      () =>
        new Promise<number>((r) => {
          order.push('slow started')
          release = () => r(2)
        }),
    )
    assert.ok(slow instanceof Promise)
    assert.equal(q.size, 1)
    const after = q.runNow(() => {
      order.push('after')
      return 3
    })
    const queued = q.run(async () => {
      order.push('queued')
      return 4
    })
    assert.ok(after instanceof Promise, 'behind a running task: a promise')
    await new Promise((r) => setImmediate(r))
    assert.deepEqual(order, ['sync', 'slow started'])
    release()
    assert.deepEqual(await Promise.all([slow, after, queued]), [2, 3, 4])
    assert.deepEqual(order, ['sync', 'slow started', 'after', 'queued'])
    await q.idle()
    assert.equal(q.size, 0)
  })

  it('turns a synchronous throw into a rejection and carries on', async () => {
    const q = new SerialQueue()
    const r = q.runNow(() => {
      throw new Error('boom')
    })
    assert.ok(r instanceof Promise)
    await assert.rejects(r, /boom/)
    assert.equal(
      q.runNow(() => 5),
      5,
    )
  })

  it('adopt: a promise from a task run by hand holds later work back, a plain value does not', async () => {
    const q = new SerialQueue()
    assert.equal(q.adopt(7), 7)
    assert.equal(q.size, 0)
    const order: string[] = []
    let release!: () => void
    const pending = q.adopt(
      new Promise<void>((r) => {
        release = r
      }).then(() => {
        order.push('adopted')
      }),
    )
    assert.equal(q.size, 1)
    const later = q.run(async () => {
      order.push('later')
    })
    await new Promise((r) => setImmediate(r))
    assert.deepEqual(order, [])
    release()
    await Promise.all([pending, later])
    assert.deepEqual(order, ['adopted', 'later'])
    await q.idle()
    assert.equal(q.size, 0)
  })
})
