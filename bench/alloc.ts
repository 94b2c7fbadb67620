// npm run bench -- alloc [--records N] [--only standalone,cluster] [--sample DIR [--promoted]] [--dir D]
//
// JavaScript allocation per request on the broker's hot paths (issues 11 and 17: V8's
// collections, not request handling, set the e2e tail). Not a timing: bytes allocated on the V8
// heap and GCs counted inside the broker processes (scenarios/alloc-probe.ts, preloaded with
// --import; the brokers keep their usual V8 flags, src/broker/node-flags.ts), requests counted by
// the broker's own request metrics (samsa.http.listeners on, scraped around each window), load
// from kperf (../shared/bench).
//
// Scenarios, each a window after an unmeasured warm-up:
//   standalone (one broker, RF 1):
//     fetch-empty   e2e at 20 msg/s, fetch.wait.max.ms=1: nearly every fetch waits 1 ms for nothing
//                   (its few produces are taken off with produce's figure)
//     produce       acks=1, 10k msg/s of 1 KiB, linger 1 ms (the e2e producer)
//     e2e-fw1       issue 17's: kperf e2e -l 1 -r 10000 -X c:fetch.wait.max.ms=1
//   cluster (ZooKeeper + 3 brokers, one partition RF 3, min.insync.replicas 2; skipped without
//   ZooKeeper):
//     rf3-produce-1    acks=1: the leader's produce plus its followers' fetches
//     rf3-produce-all  acks=all: the same plus the acks=all waits
//     e2e-rf3          issue 11's: kperf e2e -a all -l 1 -r 10000 -X c:fetch.wait.max.ms=1
// Per broker and window: requests by kind (Produce, FetchConsumer, FetchFollower), bytes
// allocated per record and per request, scavenges and mark-compacts per 10,000 records. Derived
// per kind: Produce = produce's bytes per request; empty consumer Fetch = fetch-empty's; Fetch
// with data = (e2e-fw1 − its produces × Produce) / its fetches; follower Fetch at the leader =
// (rf3-produce-1 leader − its produces × Produce) / its follower fetches.
// --sample DIR keeps V8's sampling heap profile of every window and prints the top allocating
// functions of each (open the .heapprofile files in Chrome DevTools for the whole tree); with
// --promoted, only what outlived a scavenge (what fills the old generation).

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { type TopicName, ZERO_UUID } from '../src/common/ids.ts'
import { metadataRequestCodec, metadataResponseCodec } from '../src/protocol/generated/messages/metadata.ts'
import {
  freePort,
  startZookeeper,
  type ZookeeperProcess,
  zookeeperAvailable,
} from '../test/support/zookeeper.ts'
import { benchArgs } from './scenarios/args.ts'
import { requireKperf, runKperf } from './scenarios/kperf.ts'
import { type Child, startBroker } from './scenarios/processes.ts'
import { createTopic, WireConnection } from './scenarios/wire.ts'

const args = benchArgs(
  process.argv.slice(2).filter((a) => a !== 'alloc'),
  {
    records: { type: 'string', default: '30000' },
    only: { type: 'string' },
    sample: { type: 'string' },
    dir: { type: 'string' },
    promoted: { type: 'boolean', default: false },
  },
  new URL(import.meta.url),
)
const RECORDS = Number(args.records)
const ONLY = args.only?.split(',') ?? null
const BASE_DIR = args.dir ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir())
const PROBE = resolve(import.meta.dirname, 'scenarios/alloc-probe.ts')
const log = (s: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Steady state, as the other kperf benches (../shared/bench/README.md). */
const STEADY = {
  'log.segment.bytes': 16_777_216,
  'log.retention.bytes': 50_331_648,
  'log.retention.check.interval.ms': 200,
  'log.segment.delete.delay.ms': 0,
}

interface Broker {
  id: number
  child: Child
  httpPort: number
}

interface Totals {
  allocated: number
  gcs: Record<string, number>
  requests: Record<string, number>
}

interface WindowResult {
  scenario: string
  records: number
  kperf: string
  perBroker: { id: number; delta: Totals }[]
}

/** kperf with its own time cap of 90 s (-T), stopped if it outlives it. */
function kperf(argv: string[]): Promise<string> {
  return runKperf([...argv, '-T', '90'], 90)
}

const field = (line: string, key: string) => line.match(new RegExp(`(?:^| )${key}=(\\S+)`))?.[1] ?? ''

/** Requests served so far by kind, from the broker's request metrics. */
async function requestCounts(b: Broker): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${b.httpPort}/metrics`)).text()
  const out: Record<string, number> = {}
  for (const m of text.matchAll(/^kafka_network_requestmetrics_requests_total\{([^}]*)\} (\S+)$/gm)) {
    const kind = /request="([^"]+)"/.exec(m[1]!)?.[1]
    if (kind !== undefined) out[kind] = (out[kind] ?? 0) + Number(m[2])
  }
  return out
}

/** Asks the probe in `b` for its totals (SIGUSR2) and waits for its line. */
async function probe(dir: string, b: Broker): Promise<{ allocated: number; gcs: Record<string, number> }> {
  const file = join(dir, `${b.child.proc.pid}.jsonl`)
  const before = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0
  b.child.proc.kill('SIGUSR2')
  for (let i = 0; i < 200; i++) {
    await sleep(20)
    const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []
    if (lines.length > before) return JSON.parse(lines[lines.length - 1]!)
  }
  throw new Error(`the allocation probe of broker ${b.id} (pid ${b.child.proc.pid}) did not answer`)
}

/** Totals at a window's start (the scrape first) or end (the probe first): a scrape is never in it. */
async function totals(dir: string, b: Broker, end: boolean): Promise<Totals> {
  if (end) {
    const p = await probe(dir, b)
    return { allocated: p.allocated, gcs: p.gcs, requests: await requestCounts(b) }
  }
  const requests = await requestCounts(b)
  const p = await probe(dir, b)
  return { allocated: p.allocated, gcs: p.gcs, requests }
}

function minus(a: Totals, b: Totals): Totals {
  const gcs: Record<string, number> = {}
  for (const k of new Set([...Object.keys(a.gcs), ...Object.keys(b.gcs)]))
    gcs[k] = (a.gcs[k] ?? 0) - (b.gcs[k] ?? 0)
  const requests: Record<string, number> = {}
  for (const k of new Set([...Object.keys(a.requests), ...Object.keys(b.requests)]))
    requests[k] = (a.requests[k] ?? 0) - (b.requests[k] ?? 0)
  return { allocated: a.allocated - b.allocated, gcs, requests }
}

async function window(
  dir: string,
  brokers: Broker[],
  scenario: string,
  argv: string[],
): Promise<WindowResult> {
  const t0 = await Promise.all(brokers.map((b) => totals(dir, b, false)))
  const line = await kperf(argv)
  const t1 = await Promise.all(brokers.map((b) => totals(dir, b, true)))
  const status = field(line, 'status')
  if (status !== 'ok' && status !== 'capped' && status !== 'short')
    throw new Error(`${scenario}: kperf ended with ${line}`)
  const records = Number(field(line, 'delivered') || field(line, 'received') || field(line, 'consumed') || 0)
  const r: WindowResult = {
    scenario,
    records,
    kperf: line,
    perBroker: brokers.map((b, i) => ({ id: b.id, delta: minus(t1[i]!, t0[i]!) })),
  }
  print(r)
  return r
}

const KINDS = ['Produce', 'FetchConsumer', 'FetchFollower'] as const
const minor = (g: Record<string, number>) => (g.Scavenge ?? 0) + (g.MinorMarkSweep ?? 0)
const major = (g: Record<string, number>) => g.MarkSweepCompact ?? 0

function print(r: WindowResult): void {
  const lat = field(r.kperf, 'lat_p99_ms')
  log(`${r.scenario}: ${r.records} records${lat === '' ? '' : `, e2e p99 ${lat} ms`}`)
  for (const { id, delta: d } of r.perBroker) {
    const reqs = KINDS.map((k) => `${k} ${d.requests[k] ?? 0}`).join(', ')
    const all = KINDS.reduce((s, k) => s + (d.requests[k] ?? 0), 0)
    const per10k = (n: number) => (r.records > 0 ? ((n * 10_000) / r.records).toFixed(1) : '-')
    log(
      `  broker ${id}: ${(d.allocated / 1e6).toFixed(1)} MB allocated; ${reqs}; ` +
        `${r.records > 0 ? Math.round(d.allocated / r.records) : '-'} B/record, ` +
        `${all > 0 ? Math.round(d.allocated / all) : '-'} B/request; ` +
        `per 10k records: ${per10k(minor(d.gcs))} scavenges, ${per10k(major(d.gcs))} mark-compacts`,
    )
  }
}

function topFunctions(dir: string, pid: number, mark: number, n = 12): string[] {
  const file = join(dir, `${pid}-${mark}.heapprofile`)
  if (!existsSync(file)) return []
  interface Node {
    callFrame: { functionName: string; url: string; lineNumber: number }
    selfSize: number
    children: Node[]
  }
  const root = JSON.parse(readFileSync(file, 'utf8')).head as Node
  const by = new Map<string, number>()
  let total = 0
  // Built-ins (Array push, Promise then, ...) have no url: their bytes go to the nearest caller
  // that has one, which is where the allocation can be removed.
  const walk = (node: Node, owner: string) => {
    const f = node.callFrame
    const key =
      f.url === ''
        ? owner
        : `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(src|node_modules)\//, '$1/')}:${f.lineNumber + 1}`
    by.set(key, (by.get(key) ?? 0) + node.selfSize)
    total += node.selfSize
    for (const c of node.children) walk(c, key)
  }
  walk(root, '(root)')
  return [...by]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `    ${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`)
}

function printProfiles(dir: string, brokers: Broker[], results: WindowResult[]): void {
  if (args.sample === undefined) return
  // Each broker's marks: two per window (before, after), in order; the window's profile is the
  // one written at its closing mark.
  results.forEach((r, i) => {
    for (const b of brokers) {
      const lines = topFunctions(dir, b.child.proc.pid!, 2 * i + 1)
      if (lines.length === 0) continue
      log(`${r.scenario}, broker ${b.id}: top allocating functions (sampled)`)
      for (const l of lines) log(l)
    }
  })
}

function derived(results: WindowResult[]): void {
  const by = (s: string) => results.find((r) => r.scenario === s)
  const reqs = (r: WindowResult, i: number, k: string) => r.perBroker[i]!.delta.requests[k] ?? 0
  const produce = by('produce')
  const empty = by('fetch-empty')
  const e2e = by('e2e-fw1')
  const lines: string[] = []
  let perProduce: number | null = null
  if (produce !== undefined && reqs(produce, 0, 'Produce') > 0) {
    perProduce = produce.perBroker[0]!.delta.allocated / reqs(produce, 0, 'Produce')
    lines.push(`Produce (acks=1, standalone): ${Math.round(perProduce)} B/request`)
  }
  if (empty !== undefined && perProduce !== null && reqs(empty, 0, 'FetchConsumer') > 0) {
    const rest = empty.perBroker[0]!.delta.allocated - reqs(empty, 0, 'Produce') * perProduce
    lines.push(
      `consumer Fetch, empty (waits 1 ms): ${Math.round(rest / reqs(empty, 0, 'FetchConsumer'))} B/request`,
    )
  }
  if (e2e !== undefined && perProduce !== null && reqs(e2e, 0, 'FetchConsumer') > 0) {
    const rest = e2e.perBroker[0]!.delta.allocated - reqs(e2e, 0, 'Produce') * perProduce
    lines.push(
      `consumer Fetch in e2e-fw1 (with data or waiting): ${Math.round(rest / reqs(e2e, 0, 'FetchConsumer'))} B/request`,
    )
  }
  const rf3 = by('rf3-produce-1')
  if (rf3 !== undefined && perProduce !== null) {
    const i = rf3.perBroker.findIndex((b) => (b.delta.requests.Produce ?? 0) > 0)
    if (i >= 0 && reqs(rf3, i, 'FetchFollower') > 0) {
      const rest = rf3.perBroker[i]!.delta.allocated - reqs(rf3, i, 'Produce') * perProduce
      lines.push(
        `follower Fetch at the leader (RF 3): ${Math.round(rest / reqs(rf3, i, 'FetchFollower'))} B/request`,
      )
    }
  }
  const all = by('rf3-produce-all')
  const one = by('rf3-produce-1')
  if (all !== undefined && one !== undefined) {
    const i = all.perBroker.findIndex((b) => (b.delta.requests.Produce ?? 0) > 0)
    const j = one.perBroker.findIndex((b) => (b.delta.requests.Produce ?? 0) > 0)
    if (i >= 0 && j >= 0) {
      const perRec = (r: WindowResult, k: number) => r.perBroker[k]!.delta.allocated / Math.max(1, r.records)
      lines.push(
        `leader, RF 3: ${Math.round(perRec(one, j))} B/record acks=1, ${Math.round(perRec(all, i))} B/record acks=all`,
      )
    }
  }
  log('derived per request kind:')
  for (const l of lines) log(`  ${l}`)
}

async function startOne(dir: string, id: number, config: Record<string, string | number>): Promise<Broker> {
  const httpPort = await freePort()
  const child = await startBroker({
    dir: join(dir, `broker-${id}`),
    config: { 'node.id': id, 'samsa.http.listeners': `http://127.0.0.1:${httpPort}`, ...STEADY, ...config },
  })
  return { id, child, httpPort }
}

/** kperf arguments for one partition of `topic`, 1 KiB records, linger 1 ms. */
const runArgs = (mode: string, bs: string, topic: string, acks: string, n: number, rate: number) => [
  mode,
  ...['-b', bs, '-t', topic, '-p', '0', '-n', String(n), '-r', String(rate)],
  ...['-s', '1024', '-a', acks, '-l', '1'],
]
const e2eArgs = (bs: string, topic: string, acks: string, n = RECORDS, rate = 10_000) => [
  ...runArgs('e2e', bs, topic, acks, n, rate),
  ...['-X', 'c:fetch.wait.max.ms=1'],
]
const produceArgs = (bs: string, topic: string, acks: string, n = RECORDS) =>
  runArgs('produce', bs, topic, acks, n, 10_000)

async function standalone(dir: string, probeDir: string): Promise<WindowResult[]> {
  const b = await startOne(join(dir, 'standalone'), 1, {})
  const bs = `${b.child.host}:${b.child.port}`
  try {
    const c = await WireConnection.open(b.child.host, b.child.port)
    for (const t of ['empty', 'prod', 'e2e', 'warm']) await createTopic(c, t, 1)
    c.close()
    log('standalone: warm-up')
    // Every topic once before its window: a client's first produce to a topic can wait for
    // metadata (~1 s), after which its queue goes out in a few huge requests.
    await kperf(e2eArgs(bs, 'warm', '1', 20_000))
    for (const t of ['empty', 'prod', 'e2e']) await kperf(produceArgs(bs, t, '1', 100))
    const out: WindowResult[] = []
    out.push(
      await window(probeDir, [b], 'fetch-empty', [
        ...e2eArgs(bs, 'empty', '1', Math.max(40, Math.round(RECORDS / 500)), 20),
      ]),
    )
    out.push(await window(probeDir, [b], 'produce', produceArgs(bs, 'prod', '1')))
    out.push(await window(probeDir, [b], 'e2e-fw1', e2eArgs(bs, 'e2e', '1')))
    printProfiles(probeDir, [b], out)
    return out
  } finally {
    await b.child.stop()
  }
}

async function leaderOf(b: Broker, topic: string): Promise<{ leader: number; isr: number[] }> {
  const c = await WireConnection.open(b.child.host, b.child.port)
  try {
    const r = await c.request(
      metadataRequestCodec,
      metadataResponseCodec,
      {
        ...metadataRequestCodec.defaults(12),
        topics: [{ name: topic as TopicName, topicId: ZERO_UUID }],
        allowAutoTopicCreation: false,
      },
      12,
    )
    const p = r.topics[0]?.partitions[0]
    return p === undefined ? { leader: -1, isr: [] } : { leader: p.leaderId, isr: p.isrNodes }
  } finally {
    c.close()
  }
}

async function cluster(dir: string, probeDir: string): Promise<WindowResult[]> {
  if (!zookeeperAvailable()) {
    log('cluster: skipped, ZooKeeper (or java) is not installed')
    return []
  }
  const tmp = process.env.TMPDIR
  process.env.TMPDIR = dir
  let zk: ZookeeperProcess
  try {
    zk = await startZookeeper()
  } finally {
    if (tmp === undefined) delete process.env.TMPDIR
    else process.env.TMPDIR = tmp
  }
  const brokers: Broker[] = []
  try {
    for (const id of [1, 2, 3])
      brokers.push(
        await startOne(join(dir, 'cluster'), id, {
          'zookeeper.connect': zk.connect,
          'offsets.topic.replication.factor': 1,
          'offsets.topic.num.partitions': 1,
        }),
      )
    const bs = brokers.map((b) => `${b.child.host}:${b.child.port}`).join(',')
    for (let i = 0; ; i++) {
      try {
        const c = await WireConnection.open(brokers[0]!.child.host, brokers[0]!.child.port)
        await createTopic(c, 'rf3', 1, { 'min.insync.replicas': 2 }, 3)
        c.close()
        break
      } catch (err) {
        if (i > 50) throw err
        await sleep(200)
      }
    }
    for (let i = 0; ; i++) {
      const views = [await leaderOf(brokers[0]!, 'rf3')]
      if (views.every((v) => v.leader > 0 && v.isr.length === 3)) break
      if (i > 150) throw new Error(`RF 3 topics not fully in sync: ${JSON.stringify(views)}`)
      await sleep(200)
    }
    log(`cluster: leader of rf3 is broker ${(await leaderOf(brokers[0]!, 'rf3')).leader}; warm-up`)
    await kperf(e2eArgs(bs, 'rf3', 'all', 20_000))
    const out: WindowResult[] = []
    out.push(await window(probeDir, brokers, 'rf3-produce-1', produceArgs(bs, 'rf3', '1')))
    out.push(await window(probeDir, brokers, 'rf3-produce-all', produceArgs(bs, 'rf3', 'all')))
    out.push(await window(probeDir, brokers, 'e2e-rf3', e2eArgs(bs, 'rf3', 'all')))
    printProfiles(probeDir, brokers, out)
    return out
  } finally {
    await Promise.all(brokers.map((b) => b.child.stop().catch(() => {})))
    await zk.stop()
  }
}

async function main(): Promise<void> {
  requireKperf()
  const dir = mkdtempSync(join(BASE_DIR, 'samsa-alloc-'))
  const sampleDir = args.sample === undefined ? null : resolve(args.sample)
  const probeDir = sampleDir ?? dir
  mkdirSync(probeDir, { recursive: true })
  for (const f of readdirSync(probeDir))
    if (/^\d+(-\d+\.heapprofile|\.jsonl)$/.test(f)) rmSync(join(probeDir, f))
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import=${PROBE}`.trim()
  process.env.SAMSA_ALLOC_PROBE_DIR = probeDir
  if (sampleDir !== null) process.env.SAMSA_ALLOC_SAMPLE = args.promoted ? 'promoted' : '1'
  const results: WindowResult[] = []
  try {
    if (ONLY === null || ONLY.includes('standalone')) results.push(...(await standalone(dir, probeDir)))
    if (ONLY === null || ONLY.includes('cluster')) results.push(...(await cluster(dir, probeDir)))
    derived(results)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
