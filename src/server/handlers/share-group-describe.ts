// ShareGroupDescribe: v0 (flexible). The state, epochs and members (with their assigned
// partitions) of share groups known to this broker; GROUP_ID_NOT_FOUND for others, as Kafka
// answers for an unknown group. The assignor is reported as "simple", Kafka's share assignor.
// Not implemented: ACLs (DESCRIBE on the group), authorized operations (always -2147483648).

import type { TopicName } from '../../common/ids.ts'
import type { ShareGroups } from '../../coordinator/share/share-groups.ts'
import type { MetadataStore } from '../../metadata/store.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type ShareGroupDescribeRequest,
  type ShareGroupDescribeResponse,
  shareGroupDescribeRequestCodec,
  shareGroupDescribeResponseCodec,
} from '../../protocol/generated/messages/share-group-describe.ts'
import type { Handler } from '../handler.ts'

export interface ShareGroupDescribeServices {
  readonly shareGroups: Pick<ShareGroups, 'groups'>
  readonly metadata: Pick<MetadataStore, 'image'>
}

const NO_OPERATIONS = -2147483648

export const shareGroupDescribeHandler: Handler<
  ShareGroupDescribeRequest,
  ShareGroupDescribeResponse,
  ShareGroupDescribeServices
> = {
  apiKey: 77,
  minVersion: 0,
  maxVersion: 0,
  request: shareGroupDescribeRequestCodec,
  response: shareGroupDescribeResponseCodec,
  handle(_ctx, req, s) {
    const image = s.metadata.image()
    return {
      throttleTimeMs: 0,
      groups: req.groupIds.map((groupId) => {
        const g = s.shareGroups.groups.get(groupId)
        if (g === undefined)
          return {
            errorCode: ErrorCode.GROUP_ID_NOT_FOUND,
            errorMessage: `Group ${groupId} not found.`,
            groupId,
            groupState: 'Dead',
            groupEpoch: -1,
            assignmentEpoch: -1,
            assignorName: '',
            members: [],
            authorizedOperations: NO_OPERATIONS,
          }
        return {
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          groupId,
          groupState: g.members.size === 0 ? 'Empty' : 'Stable',
          groupEpoch: g.groupEpoch,
          assignmentEpoch: g.assignmentEpoch,
          assignorName: 'simple',
          members: [...g.members.values()].map((m) => ({
            memberId: m.memberId,
            rackId: m.rackId,
            memberEpoch: m.memberEpoch,
            clientId: m.clientId,
            clientHost: m.clientHost,
            subscribedTopicNames: m.subscribed as TopicName[],
            assignment: {
              topicPartitions: [...m.assignment].map(([topicId, partitions]) => ({
                topicId,
                topicName: (image.topicsById.get(topicId)?.name ?? '') as TopicName,
                partitions,
              })),
            },
          })),
          authorizedOperations: NO_OPERATIONS,
        }
      }),
    }
  },
}
