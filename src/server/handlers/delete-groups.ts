// DeleteGroups: v0-2 (flexible 2+). Deletes empty groups with their committed offsets (tombstones
// in __consumer_offsets); NON_EMPTY_GROUP while a group has members, GROUP_ID_NOT_FOUND for an
// unknown one.

import type { GroupId } from '../../common/ids.ts'
import type { GroupCoordinator } from '../../coordinator/group/group-coordinator.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type DeleteGroupsRequest,
  type DeleteGroupsResponse,
  deleteGroupsRequestCodec,
  deleteGroupsResponseCodec,
} from '../../protocol/generated/messages/delete-groups.ts'
import { AclOperation, ResourceType } from '../../security/acl-types.ts'
import { type Authorizing, allows, callerOf } from '../../security/authorizer-check.ts'
import type { Handler } from '../handler.ts'

export interface DeleteGroupsServices extends Authorizing {
  readonly groupCoordinator: Pick<GroupCoordinator, 'deleteGroups'>
}

export const deleteGroupsHandler: Handler<DeleteGroupsRequest, DeleteGroupsResponse, DeleteGroupsServices> = {
  apiKey: 42,
  minVersion: 0,
  maxVersion: 2,
  request: deleteGroupsRequestCodec,
  response: deleteGroupsResponseCodec,
  async handle(ctx, req, services) {
    // With an authorizer: DELETE on each group, else GROUP_AUTHORIZATION_FAILED for it.
    const caller = callerOf(services.authorizer, ctx.connection)
    const denied =
      caller === null
        ? []
        : req.groupsNames.filter((g) => !allows(caller, AclOperation.DELETE, ResourceType.GROUP, g))
    const names = denied.length === 0 ? req.groupsNames : req.groupsNames.filter((g) => !denied.includes(g))
    const r = names.length === 0 ? [] : await services.groupCoordinator.deleteGroups(names)
    return {
      throttleTimeMs: 0,
      results: [
        ...r.map((x) => ({ groupId: x.groupId as GroupId, errorCode: x.errorCode })),
        ...denied.map((g) => ({ groupId: g as GroupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED })),
      ],
    }
  },
  errorResponse(req, _version, errorCode) {
    return { throttleTimeMs: 0, results: req.groupsNames.map((groupId) => ({ groupId, errorCode })) }
  },
}
