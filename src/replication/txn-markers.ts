// The seam between the transaction coordinator and the partition leaders: a transaction ends by
// writing one marker (a control batch, records/builder.ts buildControlBatch) into every partition
// the transaction touched. The coordinator calls a TxnMarkerWriter; the local writer appends on
// the partitions this broker leads (the WriteTxnMarkers handler uses it for markers sent by a
// coordinator on another broker), a remote one would send WriteTxnMarkers to the leader.
//
// Each marker is appended as Kafka's WriteTxnMarkers does: on the partition leader only, internal
// topics allowed, acks=all (answered once the ISR has it, REQUEST_TIMED_OUT after the timeout).
// Refused per partition: a coordinator epoch older than the producer's last marker
// (TRANSACTION_COORDINATOR_FENCED), a producer epoch older than the producer's
// (INVALID_PRODUCER_EPOCH), a partition only followed here (NOT_LEADER_OR_FOLLOWER) or without a
// replica here (UNKNOWN_TOPIC_OR_PARTITION), an ISR below min.insync.replicas
// (NOT_ENOUGH_REPLICAS; NOT_ENOUGH_REPLICAS_AFTER_APPEND when it shrank while waiting).

import type { Clock } from '../common/clock.ts'
import type { Logger } from '../common/logger.ts'
import { ErrorCode } from '../protocol/generated/error-codes.ts'
import { awaitIsrOne } from './acks-wait.ts'
import type { Partition } from './partition.ts'
import type { TxnVerifier } from './txn-verification.ts'

export const OFFSETS_TOPIC = '__consumer_offsets'

export interface TxnMarker {
  producerId: bigint
  producerEpoch: number
  coordinatorEpoch: number
  commit: boolean
  partitions: ReadonlyArray<{ topic: string; partition: number }>
}

export interface TxnMarkerResult {
  topic: string
  partition: number
  errorCode: number
}

export interface TxnMarkerWriter {
  write(marker: TxnMarker): Promise<TxnMarkerResult[]>
}

/**
 * Called after a marker for a __consumer_offsets partition is written, so the group coordinator
 * can materialize or drop pending transactional offsets.
 */
export type OffsetsMarkerListener = (
  partition: number,
  producerId: bigint,
  producerEpoch: number,
  commit: boolean,
  markerOffset: bigint,
) => void

/** What the local writer needs of the ReplicaManager (kept narrow for tests). */
export interface MarkerHost {
  partition(topic: string, index: number): Partition | null
  /** Where the coordinator installs its KIP-890 verifier (the replica manager's). */
  setTxnVerifier?(verifier: TxnVerifier | null): void
}

export interface LocalTxnMarkerWriterOptions {
  clock: Clock
  /** How long a marker may wait for the ISR (request.timeout.ms). */
  timeoutMs?: number
  onOffsetsMarker?: OffsetsMarkerListener
  logger?: Logger
}

export interface LocalTxnMarkerWriter extends TxnMarkerWriter {
  /** Sets (or replaces) the listener told of markers written to __consumer_offsets partitions. */
  setOffsetsMarkerListener(listener: OffsetsMarkerListener | null): void
  /**
   * Gives the partition leaders here the coordinator's KIP-890 verifier (txn-verification.ts):
   * the transaction coordinator reaches the replica manager through the writer it was given.
   */
  setTxnVerifier(verifier: TxnVerifier | null): void
}

/** Writes markers on the partitions this broker leads. */
export function localTxnMarkerWriter(
  host: MarkerHost,
  opts: LocalTxnMarkerWriterOptions,
): LocalTxnMarkerWriter {
  let listener = opts.onOffsetsMarker ?? null
  const timeoutMs = opts.timeoutMs ?? 30_000
  const one = async (m: TxnMarker, topic: string, index: number): Promise<TxnMarkerResult> => {
    const part = host.partition(topic, index)
    // Kafka answers UNKNOWN_TOPIC_OR_PARTITION for a partition without a replica here, and
    // NOT_LEADER_OR_FOLLOWER (from the append) where this broker only follows it.
    if (part === null) return { topic, partition: index, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }
    // acks=all: refused before the write when the ISR is below min.insync.replicas, as Kafka does.
    if (part.isLeader && part.inSyncReplicas.length < part.log.config.minInsyncReplicas)
      return { topic, partition: index, errorCode: ErrorCode.NOT_ENOUGH_REPLICAS }
    const r = await part.appendTxnMarker(m.producerId, m.producerEpoch, m.coordinatorEpoch, m.commit)
    let errorCode = r.errorCode
    if (errorCode === ErrorCode.NONE) {
      errorCode = await awaitIsrOne(opts.clock, part, r.markerOffset + 1n, timeoutMs)
    }
    if (errorCode === ErrorCode.NONE && topic === OFFSETS_TOPIC && listener !== null) {
      try {
        listener(index, m.producerId, m.producerEpoch, m.commit, r.markerOffset)
      } catch (err) {
        // The marker is written either way; the group coordinator missed it.
        opts.logger?.error(`the offsets marker listener failed for ${topic}-${index}`, err)
      }
    }
    return { topic, partition: index, errorCode }
  }
  return {
    write: (m) => Promise.all(m.partitions.map((p) => one(m, p.topic, p.partition))),
    setOffsetsMarkerListener(l) {
      listener = l
    },
    setTxnVerifier(v) {
      host.setTxnVerifier?.(v)
    },
  }
}
