// The leader's tail cache (src/storage/tail-cache.ts): fetches of what was just appended are
// answered from the produce bodies in memory, byte for byte what the file holds, with the same
// maxOffset/maxBytes rules; the pool never hands a cached body out again while a cache entry or a
// response still holds it; high-watermark moves, truncations and follower appends behave.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { BufferPool, MIN_CLASS, sharedBufferPool } from '../../../src/protocol/buffer-pool.ts'
import type { Log } from '../../../src/storage/log.ts'
import { fileBytes, makeBatch, openTestLog, recordsOf } from '../../support/storage-helpers.ts'

/** A produce body as the network hands it over: one pooled buffer holding the batches. */
function pooledBody(batches: Buffer): Buffer {
  const body = sharedBufferPool.acquire(batches.length)
  batches.copy(body)
  return body
}

/** The cache's size, through the log's private state (log-state.ts). */
function sizeOfCache(log: Log): number {
  return (log as unknown as { s: { tail: { size: number } } }).s.tail.size
}

describe('tail cache', () => {
  it('answers a fetch of the newest append from the produce body itself, as the file holds it', async () => {
    const { log } = await openTestLog()
    await log.append(makeBatch(10, { valueBytes: 100 }))
    const body = pooledBody(makeBatch(100, { valueBytes: 1000 }))
    assert.ok(body.length >= MIN_CLASS)
    await log.append(body)
    const r = await log.readRecords(10n, 1 << 20)
    assert.equal(r.records.buffer, body.buffer, 'a view of the produce body, not a copy')
    assert.deepEqual(r.records, await fileBytes(log, 10n, 1 << 20))
    assert.equal(r.firstBatchOffset, 10n)
    // The dispatcher gives the body back after the produce; the cache and the response still hold
    // it, so the pool must not hand it out again until both let go.
    sharedBufferPool.release(body)
    const other = sharedBufferPool.acquire(body.length)
    assert.notEqual(other.buffer, body.buffer)
    sharedBufferPool.release(other)
    sharedBufferPool.release(r.records) // the connection, once written
    log.updateHighWatermark(log.logEndOffset) // the ISR has it: the cache lets go
    assert.equal(sizeOfCache(log), 0)
    const again = sharedBufferPool.acquire(body.length)
    assert.equal(again.buffer, body.buffer, 'the body went back to the pool with its last holder')
    sharedBufferPool.release(again)
    await log.close()
  })

  it('spans several appends, stops at maxOffset and maxBytes on batch boundaries, starts mid-append', async () => {
    const { log } = await openTestLog()
    let first = 0
    for (let i = 0; i < 6; i++) {
      // Two batches per append (one produce body), 5 records each.
      const a = makeBatch(5, { valueBytes: 3000 })
      const b = makeBatch(5, { valueBytes: 3000 })
      first = a.length
      await log.append(pooledBody(Buffer.concat([a, b])))
    }
    for (const from of [0n, 5n, 10n, 25n, 55n]) {
      for (const maxOffset of [undefined, 30n, 33n, 60n]) {
        for (const maxBytes of [1, first * 3 + 1, 1 << 20]) {
          const r = await log.readRecords(from, maxBytes, { maxOffset })
          const f = await fileBytes(log, from, maxBytes, maxOffset)
          assert.deepEqual(r.records, f, `from ${from} maxOffset ${maxOffset} maxBytes ${maxBytes}`)
          sharedBufferPool.release(r.records)
        }
      }
    }
    // Inside a batch (not a batch start): the file read answers, with the batch holding it.
    const mid = await log.readRecords(7n, 1 << 20)
    assert.equal(recordsOf(mid.records)[0].offset, 5n)
    await log.close()
  })

  it('is cleared by a truncation, and the file answers after it', async () => {
    const { log } = await openTestLog()
    for (let i = 0; i < 4; i++) await log.append(pooledBody(makeBatch(10, { valueBytes: 2000 })))
    assert.ok(sizeOfCache(log) > 0)
    await log.truncateTo(20n)
    assert.equal(sizeOfCache(log), 0)
    await log.append(pooledBody(makeBatch(7, { valueBytes: 2000 })))
    const r = await log.readRecords(10n, 1 << 20)
    assert.deepEqual(
      recordsOf(r.records).map((x) => x.offset),
      Array.from({ length: 17 }, (_, i) => BigInt(10 + i)),
    )
    assert.deepEqual(r.records, await fileBytes(log, 10n, 1 << 20))
    await log.close()
  })

  it('keeps only leader appends', async () => {
    const { log: leader } = await openTestLog()
    await leader.append(makeBatch(10, { valueBytes: 2000 }))
    const { records } = await leader.readRecords(0n, 1 << 20)
    const { log: follower } = await openTestLog({ dir: '/data/f-0' })
    await follower.appendAsFollower(records)
    assert.equal(sizeOfCache(follower), 0)
    assert.ok(sizeOfCache(leader) > 0)
    await leader.close()
    await follower.close()
  })
})

describe('BufferPool.retain', () => {
  it('returns a slab only after the last holder released it', () => {
    const pool = new BufferPool()
    const a = pool.acquire(MIN_CLASS)
    pool.retain(a.subarray(10, 20))
    pool.release(a)
    assert.notEqual(pool.acquire(MIN_CLASS).buffer, a.buffer, 'still held')
    pool.release(a.subarray(10, 20))
    assert.equal(pool.acquire(MIN_CLASS).buffer, a.buffer, 'back after the last release')
    // Foreign memory: both are no-ops.
    const foreign = Buffer.alloc(MIN_CLASS)
    pool.retain(foreign)
    pool.release(foreign)
    assert.equal(pool.idleSize, 0)
  })
})
