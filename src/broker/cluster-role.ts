// The broker's side of the controller conversation (the `cluster` service of the inter-broker
// handlers): LeaderAndIsr, UpdateMetadata and StopReplica from the controller go to the ZooKeeper
// metadata store, which fences stale controllers and publishes the new image; the data path follows
// the image, and the answer is sent once it has (a new leader is ready to serve when the controller
// hears back). ControlledShutdown, ElectLeaders and AlterPartition are the controller's own work:
// served when this broker is the active controller, NOT_CONTROLLER otherwise. In standalone mode
// there is no controller conversation: ElectLeaders finds every leader already preferred (each
// partition has one replica), and the other APIs are not registered.

import type { BrokerRegistration, MetadataImage } from '../metadata/image.ts'
import type { CachedPartitionState } from '../metadata/zk/broker-cache.ts'
import type { ZkMetadataStore } from '../metadata/zk/zk-store.ts'
import { ErrorCode } from '../protocol/generated/error-codes.ts'
import type { AlterPartitionInput, AlterPartitionResult } from '../server/handlers/alter-partition.ts'
import type { ControlledShutdownResult } from '../server/handlers/controlled-shutdown.ts'
import type { ElectLeadersInput, ElectLeadersResult } from '../server/handlers/elect-leaders.ts'
import type { LeaderAndIsrInput, LeaderAndIsrResult } from '../server/handlers/leader-and-isr.ts'
import type { StopReplicaInput, StopReplicaResult } from '../server/handlers/stop-replica.ts'
import type { UpdateMetadataInput } from '../server/handlers/update-metadata.ts'

/** What the broker needs of the controller running in this process. */
export interface LocalController {
  readonly isActive: boolean
  controlledShutdown(brokerId: number, brokerEpoch: bigint): Promise<ControlledShutdownResult>
  electLeaders(input: ElectLeadersInput): Promise<ElectLeadersResult>
  alterPartition(input: AlterPartitionInput): Promise<AlterPartitionResult>
}

export interface ClusterRole {
  leaderAndIsr(input: LeaderAndIsrInput): Promise<LeaderAndIsrResult>
  updateMetadata(input: UpdateMetadataInput): Promise<number>
  stopReplica(input: StopReplicaInput): Promise<StopReplicaResult>
  controlledShutdown(brokerId: number, brokerEpoch: bigint): Promise<ControlledShutdownResult>
  electLeaders(input: ElectLeadersInput): Promise<ElectLeadersResult>
  alterPartition(input: AlterPartitionInput): Promise<AlterPartitionResult>
}

/** Kafka's SecurityProtocol ids, as UpdateMetadata carries them. */
const PROTOCOL_NAMES: Readonly<Record<number, string>> = {
  0: 'PLAINTEXT',
  1: 'SSL',
  2: 'SASL_PLAINTEXT',
  3: 'SASL_SSL',
}

export class ZkClusterRole implements ClusterRole {
  private readonly store: ZkMetadataStore
  /** Resolves once the data path has applied the image of at least this version. */
  private readonly applied: (version: number) => Promise<void>
  private controller: LocalController | null = null

  constructor(store: ZkMetadataStore, applied: (version: number) => Promise<void>) {
    this.store = store
    this.applied = applied
  }

  setController(controller: LocalController | null): void {
    this.controller = controller
  }

  async leaderAndIsr(input: LeaderAndIsrInput): Promise<LeaderAndIsrResult> {
    const states: CachedPartitionState[] = input.partitions.map((p) => ({
      topicName: p.topicName,
      topicId: p.topicId,
      partitionIndex: p.partitionIndex,
      leader: p.leader,
      leaderEpoch: p.leaderEpoch,
      isr: p.isr,
      partitionEpoch: p.partitionEpoch,
      replicas: p.replicas,
    }))
    const r = await this.store.leaderAndIsr(input, states)
    await this.caughtUp()
    const codes = r.errorCode === ErrorCode.NONE ? r.partitionErrors : input.partitions.map(() => r.errorCode)
    return {
      errorCode: r.errorCode,
      partitions: input.partitions.map((p, i) => ({
        topicName: p.topicName,
        topicId: p.topicId,
        partitionIndex: p.partitionIndex,
        errorCode: codes[i] ?? ErrorCode.NONE,
      })),
    }
  }

  async updateMetadata(input: UpdateMetadataInput): Promise<number> {
    const brokers: BrokerRegistration[] = input.liveBrokers.map((b) => {
      const endpoints = b.endpoints.map((e) => ({
        listenerName: e.listener.toUpperCase(),
        securityProtocol: PROTOCOL_NAMES[e.securityProtocol] ?? 'PLAINTEXT',
        host: e.host,
        port: e.port,
      }))
      return {
        id: b.id,
        host: endpoints[0]?.host ?? '',
        port: endpoints[0]?.port ?? -1,
        rack: b.rack,
        endpoints,
      }
    })
    const states: CachedPartitionState[] = input.partitions.map((p) => ({
      topicName: p.topicName,
      topicId: p.topicId,
      partitionIndex: p.partitionIndex,
      leader: p.leader,
      leaderEpoch: p.leaderEpoch,
      isr: p.isr,
      partitionEpoch: p.zkVersion,
      replicas: p.replicas,
      offlineReplicas: p.offlineReplicas,
    }))
    const code = await this.store.updateMetadata(input, brokers, states)
    if (code === ErrorCode.NONE) await this.caughtUp()
    return code
  }

  async stopReplica(input: StopReplicaInput): Promise<StopReplicaResult> {
    const code = await this.store.stopReplica(input, input.partitions)
    if (code !== ErrorCode.NONE) return { errorCode: code, partitions: [] }
    await this.caughtUp()
    return {
      errorCode: ErrorCode.NONE,
      partitions: input.partitions.map((p) => ({
        topicName: p.topicName,
        partitionIndex: p.partitionIndex,
        errorCode: ErrorCode.NONE,
      })),
    }
  }

  controlledShutdown(brokerId: number, brokerEpoch: bigint): Promise<ControlledShutdownResult> {
    if (this.controller?.isActive !== true)
      return Promise.resolve({ errorCode: ErrorCode.NOT_CONTROLLER, remaining: [] })
    return this.controller.controlledShutdown(brokerId, brokerEpoch)
  }

  electLeaders(input: ElectLeadersInput): Promise<ElectLeadersResult> {
    if (this.controller?.isActive !== true)
      return Promise.resolve({ errorCode: ErrorCode.NOT_CONTROLLER, results: [] })
    return this.controller.electLeaders(input)
  }

  /** From a partition leader to the controller: NOT_CONTROLLER unless ours is the active one. */
  alterPartition(input: AlterPartitionInput): Promise<AlterPartitionResult> {
    if (this.controller?.isActive !== true)
      return Promise.resolve({ errorCode: ErrorCode.NOT_CONTROLLER, topics: [] })
    return this.controller.alterPartition(input)
  }

  private caughtUp(): Promise<void> {
    return this.applied(this.store.image().version)
  }
}

/** Standalone: one replica per partition, so its leader is always the preferred one. */
export class StandaloneClusterRole implements ClusterRole {
  private readonly image: () => MetadataImage

  constructor(image: () => MetadataImage) {
    this.image = image
  }

  private refuse(): Promise<never> {
    return Promise.reject(new Error('inter-broker requests are not served without ZooKeeper'))
  }

  leaderAndIsr(): Promise<LeaderAndIsrResult> {
    return this.refuse()
  }

  updateMetadata(): Promise<number> {
    return this.refuse()
  }

  stopReplica(): Promise<StopReplicaResult> {
    return this.refuse()
  }

  controlledShutdown(): Promise<ControlledShutdownResult> {
    return this.refuse()
  }

  alterPartition(): Promise<AlterPartitionResult> {
    return this.refuse()
  }

  async electLeaders(input: ElectLeadersInput): Promise<ElectLeadersResult> {
    const image = this.image()
    const wanted =
      input.topicPartitions ??
      [...image.topics.values()].map((t) => ({
        topic: t.name as string,
        partitions: t.partitions.map((p) => p.partition),
      }))
    return {
      errorCode: ErrorCode.NONE,
      results: wanted.map((tp) => ({
        topic: tp.topic,
        partitionResults: tp.partitions.map((partitionId) => {
          const known = image.topics.get(tp.topic)?.partitions[partitionId] !== undefined
          return known
            ? {
                partitionId,
                errorCode: ErrorCode.ELECTION_NOT_NEEDED,
                errorMessage: 'Leader election not needed for topic partition',
              }
            : {
                partitionId,
                errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                errorMessage: 'The partition does not exist.',
              }
        }),
      })),
    }
  }
}
