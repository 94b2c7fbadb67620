// CreateTopics: v0-7 (flexible from v5). Validation and placement are the metadata store's (Kafka's
// controller checks, in its order, with its codes and messages: INVALID_TOPIC_EXCEPTION,
// TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR, INVALID_REPLICA_ASSIGNMENT,
// INVALID_CONFIG, INVALID_REQUEST for duplicates or assignments mixed with counts); this handler
// maps the request and the results.
//
// - numPartitions / replicationFactor -1 take num.partitions / default.replication.factor (a v4+
//   feature; older requests carrying -1 are accepted as well, as KRaft does).
// - validateOnly (v1+): every check runs, nothing is created; the result is what creation would
//   give (topic id all zeros).
// - A name given twice answers one INVALID_REQUEST "Duplicate topic name." entry; __cluster_metadata
//   is refused with INVALID_REQUEST, as Kafka does.
// - Results: error message v1+; from v5 the partition count, replication factor and every topic
//   config with its value and source (sorted by name; sensitive values null), from v7 the topic id.
// - timeoutMs is not needed: creation is durable before the answer. Logs appear when the broker
//   applies the store's change (MetadataStore.subscribe), not in this handler.

import type { TopicName } from '../../common/ids.ts'
import { ZERO_UUID } from '../../common/ids.ts'
import type { BrokerConfig } from '../../config/broker-config.ts'
import { legacyConfigWarning } from '../../config/legacy-configs.ts'
import { describeTopicConfigs } from '../../config/topic-config.ts'
import { dynamicLayersOf } from '../../metadata/image.ts'
import type { CreateTopicRequest, CreateTopicResult, MetadataStore } from '../../metadata/store.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type CreateTopicsRequest,
  type CreateTopicsResponse,
  type CreateTopicsResponseCreatableTopicConfigs,
  type CreateTopicsResponseCreatableTopicResult,
  createTopicsRequestCodec,
  createTopicsResponseCodec,
} from '../../protocol/generated/messages/create-topics.ts'
import { AclOperation, ResourceType } from '../../security/acl-types.ts'
import { type Authorizing, allows, allowsCluster, callerOf } from '../../security/authorizer-check.ts'
import type { Handler } from '../handler.ts'

export interface TopicsReadyHook {
  /**
   * Optional: resolves once this broker serves the partitions of these topics (their logs exist),
   * awaited before answering a creation, so a client producing right after the answer finds them.
   * Without it the answer comes as soon as the change is durable, and a request racing the log
   * creation gets a retriable error.
   */
  awaitTopicsReady?(topics: readonly string[]): Promise<void>
}

export interface CreateTopicsServices extends TopicsReadyHook, Authorizing {
  /** This broker's node id. */
  readonly nodeId: number
  readonly metadata: MetadataStore
  /** The broker config in effect: its static layer gives topic config defaults. */
  brokerConfig(): BrokerConfig
}

/** Awaits awaitTopicsReady when there is one; a failure is logged, the creation stands. */
export async function topicsReady(
  services: TopicsReadyHook,
  topics: readonly string[],
  log: { error(msg: string, err?: unknown): void },
): Promise<void> {
  if (topics.length === 0 || !services.awaitTopicsReady) return
  try {
    await services.awaitTopicsReady(topics)
  } catch (e) {
    log.error(`Partitions of ${topics.join(', ')} are not ready`, e)
  }
}

const CLUSTER_METADATA_TOPIC = '__cluster_metadata'

type Result = CreateTopicsResponseCreatableTopicResult

function failure(name: string, errorCode: number, errorMessage: string | null): Result {
  return {
    name: name as TopicName,
    topicId: ZERO_UUID,
    errorCode,
    errorMessage,
    topicConfigErrorCode: ErrorCode.NONE,
    numPartitions: -1,
    replicationFactor: -1,
    configs: [],
  }
}

function describedConfigs(
  r: CreateTopicResult,
  services: CreateTopicsServices,
): CreateTopicsResponseCreatableTopicConfigs[] {
  const layers = {
    static: services.brokerConfig().static,
    ...dynamicLayersOf(services.metadata.image(), services.nodeId),
  }
  return describeTopicConfigs(r.configs, layers)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((e) => ({
      name: e.name,
      value: e.value,
      readOnly: e.readOnly,
      configSource: e.source,
      isSensitive: e.isSensitive,
    }))
}

export const createTopicsHandler: Handler<CreateTopicsRequest, CreateTopicsResponse, CreateTopicsServices> = {
  apiKey: 19,
  minVersion: 0,
  maxVersion: 7,
  request: createTopicsRequestCodec,
  response: createTopicsResponseCodec,

  async handle(ctx, req, services) {
    const counts = new Map<string, number>()
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1)

    const results: Result[] = []
    const toCreate: CreateTopicRequest[] = []
    for (const [name, n] of counts) {
      if (n > 1) results.push(failure(name, ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'))
      else if (name === CLUSTER_METADATA_TOPIC)
        results.push(
          failure(
            name,
            ErrorCode.INVALID_REQUEST,
            `Creation of internal topic ${CLUSTER_METADATA_TOPIC} is prohibited.`,
          ),
        )
    }
    // With an authorizer: CREATE on the cluster, or on each topic (else TOPIC_AUTHORIZATION_FAILED).
    const caller = callerOf(services.authorizer, ctx.connection)
    const anyTopic = caller === null || allowsCluster(caller, AclOperation.CREATE)
    for (const t of req.topics) {
      if (counts.get(t.name)! > 1 || t.name === CLUSTER_METADATA_TOPIC) continue
      if (!anyTopic && !allows(caller!, AclOperation.CREATE, ResourceType.TOPIC, t.name)) {
        results.push(failure(t.name, ErrorCode.TOPIC_AUTHORIZATION_FAILED, null))
        continue
      }
      toCreate.push({
        name: t.name,
        numPartitions: t.numPartitions,
        replicationFactor: t.replicationFactor,
        assignments: t.assignments.map((a) => ({ partitionIndex: a.partitionIndex, brokerIds: a.brokerIds })),
        configs: t.configs.map((c) => ({ name: c.name, value: c.value })),
      })
    }

    const created =
      toCreate.length === 0
        ? []
        : await services.metadata.createTopics(toCreate, { validateOnly: req.validateOnly })
    const withConfigs = ctx.apiVersion >= 5
    for (const r of created) {
      if (r.errorCode !== ErrorCode.NONE) {
        results.push(failure(r.name, r.errorCode, r.errorMessage))
        continue
      }
      if (!req.validateOnly) {
        ctx.log.info(
          `Created topic ${r.name} with ${r.numPartitions} partition(s), replication factor ${r.replicationFactor}`,
        )
        for (const c of toCreate.find((t) => t.name === r.name)?.configs ?? []) {
          const warning = legacyConfigWarning(c.name)
          if (warning !== null) ctx.log.warn(`Topic ${r.name}: ${warning}`)
        }
      }
      results.push({
        name: r.name as TopicName,
        topicId: r.topicId,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        topicConfigErrorCode: ErrorCode.NONE,
        numPartitions: r.numPartitions,
        replicationFactor: r.replicationFactor,
        configs: withConfigs ? describedConfigs(r, services) : [],
      })
    }
    if (!req.validateOnly)
      await topicsReady(
        services,
        created.filter((r) => r.errorCode === ErrorCode.NONE).map((r) => r.name),
        ctx.log,
      )
    // Answer in request order.
    const order = new Map([...counts.keys()].map((n, i) => [n, i]))
    results.sort((a, b) => order.get(a.name)! - order.get(b.name)!)
    return { throttleTimeMs: 0, topics: results }
  },

  errorResponse(req, _version, errorCode) {
    const seen = new Set<string>()
    const topics: Result[] = []
    for (const t of req.topics) {
      if (seen.has(t.name)) continue
      seen.add(t.name)
      topics.push(failure(t.name, errorCode, null))
    }
    return { throttleTimeMs: 0, topics }
  },
}
