// Kafka's on-disk layout, through the LogManager: directory and file names, the .log as plain
// batches, checkpoint files, partition.metadata, the clean-shutdown marker, several log dirs.

import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { ManualClock } from '../../../src/common/clock.ts'
import type { Uuid } from '../../../src/common/ids.ts'
import { MemoryFs } from '../../../src/common/memory-fs.ts'
import { NodeFs } from '../../../src/common/node-fs.ts'
import { checkBatch } from '../../../src/records/batch-header.ts'
import { splitBatches } from '../../../src/storage/batch-scan.ts'
import { formatCheckpoint, parseCheckpoint } from '../../../src/storage/checkpoint-file.ts'
import {
  offsetFileStem,
  parsePartitionDirName,
  parseSegmentFileName,
} from '../../../src/storage/file-names.ts'
import { LogManager } from '../../../src/storage/log-manager.ts'
import { makeBatch, readAll } from '../../support/storage-helpers.ts'

const TOPIC_ID = 'AbCdEfGhIjKlMnOpQrStUv' as Uuid

describe('file names', () => {
  it('names segments by their base offset on 20 digits', () => {
    assert.equal(offsetFileStem(0n), '00000000000000000000')
    assert.equal(offsetFileStem(9223372036854775807n), '09223372036854775807')
    assert.deepEqual(parseSegmentFileName('00000000000000000042.timeindex.deleted'), {
      baseOffset: 42n,
      kind: 'timeindex',
      state: '.deleted',
    })
    assert.equal(parseSegmentFileName('42.log'), null)
    assert.deepEqual(parsePartitionDirName('__consumer_offsets-12'), {
      topic: '__consumer_offsets',
      partition: 12,
    })
    assert.deepEqual(parsePartitionDirName('my-topic-3'), { topic: 'my-topic', partition: 3 })
    assert.equal(parsePartitionDirName('orders-0.1f2e3d-delete'), null)
    assert.equal(parsePartitionDirName('meta.properties'), null)
  })

  it('formats checkpoints as version, count, entries', () => {
    const text = formatCheckpoint([
      ['orders', 0, 1234n],
      ['orders', 1, 99n],
    ])
    assert.equal(text, '0\n2\norders 0 1234\norders 1 99\n')
    assert.deepEqual(parseCheckpoint(text, 3, 'x'), [
      ['orders', '0', '1234'],
      ['orders', '1', '99'],
    ])
    assert.throws(() => parseCheckpoint('0\n3\na 0 1\n', 3, 'x'), /expected 3 entries/)
    assert.throws(() => parseCheckpoint('1\n0\n', 3, 'x'), /unknown version/)
  })
})

describe('layout on a real file system', () => {
  it('writes Kafka-shaped directories and files', async () => {
    const root = await mkdtemp(join(tmpdir(), 'samsa-layout-'))
    try {
      const dirs = [join(root, 'a'), join(root, 'b')]
      const clock = new ManualClock()
      const m = await LogManager.start({
        fs: new NodeFs(),
        clock,
        config: { logDirs: dirs },
        defaultLogConfig: { segmentBytes: 2000 },
      })
      const appended: Buffer[] = []
      const l0 = await m.getOrCreateLog('orders', 0, { topicId: TOPIC_ID })
      const l1 = await m.getOrCreateLog('orders', 1)
      const l2 = await m.getOrCreateLog('payments', 0)
      assert.notEqual(
        m.allLogs().find((e) => e.log === l0)?.logDir,
        m.allLogs().find((e) => e.log === l1)?.logDir,
      )
      for (let i = 0; i < 30; i++) {
        const b = makeBatch(3, { tag: `${i}` })
        await l0.append(b, { leaderEpoch: 5 })
        appended.push(Buffer.from(b))
      }
      await l1.append(makeBatch(1))
      await l2.append(makeBatch(1))
      l0.updateHighWatermark(l0.logEndOffset)
      await m.shutdown()

      const d0 = m.allLogs().find((e) => e.log === l0)!.logDir
      const files = await readdir(join(d0, 'orders-0'))
      const logs = files.filter((f) => f.endsWith('.log'))
      assert.ok(logs.length > 1)
      for (const f of logs) {
        assert.match(f, /^\d{20}\.log$/)
        const stem = f.slice(0, 20)
        assert.ok(files.includes(`${stem}.index`) && files.includes(`${stem}.timeindex`))
      }
      assert.ok(files.includes('leader-epoch-checkpoint'))
      assert.equal(await readFile(join(d0, 'orders-0', 'leader-epoch-checkpoint'), 'utf8'), '0\n1\n5 0\n')
      assert.equal(
        await readFile(join(d0, 'orders-0', 'partition.metadata'), 'utf8'),
        `version: 0\ntopic_id: ${TOPIC_ID}\n`,
      )
      // The .log files, concatenated, are exactly the appended batches with their offsets.
      const all = Buffer.concat(await Promise.all(logs.sort().map((f) => readFile(join(d0, 'orders-0', f)))))
      assert.deepEqual(all, Buffer.concat(appended))
      const { batches, end } = splitBatches(all)
      assert.equal(end, all.length)
      batches.forEach((b, i) => {
        assert.equal(b.baseOffset, BigInt(i * 3))
        assert.equal(checkBatch(all, b.position, b.position + b.size), 0)
      })
      for (const d of dirs) {
        const top = await readdir(d)
        for (const f of [
          '.kafka_cleanshutdown',
          'recovery-point-offset-checkpoint',
          'log-start-offset-checkpoint',
          'replication-offset-checkpoint',
        ]) {
          assert.ok(top.includes(f), `${f} in ${d}`)
        }
      }
      const rp = await readFile(join(d0, 'recovery-point-offset-checkpoint'), 'utf8')
      assert.ok(rp.startsWith('0\n'))
      assert.ok(rp.includes('orders 0 90\n'), rp)
      assert.ok((await readFile(join(d0, 'replication-offset-checkpoint'), 'utf8')).includes('orders 0 90\n'))
      assert.match(await readFile(join(d0, '.kafka_cleanshutdown'), 'utf8'), /"version":0/)

      // Reopen: clean, the marker goes away, data and offsets are back.
      const m2 = await LogManager.start({ fs: new NodeFs(), clock, config: { logDirs: dirs } })
      const again = m2.getLog('orders', 0)!
      assert.equal(again.logEndOffset, 90n)
      assert.equal(again.highWatermark, 90n)
      assert.equal(again.topicId, TOPIC_ID)
      assert.equal((await readAll(again)).length, 90)
      for (const d of dirs) assert.ok(!(await readdir(d)).includes('.kafka_cleanshutdown'))
      await m2.shutdown()
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })
})

describe('LogManager', () => {
  it('spreads new logs over the dirs with the fewest logs', async () => {
    const m = await LogManager.start({
      fs: new MemoryFs(),
      clock: new ManualClock(),
      config: { logDirs: ['/a', '/b', '/c'] },
    })
    for (let p = 0; p < 9; p++) await m.getOrCreateLog('t', p)
    const counts = new Map<string, number>()
    for (const e of m.allLogs()) counts.set(e.logDir, (counts.get(e.logDir) ?? 0) + 1)
    assert.deepEqual([...counts.values()], [3, 3, 3])
    assert.equal(await m.getOrCreateLog('t', 0), m.getLog('t', 0))
    await m.shutdown()
  })

  it('applies per-topic configs from the topicConfig callback at load and creation', async () => {
    const fs = new MemoryFs()
    const clock = new ManualClock()
    const topicConfig = (t: string) => (t === 'compacted' ? { cleanupPolicy: 'compact' as const } : undefined)
    const m = await LogManager.start({ fs, clock, config: { logDirs: ['/a'] }, topicConfig })
    assert.equal((await m.getOrCreateLog('compacted', 0)).config.cleanupPolicy, 'compact')
    assert.equal((await m.getOrCreateLog('plain', 0)).config.cleanupPolicy, 'delete')
    await m.shutdown()
    const m2 = await LogManager.start({ fs, clock, config: { logDirs: ['/a'] }, topicConfig })
    assert.equal(m2.getLog('compacted', 0)?.config.cleanupPolicy, 'compact')
    await m2.shutdown()
  })

  it('refuses a different topic id for an existing partition', async () => {
    const m = await LogManager.start({
      fs: new MemoryFs(),
      clock: new ManualClock(),
      config: { logDirs: ['/a'] },
    })
    await m.getOrCreateLog('t', 0, { topicId: TOPIC_ID })
    await assert.rejects(
      m.getOrCreateLog('t', 0, { topicId: 'ZZZZZZZZZZZZZZZZZZZZZZ' as Uuid }),
      /INCONSISTENT|SAMSA-STORE-006/,
    )
    await m.shutdown()
  })

  it('deletes a log by renaming its dir to -delete, then removing it after the delay', async () => {
    const fs = new MemoryFs()
    const clock = new ManualClock()
    const m = await LogManager.start({ fs, clock, config: { logDirs: ['/a'] } })
    const log = await m.getOrCreateLog('gone', 0)
    await log.append(makeBatch(2))
    assert.equal(await m.deleteLog('gone', 0), true)
    assert.equal(m.getLog('gone', 0), undefined)
    const names = await fs.readdir('/a')
    assert.ok(
      names.some((n) => /^gone-0\.[0-9a-f]{32}-delete$/.test(n)),
      names.join(),
    )
    await clock.advanceAsync(60_000)
    assert.ok(!(await fs.readdir('/a')).some((n) => n.startsWith('gone-0')))
    await m.shutdown()
  })

  it('runs retention and checkpoints on its timers', async () => {
    const fs = new MemoryFs()
    const clock = new ManualClock()
    const m = await LogManager.start({
      fs,
      clock,
      config: { logDirs: ['/a'], retentionCheckIntervalMs: 1000 },
      defaultLogConfig: { segmentBytes: 300, retentionMs: 10_000, fileDeleteDelayMs: 0 },
    })
    const log = await m.getOrCreateLog('t', 0)
    for (let i = 0; i < 10; i++) await log.append(makeBatch(2, { ts: clock.now() }))
    log.updateHighWatermark(log.logEndOffset)
    const segs = log.numberOfSegments
    assert.ok(segs > 2)
    await clock.advanceAsync(5_000)
    assert.equal(log.numberOfSegments, segs)
    await clock.advanceAsync(10_000)
    assert.equal(log.numberOfSegments, 1)
    assert.equal(log.logStartOffset, log.logEndOffset)
    await clock.advanceAsync(60_000)
    const ck = (await fs.readFile('/a/log-start-offset-checkpoint')).toString()
    assert.equal(ck, `0\n1\nt 0 ${log.logEndOffset}\n`)
    await m.shutdown()
  })
})
