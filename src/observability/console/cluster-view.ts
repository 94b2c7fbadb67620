// Read-only views for the console: the cluster overview and the topics, from the metadata image
// (brokers, controller, leaders, ISR: what Metadata answers) and the replicas hosted here (log
// sizes and offsets: what DescribeLogDirs and ListOffsets answer). Topic configs are described by
// the function DescribeConfigs uses. A partition with no replica on this broker has no sizes here.

import { ConfigSource } from '../../config/config-entry.ts'
import { describeTopicConfigs } from '../../config/topic-config.ts'
import type { MetadataImage, PartitionImage, TopicImage } from '../../metadata/image.ts'
import { brokerLayers } from '../../server/handlers/alter-configs-shared.ts'
import { ApiError } from './console-http.ts'
import type { ConsoleDeps } from './console-services.ts'

const SOURCE_NAMES = new Map<number, string>(Object.entries(ConfigSource).map(([k, v]) => [v, k]))

const underReplicated = (p: PartitionImage) => p.isr.length < p.replicas.length
const offline = (image: MetadataImage, p: PartitionImage) => p.leader < 0 || !image.brokers.has(p.leader)

export function overview(d: ConsoleDeps) {
  const image = d.image()
  const self = d.services.nodeId
  let partitions = 0
  let under = 0
  let off = 0
  let leadersHere = 0
  let replicasHere = 0
  for (const t of image.topics.values())
    for (const p of t.partitions) {
      partitions++
      if (underReplicated(p)) under++
      if (offline(image, p)) off++
      if (p.leader === self) leadersHere++
      if (p.replicas.includes(self)) replicasHere++
    }
  const groups = d.services.groupCoordinator.listGroups([], []).groups.length
  return {
    clusterId: image.clusterId,
    nodeId: self,
    controllerId: image.controllerId,
    activeController: d.isActiveController(),
    brokers: [...image.brokers.values()]
      .sort((a, b) => a.id - b.id)
      .map((b) => ({
        id: b.id,
        host: b.host,
        port: b.port,
        rack: b.rack,
        endpoints: b.endpoints.map((e) => `${e.listenerName}://${e.host}:${e.port}`),
        controller: b.id === image.controllerId,
        self: b.id === self,
      })),
    topics: [...image.topics.values()].filter((t) => !t.internal).length,
    internalTopics: [...image.topics.values()].filter((t) => t.internal).length,
    partitions,
    underReplicatedPartitions: under,
    offlinePartitions: off,
    leadersHere,
    replicasHere,
    groupsHere: groups,
    readOnly: d.readOnly,
  }
}

/** The local replica's offsets and size, or null when this broker has none. */
function local(d: ConsoleDeps, topic: string, index: number) {
  const part = d.services.replicaManager.partition(topic, index)
  if (part === null) return null
  return {
    logStartOffset: part.log.logStartOffset,
    logEndOffset: part.log.logEndOffset,
    highWatermark: part.highWatermark,
    size: part.log.size,
    leader: part.isLeader,
  }
}

function summary(d: ConsoleDeps, image: MetadataImage, t: TopicImage) {
  let size = 0
  let messages = 0n
  for (const p of t.partitions) {
    const l = local(d, t.name, p.partition)
    if (l === null) continue
    size += l.size
    messages += l.highWatermark - l.logStartOffset
  }
  return {
    name: t.name,
    topicId: t.topicId,
    internal: t.internal,
    partitions: t.partitions.length,
    replicationFactor: t.partitions[0]?.replicas.length ?? 0,
    underReplicated: t.partitions.filter(underReplicated).length,
    offline: t.partitions.filter((p) => offline(image, p)).length,
    size,
    messages,
    configOverrides: t.configs.size,
  }
}

export function topicList(d: ConsoleDeps) {
  const image = d.image()
  return [...image.topics.values()]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((t) => summary(d, image, t))
}

export function topicOf(d: ConsoleDeps, name: string): TopicImage {
  const t = d.image().topics.get(name)
  if (t === undefined) throw new ApiError(404, `unknown topic ${name}`, 3)
  return t
}

export function topicDetail(d: ConsoleDeps, name: string) {
  const image = d.image()
  const t = topicOf(d, name)
  const configs = describeTopicConfigs(t.configs, brokerLayers(d.services, image)).map((e) => ({
    name: e.name,
    value: e.isSensitive ? null : e.value,
    source: SOURCE_NAMES.get(e.source) ?? 'UNKNOWN',
    override: e.source === ConfigSource.DYNAMIC_TOPIC_CONFIG,
    sensitive: e.isSensitive,
    readOnly: e.readOnly,
    documentation: e.documentation,
  }))
  return {
    ...summary(d, image, t),
    partitionDetails: t.partitions.map((p) => ({
      partition: p.partition,
      leader: p.leader,
      leaderEpoch: p.leaderEpoch,
      replicas: p.replicas,
      isr: p.isr,
      offlineReplicas: p.offlineReplicas,
      underReplicated: underReplicated(p),
      local: local(d, t.name, p.partition),
    })),
    configs,
  }
}
