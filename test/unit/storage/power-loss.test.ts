// Power loss on the memory Fs, at arbitrary moments of a concurrent workload (appends, rolls,
// flushes, retention, checkpoints): after the crash the log always reopens, nothing that was
// fsynced is lost, nothing that was never written appears, and the log ends at a batch boundary
// with indexes that agree with it.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ManualClock } from '../../../src/common/clock.ts'
import { MemoryFs } from '../../../src/common/memory-fs.ts'
import { buildBatch } from '../../../src/records/builder.ts'
import { splitBatches } from '../../../src/storage/batch-scan.ts'
import type { Log } from '../../../src/storage/log.ts'
import { LogManager } from '../../../src/storage/log-manager.ts'
import { deleteOldSegments } from '../../../src/storage/retention.ts'
import { recordsOf } from '../../support/storage-helpers.ts'

const ROUNDS = 80

function prng(seed: number) {
  let s = seed * 2654435761
  return () => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return (s >>> 0) / 4294967296
  }
}

async function contents(log: Log): Promise<Map<bigint, string>> {
  const out = new Map<bigint, string>()
  let offset = log.logStartOffset
  while (offset < log.logEndOffset) {
    const r = await log.readRecords(offset, 5000)
    const { batches, end } = splitBatches(r.records)
    assert.equal(end, r.records.length)
    if (batches.length === 0) break
    // Indexes agree with the log: a read from any batch's base offset starts at that batch.
    for (const b of batches) assert.equal((await log.read(b.baseOffset, 1)).firstBatchOffset, b.baseOffset)
    for (const x of recordsOf(r.records)) out.set(x.offset, x.value!)
    offset = batches[batches.length - 1].lastOffset + 1n
  }
  return out
}

async function round(seed: number): Promise<void> {
  const random = prng(seed)
  const fs = new MemoryFs()
  const clock = new ManualClock()
  const durableEveryAppend = random() < 0.4
  const start = () =>
    LogManager.start({
      fs: fs.session(),
      clock,
      config: { logDirs: ['/logs'], cleanerEnable: false, recoveryPointCheckpointIntervalMs: 50 },
      defaultLogConfig: {
        segmentBytes: 800,
        indexIntervalBytes: 100,
        retentionBytes: 3000,
        flushMessages: durableEveryAppend ? 1 : Number.MAX_SAFE_INTEGER,
      },
    })
  const written = new Map<bigint, string>()
  /** Values of appends whose outcome the crash hid: they may or may not have survived. */
  const attempted = new Set<string>()
  let m = await start()
  let log = await m.getOrCreateLog('t', 0)
  await fs.syncDir('/')
  // A few generations: workload, crash at a random instant, reopen, check.
  for (let gen = 0; gen < 3; gen++) {
    let crashed = false
    let acked = -1n
    const workload = (async () => {
      for (let i = 0; !crashed && i < 40; i++) {
        const n = 1 + Math.floor(random() * 4)
        const values = Array.from({ length: n }, (_, j) => `g${gen}-${i}-${j}`)
        for (const v of values) attempted.add(v)
        const p = log.append(buildBatch(values.map((v) => ({ key: 'k', value: v, timestamp: clock.now() }))))
        p.catch(() => {}) // awaited below; this only keeps a rejection during the awaits in between handled
        const op = random()
        if (op < 0.1) void log.flush().catch(() => {})
        else if (op < 0.15) void log.rollNow().catch(() => {})
        else if (op < 0.2) void deleteOldSegments(log, clock.now()).catch(() => {})
        else if (op < 0.25) await clock.advanceAsync(60)
        const r = await p
        if (crashed) break
        for (const [j, v] of values.entries()) written.set(r.firstOffset + BigInt(j), v)
        if (r.lastOffset > acked) acked = r.lastOffset
        log.updateHighWatermark(log.logEndOffset)
      }
    })().catch(() => {})
    // Crash after a random number of event-loop turns.
    const turns = Math.floor(random() * 60)
    for (let t = 0; t < turns; t++) await new Promise((r) => setImmediate(r))
    const synced = log.recoveryPoint
    const start0 = log.logStartOffset
    crashed = true
    fs.crash({ mode: random() < 0.5 ? 'torn' : 'drop', random })
    await workload
    await m.abandon()

    const before = log.logEndOffset
    m = await start()
    log = m.getLog('t', 0)!
    const ctx = `seed ${seed} gen ${gen}`
    if (process.env.SAMSA_TRACE)
      console.log(ctx, 'leo', before, '->', log.logEndOffset, 'synced', synced, 'acked', acked)
    assert.ok(log.logEndOffset >= synced, `${ctx}: lost fsynced data (LEO ${log.logEndOffset} < ${synced})`)
    if (durableEveryAppend) assert.ok(log.logEndOffset > acked, `${ctx}: lost an acknowledged append`)
    assert.ok(log.logStartOffset <= start0 || log.logStartOffset <= synced, `${ctx}: log start moved ahead`)
    const now = await contents(log)
    for (const [o, v] of now) {
      const known = written.get(o)
      if (known !== undefined) assert.equal(v, known, `${ctx}: record ${o} is not what was written`)
      else assert.ok(attempted.has(v), `${ctx}: record ${o} (${v}) was never written`)
    }
    for (const [o, v] of written) {
      if (o >= log.logStartOffset && o < synced)
        assert.equal(now.get(o), v, `${ctx}: fsynced record ${o} lost`)
    }
    // Forget what did not survive (those offsets will be reused); learn what did.
    for (const o of [...written.keys()]) if (o >= log.logEndOffset) written.delete(o)
    for (const [o, v] of now) written.set(o, v)
  }
  await m.shutdown()
}

describe('power loss (memory Fs)', () => {
  it(`reopens without losing fsynced data, ${ROUNDS} seeded rounds`, async () => {
    for (let seed = 1; seed <= ROUNDS; seed++) {
      try {
        await round(seed)
      } catch (err) {
        throw new Error(`power-loss failed with seed ${seed}: ${(err as Error).message}`, { cause: err })
      }
    }
  })

  it('reopens after a failed fsync took the log offline', async () => {
    const fs = new MemoryFs()
    const clock = new ManualClock()
    const opts = { clock, config: { logDirs: ['/logs'] }, defaultLogConfig: { flushMessages: 1 } }
    const m = await LogManager.start({ fs: fs.session(), ...opts })
    const log = await m.getOrCreateLog('t', 0)
    await fs.syncDir('/')
    await log.append(buildBatch([{ key: 'a', value: 'kept' }]))
    fs.failNext({ op: 'sync', path: '.log' })
    await assert.rejects(log.append(buildBatch([{ key: 'b', value: 'unsure' }])))
    assert.ok(log.isOffline)
    await m.shutdown()
    fs.crash()
    const m2 = await LogManager.start({ fs: fs.session(), ...opts })
    const again = m2.getLog('t', 0)!
    const now = await contents(again)
    assert.equal(now.get(0n), 'kept')
    await m2.shutdown()
  })

  // The replication simulation found a follower keeping a divergent batch below the high watermark
  // after this: the epoch cache had forgotten the epochs below a DeleteRecords log start durably,
  // the log start itself was lost with the power, and the old records came back uncovered.
  it('keeps a log start moved by DeleteRecords, and the epochs of what is above it', async () => {
    const fs = new MemoryFs()
    const clock = new ManualClock()
    const opts = { clock, config: { logDirs: ['/logs'] }, defaultLogConfig: { flushMessages: 1 } }
    const m = await LogManager.start({ fs: fs.session(), ...opts })
    const log = await m.getOrCreateLog('t', 0)
    await fs.syncDir('/')
    for (const [epoch, values] of [
      [1, ['a', 'b']],
      [2, ['c', 'd']],
      [3, ['e', 'f']],
    ] as const) {
      log.assignLeaderEpoch(epoch)
      await log.append(buildBatch(values.map((v) => ({ key: 'k', value: v }))), { leaderEpoch: epoch })
    }
    log.updateHighWatermark(6n)
    assert.equal(await log.maybeIncrementLogStartOffset(4n), true)
    fs.crash()
    const m2 = await LogManager.start({ fs: fs.session(), ...opts })
    const again = m2.getLog('t', 0)!
    assert.equal(again.logStartOffset, 4n, 'the log start survived')
    assert.deepEqual(
      again.endOffsetForEpoch(2),
      { epoch: 2, endOffset: 4n },
      'no record below it is answered for',
    )
    assert.deepEqual(again.endOffsetForEpoch(3), { epoch: 3, endOffset: 6n })
    await m2.shutdown()
  })
})
