// ListGroups: v0-5 (flexible 3+). The groups this broker coordinates: id and protocol type, the
// state from v4 (with a state filter, case-insensitive) and the type from v5 (with a type filter;
// every group here is "classic"). While a __consumer_offsets partition loads, its groups are
// missing and the answer carries COORDINATOR_LOAD_IN_PROGRESS, as Kafka's does.

import type { GroupId } from '../../common/ids.ts'
import type { GroupCoordinator } from '../../coordinator/group/group-coordinator.ts'
import {
  type ListGroupsRequest,
  type ListGroupsResponse,
  listGroupsRequestCodec,
  listGroupsResponseCodec,
} from '../../protocol/generated/messages/list-groups.ts'
import type { Handler } from '../handler.ts'

export interface ListGroupsServices {
  readonly groupCoordinator: Pick<GroupCoordinator, 'listGroups'>
}

export const listGroupsHandler: Handler<ListGroupsRequest, ListGroupsResponse, ListGroupsServices> = {
  apiKey: 16,
  minVersion: 0,
  maxVersion: 5,
  request: listGroupsRequestCodec,
  response: listGroupsResponseCodec,
  handle(ctx, req, services) {
    const version = ctx.apiVersion
    const r = services.groupCoordinator.listGroups(
      version >= 4 ? req.statesFilter : [],
      version >= 5 ? req.typesFilter : [],
    )
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      groups: r.groups.map((g) => ({ ...g, groupId: g.groupId as GroupId })),
    }
  },
  errorResponse(_req, _version, errorCode) {
    return { throttleTimeMs: 0, errorCode, groups: [] }
  },
}
