// One Produce request through the replica manager (replica-manager.ts appendRecords): the checks
// that refuse a batch before any write queue (internal topics, leadership, the batch itself,
// transactional ids, min.insync.replicas), the KIP-890 verification of transactional batches
// (txn-verification.ts), the dispatch of every other batch to its partition's append queue, and
// the acks=all wait (acks-wait.ts); and the request's shape (ProduceInput) that handlers and
// coordinators build. Kept apart from the hosting of partitions, which only hands these its
// topics, clock and verifier. This is the produce hot path: one sink per request, outcomes by
// slot (no promise per partition), synchronous when nothing was queued.

import type { Clock } from '../common/clock.ts'
import { ErrorCode } from '../protocol/generated/error-codes.ts'
import { Attr, BatchOffsets } from '../records/batch-header.ts'
import { awaitIsr } from './acks-wait.ts'
import { type AppendOutcome, type AppendSink, errorOutcome, type Partition } from './partition.ts'
import { validateProduceRecords } from './produce-validation.ts'
import type { AppendOrigin } from './producer-state/producer-state-manager.ts'
import type { HostedTopic, ReplicaManager } from './replica-manager.ts'
import { type TxnVerifier, unverifiedOutcome, verifyKey } from './txn-verification.ts'

/** A Produce request (v3+) as ReplicaManager.appendRecords takes it. */
export interface ProduceInput {
  apiVersion: number
  acks: number
  /** acks=-1: how long to wait for the ISR before REQUEST_TIMED_OUT (the request's timeoutMs). */
  timeoutMs?: number
  transactionalId: string | null
  /** Appends to __consumer_offsets and other internal topics (coordinators only). */
  internalTopicsAllowed?: boolean
  /**
   * 'coordinator': a coordinator writing its internal topic (Kafka's COORDINATOR origin). Honoured
   * on internal topics only (elsewhere the append is checked as a client's): a producer batch
   * may then carry no sequence and needs no transactional id, and the producer state checks its
   * epoch but not its sequence. Default 'client'.
   */
  origin?: AppendOrigin
  topics: readonly { name: string; partitionData: readonly { index: number; records: Buffer | null }[] }[]
}

/** A transactional batch waiting for its coordinator's verification (txn-verification.ts). */
interface Unverified {
  part: Partition
  records: Buffer
  slot: number
  guard: object
}

/** Collects the outcomes of one produce request, flat in request order. */
class ProduceSink implements AppendSink {
  readonly results: AppendOutcome[]
  pending = 0
  resolve: ((r: AppendOutcome[]) => void) | null = null
  constructor(n: number) {
    this.results = new Array(n)
  }
  complete(slot: number, outcome: AppendOutcome): void {
    this.results[slot] = outcome
    if (--this.pending === 0 && this.resolve !== null) this.resolve(this.results)
  }
}

/** ReplicaManager.appendRecords, over its topics (by name), clock and KIP-890 verifier. */
export function appendRecords(
  rm: ReplicaManager,
  topics: ReadonlyMap<string, HostedTopic>,
  clock: Clock,
  txnVerifier: TxnVerifier | null,
  requestTimeoutMs: number,
  req: ProduceInput,
): AppendOutcome[] | Promise<AppendOutcome[]> {
  let n = 0
  for (const t of req.topics) n += t.partitionData.length
  const sink = new ProduceSink(n)
  const now = clock.now()
  const parts: (Partition | null)[] = req.acks === -1 ? new Array(n).fill(null) : []
  let slot = 0
  sink.pending = n + 1 // +1 until every partition was dispatched
  // Only a transactional request can need verification: other produces pay one check.
  const verifying = req.transactionalId !== null && txnVerifier !== null
  let unverified: Unverified[] | null = null
  for (const t of req.topics) {
    const hosted = topics.get(t.name)
    for (const p of t.partitionData) {
      const part = hosted?.partitions[p.index]
      const problem =
        part === undefined
          ? errorOutcome(rm.missingPartitionError(t.name, p.index))
          : checkAppend(topics, req, part, p.records, now)
      if (problem !== null) sink.complete(slot, problem)
      else {
        if (req.acks === -1) parts[slot] = part!
        const origin = originFor(topics, req, part!)
        const b = p.records!
        if (
          verifying &&
          origin === 'client' &&
          (b.readInt16BE(BatchOffsets.attributes) & Attr.transactional) !== 0
        ) {
          const guard = part!.txnVerificationGuard(
            b.readBigInt64BE(BatchOffsets.producerId),
            b.readInt16BE(BatchOffsets.producerEpoch),
          )
          if (guard === null) part!.append(b, sink, slot, origin, null)
          else {
            unverified ??= []
            unverified.push({ part: part!, records: b, slot, guard })
          }
        } else part!.append(b, sink, slot, origin)
      }
      slot++
    }
  }
  if (unverified !== null) verifyThenAppend(txnVerifier!, req.transactionalId!, unverified, sink)
  const written: AppendOutcome[] | Promise<AppendOutcome[]> =
    --sink.pending === 0
      ? sink.results
      : new Promise((resolve) => {
          sink.resolve = resolve
        })
  if (req.acks !== -1) return written
  const timeoutMs = req.timeoutMs ?? requestTimeoutMs
  return written instanceof Promise
    ? written.then((outcomes) => awaitIsr(clock, outcomes, parts, timeoutMs))
    : awaitIsr(clock, written, parts, timeoutMs)
}

/**
 * Asks the coordinator about the partitions of `batches` (one question per producer epoch),
 * then queues the verified ones with their guards and answers the others (txn-verification.ts).
 */
function verifyThenAppend(
  verifier: TxnVerifier,
  transactionalId: string,
  batches: Unverified[],
  sink: ProduceSink,
): void {
  const byProducer = new Map<string, Unverified[]>()
  for (const u of batches) {
    const k = `${u.records.readBigInt64BE(BatchOffsets.producerId)}:${u.records.readInt16BE(BatchOffsets.producerEpoch)}`
    const list = byProducer.get(k)
    if (list === undefined) byProducer.set(k, [u])
    else list.push(u)
  }
  for (const list of byProducer.values()) {
    const first = list[0].records
    verifier
      .verify({
        transactionalId,
        producerId: first.readBigInt64BE(BatchOffsets.producerId),
        producerEpoch: first.readInt16BE(BatchOffsets.producerEpoch),
        partitions: list.map((u) => ({ topic: u.part.topic, partition: u.part.index })),
      })
      .then(
        (codes) => codes,
        () => new Map(list.map((u) => [verifyKey(u.part.topic, u.part.index), ErrorCode.NETWORK_EXCEPTION])),
      )
      .then((codes) => {
        for (const u of list) {
          const code = codes.get(verifyKey(u.part.topic, u.part.index)) ?? ErrorCode.NONE
          if (code === ErrorCode.NONE) u.part.append(u.records, sink, u.slot, 'client', u.guard)
          else sink.complete(u.slot, unverifiedOutcome(code))
        }
      })
  }
}

/** Everything refused before the write queue; null when the batch may be queued. */
function checkAppend(
  topics: ReadonlyMap<string, HostedTopic>,
  req: ProduceInput,
  part: Partition,
  records: Buffer | null,
  now: number,
): AppendOutcome | null {
  if (!req.internalTopicsAllowed && topics.get(part.topic)?.image.internal) {
    return errorOutcome(ErrorCode.INVALID_TOPIC_EXCEPTION, `cannot append to internal topic ${part.topic}`)
  }
  const lead = part.leaderError()
  if (lead !== ErrorCode.NONE) return errorOutcome(lead)
  const config = part.log.config
  const origin = originFor(topics, req, part)
  const problem = validateProduceRecords(records, req.apiVersion, config, now, origin)
  if (problem !== null) {
    const o = errorOutcome(problem.errorCode, problem.message)
    if (problem.recordErrors !== undefined) o.recordErrors = problem.recordErrors
    return o
  }
  const buf = records!
  // A client's transactional batches need the request's transactional id (Kafka refuses them
  // without one); the producer state opens the transaction when the batch is written.
  if (
    origin === 'client' &&
    (buf.readInt16BE(BatchOffsets.attributes) & Attr.transactional) !== 0 &&
    req.transactionalId === null
  )
    return errorOutcome(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
  if (req.acks === -1 && part.inSyncReplicas.length < config.minInsyncReplicas) {
    return errorOutcome(
      ErrorCode.NOT_ENOUGH_REPLICAS,
      `${part.inSyncReplicas.length} in-sync replicas, min.insync.replicas is ${config.minInsyncReplicas}`,
    )
  }
  return null
}

/** The request's origin, which counts only on an internal topic. */
function originFor(
  topics: ReadonlyMap<string, HostedTopic>,
  req: ProduceInput,
  part: Partition,
): AppendOrigin {
  return req.origin === 'coordinator' && topics.get(part.topic)?.image.internal === true
    ? 'coordinator'
    : 'client'
}
