// AlterPartitionReassignments: v0 (flexible). Admin → the controller (kafka-reassign-partitions.sh
// --execute/--cancel, the admin client's alterPartitionReassignments; KIP-455): move each named
// partition to the given replicas, or cancel its move (replicas null). The cluster service decides
// everything: in ZooKeeper mode the active controller (NOT_CONTROLLER at the top level elsewhere),
// standalone the single node (reassignment-less: only its own id is a valid target). The answer
// comes once each move has started, not when it completes (ListPartitionReassignments shows that).
// TimeoutMs is not used: starting a move does not wait on brokers, as in Kafka's controller.
//
// Kafka's getErrorResponse: an error for the whole request is put on every partition.

import type { TopicName } from '../../common/ids.ts'
import { ERROR_TABLE } from '../../protocol/generated/error-codes.ts'
import {
  type AlterPartitionReassignmentsRequest,
  type AlterPartitionReassignmentsResponse,
  alterPartitionReassignmentsRequestCodec,
  alterPartitionReassignmentsResponseCodec,
} from '../../protocol/generated/messages/alter-partition-reassignments.ts'
import type { Handler } from '../handler.ts'

// The version-neutral input and result are the controller's own (it serves this API).
export type { AlterReassignmentsInput, AlterReassignmentsResult } from '../../controller/reassignment.ts'

import type { AlterReassignmentsInput, AlterReassignmentsResult } from '../../controller/reassignment.ts'

export interface AlterPartitionReassignmentsServices {
  readonly cluster: {
    alterPartitionReassignments(input: AlterReassignmentsInput): Promise<AlterReassignmentsResult>
  }
}

export const alterPartitionReassignmentsHandler: Handler<
  AlterPartitionReassignmentsRequest,
  AlterPartitionReassignmentsResponse,
  AlterPartitionReassignmentsServices
> = {
  apiKey: 45,
  minVersion: 0,
  maxVersion: 0,
  request: alterPartitionReassignmentsRequestCodec,
  response: alterPartitionReassignmentsResponseCodec,

  async handle(_ctx, req, services) {
    const r = await services.cluster.alterPartitionReassignments({
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, replicas: p.replicas })),
      })),
    })
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      responses: r.responses.map((t) => ({
        name: t.name as TopicName,
        partitions: t.partitions.map((p) => ({ ...p })),
      })),
    }
  },

  errorResponse(req, _version, errorCode) {
    const errorMessage = ERROR_TABLE.get(errorCode)?.message ?? null
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      responses: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode, errorMessage })),
      })),
    }
  },
}
