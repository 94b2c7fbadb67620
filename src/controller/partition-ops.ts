// The partition and replica state changes of the controller (Kafka's PartitionStateMachine and the
// ISR side of ReplicaStateMachine): create the state of new partitions, elect leaders for offline
// ones, take dead or departing replicas out of ISRs, move leaders. Each change is written to the
// partition's state znode (fenced by the controller epoch, conditional on the znode's version),
// then recorded in the context and queued in the event's RequestBatch for the brokers.
// Changes to many partitions go to ZooKeeper pipelined (pipeline.ts): a failover or a broker
// failure with 10,000 partitions costs a few round trips, not 10,000 sequential ones.

import type { Logger } from '../common/logger.ts'
import type { ControllerContext, PartitionState, TopicPartition } from './controller-context.ts'
import { type ControllerZk, isMoved, type StateUpdate } from './controller-zk.ts'
import {
  initialLeader,
  type LeaderAndIsr,
  NO_LEADER,
  offlineLeader,
  withoutReplica,
} from './partition-election.ts'
import { firstFailure } from './pipeline.ts'
import type { RequestBatch } from './request-batch.ts'

/** leader_recovery_state of a partition whose leader was elected uncleanly (KIP-704). */
const RECOVERING = 1

export class PartitionOps {
  private readonly ctx: ControllerContext
  private readonly zkw: ControllerZk
  private readonly log: Logger
  private readonly uncleanDefault: boolean

  constructor(ctx: ControllerContext, zkw: ControllerZk, log: Logger, uncleanDefault: boolean) {
    this.ctx = ctx
    this.zkw = zkw
    this.log = log
    this.uncleanDefault = uncleanDefault
  }

  /**
   * New partitions (no state znode yet): the first eligible replica leads, eligible replicas form
   * the ISR, leader epoch 0. A partition with no eligible replica waits (retried on broker startup).
   */
  async initNewPartitions(tps: readonly TopicPartition[], batch: RequestBatch): Promise<void> {
    const { ctx } = this
    const todo: { tp: TopicPartition; state: NewState }[] = []
    for (const tp of tps) {
      if (ctx.state(tp) !== undefined || ctx.topicsToDelete.has(tp.topic)) continue
      const replicas = ctx.replicas(tp)
      const chosen = initialLeader(replicas, ctx.eligible)
      if (chosen === null) {
        this.log.warn(
          `No live replica of ${tp.topic}-${tp.partition} among [${replicas.join(',')}]; it stays new`,
        )
        continue
      }
      todo.push({
        tp,
        state: {
          leader: chosen.leader,
          leaderEpoch: 0,
          isr: chosen.isr,
          controllerEpoch: ctx.epoch,
          leaderRecoveryState: 0,
        },
      })
    }
    if (todo.length === 0) return
    const outcomes = await this.zkw.createPartitionStates(todo)
    // Where a state znode was there already, what it holds is taken (read pipelined too).
    const existing = todo.filter((_, i) => outcomes[i]!.status === 'fulfilled' && outcomes[i]!.value === null)
    const reread = existing.length === 0 ? [] : await this.zkw.partitionStates(existing.map((t) => t.tp))
    let r = 0
    todo.forEach(({ tp }, i) => {
      const o = outcomes[i]!
      if (o.status === 'rejected') return
      const st = o.value ?? reread[r++]
      if (st === null || st === undefined) return
      ctx.setState(tp, st)
      batch.addLeaderAndIsr(ctx.replicas(tp), tp, o.value !== null)
    })
    rethrow(outcomes)
  }

  /** Partitions whose leader is not a live broker (or that have none), not being deleted. */
  offlinePartitions(): TopicPartition[] {
    return this.ctx.activePartitions().filter((tp) => {
      const st = this.ctx.state(tp)
      return st !== undefined && (st.leader === NO_LEADER || !this.ctx.isLive(st.leader))
    })
  }

  /** Partitions known from assignments that have no state yet. */
  newPartitions(): TopicPartition[] {
    return this.ctx.activePartitions().filter((tp) => this.ctx.state(tp) === undefined)
  }

  /**
   * Offline partitions get a leader from the live ISR, else (unclean.leader.election.enable, per
   * topic) any live replica; when there is none the state is left alone.
   * `forceUnclean`: the ElectLeaders UNCLEAN type. Returns the partitions that got no leader.
   */
  async electOffline(
    tps: readonly TopicPartition[],
    batch: RequestBatch,
    forceUnclean = false,
  ): Promise<TopicPartition[]> {
    const failed: TopicPartition[] = []
    const unclean = new Map<string, boolean>()
    const moves: Move[] = []
    for (const tp of tps) {
      const st = this.ctx.state(tp)
      if (st === undefined) continue
      const replicas = this.ctx.replicas(tp)
      let chosen = offlineLeader(replicas, st.isr, this.ctx.eligible, false)
      if (chosen === null) {
        let allowed = forceUnclean || unclean.get(tp.topic)
        if (allowed === undefined) {
          allowed = await this.zkw.uncleanElectionEnabled(tp.topic, this.uncleanDefault)
          unclean.set(tp.topic, allowed)
        }
        if (allowed) chosen = offlineLeader(replicas, st.isr, this.ctx.eligible, true)
      }
      if (chosen === null) {
        this.log.info(
          `No eligible leader for ${tp.topic}-${tp.partition} (replicas [${replicas}], ISR [${st.isr}])`,
        )
        failed.push(tp)
        continue
      }
      if (chosen.unclean)
        this.log.warn(`Unclean leader election for ${tp.topic}-${tp.partition}: leader ${chosen.leader}`)
      moves.push({ tp, st, next: chosen })
    }
    await this.changeLeaders(moves, batch)
    return failed
  }

  /**
   * Takes `replica` out of the ISR of each partition it is in (leader -1 when it led; the last ISR
   * member stays). LeaderAndIsr goes to the other live replicas.
   */
  async removeFromIsr(replica: number, tps: readonly TopicPartition[], batch: RequestBatch): Promise<void> {
    const moves: Move[] = []
    for (const tp of tps) {
      const st = this.ctx.state(tp)
      if (st === undefined) continue
      const next = withoutReplica(st.leader, st.isr, replica)
      if (next !== null) moves.push({ tp, st, next })
    }
    const written = await this.writeAll(moves)
    moves.forEach(({ tp }, i) => {
      if (written[i] !== null)
        batch.addLeaderAndIsr(
          this.ctx.replicas(tp).filter((id) => id !== replica),
          tp,
        )
    })
  }

  /** Writes a new leader/ISR (leader epoch + 1) and tells the live replicas. False when not written. */
  async changeLeader(
    tp: TopicPartition,
    st: PartitionState,
    next: LeaderAndIsr,
    batch: RequestBatch,
  ): Promise<boolean> {
    return (await this.changeLeaders([{ tp, st, next }], batch))[0]!
  }

  /** changeLeader for many partitions, written pipelined; per move whether it was written. */
  async changeLeaders(moves: readonly Move[], batch: RequestBatch): Promise<boolean[]> {
    const written = await this.writeAll(moves)
    moves.forEach(({ tp }, i) => {
      if (written[i] !== null) batch.addLeaderAndIsr(this.ctx.replicas(tp), tp)
    })
    return written.map((w) => w !== null)
  }

  /**
   * Writes a new leader/ISR with the leader epoch + 1 and tells nobody (the caller picks the
   * recipients, as a reassignment does). Null when the znode changed under us (then reloaded).
   */
  async write(tp: TopicPartition, st: PartitionState, next: LeaderAndIsr): Promise<PartitionState | null> {
    return (await this.writeAll([{ tp, st, next }]))[0]!
  }

  /**
   * write() for many partitions, pipelined. What was written is in the context before a failure
   * (a deposed controller first) is rethrown, as if the writes had been made one by one.
   */
  async writeAll(moves: readonly Move[]): Promise<(PartitionState | null)[]> {
    if (moves.length === 0) return []
    const updates: StateUpdate[] = moves.map(({ tp, st, next }) => ({
      tp,
      state: {
        leader: next.leader,
        leaderEpoch: st.leaderEpoch + 1,
        isr: next.isr,
        controllerEpoch: this.ctx.epoch,
        leaderRecoveryState: next.unclean ? RECOVERING : st.leaderRecoveryState,
      },
      expectedZkVersion: st.zkVersion,
    }))
    const outcomes = await this.zkw.updatePartitionStates(updates)
    const conflicts: TopicPartition[] = []
    const written = outcomes.map((o, i) => {
      if (o.status === 'rejected') return null
      const tp = moves[i]!.tp
      if (o.value === null) conflicts.push(tp)
      else this.ctx.setState(tp, o.value)
      return o.value
    })
    if (conflicts.length > 0) {
      this.log.warn(
        `State of ${conflicts.length} partitions (${conflicts[0]!.topic}-${conflicts[0]!.partition}, ...) changed under the controller; reloaded`,
      )
      const fresh = await this.zkw.partitionStates(conflicts)
      conflicts.forEach((tp, i) => {
        const st = fresh[i]
        if (st !== null && st !== undefined) this.ctx.setState(tp, st)
      })
    }
    rethrow(outcomes)
    return written
  }
}

/** One partition's change: its state now and the leader/ISR it gets. */
export interface Move {
  readonly tp: TopicPartition
  readonly st: PartitionState
  readonly next: LeaderAndIsr
}

type NewState = StateUpdate['state']

function rethrow(outcomes: readonly PromiseSettledResult<unknown>[]): void {
  const failure = firstFailure(outcomes, isMoved)
  if (failure !== null) throw failure.reason
}
