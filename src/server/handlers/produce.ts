// Produce: v0-11 (flexible 9+). v3+ are served. v0-2 are advertised but refused with
// UNSUPPORTED_VERSION in every partition, as Kafka 4.0 does (KAFKA-18659): librdkafka before 2.11
// enables gzip/snappy/lz4 only when Produce v0 is in the advertised range.
// acks 0, 1 and -1; -1 is answered once every ISR member has the batch (the high watermark covers
// it), or REQUEST_TIMED_OUT after the request's timeoutMs; min.insync.replicas above the ISR size
// gives NOT_ENOUGH_REPLICAS before the write and NOT_ENOUGH_REPLICAS_AFTER_APPEND after it. acks=0
// gets no response (after the write completed, so a flooding client is held back).
// Per-partition errors are Kafka's (see replication/produce-validation.ts); idempotent batches are
// checked against the producer state (duplicates answered with their original offsets).
// compression.type (topic, else broker): 'producer' (the default) stores batches as sent, untouched
// (one config lookup per topic); naming a codec makes the broker rebuild every batch sent in another
// codec with that one, as Kafka does (records/recompress.ts: new CRC, producer id/epoch/sequence
// kept; the codecs' default levels); records that do not decompress answer CORRUPT_MESSAGE, and the
// rebuilt batch is checked against max.message.bytes again.
// v10+: a partition answered NOT_LEADER_OR_FOLLOWER (hosted elsewhere in a cluster) carries its
// leader and epoch from the metadata image (currentLeader), and the response lists that leader's
// endpoint on the request's listener (nodeEndpoints), as Kafka does (KIP-951, leader-hints.ts); other
// errors, and v3-9, carry no hint.
// An acks=0 produce in which any partition failed closes the connection (CLOSE_CONNECTION), as Kafka
// does: it is the client's only signal (librdkafka logs the disconnect and refreshes its metadata).
// Transactional batches are written when the request names a transactional id (the producer state
// opens the transaction; the coordinator's markers close it; replication/unified-log.ts). A batch
// that would open a transaction on a partition is first verified with the transaction coordinator
// (KIP-890 part 1, transaction.partition.verification.enable, replication/txn-verification.ts):
// INVALID_TXN_STATE when the partition is not in the producer's ongoing transaction.
// Client quotas: throttleTimeMs is set by the dispatcher (server/dispatcher.ts, KIP-219).

import { ZERO_UUID } from '../../common/ids.ts'
import type { MetadataStore } from '../../metadata/store.ts'
import { ErrorCode, errorName } from '../../protocol/generated/error-codes.ts'
import {
  type ProduceRequest,
  type ProduceResponse,
  type ProduceResponsePartitionProduceResponse,
  type ProduceResponseTopicProduceResponse,
  produceRequestCodec,
  produceResponseCodec,
} from '../../protocol/generated/messages/produce.ts'
import { type AppendOutcome, errorOutcome } from '../../replication/partition.ts'
import { recompressProduced, targetCodec } from '../../replication/produce-validation.ts'
import type { ReplicaManager } from '../../replication/replica-manager.ts'
import { AclOperation, ResourceType } from '../../security/acl-types.ts'
import { type Authorizing, allows, callerOf, topicChecker } from '../../security/authorizer-check.ts'
import type { LogConfig } from '../../storage/log-config.ts'
import { CLOSE_CONNECTION } from '../dispatcher.ts'
import type { Handler, RequestContext } from '../handler.ts'
import { LeaderHints, NO_ENDPOINTS, NO_LEADER } from './leader-hints.ts'

/** Per-topic produce counters (observability/topic-metrics.ts), told each request's outcomes. */
export interface ProduceTraffic {
  produced(topics: ProduceRequest['topicData'], outcomes: readonly AppendOutcome[]): void
}

export interface ProduceServices extends Authorizing {
  replicaManager: ReplicaManager
  /** Where leader hints come from (v10+ NOT_LEADER_OR_FOLLOWER answers). */
  readonly metadata: Pick<MetadataStore, 'image'>
  /** Present while metrics are on (samsa.http.listeners). */
  readonly traffic?: ProduceTraffic | null
}

const NO_RECORD_ERRORS = Object.freeze(
  [],
) as unknown as ProduceResponsePartitionProduceResponse['recordErrors']

/** recordErrors exist from v8; earlier versions refuse a non-empty list. */
function partitionResponse(
  index: number,
  o: AppendOutcome,
  version: number,
): ProduceResponsePartitionProduceResponse {
  return {
    index,
    errorCode: o.errorCode,
    baseOffset: o.baseOffset,
    logAppendTimeMs: o.logAppendTimeMs,
    logStartOffset: o.logStartOffset,
    recordErrors:
      o.recordErrors === undefined || version < 8
        ? NO_RECORD_ERRORS
        : o.recordErrors.map((e) => ({ batchIndex: e.batchIndex, batchIndexErrorMessage: e.message })),
    errorMessage: o.errorMessage,
    currentLeader: NO_LEADER,
  }
}

/**
 * The response in request order. With `services` (null for answers that cannot carry
 * NOT_LEADER_OR_FOLLOWER), v10+ partitions led elsewhere get leader hints; the image is read only
 * when one does.
 */
function buildResponse(
  req: ProduceRequest,
  outcomes: readonly AppendOutcome[],
  version: number,
  services: ProduceServices | null,
  listener: string,
): ProduceResponse {
  const responses: ProduceResponseTopicProduceResponse[] = new Array(req.topicData.length)
  const source = version >= 10 ? services : null
  let hints: LeaderHints | null = null
  let slot = 0
  for (let i = 0; i < req.topicData.length; i++) {
    const t = req.topicData[i]
    const parts: ProduceResponsePartitionProduceResponse[] = new Array(t.partitionData.length)
    for (let j = 0; j < t.partitionData.length; j++) {
      const o = outcomes[slot++]
      const part = partitionResponse(t.partitionData[j].index, o, version)
      if (source !== null && o.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER) {
        hints ??= new LeaderHints(source.metadata.image(), listener)
        part.currentLeader = hints.leaderOf(t.name, ZERO_UUID, part.index)
      }
      parts[j] = part
    }
    responses[i] = { name: t.name, partitionResponses: parts }
  }
  return { responses, throttleTimeMs: 0, nodeEndpoints: hints === null ? NO_ENDPOINTS : hints.endpoints() }
}

function allFailed(req: ProduceRequest, errorCode: number, version: number): ProduceResponse {
  const outcomes: AppendOutcome[] = []
  for (const t of req.topicData) {
    for (let j = 0; j < t.partitionData.length; j++) {
      outcomes.push({
        errorCode,
        baseOffset: -1n,
        logAppendTimeMs: -1n,
        logStartOffset: -1n,
        errorMessage: null,
      })
    }
  }
  return buildResponse(req, outcomes, version, null, '')
}

/** The request's partitions as appended under compression.type, and those refused before. */
interface Recompression {
  topics: ProduceRequest['topicData']
  /** Flat slot (request order) → outcome, for batches that could not be rebuilt. */
  refused: Map<number, AppendOutcome>
}

/**
 * Applies topics' compression.type: null when every topic keeps batches as sent ('producer', the
 * default: one lookup per topic, no batch is touched); else the partitions with batches in another
 * codec rebuilt with the topic's (produce-validation.ts recompressProduced).
 */
function recompression(req: ProduceRequest, version: number, rm: ReplicaManager): Recompression | null {
  let plan: Recompression | null = null
  let slot = 0
  for (let i = 0; i < req.topicData.length; i++) {
    const t = req.topicData[i]
    const first = slot
    slot += t.partitionData.length
    let config: LogConfig | undefined
    for (const p of t.partitionData) {
      config = rm.partition(t.name, p.index)?.log.config
      if (config !== undefined) break
    }
    const target = config === undefined ? null : targetCodec(config)
    if (target === null) continue
    plan ??= { topics: req.topicData.slice(), refused: new Map() }
    const now = Date.now()
    const partitionData: typeof t.partitionData = []
    for (let j = 0; j < t.partitionData.length; j++) {
      const p = t.partitionData[j]
      const r = recompressProduced(p.records, target, version, config!, now)
      if (r === null || Buffer.isBuffer(r)) partitionData.push(r === p.records ? p : { ...p, records: r })
      else plan.refused.set(first + j, errorOutcome(r.errorCode, r.message))
    }
    plan.topics[i] = { ...t, partitionData }
  }
  return plan
}

/** The outcomes of every partition in request order: appended ones and those refused before. */
function withRefused(
  appended: AppendOutcome[] | Promise<AppendOutcome[]>,
  refused: ReadonlyMap<number, AppendOutcome>,
): AppendOutcome[] | Promise<AppendOutcome[]> {
  const merge = (a: AppendOutcome[]) => {
    const out: AppendOutcome[] = []
    let k = 0
    for (let s = 0; s < a.length + refused.size; s++) out.push(refused.get(s) ?? a[k++])
    return out
  }
  return appended instanceof Promise ? appended.then(merge) : merge(appended)
}

/**
 * What an acks=0 produce gets: nothing when every partition succeeded, else the connection closes
 * (the client's only signal, after which it refreshes its metadata), logged as Kafka logs it.
 */
function silentAnswer(ctx: RequestContext, req: ProduceRequest, outcomes: readonly AppendOutcome[]): null {
  if (outcomes.every((o) => o.errorCode === ErrorCode.NONE)) return null
  const failed: string[] = []
  let slot = 0
  for (const t of req.topicData) {
    for (const p of t.partitionData) {
      const code = outcomes[slot++].errorCode
      if (code !== ErrorCode.NONE) failed.push(`${t.name}-${p.index}: ${errorName(code)}`)
    }
  }
  ctx.log.info(
    `Closing connection due to error during produce request with correlation id ${ctx.correlationId} ` +
      `from client id ${ctx.clientId ?? ''} with ack=0. Topic and partition to errors: ${failed.join(', ')}`,
  )
  return CLOSE_CONNECTION
}

/**
 * With an authorizer: a transactional produce needs WRITE on its transactional id (else the whole
 * request fails), each topic WRITE (else its partitions get TOPIC_AUTHORIZATION_FAILED and are not
 * appended). One check per topic; null when everything is allowed.
 */
function authorization(
  ctx: RequestContext,
  req: ProduceRequest,
  services: ProduceServices,
): { whole: number } | { req: ProduceRequest; refused: Map<number, AppendOutcome> } | null {
  const caller = callerOf(services.authorizer, ctx.connection)
  if (caller === null) return null
  if (
    req.transactionalId !== null &&
    !allows(caller, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId)
  )
    return { whole: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED }
  const writable = topicChecker(caller, AclOperation.WRITE)
  let refused: Map<number, AppendOutcome> | null = null
  const kept: ProduceRequest['topicData'] = []
  let slot = 0
  for (const t of req.topicData) {
    if (writable(t.name)) kept.push(t)
    else {
      refused ??= new Map()
      for (let j = 0; j < t.partitionData.length; j++)
        refused.set(slot + j, errorOutcome(ErrorCode.TOPIC_AUTHORIZATION_FAILED, null))
    }
    slot += t.partitionData.length
  }
  return refused === null ? null : { req: { ...req, topicData: kept }, refused }
}

export const produceHandler: Handler<ProduceRequest, ProduceResponse, ProduceServices> = {
  apiKey: 0,
  minVersion: 0,
  maxVersion: 11,
  request: produceRequestCodec,
  response: produceResponseCodec,
  handle(ctx, req, services) {
    const noResponse = req.acks === 0
    if (ctx.apiVersion < 3)
      return noResponse ? CLOSE_CONNECTION : allFailed(req, ErrorCode.UNSUPPORTED_VERSION, ctx.apiVersion)
    if (req.acks !== 0 && req.acks !== 1 && req.acks !== -1) {
      return allFailed(req, ErrorCode.INVALID_REQUIRED_ACKS, ctx.apiVersion)
    }
    const denied = authorization(ctx, req, services)
    if (denied !== null && 'whole' in denied)
      return noResponse ? CLOSE_CONNECTION : allFailed(req, denied.whole, ctx.apiVersion)
    const data = denied === null ? req : denied.req
    const plan = recompression(data, ctx.apiVersion, services.replicaManager)
    const appended =
      data.topicData.length === 0
        ? []
        : services.replicaManager.appendRecords({
            apiVersion: ctx.apiVersion,
            acks: req.acks,
            timeoutMs: req.timeoutMs,
            transactionalId: req.transactionalId,
            topics: plan === null ? data.topicData : plan.topics,
          })
    const mine = plan === null || plan.refused.size === 0 ? appended : withRefused(appended, plan.refused)
    const out = denied === null ? mine : withRefused(mine, denied.refused)
    const listener = ctx.connection.listener
    const traffic = services.traffic ?? null
    if (out instanceof Promise)
      return out.then((o) => {
        traffic?.produced(req.topicData, o)
        return noResponse
          ? silentAnswer(ctx, req, o)
          : buildResponse(req, o, ctx.apiVersion, services, listener)
      })
    traffic?.produced(req.topicData, out)
    return noResponse
      ? silentAnswer(ctx, req, out)
      : buildResponse(req, out, ctx.apiVersion, services, listener)
  },
  errorResponse(req, version, errorCode) {
    return allFailed(req, errorCode, version)
  },
}
