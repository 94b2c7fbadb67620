// The share coordinator (KIP-932's persister): keeps the durable state of every share-partition
// (start offset, delivery states and counts) in __share_group_state, one shard per partition of
// that topic on the same coordinator runtime as the group and transaction coordinators. The
// share-partition on the topic partition's leader reads its state from here when it first
// serves a group, and writes a snapshot after each change before it answers the client, so an
// acknowledged record is never delivered again after a restart.
//
// A share-partition key goes to partition abs(hash("group:topicId:partition")) % partitions, the
// key Kafka's share coordinator hashes. This broker answers only for the state partitions it
// leads (NOT_COORDINATOR otherwise); share-persister.ts sends the others' reads and writes to
// their leader as Read/WriteShareGroupState, whose handlers come back here.

import type { Clock } from '../../common/clock.ts'
import type { Logger } from '../../common/logger.ts'
import type { MetadataImage } from '../../metadata/image.ts'
import type { LocalReplicaChanges } from '../../metadata/local-changes.ts'
import type { CreateTopicRequest, MetadataStore } from '../../metadata/store.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import { groupPartition } from '../group/group-partition.ts'
import type { CoordinatorLog } from '../runtime/coordinator-log.ts'
import { CoordinatorRuntime, type CoordinatorShard } from '../runtime/coordinator-runtime.ts'
import { InternalTopic } from '../runtime/internal-topic.ts'
import {
  coordinatorKeyOf,
  decodeShareKey,
  decodeShareValue,
  type SharePartitionKey,
  type ShareStateValue,
  shareSnapshotRecord,
  shareTombstone,
} from './share-records.ts'

export const SHARE_STATE_TOPIC = '__share_group_state'

/** The committed states of one __share_group_state partition. */
export class ShareStateShard implements CoordinatorShard {
  readonly states = new Map<string, { key: SharePartitionKey; value: ShareStateValue }>()

  replay(_offset: bigint, key: Buffer, value: Buffer | null): void {
    const k = decodeShareKey(key)
    if (k === null) return
    const id = coordinatorKeyOf(k.key)
    if (value === null) {
      this.states.delete(id)
      return
    }
    const v = decodeShareValue(value)
    const prev = this.states.get(id)
    if (k.version === 0 || prev === undefined) this.states.set(id, { key: k.key, value: v })
    else {
      // ShareUpdate: newer batches override the snapshot's for their offsets.
      let start = prev.value.startOffset
      if (v.startOffset > start) start = v.startOffset
      const batches = [...prev.value.stateBatches, ...v.stateBatches].filter((b) => b.lastOffset >= start)
      this.states.set(id, { key: k.key, value: { ...prev.value, startOffset: start, stateBatches: batches } })
    }
  }

  onLoaded(): void {}
  onUnloaded(): void {
    this.states.clear()
  }
}

export interface ShareCoordinatorParams {
  readonly log: CoordinatorLog
  readonly clock: Clock
  readonly logger: Logger
  readonly metadata: Pick<MetadataStore, 'image' | 'createTopics'>
  /** Called when the topic is created (the replication factor depends on the live brokers). */
  readonly topicSpec: () => CreateTopicRequest
  readonly numPartitions: number
}

export type ReadStateResult =
  | { readonly errorCode: 0; readonly state: ShareStateValue | null }
  | { readonly errorCode: number; readonly state: null }

export class ShareCoordinator {
  readonly runtime: CoordinatorRuntime<ShareStateShard>
  private readonly p: ShareCoordinatorParams
  private readonly topic: InternalTopic

  constructor(p: ShareCoordinatorParams) {
    this.p = p
    this.runtime = new CoordinatorRuntime<ShareStateShard>({
      log: p.log,
      clock: p.clock,
      logger: p.logger,
      newShard: () => new ShareStateShard(),
    })
    this.topic = new InternalTopic({
      name: SHARE_STATE_TOPIC,
      spec: p.topicSpec,
      metadata: p.metadata,
      runtime: this.runtime,
      clock: p.clock,
      logger: p.logger,
    })
  }

  partitionFor(k: SharePartitionKey): number {
    const n = this.p.metadata.image().topics.get(SHARE_STATE_TOPIC)?.partitions.length ?? this.p.numPartitions
    return groupPartition(coordinatorKeyOf(k), n)
  }

  /** Creates __share_group_state unless it exists, then waits for its partitions to load here. */
  ensureTopic(): Promise<number> {
    if (this.topic.exists) return this.loaded().then(() => ErrorCode.NONE)
    return this.topic.ensure()
  }

  /** Follows the leadership of __share_group_state partitions (internal-topic.ts). */
  onLocalChanges(changes: LocalReplicaChanges, image: MetadataImage): void {
    this.topic.onLocalChanges(changes, image)
  }

  loaded(): Promise<void> {
    return this.topic.loaded()
  }

  shutdown(): void {
    this.runtime.close()
  }

  /** The persisted state of a share-partition (null: none yet), as ReadShareGroupState answers. */
  async readState(k: SharePartitionKey): Promise<ReadStateResult> {
    const code = await this.ensureTopic()
    if (code !== ErrorCode.NONE) return { errorCode: code, state: null }
    return this.runtime.read<ReadStateResult>(
      this.partitionFor(k),
      (s) => ({ errorCode: 0, state: s.states.get(coordinatorKeyOf(k))?.value ?? null }),
      (errorCode) => ({ errorCode, state: null }),
    )
  }

  /**
   * Persists a snapshot of a share-partition; resolves with the error code (0: durable). The
   * state is taken when the write runs, so writes land in order and the last one is the newest.
   * `v` sees the committed state (a WriteShareGroupState that leaves the start offset out keeps
   * it); the snapshot epoch is this coordinator's, one more than the committed one.
   */
  async writeState(
    k: SharePartitionKey,
    v: (prev: ShareStateValue | null) => ShareStateValue,
  ): Promise<number> {
    const code = await this.ensureTopic()
    if (code !== ErrorCode.NONE) return code
    return this.runtime.write(
      this.partitionFor(k),
      (s) => {
        const prev = s.states.get(coordinatorKeyOf(k))?.value ?? null
        const value = { ...v(prev), snapshotEpoch: (prev?.snapshotEpoch ?? -1) + 1 }
        return { records: [shareSnapshotRecord(k, value)], response: ErrorCode.NONE as number }
      },
      (c) => c,
    )
  }

  /** Forgets a share-partition's state (the group was deleted). */
  deleteState(k: SharePartitionKey): Promise<number> {
    return this.runtime.write(
      this.partitionFor(k),
      () => ({ records: [shareTombstone(k)], response: ErrorCode.NONE as number }),
      (c) => c,
    )
  }

  /** Every persisted state this broker holds (kafka-share-groups.sh --describe offsets). */
  statesOfGroup(groupId: string): { key: SharePartitionKey; value: ShareStateValue }[] {
    const out: { key: SharePartitionKey; value: ShareStateValue }[] = []
    for (const p of this.runtime.partitionIds())
      this.runtime.read(
        p,
        (s) => {
          for (const e of s.states.values()) if (e.key.groupId === groupId) out.push(e)
        },
        () => {},
      )
    return out
  }
}
