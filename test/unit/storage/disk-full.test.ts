// A full disk (ENOSPC) during an append, on the memory Fs: the write is undone (no torn batch left
// after the committed bytes), the append fails with NoSpace (KAFKA_STORAGE_ERROR to clients), the
// log stays online and the next append, once space returns, lands at the same offset. Failures it
// cannot undo still take the log offline, as every other I/O error does.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import { kafkaErrorOf } from '../../../src/replication/errors.ts'
import { Log } from '../../../src/storage/log.ts'
import { logConfig } from '../../../src/storage/log-config.ts'
import { isStorageError, StorageErrorCode } from '../../../src/storage/storage-error.ts'
import { makeBatch, openTestLog, readAll } from '../../support/storage-helpers.ts'

const LOG0 = '/data/t-0/00000000000000000000.log'
const noSpace = (e: unknown) => isStorageError(e, StorageErrorCode.NoSpace)

describe('Log on a full disk', () => {
  it('undoes a torn write, stays online and appends at the same offset once space returns', async () => {
    const { fs, log, clock, dir } = await openTestLog()
    await log.append(makeBatch(3, { tag: 'a' }))
    const size = (await fs.stat(LOG0))?.size
    fs.failNext({ op: 'write', path: '.log', code: 'ENOSPC', partialBytes: 17, times: 2 })
    for (let k = 0; k < 2; k++) {
      const err = await log.append(makeBatch(2, { tag: 'x' })).catch((e: unknown) => e)
      assert.ok(noSpace(err), String(err))
      assert.equal(kafkaErrorOf(err), ErrorCode.KAFKA_STORAGE_ERROR)
    }
    assert.equal(log.isOffline, false)
    assert.equal(log.logEndOffset, 3n)
    assert.equal((await fs.stat(LOG0))?.size, size, 'no partial batch left in the segment')
    const r = await log.append(makeBatch(2, { tag: 'b' }))
    assert.equal(r.firstOffset, 3n)
    const values = (await readAll(log)).map((x) => `${x.offset}:${x.value}`)
    assert.deepEqual(values, ['0:v0-a', '1:v1-a', '2:v2-a', '3:v0-b', '4:v1-b'])
    // What is on disk is exactly that: fsynced, crashed and recovered, the same five records.
    await log.flush()
    for (const d of ['/', '/data', dir]) await fs.syncDir(d)
    fs.crash()
    const reopened = await Log.open(
      { fs, clock, dir, topicPartition: { topic: 't', partition: 0 }, config: logConfig({}) },
      { hadCleanShutdown: false, recoveryPoint: 0n },
    )
    assert.equal(reopened.logEndOffset, 5n)
    assert.deepEqual(
      (await readAll(reopened)).map((x) => `${x.offset}:${x.value}`),
      values,
    )
  })

  it('refuses an append whose new leader epoch cannot be checkpointed, and persists it later', async () => {
    const { fs, log } = await openTestLog()
    await log.append(makeBatch(1), { leaderEpoch: 1 })
    fs.failNext({ op: 'write', path: 'leader-epoch-checkpoint', code: 'ENOSPC', partialBytes: 3 })
    await assert.rejects(log.append(makeBatch(1), { leaderEpoch: 2 }), noSpace)
    assert.equal(log.isOffline, false)
    assert.equal(log.logEndOffset, 1n)
    const r = await log.append(makeBatch(1), { leaderEpoch: 2 })
    assert.equal(r.firstOffset, 1n)
    const text = (await fs.readFile('/data/t-0/leader-epoch-checkpoint')).toString()
    assert.match(text, /^2 1$/m, text)
  })

  it('keeps the log online when a flush cannot write an index, and flushes it later', async () => {
    const one = makeBatch(1).length
    const { fs, log } = await openTestLog({ config: { segmentBytes: 2 * one + 8, indexIntervalBytes: 0 } })
    await log.append(makeBatch(1))
    await log.append(makeBatch(1))
    // The roll flushes the finished segment (indexes included) in the background.
    fs.failNext({ op: 'write', path: '.index', code: 'ENOSPC', partialBytes: 3, times: 5 })
    await log.append(makeBatch(1))
    await assert.rejects(log.flush(), noSpace)
    assert.equal(log.isOffline, false)
    assert.equal(log.recoveryPoint, 0n)
    fs.clearFaults()
    const r = await log.append(makeBatch(1))
    assert.equal(r.firstOffset, 3n)
    await log.flush()
    assert.equal(log.recoveryPoint, 4n)
    assert.equal((await fs.stat('/data/t-0/00000000000000000000.index'))?.size, 8, 'one whole entry')
  })

  it('goes offline when an fsync fails with ENOSPC (what was written may be lost)', async () => {
    const { fs, log } = await openTestLog()
    await log.append(makeBatch(1))
    fs.failNext({ op: 'sync', path: '.log', code: 'ENOSPC' })
    await assert.rejects(log.flush(), (e) => isStorageError(e, StorageErrorCode.LogOffline))
    assert.ok(log.isOffline)
  })

  it('goes offline when the write cannot be undone', async () => {
    const { fs, log } = await openTestLog()
    await log.append(makeBatch(1))
    fs.failNext({ op: 'write', path: '.log', code: 'ENOSPC', partialBytes: 5 })
    fs.failNext({ op: 'truncate', path: '.log' })
    await assert.rejects(log.append(makeBatch(1)), (e) => isStorageError(e, StorageErrorCode.LogOffline))
    assert.ok(log.isOffline)
  })

  it('goes offline when an append is refused after part of it was written', async () => {
    // Each batch fills a segment: one append of two batches writes two segments.
    const one = makeBatch(1).length
    const { fs, log } = await openTestLog({ config: { segmentBytes: one + 8 } })
    fs.failNext({ op: 'write', path: '00000000000000000001.log', code: 'ENOSPC', partialBytes: 5 })
    await assert.rejects(log.append([makeBatch(1), makeBatch(1)]), (e) =>
      isStorageError(e, StorageErrorCode.LogOffline),
    )
    assert.ok(log.isOffline, 'the first batch is in the log: the append cannot be refused as a whole')
  })
})
