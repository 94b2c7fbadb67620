// ApiVersions: v0-4 (flexible from v3). The ranges come from the registry: a version is
// advertised only when a handler serves it. A version we do not serve is answered by the
// dispatcher with a v0-layout UNSUPPORTED_VERSION response. The response header is always v0.
// Features (v3+, KIP-584) as a ZooKeeper-mode Kafka 3.x broker answers: no supported feature, the
// finalized ones of /feature and its data version as FinalizedFeaturesEpoch (feature-state.ts;
// a standalone broker answers as a one-broker cluster would: nothing finalized, epoch 0).

import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type ApiVersionsRequest,
  type ApiVersionsResponse,
  apiVersionsRequestCodec,
  apiVersionsResponseCodec,
} from '../../protocol/generated/messages/api-versions.ts'
import type { Handler } from '../handler.ts'
import type { ApiRange } from '../registry.ts'
import { type FeatureStore, featureStoreOf, SUPPORTED_FEATURES } from './feature-state.ts'

export interface ApiVersionsServices {
  apiRanges(): ApiRange[]
  readonly features?: FeatureStore
}

export const apiVersionsHandler: Handler<ApiVersionsRequest, ApiVersionsResponse, ApiVersionsServices> = {
  apiKey: 18,
  minVersion: 0,
  maxVersion: 4,
  request: apiVersionsRequestCodec,
  response: apiVersionsResponseCodec,
  handle(ctx, _req, services) {
    const res: ApiVersionsResponse = {
      ...apiVersionsResponseCodec.defaults(0),
      errorCode: ErrorCode.NONE,
      apiKeys: services.apiRanges(),
    }
    if (ctx.apiVersion < 3) return res
    const state = featureStoreOf(services).current()
    return {
      ...res,
      supportedFeatures: [...SUPPORTED_FEATURES].map(([name, r]) => ({
        name,
        minVersion: r.min,
        maxVersion: r.max,
      })),
      finalizedFeaturesEpoch: state.epoch,
      finalizedFeatures: [...state.finalized].map(([name, level]) => ({
        name,
        maxVersionLevel: level,
        minVersionLevel: 1,
      })),
    }
  },
}
