// What a broker in ZooKeeper mode knows of the cluster, fed by the controller: UpdateMetadata
// (live brokers, the controller, every partition's leader/ISR/replicas/offline replicas) and
// LeaderAndIsr (the partitions this broker hosts). Topic and broker configs come from ZooKeeper
// (zk-store.ts) and are merged in when the image is built.
//
// Fencing, as a Kafka broker does it: a request from an older controller epoch is refused
// (STALE_CONTROLLER_EPOCH), one addressed to an older incarnation of this broker (its broker epoch,
// the czxid of /brokers/ids/<id>) is refused (STALE_BROKER_EPOCH), and a partition state never goes
// back to an older leader epoch. UpdateMetadata is incremental: the partitions it names replace
// ours; a leader of -2 (LeaderDuringDelete) removes the partition. Its broker list is complete.
//
// Pure and synchronous: callers publish the image after a successful apply.

import { type Uuid, ZERO_UUID } from '../../common/ids.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type BrokerConfigsImage,
  type BrokerRegistration,
  type MetadataImage,
  makeImage,
  makePartition,
  makeTopic,
  type PartitionImage,
  type TopicImage,
} from '../image.ts'

/** Leader id the controller sends for partitions of a topic being deleted. */
export const LEADER_DURING_DELETE = -2

export interface CachedPartitionState {
  readonly topicName: string
  readonly topicId: Uuid
  readonly partitionIndex: number
  readonly leader: number
  readonly leaderEpoch: number
  readonly isr: readonly number[]
  /** The partition state znode's version (Kafka's zkVersion, the partition epoch). */
  readonly partitionEpoch: number
  readonly replicas: readonly number[]
  /** Absent in LeaderAndIsr: the cached value is kept. */
  readonly offlineReplicas?: readonly number[]
}

interface CachedTopic {
  topicId: Uuid
  partitions: Map<number, PartitionImage>
}

export interface ControllerStamp {
  readonly controllerId: number
  readonly controllerEpoch: number
  /** The broker epoch the controller believes this broker has; -1n when the version has none. */
  readonly brokerEpoch: bigint
}

export class BrokerMetadataCache {
  private readonly localId: number
  private brokerEpoch = -1n
  private controllerEpoch = -1
  private controllerId = -1
  private brokers = new Map<number, BrokerRegistration>()
  private readonly topics = new Map<string, CachedTopic>()
  /** Topic images as last built: a topic that did not change keeps its object (local-changes.ts). */
  private readonly built = new Map<string, TopicImage>()
  private readonly dirty = new Set<string>()
  /** Whether an UpdateMetadata has been applied (before that, the broker lists itself). */
  private updated = false

  constructor(localId: number) {
    this.localId = localId
  }

  /** Called once this broker registered: requests for older incarnations are refused after it. */
  setBrokerEpoch(epoch: bigint): void {
    this.brokerEpoch = epoch
  }

  get currentControllerEpoch(): number {
    return this.controllerEpoch
  }

  /** NONE when a request with this stamp may be applied; records the controller when it may. */
  admit(stamp: ControllerStamp): number {
    if (stamp.controllerEpoch < this.controllerEpoch) return ErrorCode.STALE_CONTROLLER_EPOCH
    if (stamp.brokerEpoch !== -1n && this.brokerEpoch !== -1n && stamp.brokerEpoch < this.brokerEpoch)
      return ErrorCode.STALE_BROKER_EPOCH
    this.controllerEpoch = stamp.controllerEpoch
    this.controllerId = stamp.controllerId
    return ErrorCode.NONE
  }

  /** UpdateMetadata: the complete live broker list and the named partitions. */
  updateMetadata(
    liveBrokers: readonly BrokerRegistration[],
    partitions: readonly CachedPartitionState[],
  ): void {
    this.brokers = new Map(liveBrokers.map((b) => [b.id, b]))
    this.updated = true
    for (const p of partitions) {
      if (p.leader === LEADER_DURING_DELETE) this.remove(p.topicName, p.partitionIndex)
      else this.put(p, true)
    }
  }

  /**
   * LeaderAndIsr: one error code per partition — STALE_CONTROLLER_EPOCH for a leader epoch older
   * than the one known here (the state is then left alone), NONE otherwise.
   */
  leaderAndIsr(partitions: readonly CachedPartitionState[]): number[] {
    return partitions.map((p) => (this.put(p, false) ? ErrorCode.NONE : ErrorCode.STALE_CONTROLLER_EPOCH))
  }

  /** Removes partitions (StopReplica with delete). */
  removePartitions(partitions: readonly { topicName: string; partitionIndex: number }[]): void {
    for (const p of partitions) this.remove(p.topicName, p.partitionIndex)
  }

  hasTopic(name: string): boolean {
    return this.topics.has(name)
  }

  topicNames(): string[] {
    return [...this.topics.keys()]
  }

  private put(p: CachedPartitionState, equalEpochWins: boolean): boolean {
    this.dirty.add(p.topicName)
    let t = this.topics.get(p.topicName)
    const current = t?.partitions.get(p.partitionIndex)
    if (current !== undefined) {
      if (p.leaderEpoch < current.leaderEpoch) return false
      if (
        !equalEpochWins &&
        p.leaderEpoch === current.leaderEpoch &&
        p.partitionEpoch < current.partitionEpoch
      )
        return false
    }
    if (t === undefined || (p.topicId !== ZERO_UUID && t.topicId !== p.topicId)) {
      // A new topic, or a new incarnation of a deleted one under the same name.
      t = { topicId: p.topicId, partitions: new Map() }
      this.topics.set(p.topicName, t)
    }
    t.partitions.set(
      p.partitionIndex,
      makePartition({
        partition: p.partitionIndex,
        leader: p.leader,
        leaderEpoch: p.leaderEpoch,
        partitionEpoch: p.partitionEpoch,
        replicas: p.replicas,
        isr: p.isr,
        offlineReplicas: p.offlineReplicas ?? current?.offlineReplicas ?? [],
      }),
    )
    return true
  }

  private remove(topic: string, partition: number): void {
    this.dirty.add(topic)
    const t = this.topics.get(topic)
    if (t === undefined) return
    t.partitions.delete(partition)
    if (t.partitions.size === 0) this.topics.delete(topic)
  }

  /**
   * The image: topics whose partitions 0..n-1 are all known (a topic mid-expansion shows its
   * first contiguous partitions), with the given configs.
   */
  image(p: {
    version: number
    clusterId: string
    self: BrokerRegistration | null
    topicConfigs: (topic: string) => ReadonlyMap<string, string>
    brokerConfigs: BrokerConfigsImage
  }): MetadataImage {
    const brokers = new Map(this.brokers)
    if (!this.updated && p.self !== null) brokers.set(p.self.id, p.self)
    const topics: TopicImage[] = []
    for (const name of this.dirty) if (!this.topics.has(name)) this.built.delete(name)
    for (const [name, t] of this.topics) {
      const configs = p.topicConfigs(name)
      const previous = this.built.get(name)
      if (previous !== undefined && !this.dirty.has(name) && previous.configs === configs) {
        topics.push(previous)
        continue
      }
      const partitions: PartitionImage[] = []
      for (let i = 0; t.partitions.has(i); i++) partitions.push(t.partitions.get(i)!)
      if (partitions.length === 0 || t.topicId === ZERO_UUID) {
        this.built.delete(name)
        continue
      }
      const image = makeTopic({ name: name as never, topicId: t.topicId, partitions, configs })
      this.built.set(name, image)
      topics.push(image)
    }
    this.dirty.clear()
    return makeImage({
      version: p.version,
      clusterId: p.clusterId,
      controllerId: this.controllerId,
      brokers,
      topics,
      brokerConfigs: p.brokerConfigs,
    })
  }

  get localBrokerId(): number {
    return this.localId
  }
}
