// DescribeGroups: v0-5 (flexible 5+). State, protocol type and chosen protocol of each group, with
// its members (client id and host; group.instance.id from v4). Member metadata and assignments
// are filled only for a Stable group, as Kafka does; an unknown group is described as Dead with no
// error (before v6, which we do not serve). v3+ authorized operations when asked: with no
// authorizer, every operation a group supports (READ, DESCRIBE, DELETE), else those the authorizer
// allows. With an authorizer a group the caller may not DESCRIBE answers GROUP_AUTHORIZATION_FAILED.
// A KIP-848 consumer group answers GROUP_ID_NOT_FOUND ("not a classic group"), as Kafka's does.

import type { GroupId } from '../../common/ids.ts'
import type { DescribedGroup } from '../../coordinator/group/admin-ops.ts'
import type { GroupCoordinator } from '../../coordinator/group/group-coordinator.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type DescribeGroupsRequest,
  type DescribeGroupsResponse,
  type DescribeGroupsResponseDescribedGroup,
  describeGroupsRequestCodec,
  describeGroupsResponseCodec,
} from '../../protocol/generated/messages/describe-groups.ts'
import { AclOperation, ResourceType } from '../../security/acl-types.ts'
import { type Authorizing, allows, authorizedOps, callerOf } from '../../security/authorizer-check.ts'
import type { Handler } from '../handler.ts'
import { AUTHORIZED_OPS_NOT_REQUESTED } from './metadata-brokers.ts'

export interface DescribeGroupsServices extends Authorizing {
  readonly groupCoordinator: Pick<GroupCoordinator, 'describeGroups'>
}

/** AclOperation READ (3), DELETE (6), DESCRIBE (8): what a group resource supports. */
export const GROUP_AUTHORIZED_OPS = (1 << 3) | (1 << 6) | (1 << 8)

function wire(g: DescribedGroup, ops: number): DescribeGroupsResponseDescribedGroup {
  return {
    errorCode: g.errorCode,
    groupId: g.groupId as GroupId,
    groupState: g.groupState,
    protocolType: g.protocolType,
    protocolData: g.protocolData,
    members: g.members.map((m) => ({ ...m })),
    authorizedOperations: ops,
  }
}

export const describeGroupsHandler: Handler<
  DescribeGroupsRequest,
  DescribeGroupsResponse,
  DescribeGroupsServices
> = {
  apiKey: 15,
  minVersion: 0,
  maxVersion: 5,
  request: describeGroupsRequestCodec,
  response: describeGroupsResponseCodec,
  handle(ctx, req, services) {
    const caller = callerOf(services.authorizer, ctx.connection)
    if (caller === null) {
      const ops = req.includeAuthorizedOperations ? GROUP_AUTHORIZED_OPS : AUTHORIZED_OPS_NOT_REQUESTED
      return {
        throttleTimeMs: 0,
        groups: services.groupCoordinator.describeGroups(req.groups).map((g) => wire(g, ops)),
      }
    }
    // With an authorizer: DESCRIBE on each group, else GROUP_AUTHORIZATION_FAILED for it.
    const allowed = req.groups.filter((g) => allows(caller, AclOperation.DESCRIBE, ResourceType.GROUP, g))
    const described = new Map(
      services.groupCoordinator.describeGroups(allowed).map((g) => [g.groupId, g] as const),
    )
    return {
      throttleTimeMs: 0,
      groups: req.groups.map((groupId) => {
        const g = described.get(groupId)
        if (g === undefined)
          return wire(
            {
              errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED,
              groupId,
              groupState: '',
              protocolType: '',
              protocolData: '',
              members: [],
            },
            AUTHORIZED_OPS_NOT_REQUESTED,
          )
        return wire(
          g,
          req.includeAuthorizedOperations
            ? authorizedOps(caller, ResourceType.GROUP, groupId)
            : AUTHORIZED_OPS_NOT_REQUESTED,
        )
      }),
    }
  },
  errorResponse(req, _version, errorCode) {
    return {
      throttleTimeMs: 0,
      groups: req.groups.map((groupId) =>
        wire(
          { errorCode, groupId, groupState: '', protocolType: '', protocolData: '', members: [] },
          AUTHORIZED_OPS_NOT_REQUESTED,
        ),
      ),
    }
  },
}
