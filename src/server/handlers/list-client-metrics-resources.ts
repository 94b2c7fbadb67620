// ListClientMetricsResources: v0 (flexible; KIP-714). The client-metrics config resources
// (subscriptions) defined on the cluster. Samsa has no client-metrics plugin and defines no
// subscriptions, so the list is empty, as on a Kafka broker where none was configured.
// GetTelemetrySubscriptions and PushTelemetry are not served (not advertised in ApiVersions),
// as a Kafka broker without a client-telemetry receiver leaves them out: clients then do not push.

import {
  type ListClientMetricsResourcesRequest,
  type ListClientMetricsResourcesResponse,
  listClientMetricsResourcesRequestCodec,
  listClientMetricsResourcesResponseCodec,
} from '../../protocol/generated/messages/list-client-metrics-resources.ts'
import type { Handler } from '../handler.ts'

export const listClientMetricsResourcesHandler: Handler<
  ListClientMetricsResourcesRequest,
  ListClientMetricsResourcesResponse,
  unknown
> = {
  apiKey: 74,
  minVersion: 0,
  maxVersion: 0,
  request: listClientMetricsResourcesRequestCodec,
  response: listClientMetricsResourcesResponseCodec,
  handle() {
    return { throttleTimeMs: 0, errorCode: 0, clientMetricsResources: [] }
  },
}
