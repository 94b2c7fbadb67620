// AlterConfigs: v0-2 (flexible from v2). The legacy, non-incremental API: the configs given for a
// resource become its complete set of overrides (anything not listed is removed), as Kafka does.
// Resources: TOPIC (topic overrides) and BROKER (this node's id: its dynamic per-broker layer; "":
// the cluster-wide dynamic default). Kafka's broker-side checks come first (alter-configs-shared.ts):
// a resource listed twice, duplicate keys and null values answer INVALID_REQUEST; a broker id other
// than ours INVALID_REQUEST; an empty topic name INVALID_REQUEST and an illegal one
// INVALID_TOPIC_EXCEPTION; BROKER_LOGGER and any other type INVALID_REQUEST ("Unknown resource
// type", legacy AlterConfigs never supported loggers). Then the metadata store validates the values
// (topics: UNKNOWN_TOPIC_OR_PARTITION, INVALID_CONFIG; brokers: INVALID_REQUEST, as Kafka) and makes
// the change durable. validateOnly runs every check and changes nothing. Changes are applied to the
// running broker through the ConfigChangeHooks before the answer.

import {
  type AlterConfigsRequest,
  type AlterConfigsResponse,
  alterConfigsRequestCodec,
  alterConfigsResponseCodec,
} from '../../protocol/generated/messages/alter-configs.ts'
import { callerOf } from '../../security/authorizer-check.ts'
import type { Handler } from '../handler.ts'
import {
  alterResources,
  type ConfigChangeHooks,
  type ConfigServices,
  problem,
  resourceResponses,
} from './alter-configs-shared.ts'

export type AlterConfigsServices = ConfigServices & ConfigChangeHooks

export const alterConfigsHandler: Handler<AlterConfigsRequest, AlterConfigsResponse, AlterConfigsServices> = {
  apiKey: 33,
  minVersion: 0,
  maxVersion: 2,
  request: alterConfigsRequestCodec,
  response: alterConfigsResponseCodec,

  async handle(ctx, req, services) {
    const outcomes = await alterResources(req.resources, services, {
      mode: 'replace',
      validateOnly: req.validateOnly,
      log: ctx.log,
      caller: callerOf(services.authorizer, ctx.connection),
    })
    return resourceResponses(req.resources, (i) => outcomes[i]!)
  },

  errorResponse(req, _version, errorCode) {
    return resourceResponses(req.resources, () => problem(errorCode, null))
  },
}
