// Log.readRecords memory: a reader that is caught up gets a buffer sized by the bytes after its
// position (not by maxBytes), large reads come from the shared buffer pool, and an empty read
// holds no buffer at all. (A 1 MiB buffer per small fetch made the GC run every 30 ms under a
// 10k msg/s end-to-end load.)

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MIN_CLASS, sharedBufferPool } from '../../../src/protocol/buffer-pool.ts'
import { splitBatches } from '../../../src/storage/batch-scan.ts'
import { makeBatch, openTestLog } from '../../support/storage-helpers.ts'

describe('Log.readRecords buffers', () => {
  it('sizes a tail read by what follows the fetch position', async () => {
    const { log } = await openTestLog({ config: { indexIntervalBytes: 1 } })
    for (let i = 0; i < 200; i++) await log.append(makeBatch(5, { valueBytes: 100 }))
    const tailStart = log.logEndOffset - 5n
    const tail = await log.readRecords(tailStart, 8 << 20)
    assert.equal(splitBatches(tail.records).batches.length, 1)
    // Not an 8 MiB buffer: Node's shared small-allocation pool at most.
    assert.ok(tail.records.buffer.byteLength <= Buffer.poolSize, `${tail.records.buffer.byteLength}`)
    const none = await log.readRecords(log.logEndOffset, 8 << 20)
    assert.equal(none.records.length, 0)
    assert.equal(none.records.buffer.byteLength, 0)
  })

  it('takes large reads from the shared pool, which reuses them once released', async () => {
    const { log } = await openTestLog()
    for (let i = 0; i < 40; i++) await log.append(makeBatch(50, { valueBytes: 100 }))
    const r = await log.readRecords(0n, 8 << 20)
    assert.ok(r.records.length >= MIN_CLASS, `read ${r.records.length} bytes`)
    const before = sharedBufferPool.reused
    sharedBufferPool.release(r.records)
    const again = await log.readRecords(0n, 8 << 20)
    assert.equal(sharedBufferPool.reused, before + 1)
    assert.equal(again.records.buffer, r.records.buffer, 'the same slab again')
    assert.equal(splitBatches(again.records).batches.length, 40)
  })
})
