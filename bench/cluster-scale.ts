// npm run bench -- cluster-scale [--partitions N] [--topics T] [--dir D] [--cpu-prof DIR] [--logs DIR]
//
// Issue 17's cluster figures: a real Apache ZooKeeper (its own free port, data dir on tmpfs) and
// three broker processes (port 0, log dirs on /dev/shm when present) carrying N partitions
// (default 10,000, spread over T topics, default 10) with replication factor 3, so every broker
// holds a replica of every partition. It prints the time to create them (CreateTopics answered,
// then every partition led with its full ISR), then:
// - controller failover: kill -9 the controller. The ZooKeeper session of a killed broker ends
//   only after zookeeper.session.timeout.ms (a setting: Kafka's figures leave it out too), so the
//   clock starts when its /brokers/ids znode disappears (seen by this process's own ZooKeeper
//   session) and stops when both surviving brokers answer Metadata with a live controller and
//   every partition led by a live broker (no -1, none on the dead one). Kill → done is printed too;
// - broker restart: the killed broker starts again on its log dir (after SIGKILL), then another
//   broker is stopped with SIGTERM (a controlled shutdown) and started again; each is timed from
//   spawn until every partition lists it in its ISR in both other brokers' Metadata.
// Each figure is printed with its target and verdict; timings never fail the run. Every process
// started here is stopped by pid at the end, also on failure, and the temp dirs removed.
// --cpu-prof DIR profiles the broker processes (one file each, written at exit: the one killed
// with SIGKILL writes none); --logs DIR appends each broker's output to DIR/broker-<id>.log.

import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { type TopicName, ZERO_UUID } from '../src/common/ids.ts'
import { connectZk } from '../src/metadata/zk/zk-real.ts'
import { metadataRequestCodec, metadataResponseCodec } from '../src/protocol/generated/messages/metadata.ts'
import { startZookeeper, type ZookeeperProcess, zookeeperAvailable } from '../test/support/zookeeper.ts'
import { benchArgs } from './scenarios/args.ts'
import { type Child, profileBrokersInto, startBroker } from './scenarios/processes.ts'
import { createTopic, WireConnection } from './scenarios/wire.ts'

const argv = process.argv.slice(2).filter((a) => a !== 'cluster-scale')
const args = benchArgs(
  argv,
  {
    partitions: { type: 'string' },
    topics: { type: 'string' },
    dir: { type: 'string' },
    'cpu-prof': { type: 'string' },
    logs: { type: 'string' },
  },
  new URL(import.meta.url),
)
const N = Number(args.partitions ?? 10_000)
const TOPICS = Math.max(1, Math.min(N, Number(args.topics ?? 10)))
const BASE_DIR = args.dir ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir())
// Kafka's default: a shorter session expires on a busy 2-core machine (a stalled event loop).
const SESSION_MS = 18_000
const POLL_MS = 200
profileBrokersInto(args['cpu-prof'])

interface Result {
  what: string
  figure: number
  target: number | null
  unit?: string
}

/** CPU time (user + system) the process used so far, from /proc (NaN elsewhere). */
function cpuMs(b: Child): number {
  try {
    const fields = readFileSync(`/proc/${b.proc.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100 // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return Number.NaN
  }
}
const results: Result[] = []
const log = (s: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const topicNames = Array.from({ length: TOPICS }, (_, i) => `cscale-${i}`)
const partitionsOf = (i: number) => Math.floor(N / TOPICS) + (i < N % TOPICS ? 1 : 0)

interface View {
  controllerId: number
  /** Per partition of our topics: leader and ISR. */
  partitions: { leader: number; isr: number[] }[]
}

async function metadata(b: Child): Promise<View> {
  const c = await WireConnection.open(b.host, b.port)
  try {
    const r = await c.request(
      metadataRequestCodec,
      metadataResponseCodec,
      {
        ...metadataRequestCodec.defaults(12),
        topics: topicNames.map((name) => ({ name: name as TopicName, topicId: ZERO_UUID })),
        allowAutoTopicCreation: false,
      },
      12,
    )
    const partitions: View['partitions'] = []
    for (const t of r.topics) {
      if (t.errorCode !== 0) continue
      for (const p of t.partitions) partitions.push({ leader: p.leaderId, isr: p.isrNodes })
    }
    return { controllerId: r.controllerId, partitions }
  } finally {
    c.close()
  }
}

/** Polls Metadata of `brokers` until `ok` holds in all of them; resolves to the time it did. */
async function until(what: string, brokers: () => Child[], ok: (v: View) => boolean, timeoutMs: number) {
  const deadline = performance.now() + timeoutMs
  let last = ''
  for (;;) {
    const gone = brokers().find((b) => b.proc.exitCode !== null || b.proc.signalCode !== null)
    if (gone !== undefined) throw new Error(`${what}: broker pid ${gone.proc.pid} exited`)
    const views = await Promise.all(brokers().map((b) => metadata(b).catch(() => null)))
    const t = performance.now()
    if (views.every((v) => v !== null && ok(v))) return t
    last = views.map((v) => (v === null ? 'no answer' : describe(v))).join(' | ')
    if (t > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (${last})`)
    await sleep(POLL_MS)
  }
}

function describe(v: View): string {
  const noLeader = v.partitions.filter((p) => p.leader < 0).length
  const isrSizes = new Map<number, number>()
  for (const p of v.partitions) isrSizes.set(p.isr.length, (isrSizes.get(p.isr.length) ?? 0) + 1)
  return `controller ${v.controllerId}, ${v.partitions.length} partitions, ${noLeader} without leader, ISR sizes ${[...isrSizes].map(([k, n]) => `${k}:${n}`).join(' ')}`
}

const allLed = (live: number[]) => (v: View) =>
  live.includes(v.controllerId) &&
  v.partitions.length === N &&
  v.partitions.every((p) => live.includes(p.leader))
const inIsr = (id: number) => (v: View) =>
  v.partitions.length === N && v.partitions.every((p) => p.leader >= 0 && p.isr.includes(id))

async function main(): Promise<void> {
  if (!zookeeperAvailable()) {
    log('cluster-scale: skipped, ZooKeeper (or java) is not installed')
    return
  }
  const root = mkdtempSync(join(BASE_DIR, 'samsa-cscale-'))
  if (args.logs !== undefined) mkdirSync(resolve(args.logs), { recursive: true })
  let zk: ZookeeperProcess | null = null
  const brokers = new Map<number, Child>()
  const start = async (id: number) => {
    const b = await startBroker({
      dir: join(root, `broker-${id}`),
      startTimeoutMs: 180_000,
      ...(args.logs === undefined ? {} : { logFile: join(resolve(args.logs), `broker-${id}.log`) }),
      config: {
        'node.id': id,
        'zookeeper.connect': zk!.connect,
        'zookeeper.session.timeout.ms': SESSION_MS,
        'offsets.topic.replication.factor': 1,
        'offsets.topic.num.partitions': 1,
        'controlled.shutdown.retry.backoff.ms': 500,
      },
    })
    brokers.set(id, b)
    return b
  }
  const others = (id: number) => () => [...brokers].filter(([k]) => k !== id).map(([, b]) => b)
  const stop = async (id: number, signal: 'SIGTERM' | 'SIGKILL') => {
    const b = brokers.get(id)!
    const exited = new Promise<void>((r) => b.proc.once('exit', () => r()))
    const t0 = performance.now()
    b.proc.kill(signal)
    await exited
    brokers.delete(id)
    return performance.now() - t0
  }
  try {
    log(`cluster-scale: ${N} partitions in ${TOPICS} topics, RF 3, 3 brokers, log dirs under ${root}`)
    // ZooKeeper's data dir (its transaction log, fsynced per group commit) goes on the same
    // tmpfs as the log dirs: the figures measure the controller and brokers, not this VM's disk,
    // which other work shares (fsyncs there took up to seconds under load).
    const tmp = process.env.TMPDIR
    process.env.TMPDIR = root
    try {
      zk = await startZookeeper()
    } finally {
      if (tmp === undefined) delete process.env.TMPDIR
      else process.env.TMPDIR = tmp
    }
    for (const id of [1, 2, 3]) await start(id)
    const all = () => [...brokers.values()]
    await until('brokers registered', all, (v) => v.controllerId > 0, 30_000)

    const c = await WireConnection.open(brokers.get(1)!.host, brokers.get(1)!.port)
    let t0 = performance.now()
    for (let i = 0; i < TOPICS; i++) await createTopic(c, topicNames[i]!, partitionsOf(i), {}, 3)
    const answeredMs = performance.now() - t0
    c.close()
    log(`CreateTopics answered: ${answeredMs.toFixed(0)} ms`)
    const full = (v: View) =>
      v.partitions.length === N && v.partitions.every((p) => p.leader > 0 && p.isr.length === 3)
    const createdMs = (await until('partitions led with full ISR', all, full, 600_000)) - t0
    results.push({
      what: `create ${N} partitions (RF 3) → all led, ISR full`,
      figure: createdMs,
      target: null,
    })
    log(`all led, ISR full: ${createdMs.toFixed(0)} ms`)

    // Idle cost: CPU of each broker while nothing is produced (followers' fetches of idle partitions).
    const cpu0 = all().map(cpuMs)
    const idleT0 = performance.now()
    await sleep(10_000)
    const idleMs = performance.now() - idleT0
    const idle = all().map((b, i) => ((cpuMs(b) - cpu0[i]!) / idleMs) * 100)
    results.push({
      what: 'idle CPU per broker (no traffic), % of a core',
      figure: idle.reduce((a, b) => a + b, 0) / idle.length,
      target: null,
      unit: '%',
    })
    log(`idle CPU: ${idle.map((x) => `${x.toFixed(1)} %`).join(', ')}`)

    // (a) controller failover
    const ctrl = (await metadata(brokers.get(1)!)).controllerId
    const watcher = await connectZk({
      connect: zk.connect,
      sessionTimeoutMs: 10_000,
      connectionTimeoutMs: 10_000,
    })
    let goneAt = Number.NaN
    try {
      const gone = new Promise<void>((r) => {
        const check = async () => {
          const st = await watcher.exists(`/brokers/ids/${ctrl}`, () => void check())
          if (st === null && Number.isNaN(goneAt)) {
            goneAt = performance.now()
            r()
          }
        }
        void check()
      })
      await sleep(200)
      log(`kill -9 the controller, broker ${ctrl}`)
      const killAt = performance.now()
      await stop(ctrl, 'SIGKILL')
      await gone
      const live = [1, 2, 3].filter((id) => id !== ctrl)
      const doneAt = await until('failover', others(ctrl), allLed(live), 120_000)
      results.push({
        what: 'controller failover: session gone → controller + all leaders live',
        figure: doneAt - goneAt,
        target: 5000,
      })
      results.push({
        what: `  kill -9 → same (includes the ${SESSION_MS} ms session timeout)`,
        figure: doneAt - killAt,
        target: null,
      })
      log(
        `failover: ${(doneAt - goneAt).toFixed(0)} ms after the session ended, ${(doneAt - killAt).toFixed(0)} ms after the kill`,
      )
    } finally {
      await watcher.close()
    }

    // (b) restarts: the killed broker (unclean), then a clean stop and start of another one.
    t0 = performance.now()
    const restarted = await start(ctrl)
    log(`broker ${ctrl} listening after ${restarted.readyMs.toFixed(0)} ms`)
    let back = (await until('back in the ISR', others(ctrl), inIsr(ctrl), 600_000)) - t0
    results.push({ what: 'restart after kill -9 → back in every ISR', figure: back, target: 30_000 })
    log(`back in the ISR after kill -9: ${back.toFixed(0)} ms`)

    const victim = [1, 2, 3].find((id) => id !== ctrl)!
    const termMs = await stop(victim, 'SIGTERM')
    results.push({ what: `SIGTERM (controlled shutdown) → exit`, figure: termMs, target: null })
    log(`broker ${victim} SIGTERM → exit: ${termMs.toFixed(0)} ms`)
    await until(
      'leaders off the stopped broker',
      others(victim),
      allLed([1, 2, 3].filter((id) => id !== victim)),
      120_000,
    )
    t0 = performance.now()
    const again = await start(victim)
    log(`broker ${victim} listening after ${again.readyMs.toFixed(0)} ms`)
    back = (await until('back in the ISR', others(victim), inIsr(victim), 600_000)) - t0
    results.push({ what: 'restart after SIGTERM → back in every ISR', figure: back, target: 30_000 })
    log(`back in the ISR after SIGTERM: ${back.toFixed(0)} ms`)
  } finally {
    await Promise.all(
      [...brokers.values()].map(async (b) => {
        if (b.proc.exitCode !== null || b.proc.signalCode !== null) return
        // SIGTERM first, so a --cpu-prof run writes its profiles; SIGKILL when it hangs.
        const exited = new Promise((r) => b.proc.once('exit', r))
        b.proc.kill('SIGTERM')
        const t = setTimeout(() => b.proc.kill('SIGKILL'), 30_000)
        await exited
        clearTimeout(t)
      }),
    )
    await zk?.stop().catch(() => {})
    rmSync(root, { recursive: true, force: true })
  }
  let commit = 'unknown'
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
  } catch {}
  const cpu = cpus()[0]?.model ?? 'unknown cpu'
  console.log(
    `\nCluster scale (ZooKeeper + 3 brokers, ${N} partitions in ${TOPICS} topics, RF 3; log dirs on ${BASE_DIR};`,
  )
  console.log(`commit ${commit}; ${cpus().length} × ${cpu}; Node ${process.version})\n`)
  console.log('| target | figure | limit | verdict |')
  console.log('|---|---:|---:|---|')
  for (const r of results) {
    const verdict = r.target === null ? '' : r.figure <= r.target ? 'met' : 'NOT met'
    const unit = r.unit ?? 'ms'
    const limit = r.target === null ? '' : `≤ ${r.target} ${unit}`
    console.log(`| ${r.what} | ${r.figure.toFixed(unit === 'ms' ? 0 : 1)} ${unit} | ${limit} | ${verdict} |`)
  }
}

await main()
