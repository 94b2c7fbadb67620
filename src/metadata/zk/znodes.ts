// Kafka 3.x's ZooKeeper layout: every path Samsa reads or writes, and the JSON of each znode, so
// that an operator's `zkCli.sh get /brokers/ids/1` shows what a Kafka broker would have written and
// Kafka's own tools could read it. Pure: paths, encode (object → Buffer) and decode (Buffer →
// object, null when absent or malformed). Callers own the ZooKeeper calls.

import type { Uuid } from '../../common/ids.ts'
import type { BrokerEndpoint, BrokerRegistration } from '../image.ts'

export const ZkPaths = {
  clusterId: '/cluster/id',
  brokers: '/brokers',
  brokerIds: '/brokers/ids',
  broker: (id: number) => `/brokers/ids/${id}`,
  brokerSeqId: '/brokers/seqid',
  topics: '/brokers/topics',
  topic: (t: string) => `/brokers/topics/${t}`,
  partitions: (t: string) => `/brokers/topics/${t}/partitions`,
  partition: (t: string, p: number) => `/brokers/topics/${t}/partitions/${p}`,
  partitionState: (t: string, p: number) => `/brokers/topics/${t}/partitions/${p}/state`,
  controller: '/controller',
  controllerEpoch: '/controller_epoch',
  config: '/config',
  configTopics: '/config/topics',
  configTopic: (t: string) => `/config/topics/${t}`,
  configBrokers: '/config/brokers',
  /** `<default>` is the cluster-wide default entity, as in Kafka. */
  configBroker: (id: number | null) => `/config/brokers/${id === null ? '<default>' : id}`,
  configChanges: '/config/changes',
  /** Prefix of the sequential change notifications under /config/changes. */
  configChangePrefix: '/config/changes/config_change_',
  adminDeleteTopics: '/admin/delete_topics',
  adminDeleteTopic: (t: string) => `/admin/delete_topics/${t}`,
  reassignPartitions: '/admin/reassign_partitions',
  preferredReplicaElection: '/admin/preferred_replica_election',
  isrChangeNotification: '/isr_change_notification',
  logDirEventNotification: '/log_dir_event_notification',
  producerIdBlock: '/latest_producer_id_block',
  feature: '/feature',
} as const

/** Created at startup by every broker, as Kafka's KafkaZkClient.createTopLevelPaths does. */
export const PERSISTENT_PATHS: readonly string[] = [
  '/consumers',
  ZkPaths.brokerIds,
  ZkPaths.topics,
  ZkPaths.configChanges,
  '/admin/delete_topics',
  ZkPaths.brokerSeqId,
  ZkPaths.isrChangeNotification,
  ZkPaths.configTopics,
  '/config/clients',
  '/config/users',
  ZkPaths.configBrokers,
  '/config/ips',
  ZkPaths.logDirEventNotification,
]

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value))
}

function parse(buf: Buffer | null): Record<string, unknown> | null {
  if (buf === null || buf.length === 0) return null
  try {
    const v: unknown = JSON.parse(buf.toString('utf8'))
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null
  } catch {
    return null
  }
}

const isIntArray = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => Number.isInteger(x))

// --- /cluster/id ---

export function encodeClusterId(id: string): Buffer {
  return json({ version: '1', id })
}

export function decodeClusterId(buf: Buffer | null): string | null {
  const o = parse(buf)
  return typeof o?.id === 'string' ? o.id : null
}

// --- /brokers/ids/<id> (ephemeral; version 5 as Kafka 3.x writes it) ---

export function encodeBroker(reg: BrokerRegistration, timestampMs: number): Buffer {
  const protocolMap: Record<string, string> = {}
  for (const e of reg.endpoints) protocolMap[e.listenerName] = e.securityProtocol
  const o: Record<string, unknown> = {
    features: {},
    listener_security_protocol_map: protocolMap,
    endpoints: reg.endpoints.map((e) => `${e.listenerName}://${e.host}:${e.port}`),
    jmx_port: -1,
    port: reg.port,
    host: reg.host,
    version: 5,
    timestamp: String(timestampMs),
  }
  if (reg.rack !== null) o.rack = reg.rack
  return json(o)
}

const ENDPOINT = /^([^:]+):\/\/\[?([^\]]*?)\]?:(\d+)$/

export function decodeBroker(id: number, buf: Buffer | null): BrokerRegistration | null {
  const o = parse(buf)
  if (o === null || !Array.isArray(o.endpoints)) return null
  const map = (o.listener_security_protocol_map ?? {}) as Record<string, string>
  const endpoints: BrokerEndpoint[] = []
  for (const e of o.endpoints) {
    const m = typeof e === 'string' ? ENDPOINT.exec(e) : null
    if (m === null) return null
    const listenerName = m[1]!.toUpperCase()
    endpoints.push({
      listenerName,
      securityProtocol: map[listenerName] ?? listenerName,
      host: m[2]!,
      port: Number(m[3]),
    })
  }
  const first = endpoints[0]
  return {
    id,
    host: typeof o.host === 'string' ? o.host : (first?.host ?? ''),
    port: typeof o.port === 'number' ? o.port : (first?.port ?? -1),
    rack: typeof o.rack === 'string' ? o.rack : null,
    endpoints,
  }
}

// --- /controller (ephemeral) and /controller_epoch ---

export function encodeController(brokerId: number, timestampMs: number): Buffer {
  return json({ version: 2, brokerid: brokerId, timestamp: String(timestampMs), kraftControllerEpoch: -1 })
}

export function decodeController(buf: Buffer | null): number | null {
  const o = parse(buf)
  return Number.isInteger(o?.brokerid) ? (o!.brokerid as number) : null
}

/** /controller_epoch holds the bare number. */
export function encodeControllerEpoch(epoch: number): Buffer {
  return Buffer.from(String(epoch))
}

export function decodeControllerEpoch(buf: Buffer | null): number | null {
  if (buf === null) return null
  const n = Number(buf.toString('utf8').trim())
  return Number.isInteger(n) ? n : null
}

// --- /brokers/topics/<t> (assignment; version 3 carries the topic id) ---

export interface TopicAssignment {
  readonly topicId: Uuid | null
  /** Replicas by partition number. */
  readonly partitions: ReadonlyMap<number, readonly number[]>
  readonly addingReplicas: ReadonlyMap<number, readonly number[]>
  readonly removingReplicas: ReadonlyMap<number, readonly number[]>
}

function mapObject(m: ReadonlyMap<number, readonly number[]>): Record<string, number[]> {
  const o: Record<string, number[]> = {}
  for (const [k, v] of [...m].sort((a, b) => a[0] - b[0])) o[String(k)] = [...v]
  return o
}

function objectMap(v: unknown): Map<number, readonly number[]> | null {
  if (v === undefined || v === null) return new Map()
  if (typeof v !== 'object' || Array.isArray(v)) return null
  const m = new Map<number, readonly number[]>()
  for (const [k, r] of Object.entries(v as Record<string, unknown>)) {
    const p = Number(k)
    if (!Number.isInteger(p) || p < 0 || !isIntArray(r)) return null
    m.set(p, r)
  }
  return m
}

export function encodeTopicAssignment(a: TopicAssignment): Buffer {
  const o: Record<string, unknown> = {
    partitions: mapObject(a.partitions),
    adding_replicas: mapObject(a.addingReplicas),
    removing_replicas: mapObject(a.removingReplicas),
    version: a.topicId === null ? 2 : 3,
  }
  if (a.topicId !== null) o.topic_id = a.topicId
  return json(o)
}

export function decodeTopicAssignment(buf: Buffer | null): TopicAssignment | null {
  const o = parse(buf)
  if (o === null) return null
  const partitions = objectMap(o.partitions)
  const adding = objectMap(o.adding_replicas)
  const removing = objectMap(o.removing_replicas)
  if (partitions === null || adding === null || removing === null) return null
  return {
    topicId: typeof o.topic_id === 'string' ? (o.topic_id as Uuid) : null,
    partitions,
    addingReplicas: adding,
    removingReplicas: removing,
  }
}

// --- /brokers/topics/<t>/partitions/<p>/state ---

export interface PartitionStateZnode {
  readonly leader: number
  readonly leaderEpoch: number
  readonly isr: readonly number[]
  readonly controllerEpoch: number
  /** 0 recovered, 1 recovering (KIP-704). */
  readonly leaderRecoveryState: number
}

export function encodePartitionState(s: PartitionStateZnode): Buffer {
  return json({
    controller_epoch: s.controllerEpoch,
    leader: s.leader,
    version: 1,
    leader_epoch: s.leaderEpoch,
    isr: [...s.isr],
    leader_recovery_state: s.leaderRecoveryState,
  })
}

export function decodePartitionState(buf: Buffer | null): PartitionStateZnode | null {
  const o = parse(buf)
  if (o === null || !Number.isInteger(o.leader) || !Number.isInteger(o.leader_epoch) || !isIntArray(o.isr))
    return null
  return {
    leader: o.leader as number,
    leaderEpoch: o.leader_epoch as number,
    isr: o.isr,
    controllerEpoch: Number.isInteger(o.controller_epoch) ? (o.controller_epoch as number) : 0,
    leaderRecoveryState: Number.isInteger(o.leader_recovery_state) ? (o.leader_recovery_state as number) : 0,
  }
}

// --- /config/<entity type>/<name> and /config/changes/config_change_<seq> ---

export function encodeEntityConfig(configs: ReadonlyMap<string, string>): Buffer {
  return json({ version: 1, config: Object.fromEntries([...configs].sort(([a], [b]) => (a < b ? -1 : 1))) })
}

export function decodeEntityConfig(buf: Buffer | null): Map<string, string> {
  const o = parse(buf)
  const m = new Map<string, string>()
  const c = o?.config
  if (typeof c === 'object' && c !== null && !Array.isArray(c)) {
    for (const [k, v] of Object.entries(c as Record<string, unknown>)) if (typeof v === 'string') m.set(k, v)
  }
  return m
}

/** `entityPath` is e.g. `topics/orders` or `brokers/<default>`. */
export function encodeConfigChange(entityPath: string): Buffer {
  return json({ version: 2, entity_path: entityPath })
}

export function decodeConfigChange(buf: Buffer | null): { entityType: string; entityName: string } | null {
  const o = parse(buf)
  if (typeof o?.entity_path !== 'string') return null
  const slash = o.entity_path.indexOf('/')
  if (slash <= 0) return null
  return { entityType: o.entity_path.slice(0, slash), entityName: o.entity_path.slice(slash + 1) }
}

// --- /latest_producer_id_block ---

export interface ProducerIdBlockZnode {
  readonly brokerId: number
  readonly blockStart: bigint
  /** Inclusive. */
  readonly blockEnd: bigint
}

export function encodeProducerIdBlock(b: ProducerIdBlockZnode): Buffer {
  return json({
    version: 1,
    broker: b.brokerId,
    block_start: b.blockStart.toString(),
    block_end: b.blockEnd.toString(),
  })
}

export function decodeProducerIdBlock(buf: Buffer | null): ProducerIdBlockZnode | null {
  const o = parse(buf)
  if (o === null) return null
  try {
    return {
      brokerId: Number(o.broker),
      blockStart: BigInt(o.block_start as string),
      blockEnd: BigInt(o.block_end as string),
    }
  } catch {
    return null
  }
}

// --- /feature (KIP-584; status 1 = enabled) ---

export function encodeFeatures(): Buffer {
  return json({ features: {}, version: 2, status: 1 })
}
