// What the replica fetcher needs of a partition this broker follows. The replication layer
// implements it on its Partition (which keeps producer state, the epoch cache and the log
// together); tests implement it in memory. Only the fetcher thread that holds the partition calls
// the mutating methods, one call at a time, and never after removePartitions resolved.

import type { Uuid } from '../../common/ids.ts'

export interface FollowerLog {
  readonly topic: string
  readonly topicId: Uuid
  readonly partition: number
  logEndOffset(): bigint
  logStartOffset(): bigint
  /** Latest leader epoch in the local epoch cache, -1 when empty. */
  latestEpoch(): number
  /**
   * Kafka's endOffsetForEpoch on the local log: the largest epoch <= `epoch` and its end offset
   * (the start of the next epoch, or the log end for the latest); {-1, -1n} when none.
   */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: bigint }
  /**
   * Appends whole batches fetched from the leader (offsets and epochs kept; a partial batch at the
   * end is ignored), then sets the follower high watermark to min(leaderHW, LEO) and raises the
   * log start offset towards the leader's. Called with an empty buffer too, so the high
   * watermark follows the leader while no records arrive.
   */
  appendAsFollower(records: Buffer, leaderHighWatermark: bigint, leaderLogStartOffset: bigint): Promise<void>
  /** Removes everything at and after `offset` (whole batches); no-op at or past the log end. */
  truncateTo(offset: bigint): Promise<void>
  /** Deletes everything; the log restarts empty at `offset` (log start = LEO = HW = offset). */
  truncateFullyAndStartAt(offset: bigint): Promise<void>
}
