// One fault-injection run (issue 12), shared by the CLI (`npm run faults`, test/faults/run.ts) and
// the short bounded run inside `npm test` (test/faults/short.test.ts). ZooKeeper and 3 Samsa
// brokers (each in its own network namespace when root, else all on loopback), a RF 3 /
// min.insync.replicas=2 topic, an idempotent acks=all producer writing uniquely numbered records
// the whole time, and nemeses — a seeded random choice for a given time, or a fixed list — each
// healed and followed by a full ISR and a replica comparison. Afterwards every partition is read
// from offset 0 and checked against the producer's history (checker.ts); what a nemesis saw broken
// directly (e.g. a cut-off leader acknowledging an acks=all write) counts as divergence of its run.
// Everything started here is stopped by pid and every namespace removed, also on Ctrl-C/failure.

import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTopic, liveBootstrap, type Stream, startKeyedStream } from '../e2e/replication-helpers.ts'
import { startCluster, type TestCluster } from '../support/cluster.ts'
import { kcatConsumeJson, sleep } from '../support/e2e-clients.ts'
import { seeded } from '../support/seeded.ts'
import {
  type Ack,
  type LogRecord,
  longestStallMs,
  type NemesisRun,
  render,
  unavailabilityMs,
  type Verdict,
  verdict,
} from './checker.ts'
import {
  NEMESES,
  type NemesisName,
  needsDisk,
  needsNet,
  REPLICA_LAG_MS,
  runNemesis,
  waitFullIsr,
} from './nemeses.ts'
import { createNetns, type NetnsNetwork, netnsUnavailable } from './netns.ts'
import { compareReplicas } from './replica-snapshot.ts'
import { mountTmpfs, type Tmpfs } from './single-broker-disk.ts'
import { startWorkloads, type Workloads } from './workloads/workloads.ts'

const TOPIC = 'faults'
const PARTITIONS = 3
const BROKERS = [1, 2, 3]

export interface FaultOptions {
  /** Seeded random nemeses until this many seconds have passed since the start... */
  seconds?: number
  /** ...or exactly these, in order (network ones are skipped, with a reason, on loopback). */
  schedule?: readonly NemesisName[]
  seed: number
  /** netns: fail if namespaces cannot be made; auto: netns when possible, else loopback. */
  net: 'netns' | 'loopback' | 'auto'
  /** Gets every progress line (already stamped with the elapsed time). */
  log(line: string): void
  /**
   * Also run a kafkajs idempotent producer and a consumer group (confluent-kafka, 2 members,
   * committing) on the topic, checked by consumer-checker.ts (default true).
   */
  workloads?: boolean
}

export interface FaultResult {
  /** 0: nothing broken; 1: a guarantee broken (the verdict says which). */
  code: 0 | 1
  verdict: Verdict
  /** The table, its last line the verdict line. */
  table: string
  net: 'netns' | 'loopback'
  /** Nemeses of the schedule left out, with why. */
  skipped: string[]
  /** What nemeses saw broken directly. */
  violations: string[]
  producerDied: boolean
}

let active: (() => Promise<void>) | undefined

/** Stops the run in progress (for signal handlers); resolves once everything is cleaned up. */
export function stopFaults(): Promise<void> {
  return active?.() ?? Promise.resolve()
}

/**
 * The acks, those without an offset given theirs from the log. librdkafka's idempotent producer
 * acknowledges records implicitly (persisted, offset unknown) when the answer to their request was
 * lost but a later request of the same producer was acknowledged: they must be in their partition,
 * at an offset nobody was told. A record absent from its partition gets offset -1, so the checker
 * still counts it lost (or misplaced, if it is elsewhere).
 */
export function withOffsets(
  acks: readonly Ack[],
  read: readonly LogRecord[],
  log: (line: string) => void,
): Ack[] {
  const implicit = acks.filter((a) => a.error === undefined && (a.offset ?? undefined) === undefined)
  if (implicit.length === 0) return [...acks]
  const found = new Map<string, number>()
  for (const r of read)
    if (r.key !== null && !found.has(`${r.partition}/${r.key}`))
      found.set(`${r.partition}/${r.key}`, r.offset)
  const offsetOf = (a: Ack) => found.get(`${a.p}/k-${a.i}`) ?? -1
  const shown = implicit.slice(0, 5).map((a) => `k-${a.i} -> ${a.p}@${offsetOf(a)}`)
  log(
    `acknowledged without an offset (implicitly, by a later ack): ${implicit.length}, e.g. ${shown.join(', ')}`,
  )
  const without = new Set(implicit)
  return acks.map((a) => (without.has(a) ? { ...a, offset: offsetOf(a) } : a))
}

export async function runFaults(o: FaultOptions): Promise<FaultResult> {
  const started = Date.now()
  const log = (line: string) => o.log(`${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s  ${line}`)
  let cluster: TestCluster | undefined
  let network: NetnsNetwork | undefined
  let stream: Stream | undefined
  let workloads: Workloads | undefined
  let disks: Map<number, Tmpfs> | undefined
  const paused = new Set<number>()
  let stopping: Promise<void> | undefined
  const stopAll = () => {
    stopping ??= (async () => {
      stream?.kill()
      workloads?.kill()
      for (const pid of paused) {
        try {
          process.kill(pid, 'SIGCONT')
        } catch {}
      }
      await cluster?.stop()
      for (const d of disks?.values() ?? []) {
        try {
          d.unmount()
        } catch {}
      }
      await network?.destroy()
    })()
    return stopping
  }
  active = stopAll
  const onSignal = (sig: NodeJS.Signals) => {
    log(`${sig}: stopping everything this run started`)
    void stopAll().finally(() => process.exit(130))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    if (o.net !== 'loopback') {
      const why = netnsUnavailable()
      if (why === null) {
        try {
          network = await createNetns(BROKERS)
        } catch (e) {
          if (o.net === 'netns') throw e
          log(`network namespaces failed (${e instanceof Error ? e.message : e}): loopback instead`)
        }
      } else if (o.net === 'netns') throw new Error(`--net netns: ${why}`)
      else log(`no network namespaces: ${why}; the network nemeses are left out`)
    }
    const net = network === undefined ? 'loopback' : 'netns'
    log(network?.describe() ?? 'loopback: every node on 127.0.0.1')
    // As root every broker's log dir is a tmpfs of its own, so that one disk can be filled.
    const mounted = new Map<number, Tmpfs>()
    disks = mounted
    let noDisk: string | null = null
    for (const id of BROKERS) {
      const m = mountTmpfs(`sf${process.pid}d${id}`, 256)
      if (typeof m === 'string') {
        noDisk = m
        break
      }
      mounted.set(id, m)
    }
    if (noDisk !== null) {
      for (const d of mounted.values()) d.unmount()
      mounted.clear()
      disks = undefined
      log(`no tmpfs log dirs (${noDisk}): disk-full is left out`)
    }
    const can = (n: NemesisName) =>
      (network !== undefined || !needsNet(n)) && (disks !== undefined || !needsDisk(n))
    const skipped: string[] = []
    const choices = NEMESES.filter(can)
    if (o.schedule !== undefined) log(`schedule: ${o.schedule.join(', ')}`)
    else if (choices.length < NEMESES.length)
      skipped.push(`${NEMESES.filter((n) => !choices.includes(n)).join(', ')} (not possible here: see above)`)

    const c = await startCluster({
      brokers: BROKERS.length,
      chroot: '/samsa',
      // Committed offsets must survive a broker's death: __consumer_offsets gets RF 3 too.
      // A cap on open segment files below what the brokers use (__consumer_offsets alone has 50
      // partitions): idle files are closed and reopened throughout the faults (storage/open-files.ts).
      config: {
        'replica.lag.time.max.ms': REPLICA_LAG_MS,
        'offsets.topic.replication.factor': 3,
        'samsa.log.max.open.segment.files': 8,
      },
      ...(network === undefined ? {} : { network }),
      ...(disks === undefined ? {} : { logDirOf: (id: number) => mounted.get(id)!.dir }),
    })
    cluster = c
    await createTopic(c, TOPIC, PARTITIONS)
    log(`cluster up: ${c.bootstrap()}, ${TOPIC}: ${PARTITIONS} partitions, RF 3, min.insync.replicas=2`)
    const compared = { topic: TOPIC, partitions: PARTITIONS, brokers: BROKERS, log }
    const s = startKeyedStream(c.bootstrap(), {
      topic: TOPIC,
      count: 1e9,
      pauseEvery: 5,
      pauseMs: 20,
      // SAMSA_FAULTS_DEBUG=eos,msg,topic: librdkafka's debug contexts for the stream (kept below).
      ...(process.env.SAMSA_FAULTS_DEBUG ? { conf: { debug: process.env.SAMSA_FAULTS_DEBUG } } : {}),
    })
    stream = s
    const w =
      o.workloads === false
        ? undefined
        : startWorkloads(c.bootstrap(), {
            topic: TOPIC,
            partitions: [0, 1, 2],
            group: 'faults-group',
            producer: { pauseMs: 30 },
          })
    workloads = w
    if (w !== undefined) log('workloads: a kafkajs idempotent producer and a 2-member consumer group')
    // Stamp each delivery report as it arrives (this listener runs after the stream's parser).
    const acks: Ack[] = []
    s.child.stdout!.on('data', () => {
      const now = Date.now()
      for (let k = acks.length; k < s.deliveries.length; k++) acks.push({ ...s.deliveries[k]!, t: now })
    })
    let producerDied = false
    const rand = seeded(o.seed)
    const runs: NemesisRun[] = []
    const violations: string[] = []
    const deadline = started + (o.seconds ?? 0) * 1000
    const queue = o.schedule === undefined ? undefined : [...o.schedule]
    const next = (): NemesisName | undefined => {
      if (queue === undefined)
        return Date.now() < deadline ? choices[Math.floor(rand() * choices.length)] : undefined
      for (let n = queue.shift(); n !== undefined; n = queue.shift()) {
        if (can(n)) return n
        const why = needsNet(n) ? 'no network namespaces' : 'no tmpfs log dirs'
        skipped.push(`${n} (${why})`)
        log(`${n}: skipped (${why})`)
      }
      return undefined
    }
    await sleep(2000)
    for (let name = next(); name !== undefined; name = next()) {
      if (s.child.exitCode !== null) {
        // An idempotent producer only gives up on a fatal error (e.g. OUT_OF_ORDER_SEQUENCE when
        // records it was acknowledged for vanished): stop the faults and check what it was told.
        log(
          `the producer stopped early (exit ${s.child.exitCode}): ${s.stderr().trim().split('\n').slice(-2).join(' | ')}`,
        )
        producerDied = true
        break
      }
      let faultAt = Date.now()
      const acked = acks.length
      const seen: string[] = []
      const what = await runNemesis(name, {
        c,
        topic: TOPIC,
        partitions: PARTITIONS,
        rand,
        paused,
        net: network,
        disks,
        onFault: () => {
          faultAt = Date.now()
        },
        violation: (line) => {
          seen.push(`${name}: ${line}`)
          log(`VIOLATION ${name}: ${line}`)
        },
        log,
      })
      await waitFullIsr(c, TOPIC, PARTITIONS, 60000)
      const healedAt = Date.now()
      // A restarted broker listens on a new port: the kafkajs producer's seeds follow.
      w?.setBootstrap(liveBootstrap(c))
      const divergent = [...(await compareReplicas(c, compared)), ...seen]
      violations.push(...seen)
      runs.push({ name, faultAt, healedAt, divergent })
      log(
        `${name}: ${what}; healed (full ISR) after ${((healedAt - faultAt) / 1000).toFixed(1)} s, ` +
          `${acks.length - acked} acks meanwhile${divergent.length ? `, DIVERGENT: ${divergent.join('; ')}` : ''}`,
      )
      await sleep(1000 + Math.floor(rand() * 2000))
    }
    log('stopping the producer, waiting for its last reports')
    const code = await s.stop()
    if (code !== 0) log(`the producer exited with ${code}: ${s.stderr().slice(-500)}`)
    if (w !== undefined) {
      const wcode = await w.stopProducer()
      if (wcode !== 0) log(`the kafkajs producer exited with ${wcode}`)
    }
    const end = Date.now()
    const errLines = s.stderr().trim().split('\n').filter(Boolean)
    if (errLines.length > 0)
      log(`producer stderr (${errLines.length} lines), last: ${errLines.slice(-8).join(' | ')}`)
    await waitFullIsr(c, TOPIC, PARTITIONS, 60000)
    const finalDivergent = await compareReplicas(c, compared)
    const read = await kcatConsumeJson(liveBootstrap(c), ['-t', TOPIC, '-o', 'beginning'])
    // Probe writes (nemeses.ts) must be refused; any that made it into the log is shown.
    const probed = read.filter((r) => r.key?.startsWith('probe-'))
    if (probed.length > 0)
      log(
        `probe records in the final log: ${probed.map((r) => `${r.key} at ${r.partition}@${r.offset}`).join(', ')}`,
      )
    if (process.env.SAMSA_FAULTS_DEBUG) {
      const base = join(tmpdir(), `samsa-faults-${process.pid}`)
      for (const [id, b] of c.brokers) writeFileSync(`${base}-broker-${id}.log`, b.output())
      writeFileSync(`${base}-stream.log`, s.stderr())
      log(`SAMSA_FAULTS_DEBUG: the brokers' output and the stream's librdkafka log in ${base}-*.log`)
    }
    const failed = acks.filter((a) => a.error !== undefined).length
    log(`${acks.length} delivery reports (${failed} failed), ${read.length} records read back from offset 0`)
    const wr = w === undefined ? undefined : await w.finish(liveBootstrap(c), read)
    for (const line of wr?.report ?? []) log(line)
    const allAcks = w === undefined ? acks : [...acks, ...w.producer.acks]
    const v = verdict(runs, withOffsets(allAcks, read, log), read, [0, 1, 2], finalDivergent, end)
    const shown = (what: string, xs: readonly unknown[]) => {
      if (xs.length > 0) log(`${what}: ${xs.length}, e.g. ${JSON.stringify(xs.slice(0, 5))}`)
    }
    // Where each window came from: per partition, the first ack after the fault and the longest stall.
    for (const r of runs) {
      const per = [0, 1, 2].map((p) => {
        const first = unavailabilityMs(acks, r.faultAt, [p], end) / 1000
        const stall = longestStallMs(acks, r.faultAt, r.healedAt, [p], end) / 1000
        return `p${p} ${first.toFixed(1)}/${stall.toFixed(1)}`
      })
      log(
        `${r.name} at ${((r.faultAt - started) / 1000).toFixed(1)} s: first ack/longest stall s: ${per.join(', ')}`,
      )
    }
    shown('lost', v.problems.lost)
    shown('misplaced (acknowledged at another offset)', v.problems.misplaced)
    shown('duplicated', v.problems.duplicated)
    shown('offsets not increasing', v.problems.disorder)
    shown('divergent at the end', finalDivergent)
    shown('violations seen by the nemeses', violations)
    if (skipped.length > 0) log(`left out: ${skipped.join('; ')}`)
    if (producerDied) log('FAILED: the producer hit a fatal error during the faults (see above)')
    const consumersOk = wr === undefined || wr.consumers.ok
    return {
      code: v.ok && consumersOk && !producerDied ? 0 : 1,
      verdict: v,
      table: wr === undefined ? render(v) : `${render(v)}; ${wr.line}`,
      net,
      skipped,
      violations,
      producerDied,
    }
  } catch (e) {
    // The evidence goes with the cluster: each broker's output is kept in a file, the last words shown.
    for (const [id, b] of cluster?.brokers ?? []) {
      const file = join(tmpdir(), `samsa-faults-${process.pid}-broker-${id}.log`)
      writeFileSync(file, b.output())
      const tail = b.output().trim().split('\n').slice(-12)
      log(
        `broker ${id} (pid ${b.child.pid}), whole output in ${file}, last lines:\n    ${tail.join('\n    ')}`,
      )
    }
    if (cluster !== undefined) {
      const file = join(tmpdir(), `samsa-faults-${process.pid}-zookeeper.log`)
      writeFileSync(file, cluster.zk.output())
      log(`ZooKeeper's output in ${file}`)
    }
    throw e
  } finally {
    process.removeListener('SIGINT', onSignal)
    process.removeListener('SIGTERM', onSignal)
    await stopAll()
    active = undefined
  }
}
