// Load from kperf (../shared/bench/kperf.c: librdkafka, the C client issue 17 names) for the
// partition-count and disk scenarios: several producer processes at once against one topic, their
// KPERF summary lines added up. Built by ../shared/bench/build.sh into
// /tmp/samsa-bench-build (or $BENCH_BUILD); the bench says so and stops when it is missing.

import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { cpuMsOf } from './processes.ts'

export const KPERF = join(process.env.BENCH_BUILD ?? '/tmp/samsa-bench-build', 'kperf')

export function requireKperf(): void {
  if (!existsSync(KPERF)) {
    throw new Error(`${KPERF} is missing: build it with ../shared/bench/build.sh (needs librdkafka-dev)`)
  }
}

export interface ProduceRun {
  /** Record values delivered (acknowledged), all producers. */
  bytes: number
  msgs: number
  /** Longest producer's time from its start to its last delivery report. */
  secs: number
  /** Sum of the producers' own MiB/s (they run side by side for the same time). */
  mibPerSec: number
  failed: number
  /** CPU time of the producer processes together (sampled, up to 50 ms short each), ms. */
  clientCpuMs: number
  /** The effective producer settings kperf reports (acks, linger, batch size). */
  settings: string
}

export interface ProduceOptions {
  bootstrap: string
  topic: string
  producers: number
  /** -p: a partition, or -1 for librdkafka's partitioner (sticky for keyless records). */
  partition: number
  recordBytes: number
  /** Stop after this many seconds (-d) … */
  seconds?: number
  /** … or after this many records per producer (-n). */
  recordsPerProducer?: number
  label: string
}

function field(line: string, key: string): string {
  return line.match(new RegExp(`(?:^| )${key}=(\\S+)`))?.[1] ?? ''
}

/**
 * One kperf process, resolved with its `KPERF ...` summary line; its CPU time is sampled every
 * 50 ms while it lives (the last sample is added to `cpu`).
 */
export function runKperf(
  args: string[],
  capSeconds: number,
  cpu: { ms: number } = { ms: 0 },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(KPERF, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    // kperf's own -T does not bound librdkafka's message timeout (a broker gone mid-run): stop it.
    const killer = setTimeout(() => p.kill('SIGKILL'), (capSeconds + 30) * 1000)
    let last = 0
    const poll = setInterval(() => {
      const ms = cpuMsOf(p.pid)
      if (Number.isFinite(ms)) last = ms
    }, 50)
    let out = ''
    let err = ''
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString()
    })
    p.stderr.on('data', (d: Buffer) => {
      err += d.toString()
    })
    p.once('error', reject)
    p.once('exit', () => {
      clearInterval(poll)
      clearTimeout(killer)
      cpu.ms += last
      const line = out.split('\n').find((l) => l.startsWith('KPERF '))
      if (line === undefined) reject(new Error(`kperf ${args.join(' ')} printed no summary:\n${out}${err}`))
      else resolve(line)
    })
  })
}

/** `producers` kperf processes producing at once; resolves when all have ended. */
export async function kperfProduce(o: ProduceOptions): Promise<ProduceRun> {
  const n = o.recordsPerProducer ?? Math.ceil((o.seconds ?? 10) * 500_000)
  const cap = (o.seconds ?? 60) + 60
  const args = [
    'produce',
    '-b',
    o.bootstrap,
    '-t',
    o.topic,
    '-p',
    String(o.partition),
    '-s',
    String(o.recordBytes),
    '-n',
    String(n),
    '-T',
    String(cap),
    '-L',
    o.label,
  ]
  if (o.seconds !== undefined) args.push('-d', String(o.seconds))
  const cpu = { ms: 0 }
  const lines = await Promise.all(Array.from({ length: o.producers }, () => runKperf(args, cap, cpu)))
  let msgs = 0
  let failed = 0
  let secs = 0
  let mib = 0
  for (const l of lines) {
    msgs += Number(field(l, 'delivered'))
    failed += Number(field(l, 'failed'))
    secs = Math.max(secs, Number(field(l, 'secs')))
    mib += Number(field(l, 'MiBps'))
    const status = field(l, 'status')
    if (status !== 'ok' && status !== 'capped') throw new Error(`kperf ended with status ${status}: ${l}`)
  }
  const settings = ['acks', 'linger_ms', 'batch_size'].map((k) => `${k}=${field(lines[0], k)}`).join(' ')
  return { bytes: msgs * o.recordBytes, msgs, secs, mibPerSec: mib, failed, clientCpuMs: cpu.ms, settings }
}
