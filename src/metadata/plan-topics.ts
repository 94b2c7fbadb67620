// Pure planning of topic operations against an image: validate each item as Kafka's controller does
// (same checks, same order, same error codes and messages) and compute the new topics. No I/O; a
// store persists the plan and publishes the resulting image. Shared by every MetadataStore.

import { asTopicName, type Uuid, ZERO_UUID } from '../common/ids.ts'
import type { BrokerConfigLayers } from '../config/broker-config.ts'
import { validateTopicConfigs } from '../config/topic-config.ts'
import { ErrorCode } from '../protocol/generated/error-codes.ts'
import {
  dynamicLayersOf,
  type MetadataImage,
  makePartition,
  makeTopic,
  type PartitionImage,
  type TopicImage,
} from './image.ts'
import type {
  CreatePartitionsRequest,
  CreateTopicRequest,
  CreateTopicResult,
  DeleteTopicRequest,
  DeleteTopicResult,
  ResourceResult,
} from './store.ts'
import { collidingTopic, validateTopicName } from './topic-name.ts'

/** KRaft refuses an operation that would write more records than this in one batch. */
export const MAX_PARTITIONS_PER_REQUEST = 10000

export interface PlanContext {
  readonly image: MetadataImage
  /** The node applying the plan: its dynamic configs take part in topic config validation. */
  readonly nodeId: number
  /** Brokers replicas may be placed on, ascending. */
  readonly brokerIds: readonly number[]
  readonly defaultNumPartitions: number
  readonly defaultReplicationFactor: number
  /** Static broker config (server.properties and overrides), for effective topic defaults. */
  readonly staticBrokerConfig: ReadonlyMap<string, string>
  readonly newTopicId: () => Uuid
  /**
   * Replica placement for new partitions (cluster mode: Kafka's rack-aware assignment); default:
   * consecutive brokers from the partition's index. Returns the replicas by partition, or a refusal.
   */
  readonly assign?: (
    numPartitions: number,
    replicationFactor: number,
    startPartitionId: number,
  ) => Map<number, number[]> | { readonly errorCode: number; readonly error: string }
}

export function brokerLayers(ctx: PlanContext): BrokerConfigLayers {
  return { static: ctx.staticBrokerConfig, ...dynamicLayersOf(ctx.image, ctx.nodeId) }
}

class Refusal {
  readonly code: number
  readonly message: string | null
  constructor(code: number, message: string | null) {
    this.code = code
    this.message = message
  }
}
const refuse = (code: number, message: string | null = null) => new Refusal(code, message)

/** Replicas of a new partition: consecutive brokers starting at the partition's index. */
function place(partition: number, replicationFactor: number, brokerIds: readonly number[]): number[] {
  const replicas: number[] = []
  for (let i = 0; i < replicationFactor; i++) replicas.push(brokerIds[(partition + i) % brokerIds.length]!)
  return replicas
}

/** Replicas of partitions start..start+count-1, by the context's placement. */
function placeAll(ctx: PlanContext, count: number, rf: number, start: number): number[][] | Refusal {
  if (ctx.assign === undefined)
    return Array.from({ length: count }, (_, i) => place(start + i, rf, ctx.brokerIds))
  const r = ctx.assign(count, rf, start)
  if (!(r instanceof Map)) return refuse(r.errorCode, r.error)
  return Array.from({ length: count }, (_, i) => r.get(start + i)!)
}

function newPartition(partition: number, replicas: readonly number[]): PartitionImage {
  return makePartition({
    partition,
    leader: replicas[0] ?? -1,
    leaderEpoch: 0,
    partitionEpoch: 0,
    replicas,
    isr: replicas,
  })
}

/** Kafka's checks of one manual assignment; `replicationFactor` is that of earlier partitions. */
function checkAssignment(
  brokerIds: readonly number[],
  replicas: readonly number[],
  replicationFactor: number | null,
) {
  if (replicas.length === 0)
    return refuse(
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      'The manual partition assignment includes an empty replica list.',
    )
  const sorted = [...replicas].sort((a, b) => a - b)
  for (let i = 0; i < sorted.length; i++) {
    if (!brokerIds.includes(sorted[i]!))
      return refuse(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `The manual partition assignment includes broker ${sorted[i]}, but no such broker is registered.`,
      )
    if (i > 0 && sorted[i] === sorted[i - 1])
      return refuse(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `The manual partition assignment includes the broker ${sorted[i]} more than once.`,
      )
  }
  if (replicationFactor !== null && sorted.length !== replicationFactor)
    return refuse(
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      `The manual partition assignment includes a partition with ${sorted.length} replica(s), but this is not consistent with previous partitions, which have ${replicationFactor} replica(s).`,
    )
  return null
}

function planPartitions(ctx: PlanContext, req: CreateTopicRequest): PartitionImage[] | Refusal {
  const assignments = req.assignments ?? []
  if (assignments.length > 0) {
    if (req.replicationFactor !== -1)
      return refuse(
        ErrorCode.INVALID_REQUEST,
        'A manual partition assignment was specified, but replication factor was not set to -1.',
      )
    if (req.numPartitions !== -1)
      return refuse(
        ErrorCode.INVALID_REQUEST,
        'A manual partition assignment was specified, but numPartitions was not set to -1.',
      )
    const byIndex = new Map<number, PartitionImage>()
    let rf: number | null = null
    for (const a of assignments) {
      if (byIndex.has(a.partitionIndex))
        return refuse(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `Found multiple manual partition assignments for partition ${a.partitionIndex}`,
        )
      const problem = checkAssignment(ctx.brokerIds, a.brokerIds, rf)
      if (problem) return problem
      rf = a.brokerIds.length
      byIndex.set(a.partitionIndex, newPartition(a.partitionIndex, a.brokerIds))
    }
    const partitions: PartitionImage[] = []
    for (let i = 0; i < byIndex.size; i++) {
      const p = byIndex.get(i)
      if (!p)
        return refuse(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          'partitions should be a consecutive 0-based integer sequence',
        )
      partitions.push(p)
    }
    return partitions
  }
  if (req.replicationFactor < -1 || req.replicationFactor === 0)
    return refuse(
      ErrorCode.INVALID_REPLICATION_FACTOR,
      'Replication factor must be larger than 0, or -1 to use the default value.',
    )
  if (req.numPartitions < -1 || req.numPartitions === 0)
    return refuse(
      ErrorCode.INVALID_PARTITIONS,
      'Number of partitions was set to an invalid non-positive value.',
    )
  const count = req.numPartitions === -1 ? ctx.defaultNumPartitions : req.numPartitions
  const rf = req.replicationFactor === -1 ? ctx.defaultReplicationFactor : req.replicationFactor
  if (rf > ctx.brokerIds.length)
    return refuse(
      ErrorCode.INVALID_REPLICATION_FACTOR,
      `Unable to replicate the partition ${rf} time(s): The target replication factor of ${rf} cannot be reached because only ${ctx.brokerIds.length} broker(s) are registered.`,
    )
  if (count > MAX_PARTITIONS_PER_REQUEST)
    return refuse(ErrorCode.POLICY_VIOLATION, 'Unable to perform excessively large batch operation.')
  const placed = placeAll(ctx, count, rf, 0)
  if (placed instanceof Refusal) return placed
  return placed.map((replicas, p) => newPartition(p, replicas))
}

export interface CreateTopicsPlan {
  readonly results: CreateTopicResult[]
  readonly created: TopicImage[]
}

export function planCreateTopics(
  ctx: PlanContext,
  requests: readonly CreateTopicRequest[],
): CreateTopicsPlan {
  const counts = new Map<string, number>()
  for (const r of requests) counts.set(r.name, (counts.get(r.name) ?? 0) + 1)
  const names = new Set(ctx.image.topics.keys())
  const created: TopicImage[] = []
  let budget = MAX_PARTITIONS_PER_REQUEST
  const results = requests.map((req): CreateTopicResult => {
    const failed = (r: Refusal): CreateTopicResult => ({
      name: req.name,
      topicId: ZERO_UUID,
      errorCode: r.code,
      errorMessage: r.message,
      numPartitions: -1,
      replicationFactor: -1,
      configs: new Map(),
    })
    if (counts.get(req.name)! > 1) return failed(refuse(ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'))
    const invalid = validateTopicName(req.name)
    if (invalid) return failed(refuse(ErrorCode.INVALID_TOPIC_EXCEPTION, invalid))
    if (names.has(req.name))
      return failed(refuse(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${req.name}' already exists.`))
    const collision = collidingTopic(req.name, names)
    if (collision)
      return failed(
        refuse(
          ErrorCode.INVALID_TOPIC_EXCEPTION,
          `Topic '${req.name}' collides with existing topic: ${collision}`,
        ),
      )
    const configs = new Map<string, string | null>((req.configs ?? []).map((c) => [c.name, c.value]))
    const configProblem = validateTopicConfigs(configs, brokerLayers(ctx))
    if (configProblem) return failed(refuse(configProblem.errorCode, configProblem.message))
    const partitions = planPartitions(ctx, req)
    if (partitions instanceof Refusal) return failed(partitions)
    if (partitions.length > budget)
      return failed(
        refuse(ErrorCode.POLICY_VIOLATION, 'Unable to perform excessively large batch operation.'),
      )
    budget -= partitions.length
    let topicId = ctx.newTopicId()
    while (ctx.image.topicsById.has(topicId) || created.some((t) => t.topicId === topicId))
      topicId = ctx.newTopicId()
    const stored = configs as Map<string, string>
    const topic = makeTopic({ name: asTopicName(req.name), topicId, partitions, configs: stored })
    created.push(topic)
    names.add(req.name)
    return {
      name: req.name,
      topicId,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      numPartitions: partitions.length,
      replicationFactor: partitions[0]?.replicas.length ?? 0,
      configs: stored,
    }
  })
  return { results, created }
}

export interface DeleteTopicsPlan {
  readonly results: DeleteTopicResult[]
  readonly deleted: TopicImage[]
}

export function planDeleteTopics(
  image: MetadataImage,
  requests: readonly DeleteTopicRequest[],
): DeleteTopicsPlan {
  const byId = (r: DeleteTopicRequest) =>
    r.topicId !== undefined && r.topicId !== null && r.topicId !== ZERO_UUID
  const keys = requests.map((r) => (byId(r) ? `id:${r.topicId}` : `name:${r.name ?? ''}`))
  const deleted = new Map<string, TopicImage>()
  const results = requests.map((req, i): DeleteTopicResult => {
    const name = req.name ?? null
    const topicId = byId(req) ? req.topicId! : ZERO_UUID
    const fail = (code: number, message: string | null = null) => ({
      name,
      topicId,
      errorCode: code,
      errorMessage: message,
    })
    if (keys.indexOf(keys[i]!) !== keys.lastIndexOf(keys[i]!))
      return fail(ErrorCode.INVALID_REQUEST, byId(req) ? 'Duplicate topic id.' : 'Duplicate topic name.')
    const topic = byId(req)
      ? image.topicsById.get(topicId)
      : name === null
        ? undefined
        : image.topics.get(name)
    if (!topic) return fail(byId(req) ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    deleted.set(topic.name, topic)
    return { name: topic.name, topicId: topic.topicId, errorCode: ErrorCode.NONE, errorMessage: null }
  })
  return { results, deleted: [...deleted.values()] }
}

export interface CreatePartitionsPlan {
  readonly results: ResourceResult[]
  readonly updated: TopicImage[]
}

export function planCreatePartitions(
  ctx: PlanContext,
  requests: readonly CreatePartitionsRequest[],
): CreatePartitionsPlan {
  const counts = new Map<string, number>()
  for (const r of requests) counts.set(r.name, (counts.get(r.name) ?? 0) + 1)
  const updated: TopicImage[] = []
  let budget = MAX_PARTITIONS_PER_REQUEST
  const results = requests.map((req): ResourceResult => {
    const fail = (code: number, message: string | null = null): ResourceResult => ({
      resourceName: req.name,
      errorCode: code,
      errorMessage: message,
    })
    if (counts.get(req.name)! > 1) return fail(ErrorCode.INVALID_REQUEST, 'Duplicate topic name.')
    const topic = ctx.image.topics.get(req.name)
    if (!topic) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${req.name}' does not exist.`)
    const have = topic.partitions.length
    if (req.count === have)
      return fail(ErrorCode.INVALID_PARTITIONS, `Topic already has ${have} partition(s).`)
    if (req.count < have)
      return fail(
        ErrorCode.INVALID_PARTITIONS,
        `The topic ${req.name} currently has ${have} partition(s); ${req.count} would not be an increase.`,
      )
    const additional = req.count - have
    if (additional > budget)
      return fail(ErrorCode.POLICY_VIOLATION, 'Unable to perform excessively large batch operation.')
    const rf = topic.partitions[0]?.replicas.length ?? 1
    const added: PartitionImage[] = []
    if (req.assignments) {
      if (req.assignments.length !== additional)
        return fail(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `Attempted to add ${additional} additional partition(s), but only ${req.assignments.length} assignment(s) were specified.`,
        )
      for (const [i, replicas] of req.assignments.entries()) {
        const problem = checkAssignment(ctx.brokerIds, replicas, rf)
        if (problem) return fail(problem.code, problem.message)
        added.push(newPartition(have + i, replicas))
      }
    } else {
      if (rf > ctx.brokerIds.length)
        return fail(
          ErrorCode.INVALID_REPLICATION_FACTOR,
          `Unable to replicate the partition ${rf} time(s): The target replication factor of ${rf} cannot be reached because only ${ctx.brokerIds.length} broker(s) are registered.`,
        )
      const placed = placeAll(ctx, additional, rf, have)
      if (placed instanceof Refusal) return fail(placed.code, placed.message)
      for (const [i, replicas] of placed.entries()) added.push(newPartition(have + i, replicas))
    }
    budget -= additional
    updated.push(makeTopic({ ...topic, partitions: [...topic.partitions, ...added] }))
    return { resourceName: req.name, errorCode: ErrorCode.NONE, errorMessage: null }
  })
  return { results, updated }
}
