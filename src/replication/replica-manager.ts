// The partitions this broker hosts, by topic name and by topic id, kept in step with the metadata
// image, and the data-path operations over them: produce appends, fetch reads, list offsets,
// delete records, offsets for leader epochs. Handlers call these; they never touch logs. A
// Produce request's checks, verification and dispatch are produce-request.ts's, handed the
// hosted topics; fetch reads are fetch-reader.ts's.
//
// applyImage(image) (one at a time, in order): topics gone from the image, or recreated under a
// new topic id, have their partitions closed and their logs deleted; partitions assigned to this
// broker get a log (created through the LogManager, with the topic's effective config) and a
// Partition (producer state loaded); leader state and configs follow the image. A log found on
// disk with another topic id than the image's belongs to a deleted incarnation of the topic and is
// replaced. Logs of topics absent from the image are left alone (logged), never deleted blindly.
//
// Shutdown order for the broker: stop the listeners, replicaManager.shutdown() (finishes queued
// appends, answers waiting fetches, writes producer snapshots), then logManager.shutdown().

import { forEachBounded } from '../common/bounded.ts'
import type { Clock, Timer } from '../common/clock.ts'
import type { Fs } from '../common/fs.ts'
import type { Uuid } from '../common/ids.ts'
import type { Logger } from '../common/logger.ts'
import type { MetadataImage, PartitionImage, TopicImage } from '../metadata/image.ts'
import { type LocalReplicaChanges, localChanges } from '../metadata/local-changes.ts'
import { ErrorCode } from '../protocol/generated/error-codes.ts'
import type { LogConfig } from '../storage/log-config.ts'
import type { LogManager } from '../storage/log-manager.ts'
import {
  type FetchParams,
  type FetchPartitionInput,
  type FetchPartitionResult,
  fetchRecords,
} from './fetch-reader.ts'
import type { ReplicaFetcherManager } from './fetcher/fetcher-manager.ts'
import type { FollowerLog } from './fetcher/follower-log.ts'
import { type AlterIsr, type AppendOutcome, Partition } from './partition.ts'
import { appendRecords, type ProduceInput } from './produce-request.ts'
import {
  type ClientMetadata,
  liveRacks,
  NO_PREFERRED_REPLICA,
  preferredReadReplica,
  type ReplicaSelector,
} from './replica-selector.ts'
import type { ReplicaQuota, ReplicationQuotas } from './replication-quota.ts'
import type { TxnVerifier } from './txn-verification.ts'

/** Partitions opened or closed at once when an image changes many (see apply). */
const PARTITIONS_IN_FLIGHT = 32

export interface ReplicaManagerParams {
  logManager: LogManager
  fs: Fs
  clock: Clock
  logger: Logger
  localBrokerId: number
  /** The effective log config of a topic (defaults: the LogManager's). */
  logConfigFor?: (topic: TopicImage, image: MetadataImage) => Partial<LogConfig>
  /** producer.id.expiration.ms */
  producerIdExpirationMs?: number
  /** producer.id.expiration.check.interval.ms; 0 disables the periodic check. */
  producerIdExpirationCheckIntervalMs?: number
  /** fetch.max.bytes: caps a consumer fetch's max.bytes. */
  fetchMaxBytes?: number
  /** Cluster mode: ISR changes go to the controller (AlterPartition); absent: the ISR never changes. */
  alterIsr?: AlterIsr | null
  /** Cluster mode: copies the partitions this broker follows from their leaders. */
  fetchers?: ReplicaFetcherManager | null
  /** replica.lag.time.max.ms */
  replicaLagTimeMaxMs?: number
  /** request.timeout.ms: the longest an acks=all produce may wait for the ISR. */
  requestTimeoutMs?: number
  /** replica.selector.class (KIP-392); absent/null: the leader serves consumers. */
  replicaSelector?: ReplicaSelector | null
  /** Cluster mode: replication throttles (KIP-73), kept in step with every applied image. */
  replicationQuotas?: ReplicationQuotas | null
}

export interface HostedTopic {
  name: string
  topicId: Uuid
  image: TopicImage
  config: Partial<LogConfig>
  /** Indexed by partition number; undefined when not hosted here (or still opening). */
  partitions: (Partition | undefined)[]
}

export class ReplicaManager {
  readonly logManager: LogManager
  private readonly fs: Fs
  private readonly clock: Clock
  private readonly logger: Logger
  readonly localBrokerId: number
  private readonly logConfigFor: (topic: TopicImage, image: MetadataImage) => Partial<LogConfig>
  private readonly producerIdExpirationMs: number
  private readonly fetchMaxBytes: number
  private readonly topics = new Map<string, HostedTopic>()
  private readonly topicsById = new Map<Uuid, HostedTopic>()
  private image: MetadataImage | null = null
  private applying: Promise<void> = Promise.resolve()
  private readonly versionWaiters: { version: number; resolve: () => void }[] = []
  private readonly changeListeners: ((changes: LocalReplicaChanges, image: MetadataImage) => void)[] = []
  private maintenanceTimer: Timer | null = null
  private isrTimer: Timer | null = null
  private strayChecked = false
  private stopped = false
  private readonly alterIsr: AlterIsr | null
  private readonly fetchers: ReplicaFetcherManager | null
  private readonly replicaLagTimeMaxMs: number
  private readonly requestTimeoutMs: number
  private readonly replicaSelector: ReplicaSelector | null
  private readonly replicationQuotas: ReplicationQuotas | null
  /** KIP-890 part 1 (transaction.partition.verification.enable); null: batches are not verified. */
  private txnVerifier: TxnVerifier | null = null
  /** The leader's replication quota, read by fetch-reader.ts for follower fetches. */
  readonly leaderQuota: ReplicaQuota | null
  /** Live brokers' racks on the last listener asked about, for the image they came from. */
  private racks: { image: MetadataImage; listener: string | null; byId: Map<number, string | null> } | null =
    null

  constructor(p: ReplicaManagerParams) {
    this.logManager = p.logManager
    this.fs = p.fs
    this.clock = p.clock
    this.logger = p.logger
    this.localBrokerId = p.localBrokerId
    this.logConfigFor = p.logConfigFor ?? (() => ({}))
    this.producerIdExpirationMs = p.producerIdExpirationMs ?? 86_400_000
    this.fetchMaxBytes = p.fetchMaxBytes ?? 57_671_680
    const every = p.producerIdExpirationCheckIntervalMs ?? 600_000
    if (every > 0) this.scheduleMaintenance(every)
    this.alterIsr = p.alterIsr ?? null
    this.fetchers = p.fetchers ?? null
    this.replicaLagTimeMaxMs = p.replicaLagTimeMaxMs ?? 30_000
    this.requestTimeoutMs = p.requestTimeoutMs ?? 30_000
    this.replicaSelector = p.replicaSelector ?? null
    this.replicationQuotas = p.replicationQuotas ?? null
    this.leaderQuota = this.replicationQuotas?.leader ?? null
    if (this.alterIsr !== null) this.scheduleIsrCheck(Math.max(1, Math.floor(this.replicaLagTimeMaxMs / 2)))
  }

  // --- lookups ---

  partition(topic: string, index: number): Partition | null {
    return this.topics.get(topic)?.partitions[index] ?? null
  }

  partitionById(topicId: Uuid, index: number): Partition | null {
    return this.topicsById.get(topicId)?.partitions[index] ?? null
  }

  /** Whether the applied image has a topic with this id (hosted here or not). */
  hasTopicId(topicId: Uuid): boolean {
    return this.image?.topicsById.has(topicId) ?? false
  }

  /** Topic name of a topic id in the applied image, or null. */
  topicName(topicId: Uuid): string | null {
    return this.image?.topicsById.get(topicId)?.name ?? null
  }

  topicId(topic: string): Uuid | null {
    return this.image?.topics.get(topic)?.topicId ?? null
  }

  /**
   * Why a partition is not served here: NOT_LEADER_OR_FOLLOWER when the cluster has it (on another
   * broker, or this broker has not been told yet: the client refreshes its metadata and retries),
   * UNKNOWN_TOPIC_OR_PARTITION when the metadata has no such partition.
   */
  missingPartitionError(topic: string, index: number): number {
    const t = this.image?.topics.get(topic)
    return t?.partitions[index] !== undefined
      ? ErrorCode.NOT_LEADER_OR_FOLLOWER
      : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
  }

  missingError(topic: string | null, topicId: Uuid, index: number): number {
    if (topic !== null) return this.missingPartitionError(topic, index)
    const t = this.image?.topicsById.get(topicId)
    if (t === undefined)
      return this.hasTopicId(topicId) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.UNKNOWN_TOPIC_ID
    return this.missingPartitionError(t.name, index)
  }

  /** Every hosted partition. */
  *allPartitions(): Generator<Partition> {
    for (const t of this.topics.values()) for (const p of t.partitions) if (p !== undefined) yield p
  }

  // --- metadata ---

  /** Hears, in order, the local replica changes of every applied image (coordinators). */
  onLocalChanges(listener: (changes: LocalReplicaChanges, image: MetadataImage) => void): void {
    this.changeListeners.push(listener)
  }

  /** Brings the hosted partitions in line with `image` (serialized; resolves when applied). */
  applyImage(image: MetadataImage): Promise<void> {
    // The first image opens every partition at startup, before the broker serves: small files
    // (producer snapshots) are then read with blocking calls, much cheaper per file (fs.ts).
    const first = this.image === null && this.fs.withBlockingReads !== undefined
    const run = this.applying.then(() =>
      first ? this.fs.withBlockingReads!(() => this.apply(image)) : this.apply(image),
    )
    this.applying = run.catch((err) => this.logger.error('applying the metadata image failed', err))
    return run
  }

  /** Resolves once an image of at least `version` has been applied. */
  ready(version: number): Promise<void> {
    if (this.image !== null && this.image.version >= version) return Promise.resolve()
    return new Promise((resolve) => this.versionWaiters.push({ version, resolve }))
  }

  /** Applies the local changes between the last applied image and `image` (local-changes.ts). */
  private async apply(image: MetadataImage): Promise<void> {
    if (this.stopped) return
    this.replicationQuotas?.applyImage(image)
    const changes = localChanges(this.image, image, this.localBrokerId)
    try {
      // A partition leaves its fetcher before anything else happens to it: no fetched batch may
      // land after it was closed, truncated or made leader.
      const unfetch = [
        ...changes.removals.map((r) => ({ topic: r.topic.name as string, partition: r.partition })),
        ...changes.leaders.map((l) => ({ topic: l.topic.name as string, partition: l.partition.partition })),
        ...changes.followers.map((f) => ({
          topic: f.topic.name as string,
          partition: f.partition.partition,
        })),
      ]
      if (this.fetchers !== null && unfetch.length > 0) await this.fetchers.removePartitions(unfetch)
      // Partitions open and close a few dozen at a time (forEachBounded): each is a chain of
      // small file operations, and thousands in turn would leave the thread pool mostly idle.
      await forEachBounded(changes.removals, PARTITIONS_IN_FLIGHT, (r) =>
        this.removeReplica(r.topic, r.partition, r.deleteLog),
      )
      for (const t of changes.configChanged) {
        const hosted = this.topicsById.get(t.topicId)
        if (hosted === undefined) continue
        hosted.image = t
        hosted.config = this.logConfigFor(t, image)
        for (const p of hosted.partitions)
          p?.log.updateConfig({ ...this.logManager.defaultLogConfig, ...hosted.config })
      }
      const follow: { log: FollowerLog; leaderId: number; leaderEpoch: number }[] = []
      await forEachBounded([...changes.leaders, ...changes.followers], PARTITIONS_IN_FLIGHT, async (lp) => {
        try {
          const part = await this.applyPartition(lp.topic, lp.partition, image)
          if (lp.partition.leader !== this.localBrokerId && lp.partition.leader >= 0)
            follow.push({
              log: part.followerLog(),
              leaderId: lp.partition.leader,
              leaderEpoch: lp.partition.leaderEpoch,
            })
        } catch (err) {
          this.logger.error(`could not apply partition ${lp.topic.name}-${lp.partition.partition}`, err)
        }
      })
      if (this.fetchers !== null && follow.length > 0) this.fetchers.addPartitions(follow)
      // Once per start, on the first image a controller stands behind (in ZooKeeper mode the
      // image before the controller's first UpdateMetadata is empty: every log would look stray).
      if (!this.strayChecked && image.controllerId >= 0) {
        this.strayChecked = true
        this.warnStrayLogs(image)
      }
    } finally {
      // Waiters are released even when part of the image failed to apply (logged above): a
      // handler waiting for its change must not hang.
      this.image = image
      for (const l of this.changeListeners) {
        try {
          l(changes, image)
        } catch (err) {
          this.logger.error('a local-changes listener failed', err)
        }
      }
      for (let i = this.versionWaiters.length - 1; i >= 0; i--) {
        if (this.versionWaiters[i].version <= image.version) {
          this.versionWaiters[i].resolve()
          this.versionWaiters.splice(i, 1)
        }
      }
    }
  }

  /** A partition this broker now leads or follows: opened, or its state updated. */
  private async applyPartition(t: TopicImage, p: PartitionImage, image: MetadataImage): Promise<Partition> {
    let hosted = this.topicsById.get(t.topicId)
    if (hosted === undefined) {
      hosted = {
        name: t.name,
        topicId: t.topicId,
        image: t,
        config: this.logConfigFor(t, image),
        partitions: [],
      }
      this.topics.set(t.name, hosted)
      this.topicsById.set(t.topicId, hosted)
    }
    hosted.image = t
    const existing = hosted.partitions[p.partition]
    if (existing !== undefined) {
      existing.updateState(p)
      return existing
    }
    const part = await this.openPartition(t, p, hosted.config)
    hosted.partitions[p.partition] = part
    return part
  }

  /**
   * StopReplica with delete: the replica no longer belongs here (a reassignment moved it away, or
   * its topic is gone). A partition still hosted is closed first; then its log is deleted. Runs
   * in turn with image changes. A partition the image still assigns here is left alone.
   */
  deleteStoppedReplicas(partitions: readonly { topic: string; partition: number }[]): Promise<void> {
    const run = this.applying.then(async () => {
      if (this.fetchers !== null) await this.fetchers.removePartitions(partitions)
      for (const { topic, partition } of partitions) {
        const p = this.image?.topics.get(topic)?.partitions[partition]
        if (p?.replicas.includes(this.localBrokerId)) {
          this.logger.warn(
            `StopReplica(delete) for ${topic}-${partition}, which the metadata still assigns here: kept`,
          )
          continue
        }
        const hosted = this.topics.get(topic)
        const part = hosted?.partitions[partition]
        if (hosted !== undefined && part !== undefined) {
          hosted.partitions[partition] = undefined
          await part.close(ErrorCode.NOT_LEADER_OR_FOLLOWER, false)
        }
        try {
          if (this.logManager.getLog(topic, partition) !== undefined) {
            await this.logManager.deleteLog(topic, partition)
            this.logger.info(`Deleted the log of ${topic}-${partition} (replica stopped)`)
          }
        } catch (err) {
          this.logger.error(`could not delete the log of ${topic}-${partition}`, err)
        }
      }
    })
    this.applying = run.catch((err) => this.logger.error('deleting stopped replicas failed', err))
    return run
  }

  /** Stops hosting a partition; its log is deleted when the topic is gone. */
  private async removeReplica(t: TopicImage, index: number, deleteLog: boolean): Promise<void> {
    const hosted = this.topicsById.get(t.topicId)
    const part = hosted?.partitions[index]
    if (hosted !== undefined) {
      hosted.partitions[index] = undefined
      if (hosted.partitions.every((x) => x === undefined)) {
        if (this.topics.get(hosted.name) === hosted) this.topics.delete(hosted.name)
        this.topicsById.delete(hosted.topicId)
      }
    }
    if (part !== undefined)
      await part.close(
        deleteLog ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.NOT_LEADER_OR_FOLLOWER,
        !deleteLog,
      )
    if (!deleteLog) return
    try {
      if (this.logManager.getLog(t.name, index) !== undefined) await this.logManager.deleteLog(t.name, index)
    } catch (err) {
      this.logger.error(`could not delete the log of ${t.name}-${index}`, err)
    }
  }

  private async openPartition(
    t: TopicImage,
    p: PartitionImage,
    config: Partial<LogConfig>,
  ): Promise<Partition> {
    const existing = this.logManager.getLog(t.name, p.partition)
    if (existing !== undefined && existing.topicId !== null && existing.topicId !== t.topicId) {
      this.logger.warn(
        `log ${existing.name} belongs to topic id ${existing.topicId}, not ${t.topicId}: deleting it (stale incarnation)`,
      )
      await this.logManager.deleteLog(t.name, p.partition)
    }
    const log = await this.logManager.getOrCreateLog(t.name, p.partition, { topicId: t.topicId, config })
    log.updateConfig({ ...this.logManager.defaultLogConfig, ...config })
    return Partition.open({
      topic: t.name,
      index: p.partition,
      topicId: t.topicId,
      log,
      fs: this.fs,
      clock: this.clock,
      logger: this.logger,
      localBrokerId: this.localBrokerId,
      state: p,
      producerState: { expirationMs: this.producerIdExpirationMs },
      alterIsr: this.alterIsr,
    })
  }

  private warnStrayLogs(image: MetadataImage): void {
    for (const { log } of this.logManager.allLogs()) {
      const t = image.topics.get(log.topicPartition.topic)
      if (t === undefined || t.partitions[log.topicPartition.partition] === undefined) {
        this.logger.warn(`log ${log.name} belongs to no topic partition in the metadata; left in place`)
      }
    }
  }

  // --- produce ---

  /**
   * Appends the records of a Produce request (v3+; the handler refuses older versions). Returns
   * one outcome per partition, flat in request order; synchronously when nothing was queued.
   */
  appendRecords(req: ProduceInput): AppendOutcome[] | Promise<AppendOutcome[]> {
    return appendRecords(this, this.topics, this.clock, this.txnVerifier, this.requestTimeoutMs, req)
  }

  /** Sets (or removes) the KIP-890 verifier: the transaction coordinator's side. */
  setTxnVerifier(verifier: TxnVerifier | null): void {
    this.txnVerifier = verifier
  }

  // --- offsets ---

  /** DeleteRecords for one partition (internal topics refused, as Kafka refuses them to clients). */
  async deleteRecords(
    topic: string,
    index: number,
    offset: bigint,
  ): Promise<{ errorCode: number; lowWatermark: bigint }> {
    const hosted = this.topics.get(topic)
    const part = hosted?.partitions[index]
    if (part === undefined) return { errorCode: this.missingPartitionError(topic, index), lowWatermark: -1n }
    if (hosted!.image.internal) return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, lowWatermark: -1n }
    return part.deleteRecordsBefore(offset)
  }

  // --- fetch ---

  /** Reads for a Fetch request, waiting up to maxWaitMs for minBytes (see fetch-reader.ts). */
  fetch(params: FetchParams, inputs: readonly FetchPartitionInput[]): Promise<FetchPartitionResult[]> {
    const capped = params.replicaId < 0 ? Math.min(params.maxBytes, this.fetchMaxBytes) : params.maxBytes
    const p = capped === params.maxBytes ? params : { ...params, maxBytes: capped }
    return fetchRecords(this, this.clock, this.stopped ? { ...p, maxWaitMs: 0 } : p, inputs)
  }

  /**
   * KIP-392, at the leader of `part`: the replica the selector prefers for a consumer's fetch at
   * `fetchOffset` (ISR followers holding that offset, live on the client's listener), or -1.
   */
  preferredReadReplica(part: Partition, fetchOffset: bigint, client: ClientMetadata): number {
    const selector = this.replicaSelector
    const image = this.image
    if (selector === null || image === null || !part.isLeader) return NO_PREFERRED_REPLICA
    const followers = part.followerViews()
    if (followers.length === 0) return NO_PREFERRED_REPLICA
    let racks = this.racks
    if (racks === null || racks.image !== image || racks.listener !== client.listener) {
      racks = { image, listener: client.listener, byId: liveRacks(image, client.listener) }
      this.racks = racks
    }
    const byId = racks.byId
    return preferredReadReplica({
      selector,
      client,
      fetchOffset,
      leaderId: this.localBrokerId,
      leaderLogEndOffset: part.log.logEndOffset,
      isr: part.inSyncReplicas,
      followers,
      rackOf: (id) => (byId.has(id) ? byId.get(id)! : undefined),
    })
  }

  // --- lifecycle ---

  private scheduleIsrCheck(every: number): void {
    this.isrTimer = this.clock.setTimeout(() => {
      if (this.stopped) return
      const now = this.clock.now()
      for (const p of this.allPartitions()) p.maybeShrinkIsr(now, this.replicaLagTimeMaxMs)
      this.scheduleIsrCheck(every)
    }, every)
  }

  /** Followers' lag per hosted partition this broker leads (DescribeLogDirs). */
  followerLags(topic: string, index: number): Map<number, bigint> {
    return this.partition(topic, index)?.followerLags() ?? new Map()
  }

  private scheduleMaintenance(every: number): void {
    this.maintenanceTimer = this.clock.setTimeout(() => {
      if (this.stopped) return
      const now = this.clock.now()
      for (const p of this.allPartitions()) p.maintain(now)
      this.scheduleMaintenance(every)
    }, every)
  }

  /**
   * Stops the data path: queued appends finish, new ones and waiting fetches are answered with
   * NOT_LEADER_OR_FOLLOWER, and each partition writes a producer snapshot at its log end.
   */
  async shutdown(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.maintenanceTimer?.cancel()
    this.isrTimer?.cancel()
    await this.applying
    await this.fetchers?.shutdown()
    for (const w of this.versionWaiters.splice(0)) w.resolve()
    // Each close ends with a producer snapshot (an fsynced file): a few at a time, so thousands
    // of partitions still stop within seconds.
    const parts = [...this.allPartitions()]
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < parts.length) {
        const p = parts[next++]
        try {
          await p.close(ErrorCode.NOT_LEADER_OR_FOLLOWER, true)
        } catch (err) {
          this.logger.error(`closing ${p.name} failed`, err)
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(PARTITIONS_IN_FLIGHT, parts.length) }, worker))
  }
}
