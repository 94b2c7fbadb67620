// ListPartitionReassignments: v0 (flexible). Admin → the controller (kafka-reassign-partitions.sh
// --verify/--list/--execute, the admin client's listPartitionReassignments; KIP-455): the named
// partitions (null: all) that are being reassigned, each with its full replica set and the replicas
// being added and removed. Partitions not moving, or unknown, are left out, as Kafka does. In
// ZooKeeper mode only the active controller answers (NOT_CONTROLLER elsewhere); standalone nothing
// ever moves. TimeoutMs is not used: the answer is immediate.

import type { BrokerId, TopicName } from '../../common/ids.ts'
import { ERROR_TABLE } from '../../protocol/generated/error-codes.ts'
import {
  type ListPartitionReassignmentsRequest,
  type ListPartitionReassignmentsResponse,
  listPartitionReassignmentsRequestCodec,
  listPartitionReassignmentsResponseCodec,
} from '../../protocol/generated/messages/list-partition-reassignments.ts'
import type { Handler } from '../handler.ts'

// The version-neutral input and result are the controller's own (it serves this API).
export type { ListReassignmentsInput, ListReassignmentsResult } from '../../controller/reassignment.ts'

import type { ListReassignmentsInput, ListReassignmentsResult } from '../../controller/reassignment.ts'

export interface ListPartitionReassignmentsServices {
  readonly cluster: {
    listPartitionReassignments(input: ListReassignmentsInput): Promise<ListReassignmentsResult>
  }
}

const ids = (list: readonly number[]): BrokerId[] => list.map((id) => id as BrokerId)

export const listPartitionReassignmentsHandler: Handler<
  ListPartitionReassignmentsRequest,
  ListPartitionReassignmentsResponse,
  ListPartitionReassignmentsServices
> = {
  apiKey: 46,
  minVersion: 0,
  maxVersion: 0,
  request: listPartitionReassignmentsRequestCodec,
  response: listPartitionReassignmentsResponseCodec,

  async handle(_ctx, req, services) {
    const r = await services.cluster.listPartitionReassignments({
      topics:
        req.topics === null
          ? null
          : req.topics.map((t) => ({ name: t.name, partitionIndexes: [...t.partitionIndexes] })),
    })
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      topics: r.topics.map((t) => ({
        name: t.name as TopicName,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          replicas: ids(p.replicas),
          addingReplicas: ids(p.addingReplicas),
          removingReplicas: ids(p.removingReplicas),
        })),
      })),
    }
  },

  errorResponse(_req, _version, errorCode) {
    return {
      throttleTimeMs: 0,
      errorCode,
      errorMessage: ERROR_TABLE.get(errorCode)?.message ?? null,
      topics: [],
    }
  },
}
