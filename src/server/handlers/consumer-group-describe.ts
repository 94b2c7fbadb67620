// ConsumerGroupDescribe: v0 (flexible 0+). KIP-848 consumer groups as the coordinator holds them:
// state, group and assignment epochs, the assignor in use, and per member its subscription, its
// current assignment and its target. A classic group or an unknown id answers GROUP_ID_NOT_FOUND
// with a message, as Kafka does. Authorized operations when asked: with no authorizer, every
// operation a group supports (READ, DESCRIBE, DELETE), else those the authorizer allows. With an
// authorizer a group the caller may not DESCRIBE answers GROUP_AUTHORIZATION_FAILED.

import type { GroupId, TopicName, Uuid } from '../../common/ids.ts'
import type { DescribedTopicPartitions } from '../../coordinator/group/consumer/consumer-admin.ts'
import type { GroupCoordinator } from '../../coordinator/group/group-coordinator.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type ConsumerGroupDescribeRequest,
  type ConsumerGroupDescribeResponse,
  consumerGroupDescribeRequestCodec,
  consumerGroupDescribeResponseCodec,
} from '../../protocol/generated/messages/consumer-group-describe.ts'
import { AclOperation, ResourceType } from '../../security/acl-types.ts'
import { type Authorizing, allows, authorizedOps, callerOf } from '../../security/authorizer-check.ts'
import type { Handler } from '../handler.ts'
import { GROUP_AUTHORIZED_OPS } from './describe-groups.ts'
import { AUTHORIZED_OPS_NOT_REQUESTED } from './metadata-brokers.ts'

export interface ConsumerGroupDescribeServices extends Authorizing {
  readonly groupCoordinator: Pick<GroupCoordinator, 'consumerGroupDescribe'>
}

const wire = (a: { topicPartitions: DescribedTopicPartitions[] }) => ({
  topicPartitions: a.topicPartitions.map((t) => ({
    topicId: t.topicId as Uuid,
    topicName: t.topicName as TopicName,
    partitions: t.partitions,
  })),
})

export const consumerGroupDescribeHandler: Handler<
  ConsumerGroupDescribeRequest,
  ConsumerGroupDescribeResponse,
  ConsumerGroupDescribeServices
> = {
  apiKey: 69,
  minVersion: 0,
  maxVersion: 0,
  request: consumerGroupDescribeRequestCodec,
  response: consumerGroupDescribeResponseCodec,
  handle(ctx, req, services) {
    const caller = callerOf(services.authorizer, ctx.connection)
    const allowed =
      caller === null
        ? req.groupIds
        : req.groupIds.filter((g) => allows(caller, AclOperation.DESCRIBE, ResourceType.GROUP, g))
    const described = new Map(
      services.groupCoordinator.consumerGroupDescribe(allowed).map((g) => [g.groupId, g] as const),
    )
    const opsOf = (groupId: string) =>
      !req.includeAuthorizedOperations
        ? AUTHORIZED_OPS_NOT_REQUESTED
        : caller === null
          ? GROUP_AUTHORIZED_OPS
          : authorizedOps(caller, ResourceType.GROUP, groupId)
    const denied = consumerGroupDescribeHandler.errorResponse!(
      req,
      ctx.apiVersion,
      ErrorCode.GROUP_AUTHORIZATION_FAILED,
    ).groups
    return {
      throttleTimeMs: 0,
      groups: req.groupIds.map((groupId, i) => {
        const g = described.get(groupId)
        if (g === undefined) return denied[i]
        return {
          errorCode: g.errorCode,
          errorMessage: g.errorMessage,
          groupId: g.groupId as GroupId,
          groupState: g.groupState,
          groupEpoch: g.groupEpoch,
          assignmentEpoch: g.assignmentEpoch,
          assignorName: g.assignorName,
          members: g.members.map((m) => ({
            ...m,
            subscribedTopicNames: m.subscribedTopicNames as TopicName[],
            assignment: wire(m.assignment),
            targetAssignment: wire(m.targetAssignment),
          })),
          authorizedOperations: opsOf(groupId),
        }
      }),
    }
  },
  errorResponse(req, _version, errorCode) {
    return {
      throttleTimeMs: 0,
      groups: req.groupIds.map((groupId) => ({
        errorCode,
        errorMessage: null,
        groupId,
        groupState: '',
        groupEpoch: 0,
        assignmentEpoch: 0,
        assignorName: '',
        members: [],
        authorizedOperations: AUTHORIZED_OPS_NOT_REQUESTED,
      })),
    }
  },
}
