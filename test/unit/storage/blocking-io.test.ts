// Storage I/O on the event loop (storage/blocking-io.ts): the back-off policy after a slow call; a
// log on the real file system appending through the blocking path, with the bytes it wrote read
// back before and after a reopen; a sequential reader on the real file system whose read-aheads
// are read on the event loop.

import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { ManualClock } from '../../../src/common/clock.ts'
import { NodeFs } from '../../../src/common/node-fs.ts'
import {
  BACKOFF_MS,
  BlockingIo,
  blockingReads,
  blockingWrites,
  SLOW_BASE_MS,
  SLOW_MS_PER_MIB,
  SLOW_WINDOW_MS,
  STALL_BUDGET_MS,
} from '../../../src/storage/blocking-io.ts'
import { Log } from '../../../src/storage/log.ts'
import { logConfig } from '../../../src/storage/log-config.ts'
import { fileBytes, makeBatch, nextOffset, readAll } from '../../support/storage-helpers.ts'

describe('BlockingIo policy', () => {
  it('allows blocking writes while they are fast', () => {
    let now = 1000
    const p = new BlockingIo(() => now)
    for (let i = 0; i < 10; i++) {
      assert.equal(p.allowed(), true)
      p.took(0.3, 1 << 20)
      now += 1
    }
    assert.equal(p.blocking, 10)
    assert.equal(p.slow, 0)
  })

  it('scales the slow threshold with the write size', () => {
    const p = new BlockingIo(() => 0)
    // 16 MiB may take up to SLOW_BASE_MS + 16 * SLOW_MS_PER_MIB.
    p.took(SLOW_BASE_MS + 15 * SLOW_MS_PER_MIB, 16 << 20)
    assert.equal(p.allowed(), true)
    p.took(SLOW_BASE_MS + 0.5, 4096)
    assert.equal(p.slow, 1)
  })

  it('copies at the speed of memory the host must back again are not slow', () => {
    const p = new BlockingIo(() => 0)
    // 1 MiB into pages the host backs again: ~3-4 ms on the bench VM (250-400 MB/s).
    for (let i = 0; i < 100; i++) p.took(4, 1 << 20)
    assert.equal(p.slow, 0)
    assert.equal(p.allowed(), true)
  })

  it('sporadic slow writes keep the blocking path; STALL_BUDGET_MS of them within SLOW_WINDOW_MS back off', () => {
    let now = 5000
    const p = new BlockingIo(() => now)
    // The vCPU descheduled during a write: a few ms, now and then, sometimes two close together.
    p.took(10, 4096)
    now += 200
    p.took(6, 4096)
    assert.equal(p.slow, 2)
    assert.equal(p.allowed(), true, 'two short stalls are not a slow device')
    // Calls long after the first do not add to its window.
    now += SLOW_WINDOW_MS
    for (let i = 0; i < 4; i++) {
      p.took(STALL_BUDGET_MS / 4, 4096)
      now += SLOW_WINDOW_MS / 2 + 1
    }
    assert.equal(p.allowed(), true, 'STALL_BUDGET_MS spread over more than SLOW_WINDOW_MS is not either')
    // Stalls adding up to more than the budget within the window are.
    let calls = 0
    while (p.allowed()) {
      p.took(SLOW_BASE_MS + 8, 4096)
      now += 20
      calls++
    }
    assert.equal(calls, Math.floor(STALL_BUDGET_MS / (SLOW_BASE_MS + 8)) + 1)
    assert.equal(p.backoffs, 1)
  })

  it('one call stalling longer than STALL_BUDGET_MS backs off at once', () => {
    const p = new BlockingIo(() => 100)
    p.took(STALL_BUDGET_MS + 1, 1 << 20)
    assert.equal(p.allowed(), false)
  })

  it('after the budget is spent, uses the thread pool for BACKOFF_MS, then tries blocking again', () => {
    let now = 5000
    const p = new BlockingIo(() => now)
    assert.equal(p.allowed(), true)
    p.took(30, 1 << 20) // writes throttled by the kernel
    now += 10
    p.took(30, 1 << 20)
    assert.equal(p.slow, 2)
    assert.equal(p.allowed(), false)
    now += BACKOFF_MS - 1
    assert.equal(p.allowed(), false)
    now += 1
    assert.equal(p.allowed(), true)
    p.took(0.2, 1 << 20)
    assert.equal(p.allowed(), true, 'a fast write keeps the blocking path')
    // The window starts afresh after a back-off.
    p.took(30, 1 << 20)
    assert.equal(p.allowed(), true)
  })
})

describe('blocking segment appends on the real file system', () => {
  it('writes appends on the event loop, readable at once and after a reopen', async () => {
    const root = await mkdtemp(join(tmpdir(), 'samsa-blocking-'))
    try {
      const fs = new NodeFs()
      const clock = new ManualClock()
      const config = logConfig({ segmentBytes: 4096 })
      const open = (clean: boolean, rp: bigint) =>
        Log.open(
          { fs, clock, dir: root, topicPartition: { topic: 't', partition: 0 }, config },
          { hadCleanShutdown: clean, recoveryPoint: rp },
        )
      const log = await open(false, 0n)
      const before = blockingWrites.blocking
      const slowBefore = blockingWrites.slow
      // Several rolls (4 KiB segments), one append of two buffers (one write of two chunks).
      for (let i = 0; i < 20; i++) await log.append(makeBatch(3, { valueBytes: 100, tag: `b${i}` }))
      await log.append([makeBatch(2, { tag: 'x' }), makeBatch(2, { tag: 'y' })])
      const blocked = blockingWrites.blocking - before
      // On a loaded machine one write may take longer than the slow mark: the rest then go
      // through the thread pool for the back-off period (what the policy is for), so only a
      // run without a slow write must have blocked on every append.
      if (blockingWrites.slow === slowBefore)
        assert.ok(blocked >= 21, 'every append wrote with a blocking call')
      else assert.ok(blocked >= 1, 'the first append wrote with a blocking call')
      assert.ok(log.segmentList.length > 1, 'the log rolled')
      log.updateHighWatermark(log.logEndOffset)
      const all = await readAll(log)
      assert.equal(all.length, 64)
      assert.equal(all[0].offset, 0n)
      assert.equal(all[63].offset, 63n)
      await log.close()
      const reopened = await open(true, log.logEndOffset)
      assert.deepEqual(await readAll(reopened), all)
      await reopened.close()
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })

  it('reads a sequential reader’s read-aheads on the event loop, the bytes of direct reads', async () => {
    const root = await mkdtemp(join(tmpdir(), 'samsa-blocking-'))
    try {
      const log = await Log.open(
        {
          fs: new NodeFs(),
          clock: new ManualClock(),
          dir: root,
          topicPartition: { topic: 't', partition: 0 },
          config: logConfig({}),
        },
        { hadCleanShutdown: false, recoveryPoint: 0n },
      )
      for (let i = 0; i < 40; i++) await log.append(makeBatch(20, { valueBytes: 1000, tag: `r${i}` }))
      log.updateHighWatermark(log.logEndOffset)
      const before = blockingReads.blocking
      const slowBefore = blockingReads.slow
      let offset = 0n
      let reads = 0
      while (offset < log.logEndOffset) {
        const r = await log.readRecords(offset, 128 * 1024)
        assert.deepEqual(r.records, await fileBytes(log, offset, 128 * 1024), `read at ${offset}`)
        offset = nextOffset(r.records)
        reads++
        await new Promise((resolve) => setImmediate(resolve))
      }
      assert.ok(reads >= 5)
      // As with writes, a loaded machine may make one read slow enough to back off (the policy).
      if (blockingReads.slow === slowBefore)
        assert.ok(blockingReads.blocking - before >= reads - 1, 'read-aheads blocked')
      else assert.ok(blockingReads.blocking > before, 'the first read-ahead blocked')
      await log.close()
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })
})
