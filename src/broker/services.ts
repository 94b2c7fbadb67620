// The services object handed to every handler. Each handler declares the small interface it needs
// (ApiVersionsServices, ProduceServices, MetadataServices, ...); this class implements all of them
// over the broker's components, and the type below checks that at compile time.

import type { Clock } from '../common/clock.ts'
import type { Fs } from '../common/fs.ts'
import type { Logger } from '../common/logger.ts'
import type { BrokerConfig } from '../config/broker-config.ts'
import { interBrokerListener } from '../config/broker-defs-cluster.ts'
import { groupConfigOf, OFFSETS_TOPIC, offsetsTopicSpec } from '../coordinator/group/group-config.ts'
import { GroupCoordinator } from '../coordinator/group/group-coordinator.ts'
import { ReplicaCoordinatorLog } from '../coordinator/runtime/replica-coordinator-log.ts'
import { shareConfigOf, shareStateTopicSpec } from '../coordinator/share/share-config.ts'
import { SHARE_STATE_TOPIC, ShareCoordinator } from '../coordinator/share/share-coordinator.ts'
import { ShareGroups } from '../coordinator/share/share-groups.ts'
import { SharePersister } from '../coordinator/share/share-persister.ts'
import {
  TRANSACTION_STATE_TOPIC,
  transactionStateTopicSpec,
  txnConfigOf,
} from '../coordinator/txn/txn-config.ts'
import { TxnCoordinator } from '../coordinator/txn/txn-coordinator.ts'
import {
  type RemoteMarkerWriters,
  remoteMarkerWriters,
  TxnMarkerSender,
} from '../coordinator/txn/txn-marker-sender.ts'
import type { MetadataImage } from '../metadata/image.ts'
import type { MetadataStore } from '../metadata/store.ts'
import type { ReplicaFetcherManager } from '../replication/fetcher/fetcher-manager.ts'
import type { AlterIsr } from '../replication/partition.ts'
import { ProducerIdAllocator } from '../replication/producer-state/producer-id-allocator.ts'
import { ReplicaManager } from '../replication/replica-manager.ts'
import { replicaSelectorFor } from '../replication/replica-selector.ts'
import type { ReplicationQuotas } from '../replication/replication-quota.ts'
import { topicLogConfigResolver } from '../replication/topic-log-config.ts'
import { type LocalTxnMarkerWriter, localTxnMarkerWriter } from '../replication/txn-markers.ts'
import type { Authorizer } from '../security/authorizer.ts'
import { FetchSessionCache } from '../server/fetch-session.ts'
import type { AddOffsetsToTxnServices } from '../server/handlers/add-offsets-to-txn.ts'
import type { AddPartitionsToTxnServices } from '../server/handlers/add-partitions-to-txn.ts'
import type { AlterConfigsServices } from '../server/handlers/alter-configs.ts'
import type { AlterPartitionServices } from '../server/handlers/alter-partition.ts'
import type { AlterPartitionReassignmentsServices } from '../server/handlers/alter-partition-reassignments.ts'
import type { ApiVersionsServices } from '../server/handlers/api-versions.ts'
import type { ConsumerGroupDescribeServices } from '../server/handlers/consumer-group-describe.ts'
import type { ConsumerGroupHeartbeatServices } from '../server/handlers/consumer-group-heartbeat.ts'
import type { ControlledShutdownServices } from '../server/handlers/controlled-shutdown.ts'
import type { CreatePartitionsServices } from '../server/handlers/create-partitions.ts'
import type { CreateTopicsServices } from '../server/handlers/create-topics.ts'
import type { DeleteGroupsServices } from '../server/handlers/delete-groups.ts'
import type { DeleteRecordsServices } from '../server/handlers/delete-records.ts'
import type { DeleteTopicsServices } from '../server/handlers/delete-topics.ts'
import type { DescribeClusterServices } from '../server/handlers/describe-cluster.ts'
import type { DescribeConfigsServices } from '../server/handlers/describe-configs.ts'
import type { DescribeGroupsServices } from '../server/handlers/describe-groups.ts'
import {
  type DescribeLogDirsServices,
  type LogDirDescription,
  logDirsOf,
} from '../server/handlers/describe-log-dirs.ts'
import type { DescribeProducersServices } from '../server/handlers/describe-producers.ts'
import type { DescribeTransactionsServices } from '../server/handlers/describe-transactions.ts'
import type { ElectLeadersServices } from '../server/handlers/elect-leaders.ts'
import type { EndTxnServices } from '../server/handlers/end-txn.ts'
import type { FeatureStore } from '../server/handlers/feature-state.ts'
import type { FetchServices, FetchTraffic } from '../server/handlers/fetch.ts'
import type { FindCoordinatorServices } from '../server/handlers/find-coordinator.ts'
import type { HeartbeatServices } from '../server/handlers/heartbeat.ts'
import type { IncrementalAlterConfigsServices } from '../server/handlers/incremental-alter-configs.ts'
import type { InitProducerIdServices } from '../server/handlers/init-producer-id.ts'
import type { JoinGroupServices } from '../server/handlers/join-group.ts'
import type { LeaderAndIsrServices } from '../server/handlers/leader-and-isr.ts'
import type { LeaveGroupServices } from '../server/handlers/leave-group.ts'
import type { ListGroupsServices } from '../server/handlers/list-groups.ts'
import type { ListOffsetsServices } from '../server/handlers/list-offsets.ts'
import type { ListPartitionReassignmentsServices } from '../server/handlers/list-partition-reassignments.ts'
import type { ListTransactionsServices } from '../server/handlers/list-transactions.ts'
import type { MetadataServices } from '../server/handlers/metadata.ts'
import type { OffsetCommitServices } from '../server/handlers/offset-commit.ts'
import type { OffsetDeleteServices } from '../server/handlers/offset-delete.ts'
import type { OffsetFetchServices } from '../server/handlers/offset-fetch.ts'
import type { OffsetForLeaderEpochServices } from '../server/handlers/offset-for-leader-epoch.ts'
import type { ProduceServices, ProduceTraffic } from '../server/handlers/produce.ts'
import type { ReadShareGroupStateServices } from '../server/handlers/read-share-group-state.ts'
import type { ShareAcknowledgeServices } from '../server/handlers/share-acknowledge.ts'
import type { ShareFetchServices } from '../server/handlers/share-fetch.ts'
import type { ShareGroupDescribeServices } from '../server/handlers/share-group-describe.ts'
import type { ShareGroupHeartbeatServices } from '../server/handlers/share-group-heartbeat.ts'
import type { StopReplicaServices } from '../server/handlers/stop-replica.ts'
import type { SyncGroupServices } from '../server/handlers/sync-group.ts'
import type { TxnOffsetCommitServices } from '../server/handlers/txn-offset-commit.ts'
import type { UpdateMetadataServices } from '../server/handlers/update-metadata.ts'
import type { WriteShareGroupStateServices } from '../server/handlers/write-share-group-state.ts'
import type { WriteTxnMarkersServices } from '../server/handlers/write-txn-markers.ts'
import type { ApiRange } from '../server/registry.ts'
import { SharePartitions } from '../share/share-partitions.ts'
import type { LogManager } from '../storage/log-manager.ts'
import type { ClusterRole } from './cluster-role.ts'

export type AllHandlerServices = ApiVersionsServices &
  MetadataServices &
  CreateTopicsServices &
  DeleteTopicsServices &
  CreatePartitionsServices &
  DescribeConfigsServices &
  AlterConfigsServices &
  IncrementalAlterConfigsServices &
  DescribeClusterServices &
  DescribeLogDirsServices &
  ProduceServices &
  FetchServices &
  ListOffsetsServices &
  OffsetForLeaderEpochServices &
  DeleteRecordsServices &
  InitProducerIdServices &
  FindCoordinatorServices &
  JoinGroupServices &
  SyncGroupServices &
  HeartbeatServices &
  LeaveGroupServices &
  OffsetCommitServices &
  OffsetFetchServices &
  ListGroupsServices &
  DescribeGroupsServices &
  ConsumerGroupHeartbeatServices &
  ConsumerGroupDescribeServices &
  DeleteGroupsServices &
  OffsetDeleteServices &
  LeaderAndIsrServices &
  UpdateMetadataServices &
  StopReplicaServices &
  ControlledShutdownServices &
  ElectLeadersServices &
  AlterPartitionServices &
  AlterPartitionReassignmentsServices &
  ListPartitionReassignmentsServices &
  WriteTxnMarkersServices &
  AddPartitionsToTxnServices &
  AddOffsetsToTxnServices &
  EndTxnServices &
  TxnOffsetCommitServices &
  DescribeTransactionsServices &
  DescribeProducersServices &
  ListTransactionsServices &
  ShareGroupHeartbeatServices &
  ShareGroupDescribeServices &
  ShareFetchServices &
  ShareAcknowledgeServices &
  ReadShareGroupStateServices &
  WriteShareGroupStateServices

export interface ServiceDeps {
  config: BrokerConfig
  store: MetadataStore
  logs: LogManager
  fs: Fs
  clock: Clock
  log: Logger
  nodeId: number
  /** The controller conversation (ZooKeeper mode) or its standalone stand-in. */
  cluster: (services: BrokerServices) => ClusterRole
  /** Cluster mode: ISR changes to the controller and the replica fetchers. */
  replication?: {
    alterIsr: AlterIsr
    fetchers: ReplicaFetcherManager
    replicaLagTimeMaxMs: number
    /** Replication throttles (KIP-73); absent: none. */
    quotas?: ReplicationQuotas
  }
  /** Producer id blocks from ZooKeeper in cluster mode; default: the log dir's block file. */
  producerIds?: { generate(): Promise<bigint> }
}

export class BrokerServices implements AllHandlerServices {
  readonly nodeId: number
  readonly metadata: MetadataStore
  readonly replicaManager: ReplicaManager
  readonly fetchSessions: FetchSessionCache
  readonly producerIds: { generate(): Promise<bigint> }
  readonly cluster: ClusterRole
  readonly groupCoordinator: GroupCoordinator
  readonly txnCoordinator: TxnCoordinator
  /** Share groups (KIP-932): membership, the state persister, the share-partitions led here. */
  readonly shareGroups: ShareGroups
  readonly shareCoordinator: ShareCoordinator
  readonly sharePartitions: SharePartitions
  private readonly sharePersister: SharePersister
  /**
   * Writes transaction markers on the partitions this broker leads: for the local transaction
   * coordinator and for WriteTxnMarkers from other brokers' coordinators. Markers on
   * __consumer_offsets partitions are passed on to the group coordinator (pending TxnOffsetCommits).
   */
  readonly txnMarkerWriter: LocalTxnMarkerWriter
  /** Per-topic produce/fetch counters while metrics are on (broker/observability-wiring.ts). */
  traffic: (ProduceTraffic & FetchTraffic) | null = null
  /** The ACL authorizer (authorizer.class.name), or null: nothing is checked. */
  authorizer: Authorizer | null = null
  /** The finalized features (/feature in ZooKeeper mode; absent: a standalone broker's). */
  features: FeatureStore | undefined = undefined
  /** Whether this broker is the active controller (UpdateFeatures answers NOT_CONTROLLER if not). */
  isActiveController: (() => boolean) | undefined = undefined
  private readonly remoteMarkers: RemoteMarkerWriters
  private readonly config: BrokerConfig
  private readonly logs: LogManager
  private readonly unsubscribe: () => void
  private ranges: () => ApiRange[] = () => []

  constructor(d: ServiceDeps) {
    this.nodeId = d.nodeId
    this.metadata = d.store
    this.config = d.config
    this.logs = d.logs
    this.replicaManager = new ReplicaManager({
      logManager: d.logs,
      fs: d.fs,
      clock: d.clock,
      logger: d.log.child('replica'),
      localBrokerId: d.nodeId,
      logConfigFor: topicLogConfigResolver(d.config.static, d.nodeId),
      producerIdExpirationMs: d.config.producerIdExpirationMs,
      fetchMaxBytes: d.config.fetchMaxBytes,
      alterIsr: d.replication?.alterIsr ?? null,
      fetchers: d.replication?.fetchers ?? null,
      replicaLagTimeMaxMs: d.replication?.replicaLagTimeMaxMs,
      replicationQuotas: d.replication?.quotas ?? null,
      replicaSelector: replicaSelectorFor(
        d.config.values.get('replica.selector.class')?.value as string | null,
      ),
    })
    this.fetchSessions = new FetchSessionCache({
      clock: d.clock,
      maxEntries: d.config.maxIncrementalFetchSessionCacheSlots,
    })
    this.producerIds =
      d.producerIds ?? new ProducerIdAllocator({ fs: d.fs, logDir: d.config.logDirs[0], brokerId: d.nodeId })
    this.groupCoordinator = new GroupCoordinator({
      log: new ReplicaCoordinatorLog(this.replicaManager, OFFSETS_TOPIC),
      clock: d.clock,
      logger: d.log.child('group-coordinator'),
      config: groupConfigOf(d.config),
      nodeId: d.nodeId,
      metadata: d.store,
      offsetsTopic: offsetsTopicSpec(d.config),
    })
    this.txnMarkerWriter = localTxnMarkerWriter(this.replicaManager, {
      clock: d.clock,
      onOffsetsMarker: (partition, producerId, _epoch, commit, offset) =>
        this.groupCoordinator.onTxnMarker(partition, producerId, commit, offset),
    })
    this.txnCoordinator = new TxnCoordinator({
      log: new ReplicaCoordinatorLog(this.replicaManager, TRANSACTION_STATE_TOPIC),
      clock: d.clock,
      logger: d.log.child('txn-coordinator'),
      config: txnConfigOf(d.config),
      metadata: d.store,
      topicSpec: transactionStateTopicSpec(d.config),
      producerIds: this.producerIds,
    })
    const shareConfig = shareConfigOf(d.config)
    this.shareCoordinator = new ShareCoordinator({
      log: new ReplicaCoordinatorLog(this.replicaManager, SHARE_STATE_TOPIC),
      clock: d.clock,
      logger: d.log.child('share-coordinator'),
      metadata: d.store,
      topicSpec: () => shareStateTopicSpec(shareConfig, Math.max(1, d.store.image().brokers.size)),
      numPartitions: shareConfig.stateTopicPartitions,
    })
    // Reads and writes share state here or at the __share_group_state leader (inter-broker).
    this.sharePersister = new SharePersister({
      nodeId: d.nodeId,
      image: () => d.store.image(),
      coordinator: this.shareCoordinator,
      listenerName: interBrokerListener(d.config),
      requestTimeoutMs: 30_000,
      clock: d.clock,
      logger: d.log.child('share-persister'),
    })
    this.sharePartitions = new SharePartitions({
      replicaManager: this.replicaManager,
      coordinator: this.sharePersister,
      config: shareConfig,
      clock: d.clock,
      logger: d.log.child('share-partitions'),
    })
    this.shareGroups = new ShareGroups(shareConfig, d.clock, () => d.store.image())
    this.shareGroups.onMemberLeft = (groupId, memberId) =>
      void this.sharePartitions.releaseMember(groupId, memberId).catch(() => {})
    this.remoteMarkers = remoteMarkerWriters({
      nodeId: d.nodeId,
      image: () => d.store.image(),
      listenerName: interBrokerListener(d.config),
      requestTimeoutMs: 30_000,
      logger: d.log.child('txn-markers'),
    })
    this.txnCoordinator.setMarkerSender(
      new TxnMarkerSender({
        nodeId: d.nodeId,
        image: () => d.store.image(),
        local: () => this.txnMarkerWriter,
        remote: (id) => this.remoteMarkers.writer(id),
        clock: d.clock,
        logger: d.log.child('txn-markers'),
        backoffMs: txnConfigOf(d.config).markerRetryBackoffMs,
      }),
    )
    // The coordinators hear which __consumer_offsets / __transaction_state partitions this broker
    // leads from the replica manager's local changes (computed once per metadata change), after
    // their logs are open.
    this.replicaManager.onLocalChanges((changes, image) => {
      this.groupCoordinator.onLocalChanges(changes, image)
      this.txnCoordinator.onLocalChanges(changes, image)
      this.shareCoordinator.onLocalChanges(changes, image)
    })
    this.cluster = d.cluster(this)
    // Every published metadata change reaches the data path in order (logs created, deleted,
    // reconfigured), then the coordinator (it loads the __consumer_offsets partitions it leads
    // from their logs, so only after they exist); handlers that changed metadata await ready().
    this.unsubscribe = d.store.subscribe((change) => {
      this.apply(change.image).catch((err) => d.log.error('applying metadata failed', err))
    })
  }

  private apply(image: MetadataImage): Promise<void> {
    return this.replicaManager.applyImage(image)
  }

  /** Opens the partitions of the current image and loads the coordinator's. */
  async start(): Promise<void> {
    await this.apply(this.metadata.image())
  }

  brokerConfig(): BrokerConfig {
    return this.config
  }

  setApiRanges(fn: () => ApiRange[]): void {
    this.ranges = fn
  }

  apiRanges(): ApiRange[] {
    return this.ranges()
  }

  awaitTopicsReady(): Promise<void> {
    return this.replicaManager.ready(this.metadata.image().version)
  }

  onTopicConfigChange(): Promise<void> {
    return this.replicaManager.ready(this.metadata.image().version)
  }

  onBrokerConfigChange(): Promise<void> {
    return this.replicaManager.ready(this.metadata.image().version)
  }

  describeLogDirs(): Promise<readonly LogDirDescription[]> {
    return logDirsOf(this.logs)()
  }

  /** First step of shutdown: parked group requests (a JoinGroup in a rebalance) are answered now. */
  beginShutdown(): void {
    this.groupCoordinator.shutdown()
    this.txnCoordinator.shutdown()
    this.shareGroups.shutdown()
    this.shareCoordinator.shutdown()
    this.sharePersister.close()
    this.remoteMarkers.close()
  }

  async close(): Promise<void> {
    this.unsubscribe()
    await this.replicaManager.shutdown()
  }
}

export async function buildServices(d: ServiceDeps): Promise<BrokerServices> {
  const s = new BrokerServices(d)
  await s.start()
  return s
}
