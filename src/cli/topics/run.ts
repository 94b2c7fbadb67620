// kafka-topics.sh: create, list, describe, alter (partitions) and delete topics, through the
// admin client, printing what Kafka's TopicCommand prints.

import type { Admin } from '@platformatic/kafka'
import { collisionWarning, validateTopicName } from '../../metadata/topic-name.ts'
import { ToolExit } from '../common/exit.ts'
import { IncludeList, isInternalTopic } from '../common/include-list.ts'
import type { Io } from '../common/io.ts'
import {
  closeQuietly,
  errorMessage,
  kafkaErrorId,
  kafkaUuid,
  openAdmin,
  parseBootstrap,
  rawMetadata,
  rawRequest,
  ZERO_UUID,
} from '../common/kafka.ts'
import { loadProps } from '../common/props.ts'
import { describeFlags, describeLines, type TopicInfo } from './describe.ts'
import {
  DEFAULT_PARTITION_LIMIT,
  type DescribedTopic,
  describeByPages,
  type PageRequest,
  type PageResponse,
} from './describe-pages.ts'
import {
  parseReplicaAssignment,
  parseTopicConfigs,
  parseTopicOptions,
  type TopicCommandOptions,
} from './options.ts'

const CONFIG_SOURCE_DEFAULT = 5
const RESOURCE_TOPIC = 2
/** @platformatic/kafka's code for an API the broker does not advertise. */
const UNSUPPORTED_API = 'PLT_KFK_UNSUPPORTED_API'

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const cmd = parseTopicOptions(argv)
  const props = cmd.opts.has('command-config')
    ? loadProps(cmd.opts.value('command-config')!, io.cwd)
    : new Map()
  if (parseBootstrap(cmd.bootstrap) === null) {
    throw new ToolExit(1, `Invalid url in bootstrap.servers: ${cmd.bootstrap}\n`)
  }
  const admin = await openAdmin('adminclient-1', cmd.bootstrap, props)
  try {
    switch (cmd.action) {
      case 'create':
        await createTopic(admin, cmd, io)
        break
      case 'list':
        await listTopics(admin, cmd, io)
        break
      case 'describe':
        await describeTopics(admin, cmd, io)
        break
      case 'alter':
        await alterTopic(admin, cmd)
        break
      case 'delete':
        await deleteTopic(admin, cmd)
        break
    }
    return 0
  } catch (e) {
    if (e instanceof ToolExit) throw e
    io.out(`Error while executing topic command : ${errorMessage(e)}\n`)
    return 1
  } finally {
    await closeQuietly(admin)
  }
}

async function createTopic(admin: Admin, cmd: TopicCommandOptions, io: Io): Promise<void> {
  const { opts } = cmd
  const name = opts.value('topic')!
  const partitions = opts.number('partitions')
  const replicationFactor = opts.number('replication-factor')
  const assignment =
    opts.has('replica-assignment') && opts.value('replica-assignment') !== ''
      ? parseReplicaAssignment(opts.value('replica-assignment')!)
      : null
  const configs = parseTopicConfigs(opts.values('config'))
  const warning = collisionWarning(name)
  if (warning !== null) io.out(`${warning}\n`)
  if (replicationFactor !== undefined && (replicationFactor > 32767 || replicationFactor < 1)) {
    throw new Error('The replication factor must be between 1 and 32767 inclusive')
  }
  if (partitions !== undefined && partitions < 1) throw new Error('The partitions must be greater than 0')
  const invalid = validateTopicName(name)
  if (invalid !== null) throw new Error(invalid)
  try {
    await admin.createTopics({
      topics: [
        assignment === null
          ? { topic: name, partitions: partitions ?? -1, replicas: replicationFactor ?? -1 }
          : {
              topic: name,
              partitions: -1,
              replicas: -1,
              assignments: assignment.map((brokers, partition) => ({ partition, brokers })),
            },
      ],
      configs: [...configs].map(([k, v]) => ({ name: k, value: v })),
    })
    io.out(`Created topic ${name}.\n`)
  } catch (e) {
    if (kafkaErrorId(e) === 'TOPIC_ALREADY_EXISTS' && opts.has('if-not-exists')) return
    throw e
  }
}

/** All topic names (sorted), filtered by --topic as a pattern and --exclude-internal. */
async function matchingTopics(admin: Admin, cmd: TopicCommandOptions): Promise<string[]> {
  const exclude = cmd.opts.has('exclude-internal')
  // From a raw Metadata answer: the client's listTopics() fails when a partition is offline.
  const all = (await rawMetadata(admin, null)).topics
    .map((t) => t.name)
    .filter((n): n is string => n !== null && !(exclude && isInternalTopic(n)))
    .sort()
  const pattern = cmd.opts.value('topic')
  if (pattern === undefined) return all.filter((t) => !(exclude && isInternalTopic(t)))
  const filter = new IncludeList(pattern)
  return all.filter((t) => filter.isTopicAllowed(t, exclude))
}

function ensureTopicExists(found: readonly string[], cmd: TopicCommandOptions): void {
  const requested = cmd.opts.value('topic')
  if (requested !== undefined && requested !== '' && !cmd.opts.has('if-exists') && found.length === 0) {
    throw new Error(`Topic '${requested}' does not exist as expected`)
  }
}

async function listTopics(admin: Admin, cmd: TopicCommandOptions, io: Io): Promise<void> {
  io.out(`${(await matchingTopics(admin, cmd)).join('\n')}\n`)
}

async function describeTopics(admin: Admin, cmd: TopicCommandOptions, io: Io): Promise<void> {
  const { opts } = cmd
  const requestedId = opts.value('topic-id')
  const useId = requestedId !== undefined && requestedId !== ZERO_UUID
  let names: string[]
  if (useId) {
    const all = await rawMetadata(admin, null)
    const excluded = opts.has('exclude-internal')
    names = all.topics
      .filter((t) => kafkaUuid(t.topicId) === requestedId && !(excluded && t.isInternal))
      .map((t) => t.name!)
    if (names.length === 0 && !opts.has('if-exists')) {
      throw new Error(`TopicId '${requestedId}' does not exist as expected`)
    }
  } else {
    names = await matchingTopics(admin, cmd)
    ensureTopicExists(names, cmd)
  }
  if (names.length === 0) return
  // By name, Kafka's admin client pages through DescribeTopicPartitions when the broker has it; by
  // id (and against older brokers) it reads Metadata.
  const limit = opts.number('partition-size-limit-per-response') ?? DEFAULT_PARTITION_LIMIT
  const paged = useId ? null : await describePartitionPages(admin, names, limit)
  const metadata = await rawMetadata(admin, paged === null ? names : [])
  const described: DescribedTopic[] =
    paged ??
    metadata.topics.map((t) => ({
      name: t.name ?? '',
      topicId: t.topicId,
      partitions: t.partitions.map((p) => ({ ...p, eligibleLeaderReplicas: null, lastKnownElr: null })),
    }))
  const configs = await admin.describeConfigs({
    resources: names.map((n) => ({ resourceType: RESOURCE_TOPIC, resourceName: n })),
  })
  const live = new Set(metadata.brokers.map((b) => b.nodeId))
  const flags = describeFlags(opts)
  const byName = new Map(described.map((t) => [t.name, t]))
  for (const name of names) {
    const t = byName.get(name)
    if (t === undefined) continue
    const info: TopicInfo = {
      name,
      topicId: kafkaUuid(t.topicId),
      partitions: t.partitions.map((p) => ({
        partition: p.partitionIndex,
        leader: p.leaderId,
        replicas: p.replicaNodes,
        isr: p.isrNodes,
        elr: p.eligibleLeaderReplicas,
        lastKnownElr: p.lastKnownElr,
      })),
      configs: (configs.find((c) => c.resourceName === name)?.configs ?? []).map((c) => ({
        name: c.name,
        value: c.value ?? null,
        isDefault: c.configSource === CONFIG_SOURCE_DEFAULT,
      })),
    }
    for (const line of describeLines(info, flags, live)) io.out(`${line}\n`)
  }
}

/**
 * The topics described through DescribeTopicPartitions, page by page; null when the broker does not
 * advertise the API (the caller then reads Metadata). Topics answered with an error are left out,
 * as a Metadata answer without them would leave them out.
 */
export async function describePartitionPages(
  admin: Admin,
  names: readonly string[],
  limit: number,
): Promise<DescribedTopic[] | null> {
  const send = async (req: PageRequest): Promise<PageResponse> => {
    try {
      return await rawRequest<PageResponse>(
        admin,
        'DescribeTopicPartitions',
        req.topics.map((name) => ({ name })),
        req.limit,
        req.cursor,
      )
    } catch (e) {
      // The client rejects an answer carrying any error code; the answer itself is still valid.
      const response = (e as { response?: unknown }).response as PageResponse | undefined
      if (response !== undefined && Array.isArray(response.topics)) return response
      throw e
    }
  }
  try {
    const result = await describeByPages(send, names, limit)
    return [...result.topics.values()]
  } catch (e) {
    if ((e as { code?: unknown }).code === UNSUPPORTED_API) return null
    throw e
  }
}

async function alterTopic(admin: Admin, cmd: TopicCommandOptions): Promise<void> {
  const { opts } = cmd
  const assignment =
    opts.has('replica-assignment') && opts.value('replica-assignment') !== ''
      ? parseReplicaAssignment(opts.value('replica-assignment')!)
      : null
  parseTopicConfigs(opts.values('config'))
  const topics = await matchingTopics(admin, cmd)
  ensureTopicExists(topics, cmd)
  if (topics.length === 0) return
  const count = opts.number('partitions')!
  const current = new Map<string, number>()
  if (assignment !== null) {
    const md = await rawMetadata(admin, topics)
    for (const t of md.topics) current.set(t.name!, t.partitions.length)
  }
  await admin.createPartitions({
    topics: topics.map((name) =>
      assignment === null
        ? { name, count }
        : {
            name,
            count,
            assignments: assignment.slice(current.get(name) ?? 0).map((brokerIds) => ({ brokerIds })),
          },
    ),
  })
}

async function deleteTopic(admin: Admin, cmd: TopicCommandOptions): Promise<void> {
  const topics = await matchingTopics(admin, cmd)
  ensureTopicExists(topics, cmd)
  if (topics.length === 0) return
  await admin.deleteTopics({ topics })
}
