// WriteShareGroupState: v0 (flexible). Inter-broker (KIP-932): the leader of a topic partition
// sends this broker, the leader of the share-partition's __share_group_state partition, the
// share-partition's state after an acknowledgement, release or expiry (coordinator/share/
// share-persister.ts is the sender). Samsa's sender always sends the whole state, so it is
// written as one snapshot through the share coordinator here, as a local write is, and answered
// once committed; a start offset of -1 keeps the committed one. NOT_COORDINATOR when this broker
// does not lead that state partition. With an authorizer, CLUSTER_ACTION on the cluster is
// checked before this handler runs (broker/authorizer-wiring.ts). Served but not advertised in
// ApiVersions (handler.ts).

import type { ShareCoordinator } from '../../coordinator/share/share-coordinator.ts'
import {
  type WriteShareGroupStateRequest,
  type WriteShareGroupStateResponse,
  writeShareGroupStateRequestCodec,
  writeShareGroupStateResponseCodec,
} from '../../protocol/generated/messages/write-share-group-state.ts'
import type { Handler } from '../handler.ts'

export interface WriteShareGroupStateServices {
  readonly shareCoordinator: Pick<ShareCoordinator, 'writeState'>
}

export const writeShareGroupStateHandler: Handler<
  WriteShareGroupStateRequest,
  WriteShareGroupStateResponse,
  WriteShareGroupStateServices
> = {
  apiKey: 85,
  minVersion: 0,
  maxVersion: 0,
  // Brokers send it (share-persister.ts) without asking; clients never: not in ApiVersions.
  advertised: false,
  request: writeShareGroupStateRequestCodec,
  response: writeShareGroupStateResponseCodec,

  async handle(_ctx, req, services) {
    const results = await Promise.all(
      req.topics.map(async (t) => ({
        topicId: t.topicId,
        partitions: await Promise.all(
          t.partitions.map(async (p) => {
            const errorCode = await services.shareCoordinator.writeState(
              { groupId: req.groupId, topicId: t.topicId, partition: p.partition },
              (prev) => ({
                snapshotEpoch: 0,
                stateEpoch: p.stateEpoch,
                leaderEpoch: p.leaderEpoch,
                startOffset: p.startOffset >= 0n ? p.startOffset : (prev?.startOffset ?? 0n),
                stateBatches: p.stateBatches.map((b) => ({ ...b })),
              }),
            )
            return { partition: p.partition, errorCode, errorMessage: null }
          }),
        ),
      })),
    )
    return { results }
  },

  errorResponse(req, _version, errorCode) {
    return {
      results: req.topics.map((t) => ({
        topicId: t.topicId,
        partitions: t.partitions.map(({ partition }) => ({ partition, errorCode, errorMessage: null })),
      })),
    }
  },
}
