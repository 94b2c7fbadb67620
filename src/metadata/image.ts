// The metadata image: an immutable snapshot of what the cluster knows — brokers, the controller,
// topics with their partitions (leader, leader epoch, replicas, ISR) and configs, and the dynamic
// broker configs. Handlers read the current image and never mutate it; a store publishes a new image
// for every change (copy on write), so a reader holding an image sees one consistent state.

import type { TopicName, Uuid } from '../common/ids.ts'

export interface BrokerEndpoint {
  /** Upper-cased listener name, e.g. PLAINTEXT. */
  readonly listenerName: string
  readonly securityProtocol: string
  readonly host: string
  readonly port: number
}

export interface BrokerRegistration {
  readonly id: number
  /** Host and port of the first advertised endpoint (what Metadata v0 clients see). */
  readonly host: string
  readonly port: number
  readonly rack: string | null
  /** Every advertised endpoint; Metadata answers with the one of the listener a request came in on. */
  readonly endpoints: readonly BrokerEndpoint[]
}

export interface PartitionImage {
  readonly partition: number
  /** Broker id of the leader, -1 when there is none. */
  readonly leader: number
  readonly leaderEpoch: number
  /** Bumped on every change of this partition's replicas or ISR (KRaft's partition epoch). */
  readonly partitionEpoch: number
  readonly replicas: readonly number[]
  readonly isr: readonly number[]
  readonly offlineReplicas: readonly number[]
}

export interface TopicImage {
  readonly name: TopicName
  readonly topicId: Uuid
  /** __consumer_offsets, __transaction_state, __share_group_state. */
  readonly internal: boolean
  /** Indexed by partition number: partitions[i].partition === i. */
  readonly partitions: readonly PartitionImage[]
  /** Topic-level config overrides (name → value as supplied); defaults are not stored. */
  readonly configs: ReadonlyMap<string, string>
}

export interface BrokerConfigsImage {
  /** Dynamic cluster-wide defaults (AlterConfigs on the broker resource ""). */
  readonly clusterDefault: ReadonlyMap<string, string>
  /** Dynamic per-broker configs by broker id. */
  readonly perBroker: ReadonlyMap<number, ReadonlyMap<string, string>>
}

export interface MetadataImage {
  /** Increases with every published change; 0 for the image loaded at startup. */
  readonly version: number
  readonly clusterId: string
  /** -1 when unknown. */
  readonly controllerId: number
  readonly brokers: ReadonlyMap<number, BrokerRegistration>
  readonly topics: ReadonlyMap<string, TopicImage>
  readonly topicsById: ReadonlyMap<Uuid, TopicImage>
  readonly brokerConfigs: BrokerConfigsImage
}

export const INTERNAL_TOPICS: ReadonlySet<string> = new Set([
  '__consumer_offsets',
  '__transaction_state',
  '__share_group_state',
])

const EMPTY_CONFIGS: ReadonlyMap<string, string> = new Map()

/** Builds an image; indexes topics by id. */
export function makeImage(fields: {
  version: number
  clusterId: string
  controllerId: number
  brokers?: ReadonlyMap<number, BrokerRegistration>
  topics?: Iterable<TopicImage>
  brokerConfigs?: BrokerConfigsImage
}): MetadataImage {
  const topics = new Map<string, TopicImage>()
  const topicsById = new Map<Uuid, TopicImage>()
  for (const t of fields.topics ?? []) {
    topics.set(t.name, t)
    topicsById.set(t.topicId, t)
  }
  return Object.freeze({
    version: fields.version,
    clusterId: fields.clusterId,
    controllerId: fields.controllerId,
    brokers: fields.brokers ?? new Map(),
    topics,
    topicsById,
    brokerConfigs:
      fields.brokerConfigs ?? Object.freeze({ clusterDefault: EMPTY_CONFIGS, perBroker: new Map() }),
  })
}

export function makePartition(
  p: Omit<PartitionImage, 'offlineReplicas'> & { offlineReplicas?: readonly number[] },
) {
  return Object.freeze({
    partition: p.partition,
    leader: p.leader,
    leaderEpoch: p.leaderEpoch,
    partitionEpoch: p.partitionEpoch,
    replicas: Object.freeze([...p.replicas]),
    isr: Object.freeze([...p.isr]),
    offlineReplicas: Object.freeze([...(p.offlineReplicas ?? [])]),
  }) satisfies PartitionImage
}

export function makeTopic(t: {
  name: TopicName
  topicId: Uuid
  partitions: readonly PartitionImage[]
  configs?: ReadonlyMap<string, string>
}): TopicImage {
  return Object.freeze({
    name: t.name,
    topicId: t.topicId,
    internal: INTERNAL_TOPICS.has(t.name),
    partitions: Object.freeze([...t.partitions]),
    configs: t.configs ?? EMPTY_CONFIGS,
  })
}

/** The effective dynamic broker config layers of one broker, for config resolution. */
export function dynamicLayersOf(image: MetadataImage, brokerId: number) {
  return {
    dynamicDefault: image.brokerConfigs.clusterDefault,
    dynamicBroker: image.brokerConfigs.perBroker.get(brokerId) ?? EMPTY_CONFIGS,
  }
}
