// Read-ahead for readers that are behind (src/storage/read-ahead.ts): a large read that stops at
// its byte limit starts reading what follows; the next read at that offset takes those bytes and
// answers exactly what a direct read answers (its own maxOffset and maxBytes applied); another
// reader in between, or a truncation, drops it, and its buffer goes back once its read is over.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { splitBatches } from '../../../src/storage/batch-scan.ts'
import type { Log } from '../../../src/storage/log.ts'
import { readAheadBytesHeld } from '../../../src/storage/read-ahead.ts'
import { makeBatch, openTestLog } from '../../support/storage-helpers.ts'

const LIMIT = 100 * 1024

/** 60 batches of ~10 KiB, all below the high watermark (so nothing is answered from the tail cache). */
async function filledLog(): Promise<Log> {
  const { log } = await openTestLog()
  for (let i = 0; i < 60; i++) await log.append(makeBatch(10, { valueBytes: 1000, tag: `${i}` }))
  log.updateHighWatermark(log.logEndOffset)
  return log
}

/** What a direct read (file ranges, no read-ahead) returns. */
async function direct(log: Log, offset: bigint, maxBytes: number, maxOffset?: bigint): Promise<Buffer> {
  const r = await log.read(offset, maxBytes, { maxOffset })
  const parts: Buffer[] = []
  for (const g of r.ranges) {
    const b = Buffer.alloc(g.length)
    await g.file.read(b, 0, g.length, g.position)
    parts.push(b)
  }
  return Buffer.concat(parts)
}

function nextOffset(records: Buffer): bigint {
  const { batches } = splitBatches(records)
  return batches[batches.length - 1].lastOffset + 1n
}

/** Lets a read-ahead's read (and its buffer's return) complete. */
const settle = () => new Promise((r) => setTimeout(r, 20))

describe('read-ahead', () => {
  it('a sequential reader gets the bytes a direct read returns, read ahead', async () => {
    const log = await filledLog()
    const held0 = readAheadBytesHeld()
    let offset = 0n
    let reads = 0
    while (offset < log.logEndOffset) {
      const r = await log.readRecords(offset, LIMIT)
      assert.ok(r.records.length > 0)
      assert.deepEqual(r.records, await direct(log, offset, LIMIT), `read at ${offset}`)
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
    assert.deepEqual(r.records, await direct(log, next, LIMIT, bound))
    assert.ok(nextOffset(r.records) <= bound)
    const again = await log.readRecords(nextOffset(r.records), 20 * 1024)
    assert.deepEqual(again.records, await direct(log, nextOffset(r.records), 20 * 1024))
    await settle()
    assert.equal(readAheadBytesHeld(), held0)
  })

  it('another reader in between drops the read-ahead instead of adding one', async () => {
    const log = await filledLog()
    const held0 = readAheadBytesHeld()
    const a = await log.readRecords(0n, LIMIT)
    assert.ok(readAheadBytesHeld() > held0)
    const b = await log.readRecords(200n, LIMIT)
    assert.deepEqual(b.records, await direct(log, 200n, LIMIT))
    await settle()
    assert.equal(readAheadBytesHeld(), held0, 'dropped, not replaced')
    const a2 = await log.readRecords(nextOffset(a.records), LIMIT)
    assert.deepEqual(a2.records, await direct(log, nextOffset(a.records), LIMIT))
  })

  it('truncation drops the read-ahead: rewritten offsets are read from the file', async () => {
    const log = await filledLog()
    const held0 = readAheadBytesHeld()
    const a = await log.readRecords(0n, LIMIT)
    const next = nextOffset(a.records)
    const old = await direct(log, next, LIMIT)
    await log.truncateTo(next)
    await settle()
    assert.equal(readAheadBytesHeld(), held0)
    for (let i = 0; i < 20; i++) await log.append(makeBatch(10, { valueBytes: 1000, ts: 5000 }))
    log.updateHighWatermark(log.logEndOffset)
    const r = await log.readRecords(next, LIMIT)
    assert.deepEqual(r.records, await direct(log, next, LIMIT))
    assert.notDeepEqual(r.records, old, 'the rewritten batches (other timestamps), not the old ones')
  })
})
