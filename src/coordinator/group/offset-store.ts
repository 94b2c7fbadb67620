// Committed offsets of the groups of one __consumer_offsets partition: group -> topic -> partition ->
// offset. Changed only by replaying records (commits and tombstones), so what a restart loads is
// what was served. Commits whose records are still being written are counted as pending, so that
// expiration does not delete an offset that is about to be replaced (Kafka's pendingOffsetCommits).

export interface OffsetAndMetadata {
  readonly offset: bigint
  /** -1 when the committer did not say. */
  readonly leaderEpoch: number
  readonly metadata: string
  readonly commitTimestamp: number
  /** An explicit expiry from OffsetCommit v2-4's retention time; null otherwise. */
  readonly expireTimestamp: number | null
}

export interface TopicPartitionOffset {
  readonly topic: string
  readonly partition: number
  readonly value: OffsetAndMetadata
}

const pendingKey = (group: string, topic: string, partition: number) =>
  `${group}\u0000${topic}\u0000${partition}`

export class OffsetStore {
  private readonly byGroup = new Map<string, Map<string, Map<number, OffsetAndMetadata>>>()
  private readonly pending = new Map<string, number>()

  get(group: string, topic: string, partition: number): OffsetAndMetadata | undefined {
    return this.byGroup.get(group)?.get(topic)?.get(partition)
  }

  put(group: string, topic: string, partition: number, value: OffsetAndMetadata): void {
    let topics = this.byGroup.get(group)
    if (topics === undefined) {
      topics = new Map()
      this.byGroup.set(group, topics)
    }
    let partitions = topics.get(topic)
    if (partitions === undefined) {
      partitions = new Map()
      topics.set(topic, partitions)
    }
    partitions.set(partition, value)
  }

  remove(group: string, topic: string, partition: number): boolean {
    const topics = this.byGroup.get(group)
    const partitions = topics?.get(topic)
    if (topics === undefined || partitions === undefined || !partitions.delete(partition)) return false
    if (partitions.size === 0) topics.delete(topic)
    if (topics.size === 0) this.byGroup.delete(group)
    return true
  }

  hasOffsets(group: string): boolean {
    return this.byGroup.has(group)
  }

  /** Every committed offset of the group, topic by topic. */
  *groupOffsets(group: string): Generator<TopicPartitionOffset> {
    const topics = this.byGroup.get(group)
    if (topics === undefined) return
    for (const [topic, partitions] of topics)
      for (const [partition, value] of partitions) yield { topic, partition, value }
  }

  /** Topics the group has offsets for. */
  topics(group: string): string[] {
    return [...(this.byGroup.get(group)?.keys() ?? [])]
  }

  /** Groups that have offsets. */
  groups(): string[] {
    return [...this.byGroup.keys()]
  }

  addPending(group: string, topic: string, partition: number): void {
    const k = pendingKey(group, topic, partition)
    this.pending.set(k, (this.pending.get(k) ?? 0) + 1)
  }

  removePending(group: string, topic: string, partition: number): void {
    const k = pendingKey(group, topic, partition)
    const n = (this.pending.get(k) ?? 0) - 1
    if (n <= 0) this.pending.delete(k)
    else this.pending.set(k, n)
  }

  isPending(group: string, topic: string, partition: number): boolean {
    return this.pending.has(pendingKey(group, topic, partition))
  }
}
