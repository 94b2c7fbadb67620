// ShareAcknowledge: v0 (flexible). Acknowledges records a member acquired through ShareFetch
// without fetching more: accept (1), release (2: delivered again, to any member), reject (3:
// archived), or gap (0). The answer is sent once the new state is durable in
// __share_group_state. Epoch -1 also closes the member's share session, releasing what it holds.
// Not implemented: ACLs (READ on group and topic).

import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type ShareAcknowledgeRequest,
  type ShareAcknowledgeResponse,
  shareAcknowledgeRequestCodec,
  shareAcknowledgeResponseCodec,
} from '../../protocol/generated/messages/share-acknowledge.ts'
import type { SharePartitions } from '../../share/share-partitions.ts'
import type { Handler } from '../handler.ts'

export interface ShareAcknowledgeServices {
  readonly sharePartitions: Pick<SharePartitions, 'acknowledge' | 'closeSession' | 'sessionPartitions'>
}

export const shareAcknowledgeHandler: Handler<
  ShareAcknowledgeRequest,
  ShareAcknowledgeResponse,
  ShareAcknowledgeServices
> = {
  apiKey: 79,
  minVersion: 0,
  maxVersion: 0,
  request: shareAcknowledgeRequestCodec,
  response: shareAcknowledgeResponseCodec,
  async handle(_ctx, req, s) {
    const groupId = req.groupId ?? ''
    const memberId = req.memberId ?? ''
    if (groupId === '' || memberId === '')
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.INVALID_REQUEST,
        errorMessage: 'GroupId and MemberId are required.',
        responses: [],
        nodeEndpoints: [],
      }
    const responses = []
    for (const t of req.topics) {
      const partitions = []
      for (const p of t.partitions) {
        const errorCode = await s.sharePartitions.acknowledge(
          { groupId, topicId: t.topicId, partition: p.partitionIndex },
          memberId,
          p.acknowledgementBatches,
        )
        partitions.push({
          partitionIndex: p.partitionIndex,
          errorCode,
          errorMessage: null,
          currentLeader: { leaderId: -1, leaderEpoch: -1 },
        })
      }
      responses.push({ topicId: t.topicId, partitions })
    }
    if (req.shareSessionEpoch === -1) await s.sharePartitions.closeSession(groupId, memberId)
    return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, responses, nodeEndpoints: [] }
  },
}
