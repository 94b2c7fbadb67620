// AlterPartition: v0-3 (flexible in all). Partition leader → controller in ZooKeeper mode (KIP-497):
// the leader asks to change its partition's ISR, naming the leader epoch and the partition epoch
// (state znode version) it holds. The handler only reshapes: every version becomes one
// AlterPartitionInput for the cluster service, which answers NOT_CONTROLLER when this broker is not
// the active controller and otherwise lets the controller check and write the change.
//
// Version shapes: v0-1 name topics, v2+ give topic ids (name ''); the new ISR is `newIsr` up to v2
// and `newIsrWithEpochs` from v3 (each member with its broker epoch, -1 when unknown: the input has
// -1n for every member before v3); leaderRecoveryState from v1 (0 before). The response names
// topics the same way; its partitions carry the partition's state after the change, or only an
// error code. A request that cannot be served gets a top-level error and no topics, as Kafka does.

import type { BrokerId, TopicName } from '../../common/ids.ts'
import { ZERO_UUID } from '../../common/ids.ts'
// The version-neutral input and result are the controller's own (it serves this API).
import type {
  AlterPartitionInput,
  AlterPartitionPartitionInput,
  AlterPartitionPartitionResult,
  AlterPartitionResult,
  AlterPartitionTopicInput,
} from '../../controller/alter-partition.ts'
import {
  type AlterPartitionRequest,
  type AlterPartitionResponse,
  alterPartitionRequestCodec,
  alterPartitionResponseCodec,
} from '../../protocol/generated/messages/alter-partition.ts'
import type { Handler } from '../handler.ts'

export type {
  AlterPartitionInput,
  AlterPartitionPartitionInput,
  AlterPartitionPartitionResult,
  AlterPartitionResult,
  AlterPartitionTopicInput,
}

export interface AlterPartitionServices {
  readonly cluster: { alterPartition(input: AlterPartitionInput): Promise<AlterPartitionResult> }
}

/** The version-neutral input for a decoded request. */
export function alterPartitionInput(req: AlterPartitionRequest, version: number): AlterPartitionInput {
  return {
    version,
    brokerId: req.brokerId,
    brokerEpoch: req.brokerEpoch,
    topics: req.topics.map((t) => ({
      topicName: version >= 2 ? '' : t.topicName,
      topicId: version >= 2 ? t.topicId : ZERO_UUID,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        leaderEpoch: p.leaderEpoch,
        newIsr: version >= 3 ? p.newIsrWithEpochs.map((b) => b.brokerId) : p.newIsr,
        newIsrEpochs: version >= 3 ? p.newIsrWithEpochs.map((b) => b.brokerEpoch) : p.newIsr.map(() => -1n),
        leaderRecoveryState: version >= 1 ? p.leaderRecoveryState : 0,
        partitionEpoch: p.partitionEpoch,
      })),
    })),
  }
}

/** The response of `version` for a version-neutral result. */
export function alterPartitionResponse(
  result: AlterPartitionResult,
  version: number,
): AlterPartitionResponse {
  return {
    throttleTimeMs: 0,
    errorCode: result.errorCode,
    topics: result.topics.map((t) => ({
      topicName: (version >= 2 ? '' : t.topicName) as TopicName,
      topicId: version >= 2 ? t.topicId : ZERO_UUID,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        errorCode: p.errorCode,
        leaderId: p.leaderId as BrokerId,
        leaderEpoch: p.leaderEpoch,
        isr: p.isr as BrokerId[],
        leaderRecoveryState: version >= 1 ? p.leaderRecoveryState : 0,
        partitionEpoch: p.partitionEpoch,
      })),
    })),
  }
}

export const alterPartitionHandler: Handler<
  AlterPartitionRequest,
  AlterPartitionResponse,
  AlterPartitionServices
> = {
  apiKey: 56,
  minVersion: 0,
  maxVersion: 3,
  request: alterPartitionRequestCodec,
  response: alterPartitionResponseCodec,

  async handle(ctx, req, services) {
    const result = await services.cluster.alterPartition(alterPartitionInput(req, ctx.apiVersion))
    return alterPartitionResponse(result, ctx.apiVersion)
  },

  errorResponse(_req, _version, errorCode) {
    return { throttleTimeMs: 0, errorCode, topics: [] }
  },
}
