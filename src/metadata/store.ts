// The metadata store: what the broker reads (the current image, and a stream of changes) and the
// admin operations it forwards (CreateTopics, DeleteTopics, CreatePartitions, AlterConfigs and
// IncrementalAlterConfigs). The embedded single-node store implements it now; the ZooKeeper mode
// will implement the same interface.
//
// Business failures are per-item Kafka error codes in the results, never exceptions; a promise
// rejects only when the store cannot do its job at all (an I/O error while persisting, a closed
// store). Operations are applied one at a time in call order; a result is returned only after the
// change is durable and the new image is published.

import type { Uuid } from '../common/ids.ts'
import type { ConfigOp } from '../config/config-ops.ts'
import type { BrokerRegistration, MetadataImage, TopicImage } from './image.ts'

export interface CreateTopicRequest {
  readonly name: string
  /** -1: num.partitions (must be -1 when assignments are given). */
  readonly numPartitions: number
  /** -1: default.replication.factor (must be -1 when assignments are given). */
  readonly replicationFactor: number
  /** Manual replica assignment, one entry per partition. */
  readonly assignments?: readonly { readonly partitionIndex: number; readonly brokerIds: readonly number[] }[]
  readonly configs?: readonly { readonly name: string; readonly value: string | null }[]
}

export interface CreateTopicResult {
  readonly name: string
  /** The new topic's id; ZERO_UUID on error (and for validate-only). */
  readonly topicId: Uuid
  readonly errorCode: number
  readonly errorMessage: string | null
  /** -1 on error. */
  readonly numPartitions: number
  /** -1 on error. */
  readonly replicationFactor: number
  /** The topic's config overrides as stored. */
  readonly configs: ReadonlyMap<string, string>
}

/** By name or by id (DeleteTopics v6+). */
export interface DeleteTopicRequest {
  readonly name?: string | null
  readonly topicId?: Uuid | null
}

export interface DeleteTopicResult {
  readonly name: string | null
  readonly topicId: Uuid
  readonly errorCode: number
  readonly errorMessage: string | null
}

export interface CreatePartitionsRequest {
  readonly name: string
  /** The new total number of partitions. */
  readonly count: number
  /** Replicas of each new partition, or null to let the store place them. */
  readonly assignments?: readonly (readonly number[])[] | null
}

export interface ResourceResult {
  /** Topic name, or broker id as text ('' for the cluster default). */
  readonly resourceName: string
  readonly errorCode: number
  readonly errorMessage: string | null
}

/**
 * Exactly one of `ops` (IncrementalAlterConfigs) and `replace` (AlterConfigs: the new complete set
 * of overrides) is given.
 */
export interface AlterConfigsChange {
  readonly ops?: readonly ConfigOp[]
  readonly replace?: readonly { readonly name: string; readonly value: string | null }[]
}

export interface AlterTopicConfigsRequest extends AlterConfigsChange {
  readonly name: string
}

export interface AlterBrokerConfigsRequest extends AlterConfigsChange {
  /** null: the cluster-wide default. */
  readonly brokerId: number | null
}

export interface OperationOptions {
  /** Validate and answer as if applied, change nothing (CreateTopics/CreatePartitions/AlterConfigs). */
  readonly validateOnly?: boolean
}

export interface MetadataChange {
  readonly previous: MetadataImage
  readonly image: MetadataImage
  readonly createdTopics: readonly string[]
  readonly deletedTopics: readonly TopicImage[]
  /** Topics that gained partitions. */
  readonly expandedTopics: readonly string[]
  readonly topicConfigsChanged: readonly string[]
  readonly brokerConfigsChanged: boolean
  readonly brokersChanged: boolean
}

export type MetadataListener = (change: MetadataChange) => void

export interface MetadataStore {
  /** The current image. */
  image(): MetadataImage
  /** Calls `listener` after every published change, in order; returns the unsubscribe function. */
  subscribe(listener: MetadataListener): () => void
  /** Announces a live broker (the local one registers itself once its listeners are bound). */
  registerBroker(registration: BrokerRegistration): Promise<void>
  createTopics(
    topics: readonly CreateTopicRequest[],
    options?: OperationOptions,
  ): Promise<CreateTopicResult[]>
  deleteTopics(topics: readonly DeleteTopicRequest[]): Promise<DeleteTopicResult[]>
  createPartitions(
    topics: readonly CreatePartitionsRequest[],
    options?: OperationOptions,
  ): Promise<ResourceResult[]>
  alterTopicConfigs(
    changes: readonly AlterTopicConfigsRequest[],
    options?: OperationOptions,
  ): Promise<ResourceResult[]>
  alterBrokerConfigs(
    changes: readonly AlterBrokerConfigsRequest[],
    options?: OperationOptions,
  ): Promise<ResourceResult[]>
  /** Waits for operations in progress, then refuses new ones. */
  close(): Promise<void>
}
