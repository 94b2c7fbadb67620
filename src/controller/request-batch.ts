// Collects what one controller event has to tell brokers and sends it at the end (Kafka's
// ControllerBrokerRequestBatch): LeaderAndIsr v7 per broker for the partitions it is a replica of
// (with the replicas a reassignment is adding and removing), UpdateMetadata v8 to the chosen
// brokers (live brokers with all endpoints and racks; partitions with their offline replicas;
// leader -2 for topics being deleted), StopReplica v4. Sends are not awaited by the event: the
// channel keeps each broker's requests in order.

import type { RequestSpec } from '../client/broker-client.ts'
import { asBrokerId, type BrokerId, type TopicName, type Uuid, ZERO_UUID } from '../common/ids.ts'
import type { Logger } from '../common/logger.ts'
import {
  type LeaderAndIsrRequest,
  type LeaderAndIsrRequestLeaderAndIsrPartitionState,
  type LeaderAndIsrResponse,
  leaderAndIsrRequestCodec,
  leaderAndIsrResponseCodec,
} from '../protocol/generated/messages/leader-and-isr.ts'
import {
  type StopReplicaRequest,
  type StopReplicaResponse,
  stopReplicaRequestCodec,
  stopReplicaResponseCodec,
} from '../protocol/generated/messages/stop-replica.ts'
import {
  type UpdateMetadataRequest,
  type UpdateMetadataRequestUpdateMetadataBroker,
  type UpdateMetadataRequestUpdateMetadataTopicState,
  type UpdateMetadataResponse,
  updateMetadataRequestCodec,
  updateMetadataResponseCodec,
} from '../protocol/generated/messages/update-metadata.ts'
import type { ControllerChannel } from './controller-channel.ts'
import { type ControllerContext, type TopicPartition, tpKey } from './controller-context.ts'
import { EPOCH_DURING_DELETE, LEADER_DURING_DELETE } from './partition-election.ts'

export const LEADER_AND_ISR_V7: RequestSpec<LeaderAndIsrRequest, LeaderAndIsrResponse> = {
  apiKey: 4,
  version: 7,
  request: leaderAndIsrRequestCodec,
  response: leaderAndIsrResponseCodec,
}
export const UPDATE_METADATA_V8: RequestSpec<UpdateMetadataRequest, UpdateMetadataResponse> = {
  apiKey: 6,
  version: 8,
  request: updateMetadataRequestCodec,
  response: updateMetadataResponseCodec,
}
export const STOP_REPLICA_V4: RequestSpec<StopReplicaRequest, StopReplicaResponse> = {
  apiKey: 5,
  version: 4,
  request: stopReplicaRequestCodec,
  response: stopReplicaResponseCodec,
}

/** Kafka's SecurityProtocol ids, as UpdateMetadata carries them. */
const SECURITY_PROTOCOL_IDS: Readonly<Record<string, number>> = {
  PLAINTEXT: 0,
  SSL: 1,
  SASL_PLAINTEXT: 2,
  SASL_SSL: 3,
}

const ids = (list: readonly number[]): BrokerId[] => list.map(asBrokerId)

export interface BatchSender {
  readonly ctx: ControllerContext
  readonly channel: ControllerChannel
  readonly brokerId: number
  readonly interBrokerListenerName: string
  readonly log: Logger
}

export class RequestBatch {
  private readonly s: BatchSender
  private readonly leaderAndIsr = new Map<number, Map<string, { tp: TopicPartition; isNew: boolean }>>()
  private readonly umBrokers = new Set<number>()
  private readonly umPartitions = new Map<string, TopicPartition>()
  private readonly stopReplica = new Map<number, { tp: TopicPartition; deletePartition: boolean }[]>()

  constructor(s: BatchSender) {
    this.s = s
  }

  /** LeaderAndIsr for `tp` to each live broker of `brokerIds`, and its metadata to every live broker. */
  addLeaderAndIsr(brokerIds: Iterable<number>, tp: TopicPartition, isNew = false): void {
    for (const id of brokerIds) {
      if (!this.s.ctx.isLive(id)) continue
      let m = this.leaderAndIsr.get(id)
      if (m === undefined) {
        m = new Map()
        this.leaderAndIsr.set(id, m)
      }
      m.set(tpKey(tp), { tp, isNew })
    }
    this.addUpdateMetadata(this.s.ctx.liveBrokers.keys(), [tp])
  }

  /** UpdateMetadata to `brokerIds` (live ones) naming `partitions` (none: only the broker list). */
  addUpdateMetadata(brokerIds: Iterable<number>, partitions: Iterable<TopicPartition>): void {
    for (const id of brokerIds) if (this.s.ctx.isLive(id)) this.umBrokers.add(id)
    for (const tp of partitions) this.umPartitions.set(tpKey(tp), tp)
  }

  addStopReplica(brokerId: number, tp: TopicPartition, deletePartition: boolean): void {
    if (!this.s.ctx.isLive(brokerId)) return
    const list = this.stopReplica.get(brokerId) ?? []
    list.push({ tp, deletePartition })
    this.stopReplica.set(brokerId, list)
  }

  get empty(): boolean {
    return this.leaderAndIsr.size === 0 && this.umBrokers.size === 0 && this.stopReplica.size === 0
  }

  /** Sends everything collected (LeaderAndIsr, then UpdateMetadata, then StopReplica); returns the StopReplica sends. */
  send(): Promise<StopReplicaResponse>[] {
    const { ctx, channel, log } = this.s
    for (const [id, parts] of this.leaderAndIsr) {
      if (!ctx.isLive(id)) continue
      const req = this.leaderAndIsrRequest(id, [...parts.values()])
      channel.send(id, LEADER_AND_ISR_V7, req).then(
        (res) => this.logErrors('LeaderAndIsr', id, res.errorCode),
        (e: unknown) => log.debug(`LeaderAndIsr to broker ${id} not delivered: ${String(e)}`),
      )
    }
    if (this.umBrokers.size > 0) {
      const body = this.updateMetadataBody()
      for (const id of [...this.umBrokers].sort((a, b) => a - b)) {
        if (!ctx.isLive(id)) continue
        const req = { ...body, brokerEpoch: ctx.liveBrokers.get(id)!.epoch }
        channel.send(id, UPDATE_METADATA_V8, req).then(
          (res) => this.logErrors('UpdateMetadata', id, res.errorCode),
          (e: unknown) => log.debug(`UpdateMetadata to broker ${id} not delivered: ${String(e)}`),
        )
      }
    }
    const stops: Promise<StopReplicaResponse>[] = []
    for (const [id, list] of this.stopReplica) {
      if (!ctx.isLive(id)) continue
      const sent = channel.send(id, STOP_REPLICA_V4, this.stopReplicaRequest(id, list))
      // Handled here for callers that do not wait (a resignation rejects what is queued).
      sent.catch((e: unknown) => log.debug(`StopReplica to broker ${id} not delivered: ${String(e)}`))
      stops.push(sent)
    }
    this.leaderAndIsr.clear()
    this.umBrokers.clear()
    this.umPartitions.clear()
    this.stopReplica.clear()
    return stops
  }

  private logErrors(api: string, id: number, errorCode: number): void {
    if (errorCode !== 0) this.s.log.warn(`${api} to broker ${id} answered error code ${errorCode}`)
  }

  private leaderAndIsrRequest(
    brokerId: number,
    parts: readonly { tp: TopicPartition; isNew: boolean }[],
  ): LeaderAndIsrRequest {
    const { ctx } = this.s
    const byTopic = new Map<string, LeaderAndIsrRequestLeaderAndIsrPartitionState[]>()
    const leaders = new Set<number>()
    for (const { tp, isNew } of parts) {
      const st = ctx.state(tp)
      if (st === undefined) continue
      const full = ctx.fullAssignment(tp)
      leaders.add(st.leader)
      const list = byTopic.get(tp.topic) ?? []
      list.push({
        topicName: tp.topic as TopicName,
        partitionIndex: tp.partition,
        controllerEpoch: st.controllerEpoch,
        leader: asBrokerId(st.leader),
        leaderEpoch: st.leaderEpoch,
        isr: ids(st.isr),
        partitionEpoch: st.zkVersion,
        replicas: ids(full.replicas),
        addingReplicas: ids(full.adding),
        removingReplicas: ids(full.removing),
        isNew,
        leaderRecoveryState: st.leaderRecoveryState,
      })
      byTopic.set(tp.topic, list)
    }
    const liveLeaders = [...leaders]
      .filter((id) => ctx.isLive(id))
      .sort((a, b) => a - b)
      .map((id) => {
        const reg = ctx.liveBrokers.get(id)!.reg
        const ep = reg.endpoints.find((e) => e.listenerName === this.s.interBrokerListenerName)
        return { brokerId: asBrokerId(id), hostName: ep?.host ?? reg.host, port: ep?.port ?? reg.port }
      })
    return {
      controllerId: asBrokerId(this.s.brokerId),
      isKRaftController: false,
      controllerEpoch: ctx.epoch,
      brokerEpoch: ctx.liveBrokers.get(brokerId)!.epoch,
      type: 0,
      ungroupedPartitionStates: [],
      topicStates: [...byTopic].map(([topic, partitionStates]) => ({
        topicName: topic as TopicName,
        topicId: this.topicId(topic),
        partitionStates,
      })),
      liveLeaders,
    }
  }

  private updateMetadataBody(): UpdateMetadataRequest {
    const { ctx } = this.s
    const liveBrokers: UpdateMetadataRequestUpdateMetadataBroker[] = [...ctx.liveBrokers.values()]
      .sort((a, b) => a.reg.id - b.reg.id)
      .map(({ reg }) => ({
        id: asBrokerId(reg.id),
        v0Host: reg.host,
        v0Port: reg.port,
        endpoints: reg.endpoints.map((e) => ({
          port: e.port,
          host: e.host,
          listener: e.listenerName,
          securityProtocol: SECURITY_PROTOCOL_IDS[e.securityProtocol] ?? 0,
        })),
        rack: reg.rack,
      }))
    const byTopic = new Map<string, UpdateMetadataRequestUpdateMetadataTopicState>()
    for (const tp of this.umPartitions.values()) {
      const st = ctx.state(tp)
      if (st === undefined) continue
      const deleting = ctx.topicsToDelete.has(tp.topic)
      const replicas = ctx.replicas(tp)
      let t = byTopic.get(tp.topic)
      if (t === undefined) {
        t = { topicName: tp.topic as TopicName, topicId: this.topicId(tp.topic), partitionStates: [] }
        byTopic.set(tp.topic, t)
      }
      t.partitionStates.push({
        topicName: tp.topic as TopicName,
        partitionIndex: tp.partition,
        controllerEpoch: st.controllerEpoch,
        leader: asBrokerId(deleting ? LEADER_DURING_DELETE : st.leader),
        leaderEpoch: deleting ? st.leaderEpoch + 1 : st.leaderEpoch,
        isr: ids(st.isr),
        zkVersion: st.zkVersion,
        replicas: ids(replicas),
        offlineReplicas: ids(replicas.filter((id) => !ctx.isLive(id))),
      })
    }
    return {
      controllerId: asBrokerId(this.s.brokerId),
      isKRaftController: false,
      type: 0,
      controllerEpoch: ctx.epoch,
      brokerEpoch: -1n,
      ungroupedPartitionStates: [],
      topicStates: [...byTopic.values()],
      liveBrokers,
    }
  }

  private stopReplicaRequest(
    brokerId: number,
    list: readonly { tp: TopicPartition; deletePartition: boolean }[],
  ): StopReplicaRequest {
    const { ctx } = this.s
    const byTopic = new Map<string, StopReplicaRequest['topicStates'][number]>()
    for (const { tp, deletePartition } of list) {
      let t = byTopic.get(tp.topic)
      if (t === undefined) {
        t = { topicName: tp.topic as TopicName, partitionStates: [] }
        byTopic.set(tp.topic, t)
      }
      t.partitionStates.push({
        partitionIndex: tp.partition,
        // Kafka: -2 only for a topic being deleted; a replica removed by a reassignment gets the epoch.
        leaderEpoch: ctx.topicsToDelete.has(tp.topic)
          ? EPOCH_DURING_DELETE
          : (ctx.state(tp)?.leaderEpoch ?? -1),
        deletePartition,
      })
    }
    return {
      controllerId: asBrokerId(this.s.brokerId),
      isKRaftController: false,
      controllerEpoch: ctx.epoch,
      brokerEpoch: ctx.liveBrokers.get(brokerId)!.epoch,
      deletePartitions: false,
      ungroupedPartitions: [],
      topics: [],
      topicStates: [...byTopic.values()],
    }
  }

  private topicId(topic: string): Uuid {
    return this.s.ctx.topics.get(topic)?.topicId ?? ZERO_UUID
  }
}
