// Log: append, read, roll, offsets, epochs, flush policy, failures.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ManualClock } from '../../../src/common/clock.ts'
import { MemoryFs } from '../../../src/common/memory-fs.ts'
import { BatchHeader } from '../../../src/records/batch-header.ts'
import { buildBatch } from '../../../src/records/builder.ts'
import { splitBatches } from '../../../src/storage/batch-scan.ts'
import { ListOffsetsTimestamp, Log } from '../../../src/storage/log.ts'
import { logConfig } from '../../../src/storage/log-config.ts'
import { isStorageError, StorageErrorCode } from '../../../src/storage/storage-error.ts'
import { keyedBatch, makeBatch, openTestLog, readAll, recordsOf } from '../../support/storage-helpers.ts'

describe('Log append', () => {
  it('assigns consecutive offsets and the leader epoch in place', async () => {
    const { log } = await openTestLog()
    const a = makeBatch(3)
    const r1 = await log.append(a, { leaderEpoch: 7 })
    assert.deepEqual([r1.firstOffset, r1.lastOffset, r1.recordsCount], [0n, 2n, 3])
    assert.equal(new BatchHeader(a).baseOffset, 0n, 'rewritten in the caller buffer')
    assert.equal(new BatchHeader(a).partitionLeaderEpoch, 7)
    const r2 = await log.append([makeBatch(2), makeBatch(4)], { leaderEpoch: 7 })
    assert.deepEqual([r2.firstOffset, r2.lastOffset, r2.recordsCount], [3n, 8n, 6])
    assert.equal(log.logEndOffset, 9n)
    assert.equal(r2.logAppendTime, -1n)
    const recs = await readAll(log)
    assert.deepEqual(
      recs.map((r) => r.offset),
      [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n],
    )
    assert.deepEqual(log.epochCache.all(), [{ epoch: 7, startOffset: 0n }])
  })

  it('writes a request with several batches in one write', async () => {
    const fs = new MemoryFs()
    const { log } = await openTestLog({ fs })
    await log.append(makeBatch(1))
    const before = fs.stats.writes
    await log.append([makeBatch(2), makeBatch(2), makeBatch(2)])
    assert.equal(fs.stats.writes - before, 1)
  })

  it('stamps LogAppendTime and reports it', async () => {
    const { log, clock } = await openTestLog({ config: { messageTimestampType: 'LogAppendTime' } })
    const b = makeBatch(2, { ts: 5 })
    const r = await log.append(b)
    assert.equal(r.logAppendTime, BigInt(clock.now()))
    const h = new BatchHeader(b)
    assert.ok(h.isLogAppendTime)
    assert.equal(h.maxTimestamp, BigInt(clock.now()))
    const recs = await readAll(log)
    assert.ok(
      recs.every((x) => x.timestamp === BigInt(clock.now())),
      'CRC still valid and records read',
    )
  })

  it('takes batches without timestamps (retention then goes by file time)', async () => {
    const { log } = await openTestLog({ config: { indexIntervalBytes: 1, segmentBytes: 300 } })
    for (let i = 0; i < 10; i++) await log.append(buildBatch([{ key: 'k', value: `v${i}` }]))
    assert.equal((await readAll(log)).length, 10)
    assert.ok(log.numberOfSegments > 1)
    const seg = log.segmentList[0]
    assert.equal(await seg.maxTimestamp(), -1n)
    assert.equal(await seg.largestTimestamp(), seg.lastModifiedMs)
    assert.equal(await log.offsetForTimestamp(0n), null)
  })

  it('refuses a batch larger than segment.bytes and a partial batch', async () => {
    const { log } = await openTestLog({ config: { segmentBytes: 200 } })
    await assert.rejects(log.append(makeBatch(50)), (e) =>
      isStorageError(e, StorageErrorCode.RecordBatchTooLarge),
    )
    const b = makeBatch(1)
    await assert.rejects(log.append(b.subarray(0, b.length - 1)), (e) =>
      isStorageError(e, StorageErrorCode.CorruptData),
    )
    assert.equal(log.logEndOffset, 0n)
  })

  it('rejects keyless records on compacted topics', async () => {
    const { log } = await openTestLog({ config: { cleanupPolicy: 'compact' } })
    await assert.rejects(log.append(makeBatch(2, { keyed: false })), (e) =>
      isStorageError(e, StorageErrorCode.InvalidRecord),
    )
    await log.append(makeBatch(2))
    assert.equal(log.logEndOffset, 2n)
  })

  it('appends follower data with its offsets and epochs, ignoring a partial tail', async () => {
    const { log } = await openTestLog()
    const b1 = buildBatch([{ value: 'a' }, { value: 'b' }], { baseOffset: 0n, partitionLeaderEpoch: 1 })
    const b2 = buildBatch([{ value: 'c' }], { baseOffset: 5n, partitionLeaderEpoch: 3 })
    const b3 = buildBatch([{ value: 'd' }], { baseOffset: 6n, partitionLeaderEpoch: 3 })
    const r = await log.appendAsFollower(Buffer.concat([b1, b2, b3.subarray(0, 30)]))
    assert.deepEqual([r.firstOffset, r.lastOffset], [0n, 5n])
    assert.equal(log.logEndOffset, 6n)
    assert.deepEqual(log.epochCache.all(), [
      { epoch: 1, startOffset: 0n },
      { epoch: 3, startOffset: 5n },
    ])
    assert.deepEqual(log.endOffsetForEpoch(1), { epoch: 1, endOffset: 5n })
    assert.deepEqual(log.endOffsetForEpoch(3), { epoch: 3, endOffset: 6n })
    await assert.rejects(log.appendAsFollower(b1), (e) =>
      isStorageError(e, StorageErrorCode.UnexpectedAppendOffset),
    )
  })
})

describe('Log read', () => {
  it('returns whole batches; an offset inside a batch returns that batch', async () => {
    const { log } = await openTestLog()
    for (let i = 0; i < 5; i++) await log.append(makeBatch(4, { tag: `${i}` }))
    const r = await log.readRecords(6n, 10_000)
    const { batches } = splitBatches(r.records)
    assert.equal(batches[0].baseOffset, 4n)
    assert.equal(r.firstBatchOffset, 4n)
    assert.equal(batches.length, 4)
    assert.equal(r.sizeInBytes, r.records.length)
  })

  it('honours maxBytes with whole batches, but always returns the first batch', async () => {
    const { log } = await openTestLog()
    for (let i = 0; i < 10; i++) await log.append(makeBatch(4, { tag: `${i}` }))
    const size = splitBatches((await log.readRecords(0n, 1)).records).batches[0].size
    const one = await log.readRecords(0n, 1)
    assert.equal(one.records.length, size, 'first batch even though larger than maxBytes')
    const none = await log.read(0n, 1, { minOneBatch: false })
    assert.equal(none.sizeInBytes, 0)
    const three = await log.readRecords(0n, size * 3 + size - 1)
    assert.equal(splitBatches(three.records).batches.length, 3)
  })

  it('never returns offsets at or past maxOffset', async () => {
    const { log } = await openTestLog()
    for (let i = 0; i < 5; i++) await log.append(makeBatch(2))
    log.updateHighWatermark(6n)
    const r = await log.readRecords(0n, 1 << 20, { maxOffset: log.highWatermark })
    assert.deepEqual(
      recordsOf(r.records).map((x) => x.offset),
      [0n, 1n, 2n, 3n, 4n, 5n],
    )
    const empty = await log.read(6n, 1 << 20, { maxOffset: 6n })
    assert.equal(empty.ranges.length, 0)
  })

  it('reads across segments and from the log end', async () => {
    const { log } = await openTestLog({ config: { segmentBytes: 400 } })
    for (let i = 0; i < 30; i++) await log.append(makeBatch(2, { tag: `${i}` }))
    assert.ok(log.numberOfSegments > 5)
    const all = await readAll(log)
    assert.equal(all.length, 60)
    assert.deepEqual(
      all.map((x) => x.offset),
      Array.from({ length: 60 }, (_, i) => BigInt(i)),
    )
    const big = await log.read(0n, 1 << 20)
    assert.ok(big.ranges.length > 1, 'one range per segment')
    assert.equal((await log.read(60n, 100)).sizeInBytes, 0)
  })

  it('never shows a batch whose write is still in progress', async () => {
    const mem = new MemoryFs()
    const base = mem.session()
    let pause: (() => void) | null = null
    // An Fs whose .log writes stop half way until released.
    const slow = {
      ...base,
      open: async (path: string, mode: 'r' | 'rw') => {
        const h = await base.open(path, mode)
        if (!path.endsWith('.log')) return h
        return {
          read: h.read.bind(h),
          write: h.write.bind(h),
          truncate: h.truncate.bind(h),
          sync: h.sync.bind(h),
          size: h.size.bind(h),
          close: h.close.bind(h),
          writev: async (bufs: readonly Uint8Array[], position: number) => {
            const all = Buffer.concat(bufs)
            const half = all.subarray(0, all.length >> 1)
            await h.write(half, position)
            await new Promise<void>((r) => {
              pause = r
            })
            await h.write(all.subarray(half.length), position + half.length)
          },
        }
      },
    }
    await mem.mkdir('/data/t-0')
    const log = await Log.open(
      {
        fs: slow,
        clock: new ManualClock(),
        dir: '/data/t-0',
        topicPartition: { topic: 't', partition: 0 },
        config: logConfig(),
      },
      { hadCleanShutdown: true, recoveryPoint: 0n },
    )
    const first = log.append(makeBatch(2))
    while (pause === null) await new Promise((r) => setImmediate(r))
    const release = (): void => {
      const p = pause
      pause = null
      p?.()
    }
    release()
    await first
    const second = log.append(makeBatch(3))
    while (pause === null) await new Promise((r) => setImmediate(r))
    // Half of the second batch is in the file now.
    assert.equal(
      (await log.readRecords(0n, 1 << 20)).records.length,
      (await log.read(0n, 1 << 20)).sizeInBytes,
    )
    assert.deepEqual(
      recordsOf((await log.readRecords(0n, 1 << 20)).records).map((r) => r.offset),
      [0n, 1n],
    )
    assert.equal((await log.read(2n, 1 << 20)).sizeInBytes, 0)
    release()
    await second
    assert.equal(recordsOf((await log.readRecords(0n, 1 << 20)).records).length, 5)
  })

  it('throws OffsetOutOfRange outside [logStartOffset, LEO]', async () => {
    const { log } = await openTestLog()
    await log.append(makeBatch(3))
    await assert.rejects(log.read(4n, 100), (e) => isStorageError(e, StorageErrorCode.OffsetOutOfRange))
    await assert.rejects(log.read(-1n, 100), (e) => isStorageError(e, StorageErrorCode.OffsetOutOfRange))
  })

  it('finds offsets by timestamp, with the sentinels', async () => {
    const { log } = await openTestLog({ config: { indexIntervalBytes: 1 } })
    await log.append(
      keyedBatch([
        { key: 'a', value: '1', ts: 100 },
        { key: 'b', value: '2', ts: 300 },
      ]),
      {
        leaderEpoch: 2,
      },
    )
    await log.append(
      keyedBatch([
        { key: 'c', value: '3', ts: 200 },
        { key: 'd', value: '4', ts: 500 },
      ]),
      {
        leaderEpoch: 4,
      },
    )
    await log.append(keyedBatch([{ key: 'e', value: '5', ts: 400 }]), { leaderEpoch: 4 })
    const at = async (ts: bigint) => (await log.offsetForTimestamp(ts))?.offset
    assert.equal(await at(50n), 0n)
    assert.equal(await at(100n), 0n)
    assert.equal(await at(150n), 1n)
    assert.equal(await at(300n), 1n)
    assert.equal(await at(301n), 3n)
    assert.equal(await at(450n), 3n)
    assert.equal(await at(501n), undefined)
    assert.deepEqual(await log.offsetForTimestamp(ListOffsetsTimestamp.maxTimestamp), {
      offset: 3n,
      timestamp: 500n,
      leaderEpoch: 4,
    })
    assert.equal(await at(ListOffsetsTimestamp.earliest), 0n)
    assert.equal(await at(ListOffsetsTimestamp.latest), 5n)
    assert.equal((await log.offsetForTimestamp(150n))?.leaderEpoch, 2)
  })
})

describe('Log roll', () => {
  it('rolls on segment.bytes without exceeding it', async () => {
    const { log } = await openTestLog({ config: { segmentBytes: 1000 } })
    for (let i = 0; i < 40; i++) await log.append(makeBatch(3))
    for (const s of log.segmentList) assert.ok(s.size <= 1000, `segment ${s.baseOffset} is ${s.size}`)
    assert.ok(log.numberOfSegments >= 4)
    const bases = log.segmentList.map((s) => s.baseOffset)
    assert.deepEqual(
      bases,
      [...bases].sort((a, b) => (a < b ? -1 : 1)),
    )
  })

  it('rolls on segment.ms measured from the first batch timestamp', async () => {
    const { log } = await openTestLog({ config: { segmentMs: 1000 } })
    await log.append(makeBatch(1, { ts: 10_000 }))
    await log.append(makeBatch(1, { ts: 10_900 }))
    assert.equal(log.numberOfSegments, 1)
    await log.append(makeBatch(1, { ts: 11_001 }))
    assert.equal(log.numberOfSegments, 2)
    assert.equal(log.segmentList[1].baseOffset, 2n)
  })

  it('applies segment.jitter.ms per segment', async () => {
    const { log } = await openTestLog({ config: { segmentMs: 1000, segmentJitterMs: 500 } })
    const jitter = log.segmentList[0].rollJitterMs
    assert.ok(jitter >= 0 && jitter < 500)
    await log.append(makeBatch(1, { ts: 10_000 }))
    await log.append(makeBatch(1, { ts: 10_000 + 1000 - jitter }))
    assert.equal(log.numberOfSegments, 1)
    await log.append(makeBatch(1, { ts: 10_000 + 1001 - jitter }))
    assert.equal(log.numberOfSegments, 2)
  })

  it('rolls when the offset index is full', async () => {
    const { log } = await openTestLog({ config: { segmentIndexBytes: 8 * 3, indexIntervalBytes: 1 } })
    for (let i = 0; i < 12; i++) await log.append(makeBatch(1))
    assert.ok(log.numberOfSegments >= 3)
    for (const s of log.segmentList) assert.ok(s.offsetIndex.count <= 3)
    assert.equal((await readAll(log)).length, 12)
  })

  it('rolls for follower offsets that do not fit 32 bits relative to the segment base', async () => {
    const { log } = await openTestLog()
    await log.appendAsFollower(buildBatch([{ value: 'a' }], { baseOffset: 0n }))
    await log.appendAsFollower(buildBatch([{ value: 'b' }], { baseOffset: 3_000_000_000n }))
    assert.equal(log.numberOfSegments, 2)
    assert.equal(log.segmentList[1].baseOffset, 3_000_000_000n)
    assert.equal(log.logEndOffset, 3_000_000_001n)
    assert.equal(recordsOf((await log.readRecords(1n, 1000)).records)[0].offset, 3_000_000_000n)
  })
})

describe('Log flush policy', () => {
  it('leaves data to the page cache by default and fsyncs on roll', async () => {
    const fs = new MemoryFs()
    const { log } = await openTestLog({ fs, config: { segmentBytes: 300 } })
    const before = fs.stats.syncs
    await log.append(makeBatch(2))
    assert.equal(fs.stats.syncs, before)
    assert.equal(log.recoveryPoint, 0n)
    for (let i = 0; i < 5; i++) await log.append(makeBatch(2))
    await log.flush(log.segmentList[1].baseOffset)
    assert.ok(fs.stats.syncs > before)
    assert.ok(log.recoveryPoint >= log.segmentList[1].baseOffset)
  })

  it('fsyncs every append under flush.messages=1, sharing fsyncs between concurrent appends', async () => {
    const fs = new MemoryFs({ syncLatencyMs: 5 })
    const { log } = await openTestLog({ fs, config: { flushMessages: 1 } })
    await log.append(makeBatch(1))
    assert.equal(log.recoveryPoint, 1n)
    const before = fs.stats.syncs
    await Promise.all(Array.from({ length: 20 }, () => log.append(makeBatch(1))))
    assert.equal(log.recoveryPoint, 21n)
    assert.ok(fs.stats.syncs - before < 20, `group commit: ${fs.stats.syncs - before} fsyncs`)
  })

  it('flushes on flush.ms when asked by the scheduler', async () => {
    const { log, clock } = await openTestLog({ config: { flushMs: 1000 } })
    await log.append(makeBatch(1))
    await log.flushIfDue(clock.now() + 10)
    assert.equal(log.recoveryPoint, 0n)
    await log.flushIfDue(clock.now() + 1000)
    assert.equal(log.recoveryPoint, 1n)
  })
})

describe('Log failures', () => {
  it('goes offline on a failed write and refuses further use', async () => {
    const fs = new MemoryFs()
    const { log } = await openTestLog({ fs })
    await log.append(makeBatch(1))
    // EIO: a full disk (ENOSPC) is undone instead (disk-full.test.ts).
    fs.failNext({ op: 'write', path: '.log', partialBytes: 10, code: 'EIO' })
    await assert.rejects(log.append(makeBatch(1)), (e) => isStorageError(e, StorageErrorCode.LogOffline))
    assert.ok(log.isOffline)
    await assert.rejects(log.read(0n, 100), (e) => isStorageError(e, StorageErrorCode.LogOffline))
    assert.equal(log.logEndOffset, 1n)
  })

  it('goes offline on a failed fsync', async () => {
    const fs = new MemoryFs()
    const { log } = await openTestLog({ fs, config: { flushMessages: 1 } })
    fs.failNext({ op: 'sync' })
    await assert.rejects(log.append(makeBatch(1)), (e) => isStorageError(e, StorageErrorCode.LogOffline))
    assert.ok(log.isOffline)
  })
})
