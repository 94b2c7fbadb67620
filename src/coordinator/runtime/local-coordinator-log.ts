// CoordinatorLog over a storage Log on this broker: appends as the leader and, being the only
// replica of an internal topic on a single node, moves the high watermark to the log end right
// after the write (what the replica manager does for a partition whose ISR is this broker alone).
// A broker that owns high watermarks elsewhere passes `afterAppend` to do it its way (advance
// the HW through the partition, wake fetchers waiting on it).

import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import { kafkaErrorOf } from '../../replication/errors.ts'
import type { Log } from '../../storage/log.ts'
import { type CoordinatorLog, type CoordinatorReadResult, CoordinatorWriteError } from './coordinator-log.ts'

export interface LocalCoordinatorLogParams {
  /** The partition's log on this broker, or undefined when this broker does not host it. */
  logFor(partition: number): Log | undefined | Promise<Log | undefined>
  /** Leader epoch stamped on appended batches (default -1: none). */
  leaderEpochOf?(partition: number): number
  /** Makes the append committed (default: high watermark = log end offset). */
  afterAppend?(partition: number, log: Log): void | Promise<void>
}

export class LocalCoordinatorLog implements CoordinatorLog {
  private readonly p: LocalCoordinatorLogParams

  constructor(params: LocalCoordinatorLogParams) {
    this.p = params
  }

  private async log(partition: number): Promise<Log> {
    const log = await this.p.logFor(partition)
    if (log === undefined) {
      throw new CoordinatorWriteError(
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        `partition ${partition} of the coordinator's topic is not hosted here`,
      )
    }
    return log
  }

  async append(partition: number, batch: Buffer): Promise<bigint> {
    const log = await this.log(partition)
    try {
      const r = await log.append(batch, { leaderEpoch: this.p.leaderEpochOf?.(partition) ?? -1 })
      if (this.p.afterAppend) await this.p.afterAppend(partition, log)
      else log.maybeIncrementHighWatermark(log.logEndOffset)
      return r.lastOffset
    } catch (err) {
      throw new CoordinatorWriteError(kafkaErrorOf(err), `append to ${log.name} failed: ${err}`, {
        cause: err,
      })
    }
  }

  async read(partition: number, offset: bigint, maxBytes: number): Promise<CoordinatorReadResult> {
    const log = await this.log(partition)
    try {
      const from = offset < log.logStartOffset ? log.logStartOffset : offset
      const r = await log.readRecords(from, maxBytes)
      return { records: r.records, logEndOffset: r.logEndOffset, logStartOffset: r.logStartOffset }
    } catch (err) {
      throw new CoordinatorWriteError(kafkaErrorOf(err), `read of ${log.name} failed: ${err}`, { cause: err })
    }
  }
}
