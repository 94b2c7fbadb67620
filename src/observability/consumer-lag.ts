// Consumer lag as the broker sees it: for each group this broker coordinates, each partition it
// committed an offset for, lag = the partition's end (high watermark: what a read_uncommitted
// consumer can reach, as kafka-consumer-groups' LOG-END-OFFSET) minus the committed offset, never
// below 0. Partitions with no replica on this broker have no end here and are left out. Computed at
// scrape time only; pure, so it is unit tested on its own.

export interface CommittedOffsets {
  readonly group: string
  readonly topics: readonly {
    readonly name: string
    readonly partitions: readonly { readonly partitionIndex: number; readonly committedOffset: bigint }[]
  }[]
}

export interface PartitionLag {
  readonly group: string
  readonly topic: string
  readonly partition: number
  readonly committed: bigint
  readonly end: bigint
  readonly lag: bigint
}

export interface LagReport {
  readonly partitions: readonly PartitionLag[]
  /** Sum per group and topic (kafka_exporter's kafka_consumergroup_lag_sum). */
  readonly byTopic: readonly { group: string; topic: string; lag: bigint }[]
  /** Sum per group. */
  readonly byGroup: readonly { group: string; lag: bigint }[]
}

/** `endOffset` returns null for a partition this broker has no replica of. */
export function consumerLag(
  groups: Iterable<CommittedOffsets>,
  endOffset: (topic: string, partition: number) => bigint | null,
): LagReport {
  const partitions: PartitionLag[] = []
  const byTopic: { group: string; topic: string; lag: bigint }[] = []
  const byGroup: { group: string; lag: bigint }[] = []
  for (const g of groups) {
    let groupLag = 0n
    let any = false
    for (const t of g.topics) {
      let topicLag = 0n
      let anyInTopic = false
      for (const p of t.partitions) {
        if (p.committedOffset < 0n) continue
        const end = endOffset(t.name, p.partitionIndex)
        if (end === null) continue
        const lag = end > p.committedOffset ? end - p.committedOffset : 0n
        partitions.push({
          group: g.group,
          topic: t.name,
          partition: p.partitionIndex,
          committed: p.committedOffset,
          end,
          lag,
        })
        topicLag += lag
        anyInTopic = true
      }
      if (!anyInTopic) continue
      byTopic.push({ group: g.group, topic: t.name, lag: topicLag })
      groupLag += topicLag
      any = true
    }
    if (any) byGroup.push({ group: g.group, lag: groupLag })
  }
  return { partitions, byTopic, byGroup }
}
