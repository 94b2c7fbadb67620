// SaslHandshake: v0-1. No listener has SASL enabled yet (the security issue adds it in the network
// layer, before requests reach the handlers). A handshake that reaches the handlers is answered as
// Kafka's broker answers one on a listener without SASL (KafkaApis): ILLEGAL_SASL_STATE with an
// empty mechanism list, so a client configured for SASL fails at once with a clear error instead of
// waiting. v0 would be followed by raw SASL tokens; after this error the client sends none.
// Not implemented: SASL itself (and SaslAuthenticate, which is not advertised).

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
