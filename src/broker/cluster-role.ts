// The broker's side of the controller conversation (the `cluster` service of the inter-broker
// handlers): LeaderAndIsr, UpdateMetadata and StopReplica from the controller go to the ZooKeeper
// metadata store, which fences stale controllers and publishes the new image; the data path follows
// the image, and the answer is sent once it has (a new leader is ready to serve when the controller
// hears back). ControlledShutdown, ElectLeaders and AlterPartition are the controller's own work:
// served when this broker is the active controller, NOT_CONTROLLER otherwise; so are
// AlterPartitionReassignments and ListPartitionReassignments. In standalone mode there is no
// controller conversation: ElectLeaders finds every leader already preferred (each partition has
// one replica), a reassignment can only name this node (as on a KRaft single node), and the other
// APIs are not registered.

import type { BrokerRegistration, MetadataImage } from '../metadata/image.ts'
import type { CachedPartitionState } from '../metadata/zk/broker-cache.ts'
import type { ZkMetadataStore } from '../metadata/zk/zk-store.ts'
import { ErrorCode } from '../protocol/generated/error-codes.ts'
import type { AlterPartitionInput, AlterPartitionResult } from '../server/handlers/alter-partition.ts'
import type {
  AlterReassignmentsInput,
  AlterReassignmentsResult,
} from '../server/handlers/alter-partition-reassignments.ts'
import type { ControlledShutdownResult } from '../server/handlers/controlled-shutdown.ts'
import type { ElectLeadersInput, ElectLeadersResult } from '../server/handlers/elect-leaders.ts'
import type { LeaderAndIsrInput, LeaderAndIsrResult } from '../server/handlers/leader-and-isr.ts'
import type {
  ListReassignmentsInput,
  ListReassignmentsResult,
} from '../server/handlers/list-partition-reassignments.ts'
import type { StopReplicaInput, StopReplicaResult } from '../server/handlers/stop-replica.ts'
import type { UpdateMetadataInput } from '../server/handlers/update-metadata.ts'

/** What the broker needs of the controller running in this process. */
export interface LocalController {
  readonly isActive: boolean
  controlledShutdown(brokerId: number, brokerEpoch: bigint): Promise<ControlledShutdownResult>
  electLeaders(input: ElectLeadersInput): Promise<ElectLeadersResult>
  alterPartition(input: AlterPartitionInput): Promise<AlterPartitionResult>
  alterPartitionReassignments(input: AlterReassignmentsInput): Promise<AlterReassignmentsResult>
  listPartitionReassignments(input: ListReassignmentsInput): Promise<ListReassignmentsResult>
}

export interface ClusterRole {
  leaderAndIsr(input: LeaderAndIsrInput): Promise<LeaderAndIsrResult>
  updateMetadata(input: UpdateMetadataInput): Promise<number>
  stopReplica(input: StopReplicaInput): Promise<StopReplicaResult>
  controlledShutdown(brokerId: number, brokerEpoch: bigint): Promise<ControlledShutdownResult>
  electLeaders(input: ElectLeadersInput): Promise<ElectLeadersResult>
  alterPartition(input: AlterPartitionInput): Promise<AlterPartitionResult>
  alterPartitionReassignments(input: AlterReassignmentsInput): Promise<AlterReassignmentsResult>
  listPartitionReassignments(input: ListReassignmentsInput): Promise<ListReassignmentsResult>
}

const NOT_CONTROLLER_MESSAGE = 'This is not the correct controller for this cluster.'

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

  /** Deletes the local logs of replicas this broker no longer hosts (StopReplica with delete). */
  private readonly deleteReplicas: (partitions: { topic: string; partition: number }[]) => Promise<void>

  constructor(
    store: ZkMetadataStore,
    applied: (version: number) => Promise<void>,
    deleteReplicas: (partitions: { topic: string; partition: number }[]) => Promise<void>,
  ) {
    this.store = store
    this.applied = applied
    this.deleteReplicas = deleteReplicas
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
    const code = await this.store.stopReplica(input)
    if (code !== ErrorCode.NONE) return { errorCode: code, partitions: [] }
    await this.caughtUp()
    const deleted = input.partitions.filter((p) => p.deletePartition)
    if (deleted.length > 0)
      await this.deleteReplicas(
        deleted.map((p) => ({ topic: p.topicName as string, partition: p.partitionIndex })),
      )
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
    return this.toController({ errorCode: ErrorCode.NOT_CONTROLLER, remaining: [] }, (c) =>
      c.controlledShutdown(brokerId, brokerEpoch),
    )
  }

  electLeaders(input: ElectLeadersInput): Promise<ElectLeadersResult> {
    return this.toController({ errorCode: ErrorCode.NOT_CONTROLLER, results: [] }, (c) =>
      c.electLeaders(input),
    )
  }

  /** From a partition leader to the controller. */
  alterPartition(input: AlterPartitionInput): Promise<AlterPartitionResult> {
    return this.toController({ errorCode: ErrorCode.NOT_CONTROLLER, topics: [] }, (c) =>
      c.alterPartition(input),
    )
  }

  /** Admin → controller (KIP-455). */
  alterPartitionReassignments(input: AlterReassignmentsInput): Promise<AlterReassignmentsResult> {
    return this.toController(
      { errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: NOT_CONTROLLER_MESSAGE, responses: [] },
      (c) => c.alterPartitionReassignments(input),
    )
  }

  listPartitionReassignments(input: ListReassignmentsInput): Promise<ListReassignmentsResult> {
    return this.toController(
      { errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: NOT_CONTROLLER_MESSAGE, topics: [] },
      (c) => c.listPartitionReassignments(input),
    )
  }

  /** The controller's own APIs: served by the active controller in this process, else NOT_CONTROLLER. */
  private toController<T>(notController: T, call: (c: LocalController) => Promise<T>): Promise<T> {
    const c = this.controller
    return c?.isActive === true ? call(c) : Promise.resolve(notController)
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

  /**
   * As a KRaft single node answers: the only valid target is this node itself (then there is
   * nothing to move); any other broker id is not registered. Nothing is ever in progress.
   */
  async alterPartitionReassignments(input: AlterReassignmentsInput): Promise<AlterReassignmentsResult> {
    const image = this.image()
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      responses: input.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          const topic = image.topics.get(t.name)
          const refusal =
            topic === undefined
              ? { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null }
              : topic.partitions[p.partitionIndex] === undefined
                ? {
                    errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                    errorMessage: `Unable to find partition ${t.name}:${p.partitionIndex}.`,
                  }
                : p.replicas === null
                  ? { errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, errorMessage: NO_REASSIGNMENT }
                  : manualAssignmentProblem(p.replicas, (id) => image.brokers.has(id))
          return {
            partitionIndex: p.partitionIndex,
            ...(refusal ?? { errorCode: ErrorCode.NONE, errorMessage: null }),
          }
        }),
      })),
    }
  }

  async listPartitionReassignments(): Promise<ListReassignmentsResult> {
    return { errorCode: ErrorCode.NONE, errorMessage: null, topics: [] }
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

const NO_REASSIGNMENT = 'No partition reassignment is in progress.'

/** KRaft's validateManualPartitionAssignment: brokers in id order, unknown before duplicate. */
function manualAssignmentProblem(
  replicas: readonly number[],
  registered: (id: number) => boolean,
): { errorCode: number; errorMessage: string } | null {
  const refuse = (errorMessage: string) => ({ errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage })
  if (replicas.length === 0) return refuse('The manual partition assignment includes an empty replica list.')
  let previous: number | null = null
  for (const id of [...replicas].sort((a, b) => a - b)) {
    if (!registered(id))
      return refuse(
        `The manual partition assignment includes broker ${id}, but no such broker is registered.`,
      )
    if (id === previous)
      return refuse(`The manual partition assignment includes the broker ${id} more than once.`)
    previous = id
  }
  return null
}
