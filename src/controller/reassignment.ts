// Partition reassignment on the ZooKeeper controller (KIP-455), the steps of Kafka's
// onPartitionReassignment. RS is the full replica set, ORS the original replicas, TRS the target,
// AR/RR the replicas being added/removed (reassignment-state.ts).
//
// Start (AlterPartitionReassignments, or failover finding AR/RR in a topic znode):
//   /brokers/topics/<t> gets RS = TRS + ORS with adding_replicas/removing_replicas (memory too);
//   replicas dropped by a changed or cancelled move leave the ISR and get StopReplica(delete);
//   then, unless already complete, the leader epoch is bumped (same leader and ISR) and every
//   replica of RS gets LeaderAndIsr (AR with isNew): the new ones start as followers and fetch.
// Completion, when every target replica is in the ISR (checked after each accepted AlterPartition,
//   each broker change and at failover): the leader moves to the first live target replica in the
//   ISR if the current one is not a target replica (or not live); the ISR becomes ISR ∩ TRS with the
//   leader epoch + 1, in one state write (Kafka bumps once for the move and once per removed
//   replica); TRS get LeaderAndIsr, RR get StopReplica(delete); the topic znode gets RS = TRS with
//   no AR/RR; every broker gets UpdateMetadata again after the StopReplica (Kafka's last step).
// Cancellation (a null target) is a reassignment back to ORS, as in Kafka.
//
// Every step is idempotent from what ZooKeeper holds, so a controller that fails over half-way
// resumes from the topic znode. The legacy /admin/reassign_partitions znode (pre-KIP-455 tools
// writing to ZooKeeper directly) is not read. Runs inside controller events; ZooKeeper writes are
// fenced by the controller epoch (a ControllerMovedError propagates to the event, which resigns).

import type { Logger } from '../common/logger.ts'
import { ERROR_TABLE, ErrorCode } from '../protocol/generated/error-codes.ts'
import type { ControllerContext, TopicPartition } from './controller-context.ts'
import type { ControllerZk } from './controller-zk.ts'
import { NO_LEADER } from './partition-election.ts'
import type { PartitionOps } from './partition-ops.ts'
import {
  isBeingReassigned,
  originReplicas,
  type ReplicaAssignment,
  reassignTo,
  sameAssignment,
  settled,
  targetProblem,
  targetReplicas,
} from './reassignment-state.ts'
import type { RequestBatch } from './request-batch.ts'

export interface ReassignmentDeps {
  readonly ctx: ControllerContext
  readonly zkw: ControllerZk
  readonly ops: PartitionOps
  readonly log: Logger
  readonly batch: () => RequestBatch
}

export interface AlterReassignmentsInput {
  readonly topics: readonly {
    readonly name: string
    /** replicas null: cancel the partition's reassignment. */
    readonly partitions: readonly {
      readonly partitionIndex: number
      readonly replicas: readonly number[] | null
    }[]
  }[]
}

export interface AlterReassignmentsResult {
  readonly errorCode: number
  readonly errorMessage: string | null
  readonly responses: readonly {
    readonly name: string
    readonly partitions: readonly { partitionIndex: number; errorCode: number; errorMessage: string | null }[]
  }[]
}

export interface ListReassignmentsInput {
  /** null: every partition being reassigned. */
  readonly topics: readonly { readonly name: string; readonly partitionIndexes: readonly number[] }[] | null
}

export interface OngoingReassignment {
  readonly partitionIndex: number
  readonly replicas: readonly number[]
  readonly addingReplicas: readonly number[]
  readonly removingReplicas: readonly number[]
}

export interface ListReassignmentsResult {
  readonly errorCode: number
  readonly errorMessage: string | null
  readonly topics: readonly { readonly name: string; readonly partitions: readonly OngoingReassignment[] }[]
}

const NO_PARTITION = 'The partition does not exist.'

/** AlterPartitionReassignments on the active controller: checks, then starts (or completes) each. */
export async function alterReassignments(
  d: ReassignmentDeps,
  input: AlterReassignmentsInput,
): Promise<AlterReassignmentsResult> {
  const { ctx } = d
  const responses: AlterReassignmentsResult['responses'][number][] = []
  for (const t of input.topics) {
    const partitions: { partitionIndex: number; errorCode: number; errorMessage: string | null }[] = []
    for (const p of t.partitions) {
      const tp = { topic: t.name, partition: p.partitionIndex }
      const answer = (errorCode: number, errorMessage: string | null = null) =>
        partitions.push({ partitionIndex: p.partitionIndex, errorCode, errorMessage })
      const current = ctx.fullAssignment(tp)
      if (p.replicas !== null) {
        const problem = targetProblem(current, p.replicas, [...ctx.liveBrokers.keys()])
        if (problem !== null) {
          answer(ErrorCode.INVALID_REPLICA_ASSIGNMENT, problem)
          continue
        }
      }
      const target = p.replicas ?? (isBeingReassigned(current) ? originReplicas(current) : null)
      if (target === null) {
        answer(
          ErrorCode.NO_REASSIGNMENT_IN_PROGRESS,
          ERROR_TABLE.get(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS)!.message,
        )
        continue
      }
      if (ctx.topicsToDelete.has(tp.topic) || current.replicas.length === 0) {
        answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, NO_PARTITION)
        continue
      }
      await onPartitionReassignment(d, tp, reassignTo(current, target))
      answer(ErrorCode.NONE)
    }
    responses.push({ name: t.name, partitions })
  }
  return { errorCode: ErrorCode.NONE, errorMessage: null, responses }
}

/** ListPartitionReassignments: the named partitions (or all) that are being reassigned. */
export function listReassignments(
  ctx: ControllerContext,
  input: ListReassignmentsInput,
): ListReassignmentsResult {
  const wanted: TopicPartition[] =
    input.topics === null
      ? ctx.reassigning()
      : input.topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition })))
  const byTopic = new Map<string, OngoingReassignment[]>()
  for (const tp of wanted) {
    const a = ctx.fullAssignment(tp)
    if (!isBeingReassigned(a)) continue
    const list = byTopic.get(tp.topic) ?? []
    if (list.some((x) => x.partitionIndex === tp.partition)) continue
    list.push({
      partitionIndex: tp.partition,
      replicas: a.replicas,
      addingReplicas: a.adding,
      removingReplicas: a.removing,
    })
    byTopic.set(tp.topic, list)
  }
  return {
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
  }
}

/** Failover: every reassignment recorded in the topic znodes is picked up again. */
export async function resumeReassignments(d: ReassignmentDeps): Promise<void> {
  for (const tp of d.ctx.reassigning()) {
    if (d.ctx.topicsToDelete.has(tp.topic)) continue
    d.log.info(`Resuming the reassignment of ${tp.topic}-${tp.partition}`)
    await onPartitionReassignment(d, tp, d.ctx.fullAssignment(tp))
  }
}

/** Completes every reassignment whose target replicas are all in the ISR now. */
export async function completeCaughtUp(d: ReassignmentDeps): Promise<void> {
  for (const tp of d.ctx.reassigning())
    if (!d.ctx.topicsToDelete.has(tp.topic) && targetInIsr(d.ctx, tp, d.ctx.fullAssignment(tp)))
      await completeReassignment(d, tp)
}

function targetInIsr(ctx: ControllerContext, tp: TopicPartition, a: ReplicaAssignment): boolean {
  if (!isBeingReassigned(a)) return true
  const st = ctx.state(tp)
  return st !== undefined && targetReplicas(a).every((id) => st.isr.includes(id))
}

async function onPartitionReassignment(
  d: ReassignmentDeps,
  tp: TopicPartition,
  next: ReplicaAssignment,
): Promise<void> {
  const { ctx, ops } = d
  await updateCurrentReassignment(d, tp, next)
  if (targetInIsr(ctx, tp, next)) {
    await completeReassignment(d, tp)
    return
  }
  d.log.info(
    `Reassigning ${tp.topic}-${tp.partition}: replicas [${next.replicas}], adding [${next.adding}], removing [${next.removing}]`,
  )
  const st = ctx.state(tp)
  if (st === undefined) return
  const written = await ops.write(tp, st, { leader: st.leader, isr: st.isr, unclean: false })
  if (written === null) return
  const batch = d.batch()
  batch.addLeaderAndIsr(originReplicas(next), tp, false)
  batch.addLeaderAndIsr(next.adding, tp, true)
  batch.send()
}

/** The topic znode and memory get `next`; replicas it no longer has are stopped and deleted. */
async function updateCurrentReassignment(
  d: ReassignmentDeps,
  tp: TopicPartition,
  next: ReplicaAssignment,
): Promise<void> {
  const current = d.ctx.fullAssignment(tp)
  if (sameAssignment(current, next)) return
  await writeAssignment(d, tp, next)
  const unneeded = current.replicas.filter((id) => !next.replicas.includes(id))
  if (unneeded.length > 0) await stopRemovedReplicas(d, tp, unneeded)
}

/** Memory first (the znode is written from it), restored when the write fails. */
async function writeAssignment(d: ReassignmentDeps, tp: TopicPartition, a: ReplicaAssignment): Promise<void> {
  const before = d.ctx.topics.get(tp.topic)
  if (before === undefined) return
  d.ctx.setFullAssignment(tp, a)
  try {
    await d.zkw.setTopicAssignment(tp.topic, d.ctx.topics.get(tp.topic)!)
  } catch (e) {
    if (d.ctx.topics.get(tp.topic) !== undefined) d.ctx.topics.set(tp.topic, before)
    throw e
  }
}

/**
 * Replicas leaving: out of the ISR (LeaderAndIsr to the rest), StopReplica with delete, then the
 * partition's metadata to every broker again. A partition left without a leader gets one.
 */
async function stopRemovedReplicas(d: ReassignmentDeps, tp: TopicPartition, removed: readonly number[]) {
  const { ctx, ops } = d
  const batch = d.batch()
  for (const r of removed) await ops.removeFromIsr(r, [tp], batch)
  if (ctx.state(tp)?.leader === NO_LEADER) await ops.electOffline([tp], batch)
  for (const r of removed) batch.addStopReplica(r, tp, true)
  batch.send()
  const again = d.batch()
  again.addUpdateMetadata(ctx.liveBrokers.keys(), [tp])
  again.send()
}

/** Kafka's steps B1-B8: leader into the target, ISR ∩ TRS, RR stopped and deleted, znode = TRS. */
async function completeReassignment(d: ReassignmentDeps, tp: TopicPartition): Promise<void> {
  const { ctx, ops, log } = d
  const a = ctx.fullAssignment(tp)
  const st = ctx.state(tp)
  if (st === undefined) return
  const target = targetReplicas(a)
  let leader = st.leader
  if (!target.includes(leader) || !ctx.isLive(leader)) {
    const chosen = target.find((id) => ctx.eligible(id) && st.isr.includes(id))
    if (chosen === undefined) {
      log.info(`Reassignment of ${tp.topic}-${tp.partition} waits for a live target replica to lead`)
      return
    }
    leader = chosen
  }
  const isr = st.isr.filter((id) => target.includes(id))
  const written = await ops.write(tp, st, { leader, isr, unclean: false })
  if (written === null) return
  if (!sameAssignment(a, settled(target))) await writeAssignment(d, tp, settled(target))
  const batch = d.batch()
  batch.addLeaderAndIsr(target, tp)
  for (const r of a.removing) batch.addStopReplica(r, tp, true)
  batch.send()
  const again = d.batch()
  again.addUpdateMetadata(ctx.liveBrokers.keys(), [tp])
  again.send()
  log.info(`Reassignment of ${tp.topic}-${tp.partition} completed: replicas [${target}], leader ${leader}`)
}
