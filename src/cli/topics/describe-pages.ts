// kafka-topics.sh --describe through DescribeTopicPartitions (KIP-966): the pages of the answer
// gathered into whole topics, as Kafka's admin client does for TopicCommand. Each request names the
// topics still to describe (those from the cursor's topic on, sorted) with the limit the user chose
// (--partition-size-limit-per-response, 2000 by default) and the broker's NextCursor of the previous
// page, until a page comes back without one. The transport is a parameter so the paging can be
// checked against the broker's own handler without a socket.

/** One request of the sequence, as the pager asks for it. */
export interface PageRequest {
  topics: string[]
  limit: number
  cursor: { topicName: string; partitionIndex: number } | null
}

export interface PagePartition {
  partitionIndex: number
  leaderId: number
  replicaNodes: number[]
  isrNodes: number[]
  eligibleLeaderReplicas: number[] | null
  lastKnownElr: number[] | null
}

export interface PageTopic {
  errorCode: number
  name: string | null
  /** As the transport gives it (the caller turns it into Kafka's text form). */
  topicId: string
  partitions: PagePartition[]
}

export interface PageResponse {
  topics: PageTopic[]
  nextCursor: { topicName: string; partitionIndex: number } | null
}

export interface DescribedTopic {
  name: string
  topicId: string
  partitions: PagePartition[]
}

export interface DescribeResult {
  /** Topics answered without error, by name, partitions in index order. */
  topics: Map<string, DescribedTopic>
  /** Topics answered with an error code (e.g. deleted since they were listed). */
  errors: Map<string, number>
  /** How many requests it took. */
  requests: number
}

/** The default of --partition-size-limit-per-response (Kafka's). */
export const DEFAULT_PARTITION_LIMIT = 2000

/** Describes `names` (none: nothing is asked) page by page through `send`. */
export async function describeByPages(
  send: (req: PageRequest) => Promise<PageResponse>,
  names: readonly string[],
  limit: number,
): Promise<DescribeResult> {
  const sorted = [...new Set(names)].sort()
  const result: DescribeResult = { topics: new Map(), errors: new Map(), requests: 0 }
  if (sorted.length === 0) return result
  let cursor: PageRequest['cursor'] = null
  for (;;) {
    const from = cursor?.topicName
    const topics = from === undefined ? sorted : sorted.filter((n) => n >= from)
    const res = await send({ topics, limit, cursor })
    result.requests++
    for (const t of res.topics) {
      if (t.name === null) continue
      if (t.errorCode !== 0) {
        result.errors.set(t.name, t.errorCode)
        continue
      }
      const seen = result.topics.get(t.name)
      if (seen === undefined)
        result.topics.set(t.name, { name: t.name, topicId: t.topicId, partitions: [...t.partitions] })
      else seen.partitions.push(...t.partitions)
    }
    const next = res.nextCursor
    if (next === null) break
    if (cursor !== null && !after(next, cursor)) {
      throw new Error(
        `DescribeTopicPartitions made no progress: cursor ${next.topicName}:${next.partitionIndex} ` +
          `after ${cursor.topicName}:${cursor.partitionIndex}`,
      )
    }
    cursor = { topicName: next.topicName, partitionIndex: next.partitionIndex }
  }
  for (const t of result.topics.values()) t.partitions.sort((a, b) => a.partitionIndex - b.partitionIndex)
  return result
}

function after(a: NonNullable<PageRequest['cursor']>, b: NonNullable<PageRequest['cursor']>): boolean {
  if (a.topicName !== b.topicName) return a.topicName > b.topicName
  return a.partitionIndex > b.partitionIndex
}
