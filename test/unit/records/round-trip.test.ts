import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { InternalErrorCode } from '../../../src/common/errors.ts'
import {
  assignOffsets,
  BatchHeader,
  BatchProblem,
  Compression,
  checkBatch,
  setLogAppendTime,
} from '../../../src/records/batch-header.ts'
import { type BuildOptions, buildBatch, buildControlBatch } from '../../../src/records/builder.ts'
import { codecName } from '../../../src/records/compression/index.ts'
import { ControlType, controlKey, parseControlRecord } from '../../../src/records/control.ts'
import { batchRecords, readBatches } from '../../../src/records/record-iterator.ts'
import { throwsCode } from './assert-error.ts'

const CODECS = [Compression.none, Compression.gzip, Compression.snappy, Compression.lz4, Compression.zstd]

const bytes = fc.option(
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  { nil: null },
)
const timestamp = fc.oneof(fc.constant(-1n), fc.bigInt({ min: 0n, max: 2n ** 50n }))
const record = fc.record({
  key: bytes,
  value: bytes,
  headers: fc.array(fc.record({ key: fc.string({ unit: 'grapheme', maxLength: 20 }), value: bytes }), {
    maxLength: 4,
  }),
  timestamp,
})
const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })
const options = fc.record({
  baseOffset: fc.bigInt({ min: 0n, max: 2n ** 62n }),
  partitionLeaderEpoch: int32,
  timestampType: fc.constantFrom('create' as const, 'logAppend' as const),
  logAppendTime: fc.bigInt({ min: 0n, max: 2n ** 50n }),
  producerId: fc.bigInt({ min: -1n, max: 2n ** 62n }),
  producerEpoch: fc.integer({ min: -1, max: 32767 }),
  baseSequence: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
  transactional: fc.boolean(),
})

type Generated = {
  key: Buffer | null
  value: Buffer | null
  headers: { key: string; value: Buffer | null }[]
  timestamp: bigint
}

function checkRoundTrip(records: Generated[], opts: BuildOptions): void {
  const batch = buildBatch(records, opts)
  assert.equal(checkBatch(batch), BatchProblem.ok)
  const h = new BatchHeader(batch)
  assert.equal(h.size, batch.length)
  assert.equal(h.magic, 2)
  assert.equal(h.compression, opts.compression ?? 0)
  assert.equal(h.recordsCount, records.length)
  assert.equal(h.lastOffsetDelta, Math.max(0, records.length - 1))
  assert.equal(h.baseOffset, opts.baseOffset ?? 0n)
  assert.equal(h.partitionLeaderEpoch, opts.partitionLeaderEpoch ?? -1)
  assert.equal(h.producerId, opts.producerId ?? -1n)
  assert.equal(h.producerEpoch, opts.producerEpoch ?? -1)
  assert.equal(h.baseSequence, opts.baseSequence ?? -1)
  assert.equal(h.isTransactional, opts.transactional ?? false)
  assert.equal(h.isControl, false)
  const logAppend = opts.timestampType === 'logAppend'
  assert.equal(h.isLogAppendTime, logAppend)
  const stamps = records.map((r) => r.timestamp)
  let maxCreate = stamps[0] ?? -1n
  for (const t of stamps) if (t > maxCreate) maxCreate = t
  assert.equal(h.maxTimestamp, logAppend ? opts.logAppendTime : maxCreate)
  if (records.length > 0) assert.equal(h.baseTimestamp, records[0].timestamp)

  const out = batchRecords(batch)
  assert.equal(out.length, records.length)
  out.forEach((r, i) => {
    const want = records[i]
    assert.equal(r.offset, (opts.baseOffset ?? 0n) + BigInt(i))
    assert.equal(r.offsetDelta, i)
    assert.equal(r.timestamp, logAppend ? opts.logAppendTime : want.timestamp)
    assert.equal(BigInt(r.timestampDelta), want.timestamp - h.baseTimestamp)
    assert.deepEqual(r.key, want.key)
    assert.deepEqual(r.value, want.value)
    assert.deepEqual(
      r.headers,
      want.headers.map((h) => ({ key: h.key, value: h.value })),
    )
    assert.equal(r.attributes, 0)
  })
}

describe('builder -> iterator round trips', () => {
  for (const codec of CODECS) {
    test(`${codecName(codec)}: random records, headers, nulls and batch fields`, () => {
      fc.assert(
        fc.property(fc.array(record, { maxLength: 12 }), options, (records, opts) => {
          checkRoundTrip(records, { ...opts, compression: codec })
        }),
        { numRuns: codec === Compression.none ? 300 : 120 },
      )
    })
  }

  test('negative timestamp deltas (records older than the first) are kept exactly', () => {
    const records = [1_700_000_000_000n, 1_699_999_999_000n, 5n, 1_700_000_000_500n].map((timestamp, i) => ({
      key: null,
      value: Buffer.from(`v${i}`),
      headers: [],
      timestamp,
    }))
    for (const codec of CODECS) checkRoundTrip(records, { compression: codec })
    const out = batchRecords(buildBatch(records))
    assert.ok(out[1].timestampDelta < 0 && out[2].timestampDelta < 0)
  })

  test('string keys/values and default timestamps', () => {
    const batch = buildBatch(
      [
        { key: 'k', value: 'välue' },
        { value: 'x', timestamp: 7 },
      ],
      { timestamp: 42n },
    )
    const [a, b] = batchRecords(batch)
    assert.equal(a.key?.toString(), 'k')
    assert.equal(a.value?.toString(), 'välue')
    assert.equal(a.timestamp, 42n)
    assert.equal(b.key, null)
    assert.equal(b.timestamp, 7n)
  })

  test('an empty batch (as compaction leaves them) builds and iterates to nothing', () => {
    const batch = buildBatch([], { baseOffset: 10n, lastOffsetDelta: 4, baseSequence: 3, producerId: 9n })
    assert.equal(checkBatch(batch), BatchProblem.ok)
    const h = new BatchHeader(batch)
    assert.equal(h.recordsCount, 0)
    assert.equal(h.lastOffset, 14n)
    assert.deepEqual(batchRecords(batch), [])
  })

  test('explicit offset deltas leave gaps; offsets stay absolute', () => {
    const batch = buildBatch(
      [
        { value: 'a', offsetDelta: 0 },
        { value: 'b', offsetDelta: 3 },
        { value: 'c', offsetDelta: 9 },
      ],
      { baseOffset: 100n, compression: Compression.zstd },
    )
    assert.equal(new BatchHeader(batch).lastOffsetDelta, 9)
    assert.deepEqual(
      batchRecords(batch).map((r) => r.offset),
      [100n, 103n, 109n],
    )
  })

  test('in-place rewrites: assignOffsets and setLogAppendTime change what iteration reports', () => {
    for (const codec of CODECS) {
      const batch = buildBatch(
        [
          { value: 'a', timestamp: 5 },
          { value: 'b', timestamp: 3 },
        ],
        { compression: codec },
      )
      assignOffsets(batch, 0, 1000n, 7)
      assert.equal(checkBatch(batch), BatchProblem.ok, 'offset and epoch are outside the CRC')
      setLogAppendTime(batch, 0, 99n)
      assert.equal(checkBatch(batch), BatchProblem.ok)
      const out = batchRecords(batch)
      assert.deepEqual(
        out.map((r) => [r.offset, r.timestamp]),
        [
          [1000n, 99n],
          [1001n, 99n],
        ],
      )
      assert.equal(new BatchHeader(batch).partitionLeaderEpoch, 7)
    }
  })
})

describe('control batches', () => {
  for (const type of ['commit', 'abort'] as const) {
    test(`${type} marker: header flags, key and value`, () => {
      const batch = buildControlBatch(type, 4242n, 3, 17, {
        baseOffset: 50n,
        partitionLeaderEpoch: 2,
        timestamp: 123,
      })
      assert.equal(checkBatch(batch), BatchProblem.ok)
      const h = new BatchHeader(batch)
      assert.ok(h.isControl && h.isTransactional)
      assert.equal(h.producerId, 4242n)
      assert.equal(h.producerEpoch, 3)
      assert.equal(h.baseSequence, -1)
      assert.equal(h.recordsCount, 1)
      assert.equal(h.compression, Compression.none)
      const [rec] = batchRecords(batch)
      assert.equal(rec.offset, 50n)
      assert.equal(rec.timestamp, 123n)
      // Kafka's layout: key = version 0, type; value = version 0, coordinator epoch.
      assert.deepEqual(rec.key, Buffer.from([0, 0, 0, type === 'commit' ? 1 : 0]))
      assert.deepEqual(rec.value, Buffer.from([0, 0, 0, 0, 0, 17]))
      assert.deepEqual(parseControlRecord(rec), {
        version: 0,
        type: type === 'commit' ? ControlType.commit : ControlType.abort,
        marker: type,
        coordinatorEpoch: 17,
      })
    })
  }
  test('other control types parse without a marker; malformed keys and values are refused', () => {
    const info = parseControlRecord({ key: controlKey(ControlType.leaderChange), value: Buffer.alloc(3) })
    assert.equal(info.marker, null)
    assert.equal(info.type, ControlType.leaderChange)
    const C = InternalErrorCode.CorruptBatch
    throwsCode(() => parseControlRecord({ key: null, value: null }), C)
    throwsCode(() => parseControlRecord({ key: Buffer.from([0, 0, 0]), value: null }), C)
    throwsCode(() => parseControlRecord({ key: controlKey(1, -1), value: null }), C)
    throwsCode(() => parseControlRecord({ key: controlKey(ControlType.commit), value: Buffer.alloc(5) }), C)
  })
})

describe('readBatches', () => {
  test('walks concatenated batches of every codec', () => {
    const batches = CODECS.map((c, i) =>
      buildBatch([{ value: `v${i}` }, { value: null }], { compression: c, baseOffset: BigInt(i * 2) }),
    )
    const all = Buffer.concat(batches)
    const seen = [...readBatches(all)]
    assert.deepEqual(
      seen.map((h) => [h.pos, h.baseOffset, h.compression]),
      batches.map((_, i) => [
        batches.slice(0, i).reduce((n, b) => n + b.length, 0),
        BigInt(i * 2),
        CODECS[i],
      ]),
    )
    const values = seen.flatMap((h) => batchRecords(h.buf, h.pos).map((r) => r.value?.toString() ?? null))
    assert.deepEqual(values, ['v0', null, 'v1', null, 'v2', null, 'v3', null, 'v4', null])
  })
  test('reading with pos/end bounds sees only that window', () => {
    const a = buildBatch([{ value: 'a' }])
    const b = buildBatch([{ value: 'b' }], { baseOffset: 1n })
    const all = Buffer.concat([a, b, a])
    const seen = [...readBatches(all, a.length, a.length + b.length)]
    assert.equal(seen.length, 1)
    assert.equal(seen[0].baseOffset, 1n)
  })
})
