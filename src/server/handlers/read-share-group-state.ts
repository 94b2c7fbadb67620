// ReadShareGroupState: v0 (flexible). Inter-broker (KIP-932): the leader of a topic partition
// asks this broker, the leader of the __share_group_state partition the share-partition's key
// hashes to, for the share-partition's persisted state (coordinator/share/share-persister.ts is
// the sender). Answered through the share coordinator here, as a local read is: NOT_COORDINATOR
// when this broker does not lead that state partition (the sender looks the leader up again),
// COORDINATOR_LOAD_IN_PROGRESS while it loads; a share-partition with no state yet has start
// offset -1. With an authorizer, CLUSTER_ACTION on the cluster is checked before this handler
// runs (broker/authorizer-wiring.ts). Served but not advertised in ApiVersions (handler.ts).

import type { ShareCoordinator } from '../../coordinator/share/share-coordinator.ts'
import {
  type ReadShareGroupStateRequest,
  type ReadShareGroupStateResponse,
  readShareGroupStateRequestCodec,
  readShareGroupStateResponseCodec,
} from '../../protocol/generated/messages/read-share-group-state.ts'
import type { Handler } from '../handler.ts'

export interface ReadShareGroupStateServices {
  readonly shareCoordinator: Pick<ShareCoordinator, 'readState'>
}

export const readShareGroupStateHandler: Handler<
  ReadShareGroupStateRequest,
  ReadShareGroupStateResponse,
  ReadShareGroupStateServices
> = {
  apiKey: 84,
  minVersion: 0,
  maxVersion: 0,
  // Brokers send it (share-persister.ts) without asking; clients never: not in ApiVersions.
  advertised: false,
  request: readShareGroupStateRequestCodec,
  response: readShareGroupStateResponseCodec,

  async handle(_ctx, req, services) {
    const results = await Promise.all(
      req.topics.map(async (t) => ({
        topicId: t.topicId,
        partitions: await Promise.all(
          t.partitions.map(async ({ partition }) => {
            const r = await services.shareCoordinator.readState({
              groupId: req.groupId,
              topicId: t.topicId,
              partition,
            })
            return {
              partition,
              errorCode: r.errorCode,
              errorMessage: null,
              stateEpoch: r.state?.stateEpoch ?? 0,
              startOffset: r.state?.startOffset ?? -1n,
              stateBatches: r.state?.stateBatches.map((b) => ({ ...b })) ?? [],
            }
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
        partitions: t.partitions.map(({ partition }) => ({
          partition,
          errorCode,
          errorMessage: null,
          stateEpoch: 0,
          startOffset: -1n,
          stateBatches: [],
        })),
      })),
    }
  },
}
