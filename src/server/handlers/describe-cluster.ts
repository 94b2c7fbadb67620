// DescribeCluster: v0-1 (flexible from v0). Cluster id, controller id and the live brokers reachable on
// the request's listener (see metadata-brokers.ts), as Kafka's broker answers it. The controller id
// is -1 when it is not among the listed brokers, so clients are never pointed at a node they cannot
// reach. Endpoint type (v1): 1 (brokers) is served; 2 (controllers) answers MISMATCHED_ENDPOINT_TYPE
// and any other value UNSUPPORTED_ENDPOINT_TYPE (INVALID_REQUEST in v0, which cannot carry either).
// Cluster authorized operations: -2147483648 unless asked for; when asked, every cluster operation
// without an authorizer, else those the authorizer allows the caller.

import type { BrokerId } from '../../common/ids.ts'
import type { MetadataStore } from '../../metadata/store.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type DescribeClusterRequest,
  type DescribeClusterResponse,
  describeClusterRequestCodec,
  describeClusterResponseCodec,
} from '../../protocol/generated/messages/describe-cluster.ts'
import { CLUSTER_NAME, ResourceType } from '../../security/acl-types.ts'
import { type Authorizing, authorizedOps, callerOf } from '../../security/authorizer-check.ts'
import type { Handler } from '../handler.ts'
import { AUTHORIZED_OPS_NOT_REQUESTED, CLUSTER_AUTHORIZED_OPS, liveBrokers } from './metadata-brokers.ts'

export interface DescribeClusterServices extends Authorizing {
  readonly metadata: MetadataStore
}

/** Every cluster operation without an authorizer, else those it allows the caller. */
function clusterOps(ctx: Parameters<DescribeClusterHandler['handle']>[0], services: DescribeClusterServices) {
  const caller = callerOf(services.authorizer, ctx.connection)
  return caller === null ? CLUSTER_AUTHORIZED_OPS : authorizedOps(caller, ResourceType.CLUSTER, CLUSTER_NAME)
}

type DescribeClusterHandler = Handler<
  DescribeClusterRequest,
  DescribeClusterResponse,
  DescribeClusterServices
>

const BROKERS = 1
const CONTROLLERS = 2

export const describeClusterHandler: Handler<
  DescribeClusterRequest,
  DescribeClusterResponse,
  DescribeClusterServices
> = {
  apiKey: 60,
  minVersion: 0,
  maxVersion: 1,
  request: describeClusterRequestCodec,
  response: describeClusterResponseCodec,

  handle(ctx, req, services) {
    const version = ctx.apiVersion
    if (req.endpointType !== BROKERS) {
      const known = req.endpointType === CONTROLLERS
      return {
        ...describeClusterResponseCodec.defaults(version),
        errorCode:
          version === 0
            ? ErrorCode.INVALID_REQUEST
            : known
              ? ErrorCode.MISMATCHED_ENDPOINT_TYPE
              : ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
        errorMessage: known
          ? 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER'
          : `Unsupported endpoint type ${req.endpointType}`,
      }
    }
    const image = services.metadata.image()
    const brokers = liveBrokers(image, ctx.connection.listener)
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      endpointType: BROKERS,
      clusterId: image.clusterId,
      controllerId: (brokers.has(image.controllerId) ? image.controllerId : -1) as BrokerId,
      brokers: [...brokers.values()].map((b) => ({
        brokerId: b.id,
        host: b.host,
        port: b.port,
        rack: b.rack,
      })),
      clusterAuthorizedOperations: req.includeClusterAuthorizedOperations
        ? clusterOps(ctx, services)
        : AUTHORIZED_OPS_NOT_REQUESTED,
    }
  },

  errorResponse(_req, version, errorCode) {
    return { ...describeClusterResponseCodec.defaults(version), errorCode }
  },
}
