// DeleteGroups: v0-2 (flexible 2+). Deletes empty groups with their committed offsets (tombstones
// in __consumer_offsets); NON_EMPTY_GROUP while a group has members, GROUP_ID_NOT_FOUND for an
// unknown one.

import type { GroupId } from '../../common/ids.ts'
import type { GroupCoordinator } from '../../coordinator/group/group-coordinator.ts'
import {
  type DeleteGroupsRequest,
  type DeleteGroupsResponse,
  deleteGroupsRequestCodec,
  deleteGroupsResponseCodec,
} from '../../protocol/generated/messages/delete-groups.ts'
import type { Handler } from '../handler.ts'

export interface DeleteGroupsServices {
  readonly groupCoordinator: Pick<GroupCoordinator, 'deleteGroups'>
}

export const deleteGroupsHandler: Handler<DeleteGroupsRequest, DeleteGroupsResponse, DeleteGroupsServices> = {
  apiKey: 42,
  minVersion: 0,
  maxVersion: 2,
  request: deleteGroupsRequestCodec,
  response: deleteGroupsResponseCodec,
  async handle(_ctx, req, services) {
    const r = await services.groupCoordinator.deleteGroups(req.groupsNames)
    return {
      throttleTimeMs: 0,
      results: r.map((x) => ({ groupId: x.groupId as GroupId, errorCode: x.errorCode })),
    }
  },
  errorResponse(req, _version, errorCode) {
    return { throttleTimeMs: 0, results: req.groupsNames.map((groupId) => ({ groupId, errorCode })) }
  },
}
