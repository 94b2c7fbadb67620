// CoordinatorLog over the broker's ReplicaManager: appends go through the partition's write path
// with acks=-1 (so the answer comes once the high watermark covers the batch, and fetchers of the
// internal topic are woken), with origin 'coordinator': the internal topic accepts it, and a
// transactional batch (TxnOffsetCommit) needs no transactional id and no sequence.
// Loading reads the partition's log directly.

import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import { BatchOffsets } from '../../records/batch-header.ts'
import { kafkaErrorOf } from '../../replication/errors.ts'
import type { AppendOutcome } from '../../replication/partition.ts'
import type { ProduceInput } from '../../replication/produce-request.ts'
import type { Log } from '../../storage/log.ts'
import { type CoordinatorLog, type CoordinatorReadResult, CoordinatorWriteError } from './coordinator-log.ts'

/** What this needs of the ReplicaManager. */
export interface ReplicaAccess {
  appendRecords(req: ProduceInput): AppendOutcome[] | Promise<AppendOutcome[]>
  partition(topic: string, index: number): { readonly log: Log } | null
}

export class ReplicaCoordinatorLog implements CoordinatorLog {
  private readonly replicas: ReplicaAccess
  private readonly topic: string

  constructor(replicas: ReplicaAccess, topic: string) {
    this.replicas = replicas
    this.topic = topic
  }

  async append(partition: number, batch: Buffer): Promise<bigint> {
    const [outcome] = await this.replicas.appendRecords({
      apiVersion: 9,
      acks: -1,
      transactionalId: null,
      internalTopicsAllowed: true,
      origin: 'coordinator',
      topics: [{ name: this.topic, partitionData: [{ index: partition, records: batch }] }],
    })
    if (outcome.errorCode !== ErrorCode.NONE) {
      throw new CoordinatorWriteError(
        outcome.errorCode,
        `append to ${this.topic}-${partition} failed: ${outcome.errorMessage ?? outcome.errorCode}`,
      )
    }
    return outcome.baseOffset + BigInt(batch.readInt32BE(BatchOffsets.lastOffsetDelta))
  }

  async read(partition: number, offset: bigint, maxBytes: number): Promise<CoordinatorReadResult> {
    const log = this.replicas.partition(this.topic, partition)?.log
    if (log === undefined) {
      throw new CoordinatorWriteError(
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        `${this.topic}-${partition} is not hosted here`,
      )
    }
    try {
      const from = offset < log.logStartOffset ? log.logStartOffset : offset
      const r = await log.readRecords(from, maxBytes)
      return { records: r.records, logEndOffset: r.logEndOffset, logStartOffset: r.logStartOffset }
    } catch (err) {
      throw new CoordinatorWriteError(kafkaErrorOf(err), `read of ${log.name} failed: ${err}`, { cause: err })
    }
  }
}
