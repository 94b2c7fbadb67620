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

  it('makes room for another size by dropping idle slabs of the size holding the most', () => {
    const M = 1 << 20
    const pool = new BufferPool({ maxIdleBytes: 8 * M })
    // A burst of 1 MiB requests fills the idle budget with 1 MiB slabs.
    const burst = Array.from({ length: 8 }, () => pool.acquire(M))
    const small = [pool.acquire(64 * 1024), pool.acquire(64 * 1024)]
    for (const b of burst) pool.release(b)
    assert.equal(pool.idleSize, 8 * M)
    // Two 64 KiB buffers released afterwards are kept: one idle 1 MiB slab goes for them.
    for (const b of small) pool.release(b)
    assert.equal(pool.idleSize, 7 * M + 128 * 1024)
    assert.equal(pool.dropped, 1)
    // A 4 MiB read afterwards: released, it takes the room of four idle 1 MiB slabs...
    const big = pool.acquire(4 * M)
    pool.release(big)
    assert.equal(pool.idleSize, 7 * M + 128 * 1024)
    assert.equal(pool.dropped, 5)
    // ...so the next 4 MiB read reuses it instead of allocating again.
    const allocated = pool.allocated
    const again = pool.acquire(4 * M)
    assert.equal(again.buffer, big.buffer)
    assert.equal(pool.allocated, allocated)
    // 1 MiB slabs are still there for the 1 MiB requests.
    assert.equal(pool.acquire(M).length, M)
    assert.equal(pool.allocated, allocated)
  })

  it('drops nothing when even all other sizes would not make room', () => {
    const M = 1 << 20
    const pool = new BufferPool({ maxIdleBytes: 4 * M })
    const ones = [pool.acquire(M), pool.acquire(M)]
    const twos = [pool.acquire(2 * M), pool.acquire(2 * M)]
    pool.release(twos[0])
    pool.release(ones[0])
    pool.release(ones[1])
    assert.equal(pool.idleSize, 4 * M)
    pool.release(twos[1]) // its own class (2 MiB) plus itself fill the budget: 1 MiB slabs go
    assert.equal(pool.idleSize, 4 * M)
    assert.equal(pool.dropped, 2)
    const three = pool.acquire(4 * M)
    const four = pool.acquire(8 * M)
    pool.release(four) // larger than the whole budget: kept out, nothing dropped
    assert.equal(pool.dropped, 2)
    pool.release(three) // the two 2 MiB slabs make room for it
    assert.equal(pool.idleSize, 4 * M)
    assert.equal(pool.dropped, 4)
  })
})
