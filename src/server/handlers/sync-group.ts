// SyncGroup: v0-5 (flexible 4+). The classic group protocol's second step: the leader sends
// every member's assignment, each member gets its own (followers wait for the leader's). v3+
// group.instance.id; v5+ the protocol type and name are checked against the group's and echoed.

import type { GroupCoordinator } from '../../coordinator/group/group-coordinator.ts'
import { EMPTY } from '../../protocol/codec.ts'
import {
  type SyncGroupRequest,
  type SyncGroupResponse,
  syncGroupRequestCodec,
  syncGroupResponseCodec,
} from '../../protocol/generated/messages/sync-group.ts'
import type { Handler } from '../handler.ts'

export interface SyncGroupServices {
  readonly groupCoordinator: Pick<GroupCoordinator, 'syncGroup'>
}

export const syncGroupHandler: Handler<SyncGroupRequest, SyncGroupResponse, SyncGroupServices> = {
  apiKey: 14,
  minVersion: 0,
  maxVersion: 5,
  request: syncGroupRequestCodec,
  response: syncGroupResponseCodec,
  async handle(ctx, req, services) {
    const version = ctx.apiVersion
    const r = await services.groupCoordinator.syncGroup({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: version >= 3 ? req.groupInstanceId : null,
      protocolType: version >= 5 ? req.protocolType : null,
      protocolName: version >= 5 ? req.protocolName : null,
      assignments: req.assignments,
    })
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      protocolType: r.protocolType,
      protocolName: r.protocolName,
      assignment: r.assignment,
    }
  },
  errorResponse(_req, _version, errorCode) {
    return { throttleTimeMs: 0, errorCode, protocolType: null, protocolName: null, assignment: EMPTY }
  },
}
