// The seam between a follower's fetcher and the broker leading its partitions (Kafka's
// LeaderEndPoint). The fetcher loop (fetcher-thread.ts) only ever talks to a leader through this
// interface: RemoteLeaderEndPoint speaks the wire protocol, MockLeaderEndPoint is an in-memory
// leader for deterministic tests. One endpoint belongs to one fetcher thread, which closes it.
//
// Failure model: a whole-request failure (connection refused or broken, timeout, a response-level
// error) rejects the promise, and the fetcher backs off every partition of the request;
// per-partition problems are error codes in the answer (fetch) or a LeaderPartitionError (offsets).

import type { Uuid } from '../../common/ids.ts'

export interface FetchPartitionRequest {
  topic: string
  topicId: Uuid
  partition: number
  fetchOffset: bigint
  /** Epoch of the last batch the follower holds (-1: none), for the leader's divergence check. */
  lastFetchedEpoch: number
  currentLeaderEpoch: number
  /** The follower's own log start offset (the leader tracks it per replica). */
  logStartOffset: bigint
  partitionMaxBytes: number
}

export interface FetchPartitionData {
  topic: string
  topicId: Uuid
  partition: number
  errorCode: number
  highWatermark: bigint
  logStartOffset: bigint
  /** Whole batches (a partial one may end the buffer); null or empty when there are none. */
  records: Buffer | null
  /** Where the follower's log diverges from the leader's (Fetch v12+); null when it does not. */
  divergingEpoch: { epoch: number; endOffset: bigint } | null
}

export interface FetchOptions {
  maxWaitMs: number
  minBytes: number
  maxBytes: number
}

export interface LeaderEndPoint {
  readonly leaderId: number
  fetch(partitions: readonly FetchPartitionRequest[], o: FetchOptions): Promise<FetchPartitionData[]>
  /**
   * The fetcher is done with a fetch's answer: nothing reads its record buffers any more, so their
   * memory may be reused (over the wire: the response frame goes back to the buffer pool, sparing
   * the follower a fresh 1 MiB allocation, its page faults and its GC at every round trip).
   */
  release?(responses: readonly FetchPartitionData[]): void
  /**
   * ListOffsets earliest (-2): the leader's log start offset, for OFFSET_OUT_OF_RANGE below it.
   * Rejects with LeaderPartitionError when the leader answers the partition with an error.
   */
  fetchEarliestOffset(topic: string, partition: number, currentLeaderEpoch: number): Promise<bigint>
  /**
   * ListOffsets latest (-1) as a replica: the leader's log end offset, for OFFSET_OUT_OF_RANGE
   * above it (the follower truncates to it, as Kafka's fetcher does). Errors as above.
   */
  fetchLatestOffset(topic: string, partition: number, currentLeaderEpoch: number): Promise<bigint>
  /** Ends the connection; a fetch in flight rejects. */
  close(): void
}

/** The leader answered one partition of a ListOffsets with a Kafka error code. */
export class LeaderPartitionError extends Error {
  readonly errorCode: number
  constructor(errorCode: number, message: string) {
    super(message)
    this.name = 'LeaderPartitionError'
    this.errorCode = errorCode
  }
}
