import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { InternalErrorCode, SamsaError } from '../../../src/common/errors.ts'
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

function sizePrefix(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeInt32BE(n)
  return b
}

function isCode(code: string) {
  return (e: unknown) => e instanceof SamsaError && e.code === code
}

describe('FrameReader', () => {
  it('returns frames inside one chunk as zero-copy views', () => {
    const bodies = [Buffer.from('hello'), Buffer.alloc(0), Buffer.from('world!')]
    const chunk = framed(bodies)
    const frames = new FrameReader().push(chunk)
    assert.deepEqual(frames, bodies)
    assert.equal(frames[0].buffer, chunk.buffer)
    assert.equal(frames[0].byteOffset, chunk.byteOffset + 4)
    assert.equal(frames[2].buffer, chunk.buffer)
  })

  it('assembles a size prefix and a body split one byte at a time', () => {
    const body = Buffer.from('split into single bytes')
    const stream = framed([body])
    const r = new FrameReader()
    const got: Buffer[] = []
    for (let i = 0; i < stream.length; i++) {
      got.push(...r.push(stream.subarray(i, i + 1)))
      if (i < stream.length - 1) assert.equal(r.bufferedBytes, i + 1)
    }
    assert.deepEqual(got, [body])
    assert.equal(r.bufferedBytes, 0)
    assert.ok(r.idle)
  })

  it('returns a body that arrives whole after a split size prefix without copying', () => {
    const stream = framed([Buffer.from('abcdef')])
    const r = new FrameReader()
    assert.deepEqual(r.push(stream.subarray(0, 2)), [])
    const rest = stream.subarray(2)
    const frames = r.push(rest)
    assert.deepEqual(frames, [Buffer.from('abcdef')])
    assert.equal(frames[0].buffer, rest.buffer)
  })

  it('yields the same frames for any split of a stream (property)', () => {
    const body = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a))
    fc.assert(
      fc.property(
        fc.array(body, { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (bodies, cutSeeds) => {
          const stream = framed(bodies)
          const cuts = [...new Set(cutSeeds.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b)
          const r = new FrameReader({ maxFrameSize: 300 })
          const got: Buffer[] = []
          let prev = 0
          for (const c of [...cuts, stream.length]) {
            got.push(...r.push(stream.subarray(prev, c)))
            prev = c
          }
          assert.deepEqual(got, bodies)
          assert.ok(r.idle)
          assert.equal(r.bufferedBytes, 0)
        },
      ),
      { numRuns: 500 },
    )
  })

  it('refuses an oversized frame from its size prefix alone, before any body byte', () => {
    const r = new FrameReader({ maxFrameSize: 1024 })
    assert.throws(() => r.push(sizePrefix(1025)), isCode(InternalErrorCode.FrameTooLarge))
    assert.equal(r.bufferedBytes, 0)
    // The reader stays failed.
    assert.throws(() => r.push(framed([Buffer.from('x')])), isCode(InternalErrorCode.FrameTooLarge))
  })

  it('refuses 2^31-1 even when the prefix arrives byte by byte', () => {
    const r = new FrameReader()
    const prefix = sizePrefix(0x7fffffff)
    for (let i = 0; i < 3; i++) assert.deepEqual(r.push(prefix.subarray(i, i + 1)), [])
    assert.throws(() => r.push(prefix.subarray(3)), isCode(InternalErrorCode.FrameTooLarge))
    assert.equal(r.bufferedBytes, 0)
  })

  it('refuses negative sizes as invalid', () => {
    for (const n of [-1, -2, -0x80000000]) {
      const r = new FrameReader()
      assert.throws(() => r.push(sizePrefix(n)), isCode(InternalErrorCode.FrameInvalid))
    }
  })

  it('emits the frames before a bad size and then fails', () => {
    const good = framed([Buffer.from('ok')])
    const r = new FrameReader({ maxFrameSize: 10 })
    assert.deepEqual(r.push(good), [Buffer.from('ok')])
    assert.throws(
      () => r.push(Buffer.concat([sizePrefix(11), Buffer.alloc(11)])),
      isCode(InternalErrorCode.FrameTooLarge),
    )
  })

  it('accepts a frame of exactly the maximum and holds only what was received', () => {
    const max = 64 * 1024
    const body = Buffer.alloc(max, 7)
    const stream = framed([body])
    const r = new FrameReader({ maxFrameSize: max })
    assert.deepEqual(r.push(stream.subarray(0, 10)), [])
    assert.equal(r.bufferedBytes, 10)
    assert.deepEqual(r.push(stream.subarray(10, 1000)), [])
    assert.equal(r.bufferedBytes, 1000)
    assert.deepEqual(r.push(stream.subarray(1000)), [body])
    assert.equal(r.bufferedBytes, 0)
  })

  it('rejects an impossible maximum', () => {
    assert.throws(() => new FrameReader({ maxFrameSize: -1 }), RangeError)
    assert.throws(() => new FrameReader({ maxFrameSize: 2 ** 31 }), RangeError)
  })
})
