// UpdateMetadata: v0-8 (flexible from v6). Controller → every broker in ZooKeeper mode: the live
// brokers and the state of the partitions that changed (or all of them), which feeds the broker's
// metadata cache. The handler reshapes every version into one UpdateMetadataInput for the cluster
// service, which checks the epochs and applies it; the answer is only an error code.
//
// Version shapes: partition states are ungrouped with their topic name up to v4 and grouped by
// topic from v5, with the topic id from v7 (ZERO_UUID before); offline replicas from v4. A live
// broker has one host/port in v0 (taken as a PLAINTEXT endpoint on the PLAINTEXT listener),
// endpoints with a security protocol from v1, whose listener name is the protocol's name until v3
// names it; rack from v2 (null before). Broker epoch from v5 (-1 before); type (v8, tagged; 0
// before) and isKRaftController (v8, ZK→KRaft migration; not used) come from KIP-866.

import type { TopicName, Uuid } from '../../common/ids.ts'
import {
  type UpdateMetadataRequest,
  type UpdateMetadataRequestUpdateMetadataBroker,
  type UpdateMetadataResponse,
  updateMetadataRequestCodec,
  updateMetadataResponseCodec,
} from '../../protocol/generated/messages/update-metadata.ts'
import type { Handler } from '../handler.ts'
import { flatPartitionStates } from './partition-states.ts'

export interface UpdateMetadataPartitionInput {
  readonly topicName: TopicName
  /** ZERO_UUID before v7. */
  readonly topicId: Uuid
  readonly partitionIndex: number
  readonly controllerEpoch: number
  readonly leader: number
  readonly leaderEpoch: number
  readonly isr: readonly number[]
  readonly zkVersion: number
  readonly replicas: readonly number[]
  /** Empty before v4. */
  readonly offlineReplicas: readonly number[]
}

export interface UpdateMetadataEndpointInput {
  readonly host: string
  readonly port: number
  readonly listener: string
  /** Kafka's security protocol id: 0 PLAINTEXT, 1 SSL, 2 SASL_PLAINTEXT, 3 SASL_SSL. */
  readonly securityProtocol: number
}

export interface UpdateMetadataBrokerInput {
  readonly id: number
  /** null before v2. */
  readonly rack: string | null
  readonly endpoints: readonly UpdateMetadataEndpointInput[]
}

export interface UpdateMetadataInput {
  readonly controllerId: number
  readonly controllerEpoch: number
  /** -1n when the version has none (v0-4). */
  readonly brokerEpoch: bigint
  /** 0 (unknown) before v8; 1 incremental, 2 full. */
  readonly type: number
  readonly partitions: readonly UpdateMetadataPartitionInput[]
  readonly liveBrokers: readonly UpdateMetadataBrokerInput[]
}

export interface UpdateMetadataServices {
  readonly cluster: { updateMetadata(input: UpdateMetadataInput): Promise<number /* errorCode */> }
}

/** Kafka's security protocol ids, by id: the listener name of a v1-2 endpoint. */
const PROTOCOL_NAMES = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL']
const PLAINTEXT = 0

function protocolName(id: number): string {
  return PROTOCOL_NAMES[id] ?? `UNKNOWN_SECURITY_PROTOCOL_${id}`
}

/** Every partition state of the request with its topic, whatever the version's layout. */
function partitionsOf(req: UpdateMetadataRequest, version: number) {
  return flatPartitionStates(req.ungroupedPartitionStates, req.topicStates, version >= 5, version >= 7)
}

function brokerOf(b: UpdateMetadataRequestUpdateMetadataBroker, version: number): UpdateMetadataBrokerInput {
  const endpoints =
    version === 0
      ? [{ host: b.v0Host, port: b.v0Port, listener: protocolName(PLAINTEXT), securityProtocol: PLAINTEXT }]
      : b.endpoints.map((e) => ({
          host: e.host,
          port: e.port,
          listener: version >= 3 ? e.listener : protocolName(e.securityProtocol),
          securityProtocol: e.securityProtocol,
        }))
  return { id: b.id, rack: version >= 2 ? b.rack : null, endpoints }
}

/** The version-neutral input for a decoded request. */
export function updateMetadataInput(req: UpdateMetadataRequest, version: number): UpdateMetadataInput {
  return {
    controllerId: req.controllerId,
    controllerEpoch: req.controllerEpoch,
    brokerEpoch: version >= 5 ? req.brokerEpoch : -1n,
    type: version >= 8 ? req.type : 0,
    partitions: partitionsOf(req, version).map(({ topicName, topicId, state: s }) => ({
      topicName,
      topicId,
      partitionIndex: s.partitionIndex,
      controllerEpoch: s.controllerEpoch,
      leader: s.leader,
      leaderEpoch: s.leaderEpoch,
      isr: s.isr,
      zkVersion: s.zkVersion,
      replicas: s.replicas,
      offlineReplicas: version >= 4 ? s.offlineReplicas : [],
    })),
    liveBrokers: req.liveBrokers.map((b) => brokerOf(b, version)),
  }
}

export const updateMetadataHandler: Handler<
  UpdateMetadataRequest,
  UpdateMetadataResponse,
  UpdateMetadataServices
> = {
  apiKey: 6,
  minVersion: 0,
  maxVersion: 8,
  request: updateMetadataRequestCodec,
  response: updateMetadataResponseCodec,

  async handle(ctx, req, services) {
    return { errorCode: await services.cluster.updateMetadata(updateMetadataInput(req, ctx.apiVersion)) }
  },

  errorResponse(_req, _version, errorCode) {
    return { errorCode }
  },
}
