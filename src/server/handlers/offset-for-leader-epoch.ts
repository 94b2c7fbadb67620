// OffsetForLeaderEpoch: v2-4 (flexible 4+), the range Kafka 4.0 serves (v0-1 deprecated by
// KIP-896). Consumers use it to detect log truncation (Java v3+ only when the broker's max is
// >= 3, librdkafka >= 2.1 sends v2). Answers the end offset of the requested leader epoch from the
// log's leader-epoch cache (the log end offset for the current epoch; the start of the next epoch
// otherwise; -1/-1 for an epoch older than the cache), with currentLeaderEpoch fencing.
// Not implemented: follower-specific behaviour for replicaId >= 0 (answered like a consumer).

import type { TopicName } from '../../common/ids.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse,
  type OffsetForLeaderEpochResponseEpochEndOffset,
  offsetForLeaderEpochRequestCodec,
  offsetForLeaderEpochResponseCodec,
} from '../../protocol/generated/messages/offset-for-leader-epoch.ts'
import type { ReplicaManager } from '../../replication/replica-manager.ts'
import { AclOperation } from '../../security/acl-types.ts'
import { type Authorizing, allowsCluster, callerOf, topicChecker } from '../../security/authorizer-check.ts'
import type { Handler } from '../handler.ts'

export interface OffsetForLeaderEpochServices extends Authorizing {
  replicaManager: ReplicaManager
}

const failed = (partition: number, errorCode: number): OffsetForLeaderEpochResponseEpochEndOffset => ({
  errorCode,
  partition,
  leaderEpoch: -1,
  endOffset: -1n,
})

export const offsetForLeaderEpochHandler: Handler<
  OffsetForLeaderEpochRequest,
  OffsetForLeaderEpochResponse,
  OffsetForLeaderEpochServices
> = {
  apiKey: 23,
  minVersion: 2,
  maxVersion: 4,
  request: offsetForLeaderEpochRequestCodec,
  response: offsetForLeaderEpochResponseCodec,
  handle(ctx, req, services) {
    const rm = services.replicaManager
    // With an authorizer: followers (replicaId >= 0) need CLUSTER_ACTION, clients DESCRIBE per topic.
    const caller = callerOf(services.authorizer, ctx.connection)
    if (caller !== null && req.replicaId >= 0 && !allowsCluster(caller, AclOperation.CLUSTER_ACTION))
      return offsetForLeaderEpochHandler.errorResponse!(
        req,
        ctx.apiVersion,
        ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
      )
    const describable = caller === null ? null : topicChecker(caller, AclOperation.DESCRIBE)
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        topic: t.topic as TopicName,
        partitions: t.partitions.map((p) => {
          if (describable !== null && !describable(t.topic))
            return failed(p.partition, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
          const part = rm.partition(t.topic, p.partition)
          if (part === null) return failed(p.partition, rm.missingPartitionError(t.topic, p.partition))
          const r = part.endOffsetForEpoch(p.leaderEpoch, p.currentLeaderEpoch)
          return {
            errorCode: r.errorCode,
            partition: p.partition,
            leaderEpoch: r.leaderEpoch,
            endOffset: r.endOffset,
          }
        }),
      })),
    }
  },
  errorResponse(req, _version, errorCode) {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p) => failed(p.partition, errorCode)),
      })),
    }
  },
}
