// `npm run faults -- --time SECONDS [--seed N]` (issue 12): a Jepsen-style run on this machine.
// ZooKeeper and 3 Samsa brokers, a RF 3 / min.insync.replicas=2 topic, an idempotent acks=all
// producer writing uniquely numbered records the whole time, and a seeded schedule of nemeses,
// each healed and followed by a full ISR and a replica comparison. Afterwards every partition is
// read from offset 0 and checked against the producer's history (test/faults/checker.ts). The
// last line is the verdict; the exit code is 1 when anything acknowledged was lost, duplicated or
// diverged. Everything started here is stopped by pid, also on Ctrl-C and on failure.

import { parseArgs } from 'node:util'
import {
  createTopic,
  highWatermarks,
  liveBootstrap,
  replicaBatchesBelow,
  type Stream,
  startKeyedStream,
} from '../e2e/replication-helpers.ts'
import { startCluster, type TestCluster } from '../support/cluster.ts'
import { kcatConsumeJson, sleep } from '../support/e2e-clients.ts'
import { zookeeperAvailable } from '../support/zookeeper.ts'
import {
  type Ack,
  checkReplicas,
  longestStallMs,
  type NemesisRun,
  type ReplicaSnapshot,
  render,
  unavailabilityMs,
  verdict,
} from './checker.ts'
import { NEMESES, runNemesis, seeded, waitFullIsr } from './nemeses.ts'

const TOPIC = 'faults'
const PARTITIONS = 3
const BROKERS = [1, 2, 3]

const { values } = parseArgs({ options: { time: { type: 'string' }, seed: { type: 'string' } } })
const seconds = Number(values.time ?? 60)
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed)
console.log(`faults: seed ${seed}, ${seconds} s (replay: npm run faults -- --time ${seconds} --seed ${seed})`)

let cluster: TestCluster | undefined
let stream: Stream | undefined
const paused = new Set<number>()
let stopping: Promise<void> | undefined

/** Stops what this run started, by pid: the producer, paused brokers continued, the cluster. */
function stopAll(): Promise<void> {
  stopping ??= (async () => {
    stream?.kill()
    for (const pid of paused) {
      try {
        process.kill(pid, 'SIGCONT')
      } catch {}
    }
    await cluster?.stop()
  })()
  return stopping
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    console.log(`faults: ${sig}, stopping`)
    void stopAll().finally(() => process.exit(130))
  })
}

const started = Date.now()
const log = (line: string) =>
  console.log(`${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s  ${line}`)

/** Every replica's batches below the HW, per partition (kafka-dump-log.sh). */
async function snapshot(c: TestCluster): Promise<ReplicaSnapshot[]> {
  const hws = await highWatermarks(liveBootstrap(c), TOPIC)
  const out: ReplicaSnapshot[] = []
  for (const [partition, hw] of hws) {
    out.push({
      topic: TOPIC,
      partition,
      hw,
      batches: await replicaBatchesBelow(c, BROKERS, TOPIC, partition, hw),
    })
  }
  return out
}

async function main(): Promise<number> {
  if (!zookeeperAvailable()) {
    console.log('faults: ZooKeeper is not installed (apt-get install zookeeper)')
    return 2
  }
  const c = await startCluster({ brokers: BROKERS.length, chroot: '/samsa' })
  cluster = c
  await createTopic(c, TOPIC, PARTITIONS)
  log(`cluster up: ${c.bootstrap()}, ${TOPIC}: ${PARTITIONS} partitions, RF 3, min.insync.replicas=2`)
  const s = startKeyedStream(c.bootstrap(), { topic: TOPIC, count: 1e9, pauseEvery: 5, pauseMs: 20 })
  stream = s
  // Stamp each delivery report as it arrives (this listener runs after the stream's parser).
  const acks: Ack[] = []
  s.child.stdout!.on('data', () => {
    const now = Date.now()
    for (let k = acks.length; k < s.deliveries.length; k++) acks.push({ ...s.deliveries[k]!, t: now })
  })
  let producerDied = false
  const rand = seeded(seed)
  const runs: NemesisRun[] = []
  const deadline = started + seconds * 1000
  await sleep(2000)
  while (Date.now() < deadline) {
    if (s.child.exitCode !== null) {
      // An idempotent producer only gives up on a fatal error (e.g. OUT_OF_ORDER_SEQUENCE when
      // records it was acknowledged for vanished): stop the faults and check what it was told.
      log(
        `the producer stopped early (exit ${s.child.exitCode}): ${s.stderr().trim().split('\n').slice(-2).join(' | ')}`,
      )
      producerDied = true
      break
    }
    const name = NEMESES[Math.floor(rand() * NEMESES.length)]!
    let faultAt = Date.now()
    const acked = acks.length
    const what = await runNemesis(name, {
      c,
      topic: TOPIC,
      partitions: PARTITIONS,
      rand,
      paused,
      onFault: () => {
        faultAt = Date.now()
      },
      log,
    })
    await waitFullIsr(c, TOPIC, PARTITIONS, 60000)
    const healedAt = Date.now()
    const divergent = checkReplicas(await snapshot(c))
    runs.push({ name, faultAt, healedAt, divergent })
    log(
      `${name}: ${what}; healed (full ISR) after ${((healedAt - faultAt) / 1000).toFixed(1)} s, ` +
        `${acks.length - acked} acks meanwhile${divergent.length ? `, DIVERGENT: ${divergent.join('; ')}` : ''}`,
    )
    await sleep(1000 + Math.floor(rand() * 2000))
  }
  log('time is up: stopping the producer, waiting for its last reports')
  const code = await s.stop()
  if (code !== 0) log(`the producer exited with ${code}: ${s.stderr().slice(-500)}`)
  const end = Date.now()
  const errLines = s.stderr().trim().split('\n').filter(Boolean)
  if (errLines.length > 0)
    log(`producer stderr (${errLines.length} lines), last: ${errLines.slice(-8).join(' | ')}`)
  await waitFullIsr(c, TOPIC, PARTITIONS, 60000)
  const finalDivergent = checkReplicas(await snapshot(c))
  const read = await kcatConsumeJson(liveBootstrap(c), ['-t', TOPIC, '-o', 'beginning'])
  const failed = acks.filter((a) => a.error !== undefined).length
  log(`${acks.length} delivery reports (${failed} failed), ${read.length} records read back from offset 0`)
  const v = verdict(runs, acks, read, [0, 1, 2], finalDivergent, end)
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
  if (producerDied) log('FAILED: the producer hit a fatal error during the faults (see above)')
  console.log(render(v))
  return v.ok && !producerDied ? 0 : 1
}

let exitCode = 1
try {
  exitCode = await main()
} catch (e) {
  console.log(`faults: the run failed: ${e instanceof Error ? e.stack : String(e)}`)
  exitCode = 3
} finally {
  await stopAll()
}
process.exit(exitCode)
