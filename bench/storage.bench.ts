// Storage benchmark (not a test: it asserts nothing about speed).
//
// 1. Append 16 KiB and 1 MiB batches of 1 KiB records to a log, then read them back
//    sequentially; beside each, a raw node:fs loop writing/reading the same sizes to/from a
//    plain file in the same run. Both go through the page cache (default flush policy: no fsync).
// 2. Opening time of a 1 GiB log after a clean shutdown and after an unclean one (no recovery
//    point checkpoint: every byte is read and CRC-checked). Warm page cache.
// 3. Memory (heap + buffers) and file descriptors per idle partition after a clean reopen.
//
//   node_modules/.bin/node --expose-gc bench/storage.bench.ts [--total-mib=256] [--reps=5] [--dir=/tmp]
//     [--only=throughput|open|memory]

import { mkdtemp, open, readdir, rm, unlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ManualClock } from '../src/common/clock.ts'
import { NodeFs } from '../src/common/node-fs.ts'
import { buildBatch } from '../src/records/builder.ts'
import { LogManager } from '../src/storage/log-manager.ts'

const { values: args } = parseArgs({
  options: {
    'total-mib': { type: 'string', default: '256' },
    reps: { type: 'string', default: '5' },
    dir: { type: 'string', default: tmpdir() },
    only: { type: 'string' },
  },
})
const TOTAL = Number(args['total-mib']) * 1024 * 1024
const fs = new NodeFs()
const clock = new ManualClock(Date.now())
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})

function batchOf(bytes: number): Buffer {
  const records = Array.from({ length: Math.max(1, Math.floor(bytes / 1024)) }, (_, i) => ({
    key: `key-${i}`,
    value: Buffer.alloc(1024 - 16, i & 0xff),
  }))
  return buildBatch(records, { timestamp: Date.now() })
}

const mbps = (bytes: number, ns: bigint) => bytes / 1e6 / (Number(ns) / 1e9)
const fmt = (n: number) => n.toFixed(0).padStart(6)

async function manager(root: string, extra: Record<string, unknown> = {}) {
  return LogManager.start({ fs, clock, config: { logDirs: [root], cleanerEnable: false }, ...extra })
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** Offset after the last batch in a buffer of whole batches. */
function nextOffset(records: Buffer): bigint {
  let p = 0
  let last = -1n
  while (p < records.length) {
    last = records.readBigInt64BE(p) + BigInt(records.readInt32BE(p + 23))
    p += records.readInt32BE(p + 8) + 12
  }
  return last + 1n
}

/**
 * One run: the raw loop and the log side by side, in interleaved slices of CHUNK operations, so
 * both see the same machine load (other processes, page cache writeback) over the run.
 */
async function sideBySide(root: string, rep: number, batch: Buffer, count: number, fetches: number[]) {
  const CHUNK = 64
  const m = await manager(root)
  const log = await m.getOrCreateLog('bench', rep)
  const raw = await open(join(root, 'raw.bin'), 'w+')
  const t = { rawW: 0n, logW: 0n, rawR: 0n, logR: fetches.map(() => 0n) }
  const readBytes = fetches.map(() => 0)
  for (let i = 0; i < count; i += CHUNK) {
    const n = Math.min(CHUNK, count - i)
    let t0 = process.hrtime.bigint()
    for (let j = i; j < i + n; j++) await raw.write(batch, 0, batch.length, j * batch.length)
    let t1 = process.hrtime.bigint()
    t.rawW += t1 - t0
    t0 = process.hrtime.bigint()
    for (let j = 0; j < n; j++) await log.append(batch)
    t1 = process.hrtime.bigint()
    t.logW += t1 - t0
  }
  const cursors = fetches.map(() => 0n)
  for (let i = 0; i < count; i += CHUNK) {
    const n = Math.min(CHUNK, count - i)
    let t0 = process.hrtime.bigint()
    // A new buffer per read, as a fetch response needs one.
    for (let j = i; j < i + n; j++)
      await raw.read(Buffer.allocUnsafe(batch.length), 0, batch.length, j * batch.length)
    t.rawR += process.hrtime.bigint() - t0
    for (const [k, fb] of fetches.entries()) {
      // The log reads the same number of bytes in this slice, in fetches of `fb` bytes.
      const target = (i + n) * batch.length
      t0 = process.hrtime.bigint()
      while (readBytes[k] < target && cursors[k] < log.logEndOffset) {
        const r = await log.readRecords(cursors[k], fb)
        readBytes[k] += r.records.length
        cursors[k] = nextOffset(r.records)
      }
      t.logR[k] += process.hrtime.bigint() - t0
    }
  }
  await raw.close()
  await unlink(join(root, 'raw.bin'))
  await m.shutdown()
  await rm(join(root, `bench-${rep}`), { recursive: true, force: true })
  const bytes = count * batch.length
  return {
    rawW: mbps(bytes, t.rawW),
    logW: mbps(bytes, t.logW),
    rawR: mbps(bytes, t.rawR),
    logR: t.logR.map((ns, k) => mbps(readBytes[k], ns)),
  }
}

async function throughput(root: string) {
  const REPS = Number(args.reps)
  console.log(`\n1. Throughput: ${TOTAL / 1024 / 1024} MiB per run, median of ${REPS}, page cache, MB/s`)
  console.log('   batch      | log append  raw write  ratio | fetch size  log read  raw read  ratio')
  for (const size of [16 * 1024, 1024 * 1024]) {
    const batch = batchOf(size)
    const count = Math.floor(TOTAL / batch.length)
    const fetches = size < 1024 * 1024 ? [batch.length, 1024 * 1024] : [batch.length]
    await sideBySide(root, 99, batch, Math.min(count, 256), fetches)
    const runs = []
    for (let rep = 0; rep < REPS; rep++) runs.push(await sideBySide(root, rep, batch, count, fetches))
    const aw = median(runs.map((x) => x.logW))
    const rw = median(runs.map((x) => x.rawW))
    const rr = median(runs.map((x) => x.rawR))
    for (const [i, fb] of fetches.entries()) {
      const ar = median(runs.map((x) => x.logR[i]))
      const label = `${(batch.length / 1024).toFixed(0)} KiB`.padEnd(10)
      const left = i === 0 ? `    ${fmt(aw)}     ${fmt(rw)}  ${(aw / rw).toFixed(2)}` : ' '.repeat(30)
      console.log(
        `   ${i === 0 ? label : ' '.repeat(10)} |${left} | ${`${(fb / 1024).toFixed(0)} KiB`.padEnd(10)}  ${fmt(ar)}    ${fmt(rr)}  ${(ar / rr).toFixed(2)}`,
      )
    }
  }
  console.log(
    '   raw: node:fs positional write/read of one batch-sized buffer per call (a new buffer per read);',
  )
  console.log('   log: Log.append of one batch per call, Log.readRecords with the given fetch size.')
}

async function openTimes(root: string) {
  console.log('\n2. Opening a 1 GiB log (warm page cache)')
  const batch = batchOf(1024 * 1024)
  const m = await manager(root)
  const log = await m.getOrCreateLog('big', 0)
  while (log.size < 1024 * 1024 * 1024) await log.append(batch)
  const segments = log.numberOfSegments
  await m.shutdown()
  let t = process.hrtime.bigint()
  const clean = await manager(root)
  const cleanMs = Number(process.hrtime.bigint() - t) / 1e6
  // Unclean: the process dies without a marker or checkpoints: recovery reads everything.
  await clean.abandon()
  await unlink(join(root, 'recovery-point-offset-checkpoint'))
  t = process.hrtime.bigint()
  const unclean = await manager(root)
  const uncleanMs = Number(process.hrtime.bigint() - t) / 1e6
  const leo = unclean.getLog('big', 0)!.logEndOffset
  await unclean.shutdown()
  console.log(`   ${segments} segment(s), ${leo} records`)
  console.log(`   after clean shutdown:   ${cleanMs.toFixed(1)} ms`)
  console.log(`   after unclean shutdown: ${uncleanMs.toFixed(1)} ms (full scan with CRC, no recovery point)`)
  await rm(join(root, 'big-0'), { recursive: true, force: true })
}

async function settledMemory(): Promise<number> {
  for (let i = 0; i < 6; i++) {
    gc()
    await new Promise((r) => setTimeout(r, 20))
  }
  const u = process.memoryUsage()
  return u.heapUsed + u.external
}

const openFiles = async () => (await readdir('/proc/self/fd').catch(() => [])).length

async function idleMemory(root: string) {
  const N = 2000
  console.log(`\n3. Idle partitions (${N}, one small batch each, reopened after a clean shutdown)`)
  const m = await manager(root)
  for (let p = 0; p < N; p++) await (await m.getOrCreateLog('idle', p)).append(batchOf(1024))
  await m.shutdown()
  // A first load warms up code and caches; the second one is measured.
  await (await manager(root)).shutdown()
  const before = await settledMemory()
  const fdsBefore = await openFiles()
  const m2 = await manager(root)
  const loaded = await settledMemory()
  const fdsLoaded = await openFiles()
  console.log(`   memory per partition: ${((loaded - before) / N / 1024).toFixed(1)} KiB (heap + buffers)`)
  console.log(`   open files per partition: ${((fdsLoaded - fdsBefore) / N).toFixed(2)}`)
  for (let p = 0; p < N; p++) await m2.getLog('idle', p)!.readRecords(0n, 1 << 20)
  const read = await settledMemory()
  console.log(
    `   after one read of each: ${((read - before) / N / 1024).toFixed(1)} KiB, ` +
      `${(((await openFiles()) - fdsBefore) / N).toFixed(2)} open files per partition`,
  )
  await m2.shutdown()
}

const root = await mkdtemp(join(args.dir ?? tmpdir(), 'samsa-bench-'))
try {
  console.log(`storage benchmark in ${root} (node ${process.version})`)
  const only = args.only
  if (only === undefined || only === 'throughput') await throughput(root)
  if (only === undefined || only === 'open') await openTimes(root)
  if (only === undefined || only === 'memory') await idleMemory(root)
} finally {
  await rm(root, { recursive: true, force: true })
}
