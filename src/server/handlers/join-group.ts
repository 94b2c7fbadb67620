// JoinGroup: v0-9 (flexible 6+). The classic group protocol's first step: the member joins (or
// rejoins) and, once the join phase is over, gets the generation, the chosen protocol and the
// leader; the leader also gets every member's metadata. Version notes: v0 has no rebalance
// timeout (the session timeout serves as one, as in Kafka); v4+ new dynamic members first get
// MEMBER_ID_REQUIRED with their id; v5+ group.instance.id (static membership); v7+ the protocol
// type in the answer (the protocol name is nullable from v7, "" before); v8+ a reason; v9
// skipAssignment for a restarted static leader. Kafka 4.0 dropped v0-1 and re-added them for old
// librdkafka: we serve them all.

import type { JoinResult } from '../../coordinator/group/classic-group.ts'
import type { GroupCoordinator } from '../../coordinator/group/group-coordinator.ts'
import {
  type JoinGroupRequest,
  type JoinGroupResponse,
  joinGroupRequestCodec,
  joinGroupResponseCodec,
} from '../../protocol/generated/messages/join-group.ts'
import type { Handler } from '../handler.ts'

export interface JoinGroupServices {
  readonly groupCoordinator: Pick<GroupCoordinator, 'joinGroup'>
}

/** Kafka's client host form: "/" and the address, without the port (IPv4-mapped made plain). */
export function clientHostOf(remote: string): string {
  const at = remote.lastIndexOf(':')
  let host = at > 0 ? remote.slice(0, at) : remote
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1)
  if (host.startsWith('::ffff:') && host.includes('.')) host = host.slice(7)
  return `/${host}`
}

export function joinResponse(r: JoinResult, version: number): JoinGroupResponse {
  return {
    throttleTimeMs: 0,
    errorCode: r.errorCode,
    generationId: r.generationId,
    protocolType: r.protocolType,
    protocolName: version >= 7 ? r.protocolName : (r.protocolName ?? ''),
    leader: r.leader,
    skipAssignment: r.skipAssignment,
    memberId: r.memberId,
    members: r.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.metadata,
    })),
  }
}

function errorOf(req: JoinGroupRequest, version: number, errorCode: number): JoinGroupResponse {
  return joinResponse(
    {
      errorCode,
      memberId: req.memberId,
      generationId: -1,
      protocolType: null,
      protocolName: null,
      leader: '',
      skipAssignment: false,
      members: [],
    },
    version,
  )
}

export const joinGroupHandler: Handler<JoinGroupRequest, JoinGroupResponse, JoinGroupServices> = {
  apiKey: 11,
  minVersion: 0,
  maxVersion: 9,
  request: joinGroupRequestCodec,
  response: joinGroupResponseCodec,
  async handle(ctx, req, services) {
    const version = ctx.apiVersion
    const r = await services.groupCoordinator.joinGroup({
      groupId: req.groupId,
      memberId: req.memberId,
      groupInstanceId: version >= 5 ? req.groupInstanceId : null,
      requireKnownMemberId: version >= 4,
      supportSkippingAssignment: version >= 9,
      clientId: ctx.clientId ?? '',
      clientHost: clientHostOf(ctx.connection.remote),
      rebalanceTimeoutMs: version === 0 ? req.sessionTimeoutMs : req.rebalanceTimeoutMs,
      sessionTimeoutMs: req.sessionTimeoutMs,
      protocolType: req.protocolType,
      protocols: req.protocols,
      reason: req.reason,
    })
    return joinResponse(r, version)
  },
  errorResponse: errorOf,
}
