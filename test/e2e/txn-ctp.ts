// Shared driver of the kill -9 consume-transform-produce checks (issue 13): the short one in
// transactions.test.ts and the long one in test/long/txn-ctp-long.ts. It fills an input topic,
// runs test/e2e/py/txn_processor.py (a transactional confluent-kafka processor using
// send_offsets_to_transaction), kills it with SIGKILL at random points after it committed a few
// transactions (restarting it each time with the same transactional.id), lets the last run finish,
// and checks exactly-once: the output read with read_committed holds every input record once, and
// the group's committed offsets are the input's end offsets.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import kafkajs from 'kafkajs'
import { PY_DIR, PYTHON, pyStep } from '../support/e2e-clients.ts'
import { seeded } from '../support/seeded.ts'

export interface CtpOptions {
  /** Bootstrap servers, asked again at every start (a cluster's live brokers). */
  bootstrap: () => string
  input: string
  output: string
  group: string
  txnId: string
  partitions: number
  /** Replication factor of the input and output topics (default: the broker's). */
  replicationFactor?: number
  /** Input records per partition. */
  perPartition: number
  kills: number
  maxBatch?: number
  delayMs?: number
  mode?: 'assign' | 'subscribe'
  seed?: number
  /** Runs after the given kill, before the restart (e.g. kill a broker). */
  afterKill?: (kill: number) => Promise<void>
  log?: (line: string) => void
}

const kafka = (bootstrap: string) =>
  new kafkajs.Kafka({
    clientId: 'ctp-driver',
    brokers: bootstrap.split(','),
    logLevel: kafkajs.logLevel.NOTHING,
  })

/** Creates the topics and writes `perPartition` records to each input partition. */
export async function fillInput(o: CtpOptions): Promise<void> {
  const k = kafka(o.bootstrap())
  const admin = k.admin()
  await admin.connect()
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [o.input, o.output].map((topic) => ({
        topic,
        numPartitions: o.partitions,
        replicationFactor: o.replicationFactor,
      })),
    })
  } finally {
    await admin.disconnect()
  }
  const producer = k.producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  try {
    for (let p = 0; p < o.partitions; p++) {
      const messages = Array.from({ length: o.perPartition }, (_, i) => ({
        value: `rec-${p}-${i}`,
        partition: p,
      }))
      await producer.send({ topic: o.input, acks: -1, messages })
    }
  } finally {
    await producer.disconnect()
  }
}

interface Run {
  committed: number
  done: boolean
  exit: Promise<number | null>
  waitCommitted(n: number): Promise<boolean>
  kill(): void
  output: string[]
}

function startProcessor(o: CtpOptions, ends: Record<number, number>): Run {
  const child = spawn(PYTHON, [join(PY_DIR, 'txn_processor.py'), o.bootstrap()], {
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  const waiters: { n: number; resolve: (ok: boolean) => void }[] = []
  const run: Run = {
    committed: 0,
    done: false,
    output: [],
    exit: new Promise((resolve) => child.on('close', (code) => resolve(code))),
    waitCommitted(n) {
      if (run.committed >= n) return Promise.resolve(true)
      return new Promise((resolve) => waiters.push({ n, resolve }))
    },
    kill() {
      if (child.pid !== undefined && child.exitCode === null) child.kill('SIGKILL')
    },
  }
  let buf = ''
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString()
    let nl = buf.indexOf('\n')
    while (nl >= 0) {
      const line = buf.slice(0, nl)
      buf = buf.slice(nl + 1)
      run.output.push(line)
      if (line.startsWith('committed')) run.committed++
      if (line === 'done') run.done = true
      for (let i = waiters.length - 1; i >= 0; i--)
        if (run.committed >= waiters[i].n) waiters.splice(i, 1)[0].resolve(true)
      nl = buf.indexOf('\n')
    }
  })
  child.stderr.on('data', (d: Buffer) => run.output.push(`stderr: ${d.toString().trim()}`))
  void run.exit.then(() => {
    for (const w of waiters.splice(0)) w.resolve(false)
  })
  child.stdin.end(
    JSON.stringify({
      txn_id: o.txnId,
      group: o.group,
      input: o.input,
      output: o.output,
      partitions: o.partitions,
      ends,
      max_batch: o.maxBatch ?? 10,
      delay_ms: o.delayMs ?? 0,
      mode: o.mode ?? 'assign',
    }),
  )
  return run
}

/**
 * Runs the processor through `kills` SIGKILLs and a final run to the end, then checks
 * exactly-once. Returns how many kills landed mid-stream and how many processes ran.
 */
export async function killAndCheck(o: CtpOptions): Promise<{ kills: number; starts: number }> {
  const seed = o.seed ?? Date.now() % 1_000_000
  const rnd = seeded(seed)
  const log = o.log ?? (() => {})
  log(`ctp seed ${seed}`)
  const ends: Record<number, number> = {}
  for (let p = 0; p < o.partitions; p++) ends[p] = o.perPartition
  let kills = 0
  let starts = 0
  let finished = false
  try {
    while (kills < o.kills && !finished) {
      const run = startProcessor(o, ends)
      starts++
      // Killed after 1-3 commits of this run, a few ms into the next transaction.
      const reached = await run.waitCommitted(1 + Math.floor(rnd() * 3))
      if (reached && !run.done) {
        await new Promise((r) => setTimeout(r, Math.floor(rnd() * 15)))
        run.kill()
      }
      const code = await run.exit
      if (run.done && code === 0) finished = true
      else if (code === null) {
        kills++
        log(`kill ${kills} after ${run.committed} commits`)
        await o.afterKill?.(kills)
      } else {
        log(`processor exited with ${code}:\n${run.output.join('\n')}`)
        if (starts > o.kills * 3 + 5) throw new Error('the processor keeps failing')
      }
    }
    // The last run goes to the end (retried if a client error stopped it).
    while (!finished) {
      const run = startProcessor(o, ends)
      starts++
      const timer = setTimeout(() => run.kill(), 120_000)
      const code = await run.exit
      clearTimeout(timer)
      if (run.done && code === 0) finished = true
      else {
        log(`final run exited with ${code}:\n${run.output.join('\n')}`)
        if (starts > o.kills * 3 + 5) throw new Error('the processor keeps failing')
      }
    }
  } catch (err) {
    throw new Error(`seed ${seed}: ${err}`, { cause: err })
  }
  await checkExactlyOnce(o, seed)
  return { kills, starts }
}

/** Every input record once in the output (read_committed), and the group at the input's end. */
export async function checkExactlyOnce(o: CtpOptions, seed = 0): Promise<void> {
  const parts = Array.from({ length: o.partitions }, (_, p) => p)
  const r = await pyStep<{ records: { partition: number; value: string }[]; eof: boolean }>(
    'txn_client.py',
    o.bootstrap(),
    'consume',
    { topic: o.output, isolation: 'read_committed', partitions: parts },
  )
  assert.ok(r.eof, 'the output was read to its end')
  const seen = new Map<string, number>()
  for (const rec of r.records) {
    const [p, , value] = rec.value.split(':')
    assert.equal(Number(p), rec.partition, rec.value)
    seen.set(value, (seen.get(value) ?? 0) + 1)
  }
  const dup = [...seen].filter(([, n]) => n > 1).map(([v]) => v)
  assert.deepEqual(dup, [], `seed ${seed}: records written more than once`)
  const missing: string[] = []
  for (const p of parts)
    for (let i = 0; i < o.perPartition; i++) if (!seen.has(`REC-${p}-${i}`)) missing.push(`REC-${p}-${i}`)
  assert.deepEqual(missing, [], `seed ${seed}: records missing from the output`)
  assert.equal(r.records.length, o.partitions * o.perPartition)
  const admin = kafka(o.bootstrap()).admin()
  await admin.connect()
  try {
    const [offsets] = await admin.fetchOffsets({ groupId: o.group, topics: [o.input] })
    assert.deepEqual(
      offsets.partitions.map((x) => [x.partition, x.offset]).sort((a, b) => Number(a[0]) - Number(b[0])),
      parts.map((p) => [p, String(o.perPartition)]),
      `seed ${seed}: the group's offsets`,
    )
  } finally {
    await admin.disconnect()
  }
}
