// Metadata: v0-12 (flexible from v9). Brokers reachable on the request's listener, cluster id (v2+),
// controller id (v1+: this node in single-node mode), topics with partitions: leader, leader epoch
// (v7+), replicas, ISR, offline replicas (v5+), internal flag (v1+), topic ids (v10+), lookups by
// topic id (v12: unknown ids answer UNKNOWN_TOPIC_ID with a null name).
//
// Which topics: v0 with an empty list, or v1+ with a null list, means every topic; otherwise the
// listed ones (duplicates answered once). Topic ids in a v10-11 request, or a null name before v12,
// make the whole request INVALID_REQUEST, as Kafka does.
//
// Auto-creation (Kafka's rule): a requested topic that does not exist is created when
// `auto.create.topics.enable` is on, the request allows it (`allowAutoTopicCreation`, v4+; always
// true before v4) and the request did not ask for every topic. Names Kafka would refuse answer
// INVALID_TOPIC_EXCEPTION; otherwise the topic gets num.partitions / default.replication.factor, or
// for __consumer_offsets and __transaction_state the partitions, replication factor and configs of
// the offsets.topic.* / transaction.state.log.* settings, as Kafka's coordinators ask for them.
// Kafka creates asynchronously and answers the first request with a retriable error
// (UNKNOWN_TOPIC_OR_PARTITION in KRaft mode, LEADER_NOT_AVAILABLE in ZooKeeper mode); our creation
// is synchronous and durable before we answer, so the topic comes back ready in the same response,
// which saves clients a retry round. A creation that fails answers the store's error code (e.g.
// INVALID_REPLICATION_FACTOR when default.replication.factor exceeds the live brokers), as
// ZooKeeper-mode Kafka did. Without auto-creation an unknown topic answers UNKNOWN_TOPIC_OR_PARTITION
// (INVALID_TOPIC_EXCEPTION for an illegal name).
//
// Partitions (Kafka's metadata cache rules): a leader that is not a live broker gives
// LEADER_NOT_AVAILABLE and leader -1; a live leader without an endpoint on this listener gives
// LISTENER_NOT_FOUND (v6+) or LEADER_NOT_AVAILABLE (v0-5); v0 lists only live replicas and answers
// REPLICA_NOT_AVAILABLE when some are missing.
//
// Authorized operations (v8+): -2147483648 unless asked for; when asked, every operation the
// resource supports without an authorizer, else those the authorizer allows the caller.
//
// With an authorizer (Kafka's rules): topics the caller may not DESCRIBE are left out of an
// all-topics answer and answer TOPIC_AUTHORIZATION_FAILED when named (never auto-created); a
// missing topic is auto-created only with CREATE on the cluster or on the topic, else
// TOPIC_AUTHORIZATION_FAILED. One check per topic.

import type { BrokerId, TopicName, Uuid } from '../../common/ids.ts'
import { ZERO_UUID } from '../../common/ids.ts'
import type { BrokerConfig } from '../../config/broker-config.ts'
import { INTERNAL_TOPICS, type MetadataImage, type TopicImage } from '../../metadata/image.ts'
import type { CreateTopicRequest, MetadataStore } from '../../metadata/store.ts'
import { validateTopicName } from '../../metadata/topic-name.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type MetadataRequest,
  type MetadataResponse,
  type MetadataResponseMetadataResponsePartition,
  type MetadataResponseMetadataResponseTopic,
  metadataRequestCodec,
  metadataResponseCodec,
} from '../../protocol/generated/messages/metadata.ts'
import { AclOperation, CLUSTER_NAME, ResourceType } from '../../security/acl-types.ts'
import {
  type Authorizing,
  allows,
  allowsCluster,
  authorizedOps,
  type Caller,
  callerOf,
  topicChecker,
} from '../../security/authorizer-check.ts'
import type { Handler, RequestContext } from '../handler.ts'
import { type TopicsReadyHook, topicsReady } from './create-topics.ts'
import {
  AUTHORIZED_OPS_NOT_REQUESTED,
  type BrokerAddress,
  CLUSTER_AUTHORIZED_OPS,
  liveBrokers,
  TOPIC_AUTHORIZED_OPS,
} from './metadata-brokers.ts'

/** How to auto-create an internal topic: partitions, replication factor and topic configs. */
export interface InternalTopicSpec {
  readonly numPartitions: number
  readonly replicationFactor: number
  readonly configs: readonly { readonly name: string; readonly value: string }[]
}

export interface MetadataServices extends TopicsReadyHook, Authorizing {
  /** This broker's node id. */
  readonly nodeId: number
  readonly metadata: MetadataStore
  /** The broker config in effect (auto.create.topics.enable, offsets.topic.*, transaction.state.log.*). */
  brokerConfig(): BrokerConfig
  /**
   * Optional: how to auto-create an internal topic (a coordinator's own spec). Absent, or returning
   * undefined: Kafka's specs for __consumer_offsets and __transaction_state from the broker config;
   * other internal topics (__share_group_state) are not auto-created.
   */
  internalTopicSpec?(name: string): InternalTopicSpec | undefined
}

/** Kafka's auto-creation spec of an internal topic, from the broker config; undefined if none. */
export function defaultInternalTopicSpec(name: string, config: BrokerConfig): InternalTopicSpec | undefined {
  if (name === '__consumer_offsets')
    return {
      numPartitions: config.offsetsTopicNumPartitions,
      replicationFactor: config.offsetsTopicReplicationFactor,
      configs: [
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'compression.type', value: 'producer' },
        { name: 'segment.bytes', value: String(config.offsetsTopicSegmentBytes) },
      ],
    }
  if (name === '__transaction_state')
    return {
      numPartitions: config.transactionStateLogNumPartitions,
      replicationFactor: config.transactionStateLogReplicationFactor,
      configs: [
        { name: 'unclean.leader.election.enable', value: 'false' },
        { name: 'compression.type', value: 'uncompressed' },
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'min.insync.replicas', value: String(config.transactionStateLogMinIsr) },
        { name: 'segment.bytes', value: String(config.transactionStateLogSegmentBytes) },
      ],
    }
  return undefined
}

type TopicResult = MetadataResponseMetadataResponseTopic

function errorTopic(errorCode: number, name: string | null, topicId: Uuid = ZERO_UUID): TopicResult {
  return {
    errorCode,
    name: name as TopicName | null,
    topicId,
    isInternal: name !== null && INTERNAL_TOPICS.has(name),
    partitions: [],
    topicAuthorizedOperations: AUTHORIZED_OPS_NOT_REQUESTED,
  }
}

function partitionResults(
  topic: TopicImage,
  brokers: ReadonlyMap<number, BrokerAddress>,
  image: MetadataImage,
  version: number,
): MetadataResponseMetadataResponsePartition[] {
  const filterDead = version === 0
  const live = (ids: readonly number[]) => (filterDead ? ids.filter((id) => brokers.has(id)) : [...ids])
  return topic.partitions.map((p) => {
    const replicas = live(p.replicas)
    const isr = live(p.isr)
    let errorCode: number = ErrorCode.NONE
    let leaderId = p.leader
    if (!brokers.has(p.leader)) {
      leaderId = -1
      errorCode =
        image.brokers.has(p.leader) && version >= 6
          ? ErrorCode.LISTENER_NOT_FOUND
          : ErrorCode.LEADER_NOT_AVAILABLE
    } else if (replicas.length < p.replicas.length || isr.length < p.isr.length) {
      errorCode = ErrorCode.REPLICA_NOT_AVAILABLE
    }
    return {
      errorCode,
      partitionIndex: p.partition,
      leaderId: leaderId as BrokerId,
      leaderEpoch: p.leaderEpoch,
      replicaNodes: replicas as BrokerId[],
      isrNodes: isr as BrokerId[],
      offlineReplicas: [...p.offlineReplicas] as BrokerId[],
    }
  })
}

function topicResult(
  topic: TopicImage,
  brokers: ReadonlyMap<number, BrokerAddress>,
  image: MetadataImage,
  version: number,
  withOps: boolean,
  caller: Caller | null,
): TopicResult {
  return {
    errorCode: ErrorCode.NONE,
    name: topic.name,
    topicId: topic.topicId,
    isInternal: topic.internal,
    partitions: partitionResults(topic, brokers, image, version),
    topicAuthorizedOperations: !withOps
      ? AUTHORIZED_OPS_NOT_REQUESTED
      : caller === null
        ? TOPIC_AUTHORIZED_OPS
        : authorizedOps(caller, ResourceType.TOPIC, topic.name),
  }
}

/** The creation request for a topic Metadata auto-creates, or null when it must not be created. */
function creationFor(
  name: string,
  services: MetadataServices,
  config: BrokerConfig,
): CreateTopicRequest | null {
  if (!INTERNAL_TOPICS.has(name)) return { name, numPartitions: -1, replicationFactor: -1 }
  const spec = services.internalTopicSpec?.(name) ?? defaultInternalTopicSpec(name, config)
  return spec ? { name, ...spec } : null
}

/** Creates the creatable ones of `names`; returns name → error code for those that failed. */
async function autoCreate(
  names: readonly string[],
  services: MetadataServices,
  config: BrokerConfig,
  ctx: RequestContext,
): Promise<Map<string, number>> {
  const failed = new Map<string, number>()
  const requests: CreateTopicRequest[] = []
  for (const name of names) {
    if (validateTopicName(name) !== null) failed.set(name, ErrorCode.INVALID_TOPIC_EXCEPTION)
    else {
      const req = creationFor(name, services, config)
      if (req) requests.push(req)
      else failed.set(name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    }
  }
  if (requests.length === 0) return failed
  const results = await services.metadata.createTopics(requests)
  for (const r of results) {
    if (r.errorCode === ErrorCode.NONE || r.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS) continue
    ctx.log.info(`Auto-creation of topic ${r.name} failed: ${r.errorMessage ?? r.errorCode}`)
    failed.set(r.name, r.errorCode)
  }
  const created = results.filter((r) => r.errorCode === ErrorCode.NONE)
  for (const r of created)
    ctx.log.info(
      `Auto-created topic ${r.name} with ${r.numPartitions} partition(s), replication factor ${r.replicationFactor}`,
    )
  await topicsReady(
    services,
    created.map((r) => r.name),
    ctx.log,
  )
  return failed
}

function requestError(req: MetadataRequest, version: number): string | null {
  if (req.topics === null || (version === 0 && req.topics.length === 0) || version >= 12) return null
  for (const t of req.topics) {
    if (t.name === null) return `Topic name can not be null for version ${version}`
    if (t.topicId !== ZERO_UUID) return `Topic IDs are not supported in requests for version ${version}`
  }
  return null
}

export const metadataHandler: Handler<MetadataRequest, MetadataResponse, MetadataServices> = {
  apiKey: 3,
  minVersion: 0,
  maxVersion: 12,
  request: metadataRequestCodec,
  response: metadataResponseCodec,

  async handle(ctx, req, services) {
    const version = ctx.apiVersion
    const invalid = requestError(req, version)
    if (invalid !== null) {
      ctx.log.debug(`Metadata request refused: ${invalid}`)
      return metadataHandler.errorResponse!(req, version, ErrorCode.INVALID_REQUEST)
    }
    const config = services.brokerConfig()
    const allTopics = req.topics === null || (version === 0 && req.topics.length === 0)
    const withOps = version >= 8 && req.includeTopicAuthorizedOperations

    let image = services.metadata.image()
    const results: TopicResult[] = []
    let names: string[]
    if (allTopics) {
      names = [...image.topics.keys()].sort()
    } else {
      const ids = [...new Set(req.topics!.map((t) => t.topicId).filter((id) => id !== ZERO_UUID))]
      if (ids.length > 0) {
        // Lookups by id (v12): names given alongside are ignored, as Kafka does.
        names = []
        for (const id of ids) {
          const topic = image.topicsById.get(id)
          if (topic) names.push(topic.name)
          else results.push(errorTopic(ErrorCode.UNKNOWN_TOPIC_ID, null, id))
        }
      } else {
        names = [...new Set(req.topics!.map((t) => t.name).filter((n): n is TopicName => n !== null))]
      }
    }

    const caller = callerOf(services.authorizer, ctx.connection)
    let denied: Set<string> | null = null
    if (caller !== null) {
      const describable = topicChecker(caller, AclOperation.DESCRIBE)
      if (allTopics) names = names.filter(describable)
      else denied = new Set(names.filter((n) => !describable(n)))
    }
    const missing = names.filter((n) => !image.topics.has(n) && !denied?.has(n))
    let failed = new Map<string, number>()
    if (missing.length > 0) {
      if (config.autoCreateTopicsEnable && req.allowAutoTopicCreation && !allTopics) {
        let creatable = missing
        if (caller !== null) {
          const anyTopic = allowsCluster(caller, AclOperation.CREATE)
          creatable = missing.filter(
            (n) => anyTopic || allows(caller, AclOperation.CREATE, ResourceType.TOPIC, n),
          )
        }
        failed = creatable.length === 0 ? new Map() : await autoCreate(creatable, services, config, ctx)
        for (const n of missing)
          if (!creatable.includes(n)) failed.set(n, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
        image = services.metadata.image()
      } else {
        for (const n of missing)
          failed.set(
            n,
            validateTopicName(n) === null
              ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
              : ErrorCode.INVALID_TOPIC_EXCEPTION,
          )
      }
    }

    const brokers = liveBrokers(image, ctx.connection.listener)
    for (const name of names) {
      const topic = image.topics.get(name)
      const code = failed.get(name)
      if (denied?.has(name)) {
        // Looked up by id: the name is not told to a caller who may not see it.
        const byId = req.topics?.some((t) => t.topicId !== ZERO_UUID && t.topicId === topic?.topicId)
        results.push(
          byId && topic
            ? errorTopic(ErrorCode.TOPIC_AUTHORIZATION_FAILED, null, topic.topicId)
            : errorTopic(ErrorCode.TOPIC_AUTHORIZATION_FAILED, name),
        )
      } else if (topic && code === undefined)
        results.push(topicResult(topic, brokers, image, version, withOps, caller))
      else results.push(errorTopic(code ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name))
    }

    return {
      throttleTimeMs: 0,
      brokers: [...brokers.values()].map((b) => ({ nodeId: b.id, host: b.host, port: b.port, rack: b.rack })),
      clusterId: image.clusterId,
      controllerId: image.controllerId as BrokerId,
      topics: results,
      clusterAuthorizedOperations:
        version >= 8 && version <= 10 && req.includeClusterAuthorizedOperations
          ? caller === null
            ? CLUSTER_AUTHORIZED_OPS
            : authorizedOps(caller, ResourceType.CLUSTER, CLUSTER_NAME)
          : AUTHORIZED_OPS_NOT_REQUESTED,
    }
  },

  errorResponse(req, _version, errorCode) {
    return {
      ...metadataResponseCodec.defaults(0),
      topics: (req.topics ?? []).map((t) => ({
        ...errorTopic(errorCode, t.name ?? '', t.topicId),
        isInternal: false,
      })),
    }
  },
}
