// SaslAuthenticate: v0-2 (flexible from v2; session_lifetime_ms from v1, KIP-368). On SASL listeners
// the exchange itself is served before requests reach the handlers (security/sasl-gate.ts); this
// handler answers what does reach it, as Kafka's KafkaApis does: a SaslAuthenticate on a listener
// without SASL, or after the connection has authenticated, is ILLEGAL_SASL_STATE.
// Advertised in ApiVersions so clients (librdkafka, Java) choose the KIP-152 flow.

import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type SaslAuthenticateRequest,
  type SaslAuthenticateResponse,
  saslAuthenticateRequestCodec,
  saslAuthenticateResponseCodec,
} from '../../protocol/generated/messages/sasl-authenticate.ts'
import type { Handler } from '../handler.ts'

export const saslAuthenticateHandler: Handler<SaslAuthenticateRequest, SaslAuthenticateResponse, unknown> = {
  apiKey: 36,
  minVersion: 0,
  maxVersion: 2,
  request: saslAuthenticateRequestCodec,
  response: saslAuthenticateResponseCodec,

  handle() {
    return {
      errorCode: ErrorCode.ILLEGAL_SASL_STATE,
      errorMessage: 'SaslAuthenticate request received after successful authentication',
      authBytes: Buffer.alloc(0),
      sessionLifetimeMs: 0n,
    }
  },

  errorResponse(_req, _version, errorCode) {
    return { errorCode, errorMessage: null, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n }
  },
}
