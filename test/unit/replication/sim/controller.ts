// The controller of the replication simulation, a stand-in for the ZooKeeper-mode controller: it
// holds each partition's state (leader, leader epoch, ISR, partition epoch), publishes metadata
// images to the live brokers, answers their AlterPartition (ISR changes) with Kafka's checks, and
// elects leaders with the controller's own election rules (controller/partition-election.ts) when
// a broker dies or comes back, on request (preferred/clean moves), or uncleanly (a replica outside
// the ISR). Every state change bumps the partition epoch (the znode version); leader changes and
// ISR removals by the controller also bump the leader epoch, as in ZooKeeper mode.

import type { TopicName, Uuid } from '../../../../src/common/ids.ts'
import {
  type LeaderAndIsr,
  NO_LEADER,
  offlineLeader,
  withoutReplica,
} from '../../../../src/controller/partition-election.ts'
import { type MetadataImage, makeImage, makePartition, makeTopic } from '../../../../src/metadata/image.ts'
import { ErrorCode } from '../../../../src/protocol/generated/error-codes.ts'
import type { AlterIsr } from '../../../../src/replication/partition.ts'

export interface SimPartitionState {
  readonly topic: string
  readonly topicId: Uuid
  readonly partition: number
  readonly replicas: readonly number[]
  leader: number
  leaderEpoch: number
  isr: number[]
  partitionEpoch: number
}

type AlterItem = Parameters<AlterIsr>[0]
type AlterAnswer = Awaited<ReturnType<AlterIsr>>

export interface ControllerHooks {
  /** Delivers an image to a live broker (UpdateMetadata/LeaderAndIsr); ordered per broker. */
  deliver(brokerId: number, image: MetadataImage): void
  /** Randomness for orderings the real network leaves open. */
  random(): number
  /** Event log for traces. */
  trace(line: string): void
}

export class SimController {
  readonly partitions: SimPartitionState[] = []
  private readonly live = new Map<number, bigint>()
  private version = 0
  private readonly hooks: ControllerHooks
  uncleanEnabled = false
  /** Bumped by each unclean election: acknowledged data from before it may be gone. */
  uncleanGeneration = 0
  /** Leader epoch of the last unclean election per partition key. */
  readonly lastUncleanEpoch = new Map<string, number>()
  image: MetadataImage

  constructor(hooks: ControllerHooks) {
    this.hooks = hooks
    this.image = makeImage({ version: 0, clusterId: 'sim', controllerId: 0 })
  }

  addTopic(name: string, topicId: Uuid, assignments: readonly (readonly number[])[]): void {
    assignments.forEach((replicas, partition) => {
      this.partitions.push({
        topic: name,
        topicId,
        partition,
        replicas,
        leader: replicas[0]!,
        leaderEpoch: 0,
        isr: [...replicas],
        partitionEpoch: 0,
      })
    })
  }

  state(topic: string, partition: number): SimPartitionState {
    const st = this.partitions.find((p) => p.topic === topic && p.partition === partition)
    if (st === undefined) throw new Error(`no partition ${topic}-${partition}`)
    return st
  }

  isLive(id: number): boolean {
    return this.live.has(id)
  }

  /** Builds the current image and sends it to every live broker. */
  publish(): MetadataImage {
    const byTopic = new Map<string, SimPartitionState[]>()
    for (const p of this.partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p])
    const topics = [...byTopic].map(([name, parts]) =>
      makeTopic({
        name: name as TopicName,
        topicId: parts[0]!.topicId,
        partitions: parts.map((p) =>
          makePartition({
            partition: p.partition,
            leader: p.leader,
            leaderEpoch: p.leaderEpoch,
            partitionEpoch: p.partitionEpoch,
            replicas: p.replicas,
            isr: p.isr,
            offlineReplicas: p.replicas.filter((id) => !this.live.has(id)),
          }),
        ),
      }),
    )
    this.image = makeImage({ version: ++this.version, clusterId: 'sim', controllerId: 0, topics })
    for (const id of [...this.live.keys()].sort()) this.hooks.deliver(id, this.image)
    return this.image
  }

  /** A broker registered (first start or restart with a new epoch): it gets the full image. */
  brokerStarted(id: number, epoch: bigint): void {
    this.live.set(id, epoch)
    let changed = false
    for (const p of this.partitions) {
      if (p.leader !== NO_LEADER || !p.replicas.includes(id)) continue
      const chosen = offlineLeader(p.replicas, p.isr, (x) => this.live.has(x), this.uncleanEnabled)
      if (chosen !== null) changed = this.changeLeader(p, chosen, 'broker startup') || changed
    }
    if (changed) this.publish()
    else this.hooks.deliver(id, this.image)
  }

  /** A broker's session ended (crash): leaders moved off it, it leaves every ISR. */
  brokerFailed(id: number): void {
    this.live.delete(id)
    const eligible = (x: number): boolean => this.live.has(x)
    for (const p of this.partitions) {
      if (p.leader === id) {
        const chosen = offlineLeader(p.replicas, p.isr, eligible, this.uncleanEnabled)
        if (chosen !== null) {
          this.changeLeader(p, chosen, `broker ${id} failed`)
          continue
        }
      }
      const next = withoutReplica(p.leader, p.isr, id)
      if (next !== null) this.changeLeader(p, next, `broker ${id} failed`)
    }
    this.publish()
  }

  /** Moves leadership to `target`, which must be live and in the ISR (preferred election). */
  cleanElect(p: SimPartitionState, target: number): boolean {
    if (!this.live.has(target) || !p.isr.includes(target) || p.leader === target) return false
    this.changeLeader(p, { leader: target, isr: p.isr, unclean: false }, 'clean election')
    this.publish()
    return true
  }

  /** Makes `target` (live, outside the ISR) the leader with an ISR of itself. */
  uncleanElect(p: SimPartitionState, target: number): boolean {
    if (!this.live.has(target) || p.isr.includes(target)) return false
    this.changeLeader(p, { leader: target, isr: [target], unclean: true }, 'UNCLEAN election')
    this.publish()
    return true
  }

  private changeLeader(p: SimPartitionState, next: LeaderAndIsr, why: string): boolean {
    p.leader = next.leader
    p.isr = [...next.isr]
    p.leaderEpoch++
    p.partitionEpoch++
    if (next.unclean) {
      this.uncleanGeneration++
      this.lastUncleanEpoch.set(`${p.topic}-${p.partition}`, p.leaderEpoch)
    }
    this.hooks.trace(
      `ctl ${p.topic}-${p.partition} ${why}: leader ${p.leader} epoch ${p.leaderEpoch} isr [${p.isr}]`,
    )
    return true
  }

  /**
   * AlterPartition from broker `brokerId`, checked as the ZooKeeper-mode controller checks it
   * (controller/alter-partition.ts), then written and published. The answer and the new image
   * reach the leader in either order.
   */
  alterPartition(brokerId: number, item: AlterItem): Promise<AlterAnswer> {
    const p = this.state(item.topic, item.partition)
    const answer = (errorCode: number): AlterAnswer => ({
      errorCode,
      leaderEpoch: p.leaderEpoch,
      isr: [...p.isr],
      partitionEpoch: p.partitionEpoch,
    })
    const code = this.refusal(brokerId, p, item)
    if (code !== ErrorCode.NONE && code !== 'same') {
      this.hooks.trace(
        `ctl ${p.topic}-${p.partition} refuses ISR [${item.newIsr}] from ${brokerId} (le ${item.leaderEpoch} pe ${item.partitionEpoch}): ${code}`,
      )
      return Promise.resolve(answer(code))
    }
    if (code === 'same') return Promise.resolve(answer(ErrorCode.NONE))
    p.isr = [...item.newIsr]
    p.partitionEpoch++
    this.hooks.trace(`ctl ${p.topic}-${p.partition} ISR [${p.isr}] pe ${p.partitionEpoch} (from ${brokerId})`)
    const res = answer(ErrorCode.NONE)
    if (this.hooks.random() < 0.5) {
      this.publish()
      return Promise.resolve(res)
    }
    return Promise.resolve(res).finally(() => this.publish())
  }

  private refusal(brokerId: number, p: SimPartitionState, item: AlterItem): number | 'same' {
    if (item.leaderEpoch > p.leaderEpoch || item.partitionEpoch > p.partitionEpoch)
      return ErrorCode.NOT_CONTROLLER
    if (item.leaderEpoch < p.leaderEpoch) return ErrorCode.FENCED_LEADER_EPOCH
    if (brokerId !== p.leader) return ErrorCode.INVALID_REQUEST
    const same = item.newIsr.length === p.isr.length && item.newIsr.every((id, i) => p.isr[i] === id)
    if (same) return 'same'
    if (item.partitionEpoch < p.partitionEpoch) return ErrorCode.INVALID_UPDATE_VERSION
    if (
      new Set(item.newIsr).size !== item.newIsr.length ||
      item.newIsr.some((id) => !p.replicas.includes(id)) ||
      !item.newIsr.includes(p.leader)
    )
      return ErrorCode.INVALID_REQUEST
    const ineligible = item.newIsr.some((id, i) => {
      const epoch = this.live.get(id)
      if (epoch === undefined) return true
      const asked = item.newIsrEpochs[i] ?? -1n
      return asked !== -1n && asked !== epoch
    })
    return ineligible ? ErrorCode.INELIGIBLE_REPLICA : ErrorCode.NONE
  }
}
