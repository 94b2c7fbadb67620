// Storage failures as Kafka error codes (see storage/storage-error.ts for the table).

import { ErrorCode } from '../protocol/generated/error-codes.ts'
import { StorageError, StorageErrorCode } from '../storage/storage-error.ts'

export function kafkaErrorOf(err: unknown): number {
  if (!(err instanceof StorageError)) return ErrorCode.UNKNOWN_SERVER_ERROR
  switch (err.code) {
    case StorageErrorCode.OffsetOutOfRange:
      return ErrorCode.OFFSET_OUT_OF_RANGE
    case StorageErrorCode.LogOffline:
    case StorageErrorCode.NoSpace:
      return ErrorCode.KAFKA_STORAGE_ERROR
    case StorageErrorCode.RecordBatchTooLarge:
      return ErrorCode.RECORD_LIST_TOO_LARGE
    case StorageErrorCode.InvalidRecord:
      return ErrorCode.INVALID_RECORD
    case StorageErrorCode.InconsistentTopicId:
      return ErrorCode.INCONSISTENT_TOPIC_ID
    case StorageErrorCode.LogClosed:
      return ErrorCode.NOT_LEADER_OR_FOLLOWER
    default:
      return ErrorCode.UNKNOWN_SERVER_ERROR
  }
}

/** Checks a client's view of the leader epoch (-1: no check), as Kafka's fencing does. */
export function leaderEpochError(currentLeaderEpoch: number, leaderEpoch: number): number {
  if (currentLeaderEpoch < 0 || currentLeaderEpoch === leaderEpoch) return ErrorCode.NONE
  return currentLeaderEpoch < leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH
}
