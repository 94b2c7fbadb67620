// DescribeProducers: v0 (flexible). The active producers of partitions this broker leads, from
// the partition's producer state: id, epoch, last sequence and timestamp, the coordinator epoch of
// its last transaction marker, and the first offset of its open transaction (-1: none) — what
// kafka-transactions.sh describe-producers and find-hanging read. A partition not hosted here
// answers UNKNOWN_TOPIC_OR_PARTITION (or NOT_LEADER_OR_FOLLOWER when known elsewhere), one this
// broker follows NOT_LEADER_OR_FOLLOWER, as Kafka's do.
// Not implemented: ACLs (READ on the topic).

import type { ProducerId, TopicName } from '../../common/ids.ts'
import {
  type DescribeProducersRequest,
  type DescribeProducersResponse,
  type DescribeProducersResponsePartitionResponse,
  describeProducersRequestCodec,
  describeProducersResponseCodec,
} from '../../protocol/generated/messages/describe-producers.ts'
import type { ReplicaManager } from '../../replication/replica-manager.ts'
import type { Handler } from '../handler.ts'

export interface DescribeProducersServices {
  readonly replicaManager: Pick<ReplicaManager, 'partition' | 'missingPartitionError'>
}

function failed(partitionIndex: number, errorCode: number): DescribeProducersResponsePartitionResponse {
  return { partitionIndex, errorCode, errorMessage: null, activeProducers: [] }
}

export const describeProducersHandler: Handler<
  DescribeProducersRequest,
  DescribeProducersResponse,
  DescribeProducersServices
> = {
  apiKey: 61,
  minVersion: 0,
  maxVersion: 0,
  request: describeProducersRequestCodec,
  response: describeProducersResponseCodec,
  handle(_ctx, req, s) {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((index) => {
          const part = s.replicaManager.partition(t.name, index)
          if (part === null) return failed(index, s.replicaManager.missingPartitionError(t.name, index))
          const lead = part.leaderError()
          if (lead !== 0) return failed(index, lead)
          return {
            partitionIndex: index,
            errorCode: 0,
            errorMessage: null,
            activeProducers: [...part.producers.producers.values()].map((e) => ({
              producerId: e.producerId as ProducerId,
              producerEpoch: e.epoch,
              lastSequence: e.lastSeq,
              lastTimestamp: e.lastTimestamp,
              coordinatorEpoch: e.coordinatorEpoch,
              currentTxnStartOffset: e.currentTxnFirstOffset < 0n ? -1n : e.currentTxnFirstOffset,
            })),
          }
        }),
      })),
    }
  },
  errorResponse: (req, _version, errorCode) => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name as TopicName,
      partitions: t.partitionIndexes.map((i) => failed(i, errorCode)),
    })),
  }),
}
