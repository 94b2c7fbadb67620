// What the active controller knows, loaded from ZooKeeper at failover and kept current by the
// events it processes (Kafka's ControllerContext): live brokers with their epochs, brokers in
// controlled shutdown, every topic's assignment and id (with the replicas being added and removed by
// a reassignment), every partition's leader/ISR state with the version of its state znode, and the
// topics queued for deletion. Only the controller's event
// queue touches it, one event at a time; it is cleared on resignation.

import type { Uuid } from '../common/ids.ts'
import type { BrokerRegistration } from '../metadata/image.ts'
import type { ReplicaAssignment } from './reassignment-state.ts'

export interface LiveBroker {
  readonly reg: BrokerRegistration
  /** The czxid of /brokers/ids/<id>: a restarted broker has a new one. */
  readonly epoch: bigint
}

export interface PartitionState {
  readonly leader: number
  readonly leaderEpoch: number
  readonly isr: readonly number[]
  /** The epoch of the controller that last wrote the state znode. */
  readonly controllerEpoch: number
  readonly leaderRecoveryState: number
  /** The state znode's data version (Kafka's zkVersion, sent as the partition epoch). */
  readonly zkVersion: number
}

export interface TopicInfo {
  readonly topicId: Uuid | null
  /**
   * Replicas by partition, in assignment order (the first is the preferred leader). During a
   * reassignment this is the full set RS (target, then the originals leaving).
   */
  readonly assignment: ReadonlyMap<number, readonly number[]>
  /** Partitions being reassigned: the replicas being added and removed (the znode's fields). */
  readonly adding: ReadonlyMap<number, readonly number[]>
  readonly removing: ReadonlyMap<number, readonly number[]>
}

export interface TopicPartition {
  readonly topic: string
  readonly partition: number
}

export class ControllerContext {
  epoch = 0
  /** Data version of /controller_epoch after our bump: every write checks it. */
  epochZkVersion = -1
  readonly liveBrokers = new Map<number, LiveBroker>()
  readonly shuttingDown = new Set<number>()
  readonly topics = new Map<string, TopicInfo>()
  readonly states = new Map<string, Map<number, PartitionState>>()
  readonly topicsToDelete = new Set<string>()

  /** Live and not shutting down: may lead, may stay in a new ISR. */
  readonly eligible = (id: number): boolean => this.liveBrokers.has(id) && !this.shuttingDown.has(id)

  /** Registered in ZooKeeper (shutting down or not): receives requests, is not offline. */
  readonly isLive = (id: number): boolean => this.liveBrokers.has(id)

  readonly isShuttingDown = (id: number): boolean => this.shuttingDown.has(id)

  replicas(tp: TopicPartition): readonly number[] {
    return this.topics.get(tp.topic)?.assignment.get(tp.partition) ?? []
  }

  /** The partition's full assignment: replicas, and those being added and removed. */
  fullAssignment(tp: TopicPartition): ReplicaAssignment {
    const t = this.topics.get(tp.topic)
    return {
      replicas: t?.assignment.get(tp.partition) ?? [],
      adding: t?.adding.get(tp.partition) ?? [],
      removing: t?.removing.get(tp.partition) ?? [],
    }
  }

  /** Replaces one partition's assignment (the topic must be known). */
  setFullAssignment(tp: TopicPartition, a: ReplicaAssignment): void {
    const t = this.topics.get(tp.topic)
    if (t === undefined) return
    const assignment = new Map(t.assignment)
    const adding = new Map(t.adding)
    const removing = new Map(t.removing)
    assignment.set(tp.partition, a.replicas)
    if (a.adding.length > 0) adding.set(tp.partition, a.adding)
    else adding.delete(tp.partition)
    if (a.removing.length > 0) removing.set(tp.partition, a.removing)
    else removing.delete(tp.partition)
    this.topics.set(tp.topic, { topicId: t.topicId, assignment, adding, removing })
  }

  /** Partitions with a reassignment in progress, in topic then partition order. */
  reassigning(): TopicPartition[] {
    return this.allPartitions().filter((tp) => {
      const t = this.topics.get(tp.topic)!
      return t.adding.has(tp.partition) || t.removing.has(tp.partition)
    })
  }

  state(tp: TopicPartition): PartitionState | undefined {
    return this.states.get(tp.topic)?.get(tp.partition)
  }

  setState(tp: TopicPartition, s: PartitionState): void {
    let m = this.states.get(tp.topic)
    if (m === undefined) {
      m = new Map()
      this.states.set(tp.topic, m)
    }
    m.set(tp.partition, s)
  }

  removeTopic(topic: string): void {
    this.topics.delete(topic)
    this.states.delete(topic)
    this.topicsToDelete.delete(topic)
  }

  /** Every partition of every topic, in topic then partition order. */
  allPartitions(): TopicPartition[] {
    const out: TopicPartition[] = []
    for (const topic of [...this.topics.keys()].sort()) {
      const parts = [...this.topics.get(topic)!.assignment.keys()].sort((a, b) => a - b)
      for (const partition of parts) out.push({ topic, partition })
    }
    return out
  }

  /** Partitions not queued for deletion, optionally only those `brokerId` is a replica of. */
  activePartitions(brokerId?: number): TopicPartition[] {
    return this.allPartitions().filter(
      (tp) =>
        !this.topicsToDelete.has(tp.topic) &&
        (brokerId === undefined || this.replicas(tp).includes(brokerId)),
    )
  }

  clear(): void {
    this.epoch = 0
    this.epochZkVersion = -1
    this.liveBrokers.clear()
    this.shuttingDown.clear()
    this.topics.clear()
    this.states.clear()
    this.topicsToDelete.clear()
  }
}

export const tpKey = (tp: TopicPartition): string => `${tp.topic}-${tp.partition}`
