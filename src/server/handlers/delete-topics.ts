// DeleteTopics: v0-6 (flexible from v4). By name (v0-5: topicNames; v6: topics with a name) or by
// topic id (v6: topics with an id). Kafka's rules (KRaft ControllerApis):
// - delete.topic.enable=false refuses every topic: INVALID_REQUEST before v3, TOPIC_DELETION_DISABLED
//   from v3.
// - v6 entries with both a name and an id, or neither, answer INVALID_REQUEST; a name or id given
//   twice answers one INVALID_REQUEST entry ("Duplicate topic name." / "Duplicate topic id.").
// - Unknown names answer UNKNOWN_TOPIC_OR_PARTITION, unknown ids UNKNOWN_TOPIC_ID (with a null name).
// - Error messages travel from v5.
// Deletion is durable in the metadata store before the answer (timeoutMs is not needed); the logs
// are removed when the broker applies the store's change (MetadataStore.subscribe, deletedTopics).

import type { TopicName, Uuid } from '../../common/ids.ts'
import { ZERO_UUID } from '../../common/ids.ts'
import type { BrokerConfig } from '../../config/broker-config.ts'
import type { DeleteTopicRequest, MetadataStore } from '../../metadata/store.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type DeleteTopicsRequest,
  type DeleteTopicsResponse,
  type DeleteTopicsResponseDeletableTopicResult,
  deleteTopicsRequestCodec,
  deleteTopicsResponseCodec,
} from '../../protocol/generated/messages/delete-topics.ts'
import { AclOperation } from '../../security/acl-types.ts'
import { type Authorizing, callerOf, topicChecker } from '../../security/authorizer-check.ts'
import type { Handler } from '../handler.ts'

export interface DeleteTopicsServices extends Authorizing {
  readonly metadata: MetadataStore
  /** The broker config in effect (delete.topic.enable). */
  brokerConfig(): BrokerConfig
}

type Result = DeleteTopicsResponseDeletableTopicResult

const result = (
  name: string | null,
  topicId: Uuid,
  errorCode: number,
  errorMessage: string | null,
): Result => ({
  name: name as TopicName | null,
  topicId,
  errorCode,
  errorMessage,
})

/** The request's topics as (name, id) pairs, whatever the version. */
function entries(req: DeleteTopicsRequest, version: number): { name: string | null; topicId: Uuid }[] {
  return version >= 6
    ? req.topics.map((t) => ({ name: t.name, topicId: t.topicId }))
    : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }))
}

export const deleteTopicsHandler: Handler<DeleteTopicsRequest, DeleteTopicsResponse, DeleteTopicsServices> = {
  apiKey: 20,
  minVersion: 0,
  maxVersion: 6,
  request: deleteTopicsRequestCodec,
  response: deleteTopicsResponseCodec,

  async handle(ctx, req, services) {
    const version = ctx.apiVersion
    if (!services.brokerConfig().deleteTopicEnable)
      return deleteTopicsHandler.errorResponse!(
        req,
        version,
        version < 3 ? ErrorCode.INVALID_REQUEST : ErrorCode.TOPIC_DELETION_DISABLED,
      )

    const results: Result[] = []
    const byName = new Map<string, number>()
    const byId = new Map<Uuid, number>()
    for (const e of entries(req, version)) {
      if (e.name !== null && e.topicId !== ZERO_UUID)
        results.push(
          result(
            e.name,
            e.topicId,
            ErrorCode.INVALID_REQUEST,
            'You may not specify both topic name and topic id.',
          ),
        )
      else if (e.name === null && e.topicId === ZERO_UUID)
        results.push(
          result(null, ZERO_UUID, ErrorCode.INVALID_REQUEST, 'Neither topic name nor id were specified.'),
        )
      else if (e.name !== null) byName.set(e.name, (byName.get(e.name) ?? 0) + 1)
      else byId.set(e.topicId, (byId.get(e.topicId) ?? 0) + 1)
    }
    const requests: DeleteTopicRequest[] = []
    for (const [name, n] of byName) {
      if (n > 1) results.push(result(name, ZERO_UUID, ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'))
      else requests.push({ name })
    }
    for (const [topicId, n] of byId) {
      if (n > 1) results.push(result(null, topicId, ErrorCode.INVALID_REQUEST, 'Duplicate topic id.'))
      else requests.push({ topicId })
    }
    // With an authorizer: DELETE on each topic (else TOPIC_AUTHORIZATION_FAILED, one check per topic).
    const caller = callerOf(services.authorizer, ctx.connection)
    if (caller !== null && requests.length > 0) {
      const deletable = topicChecker(caller, AclOperation.DELETE)
      const image = services.metadata.image()
      for (let i = requests.length - 1; i >= 0; i--) {
        const r = requests[i]
        const name = r.name ?? (r.topicId ? image.topicsById.get(r.topicId)?.name : undefined)
        if (name === undefined || deletable(name)) continue
        results.push(
          result(r.name ?? null, r.topicId ?? ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED, null),
        )
        requests.splice(i, 1)
      }
    }
    if (requests.length > 0) {
      for (const r of await services.metadata.deleteTopics(requests)) {
        if (r.errorCode === ErrorCode.NONE) ctx.log.info(`Deleted topic ${r.name} (id ${r.topicId})`)
        // Before v6 the name is not nullable; by-name requests always carry it.
        results.push(result(r.name, r.topicId, r.errorCode, r.errorMessage))
      }
    }
    return { throttleTimeMs: 0, responses: results }
  },

  errorResponse(req, version, errorCode) {
    return {
      throttleTimeMs: 0,
      responses: entries(req, version).map((e) => result(e.name, e.topicId, errorCode, null)),
    }
  },
}
