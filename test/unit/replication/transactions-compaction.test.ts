// Log compaction of a partition with transactions (storage/cleaner-txns.ts), on a ReplicaManager
// over the memory Fs: aborted data dropped, markers dropped only once their transaction's data is
// gone and delete.retention.ms passed, open transactions never reached; a read_committed reader
// (which filters as a Kafka consumer does, with the fetch's aborted transactions) sees the same
// records before and after compaction, and after a restart.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import type { TopicName } from '../../../src/common/ids.ts'
import { silentLogger } from '../../../src/common/logger.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import { BatchHeader } from '../../../src/records/batch-header.ts'
import { buildBatch } from '../../../src/records/builder.ts'
import { batchRecords } from '../../../src/records/record-iterator.ts'
import { allAbortedTxns } from '../../../src/storage/aborted-txns.ts'
import { splitBatches } from '../../../src/storage/batch-scan.ts'
import { markerType } from '../../../src/storage/cleaner-txns.ts'
import { LogCleaner } from '../../../src/storage/log-cleaner.ts'
import { type Env, startEnv } from './helpers.ts'
import { fetch, marker, part, T } from './txn-fixture.ts'

const RETENTION = 10_000
const cfg = () => ({ cleanupPolicy: 'compact' as const, segmentBytes: 400, deleteRetentionMs: RETENTION })

async function compactedEnv(): Promise<Env> {
  const env = await startEnv({ logConfig: cfg })
  await env.setTopics({ name: T })
  return env
}

/** Producer state per test: the next sequence of each producer id. */
class Writer {
  private readonly seqs = new Map<bigint, number>()
  private readonly env: Env
  constructor(env: Env) {
    this.env = env
  }
  async write(entries: [string, string][], pid?: bigint): Promise<void> {
    const seq = pid === undefined ? undefined : (this.seqs.get(pid) ?? 0)
    const records = entries.map(([key, value]) => ({ key, value, timestamp: this.env.clock.now() }))
    const buf = buildBatch(records, {
      timestamp: this.env.clock.now(),
      producerId: pid,
      producerEpoch: pid === undefined ? undefined : 0,
      baseSequence: seq,
      transactional: pid !== undefined,
    })
    if (pid !== undefined) this.seqs.set(pid, (seq ?? 0) + entries.length)
    const [o] = await this.env.rm.appendRecords({
      apiVersion: 9,
      acks: -1,
      transactionalId: pid === undefined ? null : 'tx',
      topics: [{ name: T as TopicName, partitionData: [{ index: 0, records: buf }] }],
    })
    assert.equal(o.errorCode, ErrorCode.NONE, o.errorMessage ?? '')
  }
  async end(pid: bigint, commit: boolean): Promise<void> {
    const [r] = await marker(this.env, pid, commit, { coordinatorEpoch: 0 })
    assert.equal(r.errorCode, ErrorCode.NONE)
  }
}

/** What a read_committed consumer delivers from the log start: [offset, key, value]. */
async function committedView(env: Env): Promise<string[]> {
  const out: string[] = []
  let offset = part(env).log.logStartOffset
  const lso = part(env).lastStableOffset
  while (offset < lso) {
    const r = await fetch(env, offset, 1)
    const aborted = [...(r.abortedTransactions ?? [])].sort((a, b) =>
      a.firstOffset < b.firstOffset ? -1 : 1,
    )
    const abortedPids = new Set<bigint>()
    const { batches } = splitBatches(r.records)
    if (batches.length === 0) break
    for (const b of batches) {
      const bytes = r.records.subarray(b.position, b.position + b.size)
      const h = new BatchHeader(bytes)
      while (aborted.length > 0 && aborted[0].firstOffset <= h.lastOffset)
        abortedPids.add(aborted.shift()!.producerId)
      if (h.isControl) {
        if (markerType(bytes) === 'abort') abortedPids.delete(h.producerId)
      } else if (!(h.isTransactional && abortedPids.has(h.producerId))) {
        for (const rec of batchRecords(bytes))
          if (rec.offset >= offset) out.push(`${rec.offset}:${rec.key}=${rec.value}`)
      }
      offset = h.lastOffset + 1n
    }
  }
  return out
}

/** Every batch in the log: [baseOffset, kind, producer id]. */
async function batchesOf(env: Env): Promise<string[]> {
  const log = part(env).log
  const r = await log.readRecords(log.logStartOffset, 1 << 24)
  return splitBatches(r.records).batches.map((b) => {
    const bytes = r.records.subarray(b.position, b.position + b.size)
    const h = new BatchHeader(bytes)
    const kind = h.isControl ? (markerType(bytes) ?? 'control') : h.isTransactional ? 'txn' : 'plain'
    return `${h.baseOffset}:${kind}:${h.producerId}`
  })
}

const newCleaner = (env: Env) => new LogCleaner({ fs: env.fs, clock: env.clock, logger: silentLogger })

/** Plain records with fresh keys, enough to roll the segment holding everything before. */
async function roll(w: Writer, tag: string, n = 8): Promise<void> {
  for (let i = 0; i < n; i++) await w.write([[`${tag}${i}`, 'x'.repeat(40)]])
}

describe('compaction of transactional data', () => {
  it('drops aborted data at once and its marker after delete.retention.ms; read_committed sees the same', async () => {
    const env = await compactedEnv()
    const w = new Writer(env)
    await w.write([['a', 'plain-a']])
    await w.write(
      [
        ['a', 'committed-a'],
        ['b', 'committed-b'],
      ],
      100n,
    )
    await w.write(
      [
        ['a', 'aborted-a'],
        ['c', 'aborted-c'],
      ],
      200n,
    )
    await w.end(100n, true)
    await w.end(200n, false)
    await roll(w, 'r')
    const before = await committedView(env)
    assert.ok(before.includes('1:a=committed-a'))
    assert.ok(!before.some((r) => r.includes('aborted')))
    const cleaner = newCleaner(env)
    await cleaner.clean(part(env).log, '/data')
    // The aborted batch is gone; so is the superseded plain 'a'; both markers stay (data of their
    // transactions was met in this pass), and so does the abort's index entry.
    const after1 = await batchesOf(env)
    assert.ok(!after1.includes('3:txn:200'), after1.join(' '))
    assert.ok(after1.includes('5:commit:100') && after1.includes('6:abort:200'), after1.join(' '))
    assert.deepEqual(
      (await allAbortedTxns(part(env).log.segmentList)).map((e) => e.producerId),
      [200n],
    )
    const view1 = await committedView(env)
    assert.deepEqual(
      view1,
      before.filter((r) => r !== '0:a=plain-a'),
    )
    // Before delete.retention.ms the marker with no data left stays; after it, it goes, and its
    // index entry with it. The commit marker stays: its transaction's data is still there.
    await cleaner.clean(part(env).log, '/data')
    assert.ok((await batchesOf(env)).includes('6:abort:200'))
    env.clock.advance(RETENTION + 1)
    await roll(w, 's')
    await cleaner.clean(part(env).log, '/data')
    const after2 = await batchesOf(env)
    assert.ok(!after2.includes('6:abort:200'), after2.join(' '))
    assert.ok(after2.includes('5:commit:100'), after2.join(' '))
    assert.deepEqual(await allAbortedTxns(part(env).log.segmentList), [])
    const view2 = await committedView(env)
    assert.deepEqual(view2.slice(0, view1.length), view1)
    // A restart (producer state rebuilt from the compacted log) changes nothing.
    const topicId = env.topics.get(T)!.topicId
    await env.crash()
    const next = await startEnv({ fs: env.fs, clock: env.clock, logConfig: cfg })
    await next.setTopics({ name: T, topicId })
    assert.deepEqual(await committedView(next), view2)
    assert.equal(part(next).lastStableOffset, part(next).log.logEndOffset)
    await next.stop()
  })

  it('drops a commit marker once its data is superseded and delete.retention.ms passed', async () => {
    const env = await compactedEnv()
    const w = new Writer(env)
    await w.write([['k', 'txn-k']], 100n)
    await w.end(100n, true)
    await w.write([['k', 'plain-k']])
    await roll(w, 'r')
    const cleaner = newCleaner(env)
    await cleaner.clean(part(env).log, '/data')
    // The data went in this pass: the marker stays until the next one past the horizon.
    assert.deepEqual((await batchesOf(env)).slice(0, 2), ['1:commit:100', '2:plain:-1'])
    env.clock.advance(RETENTION + 1)
    await roll(w, 's')
    await cleaner.clean(part(env).log, '/data')
    assert.equal((await batchesOf(env))[0], '2:plain:-1')
    assert.ok((await committedView(env)).includes('2:k=plain-k'))
    await env.stop()
  })

  it('never reaches an open transaction: compaction stops at its first offset', async () => {
    const env = await compactedEnv()
    const w = new Writer(env)
    await w.write([['a', 'old-a']])
    await roll(w, 'p')
    await w.write(
      [
        ['a', 'open-a'],
        ['b', 'open-b'],
      ],
      300n,
    )
    const openAt = 9n
    // Later plain records supersede the open transaction's keys, in later segments.
    await w.write([['a', 'new-a']])
    await w.write([['b', 'new-b']])
    await roll(w, 'q')
    await roll(w, 'r')
    assert.equal(part(env).lastStableOffset, openAt)
    const cleaner = newCleaner(env)
    const beforeTail = (await batchesOf(env)).filter((b) => BigInt(b.split(':')[0]) >= openAt)
    const stats = await cleaner.clean(part(env).log, '/data')
    // Only segments wholly below the open transaction were cleaned.
    assert.ok(stats === null || stats.firstDirtyOffset <= openAt)
    const afterAll = await batchesOf(env)
    assert.deepEqual(
      afterAll.filter((b) => BigInt(b.split(':')[0]) >= openAt),
      beforeTail,
    )
    assert.ok(afterAll.includes(`${openAt}:txn:300`))
    // Aborting it lets compaction through: its data goes, the rest is cleaned.
    await w.end(300n, false)
    await roll(w, 't')
    const before = await committedView(env)
    await cleaner.clean(part(env).log, '/data')
    const after = await batchesOf(env)
    assert.ok(!after.includes(`${openAt}:txn:300`), after.join(' '))
    const view = await committedView(env)
    const latest = (v: string[]) => {
      const m = new Map<string, string>()
      for (const r of v) {
        const [k, val] = r.split(':')[1].split('=')
        m.set(k, val)
      }
      return m
    }
    assert.deepEqual(latest(view), latest(before))
    assert.equal(latest(view).get('a'), 'new-a')
    await env.stop()
  })

  it('keeps the newest committed value of every key through random transactions and passes', async () => {
    const op = fc.oneof(
      fc.record({ t: fc.constant('plain' as const), k: fc.integer({ min: 0, max: 4 }) }),
      fc.record({
        t: fc.constant('txn' as const),
        pid: fc.integer({ min: 1, max: 3 }),
        k: fc.integer({ min: 0, max: 4 }),
      }),
      fc.record({
        t: fc.constant('end' as const),
        pid: fc.integer({ min: 1, max: 3 }),
        commit: fc.boolean(),
      }),
      fc.record({ t: fc.constant('clean' as const), advance: fc.boolean() }),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 40 }), async (ops) => {
        const env = await compactedEnv()
        const w = new Writer(env)
        const cleaner = newCleaner(env)
        const open = new Set<number>()
        /** Newest committed value per key, as a read_committed consumer would end up with. */
        const latest = async () => {
          const m = new Map<string, string>()
          for (const r of await committedView(env)) {
            const [k, v] = r.split(':')[1].split('=')
            m.set(k, v)
          }
          return m
        }
        try {
          let n = 0
          for (const o of ops) {
            if (o.t === 'plain') await w.write([[`k${o.k}`, `p${n++}`]])
            else if (o.t === 'txn') {
              await w.write([[`k${o.k}`, `t${o.pid}-${n++}`]], BigInt(o.pid))
              open.add(o.pid)
            } else if (o.t === 'end') {
              await w.end(BigInt(o.pid), o.commit)
              open.delete(o.pid)
            } else {
              if (o.advance) env.clock.advance(RETENTION + 1)
              const lso = part(env).lastStableOffset
              const before = await latest()
              const uncommittedBefore = (await batchesOf(env)).filter((b) => BigInt(b.split(':')[0]) >= lso)
              await cleaner.clean(part(env).log, '/data')
              assert.deepEqual(await latest(), before)
              assert.equal(part(env).lastStableOffset, lso)
              // Nothing at or past the last stable offset is touched.
              assert.deepEqual(
                (await batchesOf(env)).filter((b) => BigInt(b.split(':')[0]) >= lso),
                uncommittedBefore,
              )
            }
          }
          // Closing every transaction and cleaning twice past the horizon leaves no aborted data.
          for (const pid of open) await w.end(BigInt(pid), false)
          await roll(w, 'z', 6)
          const before = await latest()
          await cleaner.clean(part(env).log, '/data')
          env.clock.advance(RETENTION + 1)
          await roll(w, 'y', 6)
          await cleaner.clean(part(env).log, '/data')
          const after = await latest()
          for (const k of after.keys()) if (k.startsWith('y')) after.delete(k)
          assert.deepEqual(after, before)
          const kinds = await batchesOf(env)
          // Aborted data went in the first pass; markers with no data left in the second.
          assert.equal(
            await committedView(env).then((v) => v.filter((r) => r.includes('=t')).length),
            [...before.values()].filter((v) => v.startsWith('t')).length,
          )
          assert.ok(
            kinds.every((b) => !b.includes(':abort:')),
            kinds.join(' '),
          )
        } finally {
          await env.stop()
        }
      }),
      { numRuns: Number(process.env.TXN_COMPACTION_RUNS ?? 40) },
    )
  })
})
