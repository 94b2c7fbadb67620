import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import fc from 'fast-check'
import {
  crc32c,
  crc32cAddon,
  crc32cImplementation,
  crc32cJs,
  crc32cJsPortable,
  crc32cNative,
  crc32cNodeRs,
} from '../../../src/protocol/primitives/crc32c.ts'

const CHECK = Buffer.from('123456789')

/** Bit-at-a-time reference, independent of the tables. */
function reference(buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = 0xffffffff
  for (let i = start; i < end; i++) {
    crc ^= buf[i]
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1
  }
  return ~crc >>> 0
}

test('standard check value of "123456789" is 0xE3069283', () => {
  assert.equal(reference(CHECK), 0xe3069283)
  assert.equal(crc32cJs(CHECK), 0xe3069283)
  assert.equal(crc32cJsPortable(CHECK), 0xe3069283)
  assert.equal(crc32c(CHECK), 0xe3069283)
  if (crc32cNative !== null) assert.equal(crc32cNative(CHECK), 0xe3069283)
})

test('the addon is the default, then @node-rs/crc32, unless SAMSA_CRC32C picks one', () => {
  const choice = process.env.SAMSA_CRC32C
  const expected =
    choice === 'js'
      ? 'js'
      : choice === 'node-rs' || crc32cAddon === null
        ? crc32cNodeRs === null
          ? 'js'
          : 'node-rs'
        : 'addon'
  assert.equal(crc32cImplementation, expected)
  assert.equal(crc32cNative === null, expected === 'js')
  // @node-rs/crc32 is a dependency: it always loads.
  assert.notEqual(crc32cNodeRs, null)
})

test('JS equals the bitwise reference and native on random ranges of a shared buffer', () => {
  // One big buffer so that subarray byteOffsets take every alignment.
  const big = randomBytes(1 << 16)
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 4095 }),
      fc.integer({ min: 0, max: 3000 }),
      fc.integer({ min: 0, max: 3000 }),
      (off, start, len) => {
        const view = big.subarray(off, off + 8192)
        const s = Math.min(start, view.length)
        const e = Math.min(s + len, view.length)
        const js = crc32cJs(view, s, e)
        assert.equal(js, reference(view, s, e))
        assert.equal(crc32cJsPortable(view, s, e), js)
        if (crc32cNative !== null) assert.equal(js, crc32cNative(view, s, e))
        assert.equal(js, crc32c(view, s, e))
      },
    ),
    { numRuns: 500 },
  )
})

test('JS equals native on large random buffers at odd offsets', () => {
  const big = randomBytes((1 << 20) + 7)
  for (const off of [0, 1, 2, 3, 5, 7]) {
    const view = big.subarray(off)
    const expected = crc32cNative === null ? reference(view) : crc32cNative(view)
    assert.equal(crc32cJs(view), expected)
    assert.equal(crc32cJsPortable(view), expected)
  }
})

test('initial continues a CRC across pieces', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(), (bytes, cut) => {
      const buf = Buffer.from(bytes)
      const at = buf.length === 0 ? 0 : cut % (buf.length + 1)
      assert.equal(crc32cJs(buf, at, buf.length, crc32cJs(buf, 0, at)), reference(buf))
      assert.equal(crc32cJsPortable(buf, at, buf.length, crc32cJsPortable(buf, 0, at)), reference(buf))
    }),
    { numRuns: 300 },
  )
})
