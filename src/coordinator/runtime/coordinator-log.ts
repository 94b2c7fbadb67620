// The seam between a coordinator and the partition logs of its internal topic (__consumer_offsets,
// later __transaction_state). The runtime writes every operation's records as one v2 batch and
// replays a partition's log when it becomes the coordinator for it; nothing else touches the log.
//
// Implementations: MemoryCoordinatorLog (tests, with injectable failures) and
// LocalCoordinatorLog (a storage Log on this broker). A replicated deployment implements the same
// two calls over the replica manager with acks=-1.

import { ErrorCode } from '../../protocol/generated/error-codes.ts'

/** One record of an internal topic: Kafka's versioned key and value (null value: tombstone). */
export interface CoordinatorRecord {
  readonly key: Buffer
  readonly value: Buffer | null
}

export interface CoordinatorReadResult {
  /** Whole batches starting at (or just before) the requested offset; empty at the end. */
  readonly records: Buffer
  /** Where the log ends now: loading stops there. */
  readonly logEndOffset: bigint
  /** The first offset in the log (reads below it start here). */
  readonly logStartOffset: bigint
}

export interface CoordinatorLog {
  /**
   * Appends one batch (offsets are assigned by the log) and resolves, with the offset of its last
   * record, once the batch is committed: written and below the high watermark. Rejects with a
   * CoordinatorWriteError (or any error, taken as UNKNOWN_SERVER_ERROR) when the write failed.
   */
  append(partition: number, batch: Buffer): Promise<bigint>
  /** Whole batches from `offset` (clamped to the log start), about `maxBytes` (at least one batch). */
  read(partition: number, offset: bigint, maxBytes: number): Promise<CoordinatorReadResult>
}

/** A failed append or read, with the Kafka error code the log reported. */
export class CoordinatorWriteError extends Error {
  readonly errorCode: number
  constructor(errorCode: number, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'CoordinatorWriteError'
    this.errorCode = errorCode
  }
}

/**
 * What a client is told when a coordinator write failed, as Kafka's group coordinator maps
 * storage errors: "try elsewhere" for leadership and storage failures, "retry" for transient
 * availability, and no retry for size errors (which are our bug, not the client's).
 */
export function clientErrorOfWrite(err: unknown): number {
  const code = err instanceof CoordinatorWriteError ? err.errorCode : ErrorCode.UNKNOWN_SERVER_ERROR
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.UNKNOWN_SERVER_ERROR
    default:
      return code
  }
}
