// Every ZooKeeper read and write of the controller, in Kafka's znodes and JSON (znodes.ts). The
// fencing rule lives here: every write the controller makes is a multi that starts with
// `check /controller_epoch <the version our bump produced>`, so once another broker has become
// controller (and bumped the epoch) a deposed controller's writes all fail, atomically. That
// failure surfaces as ControllerMovedError, on which the controller resigns.

import type { Uuid } from '../common/ids.ts'
import type { Watcher, ZkClient, ZkOp } from '../metadata/zk/zk-client.ts'
import { ZkError } from '../metadata/zk/zk-client.ts'
import {
  decodeBroker,
  decodeController,
  decodeControllerEpoch,
  decodeEntityConfig,
  decodePartitionState,
  decodeTopicAssignment,
  encodeController,
  encodeControllerEpoch,
  encodePartitionState,
  encodeTopicAssignment,
  ZkPaths,
} from '../metadata/zk/znodes.ts'
import type { LiveBroker, PartitionState, TopicInfo, TopicPartition } from './controller-context.ts'
import { pipelined, valuesOrThrow } from './pipeline.ts'

/** Another broker is controller now (our epoch check failed, or /controller is not ours). */
export class ControllerMovedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ControllerMovedError'
  }
}

export type NewPartitionState = Omit<PartitionState, 'zkVersion'>

/** One conditional state write of updatePartitionStates. */
export interface StateUpdate {
  readonly tp: TopicPartition
  readonly state: NewPartitionState
  readonly expectedZkVersion: number
}

/** A failure that means another controller took over: it wins over any other in a pipeline. */
export const isMoved = (e: unknown): boolean => e instanceof ControllerMovedError

export class ControllerZk {
  private readonly zk: ZkClient
  /** The /controller_epoch version every write is conditional on (-1 while not controller). */
  epochZkVersion = -1

  constructor(zk: ZkClient) {
    this.zk = zk
  }

  /**
   * Kafka's registerControllerAndIncrementControllerEpoch: read the epoch (creating it at 0 when
   * absent), then in one multi create the ephemeral /controller and set the epoch one higher on the
   * version read. Returns null when another broker won (either op failed).
   */
  async registerController(
    brokerId: number,
    nowMs: number,
  ): Promise<{ epoch: number; zkVersion: number } | null> {
    let cur = await this.zk.getData(ZkPaths.controllerEpoch)
    if (cur === null) {
      try {
        await this.zk.create(ZkPaths.controllerEpoch, encodeControllerEpoch(0))
      } catch (e) {
        if (!(e instanceof ZkError && e.code === 'NODE_EXISTS')) throw e
      }
      cur = await this.zk.getData(ZkPaths.controllerEpoch)
      if (cur === null) return null
    }
    const epoch = (decodeControllerEpoch(cur.data) ?? 0) + 1
    try {
      await this.zk.multi([
        {
          op: 'create',
          path: ZkPaths.controller,
          data: encodeController(brokerId, nowMs),
          mode: 'ephemeral',
        },
        {
          op: 'setData',
          path: ZkPaths.controllerEpoch,
          data: encodeControllerEpoch(epoch),
          version: cur.stat.version,
        },
      ])
    } catch (e) {
      if (e instanceof ZkError && (e.code === 'NODE_EXISTS' || e.code === 'BAD_VERSION')) return null
      throw e
    }
    this.epochZkVersion = cur.stat.version + 1
    return { epoch, zkVersion: this.epochZkVersion }
  }

  /** The id in /controller (-1 when absent); `watch` fires on its creation, change or deletion. */
  async controllerId(watch: Watcher): Promise<number> {
    const r = await this.zk.getData(ZkPaths.controller, watch)
    return r === null ? -1 : (decodeController(r.data) ?? -1)
  }

  /** Deletes /controller when our session owns it (a clean stop hands over at once). */
  async releaseController(): Promise<void> {
    const r = await this.zk.getData(ZkPaths.controller)
    if (r === null || r.stat.ephemeralOwner !== this.zk.sessionId) return
    try {
      await this.zk.delete(ZkPaths.controller, r.stat.version)
    } catch (e) {
      if (!(e instanceof ZkError)) throw e
    }
  }

  /** Fenced multi: throws ControllerMovedError when the epoch check fails. */
  async multi(ops: readonly ZkOp[]): Promise<void> {
    try {
      await this.zk.multi([
        { op: 'check', path: ZkPaths.controllerEpoch, version: this.epochZkVersion },
        ...ops,
      ])
    } catch (e) {
      if (
        e instanceof ZkError &&
        (e.code === 'BAD_VERSION' || e.code === 'NO_NODE') &&
        e.path === ZkPaths.controllerEpoch
      ) {
        throw new ControllerMovedError(`controller epoch znode version is no longer ${this.epochZkVersion}`)
      }
      throw e
    }
  }

  async brokers(watch: Watcher): Promise<Map<number, LiveBroker>> {
    const ids = (await this.zk.getChildren(ZkPaths.brokerIds, watch)) ?? []
    const out = new Map<number, LiveBroker>()
    for (const name of ids) {
      const id = Number(name)
      if (!Number.isInteger(id)) continue
      const r = await this.zk.getData(ZkPaths.broker(id))
      const reg = r === null ? null : decodeBroker(id, r.data)
      if (r !== null && reg !== null) out.set(id, { reg, epoch: r.stat.czxid })
    }
    return out
  }

  async topicNames(watch: Watcher): Promise<string[]> {
    return ((await this.zk.getChildren(ZkPaths.topics, watch)) ?? []).sort()
  }

  async assignment(topic: string, watch: Watcher): Promise<TopicInfo | null> {
    const r = await this.zk.getData(ZkPaths.topic(topic), watch)
    const a = r === null ? null : decodeTopicAssignment(r.data)
    return a === null
      ? null
      : {
          topicId: a.topicId as Uuid | null,
          assignment: a.partitions,
          adding: a.addingReplicas,
          removing: a.removingReplicas,
        }
  }

  /**
   * Rewrites /brokers/topics/<t> (any version: only the controller changes an existing topic's
   * replicas), as Kafka's setTopicAssignment does during a reassignment.
   */
  async setTopicAssignment(topic: string, info: TopicInfo): Promise<void> {
    const data = encodeTopicAssignment({
      topicId: info.topicId,
      partitions: info.assignment,
      addingReplicas: info.adding,
      removingReplicas: info.removing,
    })
    await this.multi([{ op: 'setData', path: ZkPaths.topic(topic), data, version: -1 }])
  }

  async partitionState(tp: TopicPartition): Promise<PartitionState | null> {
    const r = await this.zk.getData(ZkPaths.partitionState(tp.topic, tp.partition))
    const s = r === null ? null : decodePartitionState(r.data)
    return r === null || s === null ? null : { ...s, zkVersion: r.stat.version }
  }

  /** The state znodes of `tps` (null where absent), read pipelined. */
  async partitionStates(tps: readonly TopicPartition[]): Promise<(PartitionState | null)[]> {
    return valuesOrThrow(await pipelined(tps, (tp) => this.partitionState(tp)))
  }

  async deleteTopicRequests(watch: Watcher): Promise<string[]> {
    return ((await this.zk.getChildren(ZkPaths.adminDeleteTopics, watch)) ?? []).sort()
  }

  /** The topic's unclean.leader.election.enable override, else the broker default. */
  async uncleanElectionEnabled(topic: string, brokerDefault: boolean): Promise<boolean> {
    const r = await this.zk.getData(ZkPaths.configTopic(topic))
    const v = r === null ? undefined : decodeEntityConfig(r.data).get('unclean.leader.election.enable')
    return v === undefined ? brokerDefault : v.trim().toLowerCase() === 'true'
  }

  /** Creates the state znode of a new partition; null when one already exists (then it is read). */
  async createPartitionState(tp: TopicPartition, s: NewPartitionState): Promise<PartitionState | null> {
    await this.zk.mkdirp(ZkPaths.partition(tp.topic, tp.partition))
    try {
      await this.multi([
        { op: 'create', path: ZkPaths.partitionState(tp.topic, tp.partition), data: encodePartitionState(s) },
      ])
    } catch (e) {
      if (e instanceof ZkError && e.code === 'NODE_EXISTS') return null
      throw e
    }
    return { ...s, zkVersion: 0 }
  }

  /**
   * createPartitionState for many partitions: each topic's partitions znode once, then per
   * partition one fenced multi creating its znode and its state, pipelined. Outcomes in order, as
   * createPartitionState's (settled: the caller records what was written before it rethrows).
   */
  async createPartitionStates(
    items: readonly { tp: TopicPartition; state: NewPartitionState }[],
  ): Promise<PromiseSettledResult<PartitionState | null>[]> {
    const topics = [...new Set(items.map((i) => i.tp.topic))]
    valuesOrThrow(await pipelined(topics, (t) => this.zk.mkdirp(ZkPaths.partitions(t))))
    return pipelined(items, async ({ tp, state }) => {
      try {
        await this.multi([
          { op: 'create', path: ZkPaths.partition(tp.topic, tp.partition), data: null },
          {
            op: 'create',
            path: ZkPaths.partitionState(tp.topic, tp.partition),
            data: encodePartitionState(state),
          },
        ])
      } catch (e) {
        // The partition's znode (or its state) is there already: the one-at-a-time path sorts it out.
        if (e instanceof ZkError && e.code === 'NODE_EXISTS') return this.createPartitionState(tp, state)
        throw e
      }
      return { ...state, zkVersion: 0 }
    })
  }

  /** updatePartitionState for many partitions, pipelined; outcomes in order (settled). */
  updatePartitionStates(
    items: readonly StateUpdate[],
  ): Promise<PromiseSettledResult<PartitionState | null>[]> {
    return pipelined(items, (u) => this.updatePartitionState(u.tp, u.state, u.expectedZkVersion))
  }

  /** Conditional on the state's version too; null when someone else changed it (re-read it then). */
  async updatePartitionState(
    tp: TopicPartition,
    s: NewPartitionState,
    expectedZkVersion: number,
  ): Promise<PartitionState | null> {
    const path = ZkPaths.partitionState(tp.topic, tp.partition)
    try {
      await this.multi([{ op: 'setData', path, data: encodePartitionState(s), version: expectedZkVersion }])
    } catch (e) {
      if (e instanceof ZkError && (e.code === 'BAD_VERSION' || e.code === 'NO_NODE') && e.path === path)
        return null
      throw e
    }
    return { ...s, zkVersion: expectedZkVersion + 1 }
  }

  /** Removes a topic's znodes (assignment tree, config, deletion request) in one fenced multi. */
  async deleteTopic(topic: string): Promise<void> {
    const ops: ZkOp[] = []
    await this.collectDeletes(ZkPaths.topic(topic), ops)
    await this.collectDeletes(ZkPaths.configTopic(topic), ops)
    await this.collectDeletes(ZkPaths.adminDeleteTopic(topic), ops)
    if (ops.length > 0) await this.multi(ops)
  }

  /** Removes /admin/delete_topics/<name> (a name that is not a topic). */
  async deleteTopicRequest(name: string): Promise<void> {
    const ops: ZkOp[] = []
    await this.collectDeletes(ZkPaths.adminDeleteTopic(name), ops)
    if (ops.length > 0) await this.multi(ops)
  }

  /** Children before parents, so one multi can delete a whole tree. */
  private async collectDeletes(path: string, ops: ZkOp[]): Promise<void> {
    const children = await this.zk.getChildren(path)
    if (children === null) return
    for (const c of children.sort()) await this.collectDeletes(`${path}/${c}`, ops)
    ops.push({ op: 'delete', path })
  }
}
