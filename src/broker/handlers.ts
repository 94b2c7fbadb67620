// Every request handler the broker serves. ApiVersions advertises exactly these.
import type { AnyHandler } from '../server/handler.ts'
import { addOffsetsToTxnHandler } from '../server/handlers/add-offsets-to-txn.ts'
import { addPartitionsToTxnHandler } from '../server/handlers/add-partitions-to-txn.ts'
import { alterConfigsHandler } from '../server/handlers/alter-configs.ts'
import { alterPartitionHandler } from '../server/handlers/alter-partition.ts'
import { alterPartitionReassignmentsHandler } from '../server/handlers/alter-partition-reassignments.ts'
import { apiVersionsHandler } from '../server/handlers/api-versions.ts'
import { consumerGroupDescribeHandler } from '../server/handlers/consumer-group-describe.ts'
import { consumerGroupHeartbeatHandler } from '../server/handlers/consumer-group-heartbeat.ts'
import { controlledShutdownHandler } from '../server/handlers/controlled-shutdown.ts'
import { createAclsHandler } from '../server/handlers/create-acls.ts'
import { createPartitionsHandler } from '../server/handlers/create-partitions.ts'
import { createTopicsHandler } from '../server/handlers/create-topics.ts'
import { deleteAclsHandler } from '../server/handlers/delete-acls.ts'
import { deleteGroupsHandler } from '../server/handlers/delete-groups.ts'
import { deleteRecordsHandler } from '../server/handlers/delete-records.ts'
import { deleteTopicsHandler } from '../server/handlers/delete-topics.ts'
import { describeAclsHandler } from '../server/handlers/describe-acls.ts'
import { describeClusterHandler } from '../server/handlers/describe-cluster.ts'
import { describeConfigsHandler } from '../server/handlers/describe-configs.ts'
import { describeGroupsHandler } from '../server/handlers/describe-groups.ts'
import { describeLogDirsHandler } from '../server/handlers/describe-log-dirs.ts'
import { describeProducersHandler } from '../server/handlers/describe-producers.ts'
import { describeTopicPartitionsHandler } from '../server/handlers/describe-topic-partitions.ts'
import { describeTransactionsHandler } from '../server/handlers/describe-transactions.ts'
import { electLeadersHandler } from '../server/handlers/elect-leaders.ts'
import { endTxnHandler } from '../server/handlers/end-txn.ts'
import { fetchHandler } from '../server/handlers/fetch.ts'
import { findCoordinatorHandler } from '../server/handlers/find-coordinator.ts'
import { heartbeatHandler } from '../server/handlers/heartbeat.ts'
import { incrementalAlterConfigsHandler } from '../server/handlers/incremental-alter-configs.ts'
import { initProducerIdHandler } from '../server/handlers/init-producer-id.ts'
import { joinGroupHandler } from '../server/handlers/join-group.ts'
import { leaderAndIsrHandler } from '../server/handlers/leader-and-isr.ts'
import { leaveGroupHandler } from '../server/handlers/leave-group.ts'
import { listClientMetricsResourcesHandler } from '../server/handlers/list-client-metrics-resources.ts'
import { listGroupsHandler } from '../server/handlers/list-groups.ts'
import { listOffsetsHandler } from '../server/handlers/list-offsets.ts'
import { listPartitionReassignmentsHandler } from '../server/handlers/list-partition-reassignments.ts'
import { listTransactionsHandler } from '../server/handlers/list-transactions.ts'
import { metadataHandler } from '../server/handlers/metadata.ts'
import { offsetCommitHandler } from '../server/handlers/offset-commit.ts'
import { offsetDeleteHandler } from '../server/handlers/offset-delete.ts'
import { offsetFetchHandler } from '../server/handlers/offset-fetch.ts'
import { offsetForLeaderEpochHandler } from '../server/handlers/offset-for-leader-epoch.ts'
import { produceHandler } from '../server/handlers/produce.ts'
import { readShareGroupStateHandler } from '../server/handlers/read-share-group-state.ts'
import { saslAuthenticateHandler } from '../server/handlers/sasl-authenticate.ts'
import { saslHandshakeHandler } from '../server/handlers/sasl-handshake.ts'
import { shareAcknowledgeHandler } from '../server/handlers/share-acknowledge.ts'
import { shareFetchHandler } from '../server/handlers/share-fetch.ts'
import { shareGroupDescribeHandler } from '../server/handlers/share-group-describe.ts'
import { shareGroupHeartbeatHandler } from '../server/handlers/share-group-heartbeat.ts'
import { stopReplicaHandler } from '../server/handlers/stop-replica.ts'
import { syncGroupHandler } from '../server/handlers/sync-group.ts'
import { txnOffsetCommitHandler } from '../server/handlers/txn-offset-commit.ts'
import { updateFeaturesHandler } from '../server/handlers/update-features.ts'
import { updateMetadataHandler } from '../server/handlers/update-metadata.ts'
import { writeShareGroupStateHandler } from '../server/handlers/write-share-group-state.ts'
import { writeTxnMarkersHandler } from '../server/handlers/write-txn-markers.ts'
import type { BrokerServices } from './services.ts'

export const HANDLERS = [
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  metadataHandler,
  offsetCommitHandler,
  offsetFetchHandler,
  findCoordinatorHandler,
  joinGroupHandler,
  heartbeatHandler,
  leaveGroupHandler,
  syncGroupHandler,
  describeGroupsHandler,
  consumerGroupHeartbeatHandler,
  consumerGroupDescribeHandler,
  listGroupsHandler,
  offsetForLeaderEpochHandler,
  saslHandshakeHandler,
  saslAuthenticateHandler,
  apiVersionsHandler,
  createTopicsHandler,
  deleteTopicsHandler,
  deleteRecordsHandler,
  initProducerIdHandler,
  addPartitionsToTxnHandler,
  addOffsetsToTxnHandler,
  endTxnHandler,
  txnOffsetCommitHandler,
  describeAclsHandler,
  createAclsHandler,
  deleteAclsHandler,
  describeConfigsHandler,
  alterConfigsHandler,
  describeLogDirsHandler,
  createPartitionsHandler,
  deleteGroupsHandler,
  incrementalAlterConfigsHandler,
  offsetDeleteHandler,
  describeClusterHandler,
  electLeadersHandler,
  alterPartitionReassignmentsHandler,
  listPartitionReassignmentsHandler,
  writeTxnMarkersHandler,
  describeProducersHandler,
  describeTransactionsHandler,
  listTransactionsHandler,
  describeTopicPartitionsHandler,
  listClientMetricsResourcesHandler,
  shareGroupHeartbeatHandler,
  shareGroupDescribeHandler,
  shareFetchHandler,
  shareAcknowledgeHandler,
  readShareGroupStateHandler,
  writeShareGroupStateHandler,
  updateFeaturesHandler,
] as readonly AnyHandler<BrokerServices>[]

/** The controller-to-broker APIs, served only in ZooKeeper mode (a KRaft-era broker has none). */
export const CLUSTER_HANDLERS = [
  leaderAndIsrHandler,
  stopReplicaHandler,
  updateMetadataHandler,
  controlledShutdownHandler,
  alterPartitionHandler,
] as readonly AnyHandler<BrokerServices>[]
