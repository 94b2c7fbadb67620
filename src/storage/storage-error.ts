// Errors the storage layer raises, with stable codes. The broker maps them to Kafka error codes:
//   OffsetOutOfRange        -> OFFSET_OUT_OF_RANGE (1)
//   LogOffline              -> KAFKA_STORAGE_ERROR (56)
//   RecordBatchTooLarge     -> RECORD_LIST_TOO_LARGE (18)
//   InvalidRecord           -> INVALID_RECORD (87) (e.g. a keyless record on a compacted topic)
//   UnexpectedAppendOffset  -> a replication bug or a follower that must truncate first
//   InconsistentTopicId     -> INCONSISTENT_TOPIC_ID (103)
//   NoSpace                 -> KAFKA_STORAGE_ERROR (56): the disk was full; the write was undone
//                              and the log stays online, so a retry succeeds once space returns

export const StorageErrorCode = {
  OffsetOutOfRange: 'SAMSA-STORE-001',
  LogOffline: 'SAMSA-STORE-002',
  RecordBatchTooLarge: 'SAMSA-STORE-003',
  InvalidRecord: 'SAMSA-STORE-004',
  UnexpectedAppendOffset: 'SAMSA-STORE-005',
  InconsistentTopicId: 'SAMSA-STORE-006',
  LogClosed: 'SAMSA-STORE-007',
  CorruptData: 'SAMSA-STORE-008',
  NoSpace: 'SAMSA-STORE-009',
} as const
export type StorageErrorCode = (typeof StorageErrorCode)[keyof typeof StorageErrorCode]

export class StorageError extends Error {
  readonly code: StorageErrorCode
  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options)
    this.name = 'StorageError'
    this.code = code
  }
}

export const isStorageError = (err: unknown, code?: StorageErrorCode): err is StorageError =>
  err instanceof StorageError && (code === undefined || err.code === code)
