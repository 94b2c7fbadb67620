// Shared setup for replication and data-path handler tests: a LogManager on a memory Fs with a
// manual clock, a ReplicaManager fed with hand-made metadata images, the services the handlers
// need, and small builders for batches and request contexts.

import { randomBytes } from 'node:crypto'
import { ManualClock } from '../../../src/common/clock.ts'
import type { Fs } from '../../../src/common/fs.ts'
import type { TopicName, Uuid } from '../../../src/common/ids.ts'
import { silentLogger } from '../../../src/common/logger.ts'
import { MemoryFs } from '../../../src/common/memory-fs.ts'
import { makeImage, makePartition, makeTopic, type TopicImage } from '../../../src/metadata/image.ts'
import { decodeMessage, encodeMessage, type MessageCodec } from '../../../src/protocol/codec.ts'
import { buildBatch, type RecordInput } from '../../../src/records/builder.ts'
import { batchRecords } from '../../../src/records/record-iterator.ts'
import { ProducerIdAllocator } from '../../../src/replication/producer-state/producer-id-allocator.ts'
import { ReplicaManager } from '../../../src/replication/replica-manager.ts'
import { FetchSessionCache } from '../../../src/server/fetch-session.ts'
import type { RequestContext } from '../../../src/server/handler.ts'
import { splitBatches } from '../../../src/storage/batch-scan.ts'
import type { LogConfig } from '../../../src/storage/log-config.ts'
import { LogManager } from '../../../src/storage/log-manager.ts'

export const BROKER_ID = 1
export const LOG_DIR = '/data'

export const randomUuid = (): Uuid => randomBytes(16).toString('base64url') as Uuid

export interface TopicSpec {
  name: string
  partitions?: number
  topicId?: Uuid
  configs?: Record<string, string>
  leaderEpoch?: number
  isr?: number[]
}

export interface EnvOptions {
  fs?: MemoryFs
  clock?: ManualClock
  /** Storage config overrides per topic (bypassing config resolution). */
  logConfig?: (topic: string) => Partial<LogConfig>
  producerIdExpirationMs?: number
}

export type Env = Awaited<ReturnType<typeof startEnv>>

export async function startEnv(o: EnvOptions = {}) {
  const fs = o.fs ?? new MemoryFs()
  const clock = o.clock ?? new ManualClock()
  const logManager = await LogManager.start({
    fs,
    clock,
    config: { logDirs: [LOG_DIR], cleanerEnable: false },
  })
  const rm = new ReplicaManager({
    logManager,
    fs: fs as Fs,
    clock,
    logger: silentLogger,
    localBrokerId: BROKER_ID,
    logConfigFor: (t) => o.logConfig?.(t.name) ?? {},
    producerIdExpirationMs: o.producerIdExpirationMs,
    producerIdExpirationCheckIntervalMs: 0,
  })
  const fetchSessions = new FetchSessionCache({ clock })
  const producerIds = new ProducerIdAllocator({ fs, logDir: LOG_DIR, brokerId: BROKER_ID })
  const topics = new Map<string, TopicImage>()
  let version = 0
  let current = makeImage({ version: 0, clusterId: 'test-cluster', controllerId: BROKER_ID })
  const publish = async () => {
    const image = makeImage({
      version: ++version,
      clusterId: 'test-cluster',
      controllerId: BROKER_ID,
      topics: topics.values(),
    })
    await rm.applyImage(image)
    current = image
    return image
  }
  return {
    fs,
    clock,
    logManager,
    rm,
    fetchSessions,
    producerIds,
    services: { replicaManager: rm, fetchSessions, producerIds, metadata: { image: () => current } },
    topics,
    /** Adds or replaces topics in the image and applies it. */
    async setTopics(...specs: TopicSpec[]) {
      for (const s of specs) {
        const partitions = Array.from({ length: s.partitions ?? 1 }, (_, i) =>
          makePartition({
            partition: i,
            leader: BROKER_ID,
            leaderEpoch: s.leaderEpoch ?? 0,
            partitionEpoch: 0,
            replicas: [BROKER_ID],
            isr: s.isr ?? [BROKER_ID],
          }),
        )
        topics.set(
          s.name,
          makeTopic({
            name: s.name as TopicName,
            topicId: s.topicId ?? topics.get(s.name)?.topicId ?? randomUuid(),
            partitions,
            configs: new Map(Object.entries(s.configs ?? {})),
          }),
        )
      }
      return publish()
    },
    async deleteTopic(name: string) {
      topics.delete(name)
      return publish()
    },
    /** Clean stop: replica manager then log manager. */
    async stop() {
      await rm.shutdown()
      await logManager.shutdown()
    },
    /** A crash: nothing flushed or snapshotted. */
    async crash() {
      await logManager.abandon()
    },
  }
}

export function ctx(apiKey: number, apiVersion: number): RequestContext {
  return {
    apiKey,
    apiVersion,
    correlationId: 1,
    clientId: 'test',
    connection: { id: 1, remote: '127.0.0.1:1', listener: 'PLAINTEXT' },
    log: silentLogger,
  }
}

/** A batch of `n` records (keys k<i>, values `<tag>-<i>`). */
export function batch(
  n: number,
  o: {
    tag?: string
    ts?: number
    producerId?: bigint
    producerEpoch?: number
    baseSequence?: number
    keyed?: boolean
    valueBytes?: number
  } = {},
): Buffer {
  const records: RecordInput[] = []
  const ts = o.ts ?? 1_700_000_000_000
  for (let i = 0; i < n; i++) {
    records.push({
      key: o.keyed === false ? null : `k${i}`,
      value: o.valueBytes !== undefined ? Buffer.alloc(o.valueBytes, i & 0xff) : `${o.tag ?? 'v'}-${i}`,
      timestamp: ts + i,
    })
  }
  return buildBatch(records, {
    timestamp: ts,
    producerId: o.producerId,
    producerEpoch: o.producerEpoch,
    baseSequence: o.baseSequence,
  })
}

/** Every record in a buffer of whole batches. */
export function recordsIn(buf: Buffer) {
  const out: { offset: bigint; key: string | null; value: string | null; timestamp: bigint }[] = []
  for (const b of splitBatches(buf).batches) {
    for (const r of batchRecords(buf.subarray(b.position, b.position + b.size))) {
      out.push({
        offset: r.offset,
        key: r.key === null ? null : r.key.toString(),
        value: r.value === null ? null : r.value.toString(),
        timestamp: r.timestamp,
      })
    }
  }
  return out
}

/** Encodes and decodes a message: proves the handler's answer is encodable in that version. */
export function roundTrip<T>(codec: MessageCodec<T>, msg: T, version: number): T {
  return decodeMessage(codec, encodeMessage(codec, msg, version), version)
}

/** Lets queued promise jobs run. */
export const tick = () => new Promise<void>((r) => setImmediate(r))
