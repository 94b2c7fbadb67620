// The ElectLeaders request (api key 43, v0-2) for @platformatic/kafka, which knows the API's name
// but ships no implementation of it: built with the client's own createAPI, Writer and Reader, so
// the request still goes through the third-party client's connections, framing and correlation.
//
//   v0: TopicPartitions (nullable: all partitions), TimeoutMs; preferred elections only
//   v1: ElectionType (int8) first; the response gains a top-level ErrorCode
//   v2: flexible (compact strings and arrays, tagged fields)

import type { Connection, Reader, Writer } from '@platformatic/kafka'
import type { KafkaModule } from '../common/kafka.ts'
import type { TopicPartition } from './options.ts'

export const ELECT_LEADERS_KEY = 43
export const ELECT_LEADERS_MAX_VERSION = 2

export interface ElectLeadersResponse {
  throttleTimeMs: number
  /** 0 before v1. */
  errorCode: number
  results: { topic: string; partitionId: number; errorCode: number; errorMessage: string | null }[]
}

/** Partitions grouped by topic, topics in first-seen order. */
export function groupByTopic(
  partitions: readonly TopicPartition[],
): { topic: string; partitions: number[] }[] {
  const byTopic = new Map<string, number[]>()
  for (const tp of partitions) {
    const list = byTopic.get(tp.topic) ?? []
    list.push(tp.partition)
    byTopic.set(tp.topic, list)
  }
  return [...byTopic].map(([topic, ps]) => ({ topic, partitions: ps }))
}

function writeRequest(
  k: KafkaModule,
  version: number,
  electionType: number,
  partitions: readonly TopicPartition[] | null,
  timeoutMs: number,
): Writer {
  const flexible = version >= 2
  const w = k.Writer.create()
  if (version >= 1) w.appendInt8(electionType)
  w.appendArray(
    partitions === null ? null : groupByTopic(partitions),
    (w, t) => {
      w.appendString(t.topic, flexible).appendArray(t.partitions, (w, p) => w.appendInt32(p), flexible, false)
    },
    flexible,
    flexible,
  )
  w.appendInt32(timeoutMs)
  if (flexible) w.appendTaggedFields()
  return w
}

function readResponse(version: number, r: Reader): ElectLeadersResponse {
  const flexible = version >= 2
  const throttleTimeMs = r.readInt32()
  const errorCode = version >= 1 ? r.readInt16() : 0
  const results: ElectLeadersResponse['results'] = []
  r.readArray(
    (r) => {
      const topic = r.readString(flexible)
      r.readArray(
        (r) => {
          results.push({
            topic,
            partitionId: r.readInt32(),
            errorCode: r.readInt16(),
            errorMessage: r.readNullableString(flexible),
          })
        },
        flexible,
        flexible,
      )
    },
    flexible,
    flexible,
  )
  if (flexible) r.readTaggedFields()
  return { throttleTimeMs, errorCode, results }
}

/** Sends one ElectLeaders request of the given version on a connection and decodes the answer. */
export function sendElectLeaders(
  k: KafkaModule,
  connection: Connection,
  version: number,
  electionType: number,
  partitions: readonly TopicPartition[] | null,
  timeoutMs: number,
): Promise<ElectLeadersResponse> {
  const flexible = version >= 2
  const api = k.createAPI<[], ElectLeadersResponse>(
    ELECT_LEADERS_KEY,
    version,
    () => writeRequest(k, version, electionType, partitions, timeoutMs),
    (_correlationId, _apiKey, _apiVersion, reader) => readResponse(version, reader),
    flexible,
    flexible,
  )
  return api.async(connection)
}
