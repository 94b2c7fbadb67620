// The faults the fault suite (issue 12) injects into a running cluster, each one followed by its
// heal. Processes: kill -9 (a random broker, the controller, a partition's leader) and a restart
// on the old log dir; a SIGSTOP past the ZooKeeper session and SIGCONT (the zombie must be fenced
// and register again); a broker cut from ZooKeeper past its session (its relay); ZooKeeper itself
// killed and started again on the same port and data dir, briefly or past the session timeout.
// Network (brokers in their own namespaces, test/faults/netns.ts): a partition's leader cut from
// the other brokers but not ZooKeeper, a broker cut from everything (a fenced minority), one-way
// drops, a slow lossy link. Disk: one broker's log dir tmpfs filled for a few seconds
// (disk-nemesis.ts). Some faults also probe the guarantee directly (probes.ts: an acks=all write
// to a cut-off leader or to a woken zombie must not be acknowledged) and report violations besides
// the history check. Chosen by a seeded generator, so a run's schedule is reproduced by its seed.

import { connectZk } from '../../src/metadata/zk/zk-real.ts'
import { liveBootstrap, partitionsOf } from '../e2e/replication-helpers.ts'
import { eventually, metadataOf, SESSION_TIMEOUT_MS, type TestCluster } from '../support/cluster.ts'
import { sleep } from '../support/e2e-clients.ts'
import { fillFor } from './disk-nemesis.ts'
import type { NetnsNetwork } from './netns.ts'
import { probeRefused, produceToZombie } from './probes.ts'
import type { Tmpfs } from './single-broker-disk.ts'

/** How long the zombie probe waits for the woken broker's answer. */
const ZOMBIE_PROBE_MS = 8000
let zombies = 0

/** The faults that need each broker at its own address. */
export const NET_NEMESES = ['partition-leader', 'partition-minority', 'one-way', 'slow-net'] as const

export const NEMESES = [
  'kill-random',
  'kill-controller',
  'kill-leader',
  'pause-past-session',
  'zk-outage',
  'zk-restart',
  'zk-restart-long',
  ...NET_NEMESES,
  'disk-full',
] as const
export type NemesisName = (typeof NEMESES)[number]

export const needsNet = (name: NemesisName): boolean => (NET_NEMESES as readonly string[]).includes(name)
/** Needs every broker's log dir on a tmpfs of its own (root). */
export const needsDisk = (name: NemesisName): boolean => name === 'disk-full'

/** replica.lag.time.max.ms of the fault cluster: a cut-off follower leaves the ISR this fast. */
export const REPLICA_LAG_MS = 5000

export interface NemesisContext {
  c: TestCluster
  topic: string
  partitions: number
  rand: () => number
  /** Pids stopped with SIGSTOP and not yet continued: the exit handler continues them. */
  paused: Set<number>
  /** The brokers' namespaces; undefined on loopback (the network faults are then left out). */
  net: NetnsNetwork | undefined
  /** Each broker's log dir tmpfs; undefined when not root (disk-full is then left out). */
  disks: Map<number, Tmpfs> | undefined
  /** Called the moment the fault is in place. */
  onFault(): void
  /** A guarantee seen broken by the fault itself (not by the history check). */
  violation(line: string): void
  log(line: string): void
}

const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!
const between = (rand: () => number, lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo))

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

/** The session owning each broker's registration (/brokers/ids/<id>), straight from ZooKeeper. */
async function registrations(c: TestCluster, ids: readonly number[]): Promise<Map<number, bigint>> {
  const zk = await connectZk({ connect: c.connect, sessionTimeoutMs: 4000, connectionTimeoutMs: 5000 })
  try {
    const owners = new Map<number, bigint>()
    for (const id of ids) {
      const node = await zk.getData(`/brokers/ids/${id}`)
      if (node !== null) owners.set(id, node.stat.ephemeralOwner)
    }
    return owners
  } finally {
    await zk.close()
  }
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

function needNet(x: NemesisContext, name: NemesisName): NetnsNetwork {
  if (x.net === undefined) throw new Error(`${name} needs the brokers in network namespaces (--net netns)`)
  return x.net
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
      const led = (await partitionsOf(x.c.bootstrap(), x.topic)).filter((q) => q.leader === id)
      process.kill(pid, 'SIGSTOP')
      x.paused.add(pid)
      x.onFault()
      await sleep(SESSION_TIMEOUT_MS + 2000 + Math.floor(x.rand() * 2000))
      // The others must have seen its session expire while it was frozen.
      await brokerLive(x.c, id, false, 15000)
      // A zombie that led a partition still believes it does when it wakes up: an acks=all write
      // waiting in its socket must not be acknowledged (the ISR follows another leader now).
      const b = x.c.brokers.get(id)!
      const p = led[0]?.partition
      const key = `probe-zombie-${process.pid}-${zombies++}`
      const answer =
        p === undefined ? null : produceToZombie(b.host, b.port, x.topic, p, key, ZOMBIE_PROBE_MS)
      await sleep(200)
      process.kill(pid, 'SIGCONT')
      x.paused.delete(pid)
      let probe = 'it led no partition'
      if (answer !== null) {
        const a = await answer
        if (a.errorCode === 0)
          x.violation(
            `broker ${id}, woken up as a zombie, acknowledged an acks=all write to ${x.topic}-${p} at offset ${a.baseOffset} (${key})`,
          )
        probe = `acks=all write waiting in the zombie's socket: ${a.errorCode === 0 ? 'ACKED' : a.why}`
      }
      // The zombie notices its expired session and registers again with a new broker epoch.
      return `broker ${id} (pid ${pid}) stopped past the session, ${probe}, ${await cameBackFenced(x.c, id, before)}`
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
    case 'zk-restart':
    case 'zk-restart-long': {
      // Short: back within the session timeout; every broker should keep its session. Long:
      // ZooKeeper restores sessions from its data dir and times them out afresh, so a long
      // downtime alone expires nothing; the brokers are also kept from it (their relays) until
      // past the session timeout after it is back: every session expires at once, the controller's
      // too, and every broker must register again. Either way all must be back.
      const long = name === 'zk-restart-long'
      const downMs = long ? between(x.rand, 2000, 4000) : between(x.rand, 500, 1500)
      const awayMs = long ? downMs + SESSION_TIMEOUT_MS + 5000 : 0
      const owners = await registrations(x.c, ids)
      const pid = x.c.zk.pid()
      const away = long ? ids.map((id) => x.c.outage(id, awayMs)) : []
      await x.c.zk.kill()
      x.onFault()
      await sleep(downMs)
      const t = Date.now()
      await x.c.zk.start()
      const serving = Date.now() - t
      await Promise.all(away)
      // The sessions it restored expire unless their brokers reconnect: judge only after that.
      await sleep(SESSION_TIMEOUT_MS + 1000)
      const after = await eventually('every broker registered in ZooKeeper', 30000, async () => {
        const r = await registrations(x.c, ids)
        return r.size === ids.length ? r : undefined
      })
      for (const id of ids) await brokerLive(x.c, id, true, 30000)
      const again = ids.filter((id) => after.get(id) !== owners.get(id))
      return (
        `ZooKeeper (pid ${pid}) killed, down ${downMs} ms + ${serving} ms until it served again (pid ${x.c.zk.pid()})` +
        (long ? `, brokers kept from it for ${awayMs} ms; ` : '; ') +
        (again.length === 0 ? 'every broker kept its session' : `new sessions: brokers ${again.join(', ')}`)
      )
    }
    case 'partition-leader': {
      const net = needNet(x, name)
      const p = Math.floor(x.rand() * x.partitions)
      const holdMs = REPLICA_LAG_MS + between(x.rand, 4000, 6000)
      const controller = (await metadataOf(x.c.bootstrap())).controllerid
      const leader = (await partitionsOf(x.c.bootstrap(), x.topic))[p]!.leader
      const others = ids.filter((id) => id !== leader)
      const owners = await registrations(x.c, ids)
      await net.isolate(leader, others, false)
      x.onFault()
      const cutAt = Date.now()
      let seen: string
      try {
        // Past replica.lag.time.max.ms the followers are out of date: no acks=all write may be
        // acknowledged by the leader alone (min.insync.replicas=2), whatever its ISR says.
        await sleep(REPLICA_LAG_MS + 1500)
        const probe = await probeRefused(x, leader, p, 'while cut from every follower')
        const own = (await partitionsOf(x.c.brokers.get(leader)!.bootstrap, x.topic))[p]!
        const theirs = (await partitionsOf(liveBootstrap(x.c, [leader]), x.topic))[p]!
        // Its ZooKeeper session is alive: the controller has no reason to move leadership.
        if (own.leader !== leader || theirs.leader !== leader)
          x.violation(
            `${x.topic}-${p}: leadership moved from ${leader} (kept its ZooKeeper session) to ${own.leader} (its view) / ${theirs.leader} (the others')`,
          )
        const r = await registrations(x.c, ids)
        if (r.get(leader) !== owners.get(leader))
          x.violation(`broker ${leader} lost its ZooKeeper session while only cut from the other brokers`)
        seen = `ISR seen by the leader [${own.isr.join(',')}], by the others [${theirs.isr.join(',')}]; probe: ${probe}`
        await sleep(Math.max(0, holdMs - (Date.now() - cutAt)))
      } finally {
        await net.heal()
      }
      return `leader ${leader} of ${x.topic}-${p} (controller ${controller}) cut from brokers ${others.join(', ')} for ${Date.now() - cutAt} ms; ${seen}`
    }
    case 'partition-minority': {
      const net = needNet(x, name)
      const p = Math.floor(x.rand() * x.partitions)
      const extraMs = between(x.rand, 1000, 3000)
      const controller = (await metadataOf(x.c.bootstrap())).controllerid
      const id = (await partitionsOf(x.c.bootstrap(), x.topic))[p]!.leader
      const others = ids.filter((o) => o !== id)
      const before = epochsAgain(x.c, id).length
      await net.isolate(id, others, true)
      x.onFault()
      const cutAt = Date.now()
      let seen: string
      try {
        // The majority sees its session expire and elects another leader from the ISR.
        await brokerLive(x.c, id, false, SESSION_TIMEOUT_MS + 15000)
        const now = await eventually(`${x.topic}-${p} led by another broker`, 20000, async () => {
          const q = (await partitionsOf(liveBootstrap(x.c, [id]), x.topic))[p]
          return q !== undefined && q.leader > 0 && q.leader !== id ? q : undefined
        })
        // The old leader still believes it leads: it must not acknowledge anything.
        const probe = await probeRefused(x, id, p, 'after the majority had elected another leader')
        seen = `new leader ${now.leader}, ISR [${now.isr.join(',')}]; probe of the old leader: ${probe}`
        await sleep(extraMs)
      } finally {
        await net.heal()
      }
      const held = Date.now() - cutAt
      return `leader ${id} of ${x.topic}-${p} (controller ${controller}) cut from brokers and ZooKeeper for ${held} ms; ${seen}; ${await cameBackFenced(x.c, id, before)}`
    }
    case 'one-way': {
      const net = needNet(x, name)
      const from = pick(x.rand, ids)
      const to = pick(
        x.rand,
        ids.filter((id) => id !== from),
      )
      const ms = between(x.rand, 4000, 9000)
      await net.dropOneWay(from, to)
      x.onFault()
      try {
        await sleep(ms)
      } finally {
        await net.heal()
      }
      return `packets from broker ${from} to broker ${to} dropped for ${ms} ms (the other way works)`
    }
    case 'disk-full': {
      const id = pick(x.rand, ids)
      const disk = x.disks?.get(id)
      if (disk === undefined) throw new Error('disk-full needs the log dirs on tmpfs mounts (root)')
      const ms = between(x.rand, 3000, 8000)
      const what = await fillFor(disk, ms, x.onFault)
      return `broker ${id}'s disk full for ${ms} ms (${what})`
    }
    case 'slow-net': {
      const net = needNet(x, name)
      const id = pick(x.rand, ids)
      const delayMs = between(x.rand, 50, 200)
      const lossPct = between(x.rand, 1, 4)
      const ms = between(x.rand, 5000, 10000)
      let how: string
      try {
        how = await net.slow(id, { delayMs, jitterMs: Math.round(delayMs / 4), lossPct })
        x.onFault()
        await sleep(ms)
      } finally {
        await net.heal()
      }
      return `broker ${id}'s link slowed for ${ms} ms: ${how}`
    }
  }
}

/**
 * Every partition of `topic` led, with all three replicas in its ISR: in ZooKeeper (the truth: the
 * controller writes an ISR only once the leader asked for it, so all three hold what is below the
 * high watermark) and in the metadata the live brokers give clients (which may lag, e.g. while a
 * cut-off controller could not send UpdateMetadata, and so cannot stand in for ZooKeeper).
 */
export async function waitFullIsr(c: TestCluster, topic: string, partitions: number, timeoutMs: number) {
  const zk = await connectZk({ connect: c.connect, sessionTimeoutMs: 10000, connectionTimeoutMs: 10000 })
  let seen = 'nothing yet'
  try {
    await eventually(`${topic}: every partition with an ISR of 3`, timeoutMs, async () => {
      const states: { leader?: number; isr?: number[] }[] = []
      for (let p = 0; p < partitions; p++) {
        const node = await zk.getData(`/brokers/topics/${topic}/partitions/${p}/state`)
        states.push(JSON.parse(node?.data?.toString() ?? '{}') as { leader?: number; isr?: number[] })
      }
      const ps = await partitionsOf(liveBootstrap(c), topic)
      seen =
        `ZooKeeper ${states.map((s, p) => `p${p} leader ${s.leader} isr [${s.isr}]`).join(', ')}; ` +
        `metadata ${ps.map((p) => `p${p.partition} leader ${p.leader} isr [${p.isr}]`).join(', ')}`
      const zkFull = states.every((s) => s.leader !== undefined && s.leader > 0 && s.isr?.length === 3)
      const mdFull = ps.length === partitions && ps.every((p) => p.leader > 0 && p.isr.length === 3)
      return zkFull && mdFull ? true : undefined
    })
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : e}; last seen: ${seen}`)
  } finally {
    await zk.close()
  }
}
