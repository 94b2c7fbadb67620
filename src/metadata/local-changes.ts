// What one metadata change means for the replicas of one broker, computed once per change (Kafka's
// TopicsDelta.localChanges / LocalReplicaChanges): partitions to stop hosting (and whether their
// logs go, when the topic itself is gone), partitions this broker now leads, partitions it now
// follows, and hosted topics whose configs changed. The replica manager applies exactly these;
// nothing rescans the whole image. Unchanged topics are skipped by identity: every store keeps the
// TopicImage object of a topic that did not change.

import type { MetadataImage, PartitionImage, TopicImage } from './image.ts'

export interface LocalPartition {
  readonly topic: TopicImage
  readonly partition: PartitionImage
}

export interface LocalRemoval {
  readonly topic: TopicImage
  readonly partition: number
  /** The topic (this incarnation of it) is gone: delete the log. Else the replica moved away. */
  readonly deleteLog: boolean
}

export interface LocalReplicaChanges {
  readonly removals: readonly LocalRemoval[]
  /** New or changed partitions this broker leads. */
  readonly leaders: readonly LocalPartition[]
  /** New or changed partitions this broker hosts and does not lead. */
  readonly followers: readonly LocalPartition[]
  /** Hosted topics (present before and after) whose effective config may have changed. */
  readonly configChanged: readonly TopicImage[]
}

function samePartition(a: PartitionImage, b: PartitionImage): boolean {
  if (a === b) return true
  return (
    a.leader === b.leader &&
    a.leaderEpoch === b.leaderEpoch &&
    a.partitionEpoch === b.partitionEpoch &&
    sameIds(a.replicas, b.replicas) &&
    sameIds(a.isr, b.isr) &&
    sameIds(a.offlineReplicas, b.offlineReplicas)
  )
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

const hosts = (p: PartitionImage, brokerId: number) => p.replicas.includes(brokerId)

/** `previous` null: everything in `next` is new (startup). */
export function localChanges(
  previous: MetadataImage | null,
  next: MetadataImage,
  brokerId: number,
): LocalReplicaChanges {
  const removals: LocalRemoval[] = []
  const leaders: LocalPartition[] = []
  const followers: LocalPartition[] = []
  const configChanged: TopicImage[] = []
  const brokerConfigsChanged = previous !== null && previous.brokerConfigs !== next.brokerConfigs

  if (previous !== null) {
    for (const before of previous.topics.values()) {
      const after = next.topics.get(before.name)
      if (after !== undefined && after.topicId === before.topicId) continue
      for (const p of before.partitions)
        if (hosts(p, brokerId)) removals.push({ topic: before, partition: p.partition, deleteLog: true })
    }
  }
  for (const topic of next.topics.values()) {
    const before = previous?.topics.get(topic.name)
    const same = before !== undefined && before.topicId === topic.topicId ? before : undefined
    if (same === topic && !brokerConfigsChanged) continue
    let hostedBefore = false
    let hostedAfter = false
    for (const p of topic.partitions) {
      const old = same?.partitions[p.partition]
      const wasHere = old !== undefined && hosts(old, brokerId)
      hostedBefore ||= wasHere
      if (!hosts(p, brokerId)) {
        if (wasHere) removals.push({ topic, partition: p.partition, deleteLog: false })
        continue
      }
      hostedAfter = true
      if (wasHere && samePartition(old, p)) continue
      if (p.leader === brokerId) leaders.push({ topic, partition: p })
      else followers.push({ topic, partition: p })
    }
    if (
      same !== undefined &&
      hostedBefore &&
      hostedAfter &&
      (brokerConfigsChanged || same.configs !== topic.configs)
    )
      configChanged.push(topic)
  }
  return { removals, leaders, followers, configChanged }
}
