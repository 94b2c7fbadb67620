// The replica fetcher's settings (Kafka's replica.fetch.* broker configs) and the small shapes the
// fetcher thread, the manager and their callers share.

export interface FetcherConfig {
  /** replica.fetch.wait.max.ms */
  maxWaitMs: number
  /** replica.fetch.min.bytes */
  minBytes: number
  /** replica.fetch.response.max.bytes */
  maxBytes: number
  /** replica.fetch.max.bytes (per partition) */
  partitionMaxBytes: number
  /** replica.fetch.backoff.ms */
  backoffMs: number
}

export const DEFAULT_FETCHER_CONFIG: Readonly<FetcherConfig> = Object.freeze({
  maxWaitMs: 500,
  minBytes: 1,
  maxBytes: 10_485_760,
  partitionMaxBytes: 1_048_576,
  backoffMs: 1000,
})

export interface TopicPartitionKey {
  topic: string
  partition: number
}

/** What tests and metrics may see of a partition's fetch state. */
export interface PartitionFetchView {
  fetchOffset: bigint
  currentLeaderEpoch: number
  lastFetchedEpoch: number
  /** Clock time until which the partition is not fetched; null when ready. */
  delayedUntil: number | null
  /** Leader HW minus our log end after the last response; null before the first one. */
  lag: bigint | null
}

export const tpKey = (topic: string, partition: number): string => `${topic}-${partition}`
