// The console's topic changes, through the calls the Kafka handlers make, so validation, errors
// and logging are the same as for kafka-topics.sh / kafka-configs.sh:
// - create: MetadataStore.createTopics (the handler's __cluster_metadata refusal first), then
//   awaitTopicsReady so the answer comes once this broker serves the partitions;
// - delete: delete.topic.enable (TOPIC_DELETION_DISABLED), then MetadataStore.deleteTopics;
// - add partitions: MetadataStore.createPartitions, then awaitTopicsReady;
// - configs: alterResources of IncrementalAlterConfigs (SET / DELETE ops, the same checks, store
//   call and config hooks).
// Failures answer 400 (404 for unknown topics) with the Kafka error code, its name and message.

import type { Logger } from '../../common/logger.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import { alterResources, ResourceType } from '../../server/handlers/alter-configs-shared.ts'
import { topicsReady } from '../../server/handlers/create-topics.ts'
import { ApiError, intField, kafkaError } from './console-http.ts'
import type { ConsoleServices } from './console-services.ts'

const CLUSTER_METADATA_TOPIC = '__cluster_metadata'
const OP_SET = 0
const OP_DELETE = 1

const statusOf = (code: number) =>
  code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION || code === ErrorCode.UNKNOWN_TOPIC_ID ? 404 : 400

function stringMap(v: unknown, what: string): Map<string, string | null> {
  if (v === undefined || v === null) return new Map()
  if (typeof v !== 'object' || Array.isArray(v)) throw new ApiError(400, `${what} must be an object`)
  const out = new Map<string, string | null>()
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (x !== null && typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean')
      throw new ApiError(400, `${what}.${k} must be a string or null`)
    out.set(k, x === null ? null : String(x))
  }
  return out
}

export async function createTopic(s: ConsoleServices, body: Record<string, unknown>, log: Logger) {
  const name = body.name
  if (typeof name !== 'string') throw new ApiError(400, 'name must be a string')
  if (name === CLUSTER_METADATA_TOPIC)
    throw kafkaError(
      ErrorCode.INVALID_REQUEST,
      `Creation of internal topic ${CLUSTER_METADATA_TOPIC} is prohibited.`,
    )
  const configs = [...stringMap(body.configs, 'configs')].map(([n, value]) => ({ name: n, value }))
  const [r] = await s.metadata.createTopics([
    {
      name,
      numPartitions: body.partitions === undefined ? -1 : intField(body.partitions, 'partitions', 1, 1 << 20),
      replicationFactor:
        body.replicationFactor === undefined
          ? -1
          : intField(body.replicationFactor, 'replicationFactor', 1, 32767),
      configs,
    },
  ])
  if (r === undefined || r.errorCode !== ErrorCode.NONE)
    throw kafkaError(r?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR, r?.errorMessage ?? null)
  log.info(
    `Created topic ${r.name} with ${r.numPartitions} partition(s), replication factor ${r.replicationFactor} (console)`,
  )
  await topicsReady(s, [r.name], log)
  return {
    name: r.name,
    topicId: r.topicId,
    partitions: r.numPartitions,
    replicationFactor: r.replicationFactor,
  }
}

export async function deleteTopic(s: ConsoleServices, name: string, log: Logger) {
  if (!s.brokerConfig().deleteTopicEnable)
    throw kafkaError(
      ErrorCode.TOPIC_DELETION_DISABLED,
      'Topic deletion is disabled (delete.topic.enable=false).',
    )
  const [r] = await s.metadata.deleteTopics([{ name }])
  if (r === undefined || r.errorCode !== ErrorCode.NONE)
    throw kafkaError(
      r?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR,
      r?.errorMessage ?? null,
      statusOf(r?.errorCode ?? 0),
    )
  log.info(`Deleted topic ${r.name} (id ${r.topicId}) (console)`)
  return { name: r.name, topicId: r.topicId }
}

export async function addPartitions(
  s: ConsoleServices,
  name: string,
  body: Record<string, unknown>,
  log: Logger,
) {
  const count = intField(body.count, 'count (the new total)', 1, 1 << 20)
  const [r] = await s.metadata.createPartitions([{ name, count, assignments: null }])
  if (r === undefined || r.errorCode !== ErrorCode.NONE)
    throw kafkaError(
      r?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR,
      r?.errorMessage ?? null,
      statusOf(r?.errorCode ?? 0),
    )
  log.info(`Topic ${name} now has ${count} partitions (console)`)
  await topicsReady(s, [name], log)
  return { name, partitions: count }
}

/** Body: {"set": {"retention.ms": "60000"}, "delete": ["cleanup.policy"]}. */
export async function alterTopicConfigs(
  s: ConsoleServices,
  name: string,
  body: Record<string, unknown>,
  log: Logger,
) {
  const set = stringMap(body.set, 'set')
  const del = body.delete ?? []
  if (!Array.isArray(del) || del.some((x) => typeof x !== 'string'))
    throw new ApiError(400, 'delete must be an array of config names')
  const configs = [
    ...[...set].map(([n, value]) => ({ name: n, value, op: OP_SET })),
    ...(del as string[]).map((n) => ({ name: n, value: null, op: OP_DELETE })),
  ]
  if (configs.length === 0) throw new ApiError(400, 'nothing to change: give set and/or delete')
  const [p] = await alterResources([{ resourceType: ResourceType.TOPIC, resourceName: name, configs }], s, {
    mode: 'ops',
    validateOnly: false,
    log,
  })
  if (p === undefined || p.errorCode !== ErrorCode.NONE)
    throw kafkaError(
      p?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR,
      p?.errorMessage ?? null,
      statusOf(p?.errorCode ?? 0),
    )
  log.info(`Altered configs of topic ${name}: ${configs.map((c) => c.name).join(', ')} (console)`)
  return { name, changed: configs.map((c) => c.name) }
}
