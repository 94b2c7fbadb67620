// Transactional offset commits (TxnOffsetCommit): the offsets a transactional producer commits for
// a group inside its transaction. They are written to __consumer_offsets as a transactional batch of
// that producer (Kafka's layout) and held per producer, invisible to OffsetFetch, until the
// transaction's marker reaches this partition: a commit marker applies them, an abort drops them.
// The same rule holds on loading, where the control records in the log settle them.
//
// Which offset wins (Kafka's rule): a pending offset replaces the committed one only when its
// record comes later in the log than the committed one's, so a plain OffsetCommit written after
// the transactional one is not overwritten when the transaction commits.

import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import type { CoordinatorResult } from '../runtime/coordinator-runtime.ts'
import { ClassicGroup, GroupState } from './classic-group.ts'
import type { GroupShard } from './group-shard.ts'
import { allPartitions, emitOffsetCommits, type TopicPartitionErrors } from './offset-ops.ts'
import type { OffsetAndMetadata } from './offset-store.ts'

export interface TxnCommitParams {
  readonly groupId: string
  readonly producerId: bigint
  readonly producerEpoch: number
  /** v3+; -1 / '' / null from older clients (no group membership check). */
  readonly generationId: number
  readonly memberId: string
  readonly groupInstanceId: string | null
  readonly topics: readonly {
    readonly name: string
    readonly partitions: readonly {
      readonly partition: number
      readonly offset: bigint
      readonly leaderEpoch: number
      readonly metadata: string | null
    }[]
  }[]
}

interface PendingOffset {
  readonly group: string
  readonly topic: string
  readonly partition: number
  readonly value: OffsetAndMetadata
  readonly recordOffset: bigint
}

const keyOf = (group: string, topic: string, partition: number) => `${group}\u0000${topic}\u0000${partition}`

/** Pending transactional offsets of one partition, by producer id. */
export class PendingTxnOffsets {
  private readonly byProducer = new Map<bigint, Map<string, PendingOffset>>()
  /** Log offset of the record behind each committed offset. */
  private readonly committedAt = new Map<string, bigint>()

  add(producerId: bigint, p: PendingOffset): void {
    let m = this.byProducer.get(producerId)
    if (m === undefined) {
      m = new Map()
      this.byProducer.set(producerId, m)
    }
    m.set(keyOf(p.group, p.topic, p.partition), p)
  }

  /** A plain (non-transactional) commit or tombstone was replayed at `recordOffset`. */
  noteCommitted(group: string, topic: string, partition: number, recordOffset: bigint): void {
    this.committedAt.set(keyOf(group, topic, partition), recordOffset)
  }

  /** Settles a producer's pending offsets; `apply` receives those that win. */
  complete(producerId: bigint, commit: boolean, apply: (p: PendingOffset) => void): void {
    const m = this.byProducer.get(producerId)
    if (m === undefined) return
    this.byProducer.delete(producerId)
    if (!commit) return
    for (const [k, p] of m) {
      const at = this.committedAt.get(k)
      if (at !== undefined && at > p.recordOffset) continue
      this.committedAt.set(k, p.recordOffset)
      apply(p)
    }
  }

  /** Whether a transaction holds an offset of this group (and partition, when given). */
  hasPending(group: string, topic?: string, partition?: number): boolean {
    for (const m of this.byProducer.values())
      for (const p of m.values())
        if (p.group === group && (topic === undefined || (p.topic === topic && p.partition === partition)))
          return true
    return false
  }

  clear(): void {
    this.byProducer.clear()
    this.committedAt.clear()
  }
}

function validate(shard: GroupShard, p: TxnCommitParams): number {
  const group = shard.groups.get(p.groupId)
  if (group === undefined) return p.generationId >= 0 ? ErrorCode.ILLEGAL_GENERATION : ErrorCode.NONE
  if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE
  if (p.memberId !== '' || p.groupInstanceId !== null) {
    const invalid = group.validateMember(p.memberId, p.groupInstanceId)
    if (invalid !== ErrorCode.NONE) return invalid
  }
  if (p.generationId >= 0 && p.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION
  return ErrorCode.NONE
}

/** TxnOffsetCommit on the group's shard: the records go out as the producer's transactional batch. */
export function txnCommitOffsets(
  shard: GroupShard,
  p: TxnCommitParams,
): CoordinatorResult<TopicPartitionErrors> {
  const invalid = validate(shard, p)
  if (invalid !== ErrorCode.NONE) return shard.finish(allPartitions(topicsOf(p), invalid))
  if (!shard.groups.has(p.groupId))
    shard.groups.set(p.groupId, new ClassicGroup(p.groupId, GroupState.Empty, shard.now()))
  const now = shard.now()
  const result = emitOffsetCommits(shard, p.groupId, p.topics, () => ({
    commitTimestamp: now,
    expireTimestamp: null,
  }))
  return { ...shard.finish(result), producer: { producerId: p.producerId, producerEpoch: p.producerEpoch } }
}

function topicsOf(p: TxnCommitParams) {
  return p.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((x) => ({ partition: x.partition })),
  }))
}
