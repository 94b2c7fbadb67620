// FrameReader in read-into mode (readBuffer + commit), as a socket with `onread` drives it: frames
// must come out intact whatever the read sizes, never alias the reused scratch buffer, and split
// bodies must be read straight into one buffer from the pool.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { InternalErrorCode, SamsaError } from '../../../src/common/errors.ts'
import { BufferPool } from '../../../src/protocol/buffer-pool.ts'
import { FrameReader } from '../../../src/protocol/frame-reader.ts'

function framed(bodies: Buffer[]): Buffer {
  const parts: Buffer[] = []
  for (const b of bodies) {
    const size = Buffer.alloc(4)
    size.writeInt32BE(b.length)
    parts.push(size, b)
  }
  return Buffer.concat(parts)
}

/** Feeds `stream` like a socket: each read fills at most `reads[i]` bytes of the lent buffer. */
function feed(r: FrameReader, stream: Buffer, reads: number[]): Buffer[] {
  const got: Buffer[] = []
  let pos = 0
  let i = 0
  while (pos < stream.length) {
    const target = r.readBuffer()
    assert.ok(target.length > 0, 'readBuffer() returned an empty buffer')
    const n = Math.min(target.length, stream.length - pos, Math.max(1, reads[i++ % reads.length]))
    stream.copy(target, 0, pos, pos + n)
    // What the kernel would do to the rest of a reused buffer on the next read.
    target.fill(0xee, n)
    got.push(...r.commit(n))
    pos += n
  }
  // The next read overwrites the scratch buffer: frames returned so far must not change.
  r.readBuffer().fill(0xdd)
  return got
}

describe('FrameReader read-into mode', () => {
  it('returns every frame intact for any read sizes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300_000 }), { maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 200_000 }), { minLength: 1, maxLength: 20 }),
        (arrays, reads) => {
          const bodies = arrays.map((a) => Buffer.from(a))
          const r = new FrameReader({ pool: new BufferPool() })
          const got = feed(r, framed(bodies), reads)
          assert.equal(got.length, bodies.length)
          for (let k = 0; k < bodies.length; k++) assert.ok(got[k].equals(bodies[k]), `frame ${k} differs`)
          assert.ok(r.idle)
        },
      ),
      { numRuns: 60 },
    )
  })

  it('reads a split body straight into one pooled buffer of its size', () => {
    const pool = new BufferPool()
    const r = new FrameReader({ pool })
    const body = Buffer.alloc(1_000_000, 7)
    const stream = framed([body])
    const first = r.readBuffer()
    stream.copy(first, 0, 0, 1000)
    assert.deepEqual(r.commit(1000), [])
    const tail = r.readBuffer()
    assert.equal(tail.length, body.length - 996, 'the next read targets exactly the rest of the body')
    stream.copy(tail, 0, 1000)
    const [frame] = r.commit(tail.length)
    assert.ok(frame.equals(body))
    assert.equal(frame.buffer, tail.buffer, 'no copy after the body buffer was handed out')
    assert.equal(pool.allocated, 1)
    pool.release(frame)
    const again = new FrameReader({ pool })
    feed(again, stream, [5000])
    assert.equal(pool.reused, 1, 'a released body buffer is used again')
  })

  it('copies frames completed in the scratch buffer out of it, one copy per read', () => {
    const r = new FrameReader({ pool: new BufferPool() })
    const bodies = [Buffer.from('one'), Buffer.from('two'), Buffer.from('three')]
    const stream = framed(bodies)
    const target = r.readBuffer()
    stream.copy(target)
    const frames = r.commit(stream.length)
    assert.deepEqual(frames, bodies)
    assert.notEqual(frames[0].buffer, target.buffer)
    assert.equal(frames[0].buffer, frames[2].buffer)
  })

  it('gives a whole frame read alone a pooled buffer, and frames read together one plain copy', () => {
    const pool = new BufferPool()
    const r = new FrameReader({ pool })
    const body = Buffer.alloc(6000, 9)
    const target = r.readBuffer()
    const stream = framed([body])
    stream.copy(target)
    const [frame] = r.commit(stream.length)
    assert.ok(frame.equals(body))
    assert.notEqual(frame.buffer, target.buffer)
    assert.equal(pool.allocated, 1, 'a 6000-byte frame read whole comes from the pool')
    pool.release(frame)
    const two = framed([body, Buffer.alloc(5000, 1)])
    const t2 = r.readBuffer()
    two.copy(t2)
    const frames = r.commit(two.length)
    assert.equal(frames.length, 2)
    assert.equal(frames[0].buffer, frames[1].buffer, 'one copy for both')
    assert.equal(pool.reused, 0, 'never pooled: releasing one frame would free the other')
    pool.release(frames[0])
    assert.equal(
      pool.idleSize,
      8192,
      "only the single frame's 8 KiB slab is idle: the shared copy is not taken in",
    )
  })

  it('refuses a bad size before keeping its body, and stays failed', () => {
    const r = new FrameReader({ maxFrameSize: 100, pool: new BufferPool() })
    const target = r.readBuffer()
    target.writeInt32BE(101, 0)
    const tooLarge = (e: unknown) => e instanceof SamsaError && e.code === InternalErrorCode.FrameTooLarge
    assert.throws(() => r.commit(4), tooLarge)
    r.readBuffer()
    assert.throws(() => r.commit(1), tooLarge)
  })

  it('refuses commit without a matching readBuffer', () => {
    const r = new FrameReader()
    assert.throws(() => r.commit(1), RangeError)
    const b = r.readBuffer()
    assert.throws(() => r.commit(b.length + 1), RangeError)
  })
})
