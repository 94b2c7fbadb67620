// Heartbeat: v0-4 (flexible 4+). Keeps a classic group member's session alive and tells it about
// a rebalance (REBALANCE_IN_PROGRESS), a stale generation (ILLEGAL_GENERATION), its removal
// (UNKNOWN_MEMBER_ID) or a newer incarnation of its static id (FENCED_INSTANCE_ID, v3+).
// A coordinator still loading answers NONE, as Kafka does.

import type { GroupCoordinator } from '../../coordinator/group/group-coordinator.ts'
import {
  type HeartbeatRequest,
  type HeartbeatResponse,
  heartbeatRequestCodec,
  heartbeatResponseCodec,
} from '../../protocol/generated/messages/heartbeat.ts'
import type { Handler } from '../handler.ts'

export interface HeartbeatServices {
  readonly groupCoordinator: Pick<GroupCoordinator, 'heartbeat'>
}

export const heartbeatHandler: Handler<HeartbeatRequest, HeartbeatResponse, HeartbeatServices> = {
  apiKey: 12,
  minVersion: 0,
  maxVersion: 4,
  request: heartbeatRequestCodec,
  response: heartbeatResponseCodec,
  async handle(ctx, req, services) {
    const errorCode = await services.groupCoordinator.heartbeat(
      req.groupId,
      req.memberId,
      ctx.apiVersion >= 3 ? req.groupInstanceId : null,
      req.generationId,
    )
    return { throttleTimeMs: 0, errorCode }
  },
  errorResponse(_req, _version, errorCode) {
    return { throttleTimeMs: 0, errorCode }
  },
}
