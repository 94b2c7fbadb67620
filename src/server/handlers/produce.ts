// Produce: v0-11 (flexible 9+). v3+ are served. v0-2 are advertised but refused with
// UNSUPPORTED_VERSION in every partition, as Kafka 4.0 does (KAFKA-18659): librdkafka before 2.11
// enables gzip/snappy/lz4 only when Produce v0 is in the advertised range.
// acks 0, 1 and -1; -1 is answered once every ISR member has the batch (the high watermark covers
// it), or REQUEST_TIMED_OUT after the request's timeoutMs; min.insync.replicas above the ISR size
// gives NOT_ENOUGH_REPLICAS before the write and NOT_ENOUGH_REPLICAS_AFTER_APPEND after it. acks=0
// gets no response (after the write completed, so a flooding client is held back).
// Per-partition errors are Kafka's (see replication/produce-validation.ts); compression is stored
// as sent (compression.type is not applied); idempotent batches are checked against the producer
// state (duplicates answered with their original offsets).
// v10+: a partition answered NOT_LEADER_OR_FOLLOWER (hosted elsewhere in a cluster) carries its
// leader and epoch from the metadata image (currentLeader), and the response lists that leader's
// endpoint on the request's listener (nodeEndpoints), as Kafka does (KIP-951, leader-hints.ts); other
// errors, and v3-9, carry no hint.
// Not implemented: transactional batches (INVALID_TXN_STATE, or TRANSACTIONAL_ID_AUTHORIZATION_FAILED
// without a transactional id), quotas (throttleTimeMs 0), closing the connection when an acks=0
// produce fails (Kafka does; the dispatcher has no way to ask for it yet).

import { ZERO_UUID } from '../../common/ids.ts'
import type { MetadataStore } from '../../metadata/store.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type ProduceRequest,
  type ProduceResponse,
  type ProduceResponsePartitionProduceResponse,
  type ProduceResponseTopicProduceResponse,
  produceRequestCodec,
  produceResponseCodec,
} from '../../protocol/generated/messages/produce.ts'
import type { AppendOutcome } from '../../replication/partition.ts'
import type { ReplicaManager } from '../../replication/replica-manager.ts'
import type { Handler } from '../handler.ts'
import { LeaderHints, NO_ENDPOINTS, NO_LEADER } from './leader-hints.ts'

export interface ProduceServices {
  replicaManager: ReplicaManager
  /** Where leader hints come from (v10+ NOT_LEADER_OR_FOLLOWER answers). */
  readonly metadata: Pick<MetadataStore, 'image'>
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

export const produceHandler: Handler<ProduceRequest, ProduceResponse, ProduceServices> = {
  apiKey: 0,
  minVersion: 0,
  maxVersion: 11,
  request: produceRequestCodec,
  response: produceResponseCodec,
  handle(ctx, req, services) {
    const noResponse = req.acks === 0
    if (ctx.apiVersion < 3)
      return noResponse ? null : allFailed(req, ErrorCode.UNSUPPORTED_VERSION, ctx.apiVersion)
    if (req.acks !== 0 && req.acks !== 1 && req.acks !== -1) {
      return allFailed(req, ErrorCode.INVALID_REQUIRED_ACKS, ctx.apiVersion)
    }
    const out = services.replicaManager.appendRecords({
      apiVersion: ctx.apiVersion,
      acks: req.acks,
      timeoutMs: req.timeoutMs,
      transactionalId: req.transactionalId,
      topics: req.topicData,
    })
    const listener = ctx.connection.listener
    if (out instanceof Promise)
      return out.then((o) => (noResponse ? null : buildResponse(req, o, ctx.apiVersion, services, listener)))
    return noResponse ? null : buildResponse(req, out, ctx.apiVersion, services, listener)
  },
  errorResponse(req, version, errorCode) {
    return allFailed(req, errorCode, version)
  },
}
