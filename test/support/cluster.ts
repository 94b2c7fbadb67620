// A real ZooKeeper-mode cluster for end-to-end tests: one Apache ZooKeeper (test/support/
// zookeeper.ts, its own port and data dir) and N Samsa broker processes (broker.id 1..N, port 0,
// their own log dirs) started with Kafka's contract: a properties file plus --override pairs.
// Everything is stopped by pid in stop(), which the test calls in after() even when it failed.
// By default every node is on 127.0.0.1; a ClusterNetwork (test/faults/netns.ts) instead puts each
// broker at its own address (its own network namespace), with ZooKeeper's relays where they reach.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BrokerProcess, startBrokerProcess } from './broker-process.ts'
import { kcat } from './e2e-clients.ts'
import { startZookeeper, startZookeeperProxy, type ZookeeperProcess } from './zookeeper.ts'

export interface TestCluster {
  zk: ZookeeperProcess
  /** zookeeper.connect of the brokers (with the chroot). */
  connect: string
  /** By broker id; replaced when a broker restarts. */
  brokers: Map<number, BrokerProcess>
  /** host:port of every running broker. */
  bootstrap(): string
  /** Cuts broker `id` off from ZooKeeper (its own relay) for `ms`. */
  outage(id: number, ms: number): Promise<void>
  /** Starts (or restarts on its old log dir) broker `id`. */
  startBroker(id: number): Promise<BrokerProcess>
  stop(): Promise<void>
}

/** Where the nodes live when not all on 127.0.0.1 (the fault suite's network namespaces). */
export interface ClusterNetwork {
  /** The address the brokers reach their ZooKeeper relays at (the relays listen there). */
  zkHost: string
  /** The address broker `id` listens on and advertises. */
  hostOf(id: number): string
  /** The command prefix that runs broker `id` where it lives; it must exec the broker. */
  wrap(id: number): readonly string[]
  /** Checks a started broker's pid runs where it should (throws if not). */
  started?(id: number, pid: number): void
}

export interface ClusterOptions {
  brokers: number
  chroot?: string
  config?: Record<string, string | number | boolean>
  network?: ClusterNetwork
  /** Where broker `id` keeps its log dir (e.g. a tmpfs of its own); default: under a temp dir. */
  logDirOf?: (id: number) => string
}

export const SESSION_TIMEOUT_MS = 4000

export async function startCluster(o: ClusterOptions): Promise<TestCluster> {
  const zk = await startZookeeper()
  const root = mkdtempSync(join(tmpdir(), 'samsa-cluster-'))
  const connect = `${zk.connect}${o.chroot ?? ''}`
  const brokers = new Map<number, BrokerProcess>()
  // Each broker reaches ZooKeeper through its own relay, so one can be cut off alone.
  const relays = new Map<number, Awaited<ReturnType<typeof startZookeeperProxy>>>()
  const relayOf = async (id: number) => {
    let r = relays.get(id)
    if (r === undefined) {
      r = await startZookeeperProxy(zk.port, o.network?.zkHost)
      relays.set(id, r)
    }
    return r
  }
  const cluster: TestCluster = {
    zk,
    connect,
    brokers,
    bootstrap: () => [...brokers.values()].map((b) => b.bootstrap).join(','),
    async outage(id, ms) {
      await (await relayOf(id)).outage(ms)
    },
    async startBroker(id) {
      const logDir = o.logDirOf?.(id) ?? join(root, `broker-${id}`)
      mkdirSync(logDir, { recursive: true })
      const net = o.network
      const b = await startBrokerProcess({
        logDir,
        timeoutMs: 20000,
        ...(net === undefined ? {} : { wrap: net.wrap(id) }),
        config: {
          'node.id': id,
          ...(net === undefined ? {} : { listeners: `PLAINTEXT://${net.hostOf(id)}:0` }),
          'zookeeper.connect': `${net?.zkHost ?? '127.0.0.1'}:${(await relayOf(id)).port}${o.chroot ?? ''}`,
          'zookeeper.session.timeout.ms': SESSION_TIMEOUT_MS,
          'zookeeper.connection.timeout.ms': 10000,
          'offsets.topic.replication.factor': 1,
          'offsets.topic.num.partitions': 6,
          'controlled.shutdown.retry.backoff.ms': 500,
          ...o.config,
        },
      })
      brokers.set(id, b)
      try {
        net?.started?.(id, b.child.pid!)
      } catch (e) {
        await b.kill()
        throw e
      }
      return b
    },
    async stop() {
      await Promise.all([...brokers.values()].map((b) => b.kill().catch(() => {})))
      for (const r of relays.values()) await r.stop()
      await zk.stop()
      rmSync(root, { recursive: true, force: true })
    },
  }
  try {
    for (let id = 1; id <= o.brokers; id++) await cluster.startBroker(id)
  } catch (e) {
    await cluster.stop()
    throw e
  }
  return cluster
}

export interface KcatMetadata {
  controllerid: number
  brokers: { id: number; name: string }[]
  topics: {
    topic: string
    partitions: { partition: number; leader: number; replicas: { id: number }[]; isrs: { id: number }[] }[]
  }[]
}

/** `kcat -L -J` against one broker. */
export async function metadataOf(bootstrap: string, topic?: string): Promise<KcatMetadata> {
  const args = ['-L', '-J', ...(topic === undefined ? [] : ['-t', topic])]
  return JSON.parse((await kcat(bootstrap, args)).stdout) as KcatMetadata
}

/** Polls `check` every 200 ms until it returns a value (not undefined) or the time is up. */
export async function eventually<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown = null
  for (;;) {
    try {
      const v = await check()
      if (v !== undefined) return v
    } catch (e) {
      last = e
    }
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (${String(last)})` : ''}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}
