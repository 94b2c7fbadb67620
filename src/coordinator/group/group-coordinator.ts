// The group coordinator service the handlers call: routes each group to its __consumer_offsets
// partition (Kafka's hash), runs the operation on that partition's shard through the runtime, and
// turns "not here" / "loading" into the answers Kafka gives for each API. It also follows the
// metadata image to load the partitions this broker leads, and creates __consumer_offsets on
// demand (FindCoordinator).
//
// Wiring (the broker): construct it with a CoordinatorLog over the local logs, call
// onLocalChanges(changes, image) after the replica manager applied each published change, and shutdown() on stop.

import type { Clock } from '../../common/clock.ts'
import type { Logger } from '../../common/logger.ts'
import type { MetadataImage } from '../../metadata/image.ts'
import type { LocalReplicaChanges } from '../../metadata/local-changes.ts'
import type { CreateTopicRequest, MetadataStore } from '../../metadata/store.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import type { CoordinatorLog } from '../runtime/coordinator-log.ts'
import { CoordinatorRuntime } from '../runtime/coordinator-runtime.ts'
import { InternalTopic } from '../runtime/internal-topic.ts'
import {
  type DescribedGroup,
  deleteGroups,
  describeGroup,
  type ListedGroup,
  listGroups,
} from './admin-ops.ts'
import { type JoinResult, joinError, type SyncResult, syncError } from './classic-group.ts'
import {
  type DescribedConsumerGroup,
  describeConsumerGroup,
  takeOverForClassic,
  validateConsumerFetch,
} from './consumer/consumer-admin.ts'
import {
  type ConsumerHeartbeatParams,
  type ConsumerHeartbeatResult,
  consumerGroupHeartbeat,
  heartbeatError,
} from './consumer/consumer-heartbeat.ts'
import type { TopicsView } from './consumer/consumer-membership.ts'
import { type GroupConfig, OFFSETS_TOPIC } from './group-config.ts'
import { groupPartition } from './group-partition.ts'
import {
  GroupShard,
  type JoinParams,
  type LeaveResult,
  type LeavingMember,
  type SyncParams,
} from './group-shard.ts'
import {
  allPartitions,
  type CommitParams,
  commitOffsets,
  type DeleteOffsetsResult,
  deleteOffsets,
  type FetchedTopics,
  fetchOffsets,
  type TopicPartitionErrors,
} from './offset-ops.ts'
import { type TxnCommitParams, txnCommitOffsets } from './txn-offsets.ts'

/** How long FindCoordinator waits for a just-created __consumer_offsets to be served here. */

export interface GroupCoordinatorParams {
  readonly log: CoordinatorLog
  readonly clock: Clock
  readonly logger: Logger
  readonly config: GroupConfig
  /** This broker: it coordinates the partitions of __consumer_offsets it leads. */
  readonly nodeId: number
  /** Where __consumer_offsets is created. */
  readonly metadata: Pick<MetadataStore, 'image' | 'createTopics'>
  /** How __consumer_offsets is created (offsetsTopicSpec in group-config.ts). */
  readonly offsetsTopic: CreateTopicRequest
}

export interface FetchOffsetsResult {
  readonly errorCode: number
  readonly topics: FetchedTopics
}

export class GroupCoordinator {
  readonly runtime: CoordinatorRuntime<GroupShard>
  private readonly p: GroupCoordinatorParams
  private readonly reloading = new Set<number>()
  private readonly topic: InternalTopic

  constructor(p: GroupCoordinatorParams) {
    this.p = p
    this.runtime = new CoordinatorRuntime<GroupShard>({
      log: p.log,
      clock: p.clock,
      logger: p.logger,
      newShard: (ctx) => {
        const shard = new GroupShard(ctx, p.config)
        shard.topicsView = () => this.topicsView()
        shard.onConsumerWriteFailed = () => this.reloadAfterFailure(ctx.partition)
        return shard
      },
    })
    this.topic = new InternalTopic({
      name: OFFSETS_TOPIC,
      spec: () => p.offsetsTopic,
      metadata: p.metadata,
      runtime: this.runtime,
      clock: p.clock,
      logger: p.logger,
    })
  }

  /**
   * A write of consumer group records failed after they were applied to memory: the partition is
   * loaded again from its log (once per failure burst), if this broker still leads it.
   */
  private reloadAfterFailure(partition: number): void {
    if (this.reloading.has(partition)) return
    this.reloading.add(partition)
    queueMicrotask(() => {
      this.reloading.delete(partition)
      if (this.runtime.state(partition) !== 'active') return
      const leader = this.p.metadata.image().topics.get(OFFSETS_TOPIC as never)?.partitions[partition]?.leader
      if (leader !== this.p.nodeId) return
      this.p.logger.warn(
        `A consumer group write to ${OFFSETS_TOPIC}-${partition} failed: reloading it from the log`,
      )
      this.runtime.unload(partition)
      void this.runtime.load(partition)
    })
  }

  /** The topics consumer groups may subscribe to, from the current image. */
  private topicsView(): TopicsView {
    const image = this.p.metadata.image()
    return {
      byName: (name) => {
        const t = image.topics.get(name as never)
        return t === undefined ? undefined : { topicId: t.topicId, numPartitions: t.partitions.length }
      },
      names: () => [...image.topics.values()].filter((t) => !t.internal).map((t) => t.name),
    }
  }

  /** Partitions of __consumer_offsets: the topic's own count once it exists, else the config's. */
  numPartitions(): number {
    return (
      this.p.metadata.image().topics.get(OFFSETS_TOPIC)?.partitions.length ??
      this.p.config.offsetsTopicNumPartitions
    )
  }

  partitionFor(groupId: string): number {
    return groupPartition(groupId, this.numPartitions())
  }

  /** Creates __consumer_offsets unless it exists (internal-topic.ts). */
  ensureOffsetsTopic(): Promise<number> {
    return this.topic.ensure()
  }

  /**
   * Follows the leadership of __consumer_offsets partitions: a partition this broker now leads is
   * loaded, one it follows or no longer hosts is unloaded (requests for its groups answer
   * NOT_COORDINATOR).
   */
  onLocalChanges(changes: LocalReplicaChanges, image: MetadataImage): void {
    this.topic.onLocalChanges(changes, image)
  }

  /** Resolves once every partition being loaded has finished (tests, startup logs). */
  loaded(): Promise<void> {
    return this.topic.loaded()
  }

  shutdown(): void {
    this.runtime.close()
  }

  // ----- membership -----

  joinGroup(p: JoinParams): Promise<JoinResult> {
    if (p.groupId === '') return Promise.resolve(joinError(p.memberId, ErrorCode.INVALID_GROUP_ID))
    return this.runtime.write(
      this.partitionFor(p.groupId),
      (s) => {
        const refused = takeOverForClassic(s, p.groupId)
        return refused === ErrorCode.NONE ? s.joinGroup(p) : s.finish(joinError(p.memberId, refused))
      },
      (code) => joinError(p.memberId, code),
    )
  }

  syncGroup(p: SyncParams): Promise<SyncResult> {
    if (p.groupId === '') return Promise.resolve(syncError(ErrorCode.INVALID_GROUP_ID))
    return this.runtime.write(this.partitionFor(p.groupId), (s) => s.syncGroup(p), syncError)
  }

  heartbeat(
    groupId: string,
    memberId: string,
    groupInstanceId: string | null,
    generationId: number,
  ): Promise<number> {
    if (groupId === '') return Promise.resolve(ErrorCode.INVALID_GROUP_ID)
    return this.runtime.write(
      this.partitionFor(groupId),
      (s) => s.finish(s.heartbeat(groupId, memberId, groupInstanceId, generationId)),
      // A loading coordinator answers heartbeats blindly, as Kafka does.
      (code) => (code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS ? ErrorCode.NONE : code),
    )
  }

  leaveGroup(groupId: string, members: readonly LeavingMember[]): Promise<LeaveResult> {
    if (groupId === '') return Promise.resolve({ errorCode: ErrorCode.INVALID_GROUP_ID, members: [] })
    return this.runtime.write(
      this.partitionFor(groupId),
      (s) => s.leaveGroup(groupId, members),
      (errorCode) => ({ errorCode, members: [] }),
    )
  }

  /** ConsumerGroupHeartbeat (KIP-848). */
  consumerGroupHeartbeat(p: ConsumerHeartbeatParams): Promise<ConsumerHeartbeatResult> {
    if (!this.p.config.consumer.enabled)
      return Promise.resolve(
        heartbeatError(ErrorCode.UNSUPPORTED_VERSION, 'The consumer group protocol is disabled.'),
      )
    if (p.groupId === '')
      return Promise.resolve(heartbeatError(ErrorCode.INVALID_REQUEST, "GroupId can't be empty."))
    return this.runtime.write(
      this.partitionFor(p.groupId),
      (s) => consumerGroupHeartbeat(s, p),
      (code) => heartbeatError(code),
    )
  }

  consumerGroupDescribe(groupIds: readonly string[]): DescribedConsumerGroup[] {
    const image = this.p.metadata.image()
    const names = new Map<string, string>()
    for (const t of image.topics.values()) names.set(t.topicId, t.name)
    return groupIds.map((groupId) =>
      this.runtime.read<DescribedConsumerGroup>(
        this.partitionFor(groupId),
        (s) => describeConsumerGroup(s, groupId, (id) => names.get(id)),
        (errorCode) => ({
          errorCode,
          errorMessage: null,
          groupId,
          groupState: '',
          groupEpoch: 0,
          assignmentEpoch: 0,
          assignorName: '',
          members: [],
        }),
      ),
    )
  }

  // ----- offsets -----

  commitOffsets(p: CommitParams): Promise<TopicPartitionErrors> {
    return this.runtime.write(
      this.partitionFor(p.groupId),
      (s) => commitOffsets(s, p),
      (code) => allPartitions(p.topics, code),
    )
  }

  /** TxnOffsetCommit: held until the producer's transaction marker reaches the group's partition. */
  txnCommitOffsets(p: TxnCommitParams): Promise<TopicPartitionErrors> {
    return this.runtime.write(
      this.partitionFor(p.groupId),
      (s) => txnCommitOffsets(s, p),
      (code) =>
        allPartitions(
          p.topics.map((t) => ({ name: t.name, partitions: t.partitions })),
          code,
        ),
    )
  }

  /**
   * A transaction marker was written to a __consumer_offsets partition (the log side's
   * OffsetsMarkerListener): that producer's pending offsets there are applied or dropped.
   */
  onTxnMarker(partition: number, producerId: bigint, commit: boolean, markerOffset: bigint): void {
    this.runtime.applyEndTxn(partition, markerOffset, producerId, commit)
  }

  /** Whether a transaction holds offsets of this group not yet settled (OffsetFetch requireStable). */
  hasPendingTxnOffsets(groupId: string, topic: string, partition: number): boolean {
    return this.runtime.read(
      this.partitionFor(groupId),
      (s) => s.txnOffsets.hasPending(groupId, topic, partition),
      () => false,
    )
  }

  fetchOffsets(
    groupId: string,
    topics: readonly { readonly name: string; readonly partitionIndexes: readonly number[] }[] | null,
    /** OffsetFetch v9+: a consumer group member's id and epoch (epoch -1: not a member). */
    member: { readonly memberId: string | null; readonly memberEpoch: number } | null = null,
  ): FetchOffsetsResult {
    return this.runtime.read<FetchOffsetsResult>(
      this.partitionFor(groupId),
      (s) => {
        const invalid =
          member === null
            ? ErrorCode.NONE
            : validateConsumerFetch(s.consumerGroups.get(groupId), member.memberId, member.memberEpoch)
        if (invalid !== ErrorCode.NONE) return { errorCode: invalid, topics: [] }
        return { errorCode: ErrorCode.NONE, topics: fetchOffsets(s, groupId, topics) }
      },
      (errorCode) => ({ errorCode, topics: [] }),
    )
  }

  deleteOffsets(
    groupId: string,
    topics: readonly {
      readonly name: string
      readonly partitions: readonly { readonly partition: number }[]
    }[],
  ): Promise<DeleteOffsetsResult> {
    if (groupId === '') return Promise.resolve({ errorCode: ErrorCode.INVALID_GROUP_ID, topics: [] })
    return this.runtime.write(
      this.partitionFor(groupId),
      (s) => deleteOffsets(s, groupId, topics),
      (errorCode) => ({ errorCode, topics: [] }),
    )
  }

  // ----- administration -----

  /**
   * Groups of every partition served here. While a partition loads, its groups are missing and
   * the answer carries COORDINATOR_LOAD_IN_PROGRESS, as Kafka's does.
   */
  listGroups(
    statesFilter: readonly string[],
    typesFilter: readonly string[],
  ): { errorCode: number; groups: ListedGroup[] } {
    let errorCode: number = ErrorCode.NONE
    const groups: ListedGroup[] = []
    for (const p of this.runtime.partitionIds()) {
      const r = this.runtime.read(
        p,
        (s) => listGroups(s, statesFilter, typesFilter),
        (code) => {
          errorCode = code
          return []
        },
      )
      groups.push(...r)
    }
    return { errorCode, groups }
  }

  describeGroups(groupIds: readonly string[]): DescribedGroup[] {
    return groupIds.map((groupId) =>
      this.runtime.read(
        this.partitionFor(groupId),
        (s) => describeGroup(s, groupId),
        (errorCode) => ({
          errorCode,
          groupId,
          groupState: '',
          protocolType: '',
          protocolData: '',
          members: [],
        }),
      ),
    )
  }

  /** Deletes groups, one write per partition; answers in request order. */
  async deleteGroups(groupIds: readonly string[]): Promise<{ groupId: string; errorCode: number }[]> {
    const byPartition = new Map<number, string[]>()
    for (const id of groupIds) {
      const p = this.partitionFor(id)
      const list = byPartition.get(p)
      if (list) list.push(id)
      else byPartition.set(p, [id])
    }
    const answers = new Map<string, number>()
    await Promise.all(
      [...byPartition].map(async ([p, ids]) => {
        const r = await this.runtime.write(
          p,
          (s) => deleteGroups(s, ids),
          (errorCode) => ids.map((groupId) => ({ groupId, errorCode })),
        )
        for (const x of r) if (!answers.has(x.groupId)) answers.set(x.groupId, x.errorCode)
      }),
    )
    return groupIds.map((groupId) => ({
      groupId,
      errorCode: answers.get(groupId) ?? ErrorCode.GROUP_ID_NOT_FOUND,
    }))
  }
}
