// ApiVersions: v0-4 (flexible from v3). The ranges come from the registry: a version is
// advertised only when a handler serves it. A version we do not serve is answered by the
// dispatcher with a v0-layout UNSUPPORTED_VERSION response. The response header is always v0.
// Not implemented: supported/finalized features (none are advertised; finalizedFeaturesEpoch -1).

import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type ApiVersionsRequest,
  type ApiVersionsResponse,
  apiVersionsRequestCodec,
  apiVersionsResponseCodec,
} from '../../protocol/generated/messages/api-versions.ts'
import type { Handler } from '../handler.ts'
import type { ApiRange } from '../registry.ts'

export interface ApiVersionsServices {
  apiRanges(): ApiRange[]
}

export const apiVersionsHandler: Handler<ApiVersionsRequest, ApiVersionsResponse, ApiVersionsServices> = {
  apiKey: 18,
  minVersion: 0,
  maxVersion: 4,
  request: apiVersionsRequestCodec,
  response: apiVersionsResponseCodec,
  handle(_ctx, _req, services) {
    return {
      ...apiVersionsResponseCodec.defaults(0),
      errorCode: ErrorCode.NONE,
      apiKeys: services.apiRanges(),
    }
  },
}
