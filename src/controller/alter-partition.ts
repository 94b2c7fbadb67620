// AlterPartition at the controller (KIP-497): a partition leader asks to shrink or expand its ISR.
// The leader decides; the controller only checks that the leader is who it says it is and that its
// view is current, writes the state znode with the new ISR and the same leader epoch (fenced by the
// controller epoch, conditional on the znode version: the partition epoch), answers with the new
// partition epoch and tells every live broker through UpdateMetadata (no LeaderAndIsr: nobody's
// role changed). Runs inside one controller event.
//
// The checks and their order are those of Kafka's ZooKeeper controller (tryProcessAlterPartition),
// plus the three that its KRaft controller adds and that make the same sense here: the requester
// must be the current leader (INVALID_REQUEST), the ISR must be replicas without duplicates and
// include the leader (INVALID_REQUEST), and from v3 a member's broker epoch, when given (not -1),
// must be the live one (INELIGIBLE_REPLICA).

import type { Uuid } from '../common/ids.ts'
import type { Logger } from '../common/logger.ts'
import { ErrorCode } from '../protocol/generated/error-codes.ts'
import type { ControllerContext, PartitionState, TopicPartition } from './controller-context.ts'
import { type ControllerZk, isMoved, type StateUpdate } from './controller-zk.ts'
import { firstFailure } from './pipeline.ts'
import type { RequestBatch } from './request-batch.ts'

export interface AlterPartitionPartitionInput {
  readonly partitionIndex: number
  readonly leaderEpoch: number
  readonly newIsr: readonly number[]
  /** Broker epoch of each newIsr member (v3); -1n where not given (always before v3). */
  readonly newIsrEpochs: readonly bigint[]
  /** 0 recovered, 1 recovering (KIP-704); 0 in v0. */
  readonly leaderRecoveryState: number
  /** The state znode version the leader last saw. */
  readonly partitionEpoch: number
}

export interface AlterPartitionTopicInput {
  /** v0-1 name topics; from v2 the name is '' and the id names the topic. */
  readonly topicName: string
  readonly topicId: Uuid
  readonly partitions: readonly AlterPartitionPartitionInput[]
}

export interface AlterPartitionInput {
  /** The request version: it decides how topics are named and some error codes. */
  readonly version: number
  readonly brokerId: number
  readonly brokerEpoch: bigint
  readonly topics: readonly AlterPartitionTopicInput[]
}

export interface AlterPartitionPartitionResult {
  readonly partitionIndex: number
  readonly errorCode: number
  /** The rest is the partition's state after the change (zeros with an error, as Kafka leaves them). */
  readonly leaderId: number
  readonly leaderEpoch: number
  readonly isr: readonly number[]
  readonly leaderRecoveryState: number
  readonly partitionEpoch: number
}

export interface AlterPartitionTopicResult {
  /** Answered by name up to v1, by id from v2 (the other is '' / the topic's id or ZERO_UUID). */
  readonly topicName: string
  readonly topicId: Uuid
  readonly partitions: readonly AlterPartitionPartitionResult[]
}

export interface AlterPartitionResult {
  readonly errorCode: number
  readonly topics: readonly AlterPartitionTopicResult[]
}

const RECOVERED = 0
const RECOVERING = 1

const failed = (partitionIndex: number, errorCode: number): AlterPartitionPartitionResult => ({
  partitionIndex,
  errorCode,
  leaderId: 0,
  leaderEpoch: 0,
  isr: [],
  leaderRecoveryState: 0,
  partitionEpoch: 0,
})

const accepted = (partitionIndex: number, st: PartitionState): AlterPartitionPartitionResult => ({
  partitionIndex,
  errorCode: ErrorCode.NONE,
  leaderId: st.leader,
  leaderEpoch: st.leaderEpoch,
  isr: st.isr,
  leaderRecoveryState: st.leaderRecoveryState,
  partitionEpoch: st.zkVersion,
})

const sameList = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i])

export interface AlterPartitionDeps {
  readonly ctx: ControllerContext
  readonly zkw: ControllerZk
  readonly batch: RequestBatch
  readonly log: Logger
}

/**
 * Checks and applies one AlterPartition request on the active controller. The caller sends the
 * batch. A failed epoch check on the write throws ControllerMovedError (the caller resigns).
 */
export async function alterPartition(
  d: AlterPartitionDeps,
  input: AlterPartitionInput,
): Promise<AlterPartitionResult> {
  const { ctx, log } = d
  const live = ctx.liveBrokers.get(input.brokerId)
  // Unknown broker or any other epoch than the registered one: the whole request is refused.
  if (live === undefined || live.epoch !== input.brokerEpoch) {
    log.info(
      `Ignoring AlterPartition from broker ${input.brokerId}: broker epoch ${input.brokerEpoch}, registered ${live?.epoch ?? 'none'}`,
    )
    return { errorCode: ErrorCode.STALE_BROKER_EPOCH, topics: [] }
  }
  const byIds = input.version >= 2
  const out: AlterPartitionTopicResult[] = []
  const known: TopicPartition[] = []
  // First every check, then every accepted change written at once (pipelined), then the answers.
  const writes: Write[] = []
  for (const t of input.topics) {
    const topic = byIds ? topicNameOf(ctx, t.topicId) : t.topicName
    if (topic === null) {
      out.push({
        topicName: '',
        topicId: t.topicId,
        partitions: t.partitions.map((p) => failed(p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_ID)),
      })
      continue
    }
    const partitions: AlterPartitionPartitionResult[] = []
    for (const p of t.partitions) {
      const tp = { topic, partition: p.partitionIndex }
      if (ctx.state(tp) !== undefined) known.push(tp)
      const checked = check(d, input, tp, p)
      if ('write' in checked) writes.push({ ...checked.write, slot: partitions, at: partitions.length })
      partitions.push(checked.result)
    }
    out.push({
      topicName: byIds ? '' : topic,
      topicId: byIds ? t.topicId : (ctx.topics.get(topic)?.topicId ?? t.topicId),
      partitions,
    })
  }
  await writeAll(d, input, writes)
  // Every broker learns the current state of each partition asked about, changed or not.
  d.batch.addUpdateMetadata(ctx.liveBrokers.keys(), known)
  return { errorCode: ErrorCode.NONE, topics: out }
}

/** An accepted change: its write, and where its answer goes once written. */
interface Write extends StateUpdate {
  readonly p: AlterPartitionPartitionInput
  readonly slot: AlterPartitionPartitionResult[]
  readonly at: number
}

/** The answer for a partition that needs no write, or the write it needs (answered after it). */
function check(
  d: AlterPartitionDeps,
  input: AlterPartitionInput,
  tp: TopicPartition,
  p: AlterPartitionPartitionInput,
):
  | { result: AlterPartitionPartitionResult }
  | { result: AlterPartitionPartitionResult; write: Omit<Write, 'slot' | 'at'> } {
  const { ctx, log } = d
  const st = ctx.state(tp)
  if (st === undefined) return { result: failed(p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) }
  const code = refusal(ctx, input, st, ctx.replicas(tp), p)
  if (code === 'same') return { result: accepted(p.partitionIndex, st) }
  if (code !== ErrorCode.NONE) {
    log.info(
      `Rejecting AlterPartition from broker ${input.brokerId} for ${tp.topic}-${tp.partition} (leader epoch ${p.leaderEpoch}, partition epoch ${p.partitionEpoch}, ISR [${p.newIsr}]): error ${code}`,
    )
    return { result: failed(p.partitionIndex, code) }
  }
  const state = {
    leader: st.leader,
    leaderEpoch: st.leaderEpoch,
    isr: [...p.newIsr],
    controllerEpoch: ctx.epoch,
    leaderRecoveryState: p.leaderRecoveryState,
  }
  return {
    result: failed(p.partitionIndex, ErrorCode.UNKNOWN_SERVER_ERROR),
    write: { tp, p, state, expectedZkVersion: st.zkVersion },
  }
}

/**
 * Writes the accepted changes pipelined and puts each answer in its slot. A znode someone else
 * changed is re-read and answered INVALID_UPDATE_VERSION (the leader retries from it). What was
 * written is recorded before a failure (a deposed controller first) is rethrown.
 */
async function writeAll(
  d: AlterPartitionDeps,
  input: AlterPartitionInput,
  writes: readonly Write[],
): Promise<void> {
  if (writes.length === 0) return
  const { ctx, log } = d
  const outcomes = await d.zkw.updatePartitionStates(writes)
  const conflicts: Write[] = []
  outcomes.forEach((o, i) => {
    const w = writes[i]!
    if (o.status === 'rejected') return
    if (o.value === null) {
      conflicts.push(w)
      w.slot[w.at] = failed(w.p.partitionIndex, ErrorCode.INVALID_UPDATE_VERSION)
      return
    }
    ctx.setState(w.tp, o.value)
    w.slot[w.at] = accepted(w.p.partitionIndex, o.value)
    log.info(
      `ISR of ${w.tp.topic}-${w.tp.partition} is now [${o.value.isr}] (partition epoch ${o.value.zkVersion}), asked by broker ${input.brokerId}`,
    )
  })
  if (conflicts.length > 0) {
    // Someone else wrote these znodes: take what is there.
    const fresh = await d.zkw.partitionStates(conflicts.map((w) => w.tp))
    conflicts.forEach((w, i) => {
      const st = fresh[i]
      if (st !== null && st !== undefined) ctx.setState(w.tp, st)
      log.info(`AlterPartition for ${w.tp.topic}-${w.tp.partition}: state znode changed under the controller`)
    })
  }
  const failure = firstFailure(outcomes, isMoved)
  if (failure !== null) throw failure.reason
}

/** The error code for a change that cannot be made, NONE for one that can, 'same' when already made. */
function refusal(
  ctx: ControllerContext,
  input: AlterPartitionInput,
  st: PartitionState,
  replicas: readonly number[],
  p: AlterPartitionPartitionInput,
): number | 'same' {
  // A newer epoch than ours: this controller is likely deposed; the leader looks for the new one.
  if (p.leaderEpoch > st.leaderEpoch || p.partitionEpoch > st.zkVersion) return ErrorCode.NOT_CONTROLLER
  if (p.leaderEpoch < st.leaderEpoch) return ErrorCode.FENCED_LEADER_EPOCH
  if (input.brokerId !== st.leader) return ErrorCode.INVALID_REQUEST
  // Already in the asked state (a retry whose answer was lost): answered before any epoch fencing.
  if (sameList(p.newIsr, st.isr) && p.leaderRecoveryState === st.leaderRecoveryState) return 'same'
  if (p.partitionEpoch < st.zkVersion) return ErrorCode.INVALID_UPDATE_VERSION
  if (
    new Set(p.newIsr).size !== p.newIsr.length ||
    p.newIsr.some((id) => !replicas.includes(id)) ||
    !p.newIsr.includes(st.leader)
  )
    return ErrorCode.INVALID_REQUEST
  if (p.leaderRecoveryState === RECOVERING && p.newIsr.length > 1) return ErrorCode.INVALID_REQUEST
  if (st.leaderRecoveryState === RECOVERED && p.leaderRecoveryState === RECOVERING)
    return ErrorCode.INVALID_REQUEST
  if (p.leaderRecoveryState !== RECOVERED && p.leaderRecoveryState !== RECOVERING)
    return ErrorCode.INVALID_REQUEST
  const ineligible = p.newIsr.some((id, i) => {
    if (!ctx.eligible(id)) return true
    const epoch = p.newIsrEpochs[i] ?? -1n
    return epoch !== -1n && epoch !== ctx.liveBrokers.get(id)!.epoch
  })
  // Before v2 there was no INELIGIBLE_REPLICA; Kafka answers OPERATION_NOT_ATTEMPTED there.
  if (ineligible) return input.version >= 2 ? ErrorCode.INELIGIBLE_REPLICA : ErrorCode.OPERATION_NOT_ATTEMPTED
  return ErrorCode.NONE
}

function topicNameOf(ctx: ControllerContext, id: Uuid): string | null {
  for (const [name, info] of ctx.topics) if (info.topicId !== null && info.topicId === id) return name
  return null
}
