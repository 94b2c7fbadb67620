// Seeded random operations on a log (through the LogManager, on the memory Fs) against a plain
// in-memory model: append, read, roll, truncate, retention, DeleteRecords, compaction, clean
// restart and power loss. A failure names its seed; rerun one with SAMSA_SEED=<n>.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ManualClock } from '../../../src/common/clock.ts'
import { MemoryFs } from '../../../src/common/memory-fs.ts'
import { buildBatch } from '../../../src/records/builder.ts'
import { splitBatches } from '../../../src/storage/batch-scan.ts'
import { readRanges } from '../../../src/storage/file-range.ts'
import type { Log } from '../../../src/storage/log.ts'
import type { LogConfig } from '../../../src/storage/log-config.ts'
import { LogManager } from '../../../src/storage/log-manager.ts'
import { deleteOldSegments } from '../../../src/storage/retention.ts'
import { seeded } from '../../support/seeded.ts'
import { recordsOf } from '../../support/storage-helpers.ts'

const SEEDS = 40
const OPS = 120

function rng(seed: number) {
  const next = seeded(seed)
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
    chance: (p: number) => next() < p,
  }
}

interface Rec {
  key: string
  value: string
}

class Model {
  /** Current content: offset -> record. */
  recs = new Map<bigint, Rec>()
  /** Every record ever appended at an offset (the latest one). */
  history = new Map<bigint, Rec>()
  /** Batch ranges, for truncation inside a batch. */
  batches: { base: bigint; last: bigint }[] = []
  leo = 0n
  start = 0n

  append(base: bigint, recs: Rec[]): void {
    recs.forEach((r, i) => {
      this.recs.set(base + BigInt(i), r)
      this.history.set(base + BigInt(i), r)
    })
    this.batches.push({ base, last: base + BigInt(recs.length - 1) })
    this.leo = base + BigInt(recs.length)
  }

  truncate(to: bigint): void {
    let cut = to
    for (const b of this.batches) if (b.base < to && b.last >= to) cut = b.base
    for (const o of [...this.recs.keys()]) if (o >= cut) this.recs.delete(o)
    this.batches = this.batches.filter((b) => b.last < cut)
    this.leo = to
  }

  setStart(s: bigint): void {
    this.start = s
    for (const o of [...this.recs.keys()]) if (o < s) this.recs.delete(o)
  }

  sorted(): [bigint, Rec][] {
    return [...this.recs].sort((a, b) => (a[0] < b[0] ? -1 : 1))
  }
}

async function readEverything(log: Log): Promise<Map<bigint, Rec>> {
  const out = new Map<bigint, Rec>()
  let offset = log.logStartOffset
  while (offset < log.logEndOffset) {
    const r = await log.readRecords(offset, 1 + Math.floor(Math.random() * 4000))
    if (r.records.length === 0) break
    const { batches, end } = splitBatches(r.records)
    assert.equal(end, r.records.length, 'whole batches only')
    for (const x of recordsOf(r.records))
      if (x.offset >= offset) out.set(x.offset, { key: x.key!, value: x.value! })
    offset = batches[batches.length - 1].lastOffset + 1n
  }
  return out
}

async function runSeed(seed: number): Promise<void> {
  const r = rng(seed)
  const fs = new MemoryFs()
  const clock = new ManualClock()
  const compact = r.chance(0.4)
  const config: Partial<LogConfig> = {
    segmentBytes: r.pick([700, 1000, 2000]),
    indexIntervalBytes: r.pick([0, 100, 4096]),
    segmentIndexBytes: r.pick([64, 1 << 20]),
    cleanupPolicy: compact ? 'compact,delete' : 'delete',
    retentionMs: -1,
    fileDeleteDelayMs: r.pick([0, 1000]),
    flushMessages: r.pick([1, 5, Number.MAX_SAFE_INTEGER]),
  }
  const start = () =>
    LogManager.start({
      fs: fs.session(),
      clock,
      config: { logDirs: ['/d1', '/d2'], cleanerEnable: false },
      defaultLogConfig: config,
      random: r.next,
    })
  let m = await start()
  let log = await m.getOrCreateLog('t', 0)
  await fs.syncDir('/')
  const model = new Model()
  let seq = 0
  const check = async (what: string) => {
    assert.equal(log.logEndOffset, model.leo, `${what}: LEO`)
    assert.equal(log.logStartOffset, model.start, `${what}: log start`)
    assert.deepEqual(
      [...(await readEverything(log))].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
      model.sorted(),
      what,
    )
  }

  for (let op = 0; op < OPS; op++) {
    const roll = r.next()
    const ctx = `op ${op}`
    if (process.env.SAMSA_TRACE) {
      console.log(
        ctx,
        roll.toFixed(3),
        'leo',
        log.logEndOffset,
        'rp',
        log.recoveryPoint,
        'start',
        log.logStartOffset,
        'segs',
        log.segmentList.map((x) => `${x.baseOffset}:${x.size}`).join(' '),
      )
    }
    if (roll < 0.4) {
      const n = r.int(1, 3)
      const bufs: Buffer[] = []
      const batches: Rec[][] = []
      for (let b = 0; b < n; b++) {
        const recs = Array.from({ length: r.int(1, 6) }, () => ({
          key: `k${r.int(0, 9)}`,
          value: `v${seq++}${'x'.repeat(r.int(0, 40))}`,
        }))
        batches.push(recs)
        bufs.push(buildBatch(recs.map((x) => ({ ...x, timestamp: clock.now() }))))
      }
      const res = await log.append(bufs, { leaderEpoch: 1 + Math.floor(op / 40) })
      let base = res.firstOffset
      for (const recs of batches) {
        model.append(base, recs)
        base += BigInt(recs.length)
      }
      if (r.chance(0.7)) log.updateHighWatermark(log.logEndOffset)
    } else if (roll < 0.55) {
      const from = model.start + BigInt(r.int(0, Number(model.leo - model.start)))
      const maxBytes = r.int(1, 3000)
      const maxOffset = r.chance(0.5) ? log.highWatermark : undefined
      const res = await log.readRecords(from, maxBytes, { maxOffset })
      // The ranges API returns the same bytes.
      const ranges = await log.read(from, maxBytes, { maxOffset })
      assert.deepEqual(
        await readRanges(ranges.ranges),
        res.records,
        `${ctx}: read() and readRecords() differ`,
      )
      // The batch holding `from` comes whole: records before it are the consumer's to skip.
      const recs = recordsOf(res.records).filter((x) => x.offset >= from)
      const { batches } = splitBatches(res.records)
      if (batches.length > 1) assert.ok(res.records.length <= maxBytes, `${ctx}: maxBytes`)
      const limit = maxOffset ?? model.leo
      for (const x of recs) {
        assert.ok(x.offset < limit, `${ctx}: offset ${x.offset} past ${limit}`)
        assert.deepEqual(
          { key: x.key, value: x.value },
          model.recs.get(x.offset),
          `${ctx}: record ${x.offset}`,
        )
      }
      const got = new Set(recs.map((x) => x.offset))
      const lastRead = batches.length > 0 ? batches[batches.length - 1].lastOffset : from - 1n
      for (const [o] of model.recs) {
        if (o >= from && o <= lastRead) assert.ok(got.has(o), `${ctx}: record ${o} skipped`)
      }
      if (batches.length === 0 && from < limit) {
        const next = model.sorted().find(([o]) => o >= from)
        assert.ok(
          next === undefined || next[0] >= limit || batches.length > 0,
          `${ctx}: empty read from ${from}`,
        )
      }
    } else if (roll < 0.6) {
      await log.rollNow()
    } else if (roll < 0.67) {
      const to = model.start + BigInt(r.int(0, Number(model.leo - model.start)))
      await log.truncateTo(to)
      if (to < model.leo) {
        model.truncate(to)
        // The LEO follows the last whole batch left, at most `to`, never below the log start.
        const leo = log.logEndOffset
        const lastRec = model.sorted().pop()?.[0] ?? -1n
        assert.ok(
          leo <= to && leo > lastRec && leo >= model.start,
          `${ctx}: LEO ${leo} after truncating to ${to}`,
        )
        model.leo = leo
        model.batches = model.batches.filter((b) => b.last < leo)
      }
    } else if (roll < 0.73) {
      log.updateConfig({ ...log.config, retentionBytes: r.int(0, 3000) })
      await deleteOldSegments(log, clock.now())
      log.updateConfig({ ...log.config, retentionBytes: -1 })
      assert.ok(log.logStartOffset <= log.highWatermark)
      model.setStart(log.logStartOffset)
    } else if (roll < 0.77) {
      const to = model.start + BigInt(r.int(0, Number(log.highWatermark - model.start)))
      await log.maybeIncrementLogStartOffset(to)
      if (to > model.start) model.setStart(to)
    } else if (roll < 0.83 && compact) {
      const before = new Map(model.recs)
      await m.cleaner.clean(log, m.allLogs()[0].logDir)
      const after = await readEverything(log)
      const lastByKey = new Map<string, bigint>()
      for (const [o, x] of model.sorted()) lastByKey.set(x.key, o)
      for (const [o, x] of before) {
        if (after.has(o)) assert.deepEqual(after.get(o), x, `${ctx}: compaction changed ${o}`)
        else assert.ok(lastByKey.get(x.key)! > o, `${ctx}: compaction dropped the newest record of ${x.key}`)
      }
      for (const o of [...model.recs.keys()]) if (!after.has(o)) model.recs.delete(o)
      // Batches left without records are gone from the log.
      model.batches = model.batches.filter((b) => {
        for (let o = b.base; o <= b.last; o++) if (model.recs.has(o) || o < model.start) return true
        return false
      })
    } else if (roll < 0.88) {
      await m.shutdown()
      m = await start()
      log = m.getLog('t', 0)!
    } else if (roll < 0.93) {
      // Power loss: whatever was below the recovery point survives; beyond it, a prefix may.
      const durable = log.recoveryPoint
      const pending = r.chance(0.5) ? log.append(buildBatch([{ key: 'k0', value: 'inflight' }])) : null
      fs.crash({ mode: r.chance(0.5) ? 'torn' : 'drop', random: r.next })
      await pending?.catch(() => {})
      await m.abandon()
      m = await start()
      log = m.getLog('t', 0)!
      const leo = log.logEndOffset
      assert.ok(leo >= durable, `${ctx}: lost synced data (LEO ${leo} < recovery point ${durable})`)
      assert.ok(log.logStartOffset <= model.start, `${ctx}: log start moved forward`)
      const now = await readEverything(log)
      for (const [o, x] of now) {
        const h = o >= model.leo ? undefined : model.history.get(o)
        if (h === undefined) {
          assert.ok(o >= model.leo && x.value === 'inflight', `${ctx}: unknown record at ${o}`)
          model.history.set(o, x)
        } else {
          assert.deepEqual(x, h, `${ctx}: record ${o} changed`)
        }
      }
      for (const [o] of model.recs) {
        if (o < durable && o >= log.logStartOffset) assert.ok(now.has(o), `${ctx}: synced record ${o} lost`)
      }
      model.recs = now
      model.batches = model.batches.filter((b) => b.last < leo)
      if (leo > model.leo) model.batches.push({ base: model.leo, last: leo - 1n })
      model.leo = leo
      model.start = log.logStartOffset
    } else {
      clock.advance(r.int(0, 5000))
    }
    if (op % 10 === 0 || op === OPS - 1) await check(ctx)
  }
  await check('end')
  await m.shutdown()
}

describe('random operations against a model', () => {
  // SAMSA_SEED=<n> runs one seed; SAMSA_SEEDS=<from>-<to> a range (for long soak runs).
  const only = process.env.SAMSA_SEED
  const range = process.env.SAMSA_SEEDS?.split('-').map(Number)
  const seeds =
    only !== undefined
      ? [Number(only)]
      : range !== undefined
        ? Array.from({ length: range[1] - range[0] + 1 }, (_, i) => range[0] + i)
        : Array.from({ length: SEEDS }, (_, i) => i + 1)
  it(`holds for ${seeds.length} seeds × ${OPS} operations`, async () => {
    for (const seed of seeds) {
      try {
        await runSeed(seed)
      } catch (err) {
        throw new Error(
          `random-ops failed with seed ${seed} (rerun: SAMSA_SEED=${seed}): ${(err as Error).message}`,
          {
            cause: err,
          },
        )
      }
    }
  })
})
