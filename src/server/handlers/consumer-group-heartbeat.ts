// ConsumerGroupHeartbeat: v0-1 (flexible 0+). KIP-848's consumer group protocol
// (group.protocol=consumer): join with member epoch 0, heartbeat with the current epoch and owned
// partitions, leave with -1 (static members -2). The coordinator computes the assignment with a
// server-side assignor and reconciles each member towards it (coordinator/group/consumer/).
// v0: a joining member may send an empty member id (the coordinator picks one); v1: the client
// picks it, and SubscribedTopicRegex (RE2/J syntax) is accepted.
// With an authorizer: READ on the group (else GROUP_AUTHORIZATION_FAILED) and DESCRIBE on each
// subscribed topic name (else TOPIC_AUTHORIZATION_FAILED). Topics a regex matches are not filtered
// by authorization (Kafka leaves out those the member may not describe).

import type { Uuid } from '../../common/ids.ts'
import type { GroupCoordinator } from '../../coordinator/group/group-coordinator.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResponse,
  consumerGroupHeartbeatRequestCodec,
  consumerGroupHeartbeatResponseCodec,
} from '../../protocol/generated/messages/consumer-group-heartbeat.ts'
import { AclOperation, ResourceType } from '../../security/acl-types.ts'
import { type Authorizing, allows, callerOf, topicChecker } from '../../security/authorizer-check.ts'
import type { Handler } from '../handler.ts'
import { clientHostOf } from './join-group.ts'

export interface ConsumerGroupHeartbeatServices extends Authorizing {
  readonly groupCoordinator: Pick<GroupCoordinator, 'consumerGroupHeartbeat'>
}

export const consumerGroupHeartbeatHandler: Handler<
  ConsumerGroupHeartbeatRequest,
  ConsumerGroupHeartbeatResponse,
  ConsumerGroupHeartbeatServices
> = {
  apiKey: 68,
  minVersion: 0,
  maxVersion: 1,
  request: consumerGroupHeartbeatRequestCodec,
  response: consumerGroupHeartbeatResponseCodec,
  async handle(ctx, req, services) {
    const caller = callerOf(services.authorizer, ctx.connection)
    if (caller !== null) {
      if (!allows(caller, AclOperation.READ, ResourceType.GROUP, req.groupId))
        return consumerGroupHeartbeatHandler.errorResponse!(
          req,
          ctx.apiVersion,
          ErrorCode.GROUP_AUTHORIZATION_FAILED,
        )
      const describable = topicChecker(caller, AclOperation.DESCRIBE)
      if ((req.subscribedTopicNames ?? []).some((t) => !describable(t)))
        return consumerGroupHeartbeatHandler.errorResponse!(
          req,
          ctx.apiVersion,
          ErrorCode.TOPIC_AUTHORIZATION_FAILED,
        )
    }
    const r = await services.groupCoordinator.consumerGroupHeartbeat({
      apiVersion: ctx.apiVersion,
      groupId: req.groupId,
      memberId: req.memberId,
      memberEpoch: req.memberEpoch,
      instanceId: req.instanceId,
      rackId: req.rackId,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      subscribedTopicNames: req.subscribedTopicNames,
      subscribedTopicRegex: ctx.apiVersion >= 1 ? req.subscribedTopicRegex : null,
      serverAssignor: req.serverAssignor,
      topicPartitions: req.topicPartitions,
      clientId: ctx.clientId ?? '',
      clientHost: clientHostOf(ctx.connection.remote),
    })
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      memberId: r.memberId,
      memberEpoch: r.memberEpoch,
      heartbeatIntervalMs: r.heartbeatIntervalMs,
      assignment:
        r.assignment === null
          ? null
          : {
              topicPartitions: r.assignment.map((t) => ({
                topicId: t.topicId as Uuid,
                partitions: t.partitions,
              })),
            },
    }
  },
  errorResponse(_req, _version, errorCode) {
    return {
      throttleTimeMs: 0,
      errorCode,
      errorMessage: null,
      memberId: null,
      memberEpoch: 0,
      heartbeatIntervalMs: 0,
      assignment: null,
    }
  },
}
