// Leadership moves asked of the controller rather than forced by a failure: ControlledShutdown
// (a broker about to stop hands its leaderships over), ElectLeaders (preferred or unclean, from
// the admin API and kafka-leader-election.sh) and the periodic auto.leader.rebalance check. Each
// runs inside one controller event; the caller sends the batch afterwards.

import { ERROR_TABLE, ErrorCode } from '../protocol/generated/error-codes.ts'
import type { ControllerContext, TopicPartition } from './controller-context.ts'
import {
  controlledShutdownLeader,
  imbalancedPartitions,
  type PartitionLeadership,
  preferredLeader,
} from './partition-election.ts'
import type { Move, PartitionOps } from './partition-ops.ts'
import type { RequestBatch } from './request-batch.ts'

export interface ControlledShutdownResult {
  readonly errorCode: number
  readonly remaining: { topicName: string; partitionIndex: number }[]
}

export interface ElectionPartitionResult {
  readonly partitionId: number
  readonly errorCode: number
  readonly errorMessage: string | null
}

export interface ElectLeadersResult {
  readonly errorCode: number
  readonly results: { topic: string; partitionResults: ElectionPartitionResult[] }[]
}

export const ElectionType = { PREFERRED: 0, UNCLEAN: 1 } as const

/**
 * Marks the broker shutting down, moves the replicated partitions it leads to another ISR member,
 * takes it out of the ISRs it follows in (with StopReplica, no delete) and answers the replicated
 * partitions it still leads. Partitions with one replica are neither moved nor listed.
 */
export async function controlledShutdown(
  ctx: ControllerContext,
  ops: PartitionOps,
  batch: RequestBatch,
  brokerId: number,
  brokerEpoch: bigint,
): Promise<ControlledShutdownResult> {
  const live = ctx.liveBrokers.get(brokerId)
  if (live === undefined) return { errorCode: ErrorCode.BROKER_NOT_AVAILABLE, remaining: [] }
  // Kafka refuses only an older epoch: a newer one is a re-registration not yet seen here.
  if (brokerEpoch !== -1n && brokerEpoch < live.epoch)
    return { errorCode: ErrorCode.STALE_BROKER_EPOCH, remaining: [] }
  ctx.shuttingDown.add(brokerId)
  const replicated = ctx.activePartitions(brokerId).filter((tp) => ctx.replicas(tp).length > 1)
  const moves: Move[] = []
  const followed: TopicPartition[] = []
  for (const tp of replicated) {
    const st = ctx.state(tp)
    if (st === undefined) continue
    if (st.leader === brokerId) {
      const next = controlledShutdownLeader(ctx.replicas(tp), st.isr, ctx.eligible, ctx.isShuttingDown)
      if (next !== null) moves.push({ tp, st, next })
    } else {
      batch.addStopReplica(brokerId, tp, false)
      followed.push(tp)
    }
  }
  // Each partition is either led (moved) or followed (left): the two pipelined passes are disjoint.
  await ops.changeLeaders(moves, batch)
  await ops.removeFromIsr(brokerId, followed, batch)
  const remaining = replicated
    .filter((tp) => ctx.state(tp)?.leader === brokerId)
    .map((tp) => ({ topicName: tp.topic, partitionIndex: tp.partition }))
  return { errorCode: ErrorCode.NONE, remaining }
}

const message = (code: number): string | null =>
  code === 0 ? null : (ERROR_TABLE.get(code)?.message ?? null)

/**
 * ElectLeaders. PREFERRED: the first replica leads again when it is live and in the ISR.
 * UNCLEAN: a partition without a live leader gets one, from outside the ISR if need be.
 * With `topicPartitions` null every partition is considered; the answer still lists those that
 * needed no election (ELECTION_NOT_NEEDED): leaving them out, as Kafka's broker does, is the
 * ElectLeaders handler's presentation.
 */
export async function electLeaders(
  ctx: ControllerContext,
  ops: PartitionOps,
  batch: RequestBatch,
  electionType: number,
  topicPartitions: readonly { topic: string; partitions: readonly number[] }[] | null,
): Promise<ElectLeadersResult> {
  if (electionType !== ElectionType.PREFERRED && electionType !== ElectionType.UNCLEAN)
    return { errorCode: ErrorCode.INVALID_REQUEST, results: [] }
  const requested: TopicPartition[] =
    topicPartitions === null
      ? ctx.activePartitions()
      : topicPartitions.flatMap((t) =>
          [...new Set(t.partitions)].map((partition) => ({ topic: t.topic, partition })),
        )
  const byTopic = new Map<string, ElectionPartitionResult[]>()
  const answer = (tp: TopicPartition, errorCode: number, errorMessage = message(errorCode)) => {
    const list = byTopic.get(tp.topic) ?? []
    list.push({ partitionId: tp.partition, errorCode, errorMessage })
    byTopic.set(tp.topic, list)
  }
  for (const tp of requested) {
    const replicas = ctx.replicas(tp)
    const st = ctx.state(tp)
    if (replicas.length === 0) {
      answer(tp, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'The partition does not exist.')
      continue
    }
    if (ctx.topicsToDelete.has(tp.topic)) {
      answer(tp, ErrorCode.INVALID_TOPIC_EXCEPTION, 'The topic is being deleted')
      continue
    }
    if (electionType === ElectionType.PREFERRED) {
      if (st !== undefined && st.leader === replicas[0]) {
        answer(tp, ErrorCode.ELECTION_NOT_NEEDED)
        continue
      }
      const next = st === undefined ? null : preferredLeader(replicas, st.isr, ctx.eligible)
      const ok = st !== undefined && next !== null && (await ops.changeLeader(tp, st, next, batch))
      // Kafka's ZooKeeper controller names the strategy that failed.
      if (ok) answer(tp, ErrorCode.NONE)
      else
        answer(
          tp,
          ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE,
          `Failed to elect leader for partition ${tp.topic}-${tp.partition} under strategy PreferredReplicaPartitionLeaderElectionStrategy`,
        )
    } else {
      if (st !== undefined && ctx.eligible(st.leader)) {
        answer(tp, ErrorCode.ELECTION_NOT_NEEDED)
        continue
      }
      const failed = st === undefined ? [tp] : await ops.electOffline([tp], batch, true)
      if (failed.length === 0) answer(tp, ErrorCode.NONE)
      else
        answer(
          tp,
          ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE,
          `Failed to elect leader for partition ${tp.topic}-${tp.partition} under strategy OfflinePartitionLeaderElectionStrategy(true)`,
        )
    }
  }
  return {
    errorCode: ErrorCode.NONE,
    results: [...byTopic].map(([topic, partitionResults]) => ({ topic, partitionResults })),
  }
}

/**
 * auto.leader.rebalance.enable: for each broker whose share of preferred-but-not-led partitions is
 * above leader.imbalance.per.broker.percentage, elect it again where it is live and in the ISR.
 * Returns how many partitions moved.
 */
export async function rebalanceLeaders(
  ctx: ControllerContext,
  ops: PartitionOps,
  batch: RequestBatch,
  percentage: number,
): Promise<number> {
  const leadership: PartitionLeadership[] = []
  for (const tp of ctx.activePartitions()) {
    const st = ctx.state(tp)
    if (st !== undefined) leadership.push({ ...tp, replicas: ctx.replicas(tp), leader: st.leader })
  }
  const moves: Move[] = []
  for (const p of imbalancedPartitions(leadership, percentage)) {
    const st = ctx.state(p)
    const next = st === undefined ? null : preferredLeader(p.replicas, st.isr, ctx.eligible)
    if (st !== undefined && next !== null)
      moves.push({ tp: { topic: p.topic, partition: p.partition }, st, next })
  }
  return (await ops.changeLeaders(moves, batch)).filter((ok) => ok).length
}
