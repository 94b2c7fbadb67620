// ListGroups: v0-5 (flexible 3+). The groups this broker coordinates: id and protocol type, the
// state from v4 (with a state filter, case-insensitive) and the type from v5 (with a type filter;
// "classic", or "consumer" for KIP-848 groups). While a __consumer_offsets partition loads, its groups are
// missing and the answer carries COORDINATOR_LOAD_IN_PROGRESS, as Kafka's does. Share groups
// (KIP-932) are listed beside them (type "share").

import type { GroupId } from '../../common/ids.ts'
import type { GroupCoordinator } from '../../coordinator/group/group-coordinator.ts'
import type { ShareGroups } from '../../coordinator/share/share-groups.ts'
import {
  type ListGroupsRequest,
  type ListGroupsResponse,
  listGroupsRequestCodec,
  listGroupsResponseCodec,
} from '../../protocol/generated/messages/list-groups.ts'
import { AclOperation, ResourceType } from '../../security/acl-types.ts'
import { type Authorizing, allows, allowsCluster, callerOf } from '../../security/authorizer-check.ts'
import type { Handler } from '../handler.ts'

export interface ListGroupsServices extends Authorizing {
  readonly groupCoordinator: Pick<GroupCoordinator, 'listGroups'>
  /** Share groups (KIP-932) are listed too, with group type "share". */
  readonly shareGroups?: Pick<ShareGroups, 'listGroups'>
}

export const listGroupsHandler: Handler<ListGroupsRequest, ListGroupsResponse, ListGroupsServices> = {
  apiKey: 16,
  minVersion: 0,
  maxVersion: 5,
  request: listGroupsRequestCodec,
  response: listGroupsResponseCodec,
  handle(ctx, req, services) {
    const version = ctx.apiVersion
    const states = version >= 4 ? req.statesFilter : []
    const types = version >= 5 ? req.typesFilter : []
    const r = services.groupCoordinator.listGroups(states, types)
    const all = [...r.groups, ...(services.shareGroups?.listGroups(states, types) ?? [])]
    // With an authorizer: DESCRIBE on the cluster lists every group, else those the caller may DESCRIBE.
    const caller = callerOf(services.authorizer, ctx.connection)
    const groups =
      caller === null || allowsCluster(caller, AclOperation.DESCRIBE)
        ? all
        : all.filter((g) => allows(caller, AclOperation.DESCRIBE, ResourceType.GROUP, g.groupId))
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      groups: groups.map((g) => ({ ...g, groupId: g.groupId as GroupId })),
    }
  },
  errorResponse(_req, _version, errorCode) {
    return { throttleTimeMs: 0, errorCode, groups: [] }
  },
}
