// Small reads on the event loop (src/storage/log-read.ts, BLOCKING_READ_MAX): a read of at most
// that many bytes, on a file whose handles offer blocking reads, is made at once with a blocking
// read (counted and timed by blocking-io.ts's read policy) and answers what the file holds; a
// larger one, one on a file without blocking reads, and any while the policy has backed off to
// the thread pool are read as before. A failing blocking read fails the read, as an async one does.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { FileHandle, OpenMode } from '../../../src/common/fs.ts'
import { MemoryFs } from '../../../src/common/memory-fs.ts'
import { BACKOFF_MS, blockingReads, SLOW_BASE_MS } from '../../../src/storage/blocking-io.ts'
import type { Log } from '../../../src/storage/log.ts'
import { BLOCKING_READ_MAX, BLOCKING_READ_TURN_MS } from '../../../src/storage/log-read.ts'
import { fileBytes, makeBatch, nextOffset, openTestLog } from '../../support/storage-helpers.ts'

/** 40 batches of ~5 KiB, all below the high watermark (so nothing comes from the tail cache). */
async function filledLog(fs: MemoryFs): Promise<Log> {
  const dir = `/data/t-${Math.random().toString(36).slice(2)}`
  const { log } = await openTestLog({ fs, dir, config: { segmentBytes: 64 * 1024 * 1024 } })
  for (let i = 0; i < 40; i++) await log.append(makeBatch(5, { valueBytes: 1000, tag: `${i}` }))
  log.updateHighWatermark(log.logEndOffset)
  return log
}

describe('small reads on the event loop', () => {
  it('a caught-up reader’s small reads are blocking ones, and answer the file’s bytes', async () => {
    const fs = new MemoryFs({ blockingReads: true })
    const log = await filledLog(fs)
    const max = 8 * 1024
    assert.ok(max <= BLOCKING_READ_MAX)
    let offset = 0n
    let reads = 0
    while (offset < log.logEndOffset) {
      // A turn of its own for each read (all of them in one would meet BLOCKING_READ_TURN_MS).
      await new Promise((r) => setImmediate(r))
      const before = blockingReads.blocking
      const r = await log.readRecords(offset, max)
      assert.equal(blockingReads.blocking, before + 1, `read at ${offset}: one blocking read`)
      assert.deepEqual(r.records, await fileBytes(log, offset, max), `read at ${offset}`)
      offset = nextOffset(r.records)
      reads++
    }
    assert.equal(reads, 40)
  })

  it('reads larger than BLOCKING_READ_MAX, and files without blocking reads, go through the pool', async () => {
    const fs = new MemoryFs({ blockingReads: true })
    const log = await filledLog(fs)
    const big = BLOCKING_READ_MAX + 4096
    let before = blockingReads.blocking
    const r = await log.readRecords(0n, big)
    assert.ok(r.records.length > BLOCKING_READ_MAX)
    assert.deepEqual(r.records, await fileBytes(log, 0n, big))
    assert.equal(blockingReads.blocking, before, 'not blocking')

    const plain = await filledLog(new MemoryFs({ blockingReads: false }))
    before = blockingReads.blocking
    const small = await plain.readRecords(0n, 8 * 1024)
    assert.deepEqual(small.records, await fileBytes(plain, 0n, 8 * 1024))
    assert.equal(blockingReads.blocking, before, 'no blocking read offered')
  })

  it('a blocking read that fails fails the read, and the next read succeeds', async () => {
    const fs = new MemoryFs({ blockingReads: true })
    const log = await filledLog(fs)
    fs.failNext({ op: 'read' })
    await assert.rejects(log.readRecords(0n, 8 * 1024), /EIO/)
    const r = await log.readRecords(0n, 8 * 1024)
    assert.deepEqual(r.records, await fileBytes(log, 0n, 8 * 1024))
  })

  it('stops blocking for the rest of a turn once they took BLOCKING_READ_TURN_MS in it', async () => {
    // Blocking reads that take 0.4 ms each (bytes no longer cached, say): reads of ten logs
    // started in one turn block until the turn's budget is spent, the rest go through the pool.
    const fs = new MemoryFs({ blockingReads: true })
    const open = fs.open.bind(fs)
    fs.open = async (path: string, mode: OpenMode): Promise<FileHandle> => {
      const h = await open(path, mode)
      const read = h.readBlocking
      if (read === undefined) return h
      return Object.assign(Object.create(h), {
        readBlocking(buf: Uint8Array, offset: number, length: number, position: number): number {
          const until = performance.now() + 0.4
          while (performance.now() < until) {}
          return read.call(h, buf, offset, length, position)
        },
      }) as FileHandle
    }
    const logs = await Promise.all(Array.from({ length: 10 }, () => filledLog(fs)))
    await new Promise((r) => setImmediate(r))
    const before = blockingReads.blocking
    const reads = await Promise.all(logs.map((l) => l.readRecords(0n, 8 * 1024)))
    const blocked = blockingReads.blocking - before
    const most = Math.ceil(BLOCKING_READ_TURN_MS / 0.4)
    assert.ok(blocked >= 1 && blocked <= most, `${blocked} blocking reads in the turn (at most ${most})`)
    for (let i = 0; i < logs.length; i++)
      assert.deepEqual(reads[i].records, await fileBytes(logs[i], 0n, 8 * 1024))
    // The next turn blocks again.
    await new Promise((r) => setImmediate(r))
    const again = blockingReads.blocking
    await logs[0].readRecords(0n, 8 * 1024)
    assert.equal(blockingReads.blocking, again + 1)
  })

  // Last: the policy is process-wide, and its back-off lasts BACKOFF_MS.
  it('after slow blocking reads used up the stall budget, small reads go through the pool', async () => {
    const fs = new MemoryFs({ blockingReads: true })
    const log = await filledLog(fs)
    blockingReads.took(SLOW_BASE_MS + 50, 4096)
    blockingReads.took(SLOW_BASE_MS + 50, 4096)
    assert.equal(blockingReads.allowed(), false)
    assert.ok(BACKOFF_MS >= 1000)
    const before = blockingReads.blocking
    const r = await log.readRecords(0n, 8 * 1024)
    assert.deepEqual(r.records, await fileBytes(log, 0n, 8 * 1024))
    assert.equal(blockingReads.blocking, before, 'through the pool while backed off')
  })
})
