// Compaction: newest record per key, never the active segment, dirty ratio, compaction lag,
// tombstones after delete.retention.ms, batch identity (offsets, codec) kept, crash-safe swap.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ManualClock } from '../../../src/common/clock.ts'
import { MemoryFs } from '../../../src/common/memory-fs.ts'
import { BatchHeader, Compression } from '../../../src/records/batch-header.ts'
import { buildBatch } from '../../../src/records/builder.ts'
import { splitBatches } from '../../../src/storage/batch-scan.ts'
import { LogCleaner } from '../../../src/storage/log-cleaner.ts'
import { LogManager } from '../../../src/storage/log-manager.ts'
import { keyedBatch, openTestLog, readAll } from '../../support/storage-helpers.ts'

const compactConfig = { cleanupPolicy: 'compact' as const, segmentBytes: 600, deleteRetentionMs: 10_000 }

async function compactedLog(fs = new MemoryFs(), clock = new ManualClock()) {
  const { log } = await openTestLog({ fs, clock, dir: '/data/t-0', config: compactConfig })
  const cleaner = new LogCleaner({ fs, clock, logger: { info() {}, warn() {}, error() {} } })
  return { fs, clock, log, cleaner }
}

/** The expected survivors: the newest record per key, as key -> {offset, value}. */
function newestPerKey(writes: { key: string; value: string | null; offset: bigint }[]) {
  const m = new Map<string, { offset: bigint; value: string | null }>()
  for (const w of writes) m.set(w.key, { offset: w.offset, value: w.value })
  return m
}

describe('compaction', () => {
  it('keeps the newest record of each key in the cleanable segments', async () => {
    const { log, cleaner, clock } = await compactedLog()
    const writes: { key: string; value: string | null; offset: bigint }[] = []
    for (let i = 0; i < 60; i++) {
      const key = `k${i % 7}`
      const value = `v${i}`
      const r = await log.append(keyedBatch([{ key, value, ts: clock.now() }]))
      writes.push({ key, value, offset: r.firstOffset })
    }
    log.updateHighWatermark(log.logEndOffset)
    const activeBase = log.segmentList[log.numberOfSegments - 1].baseOffset
    const sizeBefore = log.size
    const stats = await cleaner.clean(log, '/data')
    assert.ok(stats !== null && stats.recordsRemoved > 0)
    assert.ok(log.size < sizeBefore)
    const recs = await readAll(log)
    const newest = newestPerKey(writes)
    // Below the active segment only the newest record of each key (among those below it) is left:
    // a record superseded only by one in the active segment stays until that one is cleanable.
    const newestCleanable = newestPerKey(writes.filter((w) => w.offset < activeBase))
    for (const r of recs) {
      if (r.offset >= activeBase) continue
      assert.equal(
        newestCleanable.get(r.key!)?.offset,
        r.offset,
        `offset ${r.offset} (${r.key}) should be gone`,
      )
    }
    // Everything still current is still there, with its offset.
    const byOffset = new Map(recs.map((r) => [r.offset, r]))
    for (const [key, v] of newest) assert.equal(byOffset.get(v.offset)?.value, v.value, key)
    // The active segment is untouched.
    assert.equal(
      recs.filter((r) => r.offset >= activeBase).length,
      writes.filter((w) => w.offset >= activeBase).length,
    )
    assert.equal(log.logEndOffset, 60n)
    assert.equal((await cleaner.maybeClean(log, '/data'))?.segmentsIn, undefined, 'nothing dirty left')
  })

  it('keeps base and last offsets, epoch and codec of partly cleaned batches', async () => {
    const { log, cleaner } = await compactedLog()
    const b = buildBatch(
      [
        { key: 'a', value: '1' },
        { key: 'b', value: '2' },
        { key: 'a', value: '3' },
        { key: 'c', value: '4' },
        { key: 'b', value: '5' },
      ],
      { compression: Compression.gzip, timestamp: 1 },
    )
    await log.append(b, { leaderEpoch: 3 })
    await log.rollNow()
    await log.append(keyedBatch([{ key: 'z', value: 'x' }]))
    log.updateHighWatermark(log.logEndOffset)
    await cleaner.clean(log, '/data')
    const r = await log.readRecords(0n, 1 << 20, { maxOffset: 5n })
    const { batches } = splitBatches(r.records)
    assert.equal(batches.length, 1)
    const h = new BatchHeader(r.records)
    assert.deepEqual(
      [h.baseOffset, h.lastOffset, h.partitionLeaderEpoch, h.compression],
      [0n, 4n, 3, Compression.gzip],
    )
    assert.deepEqual(
      (await readAll(log, 5n)).map((x) => `${x.offset}:${x.key}=${x.value}`),
      ['2:a=3', '3:c=4', '4:b=5'],
    )
  })

  it('waits for min.cleanable.dirty.ratio, unless forced', async () => {
    const { log, cleaner } = await compactedLog()
    log.updateConfig({ ...log.config, minCleanableDirtyRatio: 0.9 })
    for (let i = 0; i < 30; i++) await log.append(keyedBatch([{ key: `k${i}`, value: 'same-size' }]))
    log.updateHighWatermark(log.logEndOffset)
    assert.ok((await cleaner.maybeClean(log, '/data')) !== null, 'all dirty: ratio 1')
    for (let i = 0; i < 6; i++) await log.append(keyedBatch([{ key: `k${i}`, value: 'same-size' }]))
    await log.rollNow()
    log.updateHighWatermark(log.logEndOffset)
    assert.equal(await cleaner.maybeClean(log, '/data'), null, 'little dirty data: below the ratio')
    assert.ok((await cleaner.clean(log, '/data')) !== null)
  })

  it('leaves segments younger than min.compaction.lag.ms alone', async () => {
    const { log, cleaner, clock } = await compactedLog()
    log.updateConfig({ ...log.config, minCompactionLagMs: 60_000 })
    for (let i = 0; i < 30; i++)
      await log.append(keyedBatch([{ key: 'same', value: `v${i}`, ts: clock.now() }]))
    log.updateHighWatermark(log.logEndOffset)
    assert.equal(await cleaner.clean(log, '/data'), null)
    clock.advance(61_000)
    assert.ok((await cleaner.clean(log, '/data')) !== null)
  })

  it('removes tombstones only after delete.retention.ms', async () => {
    const { log, cleaner, clock } = await compactedLog()
    await log.append(keyedBatch([{ key: 'a', value: '1', ts: clock.now() }]))
    await log.append(keyedBatch([{ key: 'a', value: null, ts: clock.now() }]))
    await log.append(keyedBatch([{ key: 'b', value: '2', ts: clock.now() }]))
    await log.rollNow()
    await log.append(keyedBatch([{ key: 'c', value: '3', ts: clock.now() }]))
    log.updateHighWatermark(log.logEndOffset)
    await cleaner.clean(log, '/data')
    assert.deepEqual(
      (await readAll(log)).map((x) => `${x.key}=${x.value}`),
      ['a=null', 'b=2', 'c=3'],
    )
    clock.advance(10_001)
    await log.append(keyedBatch([{ key: 'd', value: '4', ts: clock.now() }]))
    await log.rollNow()
    await log.append(keyedBatch([{ key: 'e', value: '5', ts: clock.now() }]))
    log.updateHighWatermark(log.logEndOffset)
    await cleaner.clean(log, '/data')
    assert.deepEqual(
      (await readAll(log)).map((x) => `${x.key}=${x.value}`),
      ['b=2', 'c=3', 'd=4', 'e=5'],
    )
  })

  it('abandons the swap when the log was truncated meanwhile', async () => {
    const { log, cleaner, fs } = await compactedLog()
    for (let i = 0; i < 30; i++) await log.append(keyedBatch([{ key: 'k', value: `v${i}` }]))
    log.updateHighWatermark(log.logEndOffset)
    const original = log.replaceSegments.bind(log)
    log.replaceSegments = async (old, repl, count) => {
      await log.truncateTo(5n)
      return original(old, repl, count)
    }
    assert.equal(await cleaner.clean(log, '/data'), null)
    assert.equal((await readAll(log)).length, 5)
    assert.ok(!(await fs.readdir('/data/t-0')).some((n) => n.includes('.swap') || n.includes('.cleaned')))
  })

  it('survives a crash at any point of the swap, losing no current record', async () => {
    // Every rename and directory sync of the pass in turn, until a pass runs through untouched.
    let completed = false
    for (let failAt = 0; !completed; failAt++) {
      assert.ok(failAt < 200)
      const fs = new MemoryFs()
      await fs.mkdir('/data')
      await fs.syncDir('/')
      const clock = new ManualClock()
      const { log, cleaner } = await compactedLog(fs, clock)
      await fs.syncDir('/data')
      const writes: { key: string; value: string | null; offset: bigint }[] = []
      for (let i = 0; i < 40; i++) {
        const r = await log.append(keyedBatch([{ key: `k${i % 5}`, value: `v${i}` }]))
        writes.push({ key: `k${i % 5}`, value: `v${i}`, offset: r.firstOffset })
      }
      await log.flush()
      log.updateHighWatermark(log.logEndOffset)
      // Fail the failAt-th rename or directory sync of the pass, then lose power.
      let n = 0
      const realRename = fs.rename.bind(fs)
      const realSyncDir = fs.syncDir.bind(fs)
      const trip = () => {
        if (n++ === failAt) throw Object.assign(new Error('EIO: injected'), { code: 'EIO' })
      }
      fs.rename = async (a, b) => {
        trip()
        return realRename(a, b)
      }
      fs.syncDir = async (d) => {
        trip()
        return realSyncDir(d)
      }
      await cleaner.clean(log, '/data').catch(() => null)
      completed = n <= failAt
      fs.rename = realRename
      fs.syncDir = realSyncDir
      fs.crash()
      const { log: again } = await openTestLog({ fs, dir: '/data/t-0', config: compactConfig })
      const recs = await readAll(again)
      const byOffset = new Map(recs.map((r) => [r.offset, r.value]))
      for (const [key, v] of newestPerKey(writes))
        assert.equal(byOffset.get(v.offset), v.value, `failAt ${failAt} ${key}`)
      const offsets = recs.map((r) => r.offset)
      assert.deepEqual(
        offsets,
        [...offsets].sort((a, b) => (a < b ? -1 : 1)),
        'offsets increase',
      )
      assert.equal(again.logEndOffset, 40n)
    }
  })

  it('runs from the LogManager on compacted topics only', async () => {
    const fs = new MemoryFs()
    const clock = new ManualClock()
    const m = await LogManager.start({
      fs,
      clock,
      config: { logDirs: ['/a'], cleanerBackoffMs: 1000 },
      defaultLogConfig: { segmentBytes: 600 },
    })
    const compacted = await m.getOrCreateLog('offsets', 0, { config: { cleanupPolicy: 'compact' } })
    const plain = await m.getOrCreateLog('events', 0)
    for (let i = 0; i < 40; i++) {
      await compacted.append(keyedBatch([{ key: 'g', value: `${i}` }]))
      await plain.append(keyedBatch([{ key: 'g', value: `${i}` }]))
    }
    compacted.updateHighWatermark(compacted.logEndOffset)
    plain.updateHighWatermark(plain.logEndOffset)
    const before = plain.size
    await clock.advanceAsync(1000)
    await clock.advanceAsync(10)
    assert.equal(plain.size, before)
    assert.ok((await readAll(compacted)).length < 40)
    const ck = (await fs.readFile('/a/cleaner-offset-checkpoint')).toString()
    assert.match(ck, /^0\n1\noffsets 0 \d+\n$/)
    await m.shutdown()
  })
})
