// The message browser and the test producer.
// - Browse: a partition's records from an offset (or the first offset at or after a timestamp, as
//   ListOffsets finds it, or the last `limit` records), read from the replica on this broker the
//   way a read_uncommitted consumer fetch reads (Partition.readForFetch, below the high
//   watermark). Keys, values and header values travel base64-encoded; the page shows them as
//   text, JSON or hex. Control batches (transaction markers) are left out.
// - Produce: one record built into a v2 batch and appended through the replica manager's append
//   path with acks=all (the produce handler's path: same validation, the same wait for the ISR),
//   counted in the per-topic metrics like a produce request's batch.

import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import { buildBatch } from '../../records/builder.ts'
import { iterateRecords, readBatches } from '../../records/record-iterator.ts'
import { IsolationLevel, type Partition } from '../../replication/partition.ts'
import { topicOf } from './cluster-view.ts'
import { ApiError, bigintParam, intField, kafkaError } from './console-http.ts'
import type { ConsoleDeps } from './console-services.ts'
import { murmur2Partition } from './murmur2.ts'

export const MAX_RECORDS = 500
const READ_BYTES = 1024 * 1024
const MAX_READS = 16
/** Longer keys/values are cut (the page says so). */
const MAX_SHOWN_BYTES = 256 * 1024
const PRODUCE_TIMEOUT_MS = 30_000

export interface BrowseQuery {
  readonly offset?: string
  readonly timestamp?: string
  readonly limit?: string
}

const b64 = (b: Buffer | null) => (b === null ? null : b.subarray(0, MAX_SHOWN_BYTES).toString('base64'))

function partitionHere(d: ConsoleDeps, topic: string, index: number): Partition {
  const t = topicOf(d, topic)
  if (index < 0 || index >= t.partitions.length)
    throw new ApiError(404, `topic ${topic} has no partition ${index}`, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  const part = d.services.replicaManager.partition(topic, index)
  if (part === null)
    throw new ApiError(
      404,
      `no replica of ${topic}-${index} on this broker (open the console of broker ${t.partitions[index]!.leader})`,
      ErrorCode.NOT_LEADER_OR_FOLLOWER,
    )
  return part
}

export async function browse(d: ConsoleDeps, topic: string, index: number, q: BrowseQuery) {
  const part = partitionHere(d, topic, index)
  const limit = q.limit === undefined ? 50 : intField(q.limit, 'limit', 1, MAX_RECORDS)
  const logStart = part.log.logStartOffset
  const hw = part.highWatermark
  let start: bigint
  if (q.offset !== undefined && q.offset !== '') start = bigintParam(q.offset, 'offset')
  else if (q.timestamp !== undefined && q.timestamp !== '') {
    const r = await part.offsetForTimestamp(
      bigintParam(q.timestamp, 'timestamp'),
      IsolationLevel.readUncommitted,
      -1,
    )
    if (r.errorCode !== ErrorCode.NONE) throw kafkaError(r.errorCode, null)
    start = r.offset < 0n ? hw : r.offset
  } else start = hw - BigInt(limit)
  if (start < logStart) start = logStart
  if (start > hw) start = hw

  const records: unknown[] = []
  let next = start
  for (let reads = 0; reads < MAX_READS && records.length < limit && next < hw; reads++) {
    const r = await part.readForFetch({
      fetchOffset: next,
      maxBytes: READ_BYTES,
      minOneBatch: true,
      isolationLevel: IsolationLevel.readUncommitted,
      isFollower: false,
      currentLeaderEpoch: -1,
      lastFetchedEpoch: -1,
      leaderOnly: false,
    })
    if (r.errorCode !== ErrorCode.NONE) throw kafkaError(r.errorCode, null)
    if (r.records.length === 0) break
    const before = next
    for (const h of readBatches(r.records)) {
      const after = h.lastOffset + 1n
      if (!h.isControl && after > next)
        for (const rec of iterateRecords(r.records, h.pos)) {
          if (rec.offset < next) continue
          if (records.length >= limit) break
          records.push({
            offset: rec.offset,
            timestamp: rec.timestamp,
            timestampType: h.isLogAppendTime ? 'LogAppendTime' : 'CreateTime',
            key: b64(rec.key),
            keySize: rec.key?.length ?? -1,
            value: b64(rec.value),
            valueSize: rec.value?.length ?? -1,
            headers: rec.headers.map((x) => ({ key: x.key, value: b64(x.value) })),
            transactional: h.isTransactional,
          })
        }
      if (records.length >= limit) break
      if (after > next) next = after
    }
    if (next === before) break
  }
  return { topic, partition: index, logStartOffset: logStart, highWatermark: hw, start, records }
}

function optionalText(v: unknown, what: string): string | null {
  if (v === undefined || v === null) return null
  if (typeof v !== 'string') throw new ApiError(400, `${what} must be a string or null`)
  return v
}

/** Body: {"value": "...", "key": "...", "partition": 0, "headers": [{"key": "k", "value": "v"}]}. */
export async function produce(d: ConsoleDeps, topic: string, body: Record<string, unknown>) {
  const t = topicOf(d, topic)
  if (t.internal)
    throw kafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `cannot produce to internal topic ${topic}`)
  const key = optionalText(body.key, 'key')
  const value = optionalText(body.value, 'value')
  const rawHeaders = body.headers ?? []
  if (!Array.isArray(rawHeaders)) throw new ApiError(400, 'headers must be an array')
  const headers = rawHeaders.map((h, i) => {
    if (typeof h !== 'object' || h === null || typeof (h as { key?: unknown }).key !== 'string')
      throw new ApiError(400, `headers[${i}] must be {"key": string, "value": string|null}`)
    return {
      key: (h as { key: string }).key,
      value: optionalText((h as { value?: unknown }).value, `headers[${i}].value`),
    }
  })
  const n = t.partitions.length
  const index =
    body.partition !== undefined && body.partition !== null && body.partition !== ''
      ? intField(body.partition, 'partition', 0, n - 1)
      : key !== null
        ? murmur2Partition(Buffer.from(key, 'utf8'), n)
        : Math.floor(Math.random() * n)
  const leader = t.partitions[index]!.leader
  if (leader !== d.services.nodeId)
    throw kafkaError(
      ErrorCode.NOT_LEADER_OR_FOLLOWER,
      leader < 0
        ? `${topic}-${index} has no leader now`
        : `broker ${leader} leads ${topic}-${index}: produce from its console`,
    )
  const timestamp = BigInt(d.now())
  const records = buildBatch([{ key, value, headers, timestamp }])
  const topics = [{ name: topic, partitionData: [{ index, records }] }]
  const outcomes = await d.services.replicaManager.appendRecords({
    apiVersion: 11,
    acks: -1,
    timeoutMs: PRODUCE_TIMEOUT_MS,
    transactionalId: null,
    topics,
  })
  const o = outcomes[0]!
  // Counted as the produce handler counts a request's batches (the append keeps the header's
  // record count and length; it only assigns offsets).
  d.topics.produced(topics, outcomes)
  if (o.errorCode !== ErrorCode.NONE) throw kafkaError(o.errorCode, o.errorMessage)
  return { topic, partition: index, offset: o.baseOffset, timestamp }
}
