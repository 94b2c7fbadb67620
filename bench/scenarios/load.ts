// Load generators over the wire client (wire.ts): produce throughput, consume throughput and
// end-to-end latency. They drive Samsa and the baseline server alike: against the baseline the
// same frames are sent and every response frame counts as an acknowledgement.
//
// Producers send ~1 MB requests (one batch of `batchBytes` per partition, as librdkafka does with
// batch.size=1000000) with up to `inFlight` requests outstanding per connection. A request frame is
// encoded once and written again and again: the broker rewrites offsets in its own copy, and the
// CRC does not cover the base offset, so the same bytes are a valid new batch every time.
// Rates count record-batch bytes after a warm-up (JIT, first segment), over the measured window.

import type { TopicName, Uuid } from '../../src/common/ids.ts'
import { ZERO_UUID } from '../../src/common/ids.ts'
import { decodeResponseFrame, encodeRequestFrame } from '../../src/protocol/frame.ts'
import {
  type FetchRequest,
  fetchRequestCodec,
  fetchResponseCodec,
} from '../../src/protocol/generated/messages/fetch.ts'
import { produceRequestCodec, produceResponseCodec } from '../../src/protocol/generated/messages/produce.ts'
import { BatchOffsets } from '../../src/records/batch-header.ts'
import { buildBatch, type RecordInput } from '../../src/records/builder.ts'
import { iterateRecords } from '../../src/records/record-iterator.ts'
import { CLIENT_ID, earliestOffset, WireConnection } from './wire.ts'

export const PRODUCE_VERSION = 9
export const FETCH_VERSION = 12
/** Fetch error when retention moved the log start past the offset asked for. */
export const OFFSET_OUT_OF_RANGE = 1

export interface Target {
  host: string
  port: number
  /** false for the baseline server: responses are not Kafka responses. */
  kafka: boolean
}

export interface ProduceLoad {
  topic: string
  partitions: number
  connections: number
  recordBytes: number
  acks: number
  /** Record-batch bytes per partition per request. */
  batchBytes: number
  inFlight: number
  warmupMs: number
  durationMs: number
}

export interface Throughput {
  mbPerSec: number
  msgsPerSec: number
  requests: number
  errors: number
}

/** One batch of records of `recordBytes` filler bytes, up to about `batchBytes` in all. */
export function fillerBatch(recordBytes: number, batchBytes: number): { batch: Buffer; records: number } {
  const perRecord = recordBytes + 12
  const n = Math.max(1, Math.floor((batchBytes - 61) / perRecord))
  const value = Buffer.alloc(recordBytes, 0x61)
  const now = Date.now()
  const records: RecordInput[] = []
  for (let i = 0; i < n; i++) records.push({ key: null, value, timestamp: now })
  return { batch: buildBatch(records, { timestamp: now }), records: n }
}

export function produceFrame(topic: string, partitions: number[], batch: Buffer, acks: number): Buffer {
  return encodeRequestFrame(
    produceRequestCodec,
    {
      transactionalId: null,
      acks,
      timeoutMs: 30_000,
      topicData: [
        { name: topic as TopicName, partitionData: partitions.map((index) => ({ index, records: batch })) },
      ],
    },
    PRODUCE_VERSION,
    1,
    CLIENT_ID,
  )
}

export function produceErrors(body: Buffer): number {
  const res = decodeResponseFrame(produceResponseCodec, body, PRODUCE_VERSION).body
  let errors = 0
  for (const t of res.responses) for (const p of t.partitionResponses) if (p.errorCode !== 0) errors++
  return errors
}

/** Runs producers for warmup + duration; counts what was acknowledged during the measured window. */
export async function runProduce(target: Target, load: ProduceLoad): Promise<Throughput> {
  const { batch, records } = fillerBatch(load.recordBytes, load.batchBytes)
  const conns = await Promise.all(
    Array.from({ length: load.connections }, () => WireConnection.open(target.host, target.port)),
  )
  const all = Array.from({ length: load.partitions }, (_, i) => i)
  const frame = produceFrame(load.topic, all, batch, load.acks)
  const start = performance.now()
  const measureFrom = start + load.warmupMs
  const end = measureFrom + load.durationMs
  let acked = 0
  let errors = 0
  let requests = 0
  let stopping = false
  let firstError: string | null = null
  await Promise.all(
    conns.map(
      (c) =>
        new Promise<void>((resolve) => {
          const onResponse = (body: Buffer) => {
            const now = performance.now()
            if (body.length === 0) {
              firstError ??= c.error?.message ?? 'connection lost'
              resolve()
              return
            }
            if (target.kafka) {
              const e = produceErrors(body)
              if (e > 0) firstError ??= `produce error in ${e} partitions`
              errors += e
            }
            if (now >= measureFrom && now <= end) {
              acked++
              requests++
            }
            if (now > end) stopping = true
            if (!stopping) c.sendRaw(frame, onResponse)
            else if (c.outstanding === 0) resolve()
          }
          for (let i = 0; i < load.inFlight; i++) c.sendRaw(frame, onResponse)
        }),
    ),
  )
  for (const c of conns) c.close()
  if (firstError !== null && acked === 0) throw new Error(firstError)
  const secs = load.durationMs / 1000
  return {
    mbPerSec: (acked * batch.length * load.partitions) / secs / 1e6,
    msgsPerSec: (acked * records * load.partitions) / secs,
    requests,
    errors,
  }
}

export interface ConsumeLoad {
  topic: string
  partitionMaxBytes: number
  warmupMs: number
  durationMs: number
}

function fetchFrame(topic: string, offset: bigint, partitionMaxBytes: number, maxWaitMs: number): Buffer {
  const req: FetchRequest = {
    ...fetchRequestCodec.defaults(FETCH_VERSION),
    replicaId: -1 as FetchRequest['replicaId'],
    maxWaitMs,
    minBytes: 1,
    maxBytes: 52_428_800,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic: topic as TopicName,
        topicId: ZERO_UUID as Uuid,
        partitions: [
          {
            partition: 0,
            currentLeaderEpoch: -1,
            fetchOffset: offset,
            lastFetchedEpoch: -1,
            logStartOffset: -1n,
            partitionMaxBytes,
            replicaDirectoryId: ZERO_UUID as Uuid,
          },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  }
  return encodeRequestFrame(fetchRequestCodec, req, FETCH_VERSION, 1, CLIENT_ID)
}

/** Where the records of a fetch end: next offset, record count (header walk only). */
function walkBatches(records: Buffer): { next: bigint; count: number } {
  let pos = 0
  let next = -1n
  let count = 0
  while (pos + 61 <= records.length) {
    const size = records.readInt32BE(pos + BatchOffsets.batchLength) + 12
    if (pos + size > records.length) break
    next = records.readBigInt64BE(pos) + BigInt(records.readInt32BE(pos + BatchOffsets.lastOffsetDelta)) + 1n
    count += records.readInt32BE(pos + BatchOffsets.recordsCount)
    pos += size
  }
  return { next, count }
}

/**
 * One consumer fetching partition 0 from its log start, one fetch at a time; wraps to the log
 * start at the end of the data. Against the baseline, each request is answered with up to partitionMaxBytes of a file.
 */
export async function runConsume(target: Target, load: ConsumeLoad): Promise<Throughput> {
  const c = await WireConnection.open(target.host, target.port)
  const start = performance.now()
  const measureFrom = start + load.warmupMs
  const end = measureFrom + load.durationMs
  let bytes = 0
  let msgs = 0
  let requests = 0
  let offset = target.kafka ? await earliestOffset(c, load.topic) : 0n
  const plain = fetchFrame(load.topic, 0n, load.partitionMaxBytes, 500)
  await new Promise<void>((resolve, reject) => {
    const onResponse = (body: Buffer) => {
      const now = performance.now()
      if (body.length === 0) {
        reject(c.error ?? new Error('connection lost'))
        return
      }
      let got = body.length
      let count = 0
      if (target.kafka) {
        const res = decodeResponseFrame(fetchResponseCodec, body, FETCH_VERSION).body
        const p = res.responses[0]?.partitions[0]
        if (p !== undefined && p.errorCode === OFFSET_OUT_OF_RANGE && res.errorCode === 0) {
          // Retention moved the log start past the offset (steady state): start there again.
          earliestOffset(c, load.topic).then((o) => {
            offset = o
            c.sendRaw(fetchFrame(load.topic, offset, load.partitionMaxBytes, 500), onResponse)
          }, reject)
          return
        }
        if (res.errorCode !== 0 || p === undefined || p.errorCode !== 0) {
          reject(new Error(`fetch error ${res.errorCode}/${p?.errorCode}`))
          return
        }
        const records = p.records ?? Buffer.alloc(0)
        const w = walkBatches(records)
        got = records.length
        count = w.count
        offset = w.next >= 0n && w.next < p.highWatermark ? w.next : p.logStartOffset
      }
      if (now >= measureFrom && now <= end) {
        bytes += got
        msgs += count
        requests++
      }
      if (now > end) resolve()
      else
        c.sendRaw(
          target.kafka ? fetchFrame(load.topic, offset, load.partitionMaxBytes, 500) : plain,
          onResponse,
        )
    }
    c.sendRaw(target.kafka ? fetchFrame(load.topic, offset, load.partitionMaxBytes, 500) : plain, onResponse)
  })
  c.close()
  const secs = load.durationMs / 1000
  return { mbPerSec: bytes / secs / 1e6, msgsPerSec: msgs / secs, requests, errors: 0 }
}

export interface LatencyLoad {
  topic: string
  ratePerSec: number
  recordBytes: number
  fetchMaxWaitMs: number
  warmupMs: number
  durationMs: number
}

export interface Latency {
  p50: number
  p99: number
  p999: number
  max: number
  samples: number
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
}

/**
 * End-to-end latency: a producer sends `ratePerSec` records of `recordBytes` (send time inside the
 * value) every millisecond tick, acks=1, without waiting for acks (librdkafka's linger.ms=1); a
 * consumer long-polls Fetch (min.bytes 1, max.wait `fetchMaxWaitMs`) from the log end, both in
 * this process on one clock. Latency = consumer receive time - producer send time.
 */
export async function runLatency(target: Target, load: LatencyLoad): Promise<Latency> {
  const prod = await WireConnection.open(target.host, target.port)
  const cons = await WireConnection.open(target.host, target.port)
  const samples: number[] = []
  const start = performance.now()
  const measureFrom = start + load.warmupMs
  const end = measureFrom + load.durationMs
  let sent = 0
  let stop = false
  let failure: Error | null = null
  const filler = Buffer.alloc(load.recordBytes - 8, 0x62)
  const timer = setInterval(() => {
    const now = performance.now()
    if (now > end) {
      clearInterval(timer)
      return
    }
    const due = Math.floor(((now - start) * load.ratePerSec) / 1000) - sent
    if (due <= 0) return
    const records: RecordInput[] = []
    for (let i = 0; i < due; i++) {
      const value = Buffer.allocUnsafe(load.recordBytes)
      value.writeDoubleLE(performance.now(), 0)
      filler.copy(value, 8)
      records.push({ key: null, value, timestamp: Date.now() })
    }
    sent += due
    const frame = produceFrame(load.topic, [0], buildBatch(records), 1)
    prod.sendRaw(frame, (body) => {
      if (body.length === 0) failure ??= prod.error ?? new Error('producer connection lost')
    })
  }, 1)
  let offset = 0n
  await new Promise<void>((resolve, reject) => {
    const next = () => {
      if (stop) {
        resolve()
        return
      }
      cons.sendRaw(fetchFrame(load.topic, offset, 1_048_576, load.fetchMaxWaitMs), onResponse)
    }
    const onResponse = (body: Buffer) => {
      const now = performance.now()
      if (body.length === 0) {
        reject(cons.error ?? new Error('consumer connection lost'))
        return
      }
      const res = decodeResponseFrame(fetchResponseCodec, body, FETCH_VERSION).body
      const p = res.responses[0]?.partitions[0]
      if (p !== undefined && p.errorCode === 0 && p.records !== null && p.records.length > 0) {
        const records = p.records
        let pos = 0
        while (pos + 61 <= records.length) {
          const size = records.readInt32BE(pos + BatchOffsets.batchLength) + 12
          if (pos + size > records.length) break
          for (const rec of iterateRecords(records, pos, { verifyCrc: false })) {
            offset = rec.offset + 1n
            if (rec.value === null || rec.value.length < 8) continue
            const sentAt = rec.value.readDoubleLE(0)
            if (sentAt >= measureFrom) samples.push(now - sentAt)
          }
          pos += size
        }
      }
      if (now > end + 200) stop = true
      next()
    }
    next()
  })
  prod.close()
  cons.close()
  if (failure !== null) throw failure
  const sorted = Float64Array.from(samples).sort()
  return {
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    p999: percentile(sorted, 0.999),
    max: sorted.length > 0 ? sorted[sorted.length - 1] : Number.NaN,
    samples: sorted.length,
  }
}
