// The faults `npm run faults` injects into a running cluster (issue 12), each one followed by its
// heal: kill -9 (a random broker, the controller, a partition's leader) and a restart on the old
// log dir; a SIGSTOP past the ZooKeeper session and SIGCONT (the zombie must be fenced and
// register again); a broker cut from ZooKeeper past its session. Chosen by a seeded generator, so
// a run's schedule is reproduced by its seed.

import { liveBootstrap, partitionsOf } from '../e2e/replication-helpers.ts'
import { eventually, metadataOf, SESSION_TIMEOUT_MS, type TestCluster } from '../support/cluster.ts'
import { sleep } from '../support/e2e-clients.ts'

/** mulberry32: a small seeded generator, enough to replay a schedule. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export const NEMESES = [
  'kill-random',
  'kill-controller',
  'kill-leader',
  'pause-past-session',
  'zk-outage',
] as const
export type NemesisName = (typeof NEMESES)[number]

export interface NemesisContext {
  c: TestCluster
  topic: string
  partitions: number
  rand: () => number
  /** Pids stopped with SIGSTOP and not yet continued: the exit handler continues them. */
  paused: Set<number>
  /** Called the moment the fault is in place. */
  onFault(): void
  log(line: string): void
}

const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!

/** Waits until `id` is (or is no longer) among the live brokers the others report. */
async function brokerLive(c: TestCluster, id: number, live: boolean, timeoutMs: number): Promise<void> {
  await eventually(`broker ${id} ${live ? 'registered' : 'gone'}`, timeoutMs, async () => {
    const md = await metadataOf(liveBootstrap(c, live ? [] : [id]))
    return md.brokers.some((b) => b.id === id) === live ? true : undefined
  })
}

const REGISTERED_AGAIN = /registered again in ZooKeeper with broker epoch (\d+)/g

/** The broker epochs broker `id` registered again with (after a session expiry), from its output. */
const epochsAgain = (c: TestCluster, id: number) =>
  [...c.brokers.get(id)!.output().matchAll(REGISTERED_AGAIN)].map((m) => m[1]!)

/** The broker saw its session expire and registered again under a new broker epoch. */
async function cameBackFenced(c: TestCluster, id: number, before: number): Promise<string> {
  const epochs = await eventually(`broker ${id} registered again`, 30000, async () => {
    const e = epochsAgain(c, id)
    return e.length > before ? e : undefined
  })
  await brokerLive(c, id, true, 30000)
  return `registered again with broker epoch ${epochs.at(-1)}`
}

async function killAndRestart(x: NemesisContext, id: number): Promise<void> {
  await x.c.brokers.get(id)!.kill()
  x.onFault()
  // Its ephemeral registration lasts until ZooKeeper expires the session; only then does the
  // controller move leadership, and only then may it come back under the same id.
  await brokerLive(x.c, id, false, SESSION_TIMEOUT_MS + 15000)
  await sleep(Math.floor(x.rand() * 2000))
  await x.c.startBroker(id)
}

/** Describes the victim, injects the fault and heals it (the caller then waits for a full ISR). */
export async function runNemesis(name: NemesisName, x: NemesisContext): Promise<string> {
  const ids = [...x.c.brokers.keys()].sort((a, b) => a - b)
  switch (name) {
    case 'kill-random': {
      const id = pick(x.rand, ids)
      await killAndRestart(x, id)
      return `broker ${id}`
    }
    case 'kill-controller': {
      const id = (await metadataOf(x.c.bootstrap())).controllerid
      x.rand()
      await killAndRestart(x, id)
      return `controller ${id}`
    }
    case 'kill-leader': {
      const p = Math.floor(x.rand() * x.partitions)
      const id = (await partitionsOf(x.c.bootstrap(), x.topic))[p]!.leader
      await killAndRestart(x, id)
      return `leader ${id} of ${x.topic}-${p}`
    }
    case 'pause-past-session': {
      const id = pick(x.rand, ids)
      const pid = x.c.brokers.get(id)!.child.pid!
      const before = epochsAgain(x.c, id).length
      process.kill(pid, 'SIGSTOP')
      x.paused.add(pid)
      x.onFault()
      await sleep(SESSION_TIMEOUT_MS + 2000 + Math.floor(x.rand() * 2000))
      // The others must have seen its session expire while it was frozen.
      await brokerLive(x.c, id, false, 15000)
      process.kill(pid, 'SIGCONT')
      x.paused.delete(pid)
      // The zombie notices its expired session and registers again with a new broker epoch.
      return `broker ${id} (pid ${pid}) stopped past the session, ${await cameBackFenced(x.c, id, before)}`
    }
    case 'zk-outage': {
      const id = pick(x.rand, ids)
      const ms = SESSION_TIMEOUT_MS + 2000 + Math.floor(x.rand() * 2000)
      const before = epochsAgain(x.c, id).length
      const cut = x.c.outage(id, ms)
      x.onFault()
      await cut
      return `broker ${id} cut from ZooKeeper for ${ms} ms, ${await cameBackFenced(x.c, id, before)}`
    }
  }
}

/** Every partition of `topic` led, with all three replicas in its ISR. */
export async function waitFullIsr(c: TestCluster, topic: string, partitions: number, timeoutMs: number) {
  await eventually(`${topic}: every partition with an ISR of 3`, timeoutMs, async () => {
    const ps = await partitionsOf(liveBootstrap(c), topic)
    return ps.length === partitions && ps.every((p) => p.leader > 0 && p.isr.length === 3) ? true : undefined
  })
}
