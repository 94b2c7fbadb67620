// The coordinator runtime on its own: responses released only after the records are committed,
// group commit of operations arriving during a write, replay on load, timers on the clock, unload,
// and the storage-backed CoordinatorLog (a real compacted Log on a memory file system).

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ManualClock, settle } from '../../../src/common/clock.ts'
import { silentLogger } from '../../../src/common/logger.ts'
import { MemoryFs } from '../../../src/common/memory-fs.ts'
import type { CoordinatorLog } from '../../../src/coordinator/runtime/coordinator-log.ts'
import {
  type CoordinatorResult,
  CoordinatorRuntime,
  type CoordinatorShard,
  type ShardContext,
} from '../../../src/coordinator/runtime/coordinator-runtime.ts'
import { LocalCoordinatorLog } from '../../../src/coordinator/runtime/local-coordinator-log.ts'
import { MemoryCoordinatorLog } from '../../../src/coordinator/runtime/memory-coordinator-log.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import { LogManager } from '../../../src/storage/log-manager.ts'

/** A counter machine: records are "key=value" pairs; replay keeps the latest value per key. */
class KvShard implements CoordinatorShard {
  readonly values = new Map<string, string>()
  readonly ctx: ShardContext
  loaded = false
  unloaded = false
  constructor(ctx: ShardContext) {
    this.ctx = ctx
  }
  replay(_offset: bigint, key: Buffer, value: Buffer | null): void {
    if (value === null) this.values.delete(key.toString())
    else this.values.set(key.toString(), value.toString())
  }
  onLoaded(): void {
    this.loaded = true
  }
  onUnloaded(): void {
    this.unloaded = true
  }
  put(key: string, value: string | null): CoordinatorResult<string> {
    return {
      records: [{ key: Buffer.from(key), value: value === null ? null : Buffer.from(value) }],
      response: `put ${key}`,
    }
  }
}

function runtime(log: CoordinatorLog, clock = new ManualClock()) {
  const shards: KvShard[] = []
  const rt = new CoordinatorRuntime<KvShard>({
    log,
    clock,
    logger: silentLogger,
    newShard: (ctx) => {
      const s = new KvShard(ctx)
      shards.push(s)
      return s
    },
  })
  return { rt, shards, clock }
}

const fail = (code: number) => `error ${code}`

describe('coordinator runtime', () => {
  it('releases a response only after its records are committed, then replays them', async () => {
    const log = new MemoryCoordinatorLog()
    const { rt, shards } = runtime(log)
    await rt.load(0)
    assert.ok(shards[0].loaded)
    log.hold()
    let answered = false
    const p = rt
      .write(0, (s) => s.put('a', '1'), fail)
      .then((r) => {
        answered = true
        return r
      })
    await settle()
    assert.equal(answered, false)
    assert.equal(shards[0].values.has('a'), false, 'not visible before the commit')
    log.release()
    assert.equal(await p, 'put a')
    assert.equal(shards[0].values.get('a'), '1')
  })

  it('groups operations that arrive during a write into the next batch, in order', async () => {
    const log = new MemoryCoordinatorLog()
    const { rt, shards } = runtime(log)
    await rt.load(0)
    log.hold()
    const first = rt.write(0, (s) => s.put('k', '1'), fail)
    const rest = [2, 3, 4].map((i) => rt.write(0, (s) => s.put('k', String(i)), fail))
    await settle()
    log.release()
    await Promise.all([first, ...rest])
    assert.equal(log.batchCount(0), 2, 'one batch, then the three waiting ops together')
    assert.equal(shards[0].values.get('k'), '4')
  })

  it('rebuilds state by replaying the log, tombstones included', async () => {
    const log = new MemoryCoordinatorLog()
    const a = runtime(log)
    await a.rt.load(1)
    await a.rt.write(1, (s) => s.put('x', '1'), fail)
    await a.rt.write(1, (s) => s.put('y', '2'), fail)
    await a.rt.write(1, (s) => s.put('x', null), fail)
    const b = runtime(log)
    await b.rt.load(1)
    assert.deepEqual([...b.shards[0].values], [['y', '2']])
  })

  it('answers NOT_COORDINATOR for partitions not loaded and LOAD_IN_PROGRESS while loading', async () => {
    const memory = new MemoryCoordinatorLog()
    let open!: () => void
    const gate = new Promise<void>((r) => {
      open = r
    })
    const { rt } = runtime({
      append: (p, b) => memory.append(p, b),
      read: (p, o, m) => gate.then(() => memory.read(p, o, m)),
    })
    assert.equal(await rt.write(0, (s) => s.put('a', '1'), fail), `error ${ErrorCode.NOT_COORDINATOR}`)
    const loading = rt.load(0)
    assert.equal(rt.state(0), 'loading')
    assert.equal(
      await rt.write(0, (s) => s.put('a', '1'), fail),
      `error ${ErrorCode.COORDINATOR_LOAD_IN_PROGRESS}`,
    )
    assert.equal(
      rt.read(0, () => 'ok', fail),
      `error ${ErrorCode.COORDINATOR_LOAD_IN_PROGRESS}`,
    )
    open()
    await loading
    assert.equal(rt.state(0), 'active')
    assert.equal(
      rt.read(0, () => 'ok', fail),
      'ok',
    )
  })

  it('runs timers as write operations and cancels them on unload', async () => {
    const log = new MemoryCoordinatorLog()
    const { rt, shards, clock } = runtime(log)
    await rt.load(0)
    const s = shards[0]
    s.ctx.timer.schedule('t', 1000, () => s.put('timer', 'fired'))
    s.ctx.timer.schedule('t', 2000, () => s.put('timer', 'rescheduled'))
    clock.advance(1000)
    await settle()
    assert.equal(s.values.has('timer'), false, 'replaced by the later one')
    clock.advance(1000)
    await settle()
    assert.equal(s.values.get('timer'), 'rescheduled')
    s.ctx.timer.schedule('u', 1000, () => s.put('late', 'x'))
    assert.ok(s.ctx.timer.isScheduled('u'))
    rt.unload(0)
    assert.ok(s.unloaded)
    clock.advance(5000)
    await settle()
    assert.equal(s.values.has('late'), false)
    assert.equal(clock.pending(), 0)
  })

  it('calls onFailed and answers the mapped error when the write fails', async () => {
    const log = new MemoryCoordinatorLog()
    const { rt } = runtime(log)
    await rt.load(0)
    let failedWith = 0
    log.failNext(ErrorCode.REQUEST_TIMED_OUT)
    const r = await rt.write(
      0,
      (s) => ({ ...s.put('a', '1'), onFailed: (c: number) => (failedWith = c) }),
      fail,
    )
    assert.equal(r, `error ${ErrorCode.COORDINATOR_NOT_AVAILABLE}`)
    assert.equal(failedWith, ErrorCode.COORDINATOR_NOT_AVAILABLE)
  })

  it('writes to and loads from a real compacted storage Log', async () => {
    const clock = new ManualClock()
    const manager = await LogManager.start({ fs: new MemoryFs(), clock, config: { logDirs: ['/data'] } })
    const logFor = (p: number) =>
      manager.getOrCreateLog('__consumer_offsets', p, {
        config: { cleanupPolicy: 'compact', segmentBytes: 1 << 20 },
      })
    const a = runtime(new LocalCoordinatorLog({ logFor }), clock)
    await a.rt.load(2)
    for (let i = 0; i < 20; i++) await a.rt.write(2, (s) => s.put(`k${i % 5}`, String(i)), fail)
    const log = await logFor(2)
    assert.equal(log.logEndOffset, 20n)
    assert.equal(log.highWatermark, 20n, 'committed: the high watermark follows on a single replica')
    const b = runtime(new LocalCoordinatorLog({ logFor }), clock)
    await b.rt.load(2)
    assert.deepEqual([...b.shards[0].values].sort(), [
      ['k0', '15'],
      ['k1', '16'],
      ['k2', '17'],
      ['k3', '18'],
      ['k4', '19'],
    ])
    const missing = runtime(new LocalCoordinatorLog({ logFor: () => undefined }), clock)
    await missing.rt.load(0)
    assert.equal(missing.rt.state(0), 'absent', 'a failed load leaves the partition unloaded')
    await manager.shutdown()
  })
})
