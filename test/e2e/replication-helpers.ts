// Helpers for test/e2e/replication.test.ts: what an operator would look at while brokers of a
// replicated cluster die and come back (partition leader and ISR from metadata, the high watermark
// from kafka-get-offsets.sh, each replica's batches from kafka-dump-log.sh), and a confluent-kafka
// producer streaming keyed records (test/e2e/py/replication_client.py) whose delivery reports are
// read as they arrive, so that a test knows what was acknowledged at each fault.

import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { eventually, type TestCluster } from '../support/cluster.ts'
import { kcat, PY_DIR, PYTHON, pyStep, runOk, sleep } from '../support/e2e-clients.ts'

export interface PartitionMeta {
  partition: number
  leader: number
  replicas: number[]
  isr: number[]
}

/** Leader, replicas and ISR of every partition of `topic`, as `kcat -L` sees them via `bootstrap`. */
export async function partitionsOf(bootstrap: string, topic: string): Promise<PartitionMeta[]> {
  const md = JSON.parse((await kcat(bootstrap, ['-L', '-J', '-t', topic])).stdout) as {
    topics: {
      topic: string
      partitions?: {
        partition: number
        leader: number
        replicas: { id: number }[]
        isrs?: { id: number }[]
      }[]
    }[]
  }
  const t = md.topics.find((x) => x.topic === topic)
  return (t?.partitions ?? [])
    .map((p) => ({
      partition: p.partition,
      leader: p.leader,
      replicas: p.replicas.map((r) => r.id),
      isr: (p.isrs ?? []).map((r) => r.id).sort(),
    }))
    .sort((a, b) => a.partition - b.partition)
}

/** Live brokers' addresses, those of `except` left out (a killed or stopped broker). */
export function liveBootstrap(c: TestCluster, except: readonly number[] = []): string {
  return [...c.brokers.entries()]
    .filter(([id, b]) => !except.includes(id) && b.child.exitCode === null && b.child.signalCode === null)
    .map(([, b]) => b.bootstrap)
    .join(',')
}

/** The high watermark of each partition (ListOffsets latest, as consumers see the end). */
export async function highWatermarks(bootstrap: string, topic: string): Promise<Map<number, number>> {
  const out = (await runOk('bin/kafka-get-offsets.sh', ['--bootstrap-server', bootstrap, '--topic', topic]))
    .stdout
  const hw = new Map<number, number>()
  for (const line of out.trim().split('\n')) {
    const m = /^(.+):(\d+):(\d+)$/.exec(line.trim())
    if (m && m[1] === topic) hw.set(Number(m[2]), Number(m[3]))
  }
  return hw
}

export interface DumpedBatch {
  baseOffset: number
  lastOffset: number
  crc: string
  leaderEpoch: number
}

/** `kafka-dump-log.sh --files` over every segment of one replica's partition directory. */
export async function dumpReplica(logDir: string, topic: string, partition: number): Promise<DumpedBatch[]> {
  const dir = join(logDir, 'data', `${topic}-${partition}`)
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort()
    .map((f) => join(dir, f))
  if (files.length === 0) return []
  const out = (await runOk('bin/kafka-dump-log.sh', ['--files', files.join(',')], { timeoutMs: 60000 }))
    .stdout
  const batches: DumpedBatch[] = []
  for (const line of out.split('\n')) {
    const m =
      /^baseOffset: (\d+) lastOffset: (\d+) .*partitionLeaderEpoch: (-?\d+) .* crc: (\d+) isvalid: true/.exec(
        line,
      )
    if (m)
      batches.push({
        baseOffset: Number(m[1]),
        lastOffset: Number(m[2]),
        crc: m[4]!,
        leaderEpoch: Number(m[3]),
      })
  }
  return batches
}

/**
 * Every replica's batches below `hw`, as `id: [base-last/crc@epoch, ...]`, for comparing replicas:
 * Kafka's promise is that they are the same batches, byte for byte (same CRC), covering 0..hw-1.
 */
export async function replicaBatchesBelow(
  c: TestCluster,
  ids: readonly number[],
  topic: string,
  partition: number,
  hw: number,
): Promise<Map<number, string[]>> {
  const seen = new Map<number, string[]>()
  for (const id of ids) {
    const b = c.brokers.get(id)
    if (b === undefined) throw new Error(`no broker ${id}`)
    const batches = await dumpReplica(b.logDir, topic, partition)
    seen.set(
      id,
      batches
        .filter((x) => x.lastOffset < hw)
        .map((x) => `${x.baseOffset}-${x.lastOffset}/${x.crc}@${x.leaderEpoch}`),
    )
  }
  return seen
}

/** Offsets 0..hw-1 covered by the batches, without gap or overlap (a description of the problem, or null). */
export function coverageProblem(batches: readonly string[], hw: number): string | null {
  let next = 0
  for (const b of batches) {
    const [base, last] = b.split('/')[0]!.split('-').map(Number) as [number, number]
    if (base !== next) return `batch ${b} where offset ${next} was expected`
    next = last + 1
  }
  return next === hw ? null : `batches end at ${next}, high watermark ${hw}`
}

export interface Delivery {
  i: number
  p?: number
  offset?: number
  error?: number
  reason?: string
}

/** A running step of replication_client.py printing one JSON line per event. */
export interface PyStream<T> {
  child: ChildProcess
  /** The events printed so far, in order. */
  lines: T[]
  exited: Promise<number | null>
  stderr(): string
  /** SIGTERM: the step finishes cleanly (a consumer leaves its group). */
  stop(): Promise<number | null>
  kill(): void
}

/** Runs `step`; the JSON lines for which `keep` holds (default: all) are collected in `lines`. */
export function startPyStream<T>(
  step: string,
  bootstrap: string,
  args: Record<string, unknown>,
  keep: (line: object) => boolean = () => true,
): PyStream<T> {
  const child = spawn(PYTHON, [join(PY_DIR, 'replication_client.py'), bootstrap, step], {
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  const lines: T[] = []
  let buf = ''
  let err = ''
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString()
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = JSON.parse(buf.slice(0, nl)) as object
      if (keep(line)) lines.push(line as T)
      buf = buf.slice(nl + 1)
    }
  })
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString()
  })
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  const running = () => child.exitCode === null && child.signalCode === null
  child.stdin!.end(JSON.stringify(args))
  return {
    child,
    lines,
    exited,
    stderr: () => err,
    async stop() {
      if (running()) child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 15000)
      const code = await exited
      clearTimeout(timer)
      return code
    },
    kill: () => {
      if (running()) child.kill('SIGKILL')
    },
  }
}

export interface Delivery {
  i: number
  p?: number
  offset?: number
  error?: number
  reason?: string
}

/** The streaming producer; `deliveries` (the same array as `lines`) are its delivery reports. */
export type Stream = PyStream<Delivery> & { deliveries: Delivery[] }

/**
 * confluent-kafka streaming keyed records k-<i>/v-<i> (an idempotent acks=all producer by
 * default): `count` of them, or fewer if stop() (SIGTERM) comes first; every record sent gets
 * its report before the process exits.
 */
export function startKeyedStream(bootstrap: string, args: Record<string, unknown>): Stream {
  const s = startPyStream<Delivery>('stream_produce_keyed', bootstrap, args, (l) => 'i' in l)
  return { ...s, deliveries: s.lines }
}

export type GroupEvent =
  | { p: number; offset: number; value: string }
  | { commit: number; offset: number }
  | { commitError: number; reason: string; p: number; offset: number }

/** A confluent-kafka group member committing each record; `lines` are its records and commits. */
export function startGroupConsumer(bootstrap: string, group: string, topic: string): PyStream<GroupEvent> {
  return startPyStream<GroupEvent>(
    'group_consume_stream',
    bootstrap,
    { group, topic },
    (l) => !('records' in l),
  )
}

/** Waits (polling every 20 ms) until `cond` holds. */
export async function until(cond: () => boolean, what: string, timeoutMs = 60000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

/** The coordinator's broker id of `group`, from `kafka-consumer-groups.sh --describe --state`. */
export async function coordinatorOf(bootstrap: string, group: string): Promise<number | undefined> {
  const out = (
    await runOk('bin/kafka-consumer-groups.sh', [
      '--bootstrap-server',
      bootstrap,
      '--describe',
      '--group',
      group,
      '--state',
    ])
  ).stdout
  const m = new RegExp(`^${group}\\s+\\S+\\s+\\((\\d+)\\)`, 'm').exec(out)
  return m ? Number(m[1]) : undefined
}

/** Committed offsets by partition, from `kafka-consumer-groups.sh --describe` (CURRENT-OFFSET, LOG-END-OFFSET). */
export async function describedOffsets(
  bootstrap: string,
  group: string,
  topic: string,
): Promise<Map<number, { current: number | null; logEnd: number }>> {
  const out = (
    await runOk('bin/kafka-consumer-groups.sh', [
      '--bootstrap-server',
      bootstrap,
      '--describe',
      '--group',
      group,
    ])
  ).stdout
  const rows = new Map<number, { current: number | null; logEnd: number }>()
  for (const line of out.split('\n')) {
    const f = line.trim().split(/\s+/)
    if (f[0] === group && f[1] === topic) {
      rows.set(Number(f[2]), { current: f[3] === '-' ? null : Number(f[3]), logEnd: Number(f[4]) })
    }
  }
  return rows
}

/** kafka-topics.sh --create at replication factor 3, min.insync.replicas=2; waits for a full ISR. */
export async function createTopic(c: TestCluster, topic: string, partitions: number): Promise<void> {
  await runOk('bin/kafka-topics.sh', [
    '--create',
    '--topic',
    topic,
    '--partitions',
    String(partitions),
    '--replication-factor',
    '3',
    '--config',
    'min.insync.replicas=2',
    '--bootstrap-server',
    c.bootstrap(),
  ])
  await eventually(`${topic} led with a full ISR`, 15000, async () => {
    const ps = await partitionsOf(c.bootstrap(), topic)
    return ps.length === partitions && ps.every((p) => p.leader > 0 && p.isr.length === 3) ? true : undefined
  })
}

/** Waits until every replica of `partition` is in the ISR again (as the live brokers see it). */
export async function fullIsr(c: TestCluster, topic: string, partition: number, timeoutMs = 30000) {
  return eventually(`${topic}-${partition} ISR of 3`, timeoutMs, async () => {
    const p = (await partitionsOf(liveBootstrap(c), topic))[partition]
    return p && p.leader > 0 && p.isr.length === 3 ? p : undefined
  })
}

/** All replicas of every partition hold the same batches, covering 0..HW-1. */
export async function replicasAgree(
  c: TestCluster,
  topic: string,
  ids: number[],
): Promise<Map<number, number>> {
  const hws = await highWatermarks(liveBootstrap(c), topic)
  for (const [p, hw] of hws) {
    const seen = await replicaBatchesBelow(c, ids, topic, p, hw)
    const first = seen.get(ids[0]!)!
    assert.equal(coverageProblem(first, hw), null, `${topic}-${p} on broker ${ids[0]}`)
    for (const id of ids.slice(1))
      assert.deepEqual(
        seen.get(id),
        first,
        `${topic}-${p}: broker ${id} holds what broker ${ids[0]} holds below HW ${hw}`,
      )
  }
  return hws
}

export interface ProduceOnceResult {
  left: number
  reports: { error: number; reason: string | null; offset: number }[]
}

/**
 * `count` records <tag>-<k> to partition 0 with confluent-kafka, no retries and no idempotence, so
 * each delivery report carries the broker's own error code (19 = NOT_ENOUGH_REPLICAS).
 */
export function produceOnce(
  bootstrap: string,
  topic: string,
  acks: string,
  tag: string,
  count: number,
  timeoutMs: number,
): Promise<ProduceOnceResult> {
  return pyStep<ProduceOnceResult>('replication_client.py', bootstrap, 'produce_once', {
    topic,
    acks,
    tag,
    count,
    timeoutMs,
  })
}
