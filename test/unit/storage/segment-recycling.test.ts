// Reuse of retired segment files (src/storage/segment-recycler.ts): retention keeps the removed
// .log files as spares, the next rolls write into them, a reused file is cut to its data when its
// segment stops being active and on close, a crash leaves a stale tail that recovery cuts, spares
// not reused go after SPARE_IDLE_MS, truncated segments are never reused, and a reader of a
// removed segment is told its offsets are gone instead of reading another segment's bytes. A roll
// makes the new files and cuts the old reused one side by side.

import assert from 'node:assert/strict'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { ManualClock } from '../../../src/common/clock.ts'
import { MemoryFs } from '../../../src/common/memory-fs.ts'
import { NodeFs } from '../../../src/common/node-fs.ts'
import { type Log, Log as LogClass } from '../../../src/storage/log.ts'
import { logConfig } from '../../../src/storage/log-config.ts'
import { deleteOldSegments } from '../../../src/storage/retention.ts'
import { MAX_SPARES, SegmentRecycler, SPARE_IDLE_MS } from '../../../src/storage/segment-recycler.ts'
import { isStorageError, StorageErrorCode } from '../../../src/storage/storage-error.ts'
import { makeBatch, openTestLog, readAll } from '../../support/storage-helpers.ts'

const CONFIG = { segmentBytes: 1000, retentionBytes: 1500, fileDeleteDelayMs: 0 }

/** Batches of ~250 bytes until the log has `segments` segments (the last one active). */
async function fill(log: Log, segments: number, tag: string): Promise<void> {
  let i = 0
  while (log.segmentList.length < segments)
    await log.append(makeBatch(3, { valueBytes: 50, tag: `${tag}${i++}` }))
  log.updateHighWatermark(log.logEndOffset)
}

async function spares(fs: MemoryFs, dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).filter((n) => n.endsWith('.deleted')).sort()
}

async function fileSize(fs: MemoryFs, path: string): Promise<number> {
  return (await fs.stat(path))?.size ?? -1
}

/** Runs retention and waits until its zero-delay deletions have left a spare file. */
async function retain(log: Log, clock: ManualClock): Promise<void> {
  await deleteOldSegments(log, clock.now())
  await clock.advanceAsync(0)
  const deadline = Date.now() + 5000
  while (log.spareFiles === 0) {
    assert.ok(Date.now() < deadline, 'no spare kept')
    await new Promise((r) => setTimeout(r, 2))
  }
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
}

describe('segment file reuse', () => {
  it('retention keeps removed .log files, and the next rolls write into them', async () => {
    const { fs, clock, dir, log } = await openTestLog({ config: CONFIG })
    await fill(log, 5, 'a')
    const before = await readAll(log)
    await retain(log, clock)
    const kept = await spares(fs, dir)
    assert.ok(kept.length >= 1, 'a spare is kept')
    assert.ok(
      kept.every((n) => n.endsWith('.log.deleted')),
      `only .log files are kept: ${kept}`,
    )
    const start = log.logStartOffset
    assert.deepEqual(
      await readAll(log),
      before.filter((x) => x.offset >= start),
    )
    // The next roll renames a spare into place: its old bytes lie past the new segment's data.
    const segsBefore = log.segmentList.length
    while (log.segmentList.length === segsBefore) await log.append(makeBatch(3, { valueBytes: 50, tag: 'b' }))
    log.updateHighWatermark(log.logEndOffset)
    assert.equal((await spares(fs, dir)).length, kept.length - 1, 'one spare taken')
    const active = log.segmentList[log.segmentList.length - 1]
    assert.ok((await fileSize(fs, active.logPath)) > active.size, 'the reused file is longer than its data')
    const expected = await readAll(log)
    assert.ok(expected.length > 0 && expected.every((x) => x.offset >= start))
    // Reads see only the new data; rolling cuts the reused file to it.
    await log.append(makeBatch(2, { valueBytes: 50, tag: 'c' }))
    log.updateHighWatermark(log.logEndOffset)
    await log.rollNow()
    assert.equal(await fileSize(fs, active.logPath), active.size, 'cut to its data once inactive')
    const all = await readAll(log)
    assert.deepEqual(all.slice(0, expected.length), expected)
    // A clean close and reopen loads every segment without recovery: sizes are the data's.
    await log.close()
    assert.deepEqual(await spares(fs, dir), [], 'spares go with the log')
    const reopened = await LogClass.open(
      { fs, clock, dir, topicPartition: { topic: 't', partition: 0 }, config: logConfig(CONFIG) },
      { hadCleanShutdown: true, recoveryPoint: log.logEndOffset },
    )
    assert.deepEqual(await readAll(reopened), all)
    for (const s of reopened.segmentList) assert.equal(await fileSize(fs, s.logPath), s.size)
    await reopened.close()
  })

  it("a roll makes the new segment's files side by side, and cuts the old reused file beside them", async () => {
    const { fs, clock, log } = await openTestLog({ config: CONFIG })
    await fill(log, 8, 'a')
    await retain(log, clock)
    await fill(log, log.segmentList.length + 1, 'b') // the active segment is now a reused file
    await log.append(makeBatch(1, { valueBytes: 50, tag: 'b' }))
    assert.ok(log.spareFiles > 0, 'a spare waits for the next roll')
    const old = log.segmentList[log.segmentList.length - 1]
    assert.ok((await fileSize(fs, old.logPath)) > old.size, 'the active segment holds a stale tail')
    const seen: string[] = []
    let release = (): void => {}
    const gate = new Promise<void>((r) => {
      release = r
    })
    const rename = fs.rename.bind(fs)
    fs.rename = async (from: string, to: string) => {
      if (from.endsWith('.log.deleted')) {
        seen.push('reuse held')
        await gate
      }
      return rename(from, to)
    }
    const open = fs.open.bind(fs)
    fs.open = (path, mode) => {
      seen.push(`open ${path.slice(path.lastIndexOf('/') + 1)}`)
      return open(path, mode)
    }
    const rolling = log.rollNow()
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r))
    const base = String(log.logEndOffset).padStart(20, '0')
    assert.ok(seen.includes('reuse held'), seen.join(', '))
    assert.ok(seen.includes(`open ${base}.index`) && seen.includes(`open ${base}.timeindex`), seen.join(', '))
    assert.equal(await fileSize(fs, old.logPath), old.size, 'the old file is cut meanwhile')
    release()
    await rolling
    const active = log.segmentList[log.segmentList.length - 1]
    assert.equal(active.baseOffset, log.logEndOffset)
    assert.ok((await fileSize(fs, active.logPath)) > 0, 'the new segment took the spare')
    await log.append(makeBatch(2, { valueBytes: 50, tag: 'c' }))
    log.updateHighWatermark(log.logEndOffset)
    assert.equal((await readAll(log)).at(-1)?.offset, log.logEndOffset - 1n)
  })

  it('a roll whose old file cannot be cut fails and leaves the log as it was', async () => {
    const { fs, clock, log } = await openTestLog({ config: CONFIG })
    await fill(log, 5, 'a')
    await retain(log, clock)
    await fill(log, log.segmentList.length + 1, 'b')
    const segments = log.segmentList.map((s) => s.baseOffset)
    fs.failNext({ op: 'truncate', path: `${String(segments[segments.length - 1]).padStart(20, '0')}.log` })
    await assert.rejects(log.rollNow())
    assert.deepEqual(
      log.segmentList.map((s) => s.baseOffset),
      segments,
    )
  })

  it('a crash leaves the reused active segment with a stale tail, which recovery cuts', async () => {
    const { fs, clock, dir, log } = await openTestLog({ config: CONFIG })
    await fill(log, 5, 'a')
    await retain(log, clock)
    assert.ok((await spares(fs, dir)).length >= 1)
    const segs = log.segmentList.length
    while (log.segmentList.length === segs) await log.append(makeBatch(3, { valueBytes: 50, tag: 'b' }))
    await log.append(makeBatch(1, { valueBytes: 50, tag: 'c' }))
    log.updateHighWatermark(log.logEndOffset)
    const active = log.segmentList[log.segmentList.length - 1]
    assert.ok((await fileSize(fs, active.logPath)) > active.size)
    await log.flush()
    for (const d of ['/', '/data']) await fs.syncDir(d)
    const expected = await readAll(log)
    const leo = log.logEndOffset
    fs.crash()
    const reopened = await LogClass.open(
      { fs, clock, dir, topicPartition: { topic: 't', partition: 0 }, config: logConfig(CONFIG) },
      { hadCleanShutdown: false, recoveryPoint: log.recoveryPoint },
    )
    assert.equal(reopened.logEndOffset, leo)
    assert.deepEqual(await readAll(reopened), expected)
    const last = reopened.segmentList[reopened.segmentList.length - 1]
    assert.equal(await fileSize(fs, last.logPath), last.size, 'recovery cut the stale bytes')
    assert.deepEqual(await spares(fs, dir), [], 'leftover spares are removed on load')
    await reopened.close()
  })

  it('removes spares not reused within SPARE_IDLE_MS', async () => {
    const { fs, clock, dir, log } = await openTestLog({ config: CONFIG })
    await fill(log, 5, 'a')
    await retain(log, clock)
    assert.ok((await spares(fs, dir)).length >= 1)
    await clock.advanceAsync(SPARE_IDLE_MS)
    assert.deepEqual(await spares(fs, dir), [])
    await log.close()
  })

  it('keeps at most MAX_SPARES spares, oldest taken first, and removes the files offered past them', async () => {
    const fs = new MemoryFs()
    const clock = new ManualClock()
    await fs.mkdir('/d')
    const paths: string[] = []
    for (let i = 0; i < MAX_SPARES + 2; i++) {
      const path = `/d/${String(i).padStart(20, '0')}.log.deleted`
      await (await fs.open(path, 'rw')).close()
      paths.push(path)
    }
    const recycler = new SegmentRecycler(fs, clock)
    for (const p of paths) await recycler.offer(p)
    assert.deepEqual(recycler.sparePaths, paths.slice(0, MAX_SPARES))
    assert.deepEqual((await fs.readdir('/d')).map((n) => `/d/${n}`).sort(), paths.slice(0, MAX_SPARES))
    assert.equal(recycler.take(), paths[0])
    await recycler.offer(paths[0])
    assert.equal(recycler.sparePaths.length, MAX_SPARES, 'a taken spare makes room for one more')
    await clock.advanceAsync(SPARE_IDLE_MS)
    assert.deepEqual(await fs.readdir('/d'), [], 'unused spares go after SPARE_IDLE_MS')
    assert.equal(recycler.take(), null)
  })

  it('never reuses the files of truncated segments', async () => {
    const { fs, clock, dir, log } = await openTestLog({ config: CONFIG })
    await fill(log, 4, 'a')
    await log.truncateTo(log.segmentList[1].baseOffset)
    await clock.advanceAsync(0)
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
    assert.deepEqual(await spares(fs, dir), [])
    await log.close()
  })

  it('a reader of a removed segment gets OffsetOutOfRange, not the bytes of the file’s new segment', async () => {
    const { clock, log } = await openTestLog({ config: CONFIG })
    await fill(log, 5, 'a')
    const first = log.segmentList[0]
    await first.closeHandle()
    await retain(log, clock)
    assert.notEqual(log.segmentList[0], first, 'removed by retention')
    await assert.rejects(first.handle(), (e: unknown) => isStorageError(e, StorageErrorCode.OffsetOutOfRange))
    // A flush that listed it before its removal has nothing left to do (and no file to reopen).
    await first.flush(true)
    await assert.rejects(first.handle())
    await log.close()
  })
})

describe('segment file reuse on the real file system', () => {
  it('a handle of a removed segment never reads the bytes written into its reused file', async () => {
    const root = await mkdtemp(join(tmpdir(), 'samsa-recycle-'))
    try {
      const fs = new NodeFs()
      const clock = new ManualClock()
      const open = (clean: boolean, rp: bigint) =>
        LogClass.open(
          { fs, clock, dir: root, topicPartition: { topic: 't', partition: 0 }, config: logConfig(CONFIG) },
          { hadCleanShutdown: clean, recoveryPoint: rp },
        )
      const log = await open(false, 0n)
      await fill(log, 5, 'a')
      const held = await log.read(0n, 1 << 20)
      const oldBytes = Buffer.alloc(held.ranges[0].length)
      await held.ranges[0].file.read(oldBytes, 0, oldBytes.length, held.ranges[0].position)
      const inodes = new Set<number>()
      for (const seg of log.segmentList) inodes.add((await stat(seg.logPath)).ino)
      await retain(log, clock)
      const segs = log.segmentList.length
      while (log.segmentList.length === segs) await log.append(makeBatch(3, { valueBytes: 50, tag: 'b' }))
      await log.append(makeBatch(3, { valueBytes: 50, tag: 'c' }))
      log.updateHighWatermark(log.logEndOffset)
      const active = log.segmentList[log.segmentList.length - 1]
      assert.ok(inodes.has((await stat(active.logPath)).ino), 'the active segment reuses a removed file')
      // The reader's handle was closed with its segment: it fails rather than read the new bytes.
      const again = Buffer.alloc(oldBytes.length)
      const read = await held.ranges[0].file.read(again, 0, again.length, held.ranges[0].position).then(
        () => again,
        () => null,
      )
      assert.ok(read === null || read.equals(oldBytes), 'old bytes or an error, never new ones')
      const all = await readAll(log)
      await log.close()
      assert.equal((await stat(active.logPath)).size, active.size, 'cut to its data on close')
      const reopened = await open(true, log.logEndOffset)
      assert.deepEqual(await readAll(reopened), all)
      await reopened.close()
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })
})
