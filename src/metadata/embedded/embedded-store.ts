// The single-node MetadataStore: no ZooKeeper, no quorum. Identity lives in meta.properties in every
// log dir (as Kafka keeps it); topics, partitions, topic configs and dynamic broker configs live in
// one JSON state file in the first log dir, replaced atomically on every change. The in-memory image
// is authoritative while running; an operation's result is returned only after its new state is
// durable, and the new image is published (listeners called, in order) just before that.
//
// One writer: operations run strictly one after another in call order. Each one plans its change
// synchronously against the current image (no await between reading the image and computing the
// next state), then persists, then publishes. A failed write leaves the image unchanged and rejects.

import { dirname, join } from 'node:path'
import { type Fs, isNotFound, writeFileAtomic } from '../../common/fs.ts'
import { type Uuid, ZERO_UUID } from '../../common/ids.ts'
import { type Logger, silentLogger } from '../../common/logger.ts'
import { nodeFs } from '../../common/node-fs.ts'
import { MetadataError, MetadataErrorCode } from '../errors.ts'
import { type BrokerConfigsImage, type BrokerRegistration, makeImage, type TopicImage } from '../image.ts'
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
import {
  checkIdentity,
  type MetaProperties,
  readMetaProperties,
  writeMetaProperties,
} from './meta-properties.ts'
import { decodeState, encodeState, type PersistedState, STATE_FILE } from './state-file.ts'

/** Node id given to a fresh log dir when node.id is not configured (Kafka's quickstart uses 1). */
export const DEFAULT_NODE_ID = 1

export interface EmbeddedStoreOptions {
  /** The broker's log dirs; meta.properties goes in each, the state file in the first. */
  readonly logDirs: readonly string[]
  /** node.id; -1 or absent: the stored one, else DEFAULT_NODE_ID for a fresh dir. */
  readonly nodeId?: number
  /** cluster.id (Samsa extension); null or absent: the stored one, else a random one. */
  readonly clusterId?: string | null
  /** num.partitions (default 1). */
  readonly defaultNumPartitions?: number
  /** default.replication.factor (default 1). */
  readonly defaultReplicationFactor?: number
  /** The static broker config, so topic configs are validated against the effective defaults. */
  readonly staticBrokerConfig?: ReadonlyMap<string, string>
  /** Defaults to the real file system (src/common/node-fs.ts). */
  readonly fs?: Fs
  readonly now?: () => number
  readonly newUuid?: () => Uuid
  readonly logger?: Logger
}

export async function openEmbeddedMetadataStore(opts: EmbeddedStoreOptions): Promise<EmbeddedMetadataStore> {
  const fs = opts.fs ?? nodeFs
  const now = opts.now ?? Date.now
  const newUuid = opts.newUuid ?? (() => randomUuid())
  if (opts.logDirs.length === 0)
    throw new MetadataError(MetadataErrorCode.MetaProperties, 'You must specify at least one log directory.')
  const configuredNode = opts.nodeId !== undefined && opts.nodeId >= 0 ? opts.nodeId : null
  const configuredCluster = opts.clusterId ?? null

  // Identity: configured, else meta.properties, else the state file, else fresh.
  const metas: (MetaProperties | null)[] = []
  for (const dir of opts.logDirs) {
    await makeDirDurably(fs, dir)
    metas.push(await readMetaProperties(fs, dir))
  }
  let expected = { clusterId: configuredCluster, nodeId: configuredNode }
  for (const [i, m] of metas.entries()) {
    if (m === null) continue
    checkIdentity(m, join(opts.logDirs[i]!, 'meta.properties'), expected)
    expected = { clusterId: expected.clusterId ?? m.clusterId, nodeId: expected.nodeId ?? m.nodeId }
  }

  const first = opts.logDirs[0]!
  const statePath = join(first, STATE_FILE)
  await removeIfPresent(fs, `${statePath}.tmp`) // a write that never reached its rename
  const stored = await readState(fs, statePath)
  if (stored) {
    checkIdentity(
      { version: 1, clusterId: stored.clusterId, nodeId: stored.nodeId, directoryId: null },
      statePath,
      expected,
    )
  }
  const clusterId = expected.clusterId ?? stored?.clusterId ?? newUuid()
  const nodeId = expected.nodeId ?? stored?.nodeId ?? DEFAULT_NODE_ID

  for (const [i, m] of metas.entries()) {
    if (m !== null) continue
    const meta: MetaProperties = { version: 1, clusterId, nodeId, directoryId: newUuid() }
    await writeMetaProperties(fs, opts.logDirs[i]!, meta, new Date(now()))
  }

  const state: PersistedState = stored ?? {
    clusterId,
    nodeId,
    epoch: 0,
    topics: [],
    brokerConfigs: { clusterDefault: new Map(), perBroker: new Map() },
  }
  return new EmbeddedMetadataStore(fs, statePath, state, {
    nodeId,
    defaultNumPartitions: opts.defaultNumPartitions ?? 1,
    defaultReplicationFactor: opts.defaultReplicationFactor ?? 1,
    staticBrokerConfig: opts.staticBrokerConfig ?? new Map(),
    newUuid,
    logger: opts.logger ?? silentLogger,
  })
}

/** mkdir -p, then fsync the parent of every directory it created, so the path survives a crash. */
async function makeDirDurably(fs: Fs, dir: string): Promise<void> {
  const created: string[] = []
  for (let d = dir; (await fs.stat(d)) === null && dirname(d) !== d; d = dirname(d)) created.unshift(d)
  if (created.length === 0) return
  await fs.mkdir(dir)
  for (const d of created) await fs.syncDir(dirname(d))
}

async function removeIfPresent(fs: Fs, path: string): Promise<void> {
  if ((await fs.stat(path)) !== null) await fs.unlink(path)
}

async function readState(fs: Fs, path: string): Promise<PersistedState | null> {
  try {
    return decodeState(await fs.readFile(path), path)
  } catch (e) {
    if (isNotFound(e)) return null
    throw e
  }
}

interface Settings {
  readonly nodeId: number
  readonly defaultNumPartitions: number
  readonly defaultReplicationFactor: number
  readonly staticBrokerConfig: ReadonlyMap<string, string>
  readonly newUuid: () => Uuid
  readonly logger: Logger
}

interface Next {
  readonly topics?: readonly TopicImage[]
  readonly brokerConfigs?: BrokerConfigsImage
  readonly brokers?: ReadonlyMap<number, BrokerRegistration>
  readonly change: Omit<MetadataChange, 'previous' | 'image'>
}

const NO_CHANGE = {
  createdTopics: [],
  deletedTopics: [],
  expandedTopics: [],
  topicConfigsChanged: [],
  brokerConfigsChanged: false,
  brokersChanged: false,
} as const

export class EmbeddedMetadataStore extends StoreCore implements MetadataStore {
  private epoch: number
  private readonly fs: Fs
  private readonly statePath: string
  private readonly settings: Settings

  constructor(fs: Fs, statePath: string, state: PersistedState, settings: Settings) {
    super(
      makeImage({
        version: 0,
        clusterId: state.clusterId,
        controllerId: settings.nodeId,
        topics: state.topics,
        brokerConfigs: state.brokerConfigs,
      }),
      settings.logger,
    )
    this.fs = fs
    this.statePath = statePath
    this.settings = settings
    this.epoch = state.epoch
  }

  get nodeId(): number {
    return this.settings.nodeId
  }

  registerBroker(registration: BrokerRegistration): Promise<void> {
    return this.run(async () => {
      const brokers = new Map(this.current.brokers)
      brokers.set(
        registration.id,
        Object.freeze({ ...registration, endpoints: Object.freeze([...registration.endpoints]) }),
      )
      this.publish({ brokers, change: { ...NO_CHANGE, brokersChanged: true } })
    })
  }

  createTopics(
    topics: readonly CreateTopicRequest[],
    options: OperationOptions = {},
  ): Promise<CreateTopicResult[]> {
    return this.run(async () => {
      const plan = planCreateTopics(this.context(), topics)
      if (options.validateOnly) return plan.results.map((r) => ({ ...r, topicId: ZERO_UUID }))
      if (plan.created.length > 0) {
        await this.commit({
          topics: [...this.current.topics.values(), ...plan.created],
          change: { ...NO_CHANGE, createdTopics: plan.created.map((t) => t.name) },
        })
      }
      return plan.results
    })
  }

  deleteTopics(topics: readonly DeleteTopicRequest[]): Promise<DeleteTopicResult[]> {
    return this.run(async () => {
      const plan = planDeleteTopics(this.current, topics)
      if (plan.deleted.length > 0) {
        const gone = new Set(plan.deleted.map((t) => t.name))
        await this.commit({
          topics: [...this.current.topics.values()].filter((t) => !gone.has(t.name)),
          change: { ...NO_CHANGE, deletedTopics: plan.deleted },
        })
      }
      return plan.results
    })
  }

  createPartitions(
    topics: readonly CreatePartitionsRequest[],
    options: OperationOptions = {},
  ): Promise<ResourceResult[]> {
    return this.run(async () => {
      const plan = planCreatePartitions(this.context(), topics)
      if (!options.validateOnly && plan.updated.length > 0) {
        const byName = new Map(plan.updated.map((t) => [t.name as string, t]))
        await this.commit({
          topics: [...this.current.topics.values()].map((t) => byName.get(t.name) ?? t),
          change: { ...NO_CHANGE, expandedTopics: [...byName.keys()] },
        })
      }
      return plan.results
    })
  }

  alterTopicConfigs(
    changes: readonly AlterTopicConfigsRequest[],
    options: OperationOptions = {},
  ): Promise<ResourceResult[]> {
    return this.run(async () => {
      const plan = planAlterTopicConfigs(this.context(), changes)
      if (!options.validateOnly && plan.updated.size > 0) {
        await this.commit({
          topics: [...this.current.topics.values()].map((t) => {
            const configs = plan.updated.get(t.name)
            return configs ? Object.freeze({ ...t, configs }) : t
          }),
          change: { ...NO_CHANGE, topicConfigsChanged: [...plan.updated.keys()] },
        })
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
        let clusterDefault = this.current.brokerConfigs.clusterDefault
        const perBroker = new Map(this.current.brokerConfigs.perBroker)
        for (const [id, configs] of plan.updated) {
          if (id === null) clusterDefault = configs
          else if (configs.size === 0) perBroker.delete(id)
          else perBroker.set(id, configs)
        }
        await this.commit({
          brokerConfigs: Object.freeze({ clusterDefault, perBroker }),
          change: { ...NO_CHANGE, brokerConfigsChanged: true },
        })
      }
      return plan.results
    })
  }

  async close(): Promise<void> {
    await this.drain()
  }

  // ----- internals -----

  private brokerIds(): number[] {
    return [...new Set([this.settings.nodeId, ...this.current.brokers.keys()])].sort((a, b) => a - b)
  }

  private context(): PlanContext {
    return {
      image: this.current,
      nodeId: this.settings.nodeId,
      brokerIds: this.brokerIds(),
      defaultNumPartitions: this.settings.defaultNumPartitions,
      defaultReplicationFactor: this.settings.defaultReplicationFactor,
      staticBrokerConfig: this.settings.staticBrokerConfig,
      newTopicId: this.settings.newUuid,
    }
  }

  /** Persists the next state, then publishes it. On a write error nothing changes in memory. */
  private async commit(next: Next): Promise<void> {
    const state: PersistedState = {
      clusterId: this.current.clusterId,
      nodeId: this.settings.nodeId,
      epoch: this.epoch + 1,
      topics: next.topics ?? [...this.current.topics.values()],
      brokerConfigs: next.brokerConfigs ?? this.current.brokerConfigs,
    }
    await writeFileAtomic(this.fs, this.statePath, encodeState(state))
    this.epoch = state.epoch
    this.publish(next)
  }

  private publish(next: Next): void {
    const previous = this.current
    this.current = makeImage({
      version: previous.version + 1,
      clusterId: previous.clusterId,
      controllerId: previous.controllerId,
      brokers: next.brokers ?? previous.brokers,
      topics: next.topics ?? previous.topics.values(),
      brokerConfigs: next.brokerConfigs ?? previous.brokerConfigs,
    })
    this.notify({ previous, image: this.current, ...next.change })
  }
}
