// The controller of a ZooKeeper-mode cluster (Kafka 3.x's KafkaController). Every broker runs one;
// they compete for the ephemeral /controller and the winner bumps /controller_epoch, loads the
// cluster from ZooKeeper, tells every broker what it leads and follows, and from then on reacts to
// brokers coming and going, topics and partitions appearing, deletion requests, controlled
// shutdowns, leader elections, partition reassignments and the periodic leader rebalance. Losers
// watch /controller and try again when it vanishes.
//
// Everything (watches firing, broker requests, timers, session changes) is an event on one queue,
// run one at a time to completion (event-queue.ts). Every ZooKeeper write is fenced by the epoch
// znode's version (controller-zk.ts); when that check fails, /controller goes away, or the session
// expires, the controller resigns: state cleared, broker queues closed, back to watching.

import type { Clock, Timer } from '../common/clock.ts'
import type { Logger } from '../common/logger.ts'
import type { Watcher, ZkClient } from '../metadata/zk/zk-client.ts'
import { ZkError } from '../metadata/zk/zk-client.ts'
import { ERROR_TABLE, ErrorCode } from '../protocol/generated/error-codes.ts'
import { type AlterPartitionInput, type AlterPartitionResult, alterPartition } from './alter-partition.ts'
import { applyBrokerChange } from './broker-changes.ts'
import type { ControllerChannel } from './controller-channel.ts'
import { ControllerContext, type TopicPartition } from './controller-context.ts'
import { ControllerMovedError, ControllerZk } from './controller-zk.ts'
import { EventQueue } from './event-queue.ts'
import {
  type ControlledShutdownResult,
  controlledShutdown,
  type ElectLeadersResult,
  electLeaders,
  rebalanceLeaders,
} from './leader-moves.ts'
import { PartitionOps } from './partition-ops.ts'
import { pipelined, valuesOrThrow } from './pipeline.ts'
import {
  type AlterReassignmentsInput,
  type AlterReassignmentsResult,
  alterReassignments,
  completeCaughtUp,
  type ListReassignmentsInput,
  type ListReassignmentsResult,
  listReassignments,
  type ReassignmentDeps,
  resumeReassignments,
} from './reassignment.ts'
import { RequestBatch } from './request-batch.ts'
import { completeDeletion, startDeletions } from './topic-deletion.ts'

export interface ZkControllerConfig {
  readonly autoLeaderRebalanceEnable: boolean
  readonly leaderImbalanceCheckIntervalMs: number
  readonly leaderImbalancePerBrokerPercentage: number
  /** Broker default; a topic's unclean.leader.election.enable in /config/topics/<t> overrides it. */
  readonly uncleanLeaderElectionEnable: boolean
  /** Whose endpoint LeaderAndIsr's live leaders carry; default PLAINTEXT. */
  readonly interBrokerListenerName?: string
}

export interface ZkControllerOptions {
  readonly zk: ZkClient
  readonly brokerId: number
  readonly channel: ControllerChannel
  readonly clock: Clock
  readonly logger: Logger
  readonly config: ZkControllerConfig
}

export interface ElectLeadersInput {
  /** 0 preferred, 1 unclean; anything else is INVALID_REQUEST. */
  readonly electionType: number
  readonly topicPartitions: readonly { topic: string; partitions: readonly number[] }[] | null
  readonly timeoutMs: number
}

/** Kafka waits this long after failover before the first leader-imbalance check. */
const FIRST_REBALANCE_DELAY_MS = 5_000

export class ZkController {
  private readonly o: ZkControllerOptions
  private readonly log: Logger
  private readonly ctx = new ControllerContext()
  private readonly zkw: ControllerZk
  private readonly ops: PartitionOps
  private readonly queue: EventQueue
  private readonly reassign: ReassignmentDeps
  private active = false
  private stopped = false
  private lastControllerId = -1
  private rebalanceTimer: Timer | null = null
  private unsubscribe: (() => void) | null = null
  private readonly topicWatchers = new Map<string, Watcher>()

  constructor(o: ZkControllerOptions) {
    this.o = o
    this.log = o.logger
    this.zkw = new ControllerZk(o.zk)
    this.ops = new PartitionOps(this.ctx, this.zkw, this.log, o.config.uncleanLeaderElectionEnable)
    this.queue = new EventQueue(this.log)
    this.reassign = { ctx: this.ctx, zkw: this.zkw, ops: this.ops, log: this.log, batch: () => this.batch() }
  }

  get isActive(): boolean {
    return this.active
  }

  /** Our controller epoch while active, 0 otherwise. */
  get epoch(): number {
    return this.active ? this.ctx.epoch : 0
  }

  /** The controller id last read from /controller (-1: none). */
  get controllerId(): number {
    return this.lastControllerId
  }

  /** Resolves once no event is queued or running (for tests). */
  idle(): Promise<void> {
    return this.queue.idle()
  }

  async start(): Promise<void> {
    this.unsubscribe = this.o.zk.onStateChange((state) => {
      if (state === 'expired') {
        this.queue.fire('Expire', async () => this.resign('the ZooKeeper session expired'))
      } else if (state === 'connected' && !this.active) {
        // A new session, or back after a disconnection: see whether a controller is needed.
        this.queue.fire('Reelect', () => this.run('Reelect', () => this.elect()))
      }
    })
    await this.queue.put('Startup', () => this.run('Startup', () => this.elect()))
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.unsubscribe?.()
    await this.queue.put('Shutdown', async () => {
      const wasActive = this.active
      this.resign('shutting down')
      if (wasActive) await this.zkw.releaseController().catch(() => {})
    })
    this.o.channel.close()
  }

  controlledShutdown(brokerId: number, brokerEpoch: bigint): Promise<ControlledShutdownResult> {
    const refused = { errorCode: ErrorCode.NOT_CONTROLLER, remaining: [] }
    return this.queue.put('ControlledShutdown', async () => {
      if (!this.active) return refused
      return this.run(
        'ControlledShutdown',
        async () => {
          const batch = this.batch()
          const r = await controlledShutdown(this.ctx, this.ops, batch, brokerId, brokerEpoch)
          batch.send()
          if (r.errorCode === 0)
            this.log.info(
              `Controlled shutdown of broker ${brokerId}: ${r.remaining.length} partitions still led`,
            )
          return r
        },
        refused,
      )
    })
  }

  /**
   * AlterPartition from a partition leader (alter-partition.ts). NOT_CONTROLLER when not active,
   * or when this controller turns out to be deposed while writing.
   */
  alterPartition(input: AlterPartitionInput): Promise<AlterPartitionResult> {
    const refused: AlterPartitionResult = { errorCode: ErrorCode.NOT_CONTROLLER, topics: [] }
    return this.queue.put('AlterPartitionReceived', async () => {
      if (!this.active) return refused
      return this.run(
        'AlterPartitionReceived',
        async () => {
          const batch = this.batch()
          const r = await alterPartition({ ctx: this.ctx, zkw: this.zkw, batch, log: this.log }, input)
          batch.send()
          // An ISR that grew may complete a reassignment: checked next, after the answer, as Kafka does.
          if (this.ctx.reassigning().length > 0)
            this.fireActive('PartitionReassignmentIsrChange', () => completeCaughtUp(this.reassign))
          return r
        },
        refused,
      )
    })
  }

  /** AlterPartitionReassignments (reassignment.ts); NOT_CONTROLLER when not the active controller. */
  alterPartitionReassignments(input: AlterReassignmentsInput): Promise<AlterReassignmentsResult> {
    const refused: AlterReassignmentsResult = {
      errorCode: ErrorCode.NOT_CONTROLLER,
      errorMessage: ERROR_TABLE.get(ErrorCode.NOT_CONTROLLER)!.message,
      responses: [],
    }
    return this.queue.put('ApiPartitionReassignment', async () => {
      if (!this.active) return refused
      return this.run('ApiPartitionReassignment', () => alterReassignments(this.reassign, input), refused)
    })
  }

  listPartitionReassignments(input: ListReassignmentsInput): Promise<ListReassignmentsResult> {
    const refused: ListReassignmentsResult = {
      errorCode: ErrorCode.NOT_CONTROLLER,
      errorMessage: ERROR_TABLE.get(ErrorCode.NOT_CONTROLLER)!.message,
      topics: [],
    }
    return this.queue.put('ListPartitionReassignments', async () =>
      this.active ? listReassignments(this.ctx, input) : refused,
    )
  }

  electLeaders(input: ElectLeadersInput): Promise<ElectLeadersResult> {
    const refused = { errorCode: ErrorCode.NOT_CONTROLLER, results: [] }
    const work = this.queue.put('ReplicaLeaderElection', async () => {
      if (!this.active) return refused
      return this.run(
        'ReplicaLeaderElection',
        async () => {
          const batch = this.batch()
          const r = await electLeaders(this.ctx, this.ops, batch, input.electionType, input.topicPartitions)
          batch.send()
          return r
        },
        refused,
      )
    })
    if (input.topicPartitions === null) return work
    const timedOut: ElectLeadersResult = {
      errorCode: ErrorCode.NONE,
      results: input.topicPartitions.map((t) => ({
        topic: t.topic,
        partitionResults: t.partitions.map((p) => ({
          partitionId: p,
          errorCode: ErrorCode.REQUEST_TIMED_OUT,
          errorMessage: 'The election did not complete in time',
        })),
      })),
    }
    return new Promise((resolve, reject) => {
      const timer = this.o.clock.setTimeout(() => resolve(timedOut), Math.max(0, input.timeoutMs))
      work.then(
        (r) => {
          timer.cancel()
          resolve(r)
        },
        (e: unknown) => {
          timer.cancel()
          reject(e)
        },
      )
    })
  }

  // ---- election and failover ----

  private readonly controllerWatch: Watcher = () =>
    this.queue.fire('ControllerChange', () => this.run('ControllerChange', () => this.onControllerChange()))

  private async onControllerChange(): Promise<void> {
    const id = await this.zkw.controllerId(this.controllerWatch)
    this.lastControllerId = id
    if (this.active && id !== this.o.brokerId) this.resign(`/controller is now ${id}`)
    // Absent, or still ours after we resigned (elect hands it over): time for an election.
    if (id === -1 || (id === this.o.brokerId && !this.active)) await this.elect()
  }

  private async elect(): Promise<void> {
    if (this.stopped || this.active) return
    const id = await this.zkw.controllerId(this.controllerWatch)
    this.lastControllerId = id
    if (id === this.o.brokerId) {
      // Ours but we are not acting as controller (a failed failover): hand it over.
      await this.zkw.releaseController()
      return
    }
    if (id !== -1) return
    const won = await this.zkw.registerController(this.o.brokerId, this.o.clock.now())
    if (won === null) {
      this.lastControllerId = await this.zkw.controllerId(this.controllerWatch)
      return
    }
    this.lastControllerId = this.o.brokerId
    this.ctx.epoch = won.epoch
    this.ctx.epochZkVersion = won.zkVersion
    this.active = true
    this.log.info(`Broker ${this.o.brokerId} is the controller, epoch ${won.epoch}`)
    try {
      await this.onControllerFailover()
    } catch (e) {
      if (e instanceof ControllerMovedError) throw e
      this.log.error('Controller failover failed; resigning', e)
      this.resign('failover failed')
      await this.zkw.releaseController()
    }
  }

  private async onControllerFailover(): Promise<void> {
    const { ctx, zkw } = this
    const t0 = this.o.clock.now()
    for (const [id, b] of await zkw.brokers(this.brokerWatch)) {
      ctx.liveBrokers.set(id, b)
      this.o.channel.addBroker(b.reg)
    }
    await this.loadTopics(await zkw.topicNames(this.topicsWatch))
    const all = ctx.allPartitions()
    const states = await zkw.partitionStates(all)
    all.forEach((tp, i) => {
      const st = states[i]
      if (st !== null && st !== undefined) ctx.setState(tp, st)
    })
    const loaded = this.o.clock.now()
    // Deletions first, so topics being deleted get no leaders (their partitions show leader -2).
    await this.onDeleteRequests(await zkw.deleteTopicRequests(this.deleteWatch))
    const batch = this.batch()
    const withState = ctx.allPartitions().filter((tp) => ctx.state(tp) !== undefined)
    batch.addUpdateMetadata(ctx.liveBrokers.keys(), withState)
    for (const tp of withState) batch.addLeaderAndIsr(ctx.replicas(tp), tp)
    await this.ops.initNewPartitions(this.ops.newPartitions(), batch)
    await this.ops.electOffline(this.ops.offlinePartitions(), batch)
    // The brokers learn every leader before the dead replicas leave the ISRs: clients find the
    // leaders one ZooKeeper pass sooner (what a failover is measured by).
    batch.send()
    const elected = this.o.clock.now()
    // Dead brokers leave the ISRs, one pipelined pass per dead broker.
    const deadInIsr = new Map<number, TopicPartition[]>()
    for (const tp of ctx.activePartitions()) {
      for (const r of ctx.state(tp)?.isr ?? [])
        if (!ctx.isLive(r)) {
          const tps = deadInIsr.get(r)
          if (tps === undefined) deadInIsr.set(r, [tp])
          else tps.push(tp)
        }
    }
    const isrBatch = this.batch()
    for (const [r, tps] of deadInIsr) await this.ops.removeFromIsr(r, tps, isrBatch)
    isrBatch.send()
    this.log.info(
      `Controller failover: ${all.length} partitions in ${this.o.clock.now() - t0} ms (loaded ${loaded - t0} ms, leaders elected +${elected - loaded} ms, ISRs +${this.o.clock.now() - elected} ms)`,
    )
    await resumeReassignments(this.reassign)
    this.scheduleRebalance(FIRST_REBALANCE_DELAY_MS)
  }

  /** Reads the assignments of `topics` (pipelined) into the context, watching each. */
  private async loadTopics(topics: readonly string[]): Promise<void> {
    const infos = valuesOrThrow(
      await pipelined(topics, (t) => this.zkw.assignment(t, this.partitionWatch(t))),
    )
    topics.forEach((t, i) => {
      const info = infos[i]
      if (info !== null && info !== undefined) this.ctx.topics.set(t, info)
    })
  }

  /** Leaves controllership: state cleared, broker queues closed, timers cancelled. */
  private resign(why: string): void {
    if (!this.active) return
    this.log.info(`Broker ${this.o.brokerId} resigns as controller (epoch ${this.ctx.epoch}): ${why}`)
    this.active = false
    this.rebalanceTimer?.cancel()
    this.rebalanceTimer = null
    this.ctx.clear()
    this.zkw.epochZkVersion = -1
    this.topicWatchers.clear()
    this.o.channel.close()
  }

  /**
   * Runs an event body: a failed epoch check resigns (and looks at /controller again); ZooKeeper
   * and other failures are logged; `onFailure` is what a request gets back then.
   */
  private async run<T>(name: string, body: () => Promise<T>, onFailure?: T): Promise<T> {
    try {
      return await body()
    } catch (e) {
      if (e instanceof ControllerMovedError) {
        this.resign(e.message)
        this.queue.fire('ControllerChange', () =>
          this.run('ControllerChange', () => this.onControllerChange()),
        )
      } else if (e instanceof ZkError) {
        this.log.warn(`Controller event ${name} failed: ZooKeeper ${e.code} ${e.message}`)
      } else {
        this.log.error(`Controller event ${name} failed`, e)
      }
      if (onFailure === undefined) return undefined as T
      return onFailure
    }
  }

  private batch(): RequestBatch {
    return new RequestBatch({
      ctx: this.ctx,
      channel: this.o.channel,
      brokerId: this.o.brokerId,
      interBrokerListenerName: (this.o.config.interBrokerListenerName ?? 'PLAINTEXT').toUpperCase(),
      log: this.log,
    })
  }

  /** Queues an event that only an active controller processes. */
  private fireActive(name: string, body: () => Promise<void>): void {
    this.queue.fire(name, async () => {
      if (this.active) await this.run(name, body)
    })
  }

  // ---- brokers ----

  private readonly brokerWatch: Watcher = () => this.fireActive('BrokerChange', () => this.onBrokerChange())

  private async onBrokerChange(): Promise<void> {
    const fresh = await this.zkw.brokers(this.brokerWatch)
    await applyBrokerChange(
      { ctx: this.ctx, ops: this.ops, channel: this.o.channel, log: this.log, batch: () => this.batch() },
      fresh,
    )
    // A target replica that came back may be in the ISR already; one that left may unblock a move.
    await completeCaughtUp(this.reassign)
  }

  // ---- topics ----

  private readonly topicsWatch: Watcher = () => this.fireActive('TopicChange', () => this.onTopicChange())

  private partitionWatch(topic: string): Watcher {
    let w = this.topicWatchers.get(topic)
    if (w === undefined) {
      w = () => this.fireActive('PartitionModifications', () => this.onPartitionModifications(topic))
      this.topicWatchers.set(topic, w)
    }
    return w
  }

  private async onTopicChange(): Promise<void> {
    const { ctx } = this
    const names = new Set(await this.zkw.topicNames(this.topicsWatch))
    for (const t of [...ctx.topics.keys()]) if (!names.has(t)) ctx.removeTopic(t)
    const added = [...names].filter((t) => !ctx.topics.has(t))
    await this.loadTopics(added)
    if (added.length === 0) return
    this.log.info(`New topics: [${added.join(',')}]`)
    const batch = this.batch()
    const fresh = new Set(added)
    await this.ops.initNewPartitions(
      ctx.allPartitions().filter((tp) => fresh.has(tp.topic)),
      batch,
    )
    batch.send()
  }

  private async onPartitionModifications(topic: string): Promise<void> {
    const { ctx } = this
    const old = ctx.topics.get(topic)
    if (old === undefined) return
    const fresh = await this.zkw.assignment(topic, this.partitionWatch(topic))
    if (fresh === null || ctx.topicsToDelete.has(topic)) return
    const added = [...fresh.assignment.keys()].filter((p) => !old.assignment.has(p)).sort((a, b) => a - b)
    if (added.length === 0) return
    // Only new partitions are taken from the znode; moving existing replicas is a reassignment.
    const assignment = new Map(old.assignment)
    for (const p of added) assignment.set(p, fresh.assignment.get(p)!)
    ctx.topics.set(topic, { ...old, topicId: old.topicId ?? fresh.topicId, assignment })
    this.log.info(`New partitions of ${topic}: [${added.join(',')}]`)
    const batch = this.batch()
    await this.ops.initNewPartitions(
      added.map((partition) => ({ topic, partition })),
      batch,
    )
    batch.send()
  }

  private readonly deleteWatch: Watcher = () =>
    this.fireActive('TopicDeletion', async () =>
      this.onDeleteRequests(await this.zkw.deleteTopicRequests(this.deleteWatch)),
    )

  private async onDeleteRequests(names: readonly string[]): Promise<void> {
    if (names.length === 0) return
    const batch = this.batch()
    const started = await startDeletions(this.ctx, this.zkw, batch, names)
    if (started.length === 0) return
    this.log.info(`Deleting topics [${started.join(',')}]`)
    const stops = batch.send()
    void Promise.allSettled(stops).then(() =>
      this.fireActive('TopicDeletionStopReplicaResponseReceived', () =>
        completeDeletion(this.ctx, this.zkw, started),
      ),
    )
  }

  // ---- auto leader rebalance ----

  private scheduleRebalance(delayMs: number): void {
    if (!this.o.config.autoLeaderRebalanceEnable || !this.active) return
    this.rebalanceTimer?.cancel()
    this.rebalanceTimer = this.o.clock.setTimeout(() => {
      this.rebalanceTimer = null
      this.fireActive('AutoPreferredReplicaLeaderElection', async () => {
        const batch = this.batch()
        const moved = await rebalanceLeaders(
          this.ctx,
          this.ops,
          batch,
          this.o.config.leaderImbalancePerBrokerPercentage,
        )
        batch.send()
        if (moved > 0) this.log.info(`Leader rebalance moved ${moved} partitions to their preferred replica`)
        this.scheduleRebalance(this.o.config.leaderImbalanceCheckIntervalMs)
      })
    }, delayMs)
  }
}
