// ShareGroupHeartbeat: v0 (flexible; Kafka 4.0's early-access version). Joins (member epoch 0,
// with the subscribed topics), keeps alive and leaves (epoch -1) a share group member and hands
// it the partitions the server assigned (coordinator/share/share-groups.ts). Answered by any
// broker that serves share groups: membership is per broker, so clients must heartbeat the group's
// coordinator (FindCoordinator), as they do.
// Not implemented: ACLs (READ on the group and DESCRIBE on topics), rack-aware assignment.

import type { ShareGroups } from '../../coordinator/share/share-groups.ts'
import {
  type ShareGroupHeartbeatRequest,
  type ShareGroupHeartbeatResponse,
  shareGroupHeartbeatRequestCodec,
  shareGroupHeartbeatResponseCodec,
} from '../../protocol/generated/messages/share-group-heartbeat.ts'
import type { Handler } from '../handler.ts'
import { clientHostOf } from './join-group.ts'

export interface ShareGroupHeartbeatServices {
  readonly shareGroups: Pick<ShareGroups, 'heartbeat'>
}

export const shareGroupHeartbeatHandler: Handler<
  ShareGroupHeartbeatRequest,
  ShareGroupHeartbeatResponse,
  ShareGroupHeartbeatServices
> = {
  apiKey: 76,
  minVersion: 0,
  maxVersion: 0,
  request: shareGroupHeartbeatRequestCodec,
  response: shareGroupHeartbeatResponseCodec,
  handle(ctx, req, s) {
    const out = s.shareGroups.heartbeat({
      groupId: req.groupId,
      memberId: req.memberId,
      memberEpoch: req.memberEpoch,
      rackId: req.rackId,
      subscribedTopicNames: req.subscribedTopicNames,
      clientId: ctx.clientId ?? '',
      clientHost: clientHostOf(ctx.connection.remote),
    })
    return {
      throttleTimeMs: 0,
      errorCode: out.errorCode,
      errorMessage: out.errorMessage,
      memberId: out.memberId,
      memberEpoch: out.memberEpoch,
      heartbeatIntervalMs: out.heartbeatIntervalMs,
      assignment:
        out.assignment === null
          ? null
          : {
              topicPartitions: out.assignment.map((a) => ({ topicId: a.topicId, partitions: a.partitions })),
            },
    }
  },
}
