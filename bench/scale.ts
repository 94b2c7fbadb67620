// npm run bench -- scale [--partitions N] [--dir D] [--cpu-prof DIR]
//
// Partition-count scaling of the standalone broker (issue 17): one CreateTopics with N partitions
// (default 10,000), the idle memory and file descriptors they cost, a Metadata request for all of
// them, SIGTERM, a restart after that clean shutdown, a restart after SIGKILL, then one batch written
// to every partition and the segment files still open once they are idle (the cap). Each figure is
// printed next to its target with a verdict; it reports and never fails on a timing.
//
// The broker is the real process (src/broker/main.ts) on port 0, its log dir on /dev/shm (tmpfs)
// when present: the figures measure the broker's own work per partition, not a disk. Restart
// times are spawn → "started" line, so they include Node's own start (~0.3 s here).
// --cpu-prof DIR profiles every broker process of the run (Node's --cpu-prof, one file per
// process, written at exit; the SIGKILLed one writes none).

import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { metadataRequestCodec, metadataResponseCodec } from '../src/protocol/generated/messages/metadata.ts'
import { DEFAULT_MAX_OPEN_SEGMENT_FILES } from '../src/storage/open-files.ts'
import { openFds, openLogFiles } from '../test/support/e2e-clients.ts'
import { benchArgs } from './scenarios/args.ts'
import { fillerBatch, produceErrors, produceFrame } from './scenarios/load.ts'
import { type Child, profileBrokersInto, startBroker } from './scenarios/processes.ts'
import { createTopic, deleteTopic, WireConnection } from './scenarios/wire.ts'

const argv = process.argv.slice(2).filter((a) => a !== 'scale')
const args = benchArgs(
  argv,
  {
    partitions: { type: 'string' },
    dir: { type: 'string' },
    'cpu-prof': { type: 'string' },
  },
  new URL(import.meta.url),
)
const N = Number(args.partitions ?? 10_000)
const BASE_DIR = args.dir ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir())
profileBrokersInto(args['cpu-prof'])

interface Result {
  what: string
  figure: number
  unit: string
  target: number
}
const results: Result[] = []
const log = (s: string) => process.stderr.write(`${s}\n`)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** `count` of the broker's descriptors; NaN once it has exited. */
function fds(b: Child, count: (pid: number) => number): number {
  try {
    return count(b.proc.pid!)
  } catch {
    return Number.NaN
  }
}
const fdCount = (b: Child): number => fds(b, openFds)
/** The broker's descriptors open on segment (.log) files under its log dir. */
const logFdCount = (b: Child, dir: string): number => fds(b, (pid) => openLogFiles(pid, dir))

/** One small batch to every partition, 1,000 partitions per Produce request (acks=1). */
async function writeEveryPartition(b: Child, topic: string, n: number): Promise<void> {
  const c = await WireConnection.open(b.host, b.port)
  const { batch } = fillerBatch(100, 200)
  let errors = 0
  try {
    for (let from = 0; from < n; from += 1000) {
      const parts = Array.from({ length: Math.min(1000, n - from) }, (_, i) => from + i)
      const body = await new Promise<Buffer>((r) => c.sendRaw(produceFrame(topic, parts, batch, 1), r))
      if (body.length === 0) throw c.error ?? new Error('no Produce response')
      errors += produceErrors(body)
    }
  } finally {
    c.close()
  }
  if (errors > 0) throw new Error(`Produce failed in ${errors} partitions`)
}

/** RSS in KB once it stops moving (a GC or a timer may still be settling right after work). */
async function settledRssKb(b: Child): Promise<number> {
  let prev = b.rssMb() * 1024
  for (let i = 0; i < 10; i++) {
    await sleep(500)
    const now = b.rssMb() * 1024
    if (Math.abs(now - prev) < 256) return now
    prev = now
  }
  return prev
}

async function metadataMs(b: Child): Promise<{ ms: number; partitions: number }> {
  const c = await WireConnection.open(b.host, b.port)
  try {
    const ask = () =>
      c.request(
        metadataRequestCodec,
        metadataResponseCodec,
        { ...metadataRequestCodec.defaults(12), topics: null, allowAutoTopicCreation: false },
        12,
      )
    let partitions = 0
    for (let i = 0; i < 2; i++) partitions = (await ask()).topics.reduce((n, t) => n + t.partitions.length, 0)
    const times: number[] = []
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now()
      await ask()
      times.push(performance.now() - t0)
    }
    times.sort((a, b) => a - b)
    return { ms: times[times.length >> 1], partitions }
  } finally {
    c.close()
  }
}

async function stopWith(b: Child, signal: 'SIGTERM' | 'SIGKILL'): Promise<number> {
  const exited = new Promise<void>((r) => b.proc.once('exit', () => r()))
  const t0 = performance.now()
  b.proc.kill(signal)
  await exited
  return performance.now() - t0
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(BASE_DIR, 'samsa-scale-'))
  const config = {}
  let b: Child | null = null
  let deleteMs = Number.NaN
  try {
    log(`scale: ${N} partitions, log dir ${dir}`)
    b = await startBroker({ dir, config })
    const empty = await settledRssKb(b)
    const emptyFds = fdCount(b)
    const c = await WireConnection.open(b.host, b.port)
    let t0 = performance.now()
    await createTopic(c, 'scale', N)
    const createMs = performance.now() - t0
    c.close()
    results.push({ what: `CreateTopics, ${N} partitions`, figure: createMs, unit: 'ms', target: 3000 })
    log(`create: ${createMs.toFixed(0)} ms`)
    const loaded = await settledRssKb(b)
    const fds = fdCount(b)
    results.push({
      what: 'idle RSS per partition',
      figure: (loaded - empty) / N,
      unit: 'KB',
      target: 4,
    })
    log(`rss: empty ${(empty / 1024).toFixed(1)} MB, with partitions ${(loaded / 1024).toFixed(1)} MB`)
    log(`fds: empty ${emptyFds}, with partitions ${fds}`)
    const md = await metadataMs(b)
    if (md.partitions !== N) throw new Error(`Metadata listed ${md.partitions} partitions, not ${N}`)
    results.push({ what: `Metadata, all ${N} partitions`, figure: md.ms, unit: 'ms', target: 50 })
    const termMs = await stopWith(b, 'SIGTERM')
    b = null
    results.push({ what: 'SIGTERM → exit', figure: termMs, unit: 'ms', target: 2000 })
    log(`sigterm: ${termMs.toFixed(0)} ms`)

    t0 = performance.now()
    b = await startBroker({ dir, config })
    const cleanMs = b.readyMs
    results.push({
      what: 'restart after clean shutdown → listening',
      figure: cleanMs,
      unit: 'ms',
      target: 3000,
    })
    log(`clean restart: ${cleanMs.toFixed(0)} ms, fds ${fdCount(b)}`)
    const md2 = await metadataMs(b)
    if (md2.partitions !== N) throw new Error(`after restart Metadata listed ${md2.partitions} partitions`)
    await stopWith(b, 'SIGKILL')
    b = null

    b = await startBroker({ dir, config })
    const killMs = b.readyMs
    results.push({ what: 'restart after SIGKILL → listening', figure: killMs, unit: 'ms', target: 10_000 })
    log(`unclean restart: ${killMs.toFixed(0)} ms`)
    const md3 = await metadataMs(b)
    if (md3.partitions !== N) throw new Error(`after SIGKILL Metadata listed ${md3.partitions} partitions`)
    // Descriptors once every partition has been written: each write opens its segment's .log
    // file; past samsa.log.max.open.segment.files (default 4,096) the idle ones are closed.
    await writeEveryPartition(b, 'scale', N)
    const logFdsWritten = logFdCount(b, dir)
    t0 = performance.now()
    while (logFdCount(b, dir) > DEFAULT_MAX_OPEN_SEGMENT_FILES && performance.now() - t0 < 60_000)
      await sleep(250)
    const logFdsIdle = logFdCount(b, dir)
    log(
      `wrote one batch to each of ${N} partitions: ${logFdsWritten} .log files open, ` +
        `${logFdsIdle} after ${((performance.now() - t0) / 1000).toFixed(1)} s idle`,
    )
    results.push({
      what: `segment files open once all ${N} partitions were written and left idle`,
      figure: logFdsIdle,
      unit: 'files',
      target: DEFAULT_MAX_OPEN_SEGMENT_FILES,
    })
    // No target: DeleteTopics is answered once the metadata change is durable, as in Kafka; the
    // logs go in the background (batched renames, one checkpoint write), before the SIGTERM below.
    const c2 = await WireConnection.open(b.host, b.port)
    t0 = performance.now()
    await deleteTopic(c2, 'scale')
    deleteMs = performance.now() - t0
    c2.close()
    log(`delete: ${deleteMs.toFixed(0)} ms`)
    await stopWith(b, 'SIGTERM')
    b = null
  } finally {
    if (b !== null) await stopWith(b, 'SIGKILL').catch(() => {})
    rmSync(dir, { recursive: true, force: true })
  }
  let commit = 'unknown'
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
  } catch {}
  const cpu = cpus()[0]?.model ?? 'unknown cpu'
  console.log(`\nScale (standalone broker, ${N} partitions; log dir on ${BASE_DIR}; commit ${commit};`)
  console.log(`${cpus().length} × ${cpu}; Node ${process.version})\n`)
  console.log('| target | figure | limit | verdict |')
  console.log('|---|---:|---:|---|')
  for (const r of results) {
    const f = r.unit === 'KB' ? r.figure.toFixed(2) : r.figure.toFixed(0)
    const verdict = r.figure <= r.target ? 'met' : 'NOT met'
    console.log(`| ${r.what} | ${f} ${r.unit} | ≤ ${r.target} ${r.unit} | ${verdict} |`)
  }
  console.log(`| DeleteTopics, ${N} partitions (no target) | ${deleteMs.toFixed(0)} ms | | |`)
}

await main()
