// FindCoordinator: v0-6 (flexible 3+). v0 has the group id only; v1+ a key type (0 group,
// 1 transaction, 2 share group) and an error message; v4+ several keys at once (coordinatorKeys,
// one answer each). The coordinator of a group is the leader of its __consumer_offsets partition
// (Kafka's hash of the group id), reached through the listener the request came in on.
//
// Like Kafka, the first group lookup creates __consumer_offsets. Kafka creates it in the
// background and answers COORDINATOR_NOT_AVAILABLE (clients retry); our creation is synchronous,
// so the same request gets the coordinator. Error messages are Kafka's (its "NONE" included).
// Key type 1 (transaction): the leader of the transactional id's __transaction_state partition
// (same hash), the topic created on the first lookup as __consumer_offsets is.
// Not implemented: share groups (key type 2 answers INVALID_REQUEST, as Kafka does with share
// groups disabled).

import type { BrokerId } from '../../common/ids.ts'
import { OFFSETS_TOPIC } from '../../coordinator/group/group-config.ts'
import type { GroupCoordinator } from '../../coordinator/group/group-coordinator.ts'
import { TRANSACTION_STATE_TOPIC } from '../../coordinator/txn/txn-config.ts'
import type { TxnCoordinator } from '../../coordinator/txn/txn-coordinator.ts'
import type { MetadataStore } from '../../metadata/store.ts'
import { ERROR_TABLE, ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
  type FindCoordinatorResponseCoordinator,
  findCoordinatorRequestCodec,
  findCoordinatorResponseCodec,
} from '../../protocol/generated/messages/find-coordinator.ts'
import { AclOperation, ResourceType } from '../../security/acl-types.ts'
import { type Authorizing, allows, callerOf } from '../../security/authorizer-check.ts'
import type { Handler, RequestContext } from '../handler.ts'
import { liveBrokers } from './metadata-brokers.ts'

export interface FindCoordinatorServices extends Authorizing {
  readonly metadata: Pick<MetadataStore, 'image'>
  readonly groupCoordinator: Pick<GroupCoordinator, 'partitionFor' | 'ensureOffsetsTopic'>
  readonly txnCoordinator: Pick<TxnCoordinator, 'partitionFor' | 'ensureTopic'>
}

export const CoordinatorType = { group: 0, transaction: 1, share: 2 } as const

/** Kafka's Errors.message(): the exception text, or the error's name for NONE. */
function messageOf(errorCode: number): string {
  if (errorCode === ErrorCode.NONE) return 'NONE'
  return ERROR_TABLE.get(errorCode)?.message ?? ''
}

function answer(key: string, errorCode: number, node?: { id: number; host: string; port: number }) {
  return {
    key,
    nodeId: (node?.id ?? -1) as BrokerId,
    host: node?.host ?? '',
    port: node?.port ?? -1,
    errorCode,
    errorMessage: messageOf(errorCode),
  } satisfies FindCoordinatorResponseCoordinator
}

async function findOne(
  ctx: RequestContext,
  key: string,
  keyType: number,
  s: FindCoordinatorServices,
): Promise<FindCoordinatorResponseCoordinator> {
  if (keyType !== CoordinatorType.group && keyType !== CoordinatorType.transaction)
    return answer(key, ErrorCode.INVALID_REQUEST)
  const txn = keyType === CoordinatorType.transaction
  // Kafka refuses an empty transactional id here (a group id may be empty).
  if (txn && key === '') return answer(key, ErrorCode.INVALID_REQUEST)
  const coordinator = txn
    ? {
        topic: TRANSACTION_STATE_TOPIC,
        partitionFor: (k: string) => s.txnCoordinator.partitionFor(k),
        ensure: () => s.txnCoordinator.ensureTopic(),
      }
    : {
        topic: OFFSETS_TOPIC,
        partitionFor: (k: string) => s.groupCoordinator.partitionFor(k),
        ensure: () => s.groupCoordinator.ensureOffsetsTopic(),
      }
  let topic = s.metadata.image().topics.get(coordinator.topic)
  if (topic === undefined) {
    const created = await coordinator.ensure()
    if (created !== ErrorCode.NONE) return answer(key, ErrorCode.COORDINATOR_NOT_AVAILABLE)
    topic = s.metadata.image().topics.get(coordinator.topic)
    if (topic === undefined) return answer(key, ErrorCode.COORDINATOR_NOT_AVAILABLE)
  }
  const image = s.metadata.image()
  const partition = topic.partitions[coordinator.partitionFor(key)]
  const node =
    partition === undefined ? undefined : liveBrokers(image, ctx.connection.listener).get(partition.leader)
  if (node === undefined) return answer(key, ErrorCode.COORDINATOR_NOT_AVAILABLE)
  return answer(key, ErrorCode.NONE, node)
}

function single(c: FindCoordinatorResponseCoordinator): FindCoordinatorResponse {
  return {
    throttleTimeMs: 0,
    errorCode: c.errorCode,
    errorMessage: c.errorMessage,
    nodeId: c.nodeId,
    host: c.host,
    port: c.port,
    coordinators: [],
  }
}

export const findCoordinatorHandler: Handler<
  FindCoordinatorRequest,
  FindCoordinatorResponse,
  FindCoordinatorServices
> = {
  apiKey: 10,
  minVersion: 0,
  maxVersion: 6,
  request: findCoordinatorRequestCodec,
  response: findCoordinatorResponseCodec,
  async handle(ctx, req, services) {
    const version = ctx.apiVersion
    // With an authorizer: DESCRIBE on each group (GROUP_AUTHORIZATION_FAILED) or transactional id
    // (TRANSACTIONAL_ID_AUTHORIZATION_FAILED), key by key.
    const caller = callerOf(services.authorizer, ctx.connection)
    const txn = req.keyType === 1
    const find = (key: string) =>
      caller === null ||
      allows(caller, AclOperation.DESCRIBE, txn ? ResourceType.TRANSACTIONAL_ID : ResourceType.GROUP, key)
        ? findOne(ctx, key, req.keyType, services)
        : answer(
            key,
            txn ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED : ErrorCode.GROUP_AUTHORIZATION_FAILED,
          )
    if (version < 4) return single(await find(req.key))
    const coordinators = await Promise.all(req.coordinatorKeys.map(find))
    return { ...findCoordinatorResponseCodec.defaults(version), coordinators }
  },
  errorResponse(req, version, errorCode) {
    if (version < 4) return single(answer(req.key, errorCode))
    return {
      ...findCoordinatorResponseCodec.defaults(version),
      coordinators: req.coordinatorKeys.map((k) => answer(k, errorCode)),
    }
  },
}
