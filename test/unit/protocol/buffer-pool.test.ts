import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { BufferPool, MAX_CLASS, MIN_CLASS } from '../../../src/protocol/buffer-pool.ts'

describe('BufferPool', () => {
  it('hands out views of exactly the size asked, over power-of-two slabs', () => {
    const pool = new BufferPool()
    for (const n of [MIN_CLASS, MIN_CLASS + 1, 1_000_000, 1 << 20, MAX_CLASS]) {
      const b = pool.acquire(n)
      assert.equal(b.length, n)
      const slab = b.buffer.byteLength
      assert.ok(slab >= n && slab < 2 * n + MIN_CLASS, `slab ${slab} for ${n}`)
      assert.equal(slab & (slab - 1), 0)
    }
    assert.equal(pool.allocated, 5)
  })

  it('reuses released slabs for any size of the same class', () => {
    const pool = new BufferPool()
    const a = pool.acquire(700_000)
    pool.release(a)
    const b = pool.acquire(1_000_000)
    assert.equal(b.buffer, a.buffer)
    assert.equal(pool.reused, 1)
    assert.equal(pool.idleSize, 0)
  })

  it('leaves small, huge and foreign buffers to the GC', () => {
    const pool = new BufferPool()
    const small = pool.acquire(100)
    const huge = pool.acquire(MAX_CLASS + 1)
    assert.equal(small.length, 100)
    assert.equal(huge.length, MAX_CLASS + 1)
    pool.release(small)
    pool.release(huge)
    pool.release(Buffer.allocUnsafeSlow(MIN_CLASS))
    assert.equal(pool.idleSize, 0)
    assert.equal(pool.allocated, 0)
  })

  it('keeps a slab released twice only once', () => {
    const pool = new BufferPool()
    const a = pool.acquire(MIN_CLASS)
    pool.release(a)
    pool.release(a.subarray(10))
    assert.equal(pool.idleSize, MIN_CLASS)
    const b = pool.acquire(MIN_CLASS)
    const c = pool.acquire(MIN_CLASS)
    assert.notEqual(b.buffer, c.buffer)
  })

  it('keeps at most maxIdleBytes of idle slabs', () => {
    const pool = new BufferPool({ maxIdleBytes: 3 * MIN_CLASS })
    const bufs = Array.from({ length: 5 }, () => pool.acquire(MIN_CLASS))
    for (const b of bufs) pool.release(b)
    assert.equal(pool.idleSize, 3 * MIN_CLASS)
  })
})
