// What must never be misread: corrupted bytes, legacy message sets, truncated tails, and hostile
// record contents. Every failure is a SamsaError with a records code; nothing else is thrown.

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { crc32 } from 'node:zlib'
import fc from 'fast-check'
import { InternalErrorCode, SamsaError } from '../../../src/common/errors.ts'
import { crc32c } from '../../../src/protocol/primitives/crc32c.ts'
import {
  BATCH_HEADER_SIZE,
  BatchProblem,
  Compression,
  CRC_START,
  checkBatch,
} from '../../../src/records/batch-header.ts'
import { buildBatch, buildControlBatch } from '../../../src/records/builder.ts'
import { codecName } from '../../../src/records/compression/index.ts'
import { batchRecords, iterateRecords, readBatches } from '../../../src/records/record-iterator.ts'
import { throwsCode } from './assert-error.ts'

const CODECS = [Compression.none, Compression.gzip, Compression.snappy, Compression.lz4, Compression.zstd]
const CORRUPT = InternalErrorCode.CorruptBatch
const LEGACY = InternalErrorCode.LegacyMessageFormat

function sampleBatch(codec: Compression, baseOffset = 0n): Buffer {
  return buildBatch(
    [
      {
        key: 'user-1',
        value: 'first value',
        headers: [{ key: 'trace', value: Buffer.from([1, 2, 3]) }],
        timestamp: 1000,
      },
      { key: null, value: null, timestamp: 999 },
      { key: 'user-2', value: 'x'.repeat(300), timestamp: 1500 },
    ],
    { compression: codec, baseOffset, producerId: 5n, producerEpoch: 1, baseSequence: 0 },
  )
}

function fixCrc(batch: Buffer): void {
  batch.writeUInt32BE(crc32c(batch, CRC_START, batch.length), 17)
}

describe('CRC-32C covers attributes to the end', () => {
  const batches = [
    ...CODECS.map((c) => [codecName(c), sampleBatch(c)] as const),
    ['control', buildControlBatch('abort', 1n, 0, 2)] as const,
  ]
  for (const [name, batch] of batches) {
    test(`${name}: flipping any one byte in the covered range fails the check`, () => {
      assert.equal(checkBatch(batch), BatchProblem.ok)
      for (let i = CRC_START; i < batch.length; i++) {
        for (const mask of [0x01, 0x80, 0xff]) {
          const bad = Buffer.from(batch)
          bad[i] ^= mask
          // A flip that makes recordsCount or lastOffsetDelta negative is caught even earlier.
          const early = (i >= 23 && i < 27) || (i >= 57 && i < 61) ? BatchProblem.invalid : BatchProblem.crc
          const problem = checkBatch(bad)
          assert.ok(problem === BatchProblem.crc || problem === early, `byte ${i} ^ ${mask}: ${problem}`)
        }
      }
      for (let i = 17; i < CRC_START; i++) {
        const bad = Buffer.from(batch)
        bad[i] ^= 0x10
        assert.equal(checkBatch(bad), BatchProblem.crc, `stored CRC byte ${i}`)
      }
      const bad = Buffer.from(batch)
      bad[batch.length - 1] ^= 1
      throwsCode(() => batchRecords(bad), CORRUPT, /CRC/)
    })
  }
})

/** A legacy message set entry: offset, size, then crc32 over magic..end. */
function legacyMessage(magic: 0 | 1, key: string | null, value: string, attributes = 0): Buffer {
  const k = key === null ? null : Buffer.from(key)
  const v = Buffer.from(value)
  const body = Buffer.alloc(2 + (magic === 1 ? 8 : 0) + 4 + (k?.length ?? 0) + 4 + v.length)
  let p = body.writeInt8(magic, 0)
  p = body.writeInt8(attributes, p)
  if (magic === 1) p = body.writeBigInt64BE(1_700_000_000_000n, p)
  p = body.writeInt32BE(k === null ? -1 : k.length, p)
  if (k !== null) p += k.copy(body, p)
  p = body.writeInt32BE(v.length, p)
  v.copy(body, p)
  const head = Buffer.alloc(16)
  head.writeBigInt64BE(0n, 0)
  head.writeInt32BE(4 + body.length, 8)
  head.writeUInt32BE(crc32(body), 12)
  return Buffer.concat([head, body])
}

describe('legacy message sets (magic 0 and 1) are refused, never misparsed', () => {
  for (const magic of [0, 1] as const) {
    test(`magic ${magic}`, () => {
      const set = Buffer.concat([legacyMessage(magic, 'k', 'hello'), legacyMessage(magic, null, 'world', 1)])
      assert.equal(checkBatch(set), BatchProblem.legacyFormat)
      throwsCode(() => [...readBatches(set)], LEGACY, new RegExp(`magic ${magic}.*record batches v2`))
      throwsCode(() => batchRecords(set), LEGACY)
      throwsCode(() => iterateRecords(set).next(), LEGACY)
      // Also when it follows a valid v2 batch: the v2 batch is seen, then the refusal.
      const v2 = sampleBatch(Compression.none)
      const mixed = Buffer.concat([v2, set])
      const it = readBatches(mixed)
      assert.equal(it.next().done, false)
      throwsCode(() => it.next(), LEGACY, new RegExp(`at byte ${v2.length}`))
      // Even a legacy message cut short is recognised by its magic.
      throwsCode(() => [...readBatches(set.subarray(0, 20))], LEGACY)
    })
  }
  test('other unknown magics are corrupt batches', () => {
    const bad = sampleBatch(Compression.none)
    bad.writeInt8(3, 16)
    assert.equal(checkBatch(bad), BatchProblem.unknownMagic)
    throwsCode(() => [...readBatches(bad)], CORRUPT, /magic 3/)
    throwsCode(() => batchRecords(bad), CORRUPT, /magic 3/)
  })
})

describe('truncated tails', () => {
  test('readBatches yields exactly the complete batches and returns where they end', () => {
    const batches = CODECS.map((c, i) => sampleBatch(c, BigInt(i * 3)))
    const all = Buffer.concat(batches)
    const ends: number[] = []
    for (const b of batches) ends.push((ends.at(-1) ?? 0) + b.length)
    for (let cut = 0; cut <= all.length; cut++) {
      const it = readBatches(all, 0, cut)
      let n = 0
      let r = it.next()
      while (!r.done) {
        n++
        r = it.next()
      }
      const complete = ends.filter((e) => e <= cut).length
      assert.equal(n, complete, `cut ${cut}`)
      assert.equal(r.value, complete === 0 ? 0 : ends[complete - 1], `cut ${cut}`)
    }
  })
  test('iterating a cut batch is a corrupt-batch error at every cut point', () => {
    for (const codec of CODECS) {
      const batch = sampleBatch(codec)
      for (let cut = 0; cut < batch.length; cut++) {
        const part = batch.subarray(0, cut)
        assert.notEqual(checkBatch(part), BatchProblem.ok)
        throwsCode(() => batchRecords(part), CORRUPT)
      }
    }
  })
  test('a batch length below the header size is corrupt, not a partial tail', () => {
    const bad = sampleBatch(Compression.none)
    bad.writeInt32BE(10, 8)
    throwsCode(() => [...readBatches(bad)], CORRUPT, /impossible length/)
  })
})

describe('malformed records (with a valid CRC) are corrupt-batch errors', () => {
  // Uncompressed batch with one record whose bytes we patch; CRC recomputed so the record
  // decoder, not the checksum, has to notice.
  function withRecordBytes(recordBytes: number[], count = 1): Buffer {
    const base = buildBatch([], {})
    const batch = Buffer.concat([base, Buffer.from(recordBytes)])
    batch.writeInt32BE(batch.length - 12, 8)
    batch.writeInt32BE(count, 57)
    fixCrc(batch)
    return batch
  }
  // Body: attributes, timestampDelta, offsetDelta, keyLength 0, valueLength 1, 'a', headerCount:
  // 7 bytes. Varints are zig-zag: -1 -> 1, 1 -> 2, 7 -> 14.
  const ok = [14, 0, 0, 0, 0, 2, 0x61, 0]
  test('a well-formed hand-built record decodes', () => {
    const [r] = batchRecords(withRecordBytes(ok.concat()))
    assert.equal(r.key?.length, 0)
    assert.equal(r.value?.toString(), 'a')
  })
  const cases: [string, number[], number?][] = [
    ['record length beyond the batch', [40, 0, 0, 0, 0, 2, 0x61, 0]],
    ['record length negative', [3, 0, 0, 0, 0, 2, 0x61, 0]],
    ['record length too small', [2, 0, 0]],
    ['trailing bytes inside the record', [16, 0, 0, 0, 0, 2, 0x61, 0, 0]],
    ['key length -2', [14, 0, 0, 0, 3, 2, 0x61, 0]],
    ['value length past the record', [14, 0, 0, 0, 0, 6, 0x61, 0]],
    ['negative header count', [14, 0, 0, 0, 0, 2, 0x61, 1]],
    ['header count past the record', [14, 0, 0, 0, 0, 2, 0x61, 6]],
    ['header key length negative', [16, 0, 0, 0, 0, 2, 0x61, 2, 1]],
    ['negative offset delta', [14, 0, 0, 1, 0, 2, 0x61, 0]],
    ['unterminated varint', [12, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
    ['more records announced than present', ok, 2],
    ['bytes after the announced records', [...ok, ...ok], 1],
  ]
  for (const [name, recordBytes, count] of cases) {
    test(name, () => {
      throwsCode(() => batchRecords(withRecordBytes(recordBytes, count)), CORRUPT)
    })
  }
  test('a count of 2^31-1 with one record fails cheaply', () => {
    throwsCode(() => batchRecords(withRecordBytes(ok, 0x7fffffff)), CORRUPT, /announces/)
  })
  test('negative record count is refused by the header check', () => {
    throwsCode(() => batchRecords(withRecordBytes(ok, -1)), CORRUPT, /negative/)
  })
  test('an unknown compression codec in the attributes is a compression error', () => {
    const batch = withRecordBytes(ok)
    batch.writeInt16BE(6, 21)
    fixCrc(batch)
    throwsCode(() => batchRecords(batch), InternalErrorCode.Compression, /unknown/)
  })
  test('random mutations of records (CRC fixed up) yield records or a records error, never anything else', () => {
    const originals = CODECS.map((c) => sampleBatch(c))
    fc.assert(
      fc.property(
        fc.constantFrom(...originals),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 5 }),
        (original, edits) => {
          const batch = Buffer.from(original)
          const span = batch.length - BATCH_HEADER_SIZE
          for (const [at, v] of edits) batch[BATCH_HEADER_SIZE + (at % span)] = v
          fixCrc(batch)
          try {
            for (const r of iterateRecords(batch, 0, { maxDecompressed: 1 << 20 })) {
              assert.ok(typeof r.offset === 'bigint')
            }
          } catch (err) {
            assert.ok(err instanceof SamsaError, String(err))
            assert.ok(
              err.code === CORRUPT || err.code === InternalErrorCode.Compression,
              `unexpected code ${err.code}`,
            )
          }
        },
      ),
      { numRuns: 3000 },
    )
  })
  test('verifyCrc: false skips the checksum but not the structure', () => {
    const batch = sampleBatch(Compression.none)
    batch[batch.length - 2] ^= 1 // inside the last value
    throwsCode(() => batchRecords(batch), CORRUPT, /CRC/)
    assert.equal(batchRecords(batch, 0, { verifyCrc: false }).length, 3)
  })
})
