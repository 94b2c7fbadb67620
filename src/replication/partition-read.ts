// One partition's reads for a fetch, kept apart from its leadership, high watermark and append
// queue (partition.ts). Partition owns one and answers whether this replica may serve the fetch
// (PartitionReadHost.fetchError); fetch-reader.ts calls the reads through the partition for every
// partition of a fetch.

import type { ProducerId } from '../common/ids.ts'
import type { Logger } from '../common/logger.ts'
import { ErrorCode } from '../protocol/generated/error-codes.ts'
import { abortedTxnsOverlapping } from '../storage/aborted-txns.ts'
import type { Log } from '../storage/log.ts'
import { kafkaErrorOf } from './errors.ts'

export const IsolationLevel = { readUncommitted: 0, readCommitted: 1 } as const

const NO_RECORDS = Buffer.alloc(0)

/**
 * One partition's answer to a fetch. Made fresh by every read: fetch-reader.ts completes it in
 * place (preferred replica, aborted transactions) and hands it on as the fetch's answer.
 */
export interface PartitionRead {
  errorCode: number
  /** Whole batches (empty when none). */
  records: Buffer
  sizeInBytes: number
  highWatermark: bigint
  lastStableOffset: bigint
  logStartOffset: bigint
  /** Set when the fetcher's lastFetchedEpoch diverges from this log (KIP-320). */
  divergingEpoch: { epoch: number; endOffset: bigint } | null
  /** read_committed: the aborted transactions overlapping the records returned; else null. */
  abortedTransactions: readonly { producerId: ProducerId; firstOffset: bigint }[] | null
  /** KIP-392: where the consumer should fetch from instead; -1: here. Set by the fetch reader. */
  preferredReadReplica: number
}

/** What a fetch asks of one partition's log (readForFetch reads it before returning). */
export interface FetchReadRequest {
  fetchOffset: bigint
  maxBytes: number
  minOneBatch: boolean
  isolationLevel: number
  isFollower: boolean
  currentLeaderEpoch: number
  lastFetchedEpoch: number
  /**
   * Only the leader may serve this fetch (default): followers' fetches, and consumers' without
   * client metadata (Fetch below v11). A consumer's v11+ fetch may read from a follower (KIP-392).
   */
  leaderOnly?: boolean
}

/** No aborted transaction (shared: never written to). */
export const NO_ABORTED_TXNS: readonly { producerId: ProducerId; firstOffset: bigint }[] = Object.freeze([])

/** The partition, as its reads see it. */
export interface PartitionReadHost {
  readonly name: string
  readonly logger: Logger
  /** read_committed's bound: the high watermark held back by unstable transactions. */
  readonly lastStableOffset: bigint
  /** Why this replica cannot serve a fetch (Partition.fetchError), NONE when it can. */
  fetchError(currentLeaderEpoch: number, leaderOnly: boolean): number
}

export class PartitionReader {
  private readonly host: PartitionReadHost
  private readonly log: Log

  constructor(host: PartitionReadHost, log: Log) {
    this.host = host
    this.log = log
  }

  /**
   * Whole batches from `fetchOffset` for a fetch, read in one positional read per segment touched
   * (Log.readRecords). Consumers read below the high watermark (read_uncommitted) or the last
   * stable offset (read_committed); followers up to the log end. Synchronous when there is nothing
   * to read (an error, a diverging epoch, a reader already at its bound: what a waiting fetch
   * finds), a promise only when the log is read. `o` is not kept: a caller may reuse it.
   */
  readForFetch(o: FetchReadRequest): PartitionRead | Promise<PartitionRead> {
    const code = this.host.fetchError(o.currentLeaderEpoch, o.leaderOnly ?? true)
    if (code !== ErrorCode.NONE) return emptyRead(code)
    const fetchOffset = o.fetchOffset
    const log = this.log
    if (o.lastFetchedEpoch >= 0) {
      const end = log.endOffsetForEpoch(o.lastFetchedEpoch)
      if (end.epoch < o.lastFetchedEpoch || end.endOffset < fetchOffset) {
        const read = this.emptyReadHere()
        read.divergingEpoch = { epoch: end.epoch, endOffset: end.endOffset }
        return read
      }
    }
    const committed = !o.isFollower && o.isolationLevel === IsolationLevel.readCommitted
    const lso = this.host.lastStableOffset
    const leo = log.logEndOffset
    const maxOffset = o.isFollower ? leo : committed ? lso : log.highWatermark
    if (fetchOffset >= maxOffset && fetchOffset <= leo && fetchOffset >= log.logStartOffset) {
      // Nothing to read yet: what the log's read would answer, without its promises and objects.
      const read = this.emptyReadHere(lso)
      if (committed) read.abortedTransactions = NO_ABORTED_TXNS
      return read
    }
    return this.readLog(
      fetchOffset,
      o.maxBytes,
      o.minOneBatch,
      o.isFollower ? undefined : maxOffset,
      committed,
      lso,
    )
  }

  private async readLog(
    fetchOffset: bigint,
    maxBytes: number,
    minOneBatch: boolean,
    maxOffset: bigint | undefined,
    committed: boolean,
    lso: bigint,
  ): Promise<PartitionRead> {
    try {
      const r = await this.log.readRecords(fetchOffset, maxBytes, { maxOffset, minOneBatch })
      const read: PartitionRead = {
        errorCode: ErrorCode.NONE,
        records: r.records,
        sizeInBytes: r.sizeInBytes,
        highWatermark: r.highWatermark,
        lastStableOffset: lso,
        logStartOffset: r.logStartOffset,
        divergingEpoch: null,
        abortedTransactions: null,
        preferredReadReplica: -1,
      }
      if (committed) {
        const found = await abortedTxnsOverlapping(this.log.segmentList, fetchOffset, r.records)
        read.abortedTransactions =
          found.length === 0
            ? NO_ABORTED_TXNS
            : found.map((t) => ({ producerId: t.producerId as ProducerId, firstOffset: t.firstOffset }))
      }
      return read
    } catch (err) {
      const c = kafkaErrorOf(err)
      if (c === ErrorCode.UNKNOWN_SERVER_ERROR)
        this.host.logger.error(`read of ${this.host.name} failed`, err)
      return emptyRead(c)
    }
  }

  /**
   * The offsets of a fetch answer without reading (Kafka's fetchOffsetSnapshot, not leader-only):
   * what the leader sends with a preferred read replica.
   */
  offsetSnapshot(currentLeaderEpoch: number): PartitionRead {
    const code = this.host.fetchError(currentLeaderEpoch, false)
    return code !== ErrorCode.NONE ? emptyRead(code) : this.emptyReadHere()
  }

  private emptyReadHere(lso: bigint = this.host.lastStableOffset): PartitionRead {
    return {
      errorCode: ErrorCode.NONE,
      records: NO_RECORDS,
      sizeInBytes: 0,
      highWatermark: this.log.highWatermark,
      lastStableOffset: lso,
      logStartOffset: this.log.logStartOffset,
      divergingEpoch: null,
      abortedTransactions: null,
      preferredReadReplica: -1,
    }
  }
}

/** A read with no records and no offsets: an error's answer (fetch-reader.ts uses it too). */
export function emptyRead(errorCode: number): PartitionRead {
  return {
    errorCode,
    records: NO_RECORDS,
    sizeInBytes: 0,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    divergingEpoch: null,
    abortedTransactions: null,
    preferredReadReplica: -1,
  }
}
