// ControlledShutdown: v0-3 (flexible from v3). Broker → controller in ZooKeeper mode: a broker
// about to stop asks the controller to move its leaderships away first, and is told which
// partitions it still leads (it retries until none, or gives up and stops anyway). v0 is sent
// with request header v0 (no client id; frame.ts knows). The broker epoch is in the request from
// v2 (-1n before: the controller then cannot tell a restarted broker from the old one). The
// cluster service decides everything, including NOT_CONTROLLER on a broker that is not the
// controller and STALE_BROKER_EPOCH.

import type { TopicName } from '../../common/ids.ts'
import {
  type ControlledShutdownRequest,
  type ControlledShutdownResponse,
  controlledShutdownRequestCodec,
  controlledShutdownResponseCodec,
} from '../../protocol/generated/messages/controlled-shutdown.ts'
import type { Handler } from '../handler.ts'

export interface ControlledShutdownResult {
  readonly errorCode: number
  /** Partitions the broker still leads (it should retry, then stop). */
  readonly remaining: readonly { readonly topicName: string; readonly partitionIndex: number }[]
}

export interface ControlledShutdownServices {
  readonly cluster: {
    controlledShutdown(brokerId: number, brokerEpoch: bigint): Promise<ControlledShutdownResult>
  }
}

export const controlledShutdownHandler: Handler<
  ControlledShutdownRequest,
  ControlledShutdownResponse,
  ControlledShutdownServices
> = {
  apiKey: 7,
  minVersion: 0,
  maxVersion: 3,
  request: controlledShutdownRequestCodec,
  response: controlledShutdownResponseCodec,

  async handle(ctx, req, services) {
    const brokerEpoch = ctx.apiVersion >= 2 ? req.brokerEpoch : -1n
    const result = await services.cluster.controlledShutdown(req.brokerId, brokerEpoch)
    return {
      errorCode: result.errorCode,
      remainingPartitions: result.remaining.map((p) => ({
        topicName: p.topicName as TopicName,
        partitionIndex: p.partitionIndex,
      })),
    }
  },

  errorResponse(_req, _version, errorCode) {
    return { errorCode, remainingPartitions: [] }
  },
}
