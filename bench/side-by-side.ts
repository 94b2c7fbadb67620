// npm run bench -- side-by-side [--rounds N] [--warmup W] [--script PATH] [--dir D] [--keep]
//                                [--results FILE]
//   (for quiet figures on a shared machine: chrt -r 10 npm run bench -- side-by-side)
//
// Issue 17's check against librdkafka's in-memory mock broker: ../shared/bench/run-side-by-side.sh
// (kperf, alternating Samsa and the mock for every scenario, each round) against a standalone
// broker in steady state (64 MiB segments, 256 MiB retention checked every 200 ms, log dir on
// /dev/shm: a long-running broker recycles memory, and this VM's first touch of fresh pages is
// what a run into fresh memory would measure; docs/performance.md). The script's own summary
// sorts values as strings, which orders 987 above 1012; this suite reads its results.log and takes
// the medians as numbers, prints the ratio of the medians and the median of the per-round ratios
// (the two runs of a round are seconds apart, so their ratio is the less noisy figure) and a verdict
// against the bars. It reports; it never asserts a timing.
//
// Warm-up rounds (--warmup, default 1): the script runs W + N rounds and the first W are left out
// of the medians, for both sides alike. The script names each scenario's topic once per
// invocation, so its first round is the only one that writes every topic's first 256 MiB into new
// files (fresh memory on this VM, the cost steady state exists to leave out: produce 1 KiB ran
// 15-20 % slower in round 1 of every session-7 run than in rounds 2-3) and the first to run the
// fetch path's code cold (the first consume of a broker's life was 5-10 % slower than the next,
// whatever the topic). The "all rounds" column keeps the ratio over every round in view.
//
// Noise: both sides move together from round to round (the VM's speed drifts: consume ran
// 1,380-2,092 MiB/s on Samsa and 1,109-1,446 on the mock over one 9-round run), so each round's
// Samsa/mock ratio is printed with an interval for the median of those per-round ratios that
// assumes nothing about their distribution (report.ts, medianInterval: 96 % with 9 rounds, only
// 75 % with 3). A verdict whose bar lies inside it says "within noise": more rounds, not the code,
// would settle it. --results FILE reports a results.log kept by --keep again, running nothing
// (--warmup must be that of its run; the rounds are counted from the file).

import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { benchArgs } from './scenarios/args.ts'
import { requireKperf } from './scenarios/kperf.ts'
import { type Child, startBroker } from './scenarios/processes.ts'
import { machineLine, median, medianInterval, medianRank } from './scenarios/report.ts'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const args = benchArgs(
  process.argv.slice(2).filter((a) => a !== 'side-by-side'),
  {
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    script: { type: 'string', default: join(ROOT, '../shared/bench/run-side-by-side.sh') },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
    results: { type: 'string' },
  },
  new URL(import.meta.url),
)
const ROUNDS = wholeNumber('rounds', 1)
const WARMUP = wholeNumber('warmup', 0)
const BASE_DIR = args.dir ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir())
const MIB = 1_048_576

/** A bar of issue 17: Samsa/mock of a metric, at least (throughput) or at most (latency). */
interface Bar {
  scenario: string
  metric: string
  atLeast?: number
  atMost?: number
}
const BARS: Bar[] = [
  { scenario: 'produce-1k', metric: 'MiBps', atLeast: 0.64 },
  { scenario: 'produce-100b', metric: 'msgs_per_s', atLeast: 0.91 },
  { scenario: 'produce-1k-all', metric: 'MiBps' },
  { scenario: 'consume-1k', metric: 'MiBps', atLeast: 1.46 },
  { scenario: 'e2e-10k-fw1', metric: 'lat_p50_ms' },
  { scenario: 'e2e-10k-fw1', metric: 'lat_p99_ms', atMost: 1.0 },
  { scenario: 'e2e-10k-fw1', metric: 'lat_p999_ms', atMost: 1.0 },
]

/** One KPERF line of results.log as key=value pairs (round, scenario, label A/B and the figures). */
function parseResults(text: string): Map<string, string>[] {
  return text
    .split('\n')
    .filter((l) => l.includes('KPERF'))
    .map(
      (l) =>
        new Map(
          l.split(/\s+/).flatMap((kv) => {
            const i = kv.indexOf('=')
            return i > 0 ? [[kv.slice(0, i), kv.slice(i + 1)] as [string, string]] : []
          }),
        ),
    )
}

function runScript(bootstrap: string, out: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, CREATE: '1', ROUNDS: String(WARMUP + ROUNDS), OUT: out }
    const p = spawn('bash', [args.script, bootstrap, 'mock'], { env, stdio: ['ignore', 'ignore', 'inherit'] })
    p.once('error', reject)
    p.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${args.script} exited with ${code}`)),
    )
  })
}

async function main(): Promise<void> {
  if (args.results !== undefined) {
    const rows = parseResults(readFileSync(args.results, 'utf8'))
    if (!rows.some((r) => Number(r.get('round')) > WARMUP)) {
      process.stderr.write(`bench: --results ${args.results} holds no kperf result after round ${WARMUP}\n`)
      process.exit(2)
    }
    report(rows, args.results)
    return
  }
  requireKperf()
  if (!existsSync(args.script)) throw new Error(`${args.script} is missing (--script names it)`)
  const dir = mkdtempSync(join(BASE_DIR, 'samsa-sbs-'))
  const out = join(dir, 'kperf')
  let broker: Child | null = null
  try {
    broker = await startBroker({
      dir: join(dir, 'broker'),
      config: {
        'log.segment.bytes': 64 * MIB,
        'log.retention.bytes': 256 * MIB,
        'log.retention.check.interval.ms': 200,
      },
    })
    await runScript(`${broker.host}:${broker.port}`, out)
    report(parseResults(readFileSync(join(out, 'results.log'), 'utf8')))
    if (args.keep) console.log(`raw results: ${join(out, 'results.log')}`)
  } finally {
    await broker?.stop()
    // --keep keeps kperf's results, not the broker's logs (~1 GB of topics on tmpfs).
    rmSync(args.keep ? join(dir, 'broker') : dir, { recursive: true, force: true })
  }
}

function report(rows: Map<string, string>[], source: string | null = null): void {
  // A kept results.log says how many rounds it has; its warm-up count is --warmup's.
  const last = Math.max(0, ...rows.map((r) => Number(r.get('round'))).filter(Number.isFinite))
  const counted = source === null ? ROUNDS : last - WARMUP
  const values = (scenario: string, label: string, metric: string, all = false): Map<string, number> => {
    const byRound = new Map<string, number>()
    for (const r of rows) {
      const v = Number(r.get(metric))
      if (
        (all || Number(r.get('round')) > WARMUP) &&
        r.get('scenario') === scenario &&
        r.get('label') === label &&
        r.get('status') === 'ok' &&
        Number.isFinite(v)
      )
        byRound.set(r.get('round') ?? '', v)
    }
    return byRound
  }
  console.log(
    source === null
      ? `\nSide by side with librdkafka's mock (${ROUNDS} rounds after ${WARMUP} warm-up, steady state, log dir on ${BASE_DIR})`
      : `\nSide by side with librdkafka's mock, reported again from ${source} (${counted} rounds after ${WARMUP} warm-up)`,
  )
  console.log(
    'scenario        metric        Samsa        mock   ratio  per-round   interval  all rounds  bar      verdict',
  )
  for (const b of BARS) {
    const a = values(b.scenario, 'A', b.metric)
    const m = values(b.scenario, 'B', b.metric)
    const ma = median([...a.values()])
    const mm = median([...m.values()])
    const rounds = [...a].filter(([r]) => m.has(r)).map(([r, v]) => v / (m.get(r) as number))
    const perRound = median(rounds)
    const spread = medianInterval(rounds)
    const ratio = ma / mm
    const allRatio =
      median([...values(b.scenario, 'A', b.metric, true).values()]) /
      median([...values(b.scenario, 'B', b.metric, true).values()])
    const bar = b.atLeast !== undefined ? `≥ ${b.atLeast}` : b.atMost !== undefined ? `≤ ${b.atMost}` : '-'
    const limit = b.atLeast ?? b.atMost
    const verdict = !Number.isFinite(ratio)
      ? 'no data'
      : b.atLeast !== undefined
        ? ratio >= b.atLeast
          ? 'met'
          : 'not met'
        : b.atMost !== undefined
          ? ratio <= b.atMost
            ? 'met'
            : 'not met'
          : ''
    const noisy = limit !== undefined && spread !== null && spread.lo <= limit && limit <= spread.hi
    const interval = spread === null ? '-' : `${spread.lo.toFixed(2)}-${spread.hi.toFixed(2)}`
    console.log(
      `${b.scenario.padEnd(15)} ${b.metric.padEnd(12)} ${fmt(ma).padStart(10)} ${fmt(mm).padStart(11)} ` +
        `${ratio.toFixed(3).padStart(6)} ${perRound.toFixed(2).padStart(9)} ${interval.padStart(10)} ` +
        `${allRatio.toFixed(2).padStart(11)}  ${bar.padEnd(8)} ${verdict}${noisy ? ' (within noise)' : ''}`,
    )
  }
  const failed = rows.filter((r) => r.get('status') !== 'ok')
  for (const r of failed)
    console.log(
      `  !! round ${r.get('round')} ${r.get('scenario')} ${r.get('label') === 'A' ? 'Samsa' : 'mock'}: ${r.get('status')}`,
    )
  console.log(
    `(ratio: of the medians of rounds ${WARMUP + 1}-${WARMUP + counted}; per-round: median of each of those rounds' Samsa/mock; ` +
      `interval: holds the median per-round ratio with ${coverageOf(counted)} confidence, whatever the rounds' distribution; ` +
      `all rounds: ratio of the medians with the warm-up rounds in; verdicts on the ratio, "within noise" when the bar lies in the interval; ` +
      `e2e-10k, a 500 ms long poll the mock does not wake, is in the raw results only)`,
  )
  // A kept results.log records neither the commit nor the machine of its run.
  if (source === null) console.log(machineLine())
}

/** A flag's value as a whole number ≥ min, else one line naming the flag and exit 2 (as benchArgs). */
function wholeNumber(flag: 'rounds' | 'warmup', min: number): number {
  const n = Number(args[flag])
  if (Number.isInteger(n) && n >= min) return n
  process.stderr.write(`bench: --${flag} must be a whole number ≥ ${min}, not '${args[flag]}'\n`)
  process.exit(2)
}

function coverageOf(n: number): string {
  return n > 0 ? `${Math.floor(medianRank(n).coverage * 100)} %` : '-'
}

function fmt(x: number): string {
  return x >= 1000 ? x.toFixed(0) : x.toFixed(2)
}

main().catch((err) => {
  process.stderr.write(`side-by-side failed: ${(err as Error).message}\n`)
  process.exitCode = 1
})
