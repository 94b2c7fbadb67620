// Offset index and time index: lookups, truncation, the on-disk entry formats, sanity checks,
// and agreement with the log they index.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { MemoryFs } from '../../../src/common/memory-fs.ts'
import { splitBatches } from '../../../src/storage/batch-scan.ts'
import { OffsetIndex } from '../../../src/storage/offset-index.ts'
import { TimeIndex } from '../../../src/storage/time-index.ts'
import { makeBatch, openTestLog } from '../../support/storage-helpers.ts'

describe('OffsetIndex', () => {
  it('looks up the last entry at or below an offset', () => {
    const idx = new OffsetIndex('/x.index', 100n, 1 << 20, true)
    idx.append(104n, 50)
    idx.append(110n, 300)
    idx.append(111n, 420)
    assert.deepEqual(idx.lookup(99n), { offset: 100n, position: 0 })
    assert.deepEqual(idx.lookup(103n), { offset: 100n, position: 0 })
    assert.deepEqual(idx.lookup(104n), { offset: 104n, position: 50 })
    assert.deepEqual(idx.lookup(109n), { offset: 104n, position: 50 })
    assert.deepEqual(idx.lookup(5000n), { offset: 111n, position: 420 })
    assert.equal(idx.floorByPosition(299), 0)
    assert.equal(idx.floorByPosition(300), 1)
    assert.throws(() => idx.append(111n, 500), /does not follow/)
  })

  it('matches a brute-force floor search (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 10_000 }), { maxLength: 60 }),
        fc.integer({ min: -5, max: 10_010 }),
        (rels, q) => {
          const sorted = [...rels].sort((a, b) => a - b)
          const idx = new OffsetIndex('/p.index', 1000n, 1 << 20, true)
          sorted.forEach((r, i) => {
            idx.append(1000n + BigInt(r), i * 10 + 1)
          })
          const expect = sorted.filter((r) => r <= q).pop()
          const got = idx.lookup(1000n + BigInt(q))
          if (expect === undefined) assert.deepEqual(got, { offset: 1000n, position: 0 })
          else assert.equal(got.offset, 1000n + BigInt(expect))
        },
      ),
    )
  })

  it('persists 8-byte entries (relative offset, position), reloads and truncates the file', async () => {
    const fs = new MemoryFs()
    await fs.mkdir('/d')
    const idx = new OffsetIndex('/d/00000000000000000100.index', 100n, 1 << 20, true)
    idx.append(103n, 64)
    idx.append(107n, 128)
    await idx.persist(fs, true)
    const raw = fs.peek('/d/00000000000000000100.index')!
    assert.equal(raw.toString('hex'), '00000003000000400000000700000080')
    idx.truncateToOffset(107n)
    assert.equal(idx.count, 1)
    idx.append(109n, 200)
    await idx.persist(fs, false)
    assert.equal(
      fs.peek('/d/00000000000000000100.index')!.toString('hex'),
      '000000030000004000000009000000c8',
    )
    const again = new OffsetIndex('/d/00000000000000000100.index', 100n, 1 << 20, false)
    assert.equal(await again.load(fs, 1000), true)
    assert.deepEqual(again.lastEntry, { offset: 109n, position: 200 })
    assert.equal(
      await new OffsetIndex('/d/00000000000000000100.index', 100n, 1 << 20, false).load(fs, 150),
      false,
      'entry past the log end',
    )
  })

  it('fails the sanity check on garbage', async () => {
    const fs = new MemoryFs()
    await fs.mkdir('/d')
    const f = await fs.open('/d/a.index', 'rw')
    await f.write(Buffer.from('00000005000000100000000400000020', 'hex'), 0)
    assert.equal(await new OffsetIndex('/d/a.index', 0n, 1 << 20, false).load(fs, 1000), false)
    await f.write(Buffer.from('000000', 'hex'), 0)
    await f.truncate(3)
    assert.equal(await new OffsetIndex('/d/a.index', 0n, 1 << 20, false).load(fs, 1000), false)
  })

  it('is full at segment.index.bytes / 8 entries', () => {
    const idx = new OffsetIndex('/x', 0n, 20, true)
    assert.equal(idx.maxEntries, 2)
    idx.append(1n, 1)
    idx.append(2n, 2)
    assert.ok(idx.isFull)
  })
})

describe('TimeIndex', () => {
  it('only appends growing timestamps and looks up floors', () => {
    const idx = new TimeIndex('/x.timeindex', 0n, 1 << 20, true)
    idx.maybeAppend(100n, 3n)
    idx.maybeAppend(100n, 5n)
    idx.maybeAppend(90n, 6n)
    idx.maybeAppend(200n, 9n)
    assert.equal(idx.count, 2)
    assert.deepEqual(idx.lookup(50n), { timestamp: -1n, offset: 0n })
    assert.deepEqual(idx.lookup(150n), { timestamp: 100n, offset: 3n })
    assert.deepEqual(idx.lookup(200n), { timestamp: 200n, offset: 9n })
    idx.truncateToOffset(9n)
    assert.equal(idx.count, 1)
  })

  it('persists 12-byte entries (timestamp, relative offset)', async () => {
    const fs = new MemoryFs()
    await fs.mkdir('/d')
    const idx = new TimeIndex('/d/t.timeindex', 10n, 1 << 20, true)
    idx.maybeAppend(0x1122n, 12n)
    await idx.persist(fs, true)
    assert.equal(fs.peek('/d/t.timeindex')!.toString('hex'), '000000000000112200000002')
  })
})

describe('indexes agree with the log', () => {
  it('every offset index entry points at the start of the batch ending at its offset', async () => {
    const { log, fs, dir } = await openTestLog({ config: { indexIntervalBytes: 300, segmentBytes: 5000 } })
    for (let i = 0; i < 80; i++) await log.append(makeBatch(1 + (i % 5), { ts: 1000 + i * 10 }))
    await log.close()
    for (const seg of log.segmentList) {
      const data = fs.peek(`${dir}/${seg.baseOffset.toString().padStart(20, '0')}.log`)!
      const { batches, end } = splitBatches(data)
      assert.equal(end, data.length, 'the .log is whole batches back to back')
      const byPos = new Map(batches.map((b) => [b.position, b]))
      const idx = new OffsetIndex(seg.offsetIndex.path, seg.baseOffset, 1 << 20, false)
      assert.equal(await idx.load(fs, data.length), true)
      assert.ok(idx.count > 0)
      for (let i = 0; i < idx.count; i++) {
        const e = idx.entry(i)
        assert.equal(byPos.get(e.position)?.lastOffset, e.offset)
      }
      const tidx = new TimeIndex(seg.timeIndex.path, seg.baseOffset, 1 << 20, false)
      assert.equal(await tidx.load(fs, data.length), true)
      let max = -1n
      for (const b of batches) if (b.maxTimestamp > max) max = b.maxTimestamp
      assert.equal(tidx.lastEntry?.timestamp, max, 'the last time index entry is the segment max')
    }
  })
})
