// Three brokers' replica managers in one process, for the seeded replication simulation: each
// broker has its own MemoryFs (power loss per broker), LogManager and ReplicaManager with a
// ReplicaFetcherManager whose endpoints go through the in-memory network (net.ts); one ManualClock
// drives them all, and the stand-in controller (controller.ts) feeds them metadata and answers
// their ISR changes. A crash is a power loss of the broker's disk (fs.crash()): the dead process's
// calls fail and its leftovers are stopped; a restart loads the logs again (recovery) on a new
// session of the same MemoryFs, with a new broker epoch.
//
// Logs fsync every append (flush.messages=1) unless told otherwise, so a follower's fetch offset
// and a leader's acknowledged write are on disk: with that, Kafka's promise (an acks=all write
// acknowledged with min.insync.replicas in sync survives any sequence of clean elections) must
// hold through crashes too.

import { ManualClock, settle } from '../../../../src/common/clock.ts'
import type { Fs } from '../../../../src/common/fs.ts'
import type { TopicName, Uuid } from '../../../../src/common/ids.ts'
import { createLogger, type Logger, LogLevel, silentLogger } from '../../../../src/common/logger.ts'
import { MemoryFs } from '../../../../src/common/memory-fs.ts'
import type { MetadataImage } from '../../../../src/metadata/image.ts'
import type { FetcherConfig } from '../../../../src/replication/fetcher/fetcher-config.ts'
import { ReplicaFetcherManager } from '../../../../src/replication/fetcher/fetcher-manager.ts'
import type { AppendOutcome, Partition } from '../../../../src/replication/partition.ts'
import { ReplicaManager } from '../../../../src/replication/replica-manager.ts'
import type { LogConfig } from '../../../../src/storage/log-config.ts'
import { LogManager } from '../../../../src/storage/log-manager.ts'
import { SimController } from './controller.ts'
import { InMemoryLeaderEndPoint, type NetNode, SimNetwork } from './net.ts'

export const LOG_DIR = '/data'

/** SIM_LOG=1 prints the brokers' own logs (info and up) for debugging a seed. */
const brokerLogger = (sim: SimCluster, id: number): Logger =>
  process.env.SIM_LOG === '1'
    ? createLogger(`broker${id}`, LogLevel.debug, (line) =>
        console.log(`${sim.clock.now() - 1_700_000_000_000} ${line}`),
      )
    : silentLogger

/** A seeded PRNG (xorshift32): one seed, one run. */
export function prng(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0 || 1
  return () => {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return s / 4294967296
  }
}

export interface SimOptions {
  brokers?: number[]
  random?: () => number
  /** replica.lag.time.max.ms */
  lagMs?: number
  fetcher?: Partial<FetcherConfig>
  log?: Partial<LogConfig>
  /** request.timeout.ms for acks=all produces without a timeout. */
  requestTimeoutMs?: number
  /**
   * The broker the controller runs on: AlterPartition and metadata then travel over the network
   * between it and the other brokers (one-way drops hold them). Absent: the controller is beside
   * the network, reached at once by every live broker.
   */
  controllerOn?: number
}

export class BrokerProcess implements NetNode {
  readonly id: number
  readonly epoch: bigint
  readonly rm: ReplicaManager
  readonly logManager: LogManager
  readonly fetchers: ReplicaFetcherManager
  dead = false
  private constructor(
    id: number,
    epoch: bigint,
    rm: ReplicaManager,
    lm: LogManager,
    f: ReplicaFetcherManager,
  ) {
    this.id = id
    this.epoch = epoch
    this.rm = rm
    this.logManager = lm
    this.fetchers = f
  }

  static async start(sim: SimCluster, id: number, epoch: bigint, fs: Fs): Promise<BrokerProcess> {
    const logConfig = sim.logConfig
    const logManager = await LogManager.start({
      fs,
      clock: sim.clock,
      config: { logDirs: [LOG_DIR], cleanerEnable: false },
      defaultLogConfig: logConfig,
      random: sim.random,
      brokerEpoch: Number(epoch),
    })
    const logger = brokerLogger(sim, id)
    let self: BrokerProcess | null = null
    const fetchers = new ReplicaFetcherManager({
      brokerId: id,
      endpointFor: (leaderId) => new InMemoryLeaderEndPoint(sim.net, self!, leaderId),
      clock: sim.clock,
      logger,
      config: sim.fetcherConfig,
    })
    const rm = new ReplicaManager({
      logManager,
      fs,
      clock: sim.clock,
      logger,
      localBrokerId: id,
      logConfigFor: () => logConfig,
      producerIdExpirationCheckIntervalMs: 0,
      alterIsr: (item) => {
        // AlterPartition goes to the controller while this process lives; a dead one's never lands.
        if (self === null || self.dead) return Promise.reject(new Error('broker is dead'))
        const host = sim.controllerOn
        if (host === undefined || host === id) return sim.controller.alterPartition(id, item)
        return sim.net.call(self, host, () => sim.controller.alterPartition(id, item))
      },
      fetchers,
      replicaLagTimeMaxMs: sim.lagMs,
      requestTimeoutMs: sim.requestTimeoutMs,
    })
    self = new BrokerProcess(id, epoch, rm, logManager, fetchers)
    return self
  }
}

export type ProduceResult = { kind: 'answer'; outcome: AppendOutcome } | { kind: 'network'; why: string }

export class SimCluster {
  readonly clock = new ManualClock()
  readonly net = new SimNetwork()
  readonly controller: SimController
  readonly brokerIds: number[]
  readonly random: () => number
  readonly lagMs: number
  readonly requestTimeoutMs: number
  readonly fetcherConfig: Partial<FetcherConfig>
  readonly logConfig: Partial<LogConfig>
  readonly controllerOn: number | undefined
  readonly disks = new Map<number, MemoryFs>()
  readonly procs = new Map<number, BrokerProcess | null>()
  readonly trace: string[] = []
  /** How many times settle() found the system busy without the clock (see settle). */
  busy = 0
  /** The most event-loop turns a settle() needed (to size its limit). */
  maxSettleTurns = 0
  private readonly epochs = new Map<number, bigint>()
  private readonly applying = new Set<Promise<void>>()
  private readonly stopping = new Set<Promise<void>>()
  /** Per broker, the metadata on its way from the controller's broker (controllerOn), in order. */
  private readonly deliveries = new Map<number, Promise<void>>()

  constructor(o: SimOptions = {}) {
    this.brokerIds = o.brokers ?? [1, 2, 3]
    this.random = o.random ?? prng(1)
    this.lagMs = o.lagMs ?? 2000
    this.requestTimeoutMs = o.requestTimeoutMs ?? 3000
    this.fetcherConfig = { maxWaitMs: 500, backoffMs: 200, ...o.fetcher }
    this.logConfig = { segmentBytes: 2048, flushMessages: 1, minInsyncReplicas: 2, ...o.log }
    this.controllerOn = o.controllerOn
    this.controller = new SimController({
      deliver: (id, image) => this.deliver(id, image),
      random: this.random,
      trace: (l) => this.note(l),
    })
    for (const id of this.brokerIds) {
      this.disks.set(id, new MemoryFs({ now: () => this.clock.now() }))
      this.procs.set(id, null)
    }
  }

  note(line: string): void {
    const l = `${this.clock.now() - 1_700_000_000_000} ${line}`
    this.trace.push(l)
    if (process.env.SIM_TRACE === '1') console.log(l)
  }

  /** Creates `name` with the given replica assignments and starts every broker. */
  async start(topics: { name: string; topicId: Uuid; assignments: number[][] }[]): Promise<void> {
    for (const t of topics) this.controller.addTopic(t.name, t.topicId, t.assignments)
    for (const id of this.brokerIds) await this.startBroker(id)
    this.controller.publish()
    await this.settle()
  }

  proc(id: number): BrokerProcess | null {
    const p = this.procs.get(id) ?? null
    return p === null || p.dead ? null : p
  }

  partition(id: number, topic: string, index: number): Partition | null {
    return this.proc(id)?.rm.partition(topic, index) ?? null
  }

  liveIds(): number[] {
    return this.brokerIds.filter((id) => this.proc(id) !== null)
  }

  private deliver(id: number, image: MetadataImage): void {
    const host = this.controllerOn
    if (host !== undefined && host !== id && (this.deliveries.has(id) || this.net.isDropped(host, id))) {
      // Behind a one-way drop (or behind metadata held by one): sent after what was sent before,
      // to this process only (a restarted broker gets the image of its registration, on a new
      // connection).
      const to = this.proc(id)
      const next = (this.deliveries.get(id) ?? Promise.resolve())
        .then(() => this.net.whenPassable(host, id))
        .then(() => {
          if (to !== null && this.proc(id) === to) this.apply(id, image)
        })
      this.deliveries.set(id, next)
      next.then(() => {
        if (this.deliveries.get(id) === next) this.deliveries.delete(id)
      })
      return
    }
    this.apply(id, image)
  }

  private apply(id: number, image: MetadataImage): void {
    const p = this.proc(id)
    if (p === null) return
    const run = p.rm.applyImage(image).catch(() => {})
    this.applying.add(run)
    run.finally(() => this.applying.delete(run))
  }

  async startBroker(id: number): Promise<void> {
    if (this.proc(id) !== null) throw new Error(`broker ${id} is running`)
    const epoch = (this.epochs.get(id) ?? 0n) + 1n
    this.epochs.set(id, epoch)
    const proc = await BrokerProcess.start(this, id, epoch, this.disks.get(id)!.session())
    this.procs.set(id, proc)
    this.net.attach(proc)
    this.note(`broker ${id} started (epoch ${epoch})`)
    this.controller.brokerStarted(id, epoch)
    await this.settle()
  }

  /** Power loss of broker `id`: unsynced writes vanish, its process stops mid-flight. */
  async crash(id: number): Promise<void> {
    const proc = this.proc(id)
    if (proc === null) throw new Error(`broker ${id} is not running`)
    proc.dead = true
    this.deliveries.delete(id)
    this.disks.get(id)!.crash()
    this.net.processDied(proc)
    this.note(`broker ${id} crashed`)
    // The dead process's leftovers (timers, fetcher loops) are stopped; its disk is already gone.
    const stop = (async () => {
      await proc.rm.shutdown().catch(() => {})
      await proc.logManager.abandon().catch(() => {})
    })()
    this.stopping.add(stop)
    stop.finally(() => this.stopping.delete(stop))
    this.controller.brokerFailed(id)
    await this.settle()
  }

  /** Clean stop of every live broker (end of a test). */
  async stopAll(): Promise<void> {
    // No more traffic: a test that failed in the middle of a busy loop still stops at once.
    for (const a of this.brokerIds) for (const b of this.brokerIds) if (a < b) this.net.cutLink(a, b)
    await this.settle()
    for (const id of this.brokerIds) {
      const p = this.proc(id)
      if (p === null) continue
      p.dead = true
      this.net.processDied(p)
      await p.rm.shutdown()
      await p.logManager.shutdown()
    }
    await Promise.all([...this.stopping])
  }

  /**
   * Lets everything that does not wait for the clock run to completion: until no message is on
   * the network and no image is being applied. A system that never gets there within `maxTurns`
   * turns of the event loop is busy-looping without the clock (a livelock): that is recorded in
   * `busy` (and the trace) rather than hanging the test.
   */
  async settle(maxTurns = 500): Promise<void> {
    for (let i = 0; i < maxTurns; i++) {
      await settle(1)
      if (this.net.hops === 0 && this.applying.size === 0) {
        await settle(1)
        if (this.net.hops === 0 && this.applying.size === 0) {
          if (i > this.maxSettleTurns) this.maxSettleTurns = i
          return
        }
      }
    }
    this.busy++
    this.note(
      `BUSY: still ${this.net.hops} messages on the network after ${maxTurns} turns without the clock; last:`,
    )
    for (const l of this.net.recent) this.note(`  ${l}`)
  }

  /** Moves the clock `ms` forward in steps of at most `step`, letting work run between. */
  async advance(ms: number, step = 50): Promise<void> {
    for (let left = ms; left > 0; left -= step) {
      await this.clock.advanceAsync(Math.min(step, left))
      await this.settle()
    }
  }

  /** A client's produce to broker `id`; a dead broker or a lost answer is a network error. */
  async produce(
    id: number,
    topic: string,
    partition: number,
    records: Buffer,
    acks: number,
    timeoutMs?: number,
  ): Promise<ProduceResult> {
    const proc = this.proc(id)
    if (proc === null) return { kind: 'network', why: `broker ${id} is down` }
    const out = await proc.rm.appendRecords({
      apiVersion: 9,
      acks,
      timeoutMs,
      transactionalId: null,
      topics: [{ name: topic as TopicName, partitionData: [{ index: partition, records }] }],
    })
    if (proc.dead) return { kind: 'network', why: `broker ${id} died before answering` }
    return { kind: 'answer', outcome: out[0]! }
  }
}
