// ShareFetch: v0 (flexible; Kafka 4.0's early-access version). A share group member's fetch: the
// acknowledgements it carries are applied first (per-partition acknowledgeErrorCode), then records
// are acquired for it on every partition of its share session (epoch 0 opens the session with the
// partitions named; later epochs add to it and forgottenTopicsData removes; epoch -1 closes it,
// releasing what the member holds, and fetches nothing). Each partition answers its whole batches
// with the acquired offset ranges and their delivery counts; the client hands only those out.
// Waiting: when nothing could be acquired at once, the fetch waits up to max.wait.ms for new data.
// Not implemented: ACLs (READ on group and topic), share session epoch checking beyond
// existence, minBytes (one record is enough), nodeEndpoints for leader changes.

import type { Uuid } from '../../common/ids.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type ShareFetchRequest,
  type ShareFetchResponse,
  type ShareFetchResponsePartitionData,
  shareFetchRequestCodec,
  shareFetchResponseCodec,
} from '../../protocol/generated/messages/share-fetch.ts'
import type { ShareFetchOutcome, SharePartitions } from '../../share/share-partitions.ts'
import type { Handler } from '../handler.ts'

export interface ShareFetchServices {
  readonly sharePartitions: Pick<
    SharePartitions,
    'updateSession' | 'sessionPartitions' | 'closeSession' | 'acknowledge' | 'fetch'
  >
}

const FETCH_MAX_BYTES = 1024 * 1024

function fail(errorCode: number, message: string): ShareFetchResponse {
  return { throttleTimeMs: 0, errorCode, errorMessage: message, responses: [], nodeEndpoints: [] }
}

export const shareFetchHandler: Handler<ShareFetchRequest, ShareFetchResponse, ShareFetchServices> = {
  apiKey: 78,
  minVersion: 0,
  maxVersion: 0,
  request: shareFetchRequestCodec,
  response: shareFetchResponseCodec,
  splice: true,
  async handle(_ctx, req, s) {
    const groupId = req.groupId ?? ''
    const memberId = req.memberId ?? ''
    if (groupId === '' || memberId === '')
      return fail(ErrorCode.INVALID_REQUEST, 'GroupId and MemberId are required.')
    const keyOf = (topicId: Uuid, partition: number) => `${topicId}:${partition}`
    const parts = new Map<string, ShareFetchResponsePartitionData & { topicId: Uuid }>()
    const slot = (topicId: Uuid, partitionIndex: number) => {
      const k = keyOf(topicId, partitionIndex)
      let p = parts.get(k)
      if (p === undefined) {
        p = {
          topicId,
          partitionIndex,
          errorCode: 0,
          errorMessage: null,
          acknowledgeErrorCode: 0,
          acknowledgeErrorMessage: null,
          currentLeader: { leaderId: -1, leaderEpoch: -1 },
          records: null,
          acquiredRecords: [],
        }
        parts.set(k, p)
      }
      return p
    }
    const code =
      req.shareSessionEpoch === -1
        ? ErrorCode.NONE
        : s.sharePartitions.updateSession(
            groupId,
            memberId,
            req.shareSessionEpoch,
            req.topics.flatMap((t) => t.partitions.map((p) => keyOf(t.topicId, p.partitionIndex))),
            req.forgottenTopicsData.flatMap((t) => t.partitions.map((p) => keyOf(t.topicId, p))),
          )
    if (code !== ErrorCode.NONE) return fail(code, 'Share session not found.')
    // Acknowledgements first, so released records can be acquired again by this very fetch.
    for (const t of req.topics)
      for (const p of t.partitions) {
        if (p.acknowledgementBatches.length === 0) continue
        const c = await s.sharePartitions.acknowledge(
          { groupId, topicId: t.topicId, partition: p.partitionIndex },
          memberId,
          p.acknowledgementBatches,
        )
        slot(t.topicId, p.partitionIndex).acknowledgeErrorCode = c
      }
    if (req.shareSessionEpoch === -1) await s.sharePartitions.closeSession(groupId, memberId)
    else {
      const session = s.sharePartitions.sessionPartitions(groupId, memberId).map((k) => {
        const i = k.lastIndexOf(':')
        return { topicId: k.slice(0, i) as Uuid, partition: Number(k.slice(i + 1)) }
      })
      const maxBytes = Math.max(1, Math.min(req.maxBytes, FETCH_MAX_BYTES))
      const fetchAll = (wait: number) =>
        Promise.all(session.map((k) => s.sharePartitions.fetch({ groupId, ...k }, memberId, maxBytes, wait)))
      let outcomes: ShareFetchOutcome[] = await fetchAll(0)
      if (req.maxWaitMs > 0 && outcomes.every((o) => o.errorCode === 0 && o.acquired.length === 0))
        outcomes = await fetchAll(req.maxWaitMs)
      session.forEach((k, i) => {
        const o = outcomes[i]
        const p = slot(k.topicId, k.partition)
        p.errorCode = o.errorCode
        p.records = o.records
        p.acquiredRecords = o.acquired.map((a) => ({ ...a }))
        p.currentLeader = { leaderId: -1, leaderEpoch: o.leaderEpoch }
      })
    }
    const byTopic = new Map<Uuid, ShareFetchResponsePartitionData[]>()
    for (const { topicId, ...p } of parts.values()) {
      const list = byTopic.get(topicId) ?? []
      list.push(p)
      byTopic.set(topicId, list)
    }
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      responses: [...byTopic].map(([topicId, partitions]) => ({ topicId, partitions })),
      nodeEndpoints: [],
    }
  },
}
