// The MetadataStore of a broker in ZooKeeper mode. Two halves, as in Kafka's ZooKeeper era:
// - what the broker reads — the image — is the controller's view (UpdateMetadata, LeaderAndIsr,
//   StopReplica, applied through broker-cache.ts) merged with the configs this broker follows in
//   ZooKeeper (zk-configs.ts);
// - admin operations are written to ZooKeeper by whichever broker received them, exactly where
//   Kafka writes them (/brokers/topics/<t>, /config/..., /admin/delete_topics/<t>); the controller
//   reacts, and the operation returns once this broker's image shows the result (or times out
//   with REQUEST_TIMED_OUT, as Kafka's delayed admin operations do).
//
// One writer: every change to the image goes through run() in call order, and each published
// image is a fresh immutable snapshot.

import { type Uuid, ZERO_UUID } from '../../common/ids.ts'
import type { Logger } from '../../common/logger.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import { assignReplicas } from '../assign-replicas.ts'
import { MetadataError, MetadataErrorCode } from '../errors.ts'
import { type BrokerRegistration, type MetadataImage, makeImage, type TopicImage } from '../image.ts'
import { planAlterBrokerConfigs, planAlterTopicConfigs } from '../plan-configs.ts'
import { type PlanContext, planCreatePartitions, planCreateTopics, planDeleteTopics } from '../plan-topics.ts'
import type {
  AlterBrokerConfigsRequest,
  AlterTopicConfigsRequest,
  CreatePartitionsRequest,
  CreateTopicRequest,
  CreateTopicResult,
  DeleteTopicRequest,
  DeleteTopicResult,
  MetadataChange,
  MetadataStore,
  OperationOptions,
  ResourceResult,
} from '../store.ts'
import { StoreCore } from '../store-core.ts'
import { randomUuid } from '../uuid.ts'
import { BrokerMetadataCache, type CachedPartitionState, type ControllerStamp } from './broker-cache.ts'
import { CHANGE_EXPIRATION_MS } from './change-notifications.ts'
import type { ZkClient } from './zk-client.ts'
import { ZkConfigs } from './zk-configs.ts'
import { encodeBroker, encodeTopicAssignment, type TopicAssignment, ZkPaths } from './znodes.ts'

/** How long an admin operation waits for the controller's answer to show here. */
export const DEFAULT_ADMIN_TIMEOUT_MS = 30_000

export interface ZkStoreOptions {
  readonly zk: ZkClient
  readonly clusterId: string
  readonly nodeId: number
  readonly defaultNumPartitions: number
  readonly defaultReplicationFactor: number
  readonly staticBrokerConfig: ReadonlyMap<string, string>
  readonly logger: Logger
  readonly now?: () => number
  readonly newUuid?: () => Uuid
  /** How long config change notifications live (default Kafka's 15 minutes). */
  readonly changeExpirationMs?: number
}

interface Waiter {
  readonly done: (image: MetadataImage) => boolean
  readonly resolve: (ok: boolean) => void
}

export class ZkMetadataStore extends StoreCore implements MetadataStore {
  readonly nodeId: number
  private readonly zk: ZkClient
  private readonly o: ZkStoreOptions
  private readonly cache: BrokerMetadataCache
  private readonly configs: ZkConfigs
  private self: BrokerRegistration | null = null
  private brokerEpochValue = -1n
  private readonly waiters = new Set<Waiter>()

  constructor(o: ZkStoreOptions) {
    super(makeImage({ version: 0, clusterId: o.clusterId, controllerId: -1 }), o.logger)
    this.o = o
    this.zk = o.zk
    this.nodeId = o.nodeId
    this.cache = new BrokerMetadataCache(o.nodeId)
    this.configs = new ZkConfigs(
      o.zk,
      o.logger,
      () => {
        this.run(async () => this.publish()).catch(() => {})
      },
      { now: () => this.now(), expirationMs: o.changeExpirationMs ?? CHANGE_EXPIRATION_MS },
    )
    this.current = this.build(0)
    let expired = false
    o.zk.onStateChange((state) => {
      if (state === 'expired') expired = true
      else if (state === 'connected' && expired) {
        expired = false
        this.run(() => this.renewed()).catch((e) =>
          o.logger.error('re-registering after session expiry failed', e),
        )
      }
    })
  }

  /** A new ZooKeeper session: register again (a new broker epoch) and follow configs again. */
  private async renewed(): Promise<void> {
    if (this.self !== null && (await this.register(this.self)))
      this.o.logger.info(`registered again in ZooKeeper with broker epoch ${this.brokerEpochValue}`)
    await this.configs.resume()
  }

  /**
   * Creates the ephemeral /brokers/ids/<id> (the client makes it again on a new session when the
   * session expires under it, and takes it as ours when our session owns it already) and takes
   * its czxid as the broker epoch. False when the session expired again meanwhile: the node went
   * with it, and the next 'connected' registers again.
   */
  private async register(registration: BrokerRegistration): Promise<boolean> {
    const path = ZkPaths.broker(registration.id)
    await this.zk.create(path, encodeBroker(registration, this.now()), 'ephemeral')
    const stat = await this.zk.exists(path)
    if (stat === null || stat.ephemeralOwner !== this.zk.sessionId) return false
    this.brokerEpochValue = stat.czxid
    this.cache.setBrokerEpoch(this.brokerEpochValue)
    return true
  }

  /** Loads the dynamic configs and follows their changes. */
  async start(): Promise<void> {
    await this.configs.start()
    this.current = this.build(0)
  }

  /** czxid of this broker's registration: its broker epoch (-1n before registering). */
  get brokerEpoch(): bigint {
    return this.brokerEpochValue
  }

  get controllerEpoch(): number {
    return this.cache.currentControllerEpoch
  }

  /** Creates the ephemeral /brokers/ids/<id>; its czxid becomes the broker epoch. */
  registerBroker(registration: BrokerRegistration): Promise<void> {
    return this.run(async () => {
      // Set first: a session that expires from here on makes renewed() register again.
      this.self = registration
      try {
        await this.register(registration)
      } catch (e) {
        this.self = null
        if ((e as { code?: string }).code === 'NODE_EXISTS')
          throw new MetadataError(
            MetadataErrorCode.IdentityMismatch,
            `broker.id ${registration.id} is already registered in ZooKeeper (${ZkPaths.broker(registration.id)}): another broker is running with this id`,
          )
        throw e
      }
      this.publish()
    })
  }

  // ----- from the controller -----

  /** UpdateMetadata: NONE, or why it was refused. */
  updateMetadata(
    stamp: ControllerStamp,
    liveBrokers: readonly BrokerRegistration[],
    partitions: readonly CachedPartitionState[],
  ): Promise<number> {
    return this.run(async () => {
      const refused = this.cache.admit(stamp)
      if (refused !== ErrorCode.NONE) return refused
      await this.loadNewTopicConfigs(partitions)
      this.cache.updateMetadata(liveBrokers, partitions)
      for (const t of new Set(partitions.map((p) => p.topicName)))
        if (!this.cache.hasTopic(t)) this.configs.forgetTopic(t)
      this.publish()
      return ErrorCode.NONE
    })
  }

  /** LeaderAndIsr: a top-level error, or one code per partition. */
  leaderAndIsr(
    stamp: ControllerStamp,
    partitions: readonly CachedPartitionState[],
  ): Promise<{ errorCode: number; partitionErrors: number[] }> {
    return this.run(async () => {
      const refused = this.cache.admit(stamp)
      if (refused !== ErrorCode.NONE) return { errorCode: refused, partitionErrors: [] }
      await this.loadNewTopicConfigs(partitions)
      const partitionErrors = this.cache.leaderAndIsr(partitions)
      this.publish()
      return { errorCode: ErrorCode.NONE, partitionErrors }
    })
  }

  /**
   * StopReplica: only fenced here. The partitions' logs are the replica manager's business (the
   * caller deletes them); the image does not change — a deleted topic left it with the
   * UpdateMetadata that named its partitions with leader -2, and a replica moved away by a
   * reassignment leaves a topic that still exists.
   */
  stopReplica(stamp: ControllerStamp): Promise<number> {
    return this.run(async () => this.cache.admit(stamp))
  }

  private async loadNewTopicConfigs(partitions: readonly CachedPartitionState[]): Promise<void> {
    for (const t of new Set(partitions.map((p) => p.topicName)))
      if (!this.configs.hasTopic(t)) await this.configs.loadTopic(t)
  }

  // ----- admin operations -----

  createTopics(
    topics: readonly CreateTopicRequest[],
    options: OperationOptions & { timeoutMs?: number } = {},
  ): Promise<CreateTopicResult[]> {
    return this.run(async () => {
      const plan = planCreateTopics(this.context(), topics)
      const results = [...plan.results]
      if (options.validateOnly)
        return { results: results.map((r) => ({ ...r, topicId: ZERO_UUID })), written: new Set<string>() }
      const written = new Set<string>()
      for (const [i, r] of results.entries()) {
        if (r.errorCode !== ErrorCode.NONE) continue
        const topic = plan.created.find((t) => t.name === r.name)!
        const failure = await this.writeNewTopic(topic)
        if (failure === null) written.add(topic.name)
        else results[i] = { ...r, topicId: ZERO_UUID, ...failure, numPartitions: -1, replicationFactor: -1 }
      }
      return { results, written }
    }).then(async ({ results, written }) => {
      if (written.size === 0) return results
      const ok = await this.waitFor(
        (img) =>
          [...written].every((t) => {
            const topic = img.topics.get(t)
            return topic?.partitions.every((p) => p.leader >= 0) === true
          }),
        options.timeoutMs,
      )
      if (ok) return results
      return results.map((r) =>
        written.has(r.name) && !this.current.topics.has(r.name)
          ? {
              ...r,
              errorCode: ErrorCode.REQUEST_TIMED_OUT,
              errorMessage: 'The controller did not create the topic in time.',
            }
          : r,
      )
    })
  }

  /** Writes the config znode, then the assignment; null when written, else the error. */
  private async writeNewTopic(t: TopicImage): Promise<{ errorCode: number; errorMessage: string } | null> {
    if ((await this.zk.exists(ZkPaths.adminDeleteTopic(t.name))) !== null)
      return {
        errorCode: ErrorCode.TOPIC_ALREADY_EXISTS,
        errorMessage: `Topic '${t.name}' is marked for deletion.`,
      }
    if ((await this.zk.exists(ZkPaths.topic(t.name))) !== null)
      return { errorCode: ErrorCode.TOPIC_ALREADY_EXISTS, errorMessage: `Topic '${t.name}' already exists.` }
    await this.configs.writeTopicQuietly(t.name, t.configs)
    try {
      await this.zk.create(ZkPaths.topic(t.name), encodeTopicAssignment(assignmentOf(t)), 'persistent')
    } catch (e) {
      if ((e as { code?: string }).code === 'NODE_EXISTS')
        return {
          errorCode: ErrorCode.TOPIC_ALREADY_EXISTS,
          errorMessage: `Topic '${t.name}' already exists.`,
        }
      throw e
    }
    return null
  }

  deleteTopics(
    topics: readonly DeleteTopicRequest[],
    options: { timeoutMs?: number } = {},
  ): Promise<DeleteTopicResult[]> {
    return this.run(async () => {
      const plan = planDeleteTopics(this.current, topics)
      for (const t of plan.deleted) {
        try {
          await this.zk.create(ZkPaths.adminDeleteTopic(t.name), null, 'persistent')
        } catch (e) {
          if ((e as { code?: string }).code !== 'NODE_EXISTS') throw e
        }
      }
      return plan
    }).then(async (plan) => {
      if (plan.deleted.length === 0) return plan.results
      const gone = (img: MetadataImage) =>
        plan.deleted.every((t) => img.topicsById.get(t.topicId) === undefined)
      if (await this.waitFor(gone, options.timeoutMs)) return plan.results
      return plan.results.map((r) =>
        r.errorCode === ErrorCode.NONE && this.current.topicsById.has(r.topicId)
          ? {
              ...r,
              errorCode: ErrorCode.REQUEST_TIMED_OUT,
              errorMessage: 'The controller did not delete the topic in time.',
            }
          : r,
      )
    })
  }

  createPartitions(
    topics: readonly CreatePartitionsRequest[],
    options: OperationOptions & { timeoutMs?: number } = {},
  ): Promise<ResourceResult[]> {
    return this.run(async () => {
      const plan = planCreatePartitions(this.context(), topics)
      if (options.validateOnly) return { results: plan.results, updated: [] as TopicImage[] }
      for (const t of plan.updated) {
        const got = await this.zk.getData(ZkPaths.topic(t.name))
        if (got === null) continue
        await this.zk.setData(ZkPaths.topic(t.name), encodeTopicAssignment(assignmentOf(t)), got.stat.version)
      }
      return { results: plan.results, updated: plan.updated }
    }).then(async ({ results, updated }) => {
      if (updated.length === 0) return results
      const grown = (img: MetadataImage) =>
        updated.every((t) => (img.topics.get(t.name)?.partitions.length ?? 0) >= t.partitions.length)
      if (await this.waitFor(grown, options.timeoutMs)) return results
      return results.map((r) =>
        r.errorCode === ErrorCode.NONE && updated.some((t) => t.name === r.resourceName)
          ? {
              ...r,
              errorCode: ErrorCode.REQUEST_TIMED_OUT,
              errorMessage: 'The controller did not add the partitions in time.',
            }
          : r,
      )
    })
  }

  alterTopicConfigs(
    changes: readonly AlterTopicConfigsRequest[],
    options: OperationOptions = {},
  ): Promise<ResourceResult[]> {
    return this.run(async () => {
      const plan = planAlterTopicConfigs(this.context(), changes)
      if (!options.validateOnly && plan.updated.size > 0) {
        for (const [name, configs] of plan.updated) await this.configs.writeTopic(name, configs)
        this.publish()
      }
      return plan.results
    })
  }

  alterBrokerConfigs(
    changes: readonly AlterBrokerConfigsRequest[],
    options: OperationOptions = {},
  ): Promise<ResourceResult[]> {
    return this.run(async () => {
      const plan = planAlterBrokerConfigs(this.current, this.brokerIds(), changes)
      if (!options.validateOnly && plan.updated.size > 0) {
        for (const [id, configs] of plan.updated) await this.configs.writeBroker(id, configs)
        this.publish()
      }
      return plan.results
    })
  }

  /** Ends the ZooKeeper session: this broker's registration vanishes at once. */
  async close(): Promise<void> {
    if (this.closed) return
    await this.drain()
    this.configs.close()
    for (const w of this.waiters) w.resolve(false)
    this.waiters.clear()
    await this.zk.close()
  }

  // ----- internals -----

  private now(): number {
    return (this.o.now ?? Date.now)()
  }

  private brokerIds(): number[] {
    return [...new Set([this.nodeId, ...this.current.brokers.keys()])].sort((a, b) => a - b)
  }

  private context(): PlanContext {
    return {
      image: this.current,
      nodeId: this.nodeId,
      brokerIds: this.brokerIds(),
      defaultNumPartitions: this.o.defaultNumPartitions,
      defaultReplicationFactor: this.o.defaultReplicationFactor,
      staticBrokerConfig: this.o.staticBrokerConfig,
      newTopicId: this.o.newUuid ?? (() => randomUuid()),
      assign: (numPartitions, replicationFactor, startPartitionId) =>
        assignReplicas({
          brokers: [...this.current.brokers.values()].map((b) => ({ id: b.id, rack: b.rack })),
          numPartitions,
          replicationFactor,
          startPartitionId,
        }),
    }
  }

  /** Resolves true once an image satisfies `done`, false after the timeout (or on close). */
  private waitFor(
    done: (image: MetadataImage) => boolean,
    timeoutMs = DEFAULT_ADMIN_TIMEOUT_MS,
  ): Promise<boolean> {
    if (done(this.current)) return Promise.resolve(true)
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(false), timeoutMs)
      const waiter: Waiter = { done, resolve: (ok) => finish(ok) }
      const finish = (ok: boolean) => {
        clearTimeout(timer)
        this.waiters.delete(waiter)
        resolve(ok)
      }
      this.waiters.add(waiter)
    })
  }

  private build(version: number): MetadataImage {
    return this.cache.image({
      version,
      clusterId: this.o.clusterId,
      self: this.self,
      topicConfigs: (t) => this.configs.topic(t),
      brokerConfigs: this.configs.brokers(),
    })
  }

  private publish(): void {
    const previous = this.current
    this.current = this.build(previous.version + 1)
    this.notify(diff(previous, this.current))
    for (const w of [...this.waiters]) if (w.done(this.current)) w.resolve(true)
  }
}

function assignmentOf(t: TopicImage): TopicAssignment {
  return {
    topicId: t.topicId,
    partitions: new Map(t.partitions.map((p) => [p.partition, p.replicas])),
    addingReplicas: new Map(),
    removingReplicas: new Map(),
  }
}

/** What changed between two images (the MetadataChange hints). */
function diff(previous: MetadataImage, image: MetadataImage): MetadataChange {
  const createdTopics: string[] = []
  const expandedTopics: string[] = []
  const topicConfigsChanged: string[] = []
  for (const t of image.topics.values()) {
    const before = previous.topics.get(t.name)
    if (before === undefined || before.topicId !== t.topicId) createdTopics.push(t.name)
    else {
      if (t.partitions.length > before.partitions.length) expandedTopics.push(t.name)
      if (!sameConfigs(before.configs, t.configs)) topicConfigsChanged.push(t.name)
    }
  }
  const deletedTopics = [...previous.topics.values()].filter(
    (t) => image.topics.get(t.name)?.topicId !== t.topicId,
  )
  return {
    previous,
    image,
    createdTopics,
    deletedTopics,
    expandedTopics,
    topicConfigsChanged,
    brokerConfigsChanged: previous.brokerConfigs !== image.brokerConfigs,
    brokersChanged: previous.brokers !== image.brokers,
  }
}

function sameConfigs(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a === b) return true
  if (a.size !== b.size) return false
  for (const [k, v] of a) if (b.get(k) !== v) return false
  return true
}
