// CreatePartitions: v0-3 (flexible from v2). Raises a topic's partition count; the checks are the
// metadata store's (Kafka's controller): UNKNOWN_TOPIC_OR_PARTITION, INVALID_PARTITIONS when the
// count is not an increase, INVALID_REPLICA_ASSIGNMENT for assignments of the wrong size or with
// unknown brokers, INVALID_REPLICATION_FACTOR. A name given twice answers one INVALID_REQUEST
// "Duplicate topic name." entry, as Kafka does. validateOnly runs every check and changes nothing.
// New partitions' logs appear when the broker applies the store's change (expandedTopics).

import type { TopicName } from '../../common/ids.ts'
import type { MetadataStore, CreatePartitionsRequest as StoreRequest } from '../../metadata/store.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type CreatePartitionsRequest,
  type CreatePartitionsResponse,
  type CreatePartitionsResponseCreatePartitionsTopicResult,
  createPartitionsRequestCodec,
  createPartitionsResponseCodec,
} from '../../protocol/generated/messages/create-partitions.ts'
import { AclOperation } from '../../security/acl-types.ts'
import { type Authorizing, callerOf, topicChecker } from '../../security/authorizer-check.ts'
import type { Handler } from '../handler.ts'
import { type TopicsReadyHook, topicsReady } from './create-topics.ts'

export interface CreatePartitionsServices extends TopicsReadyHook, Authorizing {
  readonly metadata: MetadataStore
}

type Result = CreatePartitionsResponseCreatePartitionsTopicResult

const result = (name: string, errorCode: number, errorMessage: string | null): Result => ({
  name: name as TopicName,
  errorCode,
  errorMessage,
})

export const createPartitionsHandler: Handler<
  CreatePartitionsRequest,
  CreatePartitionsResponse,
  CreatePartitionsServices
> = {
  apiKey: 37,
  minVersion: 0,
  maxVersion: 3,
  request: createPartitionsRequestCodec,
  response: createPartitionsResponseCodec,

  async handle(ctx, req, services) {
    const counts = new Map<string, number>()
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1)
    const results: Result[] = []
    for (const [name, n] of counts)
      if (n > 1) results.push(result(name, ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'))
    // With an authorizer: ALTER on each topic, else TOPIC_AUTHORIZATION_FAILED.
    const caller = callerOf(services.authorizer, ctx.connection)
    const alterable = caller === null ? null : topicChecker(caller, AclOperation.ALTER)
    for (const [name, n] of counts)
      if (n === 1 && alterable !== null && !alterable(name))
        results.push(result(name, ErrorCode.TOPIC_AUTHORIZATION_FAILED, null))
    const requests: StoreRequest[] = req.topics
      .filter((t) => counts.get(t.name) === 1 && (alterable === null || alterable(t.name)))
      .map((t) => ({
        name: t.name,
        count: t.count,
        assignments: t.assignments === null ? null : t.assignments.map((a) => a.brokerIds),
      }))
    if (requests.length > 0) {
      const done = await services.metadata.createPartitions(requests, { validateOnly: req.validateOnly })
      const grown = done.filter((r) => r.errorCode === ErrorCode.NONE).map((r) => r.resourceName)
      if (!req.validateOnly) await topicsReady(services, grown, ctx.log)
      for (const [i, r] of done.entries()) {
        if (r.errorCode === ErrorCode.NONE && !req.validateOnly)
          ctx.log.info(`Topic ${r.resourceName} now has ${requests[i]!.count} partitions`)
        results.push(result(r.resourceName, r.errorCode, r.errorMessage))
      }
    }
    return { throttleTimeMs: 0, results }
  },

  errorResponse(req, _version, errorCode) {
    const names = [...new Set(req.topics.map((t) => t.name as string))]
    return { throttleTimeMs: 0, results: names.map((n) => result(n, errorCode, null)) }
  },
}
