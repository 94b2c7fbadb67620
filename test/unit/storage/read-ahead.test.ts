// Read-ahead for readers that are behind (src/storage/read-ahead.ts): a large read that stops at
// its byte limit starts reading what follows; the next read at that offset takes those bytes and
// answers exactly what a direct read answers (its own maxOffset and maxBytes applied); another
// reader in between, or a truncation, drops it, and its buffer goes back once its read is over.
// Where a file offers blocking reads, a read-ahead up to 1 MiB is read on the event loop in the
// check phase after the read that started it (two such per turn at most), a larger one through
// the thread pool; a read-ahead that failed leaves the next read to the file.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MemoryFs } from '../../../src/common/memory-fs.ts'
import { blockingReads } from '../../../src/storage/blocking-io.ts'
import type { Log } from '../../../src/storage/log.ts'
import {
  BLOCKING_MAX_BYTES,
  BLOCKING_TURN_BYTES,
  readAheadBytesHeld,
} from '../../../src/storage/read-ahead.ts'
import { fileBytes, makeBatch, nextOffset, openTestLog } from '../../support/storage-helpers.ts'

const LIMIT = 100 * 1024

/**
 * `batches` batches of ~10 KiB, all below the high watermark (so nothing is answered from the tail
 * cache), on a file system whose handles offer blocking reads or not.
 */
async function filledLog(o: { blockingReads?: boolean; batches?: number; fs?: MemoryFs } = {}): Promise<Log> {
  const fs = o.fs ?? new MemoryFs({ blockingReads: o.blockingReads ?? false })
  const dir = `/data/t-${Math.random().toString(36).slice(2)}`
  const { log } = await openTestLog({ fs, dir, config: { segmentBytes: 64 * 1024 * 1024 } })
  for (let i = 0; i < (o.batches ?? 60); i++)
    await log.append(makeBatch(10, { valueBytes: 1000, tag: `${i}` }))
  log.updateHighWatermark(log.logEndOffset)
  return log
}

/** Lets a read-ahead's read (and its buffer's return) complete. */
const settle = () => new Promise((r) => setTimeout(r, 20))
/** Lets the check phase run (where blocking read-aheads are read). */
const checkPhase = () => new Promise((r) => setImmediate(r))

describe('read-ahead', () => {
  it('a sequential reader gets the bytes a direct read returns, read ahead', async () => {
    const log = await filledLog()
    const held0 = readAheadBytesHeld()
    let offset = 0n
    let reads = 0
    while (offset < log.logEndOffset) {
      const r = await log.readRecords(offset, LIMIT)
      assert.ok(r.records.length > 0)
      assert.deepEqual(r.records, await fileBytes(log, offset, LIMIT), `read at ${offset}`)
      offset = nextOffset(r.records)
      if (log.logEndOffset - offset >= 70n) assert.ok(readAheadBytesHeld() > held0, 'a read-ahead is pending')
      reads++
    }
    assert.ok(reads >= 6)
    await settle()
    assert.equal(readAheadBytesHeld(), held0, 'nothing read ahead at the log end')
  })

  it('applies the later read’s own maxOffset and maxBytes to read-ahead bytes', async () => {
    const log = await filledLog()
    const held0 = readAheadBytesHeld()
    const first = await log.readRecords(0n, LIMIT)
    const next = nextOffset(first.records)
    const bound = next + 25n
    const r = await log.readRecords(next, LIMIT, { maxOffset: bound })
    assert.deepEqual(r.records, await fileBytes(log, next, LIMIT, bound))
    assert.ok(nextOffset(r.records) <= bound)
    const again = await log.readRecords(nextOffset(r.records), 20 * 1024)
    assert.deepEqual(again.records, await fileBytes(log, nextOffset(r.records), 20 * 1024))
    await settle()
    assert.equal(readAheadBytesHeld(), held0)
  })

  it('another reader in between drops the read-ahead instead of adding one', async () => {
    const log = await filledLog()
    const held0 = readAheadBytesHeld()
    const a = await log.readRecords(0n, LIMIT)
    assert.ok(readAheadBytesHeld() > held0)
    const b = await log.readRecords(200n, LIMIT)
    assert.deepEqual(b.records, await fileBytes(log, 200n, LIMIT))
    await settle()
    assert.equal(readAheadBytesHeld(), held0, 'dropped, not replaced')
    const a2 = await log.readRecords(nextOffset(a.records), LIMIT)
    assert.deepEqual(a2.records, await fileBytes(log, nextOffset(a.records), LIMIT))
  })

  it('truncation drops the read-ahead: rewritten offsets are read from the file', async () => {
    const log = await filledLog()
    const held0 = readAheadBytesHeld()
    const a = await log.readRecords(0n, LIMIT)
    const next = nextOffset(a.records)
    const old = await fileBytes(log, next, LIMIT)
    await log.truncateTo(next)
    await settle()
    assert.equal(readAheadBytesHeld(), held0)
    for (let i = 0; i < 20; i++) await log.append(makeBatch(10, { valueBytes: 1000, ts: 5000 }))
    log.updateHighWatermark(log.logEndOffset)
    const r = await log.readRecords(next, LIMIT)
    assert.deepEqual(r.records, await fileBytes(log, next, LIMIT))
    assert.notDeepEqual(r.records, old, 'the rewritten batches (other timestamps), not the old ones')
  })

  it('reads a read-ahead on the event loop after the read that started it, and answers the same bytes', async () => {
    const log = await filledLog({ blockingReads: true })
    const held0 = readAheadBytesHeld()
    let offset = 0n
    let started = 0
    while (offset < log.logEndOffset) {
      const before = blockingReads.blocking
      const r = await log.readRecords(offset, LIMIT)
      assert.deepEqual(r.records, await fileBytes(log, offset, LIMIT), `read at ${offset}`)
      offset = nextOffset(r.records)
      if (readAheadBytesHeld() > held0) {
        // Queued, not read yet: the answer goes out first.
        assert.equal(blockingReads.blocking, before, 'not read within the read that started it')
        await checkPhase()
        assert.equal(blockingReads.blocking, before + 1, 'read in the check phase, blocking')
        started++
      }
    }
    assert.ok(started >= 5, `${started} read-aheads`)
    await settle()
    assert.equal(readAheadBytesHeld(), held0)
  })

  it('a read-ahead dropped before the check phase is never read', async () => {
    const log = await filledLog({ blockingReads: true })
    const held0 = readAheadBytesHeld()
    const before = blockingReads.blocking
    await log.readRecords(0n, LIMIT)
    assert.ok(readAheadBytesHeld() > held0)
    await log.readRecords(300n, LIMIT) // another reader: drops it
    await checkPhase()
    await settle()
    // The second read starts none (a read-ahead was pending), and the dropped one was not read.
    assert.equal(blockingReads.blocking, before)
    assert.equal(readAheadBytesHeld(), held0)
  })

  it('reads larger read-aheads, and those past two per turn, through the thread pool', async () => {
    const big = BLOCKING_MAX_BYTES + 64 * 1024
    const logs = await Promise.all([0, 1, 2].map(() => filledLog({ blockingReads: true, batches: 250 })))
    // A read-ahead bigger than BLOCKING_MAX_BYTES: not blocking.
    let before = blockingReads.blocking
    const first = await logs[0].readRecords(0n, big)
    await checkPhase()
    await settle()
    assert.equal(blockingReads.blocking, before, 'read through the thread pool')
    const next = nextOffset(first.records)
    const r = await logs[0].readRecords(next, big)
    assert.deepEqual(r.records, await fileBytes(logs[0], next, big))
    // Three logs each starting a 1 MiB read-ahead in one turn: two fit BLOCKING_TURN_BYTES.
    assert.equal(BLOCKING_TURN_BYTES, 2 * BLOCKING_MAX_BYTES)
    await settle()
    before = blockingReads.blocking
    const reads = await Promise.all(logs.map((l) => l.readRecords(300n, BLOCKING_MAX_BYTES)))
    await checkPhase()
    assert.equal(blockingReads.blocking, before + 2, 'two blocking, the third through the pool')
    for (let i = 0; i < 3; i++) {
      const at = nextOffset(reads[i].records)
      const again = await logs[i].readRecords(at, BLOCKING_MAX_BYTES)
      assert.deepEqual(again.records, await fileBytes(logs[i], at, BLOCKING_MAX_BYTES))
    }
  })

  it('a read-ahead whose read fails leaves the next read to the file', async () => {
    await settle() // the read-aheads earlier tests left queued
    const fs = new MemoryFs({ blockingReads: true })
    const log = await filledLog({ fs })
    const a = await log.readRecords(0n, LIMIT)
    fs.failNext({ op: 'read' })
    const before = blockingReads.blocking
    await checkPhase()
    assert.equal(blockingReads.blocking, before, 'the blocking read failed')
    const next = nextOffset(a.records)
    const r = await log.readRecords(next, LIMIT)
    assert.deepEqual(r.records, await fileBytes(log, next, LIMIT))
  })
})
