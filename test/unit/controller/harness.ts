// Test harness for the controller: an in-memory ZooKeeper, brokers that register the way a broker
// does (ephemeral /brokers/ids/<id>, one session each), controllers on those sessions, and a
// recording ControllerChannel (an in-memory transport: every request is kept, answered with an
// empty success). Deterministic: a manual clock, and `settleAll` runs watches and controller
// events until nothing moves.

import type { RequestSpec } from '../../../src/client/broker-client.ts'
import { ManualClock, settle } from '../../../src/common/clock.ts'
import { silentLogger } from '../../../src/common/logger.ts'
import type { ControllerChannel } from '../../../src/controller/controller-channel.ts'
import { ZkController, type ZkControllerConfig } from '../../../src/controller/zk-controller.ts'
import type { BrokerRegistration } from '../../../src/metadata/image.ts'
import type { ZkClient, ZkOp } from '../../../src/metadata/zk/zk-client.ts'
import { MemoryZk } from '../../../src/metadata/zk/zk-memory.ts'
import {
  decodePartitionState,
  encodeBroker,
  encodeEntityConfig,
  encodePartitionState,
  encodeTopicAssignment,
  type PartitionStateZnode,
  PERSISTENT_PATHS,
  ZkPaths,
} from '../../../src/metadata/zk/znodes.ts'
import type { LeaderAndIsrRequest } from '../../../src/protocol/generated/messages/leader-and-isr.ts'
import type { StopReplicaRequest } from '../../../src/protocol/generated/messages/stop-replica.ts'
import type { UpdateMetadataRequest } from '../../../src/protocol/generated/messages/update-metadata.ts'

export interface Sent {
  readonly from: number
  readonly to: number
  readonly apiKey: number
  readonly version: number
  readonly body: unknown
}

/** One channel per controller; all record into the same log. */
export class RecordingChannel implements ControllerChannel {
  readonly owner: number
  readonly log: Sent[]
  readonly brokers = new Map<number, BrokerRegistration>()
  closes = 0

  constructor(owner: number, log: Sent[]) {
    this.owner = owner
    this.log = log
  }

  send<Req, Res>(brokerId: number, spec: RequestSpec<Req, Res>, body: Req): Promise<Res> {
    if (!this.brokers.has(brokerId)) return Promise.reject(new Error(`broker ${brokerId} not in channel`))
    this.log.push({ from: this.owner, to: brokerId, apiKey: spec.apiKey, version: spec.version, body })
    return Promise.resolve(spec.response.defaults(spec.version))
  }

  addBroker(reg: BrokerRegistration): void {
    this.brokers.set(reg.id, reg)
  }

  removeBroker(id: number): void {
    this.brokers.delete(id)
  }

  close(): void {
    this.closes++
    this.brokers.clear()
  }
}

export function registration(id: number, rack: string | null = null): BrokerRegistration {
  return {
    id,
    host: 'localhost',
    port: 9090 + id,
    rack,
    endpoints: [
      { listenerName: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: 'localhost', port: 9090 + id },
      { listenerName: 'INTERNAL', securityProtocol: 'PLAINTEXT', host: `internal-${id}`, port: 19090 + id },
    ],
  }
}

export const defaultConfig: ZkControllerConfig = {
  autoLeaderRebalanceEnable: false,
  leaderImbalanceCheckIntervalMs: 300_000,
  leaderImbalancePerBrokerPercentage: 10,
  uncleanLeaderElectionEnable: false,
}

export class Cluster {
  readonly zk = new MemoryZk()
  readonly admin: ZkClient = this.zk.connect()
  readonly clock = new ManualClock()
  readonly sent: Sent[] = []
  readonly sessions = new Map<number, ZkClient>()
  readonly controllers = new Map<number, ZkController>()
  readonly channels = new Map<number, RecordingChannel>()

  async init(): Promise<void> {
    for (const p of PERSISTENT_PATHS) await this.admin.mkdirp(p)
  }

  /** Registers broker `id` on a new session (a restart when it was registered before). */
  async startBroker(id: number, rack: string | null = null): Promise<ZkClient> {
    const session = this.zk.connect()
    await session.create(
      ZkPaths.broker(id),
      encodeBroker(registration(id, rack), this.clock.now()),
      'ephemeral',
    )
    this.sessions.set(id, session)
    return session
  }

  /** Starts a controller on broker `id`'s session. */
  async startController(id: number, config: Partial<ZkControllerConfig> = {}): Promise<ZkController> {
    const zk = this.sessions.get(id) ?? (await this.startBroker(id))
    const channel = new RecordingChannel(id, this.sent)
    const c = new ZkController({
      zk,
      brokerId: id,
      channel,
      clock: this.clock,
      logger: silentLogger,
      config: { ...defaultConfig, ...config },
    })
    this.controllers.set(id, c)
    this.channels.set(id, channel)
    await c.start()
    await this.settleAll()
    return c
  }

  /** Expires broker `id`'s session: its znodes vanish as after a crash. */
  async killBroker(id: number): Promise<void> {
    this.zk.expireSession(this.sessions.get(id)!)
    this.sessions.delete(id)
    await this.settleAll()
  }

  active(): ZkController[] {
    return [...this.controllers.values()].filter((c) => c.isActive)
  }

  async settleAll(): Promise<void> {
    for (let i = 0; i < 20; i++) {
      await settle(2)
      await Promise.all([...this.controllers.values()].map((c) => c.idle()))
    }
  }

  /**
   * Writes /brokers/topics/<name> as a broker does; `states` (partition → state) are written in the
   * same transaction, as if an earlier controller had created them.
   */
  async createTopic(
    name: string,
    assignment: Record<number, number[]>,
    topicId: string | null = null,
    states: Record<number, Omit<PartitionStateZnode, 'leaderRecoveryState'>> = {},
  ) {
    const ops: ZkOp[] = [
      {
        op: 'create',
        path: ZkPaths.topic(name),
        data: encodeTopicAssignment({
          topicId: topicId as never,
          partitions: new Map(Object.entries(assignment).map(([p, r]) => [Number(p), r])),
          addingReplicas: new Map(),
          removingReplicas: new Map(),
        }),
      },
    ]
    if (Object.keys(states).length > 0) ops.push({ op: 'create', path: ZkPaths.partitions(name), data: null })
    for (const [p, st] of Object.entries(states)) {
      ops.push({ op: 'create', path: ZkPaths.partition(name, Number(p)), data: null })
      ops.push({
        op: 'create',
        path: ZkPaths.partitionState(name, Number(p)),
        data: encodePartitionState({ ...st, leaderRecoveryState: 0 }),
      })
    }
    await this.admin.multi(ops)
    await this.settleAll()
  }

  async setTopicConfig(name: string, configs: Record<string, string>) {
    await this.admin.mkdirp(ZkPaths.configTopic(name))
    await this.admin.setData(ZkPaths.configTopic(name), encodeEntityConfig(new Map(Object.entries(configs))))
  }

  async state(topic: string, p: number): Promise<PartitionStateZnode | null> {
    const r = await this.admin.getData(ZkPaths.partitionState(topic, p))
    return r === null ? null : decodePartitionState(r.data)
  }

  async raw(path: string): Promise<string | null> {
    const r = await this.admin.getData(path)
    return r === null ? null : (r.data?.toString('utf8') ?? '')
  }

  async brokerEpoch(id: number): Promise<bigint> {
    return (await this.admin.exists(ZkPaths.broker(id)))!.czxid
  }

  clearSent(): void {
    this.sent.length = 0
  }

  leaderAndIsr(to?: number): LeaderAndIsrRequest[] {
    return this.of<LeaderAndIsrRequest>(4, to)
  }

  updateMetadata(to?: number): UpdateMetadataRequest[] {
    return this.of<UpdateMetadataRequest>(6, to)
  }

  stopReplica(to?: number): StopReplicaRequest[] {
    return this.of<StopReplicaRequest>(5, to)
  }

  private of<T>(apiKey: number, to?: number): T[] {
    return this.sent
      .filter((s) => s.apiKey === apiKey && (to === undefined || s.to === to))
      .map((s) => s.body as T)
  }

  async close(): Promise<void> {
    for (const c of this.controllers.values()) await c.stop().catch(() => {})
    for (const s of this.sessions.values()) await s.close().catch(() => {})
    await this.admin.close()
  }
}

/** Partition index → leader in the LeaderAndIsr/UpdateMetadata requests of `topic`. */
export function partitionsIn(
  reqs: readonly (LeaderAndIsrRequest | UpdateMetadataRequest)[],
  topic: string,
): { partitionIndex: number; leader: number; leaderEpoch: number; isr: number[] }[] {
  const out: { partitionIndex: number; leader: number; leaderEpoch: number; isr: number[] }[] = []
  for (const r of reqs)
    for (const t of r.topicStates)
      if (t.topicName === topic)
        for (const p of t.partitionStates)
          out.push({
            partitionIndex: p.partitionIndex,
            leader: p.leader,
            leaderEpoch: p.leaderEpoch,
            isr: [...p.isr],
          })
  return out
}
