// Kafka's BrokerTopicMetrics as the JMX exporter's usual rules print them:
// kafka_server_brokertopicmetrics_<name>_total, one series per topic (label `topic`) and one
// without labels for all topics. Updated by the produce and fetch handlers from sizes they already
// have: per partition of a request, a map lookup by topic and a few additions; the message count
// comes from the batch headers (recordsCount), never from the records.
//
// As in Kafka: bytes/messages in count successful appends; bytes out count consumer fetches only
// (follower fetches go to replicationbytesout, all topics only); totalproduce/totalfetch count
// partitions asked for; failedproduce/failedfetch count partitions answered with an error other
// than the expected ones (not leader, unknown partition, fenced or unknown epoch, out of range).

import type { Uuid } from '../common/ids.ts'
import { ErrorCode } from '../protocol/generated/error-codes.ts'
import { BATCH_HEADER_SIZE, BatchOffsets, LOG_OVERHEAD } from '../records/batch-header.ts'
import type { FetchTraffic } from '../server/handlers/fetch.ts'
import type { ProduceTraffic } from '../server/handlers/produce.ts'
import { type CounterSlot, FastCounter } from './fast-metrics.ts'

const NAMES = [
  ['messagesin', 'Records appended (Kafka MessagesInPerSec).'],
  ['bytesin', 'Record batch bytes appended by producers (Kafka BytesInPerSec).'],
  ['bytesout', 'Record batch bytes sent to consumers (Kafka BytesOutPerSec).'],
  [
    'failedproducerequests',
    'Produce partitions failed with an unexpected error (Kafka FailedProduceRequestsPerSec).',
  ],
  [
    'failedfetchrequests',
    'Fetch partitions failed with an unexpected error (Kafka FailedFetchRequestsPerSec).',
  ],
  ['totalproducerequests', 'Produce partitions asked for (Kafka TotalProduceRequestsPerSec).'],
  [
    'totalfetchrequests',
    'Fetch partitions asked for, consumers and followers (Kafka TotalFetchRequestsPerSec).',
  ],
] as const

type Name = (typeof NAMES)[number][0]

interface TopicSlots {
  readonly messagesin: CounterSlot
  readonly bytesin: CounterSlot
  readonly bytesout: CounterSlot
  readonly failedproducerequests: CounterSlot
  readonly failedfetchrequests: CounterSlot
  readonly totalproducerequests: CounterSlot
  readonly totalfetchrequests: CounterSlot
}

/** Errors Kafka does not count as failed produce/fetch requests. */
const EXPECTED: ReadonlySet<number> = new Set([
  ErrorCode.NONE,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.UNKNOWN_TOPIC_ID,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.OFFSET_OUT_OF_RANGE,
  ErrorCode.REPLICA_NOT_AVAILABLE,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.MESSAGE_TOO_LARGE,
  ErrorCode.RECORD_LIST_TOO_LARGE,
  ErrorCode.CORRUPT_MESSAGE,
])

/** Records in the batches of a produce partition, from the batch headers. */
export function recordCount(buf: Buffer): number {
  let n = 0
  let at = 0
  while (at + BATCH_HEADER_SIZE <= buf.length) {
    n += buf.readInt32BE(at + BatchOffsets.recordsCount)
    at += LOG_OVERHEAD + buf.readInt32BE(at + BatchOffsets.batchLength)
  }
  return n
}

export class TopicMetrics implements ProduceTraffic, FetchTraffic {
  readonly families: readonly FastCounter[]
  readonly replicationBytesOut = new FastCounter(
    'kafka_server_brokertopicmetrics_replicationbytesout_total',
    'Record batch bytes sent to follower replicas (Kafka ReplicationBytesOutPerSec).',
  )
  private readonly byName: Record<Name, FastCounter>
  private readonly topics = new Map<string, TopicSlots>()
  private readonly all: TopicSlots
  private readonly replicationOut: CounterSlot
  private readonly topicName: (id: Uuid) => string | null

  /** `topicName` resolves fetches that name topics by id (v13+). */
  constructor(topicName: (id: Uuid) => string | null) {
    this.topicName = topicName
    const byName = {} as Record<Name, FastCounter>
    for (const [n, help] of NAMES)
      byName[n] = new FastCounter(`kafka_server_brokertopicmetrics_${n}_total`, help)
    this.byName = byName
    this.families = [...Object.values(byName), this.replicationBytesOut]
    this.all = this.slots('', {})
    this.replicationOut = this.replicationBytesOut.slot('', {})
  }

  private slots(key: string, labels: Record<string, string>): TopicSlots {
    const out = {} as Record<Name, CounterSlot>
    for (const [n] of NAMES) out[n] = this.byName[n].slot(key, labels)
    return out
  }

  private topic(name: string): TopicSlots {
    let t = this.topics.get(name)
    if (t === undefined) {
      // The all-topics series has key '', which no topic has (topic names are not empty).
      t = this.slots(name, { topic: name })
      this.topics.set(name, t)
    }
    return t
  }

  produced(
    topics: readonly { name: string; partitionData: readonly { records: Buffer | null }[] }[],
    outcomes: readonly { errorCode: number }[],
  ): void {
    const all = this.all
    let slot = 0
    for (let i = 0; i < topics.length; i++) {
      const t = topics[i]
      const s = this.topic(t.name)
      for (let j = 0; j < t.partitionData.length; j++) {
        const code = outcomes[slot++].errorCode
        s.totalproducerequests.value++
        all.totalproducerequests.value++
        if (code === ErrorCode.NONE) {
          const records = t.partitionData[j].records
          if (records === null) continue
          const n = recordCount(records)
          s.bytesin.value += records.length
          all.bytesin.value += records.length
          s.messagesin.value += n
          all.messagesin.value += n
        } else if (!EXPECTED.has(code)) {
          s.failedproducerequests.value++
          all.failedproducerequests.value++
        }
      }
    }
  }

  fetched(
    parts: readonly { topic: string | null; topicId: Uuid }[],
    results: readonly { errorCode: number; records: { length: number } }[],
    follower: boolean,
  ): void {
    const all = this.all
    let last: TopicSlots | null = null
    let lastKey: string | null = null
    for (let i = 0; i < results.length; i++) {
      const p = parts[i]
      const key = p.topic ?? (p.topicId as string)
      if (key !== lastKey) {
        const name = p.topic ?? this.topicName(p.topicId)
        last = name === null ? null : this.topic(name)
        lastKey = key
      }
      const r = results[i]
      all.totalfetchrequests.value++
      if (last !== null) last.totalfetchrequests.value++
      if (!EXPECTED.has(r.errorCode)) {
        all.failedfetchrequests.value++
        if (last !== null) last.failedfetchrequests.value++
        continue
      }
      const bytes = r.records.length
      if (bytes === 0) continue
      if (follower) this.replicationOut.value += bytes
      else {
        all.bytesout.value += bytes
        if (last !== null) last.bytesout.value += bytes
      }
    }
  }

  /** Drops the series of topics that no longer exist (called at scrape time). */
  retain(exists: (topic: string) => boolean): void {
    for (const name of this.topics.keys()) {
      if (exists(name)) continue
      this.topics.delete(name)
      for (const [n] of NAMES) this.byName[n].forget(name)
    }
  }
}
