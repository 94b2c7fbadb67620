// The in-memory state and API handlers of the capture broker (test/support/capture-broker.ts): one
// node, topics auto-created on first mention, partition logs that keep the batches clients produce
// (offsets assigned in place on a private copy), one-member consumer groups that always complete at
// once, and minimal successful admin answers. Each handler maps a decoded request to a response
// object, or null for acks=0 produce. No I/O here.

import { randomBytes } from 'node:crypto'
import type { BrokerId, ProducerId, TopicName, Uuid } from '../../src/common/ids.ts'
import type { RequestFrame } from '../../src/protocol/frame.ts'
import { ApiKey } from '../../src/protocol/generated/api-keys.ts'
import { ErrorCode } from '../../src/protocol/generated/error-codes.ts'
import type { ApiVersionsResponse } from '../../src/protocol/generated/messages/api-versions.ts'
import type {
  CreatePartitionsRequest,
  CreatePartitionsResponse,
} from '../../src/protocol/generated/messages/create-partitions.ts'
import type {
  CreateTopicsRequest,
  CreateTopicsResponse,
} from '../../src/protocol/generated/messages/create-topics.ts'
import type {
  DeleteTopicsRequest,
  DeleteTopicsResponse,
} from '../../src/protocol/generated/messages/delete-topics.ts'
import type {
  DescribeConfigsRequest,
  DescribeConfigsResponse,
} from '../../src/protocol/generated/messages/describe-configs.ts'
import type { FetchRequest, FetchResponse } from '../../src/protocol/generated/messages/fetch.ts'
import type {
  FindCoordinatorRequest,
  FindCoordinatorResponse,
} from '../../src/protocol/generated/messages/find-coordinator.ts'
import type { HeartbeatRequest, HeartbeatResponse } from '../../src/protocol/generated/messages/heartbeat.ts'
import type { InitProducerIdResponse } from '../../src/protocol/generated/messages/init-producer-id.ts'
import type { JoinGroupRequest, JoinGroupResponse } from '../../src/protocol/generated/messages/join-group.ts'
import type {
  LeaveGroupRequest,
  LeaveGroupResponse,
} from '../../src/protocol/generated/messages/leave-group.ts'
import type {
  ListOffsetsRequest,
  ListOffsetsResponse,
} from '../../src/protocol/generated/messages/list-offsets.ts'
import type { MetadataRequest, MetadataResponse } from '../../src/protocol/generated/messages/metadata.ts'
import type {
  OffsetCommitRequest,
  OffsetCommitResponse,
} from '../../src/protocol/generated/messages/offset-commit.ts'
import type {
  OffsetFetchRequest,
  OffsetFetchResponse,
} from '../../src/protocol/generated/messages/offset-fetch.ts'
import type { ProduceRequest, ProduceResponse } from '../../src/protocol/generated/messages/produce.ts'
import type { SyncGroupRequest, SyncGroupResponse } from '../../src/protocol/generated/messages/sync-group.ts'
import { assignOffsets, LOG_OVERHEAD } from '../../src/records/batch-header.ts'

/** [apiKey, min, max]: floors that keep old clients' features on, ceilings before flexible versions. */
export const ADVERTISED: readonly (readonly [number, number, number])[] = [
  [ApiKey.Produce, 0, 8],
  [ApiKey.Fetch, 0, 11],
  [ApiKey.ListOffsets, 0, 5],
  [ApiKey.Metadata, 0, 8],
  [ApiKey.OffsetCommit, 0, 7],
  [ApiKey.OffsetFetch, 0, 5],
  [ApiKey.FindCoordinator, 0, 2],
  [ApiKey.JoinGroup, 0, 5],
  [ApiKey.Heartbeat, 0, 3],
  [ApiKey.LeaveGroup, 0, 3],
  [ApiKey.SyncGroup, 0, 3],
  [ApiKey.ApiVersions, 0, 3],
  [ApiKey.CreateTopics, 0, 4],
  [ApiKey.DeleteTopics, 0, 3],
  [ApiKey.InitProducerId, 0, 1],
  [ApiKey.DescribeConfigs, 0, 3],
  [ApiKey.CreatePartitions, 0, 1],
]

export interface CaptureStateOptions {
  nodeId?: number
  /** Partitions of auto-created topics. */
  partitions?: number
  /** Longest a Fetch with no data is held (capped by the request's MaxWaitMs). */
  fetchWaitMs?: number
}

export interface PartitionLog {
  batches: { base: bigint; last: bigint; data: Buffer }[]
  next: bigint
}

export interface TopicState {
  id: Uuid
  partitions: PartitionLog[]
}

interface GroupState {
  generation: number
  protocol: string | null
  members: Map<string, Buffer>
  assignments: Map<string, Buffer>
  offsets: Map<string, bigint>
}

export type Handler = (body: never, frame: RequestFrame) => unknown

const EMPTY = Buffer.alloc(0)
const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA' as Uuid
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
export class CaptureState {
  readonly host = '127.0.0.1'
  /** Set by the broker once it listens. */
  port = 0
  readonly nodeId: number
  readonly topics = new Map<string, TopicState>()
  private readonly groups = new Map<string, GroupState>()
  private readonly partitions: number
  private readonly fetchWaitMs: number
  private producerIds = 4000n
  /** By api key; each takes the decoded request body and its frame. */
  readonly handlers: Partial<Record<number, Handler>>

  constructor(options: CaptureStateOptions) {
    this.nodeId = options.nodeId ?? 1
    this.partitions = options.partitions ?? 1
    this.fetchWaitMs = options.fetchWaitMs ?? 100
    this.handlers = {
      [ApiKey.ApiVersions]: () => this.apiVersions(ErrorCode.NONE),
      [ApiKey.Metadata]: (b: MetadataRequest, f) => this.metadata(b, f),
      [ApiKey.Produce]: (b: ProduceRequest) => this.produce(b),
      [ApiKey.Fetch]: (b: FetchRequest) => this.fetch(b),
      [ApiKey.ListOffsets]: (b: ListOffsetsRequest, f) => this.listOffsets(b, f.apiVersion),
      [ApiKey.FindCoordinator]: (b: FindCoordinatorRequest) => this.findCoordinator(b),
      [ApiKey.JoinGroup]: (b: JoinGroupRequest, f) => this.joinGroup(b, f),
      [ApiKey.SyncGroup]: (b: SyncGroupRequest) => this.syncGroup(b),
      [ApiKey.Heartbeat]: (_b: HeartbeatRequest): HeartbeatResponse => ({ throttleTimeMs: 0, errorCode: 0 }),
      [ApiKey.LeaveGroup]: (b: LeaveGroupRequest) => this.leaveGroup(b),
      [ApiKey.OffsetCommit]: (b: OffsetCommitRequest) => this.offsetCommit(b),
      [ApiKey.OffsetFetch]: (b: OffsetFetchRequest) => this.offsetFetch(b),
      [ApiKey.InitProducerId]: (): InitProducerIdResponse => ({
        throttleTimeMs: 0,
        errorCode: 0,
        producerId: this.producerIds++ as ProducerId,
        producerEpoch: 0,
      }),
      [ApiKey.CreateTopics]: (b: CreateTopicsRequest) => this.createTopics(b),
      [ApiKey.DeleteTopics]: (b: DeleteTopicsRequest) => this.deleteTopics(b),
      [ApiKey.DescribeConfigs]: (b: DescribeConfigsRequest, f) => this.describeConfigs(b, f.apiVersion),
      [ApiKey.CreatePartitions]: (b: CreatePartitionsRequest) => this.createPartitions(b),
    }
  }

  // --- topics ------------------------------------------------------------------------------

  private topic(name: string, create: boolean, partitions = this.partitions): TopicState | undefined {
    let t = this.topics.get(name)
    if (t === undefined && create) {
      t = { id: randomBytes(16).toString('base64url') as Uuid, partitions: [] }
      for (let i = 0; i < partitions; i++) t.partitions.push({ batches: [], next: 0n })
      this.topics.set(name, t)
    }
    return t
  }

  private partition(topic: string, index: number): PartitionLog | undefined {
    return this.topics.get(topic)?.partitions[index]
  }

  // --- handlers ----------------------------------------------------------------------------

  apiVersions(errorCode: number): ApiVersionsResponse {
    return {
      errorCode,
      apiKeys: ADVERTISED.map(([apiKey, minVersion, maxVersion]) => ({ apiKey, minVersion, maxVersion })),
      throttleTimeMs: 0,
      supportedFeatures: [],
      finalizedFeaturesEpoch: -1n,
      finalizedFeatures: [],
      zkMigrationReady: false,
    }
  }

  private metadata(req: MetadataRequest, frame: RequestFrame): MetadataResponse {
    const all = req.topics === null || (frame.apiVersion === 0 && req.topics.length === 0)
    const names = all ? [...this.topics.keys()] : (req.topics ?? []).map((t) => t.name ?? '')
    const nodeId = this.nodeId as BrokerId
    return {
      throttleTimeMs: 0,
      brokers: [{ nodeId, host: this.host, port: this.port, rack: null }],
      clusterId: 'samsa-capture',
      controllerId: nodeId,
      topics: names.map((name) => {
        const t = this.topic(name, true)!
        return {
          errorCode: 0,
          name: name as TopicName,
          topicId: t.id,
          isInternal: false,
          partitions: t.partitions.map((_, i) => ({
            errorCode: 0,
            partitionIndex: i,
            leaderId: nodeId,
            leaderEpoch: 0,
            replicaNodes: [nodeId],
            isrNodes: [nodeId],
            offlineReplicas: [],
          })),
          topicAuthorizedOperations: -2147483648,
        }
      }),
      clusterAuthorizedOperations: -2147483648,
    }
  }

  private produce(req: ProduceRequest): ProduceResponse | null {
    const responses = req.topicData.map((td) => ({
      name: td.name,
      partitionResponses: td.partitionData.map((pd) => {
        const log = this.partition(td.name, pd.index) ?? this.topic(td.name, true)?.partitions[pd.index]
        let errorCode = 0
        let baseOffset = -1n
        if (log === undefined) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
        else if (pd.records !== null) baseOffset = append(log, pd.records)
        return {
          index: pd.index,
          errorCode,
          baseOffset,
          logAppendTimeMs: -1n,
          logStartOffset: 0n,
          recordErrors: [],
          errorMessage: null,
          currentLeader: { leaderId: -1 as BrokerId, leaderEpoch: -1 },
        }
      }),
    }))
    if (req.acks === 0) return null
    return { responses, throttleTimeMs: 0, nodeEndpoints: [] }
  }

  private fetchResponse(req: FetchRequest): { resp: FetchResponse; bytes: number } {
    let bytes = 0
    const responses = req.topics.map((ft) => ({
      topic: ft.topic,
      topicId: ft.topicId,
      partitions: ft.partitions.map((fp) => {
        const log = this.partition(ft.topic, fp.partition)
        const chunks: Buffer[] = []
        let size = 0
        if (log !== undefined) {
          for (const b of log.batches) {
            if (b.last < fp.fetchOffset) continue
            if (size > 0 && size + b.data.length > fp.partitionMaxBytes) break
            chunks.push(b.data)
            size += b.data.length
          }
        }
        bytes += size
        const hw = log?.next ?? -1n
        return {
          partitionIndex: fp.partition,
          errorCode: log === undefined ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : 0,
          highWatermark: hw,
          lastStableOffset: hw,
          logStartOffset: log === undefined ? -1n : 0n,
          divergingEpoch: { epoch: -1, endOffset: -1n },
          currentLeader: { leaderId: -1 as BrokerId, leaderEpoch: -1 },
          snapshotId: { endOffset: -1n, epoch: -1 },
          abortedTransactions: null,
          preferredReadReplica: -1 as BrokerId,
          records: chunks.length === 0 ? EMPTY : Buffer.concat(chunks),
        }
      }),
    }))
    const resp: FetchResponse = {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses,
      nodeEndpoints: [],
    }
    return { resp, bytes }
  }

  /** Answers at once when there is data; otherwise holds the fetch a little, as a real broker would. */
  private async fetch(req: FetchRequest): Promise<FetchResponse> {
    const first = this.fetchResponse(req)
    if (first.bytes > 0 || req.maxWaitMs <= 0) return first.resp
    await sleep(Math.min(req.maxWaitMs, this.fetchWaitMs))
    return this.fetchResponse(req).resp
  }

  private listOffsets(req: ListOffsetsRequest, v: number): ListOffsetsResponse {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          const log = this.partition(t.name, p.partitionIndex)
          const offset = log === undefined ? -1n : p.timestamp === -1n ? log.next : 0n
          return {
            partitionIndex: p.partitionIndex,
            errorCode: log === undefined ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : 0,
            // Fields outside a version must keep their defaults (the encoder refuses otherwise).
            oldStyleOffsets: v === 0 ? [offset] : [],
            timestamp: -1n,
            offset: v === 0 ? -1n : offset,
            leaderEpoch: v >= 4 ? 0 : -1,
          }
        }),
      })),
    }
  }

  private findCoordinator(_req: FindCoordinatorRequest): FindCoordinatorResponse {
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      nodeId: this.nodeId as BrokerId,
      host: this.host,
      port: this.port,
      coordinators: [],
    }
  }

  private group(id: string): GroupState {
    let g = this.groups.get(id)
    if (g === undefined) {
      g = { generation: 0, protocol: null, members: new Map(), assignments: new Map(), offsets: new Map() }
      this.groups.set(id, g)
    }
    return g
  }

  /** One-member groups: every join completes at once and the joiner leads. */
  private joinGroup(req: JoinGroupRequest, frame: RequestFrame): JoinGroupResponse {
    const g = this.group(req.groupId)
    const memberId =
      req.memberId !== '' ? req.memberId : `${frame.clientId ?? 'member'}-${randomBytes(8).toString('hex')}`
    const protocol = req.protocols[0]
    g.generation++
    g.protocol = protocol?.name ?? null
    g.members = new Map([[memberId, protocol?.metadata ?? EMPTY]])
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      generationId: g.generation,
      protocolType: req.protocolType,
      protocolName: g.protocol ?? '',
      leader: memberId,
      skipAssignment: false,
      memberId,
      members: [...g.members].map(([id, metadata]) => ({ memberId: id, groupInstanceId: null, metadata })),
    }
  }

  private syncGroup(req: SyncGroupRequest): SyncGroupResponse {
    const g = this.group(req.groupId)
    for (const a of req.assignments) g.assignments.set(a.memberId, a.assignment)
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      protocolType: null,
      protocolName: null,
      assignment: g.assignments.get(req.memberId) ?? EMPTY,
    }
  }

  private leaveGroup(req: LeaveGroupRequest): LeaveGroupResponse {
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      members: req.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        errorCode: 0,
      })),
    }
  }

  private offsetCommit(req: OffsetCommitRequest): OffsetCommitResponse {
    const g = this.group(req.groupId)
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          g.offsets.set(`${t.name}\0${p.partitionIndex}`, p.committedOffset)
          return { partitionIndex: p.partitionIndex, errorCode: 0 }
        }),
      })),
    }
  }

  private offsetFetch(req: OffsetFetchRequest): OffsetFetchResponse {
    const g = this.group(req.groupId)
    let wanted: { name: string; partitionIndexes: number[] }[]
    if (req.topics === null) {
      const byTopic = new Map<string, number[]>()
      for (const k of g.offsets.keys()) {
        const [name, p] = k.split('\0')
        byTopic.set(name, [...(byTopic.get(name) ?? []), Number(p)])
      }
      wanted = [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes }))
    } else {
      wanted = req.topics
    }
    return {
      throttleTimeMs: 0,
      topics: wanted.map((t) => ({
        name: t.name as TopicName,
        partitions: t.partitionIndexes.map((partitionIndex) => ({
          partitionIndex,
          committedOffset: g.offsets.get(`${t.name}\0${partitionIndex}`) ?? -1n,
          committedLeaderEpoch: -1,
          metadata: '',
          errorCode: 0,
        })),
      })),
      errorCode: 0,
      groups: [],
    }
  }

  private createTopics(req: CreateTopicsRequest): CreateTopicsResponse {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => {
        const exists = this.topics.has(t.name)
        const n = t.numPartitions > 0 ? t.numPartitions : this.partitions
        const created = exists || req.validateOnly ? undefined : this.topic(t.name, true, n)
        return {
          name: t.name,
          topicId: created?.id ?? ZERO_UUID,
          errorCode: exists ? ErrorCode.TOPIC_ALREADY_EXISTS : 0,
          errorMessage: exists ? `Topic '${t.name}' already exists.` : null,
          topicConfigErrorCode: 0,
          numPartitions: n,
          replicationFactor: 1,
          configs: [],
        }
      }),
    }
  }

  private deleteTopics(req: DeleteTopicsRequest): DeleteTopicsResponse {
    return {
      throttleTimeMs: 0,
      responses: req.topicNames.map((name) => ({
        name,
        topicId: ZERO_UUID,
        errorCode: this.topics.delete(name) ? 0 : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        errorMessage: null,
      })),
    }
  }

  private describeConfigs(req: DescribeConfigsRequest, v: number): DescribeConfigsResponse {
    const defaults: [string, string][] = [
      ['cleanup.policy', 'delete'],
      ['retention.ms', '604800000'],
      ['max.message.bytes', '1048588'],
    ]
    return {
      throttleTimeMs: 0,
      results: req.resources.map((r) => ({
        errorCode: 0,
        errorMessage: null,
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        configs: defaults
          .filter(([name]) => r.configurationKeys === null || r.configurationKeys.includes(name))
          .map(([name, value]) => ({
            name,
            value,
            readOnly: false,
            isDefault: v === 0,
            configSource: 5, // DEFAULT_CONFIG
            isSensitive: false,
            synonyms: [],
            configType: 0,
            documentation: null,
          })),
      })),
    }
  }

  private createPartitions(req: CreatePartitionsRequest): CreatePartitionsResponse {
    return {
      throttleTimeMs: 0,
      results: req.topics.map((t) => {
        const topic = this.topics.get(t.name)
        if (topic !== undefined) {
          while (topic.partitions.length < t.count) topic.partitions.push({ batches: [], next: 0n })
        }
        return {
          name: t.name,
          errorCode: topic === undefined ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : 0,
          errorMessage: null,
        }
      }),
    }
  }
}

/**
 * Appends the batches of a produce request (a private copy: the request bytes stay as captured),
 * assigning offsets in place. Legacy message sets (magic 0/1) are stored as one unit.
 */
function append(log: PartitionLog, records: Buffer): bigint {
  const data = Buffer.from(records)
  const base = log.next
  let pos = 0
  while (data.length - pos >= LOG_OVERHEAD + 5) {
    const size = data.readInt32BE(pos + 8) + LOG_OVERHEAD
    if (size <= LOG_OVERHEAD || pos + size > data.length) break
    const magic = data.readInt8(pos + 16)
    const count = magic === 2 ? data.readInt32BE(pos + 23) + 1 : 1
    if (magic === 2) assignOffsets(data, pos, log.next, 0)
    else data.writeBigInt64BE(log.next, pos)
    const first = log.next
    log.next += BigInt(count)
    log.batches.push({ base: first, last: log.next - 1n, data: data.subarray(pos, pos + size) })
    pos += size
  }
  return base
}
