import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { InternalErrorCode, SamsaError } from '../../../src/common/errors.ts'
import { Compression } from '../../../src/records/batch-header.ts'
import { codecByName, codecName, compress, decompress } from '../../../src/records/compression/index.ts'
import { xxh32 } from '../../../src/records/compression/lz4.ts'
import { throwsCode } from './assert-error.ts'

const lz4napi = createRequire(import.meta.url)('lz4-napi') as {
  compressFrameSync(b: Buffer, o?: { blockChecksums?: boolean; contentChecksum?: boolean }): Buffer
  decompressFrameSync(b: Buffer): Buffer
}
const CODECS = [Compression.none, Compression.gzip, Compression.snappy, Compression.lz4, Compression.zstd]
const MiB = 1024 * 1024
const E = InternalErrorCode.Compression

/** Compressible but not trivial: repeated words with random ones mixed in. */
function sample(n: number): Buffer {
  const words = ['kafka', 'samsa', 'record', 'batch', 'offset', 'topic']
  let s = ''
  while (s.length < n)
    s += `${words[s.length % 6]} ${s.length % 7 === 0 ? randomBytes(3).toString('hex') : ''} `
  return Buffer.from(s.slice(0, n))
}

describe('round trips', () => {
  for (const codec of CODECS) {
    test(`${codecName(codec)}: decompress(compress(x)) = x`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 4000 }), (bytes) => {
          const buf = Buffer.from(bytes)
          assert.deepEqual(decompress(codec, compress(codec, buf)), buf)
        }),
        { numRuns: 60 },
      )
      const big = sample(300_000)
      assert.deepEqual(decompress(codec, compress(codec, big)), big)
    })
    test(`${codecName(codec)}: a limit equal to the size is enough`, () => {
      for (const n of [0, 1, 100, 70_000, 300_000]) {
        const buf = n % 2 === 0 ? sample(n) : randomBytes(n)
        assert.deepEqual(decompress(codec, compress(codec, buf), n), buf)
      }
    })
  }
  test('snappy xerial framing round trips, across several 32 KiB chunks', () => {
    for (const n of [0, 1, 32 * 1024, 100_000]) {
      const buf = sample(n)
      const framed = compress(Compression.snappy, buf, { snappyFraming: 'xerial' })
      assert.equal(framed.subarray(0, 8).toString('latin1'), '\x82SNAPPY\x00')
      assert.deepEqual(decompress(Compression.snappy, framed), buf)
    }
  })
  test('codec names', () => {
    assert.equal(codecByName('zstd'), Compression.zstd)
    assert.equal(codecByName('producer'), undefined)
    assert.equal(codecName(7), 'unknown(7)')
  })
})

describe('snappy formats', () => {
  // Raw blocks built by hand from the format: varint length preamble, then elements.
  // "hello": literal of 5 (tag (5-1)<<2 = 0x10).
  const hello = Buffer.from([0x05, 0x10, ...Buffer.from('hello')])
  // "abcabcabc": literal "abc" (tag 0x08), then copy length 6 offset 3 (tag ((6-4)<<2)|1, offset 3).
  const abc = Buffer.from([0x09, 0x08, ...Buffer.from('abc'), 0x09, 0x03])

  function xerial(...chunks: Buffer[]): Buffer {
    const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1])
    const parts: Buffer[] = [header]
    for (const c of chunks) {
      const len = Buffer.alloc(4)
      len.writeInt32BE(c.length)
      parts.push(len, c)
    }
    return Buffer.concat(parts)
  }

  test('hand-built raw blocks decode', () => {
    assert.equal(decompress(Compression.snappy, hello).toString(), 'hello')
    assert.equal(decompress(Compression.snappy, abc).toString(), 'abcabcabc')
  })
  test('a hand-built xerial stream (as the Java client sends) decodes', () => {
    assert.equal(decompress(Compression.snappy, xerial(hello, abc)).toString(), 'helloabcabcabc')
    assert.equal(decompress(Compression.snappy, xerial(abc)).toString(), 'abcabcabc')
    assert.equal(decompress(Compression.snappy, xerial()).length, 0)
  })
  test('concatenated xerial streams decode as one', () => {
    const two = Buffer.concat([xerial(hello), xerial(abc)])
    assert.equal(decompress(Compression.snappy, two).toString(), 'helloabcabcabc')
  })
  test('broken xerial streams are compression errors', () => {
    const ok = xerial(hello, abc)
    for (let cut = 1; cut < ok.length; cut++) {
      // A cut right after the header or between chunks is a valid shorter stream.
      if (cut === 16 || cut === 16 + 4 + hello.length) continue
      throwsCode(() => decompress(Compression.snappy, ok.subarray(0, cut)), E)
    }
    const badLen = Buffer.from(ok)
    badLen.writeInt32BE(-5, 16)
    throwsCode(() => decompress(Compression.snappy, badLen), E, /chunk length/)
  })
  test('announced sizes over the limit are refused before inflating', () => {
    // Preamble says 2^30 bytes; the body is nonsense and is never looked at.
    const claim = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x04, 0x00])
    throwsCode(() => decompress(Compression.snappy, claim, 64 * MiB), E, /exceeds the limit/)
    throwsCode(() => decompress(Compression.snappy, xerial(hello, claim), 64 * MiB), E, /exceeds the limit/)
  })
})

describe('lz4 frames', () => {
  // Header for FLG 0x60 (version 1, independent blocks), BD 0x40 (64 KiB); HC = 0x82.
  const header = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82])
  const end = Buffer.alloc(4)
  function block(data: Buffer, stored: boolean): Buffer {
    const len = Buffer.alloc(4)
    len.writeUInt32LE((data.length | (stored ? 0x80000000 : 0)) >>> 0)
    return Buffer.concat([len, data])
  }
  // A compressed block that is one literal-only sequence: token 0x50, "hello".
  const helloBlock = block(Buffer.from([0x50, ...Buffer.from('hello')]), false)

  test('hand-built frames with stored and compressed blocks decode', () => {
    const frame = Buffer.concat([header, block(Buffer.from('raw!'), true), helloBlock, end])
    assert.equal(decompress(Compression.lz4, frame).toString(), 'raw!hello')
  })
  test("our output is the frame Java writes, and lz4_flex's own frame decoder reads it", () => {
    for (const buf of [sample(0), sample(1000), sample(300_000), randomBytes(70_000)]) {
      const out = compress(Compression.lz4, buf)
      assert.deepEqual(out.subarray(0, 7), header)
      assert.deepEqual(lz4napi.decompressFrameSync(out), buf)
    }
    // Incompressible input is stored: block size word with bit 31 set.
    const stored = compress(Compression.lz4, randomBytes(1000))
    assert.equal(stored.readUInt32LE(7), (0x80000000 | 1000) >>> 0)
  })
  test('frames written by lz4_flex, with block and content checksums, decode', () => {
    const buf = sample(300_000)
    for (const options of [{}, { blockChecksums: true, contentChecksum: true }]) {
      assert.deepEqual(decompress(Compression.lz4, lz4napi.compressFrameSync(buf, options)), buf)
    }
  })
  test('linked blocks (block independence off) decode through the frame decoder', () => {
    const desc = Buffer.from([0x40, 0x40]) // version 1, linked blocks; 64 KiB
    const linkedHeader = Buffer.concat([
      header.subarray(0, 4),
      desc,
      Buffer.from([(xxh32(desc, 0, 2) >>> 8) & 0xff]),
    ])
    // Block 1: literals "hello world". Block 2: a match of 11 at distance 11 (into block 1), then "!".
    const b1 = block(Buffer.from([0xb0, ...Buffer.from('hello world')]), false)
    const b2 = block(Buffer.from([0x07, 0x0b, 0x00, 0x10, 0x21]), false)
    const frame = Buffer.concat([linkedHeader, b1, b2, end])
    assert.equal(decompress(Compression.lz4, frame).toString(), 'hello worldhello world!')
  })
  test('concatenated frames decode as one', () => {
    const a = sample(70_000)
    const b = sample(5)
    const two = Buffer.concat([compress(Compression.lz4, a), compress(Compression.lz4, b)])
    assert.deepEqual(decompress(Compression.lz4, two), Buffer.concat([a, b]))
  })
  test('truncated frames are errors (the native decoder alone would accept some)', () => {
    const frame = compress(Compression.lz4, sample(200_000))
    for (const cut of [0, 3, 4, 6, 7, 11, 100, frame.length - 4, frame.length - 1]) {
      throwsCode(() => decompress(Compression.lz4, frame.subarray(0, cut)), E)
    }
    throwsCode(() => decompress(Compression.lz4, Buffer.concat([header])), E, /end mark/)
  })
  test('our header checksum agrees with the frame header lz4_flex writes', () => {
    const theirs = lz4napi.compressFrameSync(sample(10))
    assert.equal(theirs[6], (xxh32(theirs, 4, 6) >>> 8) & 0xff)
  })
  test('header checksum, reserved bits, dictionaries and oversize blocks are refused', () => {
    const badHc = Buffer.concat([header, helloBlock, end])
    badHc[6] ^= 0xff
    throwsCode(() => decompress(Compression.lz4, badHc), E)
    const reserved = Buffer.concat([header, helloBlock, end])
    reserved[5] |= 0x01
    throwsCode(() => decompress(Compression.lz4, reserved), E, /reserved/)
    const dict = Buffer.concat([header, helloBlock, end])
    dict[4] |= 0x01
    throwsCode(() => decompress(Compression.lz4, dict), E, /dictionary/)
    const huge = Buffer.alloc(4)
    huge.writeUInt32LE(70_000)
    throwsCode(() => decompress(Compression.lz4, Buffer.concat([header, huge])), E, /block max size/)
  })
})

describe('decompression bombs are bounded', () => {
  const zeros = Buffer.alloc(16 * MiB)
  for (const codec of CODECS) {
    test(`${codecName(codec)}: 16 MiB of zeros against a 1 MiB limit`, () => {
      const packed = compress(codec, zeros)
      if (codec !== Compression.none) assert.ok(packed.length < MiB, 'the bomb is small')
      throwsCode(() => decompress(codec, packed, MiB), E, /limit/)
      assert.equal(decompress(codec, packed, 16 * MiB).length, 16 * MiB)
    })
  }
})

describe('hostile input', () => {
  test('unknown codecs are compression errors', () => {
    for (const codec of [5, 6, 7, -1]) {
      throwsCode(() => decompress(codec, Buffer.from('x')), E, /unknown/)
      throwsCode(() => compress(codec, Buffer.from('x')), E, /unknown/)
    }
  })
  test('random and mutated input yields output within the limit or a compression error', () => {
    const originals = CODECS.filter((c) => c !== Compression.none).map(
      (c) => [c, compress(c, sample(3000))] as const,
    )
    fc.assert(
      fc.property(
        fc.constantFrom(...originals),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat({ max: 3100 }),
        ([codec, packed], edits, cut) => {
          const buf = Buffer.from(packed.subarray(0, Math.max(1, packed.length - (cut % 40))))
          for (const [at, v] of edits) buf[at % buf.length] = v
          try {
            assert.ok(decompress(codec, buf, 4000).length <= 4000)
          } catch (err) {
            assert.ok(err instanceof SamsaError && err.code === E, String(err))
          }
        },
      ),
      { numRuns: 2000 },
    )
  })
})
