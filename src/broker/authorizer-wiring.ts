// The broker's authorizer at startup: `authorizer.class.name` read (an unknown class is a one-line
// startup error; empty = no authorizer, today's behaviour), the ACL store of the metadata mode, and
// the request-level checks of the APIs whose whole request names one resource (a group, a
// transactional id, the cluster). Those checks wrap the handler here, only when the authorizer is
// on, and answer the handler's errorResponse with Kafka's error code, as Kafka's KafkaApis does;
// checks per topic or per resource inside a request live in the handlers themselves.

import type { Fs } from '../common/fs.ts'
import type { Logger } from '../common/logger.ts'
import type { BrokerConfig } from '../config/broker-config.ts'
import { FileAclStore } from '../metadata/acl-store.ts'
import { ZkAclStore } from '../metadata/zk/zk-acl-store.ts'
import type { ZkClient } from '../metadata/zk/zk-client.ts'
import { ErrorCode } from '../protocol/generated/error-codes.ts'
import { AclOperation as Op, ResourceType } from '../security/acl-types.ts'
import { Authorizer, readAuthorizerSettings } from '../security/authorizer.ts'
import {
  type Authorizing,
  allows,
  allowsCluster,
  type Caller,
  callerOf,
} from '../security/authorizer-check.ts'
import { genericError } from '../server/dispatcher.ts'
import type { AnyHandler } from '../server/handler.ts'

/** The authorizer's settings, or null when none is configured; throws one line when invalid. */
export function authorizerSettings(config: BrokerConfig) {
  const { settings, problem } = readAuthorizerSettings(config.static)
  if (problem !== null) throw new Error(problem)
  return settings
}

/** Opens the ACL store of the metadata mode and loads every ACL. */
export async function startAuthorizer(
  settings: NonNullable<ReturnType<typeof authorizerSettings>>,
  zk: ZkClient | null,
  fs: Fs,
  logDir: string,
  log: Logger,
): Promise<Authorizer> {
  const store = zk === null ? new FileAclStore(fs, logDir) : new ZkAclStore(zk, { logger: log })
  const az = new Authorizer(settings, store, (e) => log.error('reloading ACLs failed', e))
  await az.start()
  return az
}

// biome-ignore lint/suspicious/noExplicitAny: requests of every API
type Check = (req: any, c: Caller, version: number) => number

const OK = ErrorCode.NONE
const cluster =
  (op: number): Check =>
  (_req, c) =>
    allowsCluster(c, op) ? OK : ErrorCode.CLUSTER_AUTHORIZATION_FAILED
const group =
  (op: number, field = 'groupId'): Check =>
  (req, c) =>
    allows(c, op, ResourceType.GROUP, req[field]) ? OK : ErrorCode.GROUP_AUTHORIZATION_FAILED
const txnWrite = (id: string, c: Caller) =>
  allows(c, Op.WRITE, ResourceType.TRANSACTIONAL_ID, id)
    ? OK
    : ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
const topicsAll = (op: number, names: readonly string[], c: Caller) =>
  names.every((t) => allows(c, op, ResourceType.TOPIC, t)) ? OK : ErrorCode.TOPIC_AUTHORIZATION_FAILED
const first = (...codes: (() => number)[]) => {
  for (const f of codes) {
    const code = f()
    if (code !== OK) return code
  }
  return OK
}

/**
 * Request-level checks by api key. Where Kafka answers per part (the topics of OffsetDelete,
 * AddPartitionsToTxn, DescribeProducers), one refused part refuses the request.
 */
const GUARDS: Readonly<Record<number, Check>> = {
  4: cluster(Op.CLUSTER_ACTION), // LeaderAndIsr
  5: cluster(Op.CLUSTER_ACTION), // StopReplica
  6: cluster(Op.CLUSTER_ACTION), // UpdateMetadata
  7: cluster(Op.CLUSTER_ACTION), // ControlledShutdown
  27: cluster(Op.CLUSTER_ACTION), // WriteTxnMarkers
  56: cluster(Op.CLUSTER_ACTION), // AlterPartition
  84: cluster(Op.CLUSTER_ACTION), // ReadShareGroupState
  85: cluster(Op.CLUSTER_ACTION), // WriteShareGroupState
  43: cluster(Op.ALTER), // ElectLeaders
  45: cluster(Op.ALTER), // AlterPartitionReassignments
  46: cluster(Op.DESCRIBE), // ListPartitionReassignments
  35: cluster(Op.DESCRIBE), // DescribeLogDirs
  50: cluster(Op.DESCRIBE), // DescribeUserScramCredentials
  51: cluster(Op.ALTER), // AlterUserScramCredentials
  48: cluster(Op.DESCRIBE_CONFIGS), // DescribeClientQuotas
  49: cluster(Op.ALTER_CONFIGS), // AlterClientQuotas
  11: group(Op.READ), // JoinGroup
  12: group(Op.READ), // Heartbeat
  13: group(Op.READ), // LeaveGroup
  14: group(Op.READ), // SyncGroup
  47: group(Op.DELETE), // OffsetDelete (its topics: READ, checked as a whole)
  22: (req, c) =>
    // InitProducerId: WRITE on the transactional id; idempotent producers IDEMPOTENT_WRITE on the
    // cluster or WRITE on some topic (KIP-679).
    req.transactionalId !== null
      ? txnWrite(req.transactionalId, c)
      : allowsCluster(c, Op.IDEMPOTENT_WRITE) ||
          c.az.authorizeAny(c.principal, c.host, Op.WRITE, ResourceType.TOPIC)
        ? OK
        : ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  24: (req, c, version) =>
    // AddPartitionsToTxn: v0-3 from clients (transactional id WRITE, topics WRITE), v4+ from brokers.
    version >= 4
      ? cluster(Op.CLUSTER_ACTION)(req, c, version)
      : first(
          () => txnWrite(req.v3AndBelowTransactionalId, c),
          () =>
            topicsAll(
              Op.WRITE,
              req.v3AndBelowTopics.map((t: { name: string }) => t.name),
              c,
            ),
        ),
  25: (req, c) =>
    first(
      () => txnWrite(req.transactionalId, c),
      () => group(Op.READ)(req, c, 0),
    ),
  26: (req, c) => txnWrite(req.transactionalId, c), // EndTxn
  28: (req, c) =>
    // TxnOffsetCommit (its topics' READ is checked per topic in the handler)
    first(
      () => txnWrite(req.transactionalId, c),
      () => group(Op.READ)(req, c, 0),
    ),
  68: (req, c) =>
    // ConsumerGroupHeartbeat (KIP-848): READ on the group, DESCRIBE on the subscribed topics.
    first(
      () => group(Op.READ)(req, c, 0),
      () => topicsAll(Op.DESCRIBE, req.subscribedTopicNames ?? [], c),
    ),
  69: (req, c) =>
    // ConsumerGroupDescribe
    req.groupIds.every((g: string) => allows(c, Op.DESCRIBE, ResourceType.GROUP, g))
      ? OK
      : ErrorCode.GROUP_AUTHORIZATION_FAILED,
  61: (req, c) =>
    topicsAll(
      Op.READ,
      req.topics.map((t: { name: string }) => t.name),
      c,
    ), // DescribeProducers
  65: (req, c) =>
    // DescribeTransactions
    req.transactionalIds.every((id: string) => allows(c, Op.DESCRIBE, ResourceType.TRANSACTIONAL_ID, id))
      ? OK
      : ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
}

/** Wraps the handlers whose requests are authorized as a whole (called only with an authorizer). */
export function guardHandlers<S>(handlers: readonly AnyHandler<S>[]): AnyHandler<S>[] {
  return handlers.map((h) => {
    const check = GUARDS[h.apiKey]
    if (check === undefined) return h
    const guarded: AnyHandler<S> = {
      ...h,
      handle(ctx, req, services) {
        const c = callerOf((services as Authorizing).authorizer, ctx.connection)
        const code = c === null ? OK : check(req, c, ctx.apiVersion)
        if (code === OK) return h.handle(ctx, req, services)
        return h.errorResponse
          ? h.errorResponse(req, ctx.apiVersion, code)
          : genericError(h.response, ctx.apiVersion, code)
      },
    }
    return guarded
  })
}
