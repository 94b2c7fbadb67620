// DescribeTopicPartitions: v0 (KIP-966, flexible). The paginated describe `kafka-topics.sh --describe`
// uses (through the admin client's describeTopics) when the broker advertises it.
//
// Kafka's semantics (DescribeTopicPartitionsRequestHandler + the metadata cache's describe):
// - An empty topic list means every topic (internal ones included); otherwise the listed ones
//   (duplicates answered once). Either way the topics are answered sorted by name, and only those
//   whose name is >= the cursor's topic.
// - A cursor with a negative partition index, or whose topic is not among the topics to describe
//   (with an empty list: not an existing topic), makes the whole request INVALID_REQUEST: every
//   listed topic answered with that code and no partitions.
// - The page holds at most min(ResponsePartitionLimit, max.request.partition.size.limit) partitions
//   (at least 1). The cursor's partition index is where its topic starts; other topics start at 0.
//   When a topic does not fit, its partitions up to the limit are answered and NextCursor names the
//   first one left out; when the limit ends exactly at a topic's end and more topics follow,
//   NextCursor is (next topic, 0) — whether or not that topic exists.
// - A listed topic that does not exist: UNKNOWN_TOPIC_OR_PARTITION (INVALID_TOPIC_EXCEPTION for an
//   illegal name), zero topic id, no partitions; it takes no room in the page.
// - Partitions: error code always NONE (unlike Metadata); leader -1 when it is not a live broker with
//   an endpoint on the request's listener; replicas and ISR unfiltered; offline replicas from the
//   image. EligibleLeaderReplicas and LastKnownElr are empty lists, as Kafka answers for partitions
//   without ELR (KIP-966's ELR is not enabled: a Kafka broker whose metadata has none answers []).
//   A ZooKeeper-mode Kafka broker does not serve this API at all; Samsa serves it in both modes from
//   its metadata image.
// - TopicAuthorizedOperations: left at its default (-2147483648), as Kafka 4's handler leaves it.
//
// With an authorizer: topics the caller may not DESCRIBE are left out of an all-topics answer and
// answer TOPIC_AUTHORIZATION_FAILED when named.

import { type TopicName, ZERO_UUID } from '../../common/ids.ts'
import type { BrokerConfig } from '../../config/broker-config.ts'
import { INTERNAL_TOPICS, type MetadataImage, type TopicImage } from '../../metadata/image.ts'
import type { MetadataStore } from '../../metadata/store.ts'
import { validateTopicName } from '../../metadata/topic-name.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type DescribeTopicPartitionsRequest,
  type DescribeTopicPartitionsResponse,
  describeTopicPartitionsRequestCodec,
  describeTopicPartitionsResponseCodec,
  type DescribeTopicPartitionsResponseDescribeTopicPartitionsResponsePartition as PartitionResult,
  type DescribeTopicPartitionsResponseDescribeTopicPartitionsResponseTopic as TopicResult,
} from '../../protocol/generated/messages/describe-topic-partitions.ts'
import { AclOperation } from '../../security/acl-types.ts'
import { type Authorizing, callerOf, topicChecker } from '../../security/authorizer-check.ts'
import type { Handler } from '../handler.ts'
import { AUTHORIZED_OPS_NOT_REQUESTED, liveBrokers } from './metadata-brokers.ts'

export interface DescribeTopicPartitionsServices extends Authorizing {
  readonly metadata: MetadataStore
  brokerConfig(): BrokerConfig
}

function unknownTopic(name: string): TopicResult {
  return {
    errorCode:
      validateTopicName(name) === null
        ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
        : ErrorCode.INVALID_TOPIC_EXCEPTION,
    name: name as TopicName,
    topicId: ZERO_UUID,
    isInternal: INTERNAL_TOPICS.has(name),
    partitions: [],
    topicAuthorizedOperations: AUTHORIZED_OPS_NOT_REQUESTED,
  }
}

function partitionResults(
  topic: TopicImage,
  start: number,
  end: number,
  live: ReadonlySet<number>,
): PartitionResult[] {
  const out: PartitionResult[] = []
  for (let i = start; i < end; i++) {
    const p = topic.partitions[i]
    out.push({
      errorCode: ErrorCode.NONE,
      partitionIndex: p.partition,
      leaderId: (live.has(p.leader) ? p.leader : -1) as PartitionResult['leaderId'],
      leaderEpoch: p.leaderEpoch,
      replicaNodes: [...p.replicas] as PartitionResult['replicaNodes'],
      isrNodes: [...p.isr] as PartitionResult['isrNodes'],
      eligibleLeaderReplicas: [],
      lastKnownElr: [],
      offlineReplicas: [...p.offlineReplicas] as PartitionResult['offlineReplicas'],
    })
  }
  return out
}

/**
 * One page of the answer, or null when the request is invalid (INVALID_REQUEST). `live` is the set
 * of brokers with an endpoint on the request's listener; `brokerLimit` is
 * max.request.partition.size.limit.
 */
export function describePage(
  image: MetadataImage,
  req: DescribeTopicPartitionsRequest,
  live: ReadonlySet<number>,
  brokerLimit: number,
  /** With an authorizer: whether the caller may DESCRIBE a topic (others are hidden or refused). */
  describable: ((topic: string) => boolean) | null = null,
): DescribeTopicPartitionsResponse | null {
  const cursor = req.cursor
  const cursorTopic = cursor?.topicName ?? ''
  const all = req.topics.length === 0
  const wanted = all ? [...image.topics.keys()] : req.topics.map((t) => t.name as string)
  const names = [...new Set(wanted.filter((n) => n >= cursorTopic))].sort()
  if (cursor !== null && (cursor.partitionIndex < 0 || !names.includes(cursorTopic))) return null

  let remaining = Math.max(Math.min(brokerLimit, req.responsePartitionLimit), 1)
  const topics: TopicResult[] = []
  let nextCursor: DescribeTopicPartitionsResponse['nextCursor'] = null
  for (const name of names) {
    if (remaining === 0) {
      nextCursor = { topicName: name as TopicName, partitionIndex: 0 }
      break
    }
    if (describable !== null && !describable(name)) {
      if (!all) topics.push({ ...unknownTopic(name), errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })
      continue
    }
    const topic = image.topics.get(name)
    if (topic === undefined) {
      if (!all) topics.push(unknownTopic(name))
      continue
    }
    const count = topic.partitions.length
    const start = cursor !== null && name === cursorTopic ? cursor.partitionIndex : 0
    const end = Math.min(count, start + remaining)
    topics.push({
      errorCode: ErrorCode.NONE,
      name: topic.name,
      topicId: topic.topicId,
      isInternal: INTERNAL_TOPICS.has(name),
      partitions: start < end ? partitionResults(topic, start, end, live) : [],
      topicAuthorizedOperations: AUTHORIZED_OPS_NOT_REQUESTED,
    })
    if (end < count) {
      nextCursor = { topicName: topic.name, partitionIndex: end }
      break
    }
    remaining -= Math.max(end - start, 0)
  }
  return { throttleTimeMs: 0, topics, nextCursor }
}

export const describeTopicPartitionsHandler: Handler<
  DescribeTopicPartitionsRequest,
  DescribeTopicPartitionsResponse,
  DescribeTopicPartitionsServices
> = {
  apiKey: 75,
  minVersion: 0,
  maxVersion: 0,
  request: describeTopicPartitionsRequestCodec,
  response: describeTopicPartitionsResponseCodec,

  handle(ctx, req, services) {
    const image = services.metadata.image()
    const live = new Set(liveBrokers(image, ctx.connection.listener).keys())
    const limit = services.brokerConfig().maxRequestPartitionSizeLimit
    const caller = callerOf(services.authorizer, ctx.connection)
    const describable = caller === null ? null : topicChecker(caller, AclOperation.DESCRIBE)
    const res = describePage(image, req, live, limit, describable)
    const cursor = req.cursor === null ? '-' : `${req.cursor.topicName}:${req.cursor.partitionIndex}`
    if (res === null) {
      ctx.log.debug(`DescribeTopicPartitions refused: invalid cursor ${cursor}`)
      return describeTopicPartitionsHandler.errorResponse!(req, ctx.apiVersion, ErrorCode.INVALID_REQUEST)
    }
    const next =
      res.nextCursor === null ? '-' : `${res.nextCursor.topicName}:${res.nextCursor.partitionIndex}`
    ctx.log.debug(
      `DescribeTopicPartitions: ${req.topics.length} topic(s), limit ${req.responsePartitionLimit}, ` +
        `cursor ${cursor}, next cursor ${next}`,
    )
    return res
  },

  errorResponse(req, _version, errorCode) {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        errorCode,
        name: t.name,
        topicId: ZERO_UUID,
        isInternal: false,
        partitions: [],
        topicAuthorizedOperations: AUTHORIZED_OPS_NOT_REQUESTED,
      })),
      nextCursor: null,
    }
  },
}
