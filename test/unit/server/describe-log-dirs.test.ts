import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { ManualClock } from '../../../src/common/clock.ts'
import type { TopicName } from '../../../src/common/ids.ts'
import { MemoryFs } from '../../../src/common/memory-fs.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  type DescribeLogDirsRequest,
  describeLogDirsRequestCodec,
  describeLogDirsResponseCodec,
} from '../../../src/protocol/generated/messages/describe-log-dirs.ts'
import {
  type DescribeLogDirsServices,
  describeLogDirsHandler,
  logDirsOf,
  statfsSpace,
} from '../../../src/server/handlers/describe-log-dirs.ts'
import { LogManager } from '../../../src/storage/log-manager.ts'
import { makeBatch } from '../../support/storage-helpers.ts'
import { ctx, request, wire } from './admin-fixtures.ts'

async function describeLogDirs(
  services: DescribeLogDirsServices,
  version: number,
  fields: Partial<DescribeLogDirsRequest>,
) {
  const req = request(describeLogDirsRequestCodec, fields, version)
  const res = await describeLogDirsHandler.handle(ctx(35, version), req, services)
  assert.ok(res)
  return wire(describeLogDirsResponseCodec, res, version)
}

/** Two dirs on a memory fs; 'orders' has two partitions with data, 'empty' one without. */
async function manager() {
  const m = await LogManager.start({
    fs: new MemoryFs(),
    clock: new ManualClock(),
    config: { logDirs: ['/d1', '/d2'], cleanerEnable: false },
  })
  const o0 = await m.getOrCreateLog('orders', 0)
  const o1 = await m.getOrCreateLog('orders', 1)
  await m.getOrCreateLog('empty', 0)
  await o0.append(makeBatch(5))
  await o1.append(makeBatch(2))
  o0.updateHighWatermark(o0.logEndOffset)
  o1.updateHighWatermark(o1.logEndOffset)
  return m
}

const space = async (dir: string) => ({ total: dir === '/d1' ? 1000n : 2000n, usable: 500n })

describe('DescribeLogDirs', () => {
  it('lists every dir with its partitions, sizes and lags, and volume sizes from v4', async () => {
    const m = await manager()
    const services = { describeLogDirs: logDirsOf(m, space) }
    const sizes = new Map(
      m
        .allLogs()
        .map(({ log, logDir }) => [
          `${log.topicPartition.topic}-${log.topicPartition.partition}`,
          { size: log.size, logDir },
        ]),
    )
    for (let v = 0; v <= 4; v++) {
      const res = await describeLogDirs(services, v, { topics: null })
      assert.equal(res.errorCode, ErrorCode.NONE)
      assert.deepEqual(
        res.results.map((r) => [r.logDir, r.errorCode]),
        [
          ['/d1', ErrorCode.NONE],
          ['/d2', ErrorCode.NONE],
        ],
      )
      const seen = new Map<string, { size: number; logDir: string }>()
      for (const r of res.results)
        for (const t of r.topics)
          for (const p of t.partitions) {
            assert.equal(p.offsetLag, 0n)
            assert.equal(p.isFutureKey, false)
            seen.set(`${t.name}-${p.partitionIndex}`, { size: Number(p.partitionSize), logDir: r.logDir })
          }
      assert.deepEqual(seen, sizes)
      assert.ok(seen.get('orders-0')!.size > seen.get('orders-1')!.size)
      assert.deepEqual(
        res.results.map((r) => r.totalBytes),
        v >= 4 ? [1000n, 2000n] : [-1n, -1n],
      )
    }
    await m.shutdown()
  })

  it('restricts the answer to the requested partitions and leaves out topics without any', async () => {
    const m = await manager()
    const res = await describeLogDirs({ describeLogDirs: logDirsOf(m, space) }, 1, {
      topics: [
        { topic: 'orders' as TopicName, partitions: [1, 7] },
        { topic: 'nope' as TopicName, partitions: [0] },
      ],
    })
    const listed = res.results.flatMap((r) =>
      r.topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)]),
    )
    assert.deepEqual(listed, [['orders', [1]]])
    await m.shutdown()
  })

  it('answers KAFKA_STORAGE_ERROR for a dir whose volume cannot be read', async () => {
    const m = await manager()
    const failing = async (dir: string) => {
      if (dir === '/d2') throw new Error('EIO')
      return space(dir)
    }
    const res = await describeLogDirs({ describeLogDirs: logDirsOf(m, failing) }, 4, { topics: null })
    assert.deepEqual(
      res.results.map((r) => [r.logDir, r.errorCode, r.topics.length, r.totalBytes]),
      [
        ['/d1', ErrorCode.NONE, res.results[0]!.topics.length, 1000n],
        ['/d2', ErrorCode.KAFKA_STORAGE_ERROR, 0, -1n],
      ],
    )
    await m.shutdown()
  })

  it('reads real volume sizes with statfs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'samsa-logdirs-'))
    try {
      const { total, usable } = await statfsSpace(dir)
      assert.ok(total > 0n && usable >= 0n && usable <= total)
      await assert.rejects(statfsSpace(join(dir, 'missing')))
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('has an error response with the top-level code', () => {
    const req = request(describeLogDirsRequestCodec, { topics: null }, 3)
    const res = wire(
      describeLogDirsResponseCodec,
      describeLogDirsHandler.errorResponse!(req, 3, ErrorCode.UNSUPPORTED_VERSION),
      3,
    )
    assert.equal(res.errorCode, ErrorCode.UNSUPPORTED_VERSION)
  })
})
