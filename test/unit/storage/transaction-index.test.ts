// The aborted transactions index (.txnindex): Kafka's 34-byte entry format, collectAbortedTxns's
// overlap and completeness rules, the file's life with its segment (created only with entries,
// reloaded, truncated with the log, renamed and deleted with the segment, found by the loader).

import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { ManualClock } from '../../../src/common/clock.ts'
import { MemoryFs } from '../../../src/common/memory-fs.ts'
import { buildBatch, buildControlBatch } from '../../../src/records/builder.ts'
import {
  allAbortedTxns,
  appendAbortedTxns,
  collectAbortedTxns,
  txnIndexFor,
} from '../../../src/storage/aborted-txns.ts'
import { LogCleaner } from '../../../src/storage/log-cleaner.ts'
import {
  ABORTED_TXN_SIZE,
  type AbortedTxn,
  decodeAbortedTxns,
  TransactionIndex,
} from '../../../src/storage/transaction-index.ts'
import { keyedBatch, makeBatch, openTestLog } from '../../support/storage-helpers.ts'

const txn = (
  producerId: bigint,
  firstOffset: bigint,
  lastOffset: bigint,
  lastStableOffset: bigint,
): AbortedTxn => ({
  producerId,
  firstOffset,
  lastOffset,
  lastStableOffset,
})

describe('TransactionIndex', () => {
  it("writes Kafka's entries: version 0, producerId, firstOffset, lastOffset, lastStableOffset", async () => {
    const fs = new MemoryFs()
    await fs.mkdir('/d')
    const idx = new TransactionIndex(fs, '/d/00000000000000000000.txnindex', false)
    assert.equal(idx.mayHaveEntries, false)
    await idx.write()
    assert.equal(fs.peek(idx.path), null, 'no file without entries')
    idx.append(txn(7n, 10n, 20n, 15n))
    idx.append(txn(8n, 12n, 30n, 31n))
    await idx.flush()
    const raw = fs.peek(idx.path)!
    assert.equal(raw.length, 2 * ABORTED_TXN_SIZE)
    assert.equal(raw.readInt16BE(0), 0)
    assert.equal(raw.readBigInt64BE(2), 7n)
    assert.equal(raw.readBigInt64BE(10), 10n)
    assert.equal(raw.readBigInt64BE(18), 20n)
    assert.equal(raw.readBigInt64BE(26), 15n)
    // Reloaded from the file; a torn last entry is ignored.
    const torn = Buffer.concat([raw, raw.subarray(0, 10)])
    await fs.unlink(idx.path)
    const h = await fs.open(idx.path, 'rw')
    await h.write(torn, 0)
    await h.close()
    const again = new TransactionIndex(fs, idx.path, true)
    assert.equal(again.mayHaveEntries, true)
    await again.ensureLoaded()
    assert.deepEqual(again.entries(), decodeAbortedTxns(raw))
    again.truncateTo(25n)
    await again.write()
    assert.equal(fs.peek(idx.path)!.length, ABORTED_TXN_SIZE)
  })

  it('collects the overlapping transactions and stops once an entry is stable past the bound', async () => {
    const idx = new TransactionIndex(new MemoryFs(), '/x.txnindex', false)
    idx.append(txn(1n, 0n, 5n, 3n))
    idx.append(txn(2n, 3n, 9n, 10n))
    idx.append(txn(3n, 11n, 14n, 15n))
    const out: AbortedTxn[] = []
    assert.equal(idx.collect(6n, 10n, out), true)
    assert.deepEqual(
      out.map((t) => t.producerId),
      [2n],
    )
    const all: AbortedTxn[] = []
    assert.equal(idx.collect(0n, 100n, all), false)
    assert.equal(all.length, 3)
  })
})

describe('transaction indexes in a log', () => {
  it('entries live with the segment of their marker: read across segments, truncated, deleted', async () => {
    const { fs, dir, log } = await openTestLog({ config: { segmentBytes: 200 } })
    for (let i = 0; i < 6; i++) await log.append(makeBatch(2, { ts: 1000 + i }))
    const segs = log.segmentList
    assert.ok(segs.length >= 3)
    const second = segs[1].baseOffset
    const third = segs[2].baseOffset
    // An abort whose transaction started in the first segment, marker in the second; another
    // in the third that was stable past everything.
    await appendAbortedTxns(log.segmentList, [
      txn(5n, 1n, second, 1n),
      txn(6n, second + 1n, third, log.logEndOffset + 10n),
    ])
    assert.equal(fs.peek(join(dir, '00000000000000000000.txnindex')), null)
    assert.equal((await txnIndexFor(log.segmentList, second)).entryCount, 1)
    const found = await collectAbortedTxns(log.segmentList, 0n, 2n)
    assert.deepEqual(
      found.map((t) => t.producerId),
      [5n],
      'a marker in a later segment still counts for an earlier range',
    )
    assert.deepEqual(
      (await collectAbortedTxns(log.segmentList, second + 1n, log.logEndOffset)).map((t) => t.producerId),
      [6n],
    )
    // Truncating into the third segment drops its entry; the second's stays.
    await log.truncateTo(third)
    assert.deepEqual(
      (await collectAbortedTxns(log.segmentList, 0n, third)).map((t) => t.producerId),
      [5n],
    )
    // Deleting a segment takes its index (after file.delete.delay.ms).
    const names = () => fs.readdir(dir).then((n) => n.filter((x) => x.includes('.txnindex')))
    assert.equal((await names()).length, 2)
    assert.equal(fs.peek(join(dir, `${third.toString().padStart(20, '0')}.txnindex`))!.length, 0)
    await log.truncateFullyAndStartAt(100n)
    assert.ok((await names()).every((n) => n.endsWith('.deleted')))
    await log.close()
  })

  it('the loader knows which segments have an index file and removes orphans', async () => {
    const fs = new MemoryFs()
    const dir = '/data/t-0'
    const first = await openTestLog({ fs, dir, config: { segmentBytes: 200 } })
    for (let i = 0; i < 4; i++) await first.log.append(makeBatch(2, { ts: 1000 + i }))
    const marker = first.log.segmentList[1].baseOffset
    await appendAbortedTxns(first.log.segmentList, [txn(5n, 0n, marker, 0n)])
    await first.log.close()
    const orphan = join(dir, '00000000000000099999.txnindex')
    const h = await fs.open(orphan, 'rw')
    await h.close()
    const again = await openTestLog({
      fs,
      dir,
      config: { segmentBytes: 200 },
      state: { hadCleanShutdown: true },
    })
    const segs = again.log.segmentList
    assert.equal(segs[0].txnIndex.mayHaveEntries, false)
    assert.equal(segs[1].txnIndex.mayHaveEntries, true)
    assert.equal(fs.peek(orphan), null)
    assert.deepEqual(await collectAbortedTxns(segs, 0n, 1n), [txn(5n, 0n, marker, 0n)])
    await again.log.close()
  })

  // Segments make their indexes on first use (log-segment.ts); a rename must still move every file
  // and leave the indexes made later reading the renamed ones.
  it('a segment renamed before its indexes were made takes their files along', async () => {
    const fs = new MemoryFs()
    const dir = '/data/t-0'
    const first = await openTestLog({ fs, dir, config: { segmentBytes: 200 } })
    for (let i = 0; i < 6; i++) await first.log.append(makeBatch(2, { ts: 1000 + i }))
    assert.ok(first.log.segmentList.length >= 3)
    const marker = first.log.segmentList[1].baseOffset
    await appendAbortedTxns(first.log.segmentList, [txn(5n, 0n, marker, 0n)])
    await first.log.close()
    const again = await openTestLog({
      fs,
      dir,
      config: { segmentBytes: 200 },
      state: { hadCleanShutdown: true },
    })
    const seg = again.log.segmentList[1]
    const base = seg.baseOffset.toString().padStart(20, '0')
    await seg.changeSuffix('.deleted')
    for (const ext of ['log', 'index', 'timeindex', 'txnindex']) {
      assert.equal(fs.peek(join(dir, `${base}.${ext}`)), null, ext)
      assert.notEqual(fs.peek(join(dir, `${base}.${ext}.deleted`)), null, ext)
    }
    assert.equal(seg.offsetIndex.path, join(dir, `${base}.index.deleted`))
    assert.equal(seg.timeIndex.path, join(dir, `${base}.timeindex.deleted`))
    await seg.txnIndex.ensureLoaded()
    assert.deepEqual(seg.txnIndex.entries(), [txn(5n, 0n, marker, 0n)])
    await seg.changeSuffix('')
    assert.notEqual(fs.peek(join(dir, `${base}.txnindex`)), null)
    assert.equal(seg.txnIndex.path, join(dir, `${base}.txnindex`))
    await again.log.close()
  })

  it('compaction keeps the entry of a marker it keeps while its data was there, then drops both', async () => {
    const fs = new MemoryFs()
    const clock = new ManualClock()
    const { log } = await openTestLog({
      fs,
      clock,
      config: { cleanupPolicy: 'compact', segmentBytes: 300, deleteRetentionMs: 10_000 },
    })
    // Offset 0: aborted data of producer 9; its abort marker lands in the second segment.
    const data = buildBatch([{ key: 'x', value: 'aborted', timestamp: clock.now() }], {
      producerId: 9n,
      producerEpoch: 0,
      baseSequence: 0,
      transactional: true,
    })
    await log.append(data)
    const plain = async (from: number, to: number) => {
      for (let i = from; i < to; i++)
        await log.append(keyedBatch([{ key: `k${i % 3}`, value: `v${i}`, ts: clock.now() }]))
    }
    await plain(0, 5)
    const markerAt = log.logEndOffset
    await log.append(buildControlBatch('abort', 9n, 0, 0, { timestamp: clock.now() }))
    await plain(5, 30)
    log.updateHighWatermark(log.logEndOffset)
    const entry = txn(9n, 0n, markerAt, 0n)
    await appendAbortedTxns(log.segmentList, [entry])
    const cleaner = new LogCleaner({ fs, clock, logger: { info() {}, warn() {}, error() {} } })
    const stats = await cleaner.clean(log, '/data')
    assert.ok(stats !== null && stats.segmentsIn > 1)
    // The aborted data went in this pass; its marker and entry stay until the next one.
    assert.deepEqual(await allAbortedTxns(log.segmentList), [entry])
    const first = await log.readRecords(log.logStartOffset, 1 << 20)
    // Offsets 0-5 are gone (aborted, or superseded by later keys): the marker comes first.
    assert.equal(first.records.readBigInt64BE(0), markerAt, 'the aborted batch is gone')
    clock.advance(10_001)
    await plain(30, 45)
    log.updateHighWatermark(log.logEndOffset)
    await cleaner.clean(log, '/data')
    assert.deepEqual(await allAbortedTxns(log.segmentList), [])
    await log.close()
  })
})
