import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  saslHandshakeRequestCodec,
  saslHandshakeResponseCodec,
} from '../../../src/protocol/generated/messages/sasl-handshake.ts'
import { saslHandshakeHandler } from '../../../src/server/handlers/sasl-handshake.ts'
import { ctx, request, wire } from './admin-fixtures.ts'

describe('SaslHandshake', () => {
  it('answers ILLEGAL_SASL_STATE with no mechanisms on a listener without SASL (v0-1)', async () => {
    for (const v of [0, 1]) {
      for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'GSSAPI']) {
        const req = request(saslHandshakeRequestCodec, { mechanism }, v)
        const res = await saslHandshakeHandler.handle(ctx(17, v), req, {})
        assert.deepEqual(wire(saslHandshakeResponseCodec, res!, v), {
          errorCode: ErrorCode.ILLEGAL_SASL_STATE,
          mechanisms: [],
        })
      }
    }
  })

  it('has an error response', () => {
    const req = request(saslHandshakeRequestCodec, { mechanism: 'PLAIN' }, 0)
    const res = saslHandshakeHandler.errorResponse!(req, 0, ErrorCode.UNSUPPORTED_VERSION)
    assert.equal(wire(saslHandshakeResponseCodec, res, 0).errorCode, ErrorCode.UNSUPPORTED_VERSION)
  })
})
