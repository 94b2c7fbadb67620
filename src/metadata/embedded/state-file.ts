// The embedded store's state file, `samsa-metadata.json` in the first log dir. It is replaced whole
// on every change (temp file, fsync, rename, directory fsync), so it is always one complete version.
// Format (version 1):
//
//   {
//     "version": 1,
//     "clusterId": "<22-char Uuid>",
//     "nodeId": 1,
//     "epoch": 7,                               // +1 on every write
//     "topics": [
//       { "name": "orders", "topicId": "<Uuid>", "configs": { "retention.ms": "3600000" },
//         "partitions": [ { "partition": 0, "leader": 1, "leaderEpoch": 0, "partitionEpoch": 0,
//                           "replicas": [1], "isr": [1] } ] }
//     ],
//     "brokerConfigs": { "clusterDefault": { "k": "v" }, "perBroker": { "1": { "k": "v" } } }
//   }
//
// Reading is strict: anything unexpected is a CorruptState error rather than a guess.

import type { TopicName, Uuid } from '../../common/ids.ts'
import { MetadataError, MetadataErrorCode } from '../errors.ts'
import { type BrokerConfigsImage, makePartition, makeTopic, type TopicImage } from '../image.ts'
import { invalidTopicNameReason } from '../topic-name.ts'
import { isUuid } from '../uuid.ts'

export const STATE_FILE = 'samsa-metadata.json'
export const STATE_VERSION = 1

export interface PersistedState {
  readonly clusterId: string
  readonly nodeId: number
  readonly epoch: number
  readonly topics: readonly TopicImage[]
  readonly brokerConfigs: BrokerConfigsImage
}

export function encodeState(s: PersistedState): Buffer {
  const doc = {
    version: STATE_VERSION,
    clusterId: s.clusterId,
    nodeId: s.nodeId,
    epoch: s.epoch,
    topics: s.topics.map((t) => ({
      name: t.name,
      topicId: t.topicId,
      configs: Object.fromEntries(t.configs),
      partitions: t.partitions.map((p) => ({
        partition: p.partition,
        leader: p.leader,
        leaderEpoch: p.leaderEpoch,
        partitionEpoch: p.partitionEpoch,
        replicas: p.replicas,
        isr: p.isr,
      })),
    })),
    brokerConfigs: {
      clusterDefault: Object.fromEntries(s.brokerConfigs.clusterDefault),
      perBroker: Object.fromEntries(
        [...s.brokerConfigs.perBroker].map(([id, m]) => [String(id), Object.fromEntries(m)]),
      ),
    },
  }
  return Buffer.from(`${JSON.stringify(doc, null, 1)}\n`, 'utf8')
}

type Json = unknown

export function decodeState(bytes: Uint8Array, path: string): PersistedState {
  const bad = (why: string) => new MetadataError(MetadataErrorCode.CorruptState, `${path}: ${why}`)
  let doc: Json
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'))
  } catch (e) {
    throw bad(`not valid JSON (${(e as Error).message})`)
  }
  const obj = (v: Json, what: string): Record<string, Json> => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(`${what} must be an object`)
    return v as Record<string, Json>
  }
  const int = (v: Json, what: string, min = Number.MIN_SAFE_INTEGER): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)
      throw bad(`${what} must be an integer >= ${min}`)
    return v
  }
  const ints = (v: Json, what: string): number[] => {
    if (!Array.isArray(v)) throw bad(`${what} must be an array`)
    return v.map((x, i) => int(x, `${what}[${i}]`, 0))
  }
  const strings = (v: Json, what: string): Map<string, string> => {
    const m = new Map<string, string>()
    for (const [k, x] of Object.entries(obj(v, what))) {
      if (typeof x !== 'string') throw bad(`${what}.${k} must be a string`)
      m.set(k, x)
    }
    return m
  }

  const root = obj(doc, 'the state')
  if (root.version !== STATE_VERSION) throw bad(`unknown version ${JSON.stringify(root.version)}`)
  if (typeof root.clusterId !== 'string' || root.clusterId === '') throw bad('clusterId must be a string')
  const nodeId = int(root.nodeId, 'nodeId', 0)
  const epoch = int(root.epoch, 'epoch', 0)
  if (!Array.isArray(root.topics)) throw bad('topics must be an array')
  const names = new Set<string>()
  const ids = new Set<string>()
  const topics = root.topics.map((raw, ti) => {
    const t = obj(raw, `topics[${ti}]`)
    if (typeof t.name !== 'string' || invalidTopicNameReason(t.name) !== null)
      throw bad(`topics[${ti}].name is not a topic name`)
    if (typeof t.topicId !== 'string' || !isUuid(t.topicId)) throw bad(`topics[${ti}].topicId is not a Uuid`)
    if (names.has(t.name) || ids.has(t.topicId)) throw bad(`topic ${t.name} appears twice`)
    names.add(t.name)
    ids.add(t.topicId)
    if (!Array.isArray(t.partitions) || t.partitions.length === 0)
      throw bad(`topic ${t.name} has no partitions`)
    const partitions = t.partitions.map((rawP, pi) => {
      const p = obj(rawP, `${t.name}[${pi}]`)
      if (p.partition !== pi) throw bad(`${t.name}: partition ${pi} is out of order`)
      const replicas = ints(p.replicas, `${t.name}-${pi}.replicas`)
      const isr = ints(p.isr, `${t.name}-${pi}.isr`)
      if (replicas.length === 0) throw bad(`${t.name}-${pi} has no replicas`)
      if (!isr.every((b) => replicas.includes(b)))
        throw bad(`${t.name}-${pi}: ISR is not a subset of the replicas`)
      return makePartition({
        partition: pi,
        leader: int(p.leader, `${t.name}-${pi}.leader`, -1),
        leaderEpoch: int(p.leaderEpoch, `${t.name}-${pi}.leaderEpoch`, 0),
        partitionEpoch: int(p.partitionEpoch, `${t.name}-${pi}.partitionEpoch`, 0),
        replicas,
        isr,
      })
    })
    return makeTopic({
      name: t.name as TopicName,
      topicId: t.topicId as Uuid,
      partitions,
      configs: strings(t.configs, `${t.name}.configs`),
    })
  })
  const bc = obj(root.brokerConfigs, 'brokerConfigs')
  const perBroker = new Map<number, Map<string, string>>()
  for (const [id, m] of Object.entries(obj(bc.perBroker, 'brokerConfigs.perBroker'))) {
    if (!/^\d+$/.test(id)) throw bad(`brokerConfigs.perBroker has a non-numeric broker id ${id}`)
    perBroker.set(Number(id), strings(m, `brokerConfigs.perBroker.${id}`))
  }
  return {
    clusterId: root.clusterId,
    nodeId,
    epoch,
    topics,
    brokerConfigs: { clusterDefault: strings(bc.clusterDefault, 'brokerConfigs.clusterDefault'), perBroker },
  }
}
