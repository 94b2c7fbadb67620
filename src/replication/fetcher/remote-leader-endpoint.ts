// The LeaderEndPoint over the wire (Kafka's RemoteLeaderEndPoint): Fetch and ListOffsets to the
// leader broker through one BrokerClient connection owned by this endpoint.
//
// Fetch v16 as a replica: ReplicaState { replicaId: this broker, replicaEpoch: its broker epoch },
// topic ids, isolation level 0 (replicas read to the log end, uncommitted included), rackId ''.
// Fetches run in a KIP-227 session (fetch-session-handler.ts): after the first full fetch, a
// request names only partitions added or changed and the answer only partitions with news. When a partition has no topic id
// yet (ZERO_UUID) the request falls back to v12 (topic names, replicaId field), as Kafka's does.
// ListOffsets v8 with replicaId = this broker (so "latest" is the leader's log end offset).
// The client's timeout for a fetch is requestTimeoutMs plus the long-poll wait.

import { BrokerClient, type RequestSpec } from '../../client/broker-client.ts'
import type { BrokerId, TopicName, Uuid } from '../../common/ids.ts'
import { ZERO_UUID } from '../../common/ids.ts'
import type { Logger } from '../../common/logger.ts'
import { sharedBufferPool } from '../../protocol/buffer-pool.ts'
import { ErrorCode, errorName } from '../../protocol/generated/error-codes.ts'
import {
  type FetchRequest,
  type FetchRequestFetchTopic,
  type FetchRequestForgottenTopic,
  type FetchResponse,
  fetchRequestCodec,
  fetchResponseCodec,
} from '../../protocol/generated/messages/fetch.ts'
import {
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  listOffsetsRequestCodec,
  listOffsetsResponseCodec,
} from '../../protocol/generated/messages/list-offsets.ts'
import { FetchSessionHandler } from './fetch-session-handler.ts'
import {
  type FetchOptions,
  type FetchPartitionData,
  type FetchPartitionRequest,
  type LeaderEndPoint,
  LeaderPartitionError,
} from './leader-endpoint.ts'

export const FETCH_VERSION = 16
/** The last Fetch version with topic names (used while a topic id is unknown). */
export const FETCH_VERSION_BY_NAME = 12
export const LIST_OFFSETS_VERSION = 8

const fetchSpec = (version: number): RequestSpec<FetchRequest, FetchResponse> => ({
  apiKey: 1,
  version,
  request: fetchRequestCodec,
  response: fetchResponseCodec,
})
const LIST_OFFSETS: RequestSpec<ListOffsetsRequest, ListOffsetsResponse> = {
  apiKey: 2,
  version: LIST_OFFSETS_VERSION,
  request: listOffsetsRequestCodec,
  response: listOffsetsResponseCodec,
}
/** The response frame each fetch answer's record buffers are views of (see release()). */
const frameOf = new WeakMap<readonly FetchPartitionData[], Buffer>()

/** Gives the frame behind a fetch answer back to the buffer pool (once; unknown answers: no-op). */
export function releaseFetched(responses: readonly FetchPartitionData[]): void {
  const frame = frameOf.get(responses)
  if (frame === undefined) return
  frameOf.delete(responses)
  sharedBufferPool.release(frame)
}

/**
 * Partitions grouped under their topic, in first-seen order; each Fetch version carries either the
 * topic id or the name, never both (the codec refuses the other).
 */
function byTopic<T>(
  partitions: readonly FetchPartitionRequest[],
  byId: boolean,
  entry: (p: FetchPartitionRequest) => T,
): { topic: TopicName; topicId: Uuid; partitions: T[] }[] {
  const out = new Map<string, { topic: TopicName; topicId: Uuid; partitions: T[] }>()
  for (const p of partitions) {
    let t = out.get(p.topic)
    if (t === undefined) {
      t = byId
        ? { topic: '' as TopicName, topicId: p.topicId, partitions: [] }
        : { topic: p.topic as TopicName, topicId: ZERO_UUID, partitions: [] }
      out.set(p.topic, t)
    }
    t.partitions.push(entry(p))
  }
  return [...out.values()]
}

const EARLIEST = -2n
const LATEST = -1n

export interface RemoteLeaderEndPointOptions {
  leaderId: number
  host: string
  port: number
  /** This broker's id, sent as the replica id. */
  brokerId: number
  /** This broker's epoch (its registration znode's czxid), read at each fetch. */
  brokerEpoch: () => bigint
  clientId: string
  /** replica.socket.timeout.ms (default 30 000). */
  requestTimeoutMs?: number
  connectTimeoutMs?: number
  logger?: Logger
}

export class RemoteLeaderEndPoint implements LeaderEndPoint {
  readonly leaderId: number
  private readonly brokerId: number
  private readonly brokerEpoch: () => bigint
  private readonly requestTimeoutMs: number
  private readonly client: BrokerClient
  private readonly session = new FetchSessionHandler()

  constructor(o: RemoteLeaderEndPointOptions) {
    this.leaderId = o.leaderId
    this.brokerId = o.brokerId
    this.brokerEpoch = o.brokerEpoch
    this.requestTimeoutMs = o.requestTimeoutMs ?? 30_000
    this.client = new BrokerClient({
      host: o.host,
      port: o.port,
      clientId: o.clientId,
      requestTimeoutMs: this.requestTimeoutMs,
      connectTimeoutMs: o.connectTimeoutMs,
      logger: o.logger,
    })
  }

  async fetch(partitions: readonly FetchPartitionRequest[], o: FetchOptions): Promise<FetchPartitionData[]> {
    const byId = partitions.every((p) => p.topicId !== ZERO_UUID)
    const version = byId ? FETCH_VERSION : FETCH_VERSION_BY_NAME
    const session = this.session.build(partitions, byId)
    const topics: FetchRequestFetchTopic[] = byTopic(session.send, byId, (p) => ({
      partition: p.partition,
      currentLeaderEpoch: p.currentLeaderEpoch,
      fetchOffset: p.fetchOffset,
      lastFetchedEpoch: p.lastFetchedEpoch,
      logStartOffset: p.logStartOffset,
      partitionMaxBytes: p.partitionMaxBytes,
      replicaDirectoryId: ZERO_UUID,
    }))
    const forgotten: FetchRequestForgottenTopic[] = byTopic(session.forget, byId, (p) => p.partition)
    const replicaId = this.brokerId as BrokerId
    const req: FetchRequest = {
      clusterId: null,
      // v15 moved the replica id into ReplicaState (with the broker epoch).
      replicaId: byId ? (-1 as BrokerId) : replicaId,
      replicaState: byId
        ? { replicaId, replicaEpoch: this.brokerEpoch() }
        : { replicaId: -1 as BrokerId, replicaEpoch: -1n },
      maxWaitMs: o.maxWaitMs,
      minBytes: o.minBytes,
      maxBytes: o.maxBytes,
      isolationLevel: 0,
      sessionId: session.sessionId,
      sessionEpoch: session.sessionEpoch,
      topics,
      forgottenTopicsData: forgotten,
      rackId: '',
    }
    let res: FetchResponse
    let frame: Buffer
    try {
      ;({ body: res, frame } = await this.client.sendKeepingFrame(
        fetchSpec(version),
        req,
        this.requestTimeoutMs + o.maxWaitMs,
      ))
    } catch (err) {
      this.session.reset()
      throw err
    }
    this.session.handleResponse(session, res.errorCode, res.sessionId)
    if (res.errorCode !== ErrorCode.NONE) {
      throw new Error(`Fetch from broker ${this.leaderId} failed: ${errorName(res.errorCode)}`)
    }
    const nameOf = new Map<Uuid, string>()
    const idOf = new Map<string, Uuid>()
    for (const p of partitions) {
      nameOf.set(p.topicId, p.topic)
      idOf.set(p.topic, p.topicId)
    }
    const out: FetchPartitionData[] = []
    for (const t of res.responses) {
      const topic = byId ? nameOf.get(t.topicId) : t.topic
      if (topic === undefined) continue
      const topicId = byId ? t.topicId : (idOf.get(topic) ?? ZERO_UUID)
      for (const p of t.partitions) {
        const d = p.divergingEpoch
        out.push({
          topic,
          topicId,
          partition: p.partitionIndex,
          errorCode: p.errorCode,
          highWatermark: p.highWatermark,
          logStartOffset: p.logStartOffset,
          records: p.records,
          divergingEpoch:
            d.epoch >= 0 || d.endOffset >= 0n ? { epoch: d.epoch, endOffset: d.endOffset } : null,
        })
      }
    }
    frameOf.set(out, frame)
    return out
  }

  release(responses: readonly FetchPartitionData[]): void {
    releaseFetched(responses)
  }

  fetchEarliestOffset(topic: string, partition: number, currentLeaderEpoch: number): Promise<bigint> {
    return this.listOffset(topic, partition, currentLeaderEpoch, EARLIEST)
  }

  fetchLatestOffset(topic: string, partition: number, currentLeaderEpoch: number): Promise<bigint> {
    return this.listOffset(topic, partition, currentLeaderEpoch, LATEST)
  }

  close(): void {
    this.client.close()
  }

  private async listOffset(
    topic: string,
    partition: number,
    currentLeaderEpoch: number,
    timestamp: bigint,
  ): Promise<bigint> {
    const res = await this.client.send(LIST_OFFSETS, {
      replicaId: this.brokerId as BrokerId,
      isolationLevel: 0,
      topics: [
        {
          name: topic as TopicName,
          partitions: [{ partitionIndex: partition, currentLeaderEpoch, timestamp, maxNumOffsets: 1 }],
        },
      ],
      timeoutMs: this.requestTimeoutMs,
    })
    const p = res.topics.find((t) => t.name === topic)?.partitions.find((x) => x.partitionIndex === partition)
    if (p === undefined) {
      throw new LeaderPartitionError(
        ErrorCode.UNKNOWN_SERVER_ERROR,
        `ListOffsets from broker ${this.leaderId} did not answer ${topic}-${partition}`,
      )
    }
    if (p.errorCode !== ErrorCode.NONE) {
      throw new LeaderPartitionError(
        p.errorCode,
        `ListOffsets for ${topic}-${partition} from broker ${this.leaderId}: ${errorName(p.errorCode)}`,
      )
    }
    return p.offset
  }
}
