// Helpers for the consumer group end-to-end tests (groups-*.test.ts): long-running
// confluent-kafka consumers (librdkafka 2.0.2 under /usr/bin/python3) that report every
// assignment change, message and synchronous commit as JSON lines, so a test can kill one,
// restart one, and check who consumed what.

import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { PYTHON, run } from '../support/e2e-clients.ts'

// A consumer that commits synchronously after every message. argv: bootstrap group topic
// config-json. SIGTERM closes it (a dynamic member leaves the group); SIGKILL is a crash.
const CONSUMER_PY = String.raw`
import json, signal, sys, time
from confluent_kafka import Consumer, KafkaException

bs, group, topic, extra = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
def out(**kv):
    kv['t'] = time.time()
    sys.stdout.write(json.dumps(kv) + '\n')
    sys.stdout.flush()

conf = {'bootstrap.servers': bs, 'group.id': group, 'enable.auto.commit': False,
        'auto.offset.reset': 'earliest', 'session.timeout.ms': 3000, 'heartbeat.interval.ms': 300,
        'topic.metadata.refresh.interval.ms': 1000}
conf.update(extra)
cooperative = conf.get('partition.assignment.strategy') == 'cooperative-sticky'
owned = set()

def on_assign(c, parts):
    global owned
    got = set(p.partition for p in parts)
    owned = owned | got if cooperative else got
    out(ev='assigned', parts=sorted(owned), added=sorted(got))

def on_revoke(c, parts):
    global owned
    lost = set(p.partition for p in parts)
    owned = owned - lost if cooperative else set()
    out(ev='revoked', parts=sorted(owned), removed=sorted(lost))

stop = False
def on_term(*a):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)

c = Consumer(conf)
c.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_revoke)
out(ev='started')
while not stop:
    m = c.poll(0.1)
    if m is None:
        continue
    if m.error():
        out(ev='error', err=str(m.error()))
        continue
    out(ev='msg', p=m.partition(), o=m.offset(), v=m.value().decode())
    try:
        c.commit(message=m, asynchronous=False)
        out(ev='committed', p=m.partition(), o=m.offset())
    except KafkaException as e:
        out(ev='commit_failed', p=m.partition(), o=m.offset(), err=str(e))
c.close()
out(ev='closed')
`

let scriptPath: string | null = null
function consumerScript(): string {
  if (scriptPath === null) {
    scriptPath = join(mkdtempSync(join(tmpdir(), 'samsa-groups-')), 'consumer.py')
    writeFileSync(scriptPath, CONSUMER_PY)
  }
  return scriptPath
}

export interface ConsumerEvent {
  ev: 'started' | 'assigned' | 'revoked' | 'msg' | 'committed' | 'commit_failed' | 'error' | 'closed'
  t: number
  parts?: number[]
  p?: number
  o?: number
  v?: string
  err?: string
}

export class GroupConsumer {
  readonly name: string
  readonly events: ConsumerEvent[] = []
  readonly child: ChildProcess
  private stderr = ''
  private readonly exited: Promise<void>
  private waiters: (() => void)[] = []

  constructor(
    name: string,
    bootstrap: string,
    group: string,
    topic: string,
    config: Record<string, unknown> = {},
  ) {
    this.name = name
    this.child = spawn(PYTHON, [consumerScript(), bootstrap, group, topic, JSON.stringify(config)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.exited = new Promise((r) => this.child.once('exit', () => r()))
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) return
      this.events.push(JSON.parse(line) as ConsumerEvent)
      for (const w of this.waiters.splice(0)) w()
    })
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString()
    })
  }

  /** The partitions it owns now (after its latest assignment event). */
  get owned(): number[] {
    for (let i = this.events.length - 1; i >= 0; i--) {
      const e = this.events[i]
      if (e.ev === 'assigned' || e.ev === 'revoked') return e.parts ?? []
    }
    return []
  }

  get rebalanceEvents(): number {
    return this.events.filter((e) => e.ev === 'assigned' || e.ev === 'revoked').length
  }

  messages(): { p: number; o: number; v: string }[] {
    return this.events.filter((e) => e.ev === 'msg').map((e) => ({ p: e.p!, o: e.o!, v: e.v! }))
  }

  committed(): Set<string> {
    return new Set(this.events.filter((e) => e.ev === 'committed').map((e) => `${e.p}:${e.o}`))
  }

  /** Waits until `cond` holds, re-checked on every event (and every 100 ms). */
  async until(cond: () => boolean, what: string, timeoutMs = 20000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!cond()) {
      if (Date.now() > deadline)
        throw new Error(`${this.name}: timed out waiting for ${what}\n${this.diagnostics()}`)
      await new Promise<void>((r) => {
        const t = setTimeout(r, 100)
        this.waiters.push(() => {
          clearTimeout(t)
          r()
        })
      })
    }
  }

  diagnostics(): string {
    return `events: ${JSON.stringify(this.events.slice(-10))}\nstderr: ${this.stderr.slice(-2000)}`
  }

  /** SIGTERM: close() (leaves the group unless static) and wait for exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    this.child.kill('SIGTERM')
    const t = setTimeout(() => this.child.kill('SIGKILL'), 10000)
    await this.exited
    clearTimeout(t)
  }

  /** SIGKILL: a crash, the coordinator only learns of it by the session timeout. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    this.child.kill('SIGKILL')
    await this.exited
  }
}

/** Waits until `cond` holds, polling every 50 ms. */
export async function waitFor(
  cond: () => boolean,
  what: string,
  timeoutMs = 20000,
  diag = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${diag()}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Produces `count` messages `<tag>-<p>-<i>` to every partition of `topic` with kcat. */
export async function produceEach(
  bootstrap: string,
  topic: string,
  partitions: number,
  count: number,
  tag: string,
) {
  await Promise.all(
    Array.from({ length: partitions }, (_, p) =>
      run('kcat', ['-b', bootstrap, '-P', '-t', topic, '-p', String(p)], {
        input: `${Array.from({ length: count }, (_, i) => `${tag}-${p}-${i}`).join('\n')}\n`,
      }).then((r) => {
        if (r.code !== 0) throw new Error(`kcat produce failed: ${r.stderr}`)
      }),
    ),
  )
}

/** Every (partition, offset) consumed by `consumers`, with how often. */
export function consumedCounts(consumers: readonly GroupConsumer[]): Map<string, number> {
  const seen = new Map<string, number>()
  for (const c of consumers)
    for (const m of c.messages()) seen.set(`${m.p}:${m.o}`, (seen.get(`${m.p}:${m.o}`) ?? 0) + 1)
  return seen
}
