// Retention by time, by size and by log start offset, with the fake clock; asynchronous deletion
// through `.deleted` files; truncation.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MemoryFs } from '../../../src/common/memory-fs.ts'
import { LeaderEpochCache } from '../../../src/storage/leader-epoch-cache.ts'
import { deleteOldSegments } from '../../../src/storage/retention.ts'
import { SPARE_IDLE_MS } from '../../../src/storage/segment-recycler.ts'
import { isStorageError, StorageErrorCode } from '../../../src/storage/storage-error.ts'
import { makeBatch, openTestLog, readAll } from '../../support/storage-helpers.ts'

describe('retention', () => {
  it('deletes segments whose newest record is older than retention.ms', async () => {
    const { log, clock } = await openTestLog({ config: { segmentBytes: 400, retentionMs: 60_000 } })
    for (let i = 0; i < 12; i++) {
      await log.append(makeBatch(2, { ts: clock.now() }))
      clock.advance(10_000)
    }
    log.updateHighWatermark(log.logEndOffset)
    const before = log.segmentList.map((s) => s.baseOffset)
    const deleted = await deleteOldSegments(log, clock.now())
    assert.ok(deleted > 0)
    const now = clock.now()
    for (const s of log.segmentList.slice(0, -1)) assert.ok(now - (await s.largestTimestamp()) <= 60_000)
    assert.equal(log.logStartOffset, log.segmentList[0].baseOffset)
    assert.deepEqual(
      before.slice(deleted),
      log.segmentList.map((s) => s.baseOffset),
    )
    const recs = await readAll(log)
    assert.equal(recs[0].offset, log.logStartOffset)
  })

  it('never deletes data at or above the high watermark', async () => {
    const { log, clock } = await openTestLog({ config: { segmentBytes: 400, retentionMs: 1 } })
    for (let i = 0; i < 12; i++) await log.append(makeBatch(2, { ts: clock.now() }))
    clock.advance(1000)
    log.updateHighWatermark(log.segmentList[2].baseOffset)
    assert.equal(await deleteOldSegments(log, clock.now()), 2)
    assert.equal(log.logStartOffset, log.segmentList[0].baseOffset)
  })

  it('rolls and deletes the active segment too when everything is past retention', async () => {
    const { log, clock } = await openTestLog({ config: { retentionMs: 1000 } })
    await log.append(makeBatch(5, { ts: clock.now() }))
    log.updateHighWatermark(5n)
    clock.advance(2000)
    assert.equal(await deleteOldSegments(log, clock.now()), 1)
    assert.equal(log.numberOfSegments, 1)
    assert.deepEqual([log.logStartOffset, log.logEndOffset, log.segmentList[0].baseOffset], [5n, 5n, 5n])
    await log.append(makeBatch(1))
    assert.equal(log.logEndOffset, 6n)
  })

  it('keeps the log under retention.bytes, whole segments only', async () => {
    const { log, clock } = await openTestLog({ config: { segmentBytes: 500, retentionBytes: 1200 } })
    for (let i = 0; i < 30; i++) await log.append(makeBatch(2))
    log.updateHighWatermark(log.logEndOffset)
    await deleteOldSegments(log, clock.now())
    assert.ok(log.size <= 1200 + 500, `size ${log.size}`)
    assert.ok(log.size - log.segmentList[0].size < 1200, 'no more than needed')
  })

  it('moves the log start with DeleteRecords and drops segments below it', async () => {
    const { log, clock } = await openTestLog({ config: { segmentBytes: 400, retentionMs: -1 } })
    for (let i = 0; i < 12; i++) await log.append(makeBatch(2), { leaderEpoch: i < 6 ? 1 : 2 })
    await assert.rejects(log.maybeIncrementLogStartOffset(10n), (e) =>
      isStorageError(e, StorageErrorCode.OffsetOutOfRange),
    )
    log.updateHighWatermark(log.logEndOffset)
    assert.equal(await log.maybeIncrementLogStartOffset(15n), true)
    assert.equal(log.logStartOffset, 15n)
    await assert.rejects(log.read(14n, 100), (e) => isStorageError(e, StorageErrorCode.OffsetOutOfRange))
    assert.equal((await readAll(log))[0].offset, 15n)
    assert.deepEqual(log.epochCache.all(), [{ epoch: 2, startOffset: 15n }])
    const n = await deleteOldSegments(log, clock.now())
    assert.ok(n > 0)
    assert.ok(log.segmentList[0].baseOffset <= 15n)
    assert.ok(log.segmentList.length < 2 || log.segmentList[1].baseOffset > 15n)
  })

  it('renames deleted segments to .deleted and removes them after file.delete.delay.ms', async () => {
    const fs = new MemoryFs()
    const { log, clock, dir } = await openTestLog({
      fs,
      config: { segmentBytes: 400, retentionMs: 1000, fileDeleteDelayMs: 30_000 },
    })
    for (let i = 0; i < 8; i++) await log.append(makeBatch(2, { ts: clock.now() }))
    await log.rollNow()
    log.updateHighWatermark(log.logEndOffset)
    const held = await log.read(0n, 1 << 20)
    clock.advance(5000)
    await deleteOldSegments(log, clock.now())
    const names = await fs.readdir(dir)
    assert.ok(names.some((n) => n.endsWith('.log.deleted')))
    assert.ok(names.some((n) => n.endsWith('.index.deleted')))
    // A reader holding ranges of a deleted segment can still read them.
    const buf = Buffer.alloc(held.ranges[0].length)
    assert.equal(await held.ranges[0].file.read(buf, 0, buf.length, held.ranges[0].position), buf.length)
    await clock.advanceAsync(30_000)
    // Index files go; .log files may stay a while as spares for the next rolls
    // (segment-recycler.ts), then go too.
    assert.ok(!(await fs.readdir(dir)).some((n) => n.endsWith('.deleted') && !n.endsWith('.log.deleted')))
    await clock.advanceAsync(SPARE_IDLE_MS)
    assert.ok(!(await fs.readdir(dir)).some((n) => n.endsWith('.deleted')))
  })
})

describe("retention's file work is off the writer queue", () => {
  /** `fs` with renames to `match` held until the returned release() (a slow device). */
  function holdRenames(fs: MemoryFs, match: (to: string) => boolean) {
    let release = (): void => {}
    const gate = new Promise<void>((r) => {
      release = r
    })
    const rename = fs.rename.bind(fs)
    const held = { count: 0, release }
    fs.rename = async (from: string, to: string) => {
      if (match(to)) {
        held.count++
        await gate
      }
      return rename(from, to)
    }
    return held
  }
  const ticks = async (n: number) => {
    for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r))
  }

  async function retainedLog(fs = new MemoryFs()) {
    const t = await openTestLog({
      fs,
      config: { segmentBytes: 500, retentionBytes: 1200, fileDeleteDelayMs: 0 },
    })
    for (let i = 0; i < 30; i++) await t.log.append(makeBatch(2), { leaderEpoch: i < 10 ? 1 : 2 })
    t.log.updateHighWatermark(t.log.logEndOffset)
    return t
  }

  it('appends go on while the removed segments are renamed and the epoch cache written', async () => {
    const { fs, log, clock, dir } = await retainedLog()
    const first = log.segmentList[0].baseOffset
    const held = holdRenames(fs, (to) => to.endsWith('.log.deleted'))
    const retention = deleteOldSegments(log, clock.now())
    for (let i = 0; i < 50 && held.count === 0; i++) await ticks(1)
    assert.ok(held.count >= 1, 'a rename of a removed segment is held')
    // The log already moved on: its start is past the removed segments, appends are answered.
    assert.ok(log.logStartOffset > first)
    const leo = log.logEndOffset
    const r = await log.append(makeBatch(3), { leaderEpoch: 2 })
    assert.equal(r.firstOffset, leo)
    assert.ok((await fs.readdir(dir)).includes(`${String(first).padStart(20, '0')}.log`))
    held.release()
    const deleted = await retention
    assert.ok(deleted > 0)
    assert.equal(log.logEndOffset, leo + 3n)
    const names = await fs.readdir(dir)
    assert.ok(!names.includes(`${String(first).padStart(20, '0')}.log`))
    assert.equal((await readAll(log))[0].offset, log.logStartOffset)
  })

  it('an epoch written from the writer queue waits for the one retention is writing, and wins', async () => {
    const { fs, log, clock, dir } = await retainedLog()
    const held = holdRenames(fs, (to) => to.endsWith('leader-epoch-checkpoint'))
    const retention = deleteOldSegments(log, clock.now())
    for (let i = 0; i < 50 && held.count === 0; i++) await ticks(1)
    assert.equal(held.count, 1)
    // A new leader epoch: its append persists the cache while retention's write is in flight.
    const append = log.append(makeBatch(1), { leaderEpoch: 5 })
    await ticks(20)
    assert.equal(held.count, 1, 'the second write waits for the first')
    held.release()
    await append
    await retention
    const text = (await fs.readFile(`${dir}/leader-epoch-checkpoint`)).toString()
    const rows = text.trim().split('\n').slice(2)
    assert.deepEqual(
      rows,
      log.epochCache.all().map((e) => `${e.epoch} ${e.startOffset}`),
    )
    assert.equal(log.epochCache.latestEpoch, 5)
  })

  it('the epoch cache writes its checkpoint one write at a time, the last state last', async () => {
    const fs = new MemoryFs()
    await fs.mkdir('/p')
    const cache = new LeaderEpochCache(fs, '/p')
    cache.assign(1, 0n)
    await cache.persist()
    const held = holdRenames(fs, (to) => to.endsWith('leader-epoch-checkpoint'))
    cache.truncateFromStart(5n)
    const first = cache.persist()
    for (let i = 0; i < 50 && held.count === 0; i++) await ticks(1)
    cache.assign(2, 9n)
    const second = cache.persist()
    const third = cache.persist()
    await ticks(20)
    assert.equal(held.count, 1, 'no second write while the first is in flight')
    held.release()
    await Promise.all([first, second, third])
    assert.equal(held.count, 2, 'the two waiting writes became one')
    const again = new LeaderEpochCache(fs, '/p')
    await again.load()
    assert.deepEqual(again.all(), [
      { epoch: 1, startOffset: 5n },
      { epoch: 2, startOffset: 9n },
    ])
  })

  it('segments retired together are renamed side by side, and a spare is kept soon after', async () => {
    const { fs, log, clock, dir } = await retainedLog()
    const first = `${String(log.segmentList[0].baseOffset).padStart(20, '0')}.log.deleted`
    const held = holdRenames(fs, (to) => to.endsWith(first))
    const renamed: string[] = []
    const rename = fs.rename.bind(fs)
    fs.rename = async (from: string, to: string) => {
      renamed.push(to.slice(to.lastIndexOf('/') + 1))
      return rename(from, to)
    }
    const retention = deleteOldSegments(log, clock.now())
    for (let i = 0; i < 50 && held.count === 0; i++) await ticks(1)
    await ticks(10)
    const logs = renamed.filter((n) => n.endsWith('.log.deleted'))
    assert.ok(logs.length >= 2, `the other segments' renames did not wait for the first: ${logs}`)
    held.release()
    assert.ok((await retention) >= 2)
    await clock.advanceAsync(0)
    for (let i = 0; i < 50 && log.spareFiles === 0; i++) await ticks(1)
    assert.ok(log.spareFiles > 0)
    assert.ok((await fs.readdir(dir)).includes(first))
  })

  it('closing the log waits for a retirement in flight and leaves none of its files', async () => {
    const { fs, log, clock, dir } = await retainedLog()
    const held = holdRenames(fs, (to) => to.endsWith('.deleted'))
    const retention = deleteOldSegments(log, clock.now())
    for (let i = 0; i < 50 && held.count === 0; i++) await ticks(1)
    let closed = false
    const close = log.close().then(() => {
      closed = true
    })
    await ticks(20)
    assert.equal(closed, false, 'close waits for the renames')
    held.release()
    await close
    // Its last rule (retention.ms) finds the log closed.
    await retention.catch((err) => assert.ok(isStorageError(err, StorageErrorCode.LogClosed), String(err)))
    const live = log.segmentList.map((s) => String(s.baseOffset).padStart(20, '0'))
    for (const n of await fs.readdir(dir)) {
      if (!/^\d{20}\./.test(n)) continue
      assert.ok(live.includes(n.slice(0, 20)), `${n} is left of a removed segment`)
    }
  })

  it('a crash before the renames loses nothing the log still holds', async () => {
    const fs = new MemoryFs()
    await fs.mkdir('/data')
    await fs.syncDir('/')
    await fs.syncDir('/data')
    const { log, clock, dir } = await retainedLog(fs)
    await fs.syncDir('/data')
    await log.flush()
    const leo = log.logEndOffset
    holdRenames(fs, (to) => to.endsWith('.deleted'))
    void deleteOldSegments(log, clock.now())
    await ticks(10)
    const start = log.logStartOffset
    assert.ok(start > 0n)
    fs.crash()
    const again = await openTestLog({ fs, dir, state: { recoveryPoint: leo, logStartOffset: start } })
    assert.equal(again.log.logEndOffset, leo)
    assert.equal(again.log.logStartOffset, start)
    assert.equal((await readAll(again.log))[0].offset, start)
    assert.ok(again.log.epochCache.all().every((e) => e.startOffset >= start))
  })
})

describe('truncation', () => {
  it('truncateTo removes everything from the offset and is durable at once', async () => {
    const fs = new MemoryFs()
    await fs.mkdir('/data')
    await fs.syncDir('/')
    await fs.syncDir('/data')
    const { log, dir } = await openTestLog({ fs, config: { segmentBytes: 400 } })
    await fs.syncDir('/data')
    for (let i = 0; i < 20; i++) await log.append(makeBatch(2), { leaderEpoch: i < 10 ? 1 : 3 })
    await log.flush()
    log.updateHighWatermark(40n)
    assert.equal(await log.truncateTo(14n), true)
    assert.deepEqual([log.logEndOffset, log.highWatermark, log.recoveryPoint], [14n, 14n, 14n])
    assert.deepEqual(log.epochCache.all(), [{ epoch: 1, startOffset: 0n }])
    assert.equal((await readAll(log)).length, 14)
    assert.equal(await log.truncateTo(30n), false)
    const r = await log.append(makeBatch(1))
    assert.equal(r.firstOffset, 14n)
    fs.crash()
    const { log: again } = await openTestLog({ fs, dir, state: { recoveryPoint: 14n } })
    const recs = await readAll(again)
    assert.ok(recs.length === 14 || recs.length === 15)
    assert.deepEqual(
      recs.slice(0, 14).map((x) => x.offset),
      Array.from({ length: 14 }, (_, i) => BigInt(i)),
    )
  })

  it('truncateTo inside a batch removes the whole batch, the LEO follows the data', async () => {
    const { log } = await openTestLog()
    await log.append(makeBatch(4))
    await log.append(makeBatch(4))
    await log.truncateTo(6n)
    assert.equal(log.logEndOffset, 4n)
    assert.deepEqual(
      (await readAll(log)).map((x) => x.offset),
      [0n, 1n, 2n, 3n],
    )
  })

  it('truncateFullyAndStartAt empties the log at a new offset', async () => {
    const { log } = await openTestLog({ config: { segmentBytes: 400 } })
    for (let i = 0; i < 10; i++) await log.append(makeBatch(2), { leaderEpoch: 1 })
    await log.truncateFullyAndStartAt(1000n)
    assert.deepEqual(
      [log.logStartOffset, log.logEndOffset, log.highWatermark, log.numberOfSegments],
      [1000n, 1000n, 1000n, 1],
    )
    assert.equal(log.epochCache.all().length, 0)
    const r = await log.append(makeBatch(2), { leaderEpoch: 4 })
    assert.equal(r.firstOffset, 1000n)
    assert.equal((await readAll(log)).length, 2)
  })
})
