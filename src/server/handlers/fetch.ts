// Fetch: v4-17 (flexible 12+). v4 is the floor (kafka-python 2.0.2 sends v4, librdkafka < 2.11
// probes v4 and v10); Kafka 4.0 serves the same range.
// Long-poll: answers once min.bytes are available or max.wait.ms passed, woken by the writes that
// add data (replication/fetch-reader.ts); max.bytes (capped by fetch.max.bytes) and partition max
// bytes, the first batch even when larger (KIP-74); read_committed reads below the last stable
// offset (= high watermark, no transactions). KIP-227 sessions (v7+), full and incremental
// (server/fetch-session.ts). Topic ids from v13 (unknown id: UNKNOWN_TOPIC_ID). currentLeaderEpoch
// fencing (v9+); lastFetchedEpoch → divergingEpoch (v12+). Record bytes are read with one
// positional read per segment touched and spliced into the response frame, never copied.
// v16+: a partition answered NOT_LEADER_OR_FOLLOWER or FENCED_LEADER_EPOCH carries its leader and
// epoch from the metadata image (currentLeader), and the response lists those leaders' endpoints on
// the request's listener (nodeEndpoints), as Kafka does (KIP-951, leader-hints.ts); v12-15 have the
// currentLeader field but Kafka leaves it at -1/-1 there, and so do we.
// Followers (replicaId / ReplicaState v15+) read to the log end, wait for it to move, and their
// fetch offset and log start update the leader's view of them (high watermark, ISR); they fetch
// from the leader only (NOT_LEADER_OR_FOLLOWER elsewhere).
// Fetch from the closest replica (KIP-392), v11+: a consumer's fetch carries client metadata (its
// rackId, '' when unset, and the listener it came in on), so a follower serves it up to the
// follower's high watermark; below v11 only the leader serves consumers (NOT_LEADER_OR_FOLLOWER).
// With replica.selector.class = RackAwareReplicaSelector the leader answers such a fetch, when an
// ISR follower in the client's rack holds the fetch offset, with preferredReadReplica = that
// broker, no records and at once (replication/replica-selector.ts); an incremental session always
// includes that partition. currentLeaderEpoch is checked first, on followers too
// (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH), as Kafka does.
// Client quotas: throttleTimeMs (and the empty answer of a throttled fetch) come from the
// dispatcher (server/dispatcher.ts, KIP-219). Not implemented: aborted transactions (none exist).

import type { BrokerId, TopicName, Uuid } from '../../common/ids.ts'
import { ZERO_UUID } from '../../common/ids.ts'
import type { MetadataStore } from '../../metadata/store.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type FetchRequest,
  type FetchResponse,
  type FetchResponseAbortedTransaction,
  type FetchResponseFetchableTopicResponse,
  type FetchResponsePartitionData,
  fetchRequestCodec,
  fetchResponseCodec,
} from '../../protocol/generated/messages/fetch.ts'
import type { FetchPartitionResult } from '../../replication/fetch-reader.ts'
import type { ReplicaManager } from '../../replication/replica-manager.ts'
import { AclOperation } from '../../security/acl-types.ts'
import {
  type Authorizing,
  allowsCluster,
  type Caller,
  callerOf,
  topicChecker,
} from '../../security/authorizer-check.ts'
import type { FetchSessionCache, ForgottenPartition, SessionPartition } from '../fetch-session.ts'
import type { Handler } from '../handler.ts'
import { LeaderHints, NO_ENDPOINTS, NO_LEADER } from './leader-hints.ts'

/** Per-topic fetch counters (observability/topic-metrics.ts), told each request's results. */
export interface FetchTraffic {
  fetched(
    parts: readonly SessionPartition[],
    results: readonly FetchPartitionResult[],
    follower: boolean,
  ): void
}

export interface FetchServices extends Authorizing {
  replicaManager: ReplicaManager
  fetchSessions: FetchSessionCache
  /** Where leader hints come from (v16+ NOT_LEADER_OR_FOLLOWER / FENCED_LEADER_EPOCH answers). */
  readonly metadata: Pick<MetadataStore, 'image'>
  /** Present while metrics are on (samsa.http.listeners). */
  readonly traffic?: FetchTraffic | null
}

const NO_DIVERGENCE = Object.freeze({ epoch: -1, endOffset: -1n })
const NO_SNAPSHOT = Object.freeze({ endOffset: -1n, epoch: -1 })
const NO_RECORDS = Buffer.alloc(0)

function partitionData(index: number, r: FetchPartitionResult): FetchResponsePartitionData {
  return {
    partitionIndex: index,
    errorCode: r.errorCode,
    highWatermark: r.highWatermark,
    lastStableOffset: r.lastStableOffset,
    logStartOffset: r.logStartOffset,
    divergingEpoch: r.divergingEpoch ?? NO_DIVERGENCE,
    currentLeader: NO_LEADER,
    snapshotId: NO_SNAPSHOT,
    // Read only by the encoder.
    abortedTransactions: r.abortedTransactions as FetchResponseAbortedTransaction[] | null,
    preferredReadReplica: (r.preferredReadReplica ?? -1) as BrokerId,
    records: r.records,
  }
}

function errorData(index: number, errorCode: number): FetchResponsePartitionData {
  return partitionData(index, {
    errorCode,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    records: NO_RECORDS,
    divergingEpoch: null,
    abortedTransactions: null,
  })
}

/** The request's partitions as session entries; v13+ name topics by id only. */
function requestedPartitions(req: FetchRequest, usesIds: boolean): SessionPartition[] {
  // Sized exactly: a growing array would reserve room for 16 more (per fetch, in the hot path).
  let n = 0
  for (const t of req.topics) n += t.partitions.length
  const out = new Array<SessionPartition>(n)
  let k = 0
  for (const t of req.topics) {
    for (const p of t.partitions) {
      out[k++] = {
        topic: usesIds ? null : t.topic,
        topicId: usesIds ? t.topicId : ZERO_UUID,
        partition: p.partition,
        fetchOffset: p.fetchOffset,
        logStartOffset: p.logStartOffset,
        partitionMaxBytes: p.partitionMaxBytes,
        currentLeaderEpoch: p.currentLeaderEpoch,
        lastFetchedEpoch: p.lastFetchedEpoch,
      }
    }
  }
  return out
}

/** Shared by every fetch that forgets nothing (most of them). */
const NOTHING_FORGOTTEN: readonly ForgottenPartition[] = Object.freeze([])

function forgottenPartitions(req: FetchRequest, usesIds: boolean): readonly ForgottenPartition[] {
  if (req.forgottenTopicsData.length === 0) return NOTHING_FORGOTTEN
  const out: ForgottenPartition[] = []
  for (const t of req.forgottenTopicsData) {
    for (const partition of t.partitions) {
      out.push({ topic: usesIds ? null : t.topic, topicId: usesIds ? t.topicId : ZERO_UUID, partition })
    }
  }
  return out
}

/** Groups consecutive partitions of the same topic into one topic entry, in order. */
function groupByTopic(
  parts: readonly SessionPartition[],
  data: readonly FetchResponsePartitionData[],
  include: readonly boolean[] | null,
): FetchResponseFetchableTopicResponse[] {
  let out: FetchResponseFetchableTopicResponse[] | null = null
  let cur: FetchResponseFetchableTopicResponse | null = null
  for (let i = 0; i < parts.length; i++) {
    if (include !== null && !include[i]) continue
    const p = parts[i]
    const topic = (p.topic ?? '') as TopicName
    if (cur === null || cur.topicId !== p.topicId || cur.topic !== topic) {
      // Array literals of their first element: exactly sized in the usual one-partition case.
      cur = { topic, topicId: p.topicId, partitions: [data[i]!] }
      if (out === null) out = [cur]
      else out.push(cur)
    } else cur.partitions.push(data[i]!)
  }
  // An incremental fetch with no news (most of a follower's) answers no topic.
  return out ?? (NO_TOPICS as FetchResponseFetchableTopicResponse[])
}

const NO_TOPICS: readonly FetchResponseFetchableTopicResponse[] = Object.freeze([])

const DENIED: FetchPartitionResult = Object.freeze({
  errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  highWatermark: -1n,
  lastStableOffset: -1n,
  logStartOffset: -1n,
  records: NO_RECORDS,
  divergingEpoch: null,
  abortedTransactions: null,
})

/** Consumers need READ on each topic (one check per topic): which session partitions may not be read. */
function unreadable(
  c: Caller,
  parts: readonly SessionPartition[],
  services: FetchServices,
): boolean[] | null {
  const readable = topicChecker(c, AclOperation.READ)
  let denied: boolean[] | null = null
  const image = services.metadata.image()
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]
    const name = p.topic ?? image.topicsById.get(p.topicId)?.name
    // An unknown topic id is answered UNKNOWN_TOPIC_ID by the read, as without an authorizer.
    if (name !== undefined && !readable(name)) {
      denied ??= new Array(parts.length).fill(false)
      denied[i] = true
    }
  }
  return denied
}

export const fetchHandler: Handler<FetchRequest, FetchResponse, FetchServices> = {
  apiKey: 1,
  minVersion: 4,
  maxVersion: 17,
  request: fetchRequestCodec,
  response: fetchResponseCodec,
  splice: true,
  async handle(ctx, req, services) {
    const v = ctx.apiVersion
    const usesIds = v >= 13
    const replicaId = v >= 15 ? req.replicaState.replicaId : req.replicaId
    const context = services.fetchSessions.newContext({
      version: v,
      sessionId: req.sessionId,
      sessionEpoch: req.sessionEpoch,
      partitions: requestedPartitions(req, usesIds),
      forgotten: forgottenPartitions(req, usesIds),
      isFollower: replicaId >= 0,
    })
    if (context.errorCode !== ErrorCode.NONE) {
      return {
        throttleTimeMs: 0,
        errorCode: context.errorCode,
        sessionId: 0,
        responses: [],
        nodeEndpoints: [],
      }
    }
    const parts = context.partitions
    const caller = callerOf(services.authorizer, ctx.connection)
    // Followers need CLUSTER_ACTION (every partition refused otherwise), consumers READ per topic.
    if (caller !== null && replicaId >= 0 && !allowsCluster(caller, AclOperation.CLUSTER_ACTION))
      return fetchHandler.errorResponse!(req, v, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
    const denied = caller === null || replicaId >= 0 ? null : unreadable(caller, parts, services)
    const allowed = denied === null ? parts : parts.filter((_, i) => !denied[i])
    // Nothing readable: answered at once, as Kafka does, rather than waiting maxWaitMs.
    const fetched =
      denied !== null && allowed.length === 0
        ? []
        : await services.replicaManager.fetch(
            {
              replicaId,
              maxWaitMs: req.maxWaitMs,
              minBytes: req.minBytes,
              maxBytes: req.maxBytes,
              isolationLevel: req.isolationLevel,
              replicaEpoch: v >= 15 ? req.replicaState.replicaEpoch : -1n,
              clientMetadata:
                v >= 11 && replicaId < 0 ? { rackId: req.rackId, listener: ctx.connection.listener } : null,
            },
            allowed,
          )
    let results = fetched
    if (denied !== null) {
      let k = 0
      results = parts.map((_, i) => (denied[i] ? DENIED : fetched[k++]))
    }
    services.traffic?.fetched(parts, results, replicaId >= 0)
    const done = context.complete(results)
    if (done.errorCode !== ErrorCode.NONE) {
      return {
        throttleTimeMs: 0,
        errorCode: done.errorCode,
        sessionId: done.sessionId,
        responses: [],
        nodeEndpoints: NO_ENDPOINTS,
      }
    }
    const data: FetchResponsePartitionData[] = new Array(results.length)
    let hints: LeaderHints | null = null
    const include = done.include
    for (let i = 0; i < results.length; i++) {
      const r = results[i]
      const p = parts[i]
      const d = partitionData(p.partition, r)
      // A redirect is news even when the offsets did not move (Kafka's session rule).
      if (include !== null && d.preferredReadReplica >= 0) include[i] = true
      if (
        v >= 16 &&
        (r.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER || r.errorCode === ErrorCode.FENCED_LEADER_EPOCH)
      ) {
        hints ??= new LeaderHints(services.metadata.image(), ctx.connection.listener)
        d.currentLeader = hints.leaderOf(p.topic, p.topicId, p.partition)
      }
      data[i] = d
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      sessionId: done.sessionId,
      responses: groupByTopic(parts, data, include),
      nodeEndpoints: hints === null ? NO_ENDPOINTS : hints.endpoints(),
    }
  },
  errorResponse(req, version, errorCode) {
    const usesIds = version >= 13
    return {
      throttleTimeMs: 0,
      errorCode,
      sessionId: 0,
      responses: req.topics.map((t) => ({
        topic: t.topic,
        topicId: usesIds ? t.topicId : (ZERO_UUID as Uuid),
        partitions: t.partitions.map((p) => errorData(p.partition, errorCode)),
      })),
      nodeEndpoints: [],
    }
  },
}
