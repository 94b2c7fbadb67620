// The bound on open segment files (storage/open-files.ts): the sweep's rules on fakes (least
// recently used first, never a file used during the last period, never a pinned one, nothing
// under the cap or with cap 0), then logs on the real file system: 40 logs written once hold 40
// descriptors, two sweeps bring them to the cap, every byte reads back and appends go on through
// reopened files; a read range taken just before a sweep still reads; a pinned segment (a
// recovery-length scan) keeps its file past the cap.

import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, afterEach, before, describe, it } from 'node:test'
import { ManualClock } from '../../../src/common/clock.ts'
import { NodeFs } from '../../../src/common/node-fs.ts'
import { readRanges } from '../../../src/storage/file-range.ts'
import { Log } from '../../../src/storage/log.ts'
import { logConfig } from '../../../src/storage/log-config.ts'
import { type OpenFile, OpenFiles, openSegmentFiles } from '../../../src/storage/open-files.ts'
import { openLogFiles } from '../../support/e2e-clients.ts'
import { makeBatch, readAll } from '../../support/storage-helpers.ts'

function fake(name: string, closed: string[]): OpenFile & { name: string } {
  return { name, usedAt: 0, pins: 0, closeIdle: () => closed.push(name) }
}

describe('OpenFiles sweep', () => {
  it('closes the least recently used files idle for a full period, down to the cap', () => {
    const closed: string[] = []
    const o = new OpenFiles(2, 60_000)
    const files = ['a', 'b', 'c', 'd', 'e'].map((n) => fake(n, closed))
    for (const f of files) {
      f.usedAt = o.stamp
      o.opened(f)
    }
    o.stopTimer()
    assert.equal(o.count, 5)
    // Period 1 ends: every file was used in it, none may close.
    assert.equal(o.sweep(), 0)
    assert.deepEqual(closed, [])
    // Used during period 2: d and e (e first, then d); a, b, c last used in period 1.
    files[4].usedAt = o.stamp
    files[3].usedAt = o.stamp
    files[1].usedAt = o.stamp - 1
    files[0].usedAt = o.stamp - 1
    files[2].usedAt = o.stamp - 2
    assert.equal(o.sweep(), 3)
    assert.deepEqual(closed, ['c', 'a', 'b'], 'oldest use first')
    assert.equal(o.count, 2)
    o.stopTimer()
  })

  it('keeps pinned files and files used in the last period even past the cap (a soft cap)', () => {
    const closed: string[] = []
    const o = new OpenFiles(1, 60_000)
    const [a, b, c] = ['a', 'b', 'c'].map((n) => fake(n, closed))
    for (const f of [a, b, c]) {
      f.usedAt = o.stamp
      o.opened(f)
    }
    assert.equal(o.sweep(), 0, 'all used in the period that ended')
    a.pins = 1
    b.usedAt = o.stamp
    assert.equal(o.sweep(), 1)
    assert.deepEqual(closed, ['c'])
    assert.equal(o.count, 2, 'over the cap: the rest is pinned or in use')
    a.pins = 0
    o.sweep()
    assert.deepEqual(closed, ['c', 'a'])
    o.stopTimer()
  })

  it('closes nothing under the cap or with cap 0, and a closed file leaves the count', () => {
    const closed: string[] = []
    const o = new OpenFiles(0, 60_000)
    const fs = ['a', 'b', 'c'].map((n) => fake(n, closed))
    for (const f of fs) o.opened(f)
    for (let i = 0; i < 4; i++) o.sweep()
    assert.deepEqual(closed, [])
    o.cap = 5
    for (let i = 0; i < 4; i++) o.sweep()
    assert.deepEqual(closed, [])
    o.closed(fs[0])
    assert.equal(o.count, 2)
    o.stopTimer()
  })
})

const logFds = (dir: string) => openLogFiles(process.pid, dir)

describe('segments over the cap, on the real file system (Linux: counts /proc/self/fd)', () => {
  let root: string
  const savedCap = openSegmentFiles.cap
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'samsa-open-files-'))
  })
  after(async () => {
    await rm(root, { recursive: true, force: true })
  })
  afterEach(() => {
    openSegmentFiles.cap = savedCap
    openSegmentFiles.stopTimer()
  })

  const openLog = async (dir: string, partition: number, clean = false) => {
    await mkdir(join(dir, `t-${partition}`), { recursive: true })
    return Log.open(
      {
        fs: new NodeFs(),
        clock: new ManualClock(1000),
        dir: join(dir, `t-${partition}`),
        topicPartition: { topic: 't', partition },
        config: logConfig({}),
      },
      { hadCleanShutdown: clean, recoveryPoint: 0n },
    )
  }

  it('40 logs written once: two sweeps close all but the cap; reads and appends reopen', async () => {
    const dir = join(root, 'many')
    const logs: Log[] = []
    for (let p = 0; p < 40; p++) logs.push(await openLog(dir, p))
    assert.equal(logFds(dir), 0, 'a new log holds no descriptor')
    for (const [p, log] of logs.entries()) {
      await log.append(makeBatch(3, { valueBytes: 200, tag: `first-${p}` }))
      log.updateHighWatermark(log.logEndOffset)
    }
    assert.equal(logFds(dir), 40)
    openSegmentFiles.cap = openSegmentFiles.count - 40 + 8
    const closedBefore = openSegmentFiles.closedIdle
    openSegmentFiles.sweep() // ends the period the appends ran in: nothing is idle yet
    assert.equal(logFds(dir), 40)
    openSegmentFiles.sweep()
    assert.equal(openSegmentFiles.closedIdle - closedBefore, 32)
    // Closing waits for calls in flight (none here); give the closes their turn.
    for (let i = 0; i < 20 && logFds(dir) > 8; i++) await new Promise((r) => setTimeout(r, 10))
    assert.equal(logFds(dir), 8)
    for (const [p, log] of logs.entries()) {
      const recs = await readAll(log)
      assert.equal(recs.length, 3, `log ${p}`)
      assert.equal(recs[0].offset, 0n)
      await log.append(makeBatch(2, { valueBytes: 200, tag: `again-${p}` }))
      log.updateHighWatermark(log.logEndOffset)
      assert.equal((await readAll(log)).length, 5)
    }
    assert.equal(logFds(dir), 40, 'reopened on use')
    for (const log of logs) await log.close()
    assert.equal(logFds(dir), 0)
    // What was written through reopened files survives a reopen of the logs.
    for (let p = 0; p < 40; p++) {
      const log = await openLog(dir, p, true)
      assert.equal((await readAll(log)).length, 5)
      await log.close()
    }
  })

  it('a read range taken just before a sweep still reads; a pinned segment stays open', async () => {
    const dir = join(root, 'ranges')
    const a = await openLog(dir, 0)
    const b = await openLog(dir, 1)
    for (const log of [a, b]) {
      await log.append(makeBatch(4, { valueBytes: 300, tag: 'x' }))
      log.updateHighWatermark(log.logEndOffset)
    }
    openSegmentFiles.cap = openSegmentFiles.count - 1
    openSegmentFiles.sweep()
    const r = await a.read(0n, 1 << 20)
    openSegmentFiles.sweep()
    // a's handle was used in the period that just ended: it stays; b's was not: it closes.
    const bytes = await readRanges(r.ranges)
    assert.equal(bytes.length, r.sizeInBytes)
    assert.ok(bytes.length > 0)
    for (let i = 0; i < 20 && logFds(dir) > 1; i++) await new Promise((res) => setTimeout(res, 10))
    assert.equal(logFds(dir), 1)
    // A pinned segment (what recovery and compaction hold across many reads) is not closed.
    const segA = a.segmentList[0]
    const segB = b.segmentList[0]
    let release = () => {}
    const held = segA.pinned(() => new Promise<void>((res) => (release = res)))
    assert.equal((await readAll(b)).length, 4) // reopens b: two files, cap 1
    openSegmentFiles.sweep()
    openSegmentFiles.sweep()
    assert.notEqual(segA.openHandle, null, 'pinned: still open')
    assert.equal(segB.openHandle, null, 'b idle for a period: closed')
    assert.equal((await readAll(b)).length, 4) // b again, after a's last use
    release()
    await held
    openSegmentFiles.sweep()
    openSegmentFiles.sweep()
    assert.equal(segA.openHandle, null, 'unpinned, idle and least recently used: closed')
    assert.notEqual(segB.openHandle, null, 'down to the cap: b stays')
    for (let i = 0; i < 20 && logFds(dir) > 1; i++) await new Promise((res) => setTimeout(res, 10))
    assert.equal(logFds(dir), 1)
    assert.equal((await readAll(a)).length, 4)
    await a.close()
    await b.close()
  })
})
