// npm run bench -- partitions [--rounds N] [--mib M] [--partitions P] [--producers K]
//                              [--dir D] [--cpu-prof DIR] [--mock]
//
// Issue 17's "produce to 1,000 partitions from 4 producers (kperf -p -1) ≥ 0.8× the
// single-partition throughput", on the standalone broker. One broker; per run a fresh topic of 1 or
// P (1,000) partitions; K (4) kperf producers at once, each with -p -1 (librdkafka's partitioner,
// sticky for keyless records) on both, so only the partition count differs. 1 KiB records, M MiB
// (2,048) per run in all, kperf's producer defaults (acks=1, librdkafka's linger.ms and batch.size).
// Runs of 2 GiB (~3 s): in runs of 512 MiB (~0.7 s) what each run pays once at 1,000 partitions
// (each producer's first, small requests while its queues fill: ~150-290 ms of broker CPU for an
// 8 MiB run against ~30 at one partition) made the broker's CPU per MiB look 1.2-1.5x that of one
// partition; in 2 GiB runs it is 0.9-1.0x (docs/performance.md, "Partition count").
// The two alternate within each round (the order flips every round). Printed: medians, the ratio
// of the medians and the median of the per-round ratios (adjacent runs share the machine's state),
// with its verdict; and the broker's and the producers' CPU time per MiB, which the load of a
// shared machine changes far less than throughput.
//
// Steady state: log dir on /dev/shm, and every run writes into memory freed just before — each
// run's topic is deleted (log.segment.delete.delay.ms=0) and gone before the next run starts, after
// one unrecorded warm-up run; a new topic gets one record in each partition before the measured
// run (unrecorded: the first write opens a partition's files, which a long-running broker has long
// done; creating and first writes are bench/scale.ts's business). Retention-based recycling within a run does not fit here: with
// librdkafka's 1 MB batches a segment must hold ~1 MiB, so 1,000 partitions would keep 1.3-2.5 GB
// of tmpfs while the shared machine had ~1.5 GB free; deleting whole topics bounds the memory to
// one run's bytes (2 GiB, plus up to ~3 GB for the one-client run below: --mib 512 on a machine
// with less free memory). 64 MiB segments on both (the 1-partition topic rolls ~32 times a run).
// Also printed, without a target: the broker's and producers' CPU per MiB; each round, one client
// (load.ts) sending ~1 MB requests that hold a 1 KiB batch for each of the P partitions (the
// Java client's shape: one request carries every partition with data) against 1 MB batches to one
// partition — the broker's cost per partition-append; with --mock, the kperf runs against
// librdkafka's mock cluster, i.e. what the client loses with P partitions by itself.
// --cpu-prof DIR profiles the broker (written when it exits at the end of the run).

import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { benchArgs } from './scenarios/args.ts'
import { KPERF, kperfProduce, requireKperf } from './scenarios/kperf.ts'
import { fillerBatch, produceErrors, produceFrame, runProduce } from './scenarios/load.ts'
import { type Child, profileBrokersInto, startBroker } from './scenarios/processes.ts'
import { machineLine, median } from './scenarios/report.ts'
import { createTopic, deleteTopic, WireConnection } from './scenarios/wire.ts'

const args = benchArgs(
  process.argv.slice(2).filter((a) => a !== 'partitions'),
  {
    rounds: { type: 'string', default: '3' },
    mib: { type: 'string', default: '2048' },
    partitions: { type: 'string', default: '1000' },
    producers: { type: 'string', default: '4' },
    dir: { type: 'string', default: '/dev/shm' },
    'cpu-prof': { type: 'string' },
    mock: { type: 'boolean', default: false },
  },
  new URL(import.meta.url),
)
const ROUNDS = Number(args.rounds)
const TOTAL_MIB = Number(args.mib)
const P = Number(args.partitions)
const PRODUCERS = Number(args.producers)
const MIB = 1_048_576
const SEGMENT = 64 * MIB
profileBrokersInto(args['cpu-prof'])
const log = (s: string) => process.stderr.write(`[partitions] ${s}\n`)

interface TopicCase {
  partitions: number
  samples: number[]
  /** Broker CPU ms per MiB produced, each run: what the partition count costs the broker. */
  cpu: number[]
  /** The producers' CPU ms per MiB (librdkafka's own per-partition work shows here). */
  clientCpu: number[]
}

/** Resolves once no directory of `topic` is left in the log dir (deleted logs go in the background). */
async function gone(logDir: string, topic: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const left = readdirSync(logDir).filter((n) => n.startsWith(`${topic}-`))
    if (left.length === 0) return
    await new Promise((r) => setTimeout(r, 50))
  }
  log(`warning: ${topic} still has directories after 15 s`)
}

/**
 * --mock: the same runs against librdkafka's mock cluster (../shared/bench/mockcluster), whose
 * produce path has no per-partition files: what the producers themselves lose with P partitions.
 * Its topics are reused (it cannot delete them; it keeps ~5 MiB per partition).
 */
async function onMock(perProducer: number): Promise<{ one: number[]; many: number[] }> {
  const proc = spawn(join(dirname(KPERF), 'mockcluster'), ['m1:1', `m${P}:${P}`], {
    stdio: ['ignore', 'pipe', 'ignore'],
  })
  try {
    const bootstrap = await new Promise<string>((resolve, reject) => {
      let out = ''
      proc.stdout.on('data', (d: Buffer) => {
        out += d.toString()
        const line = out.split('\n').find((l) => /^\S+:\d+/.test(l))
        if (line !== undefined) resolve(line.trim())
      })
      proc.once('exit', (code) => reject(new Error(`mockcluster exited with ${code}`)))
    })
    const res = { one: [] as number[], many: [] as number[] }
    for (let r = 1; r <= ROUNDS; r++) {
      for (const n of r % 2 === 1 ? [1, P] : [P, 1]) {
        const out = await kperfProduce({
          bootstrap,
          topic: `m${n}`,
          producers: PRODUCERS,
          partition: -1,
          recordBytes: 1024,
          recordsPerProducer: perProducer,
          label: 'mock',
        })
        ;(n === 1 ? res.one : res.many).push(out.mibPerSec)
        log(`mock round ${r} ${n} partition(s): ${out.mibPerSec.toFixed(0)} MiB/s`)
      }
    }
    return res
  } finally {
    proc.kill('SIGTERM')
  }
}

/**
 * One 1 KiB record to every partition of a new topic, unrecorded: a long-running broker has written
 * to its partitions before (their files exist and are open), and the first write to each is not
 * what this scenario measures.
 */
async function prime(c: WireConnection, topic: string, partitions: number): Promise<void> {
  const { batch } = fillerBatch(1024, 1100)
  const frame = produceFrame(
    topic,
    Array.from({ length: partitions }, (_, i) => i),
    batch,
    1,
  )
  const body = await new Promise<Buffer>((r) => c.sendRaw(frame, r))
  const errors = body.length === 0 ? partitions : produceErrors(body)
  if (errors > 0) throw new Error(`priming ${topic}: ${errors} partitions failed`)
}

async function main(): Promise<void> {
  requireKperf()
  const dir = mkdtempSync(join(args.dir as string, 'samsa-partitions-'))
  const cases: TopicCase[] = [
    { partitions: 1, samples: [], cpu: [], clientCpu: [] },
    { partitions: P, samples: [], cpu: [], clientCpu: [] },
  ]
  const perProducer = Math.floor((TOTAL_MIB * MIB) / 1024 / PRODUCERS)
  let b: Child | null = null
  let settings = ''
  const wide: { mibPerSec: number; cpu: number }[][] = [[], []]
  try {
    b = await startBroker({ dir, config: { 'log.segment.bytes': SEGMENT } })
    const broker = b
    const logDir = join(dir, 'logs')
    const bootstrap = `${b.host}:${b.port}`
    const admin = await WireConnection.open(b.host, b.port)
    let runs = 0
    const run = async (c: TopicCase, label: string) => {
      const topic = `p${c.partitions}-${++runs}`
      await createTopic(admin, topic, c.partitions)
      await prime(admin, topic, c.partitions)
      const cpu0 = broker.cpuMs()
      const out = await kperfProduce({
        bootstrap,
        topic,
        producers: PRODUCERS,
        partition: -1,
        recordBytes: 1024,
        recordsPerProducer: perProducer,
        label,
      })
      const cpu = (broker.cpuMs() - cpu0) / (out.bytes / MIB)
      await deleteTopic(admin, topic)
      await gone(logDir, topic)
      if (out.failed > 0) log(`${topic}: ${out.failed} records failed`)
      settings = out.settings
      return { out, cpu }
    }
    log(`warm-up: ${TOTAL_MIB} MiB to 1 partition`)
    await run(cases[0], 'warmup')
    for (let r = 1; r <= ROUNDS; r++) {
      const order = r % 2 === 1 ? cases : [...cases].reverse()
      for (const c of order) {
        const { out, cpu } = await run(c, `p${c.partitions}`)
        c.samples.push(out.mibPerSec)
        c.cpu.push(cpu)
        c.clientCpu.push(out.clientCpuMs / (out.bytes / MIB))
        log(
          `round ${r} ${c.partitions} partition(s): ${out.mibPerSec.toFixed(0)} MiB/s (${out.secs.toFixed(1)} s), ` +
            `broker CPU ${cpu.toFixed(2)} ms/MiB, producers' CPU ${c.clientCpu.at(-1)!.toFixed(2)} ms/MiB`,
        )
      }
      // librdkafka puts one partition in each produce request; the Java client puts every
      // partition with data in one. Same ~1 MB requests from the bench's own client (load.ts):
      // one 1 MB batch to 1 partition vs a 1 KiB batch to each of P partitions.
      for (const n of r % 2 === 1 ? [1, P] : [P, 1]) {
        const topic = `w${n}-${++runs}`
        await createTopic(admin, topic, n)
        await prime(admin, topic, n)
        const cpu0 = broker.cpuMs()
        const t = await runProduce(
          { host: broker.host, port: broker.port, kafka: true },
          {
            topic,
            partitions: n,
            connections: 1,
            recordBytes: 1024,
            acks: 1,
            batchBytes: n === 1 ? 1_000_000 : 1100,
            inFlight: 8,
            warmupMs: 0,
            durationMs: 2000,
          },
        )
        const mib = (t.mbPerSec * 2e6) / MIB
        wide[n === 1 ? 0 : 1].push({
          mibPerSec: (t.mbPerSec * 1e6) / MIB,
          cpu: (broker.cpuMs() - cpu0) / mib,
        })
        await deleteTopic(admin, topic)
        await gone(logDir, topic)
        log(
          `round ${r} one client, ${n} partition(s) per request: ${((t.mbPerSec * 1e6) / MIB).toFixed(0)} MiB/s`,
        )
      }
    }
    admin.close()
  } finally {
    if (b !== null) await b.stop()
    rmSync(dir, { recursive: true, force: true })
  }
  const mock = args.mock ? await onMock(perProducer) : null
  const [one, many] = cases
  const m1 = median(one.samples)
  const mp = median(many.samples)
  const roundRatios = one.samples.map((s, i) => many.samples[i] / s)
  const ratio = median(roundRatios)
  console.log(`\nPartitions (standalone broker; ${machineLine()})`)
  console.log(
    `${PRODUCERS} kperf producers at once, -p -1 on both topics, 1 KiB records, ${settings}; ` +
      `${TOTAL_MIB} MiB per run into a fresh topic; steady state: log dir on ${args.dir}, each run writing ` +
      `into memory freed by the previous run's deleted topic; segment.bytes ${SEGMENT / MIB} MiB; ` +
      `${ROUNDS} rounds, alternating\n`,
  )
  console.log(`| target | 1 partition | ${P} partitions | ${P} / 1 | limit | verdict |`)
  console.log('|---|---:|---:|---:|---:|---|')
  console.log(
    `| produce to ${P} partitions vs 1 (median of per-round ratios) | ${m1.toFixed(0)} MiB/s | ${mp.toFixed(0)} MiB/s | ` +
      `${ratio.toFixed(2)} | ≥ 0.8 | ${ratio >= 0.8 ? 'met' : 'NOT met'} |`,
  )
  if (mock !== null) {
    const r = median(mock.one.map((x, i) => mock.many[i] / x))
    console.log(
      `| same producers against librdkafka's mock cluster (no target: the client's own loss) | ${median(mock.one).toFixed(0)} MiB/s | ` +
        `${median(mock.many).toFixed(0)} MiB/s | ${r.toFixed(2)} | | |`,
    )
  }
  {
    const r = median(wide[0].map((x, i) => wide[1][i].mibPerSec / x.mibPerSec))
    const c = median(wide[0].map((x, i) => wide[1][i].cpu / x.cpu))
    console.log(
      `| one client, ~1 MB requests of 1 KiB to each of ${P} partitions vs 1 MB to 1 (no target; the Java client's shape) | ` +
        `${median(wide[0].map((x) => x.mibPerSec)).toFixed(0)} MiB/s | ${median(wide[1].map((x) => x.mibPerSec)).toFixed(0)} MiB/s | ${r.toFixed(2)} | | |`,
    )
    console.log(
      `| … its broker CPU per MiB (no target) | ${median(wide[0].map((x) => x.cpu)).toFixed(2)} ms | ` +
        `${median(wide[1].map((x) => x.cpu)).toFixed(2)} ms | ${c.toFixed(2)} | | |`,
    )
  }
  const row = (what: string, a: number[], b: number[]) =>
    console.log(
      `| ${what} (no target) | ${median(a).toFixed(2)} ms | ${median(b).toFixed(2)} ms | ${(median(b) / median(a)).toFixed(2)} | | |`,
    )
  row('broker CPU per MiB', one.cpu, many.cpu)
  row("producers' CPU per MiB", one.clientCpu, many.clientCpu)
  console.log(
    `\nper round, MiB/s (1 / ${P}): ${one.samples.map((s, i) => `${s.toFixed(0)} / ${many.samples[i].toFixed(0)}`).join(', ')}; ` +
      `ratios ${roundRatios.map((r) => r.toFixed(2)).join(', ')}; ratio of the medians ${(mp / m1).toFixed(2)}`,
  )
}

await main()
