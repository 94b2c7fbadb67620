// WriteTxnMarkers: v0-1 (flexible 1+). Inter-broker: a transaction coordinator asks this broker,
// the leader of the partitions, to end a transaction in each of them with a commit or abort
// marker (replication/txn-markers.ts, the same local writer the coordinator uses for partitions it
// leads itself). Each partition is answered once its marker is in every ISR member's log (acks=all,
// request.timeout.ms), or with the partition's error: UNKNOWN_TOPIC_OR_PARTITION (no replica
// here), NOT_LEADER_OR_FOLLOWER, INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED,
// NOT_ENOUGH_REPLICAS_AFTER_APPEND, REQUEST_TIMED_OUT, KAFKA_STORAGE_ERROR. Markers written to
// __consumer_offsets partitions are passed on to the group coordinator by the writer.
// With an authorizer, CLUSTER_ACTION on the cluster is checked before this handler runs
// (broker/authorizer-wiring.ts: CLUSTER_AUTHORIZATION_FAILED everywhere otherwise).

import type { ProducerId, TopicName } from '../../common/ids.ts'
import {
  type WriteTxnMarkersRequest,
  type WriteTxnMarkersResponse,
  type WriteTxnMarkersResponseWritableTxnMarkerResult,
  writeTxnMarkersRequestCodec,
  writeTxnMarkersResponseCodec,
} from '../../protocol/generated/messages/write-txn-markers.ts'
import type { TxnMarkerResult, TxnMarkerWriter } from '../../replication/txn-markers.ts'
import type { Handler } from '../handler.ts'

export interface WriteTxnMarkersServices {
  readonly txnMarkerWriter: TxnMarkerWriter
}

/** Results grouped by topic, topics in the order they were asked for. */
function markerResult(producerId: ProducerId, results: readonly TxnMarkerResult[]) {
  const byTopic = new Map<string, { partitionIndex: number; errorCode: number }[]>()
  for (const r of results) {
    let list = byTopic.get(r.topic)
    if (list === undefined) {
      list = []
      byTopic.set(r.topic, list)
    }
    list.push({ partitionIndex: r.partition, errorCode: r.errorCode })
  }
  return {
    producerId,
    topics: [...byTopic].map(([name, partitions]) => ({ name: name as TopicName, partitions })),
  }
}

export const writeTxnMarkersHandler: Handler<
  WriteTxnMarkersRequest,
  WriteTxnMarkersResponse,
  WriteTxnMarkersServices
> = {
  apiKey: 27,
  minVersion: 0,
  maxVersion: 1,
  request: writeTxnMarkersRequestCodec,
  response: writeTxnMarkersResponseCodec,

  async handle(_ctx, req, services) {
    const markers: WriteTxnMarkersResponseWritableTxnMarkerResult[] = await Promise.all(
      req.markers.map(async (m) => {
        const partitions = m.topics.flatMap((t) =>
          t.partitionIndexes.map((partition) => ({ topic: t.name as string, partition })),
        )
        const results = await services.txnMarkerWriter.write({
          producerId: m.producerId,
          producerEpoch: m.producerEpoch,
          coordinatorEpoch: m.coordinatorEpoch,
          commit: m.transactionResult,
          partitions,
        })
        return markerResult(m.producerId, results)
      }),
    )
    return { markers }
  },

  errorResponse(req, _version, errorCode) {
    return {
      markers: req.markers.map((m) => ({
        producerId: m.producerId,
        topics: m.topics.map((t) => ({
          name: t.name,
          partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode })),
        })),
      })),
    }
  },
}
