// The per-connection SASL gate in front of the dispatcher, driven with encoded request frames and a
// fake inner dispatch: what passes before authentication, the KIP-152 and legacy v0 flows, Kafka's
// error answers (unknown mechanism, wrong password after the failed-authentication delay, each
// ending the connection), hostile frames (thrown: the connection layer closes), the principal set
// on the connection, and KIP-368 session expiry and re-authentication with an injected clock.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createLogger, LogLevel } from '../../../src/common/logger.ts'
import type { ConnectionInfo, DispatchResult } from '../../../src/network/connection.ts'
import type { MessageCodec } from '../../../src/protocol/codec.ts'
import { decodeResponseFrame, encodeRequestFrame } from '../../../src/protocol/frame.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import { apiVersionsRequestCodec } from '../../../src/protocol/generated/messages/api-versions.ts'
import { metadataRequestCodec } from '../../../src/protocol/generated/messages/metadata.ts'
import {
  saslAuthenticateRequestCodec,
  saslAuthenticateResponseCodec,
} from '../../../src/protocol/generated/messages/sasl-authenticate.ts'
import {
  saslHandshakeRequestCodec,
  saslHandshakeResponseCodec,
} from '../../../src/protocol/generated/messages/sasl-handshake.ts'
import { readSaslSettings } from '../../../src/security/sasl-config.ts'
import { SaslGate } from '../../../src/security/sasl-gate.ts'
import { plainClientToken } from '../../../src/security/sasl-plain.ts'
import { ScramClient } from '../../../src/security/scram-client.ts'
import { credentialFromPassword, scramMechanismByName } from '../../../src/security/scram-credential.ts'

const SHA512 = scramMechanismByName('SCRAM-SHA-512')!
const aliceScram = credentialFromPassword(SHA512, 'alice-secret')
const DELAY = 80

function makeGate(reauthMs = 0) {
  const raw = new Map([
    ['sasl.enabled.mechanisms', 'PLAIN,SCRAM-SHA-512'],
    [
      'listener.name.sasl.plain.sasl.jaas.config',
      'P required user_alice="alice-secret" user_bob="bob-secret";',
    ],
    ['connections.max.reauth.ms', String(reauthMs)],
    ['connection.failed.authentication.delay.ms', String(DELAY)],
    ['sasl.server.max.receive.size', '1024'],
  ])
  const { settings, problems } = readSaslSettings(raw, [
    { listenerName: 'SASL', securityProtocol: 'SASL_PLAINTEXT' },
    { listenerName: 'PLAIN', securityProtocol: 'PLAINTEXT' },
  ])
  assert.deepEqual(problems, [])
  const clock = { t: 1_000_000 }
  const passed: number[] = []
  const gate = new SaslGate({
    settings,
    scramCredentials: (u) => (u === 'alice' ? aliceScram : null),
    now: () => clock.t,
    log: createLogger('test', LogLevel.error),
  })
  const dispatch = gate.wrap((frame) => {
    passed.push(frame.readInt16BE(0))
    return [Buffer.from('inner')]
  })
  return { dispatch, clock, passed }
}

const conn = (listener = 'SASL'): ConnectionInfo => ({
  id: 1,
  remote: 'test:1',
  listener,
  principal: 'User:ANONYMOUS',
})

let cid = 0
function frame<T>(codec: MessageCodec<T>, body: T, version: number): Buffer {
  return encodeRequestFrame(codec, body, version, ++cid, 'test').subarray(4)
}
const handshake = (mechanism: string, v = 1) => frame(saslHandshakeRequestCodec, { mechanism }, v)
const authenticate = (authBytes: Buffer, v = 1) => frame(saslAuthenticateRequestCodec, { authBytes }, v)
const metadata = () => frame(metadataRequestCodec, { ...metadataRequestCodec.defaults(1), topics: [] }, 1)
const apiVersions = () => frame(apiVersionsRequestCodec, apiVersionsRequestCodec.defaults(0), 0)

async function answer<T>(codec: MessageCodec<T>, r: DispatchResult | Promise<DispatchResult>, v = 1) {
  const chunks = (await r)!
  const body = decodeResponseFrame(codec, Buffer.concat(chunks).subarray(4), v).body
  return { body, closes: (chunks as { closeAfterWrite?: boolean }).closeAfterWrite === true }
}

describe('SASL gate', () => {
  it('passes connections of other listeners straight through', () => {
    const { dispatch, passed } = makeGate()
    dispatch(metadata(), conn('PLAIN'))
    assert.deepEqual(passed, [3])
  })

  it('before authentication serves only ApiVersions and SaslHandshake; anything else throws (connection closed)', () => {
    const { dispatch, passed } = makeGate()
    dispatch(apiVersions(), conn())
    assert.deepEqual(passed, [18])
    assert.throws(
      () => dispatch(metadata(), conn()),
      /Unexpected Kafka request of type 3 during SASL handshake/,
    )
    assert.throws(() => dispatch(authenticate(plainClientToken('alice', 'alice-secret')), conn()), /type 36/)
    assert.throws(() => dispatch(Buffer.from([0xff]), conn()), /during SASL handshake/)
    assert.throws(() => dispatch(Buffer.alloc(2000), conn()), /sasl\.server\.max\.receive\.size/)
    const c = conn()
    dispatch(handshake('PLAIN'), c)
    assert.throws(() => dispatch(metadata(), c), /during SASL authentication/)
  })

  it('answers an unknown mechanism with UNSUPPORTED_SASL_MECHANISM and the enabled list, then closes', async () => {
    const { dispatch } = makeGate()
    const r = await answer(saslHandshakeResponseCodec, dispatch(handshake('GSSAPI'), conn()))
    assert.equal(r.body.errorCode, ErrorCode.UNSUPPORTED_SASL_MECHANISM)
    assert.deepEqual(r.body.mechanisms, ['PLAIN', 'SCRAM-SHA-512'])
    assert.equal(r.closes, true)
  })

  it('KIP-152 PLAIN: authenticates, sets User:<name> on the connection, then requests pass', async () => {
    const { dispatch, passed } = makeGate()
    const c = conn()
    const hs = await answer(saslHandshakeResponseCodec, dispatch(handshake('PLAIN'), c))
    assert.equal(hs.body.errorCode, 0)
    const auth = await answer(
      saslAuthenticateResponseCodec,
      dispatch(authenticate(plainClientToken('alice', 'alice-secret')), c),
    )
    assert.equal(auth.body.errorCode, 0)
    assert.equal(auth.body.sessionLifetimeMs, 0n)
    assert.equal(c.principal, 'User:alice')
    dispatch(metadata(), c)
    assert.deepEqual(passed, [3])
  })

  it('wrong password: SASL_AUTHENTICATION_FAILED with Kafka message after the delay, then the close', async () => {
    const { dispatch, passed } = makeGate()
    const c = conn()
    dispatch(handshake('PLAIN'), c)
    const t0 = performance.now()
    const pending = dispatch(authenticate(plainClientToken('alice', 'wrong')), c)
    // Muted meanwhile, as Kafka mutes the channel: a request sent now gets no answer at all.
    assert.equal(dispatch(metadata(), c), null)
    assert.deepEqual(passed, [])
    const r = await answer(saslAuthenticateResponseCodec, pending)
    assert.ok(performance.now() - t0 >= DELAY - 5, 'answered before the failed-authentication delay')
    assert.equal(r.body.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED)
    assert.equal(r.body.errorMessage, 'Authentication failed: Invalid username or password')
    assert.equal(r.closes, true)
    assert.equal(c.principal, 'User:ANONYMOUS')
  })

  it('SCRAM-SHA-512 over SaslAuthenticate (two rounds, server signature checked)', async () => {
    const { dispatch } = makeGate()
    const c = conn()
    dispatch(handshake('SCRAM-SHA-512'), c)
    const client = new ScramClient(SHA512, 'alice', 'alice-secret')
    const first = await answer(
      saslAuthenticateResponseCodec,
      dispatch(authenticate(client.firstMessage(), 2), c),
      2,
    )
    assert.equal(c.principal, 'User:ANONYMOUS')
    const fin = await answer(
      saslAuthenticateResponseCodec,
      dispatch(authenticate(client.finalMessage(first.body.authBytes), 2), c),
      2,
    )
    assert.equal(fin.body.errorCode, 0)
    client.verifyServerFinal(fin.body.authBytes)
    assert.equal(c.principal, 'User:alice')
  })

  it('legacy v0: raw length-prefixed tokens after SaslHandshake v0', async () => {
    const { dispatch, passed } = makeGate()
    const c = conn()
    const hs = await answer(saslHandshakeResponseCodec, dispatch(handshake('PLAIN', 0), c), 0)
    assert.equal(hs.body.errorCode, 0)
    const out = (await dispatch(plainClientToken('bob', 'bob-secret'), c))!
    assert.deepEqual(Buffer.concat(out), Buffer.from([0, 0, 0, 0]))
    assert.equal(c.principal, 'User:bob')
    dispatch(metadata(), c)
    assert.deepEqual(passed, [3])
    const c2 = conn()
    dispatch(handshake('PLAIN', 0), c2)
    const failed = (await dispatch(plainClientToken('bob', 'x'), c2))!
    assert.equal((failed as { closeAfterWrite?: boolean }).closeAfterWrite, true)
  })

  it('KIP-368: session lifetime sent, expiry closes on the next request, re-authentication renews it', async () => {
    const { dispatch, clock, passed } = makeGate(1000)
    const c = conn()
    dispatch(handshake('PLAIN'), c)
    const auth = await answer(
      saslAuthenticateResponseCodec,
      dispatch(authenticate(plainClientToken('alice', 'alice-secret')), c),
    )
    assert.equal(auth.body.sessionLifetimeMs, 1000n)
    clock.t += 900
    const hs = await answer(saslHandshakeResponseCodec, dispatch(handshake('PLAIN'), c))
    assert.equal(hs.body.errorCode, 0)
    dispatch(metadata(), c) // the old session is still valid meanwhile
    const re = await answer(
      saslAuthenticateResponseCodec,
      dispatch(authenticate(plainClientToken('alice', 'alice-secret')), c),
    )
    assert.equal(re.body.errorCode, 0)
    clock.t += 900
    dispatch(metadata(), c)
    assert.deepEqual(passed, [3, 3])
    clock.t += 200
    assert.throws(() => dispatch(metadata(), c), /expired/)
  })

  it('re-authentication as another user fails and closes', async () => {
    const { dispatch } = makeGate(1000)
    const c = conn()
    dispatch(handshake('PLAIN'), c)
    await dispatch(authenticate(plainClientToken('alice', 'alice-secret')), c)
    dispatch(handshake('PLAIN'), c)
    const r = await answer(
      saslAuthenticateResponseCodec,
      dispatch(authenticate(plainClientToken('bob', 'bob-secret')), c),
    )
    assert.equal(r.body.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED)
    assert.match(
      r.body.errorMessage ?? '',
      /Cannot change principals during re-authentication from User:alice/,
    )
    assert.equal(r.closes, true)
  })
})
