// KIP-890 part 1 on the partition leader: before a client's transactional batch may open a
// transaction on a partition, the transaction coordinator confirms that the partition is in the
// producer's ongoing transaction at that epoch (AddPartitionsToTxn with verifyOnly). Without it a
// late retry of a batch from an ended transaction, or a client that never called
// AddPartitionsToTxn, would open a transaction no coordinator will ever end (a hanging
// transaction that holds back the last stable offset forever).
//
// The replica manager asks a TxnVerifier (the coordinator side implements it: a local call, or
// AddPartitionsToTxn v4 to the coordinator's broker) only for batches of producers that have no
// ongoing transaction at that epoch on the partition; once the transaction is open there, later
// batches go straight to the log. A verification guard (an object held in the producer state,
// Kafka's VerificationGuard) ties the answer to the append: a marker written meanwhile drops the
// guard, so a batch verified before an abort cannot open a new transaction after it.
//
// The coordinator's answers become produce errors as Kafka's broker makes them (TV1 clients):
// INVALID_TXN_STATE stays ("Partition was not added to the transaction"); the retriable
// coordinator errors, which older clients do not retry on a produce, become NOT_ENOUGH_REPLICAS;
// anything else (INVALID_PRODUCER_EPOCH, INVALID_PRODUCER_ID_MAPPING, ...) is answered as is.

import { ErrorCode, errorName } from '../protocol/generated/error-codes.ts'
import { type AppendOutcome, errorOutcome } from './partition.ts'

export interface TxnVerifyRequest {
  transactionalId: string
  producerId: bigint
  producerEpoch: number
  partitions: readonly { topic: string; partition: number }[]
}

/** Asks the coordinator of a transactional id; see the header. */
export interface TxnVerifier {
  /**
   * Per partition (key verifyKey) the coordinator's answer; a partition left out is verified.
   * Never rejects: a failure to reach the coordinator is NETWORK_EXCEPTION on every partition.
   */
  verify(req: TxnVerifyRequest): Promise<ReadonlyMap<string, number>>
}

export function verifyKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

const RETRIABLE = new Set<number>([
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.CONCURRENT_TRANSACTIONS,
])

/** The produce answer for a partition the coordinator did not verify. */
export function unverifiedOutcome(code: number): AppendOutcome {
  if (code === ErrorCode.INVALID_TXN_STATE)
    return errorOutcome(code, 'Partition was not added to the transaction')
  if (RETRIABLE.has(code))
    return errorOutcome(
      ErrorCode.NOT_ENOUGH_REPLICAS,
      `Unable to verify the partition has been added to the transaction. Underlying error: ${errorName(code)}`,
    )
  return errorOutcome(code, null)
}
