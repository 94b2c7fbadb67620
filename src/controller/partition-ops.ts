// The partition and replica state changes of the controller (Kafka's PartitionStateMachine and the
// ISR side of ReplicaStateMachine): create the state of new partitions, elect leaders for offline
// ones, take dead or departing replicas out of ISRs, move leaders. Each change is written to the
// partition's state znode (fenced by the controller epoch, conditional on the znode's version),
// then recorded in the context and queued in the event's RequestBatch for the brokers.

import type { Logger } from '../common/logger.ts'
import type { ControllerContext, PartitionState, TopicPartition } from './controller-context.ts'
import type { ControllerZk } from './controller-zk.ts'
import {
  initialLeader,
  type LeaderAndIsr,
  NO_LEADER,
  offlineLeader,
  withoutReplica,
} from './partition-election.ts'
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
      const created = await this.zkw.createPartitionState(tp, {
        leader: chosen.leader,
        leaderEpoch: 0,
        isr: chosen.isr,
        controllerEpoch: ctx.epoch,
        leaderRecoveryState: 0,
      })
      const st = created ?? (await this.zkw.partitionState(tp))
      if (st === null) continue
      ctx.setState(tp, st)
      batch.addLeaderAndIsr(replicas, tp, created !== null)
    }
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
      await this.changeLeader(tp, st, chosen, batch)
    }
    return failed
  }

  /**
   * Takes `replica` out of the ISR of each partition it is in (leader -1 when it led; the last ISR
   * member stays). LeaderAndIsr goes to the other live replicas.
   */
  async removeFromIsr(replica: number, tps: readonly TopicPartition[], batch: RequestBatch): Promise<void> {
    for (const tp of tps) {
      const st = this.ctx.state(tp)
      if (st === undefined) continue
      const next = withoutReplica(st.leader, st.isr, replica)
      if (next === null) continue
      const written = await this.write(tp, st, next)
      if (written !== null)
        batch.addLeaderAndIsr(
          this.ctx.replicas(tp).filter((id) => id !== replica),
          tp,
        )
    }
  }

  /** Writes a new leader/ISR (leader epoch + 1) and tells the live replicas. False when not written. */
  async changeLeader(
    tp: TopicPartition,
    st: PartitionState,
    next: LeaderAndIsr,
    batch: RequestBatch,
  ): Promise<boolean> {
    const written = await this.write(tp, st, next)
    if (written === null) return false
    batch.addLeaderAndIsr(this.ctx.replicas(tp), tp)
    return true
  }

  /**
   * Writes a new leader/ISR with the leader epoch + 1 and tells nobody (the caller picks the
   * recipients, as a reassignment does). Null when the znode changed under us (then reloaded).
   */
  async write(tp: TopicPartition, st: PartitionState, next: LeaderAndIsr): Promise<PartitionState | null> {
    const written = await this.zkw.updatePartitionState(
      tp,
      {
        leader: next.leader,
        leaderEpoch: st.leaderEpoch + 1,
        isr: next.isr,
        controllerEpoch: this.ctx.epoch,
        leaderRecoveryState: next.unclean ? RECOVERING : st.leaderRecoveryState,
      },
      st.zkVersion,
    )
    if (written === null) {
      this.log.warn(`State of ${tp.topic}-${tp.partition} changed under the controller; reloaded`)
      const fresh = await this.zkw.partitionState(tp)
      if (fresh !== null) this.ctx.setState(tp, fresh)
      return null
    }
    this.ctx.setState(tp, written)
    return written
  }
}
