// SaslHandshake: v0-1. On SASL listeners the handshake and the exchange that follows are served
// before requests reach the handlers (security/sasl-gate.ts), including the KIP-368
// re-authentication handshake. What reaches this handler is a handshake on a listener without SASL,
// answered as Kafka's broker answers it (KafkaApis): ILLEGAL_SASL_STATE with an empty mechanism
// list, so a client configured for SASL fails at once with a clear error instead of waiting.

import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type SaslHandshakeRequest,
  type SaslHandshakeResponse,
  saslHandshakeRequestCodec,
  saslHandshakeResponseCodec,
} from '../../protocol/generated/messages/sasl-handshake.ts'
import type { Handler } from '../handler.ts'

export const saslHandshakeHandler: Handler<SaslHandshakeRequest, SaslHandshakeResponse, unknown> = {
  apiKey: 17,
  minVersion: 0,
  maxVersion: 1,
  request: saslHandshakeRequestCodec,
  response: saslHandshakeResponseCodec,

  handle(ctx, req) {
    ctx.log.debug(`SASL handshake (${req.mechanism}) on listener ${ctx.connection.listener} without SASL`)
    return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] }
  },

  errorResponse(_req, _version, errorCode) {
    return { errorCode, mechanisms: [] }
  },
}
