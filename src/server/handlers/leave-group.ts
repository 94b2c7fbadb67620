// LeaveGroup: v0-5 (flexible 4+). v0-2 one member by member id (its error is the top-level
// error); v3+ a batch of members, each by member id or, for administrative removal, by
// group.instance.id alone; v5 a reason per member.

import type { GroupCoordinator } from '../../coordinator/group/group-coordinator.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type LeaveGroupRequest,
  type LeaveGroupResponse,
  leaveGroupRequestCodec,
  leaveGroupResponseCodec,
} from '../../protocol/generated/messages/leave-group.ts'
import type { Handler } from '../handler.ts'

export interface LeaveGroupServices {
  readonly groupCoordinator: Pick<GroupCoordinator, 'leaveGroup'>
}

function leaving(req: LeaveGroupRequest, version: number) {
  if (version < 3) return [{ memberId: req.memberId, groupInstanceId: null, reason: null }]
  return req.members.map((m) => ({
    memberId: m.memberId,
    groupInstanceId: m.groupInstanceId,
    reason: version >= 5 ? m.reason : null,
  }))
}

export const leaveGroupHandler: Handler<LeaveGroupRequest, LeaveGroupResponse, LeaveGroupServices> = {
  apiKey: 13,
  minVersion: 0,
  maxVersion: 5,
  request: leaveGroupRequestCodec,
  response: leaveGroupResponseCodec,
  async handle(ctx, req, services) {
    const r = await services.groupCoordinator.leaveGroup(req.groupId, leaving(req, ctx.apiVersion))
    // Before v3 there is one member and no member list: its error is the answer's.
    const errorCode =
      ctx.apiVersion < 3 && r.errorCode === ErrorCode.NONE
        ? (r.members.find((m) => m.errorCode !== ErrorCode.NONE)?.errorCode ?? ErrorCode.NONE)
        : r.errorCode
    return { throttleTimeMs: 0, errorCode, members: ctx.apiVersion < 3 ? [] : [...r.members] }
  },
  errorResponse(_req, _version, errorCode) {
    return { throttleTimeMs: 0, errorCode, members: [] }
  },
}
