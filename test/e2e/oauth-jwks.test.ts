// OAUTHBEARER with signed tokens (KIP-768) against one broker process, with kafkajs's
// oauthBearerProvider sending JWTs this test signs: listener JWKS validates RS256 tokens against a
// JWKS served over HTTP on loopback (expected audience and issuer set), listener FILE validates
// ES256 tokens against a file:// JWKS. Accepted tokens produce; a token signed by a key the JWKS
// does not have, one for another audience, an expired one and an unsecured (alg none) one are
// refused with SASL_AUTHENTICATION_FAILED; a key added to the JWKS after startup (rotation) is
// fetched when a token names its kid.

import assert from 'node:assert/strict'
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { pathToFileURL } from 'node:url'
import kafkajs from 'kafkajs'
import { oauthBearerClientToken, unsecuredToken } from '../../src/security/sasl-oauthbearer.ts'
import { JwtValidator, OAuthBearerValidatorServer } from '../../src/security/sasl-oauthbearer-jwt.ts'
import { type BrokerProcess, startBrokerProcess } from '../support/broker-process.ts'

const { Kafka, logLevel, Partitioners } = kafkajs
const VALIDATOR = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler'
const ISSUER = 'https://issuer.samsa.test'

interface Signer {
  kid: string
  alg: 'RS256' | 'ES256'
  privateKey: KeyObject
  jwk: Record<string, unknown>
}

function signer(kid: string, alg: 'RS256' | 'ES256'): Signer {
  const { privateKey, publicKey } =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return { kid, alg, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' } }
}

function jwt(s: Signer, claims: Record<string, unknown>): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
  const input = `${enc({ alg: s.alg, typ: 'JWT', kid: s.kid })}.${enc(claims)}`
  const sig =
    s.alg === 'RS256'
      ? sign('sha256', Buffer.from(input), s.privateKey)
      : sign('sha256', Buffer.from(input), { key: s.privateKey, dsaEncoding: 'ieee-p1363' })
  return `${input}.${sig.toString('base64url')}`
}

const claims = (over: Record<string, unknown> = {}) => {
  const now = Math.floor(Date.now() / 1000)
  return { sub: 'alice', iss: ISSUER, aud: ['kafka'], iat: now, exp: now + 300, scope: 'produce', ...over }
}

function portOf(b: BrokerProcess, name: string): number {
  const m = new RegExp(`listeners=\\S*${name}://[^:,\\s]+:(\\d+)`).exec(b.output())
  if (m === null) throw new Error(`no ${name} listener in:\n${b.output()}`)
  return Number(m[1])
}

describe('signed-token validator (in process)', () => {
  const rsa = signer('k1', 'RS256')
  const ec = signer('k2', 'ES256')
  let file = ''
  const validator = () =>
    new JwtValidator({
      jwksUrl: pathToFileURL(file).href,
      refreshMs: 3_600_000,
      unknownKidBackoffMs: 0,
      expectedAudience: ['kafka'],
      expectedIssuer: ISSUER,
      subClaim: 'sub',
      scopeClaim: 'scope',
      clockSkewMs: 30_000,
    })
  before(() => {
    file = join(process.env.TMPDIR ?? '/tmp', `samsa-jwks-${process.pid}.json`)
    writeFileSync(file, JSON.stringify({ keys: [rsa.jwk, ec.jwk] }))
  })
  after(() => rmSync(file, { force: true }))

  it('says why a token is refused', async () => {
    const v = validator()
    const now = Date.now()
    const ok = await v.validate(jwt(rsa, claims()), now)
    assert.equal(typeof ok === 'string' ? ok : ok.principal, 'alice')
    assert.deepEqual(typeof ok === 'string' ? ok : ok.scopes, ['produce'])
    const cases: [string, RegExp][] = [
      [jwt(rsa, claims({ aud: 'other' })), /audience/],
      [jwt(rsa, claims({ iss: 'x' })), /issuer/],
      [jwt(rsa, claims({ exp: Math.floor(now / 1000) - 31 })), /expired/],
      [jwt(rsa, claims({ nbf: Math.floor(now / 1000) + 60 })), /not valid yet/],
      [jwt(rsa, claims({ sub: '' })), /sub/],
      [unsecuredToken(claims()), /algorithm none/],
      [jwt({ ...signer('k1', 'RS256') }, claims()), /signature is invalid/],
      [jwt(signer('k9', 'RS256'), claims()), /no key/],
    ]
    for (const [token, why] of cases) assert.match(String(await v.validate(token, now)), why)
    // Within the 30 s clock skew an expired token still passes.
    assert.notEqual(
      typeof (await v.validate(jwt(ec, claims({ exp: Math.floor(now / 1000) - 10 })), now)),
      'string',
    )
  })

  it("answers a refused token with RFC 7628's error challenge, then fails", async () => {
    const s = new OAuthBearerValidatorServer(validator(), () => Date.now())
    const challenge = JSON.parse(
      (await s.evaluate(oauthBearerClientToken(jwt(rsa, claims({ aud: 'x' }))))).toString(),
    )
    assert.equal(challenge.status, 'invalid_token')
    await assert.rejects(s.evaluate(Buffer.from([1])))
    const good = new OAuthBearerValidatorServer(validator(), () => Date.now())
    await good.evaluate(oauthBearerClientToken(jwt(ec, claims())))
    assert.equal(good.complete, true)
    assert.equal(good.authorizationId, 'alice')
  })
})

describe('OAUTHBEARER with signed tokens (kafkajs)', () => {
  let broker: BrokerProcess
  let http: Server
  const rsa = signer('rsa-1', 'RS256')
  const rotated = signer('rsa-2', 'RS256')
  const stranger = signer('rsa-1', 'RS256')
  const ec = signer('ec-1', 'ES256')
  const served: Record<string, unknown>[] = [rsa.jwk]
  let jwksFetches = 0
  let jwksDir = ''

  before(async () => {
    http = createServer((_req, res) => {
      jwksFetches++
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ keys: served }))
    })
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
    const httpPort = (http.address() as { port: number }).port
    // The file JWKS lives in a temporary dir of its own (removed in after()).
    jwksDir = mkdtempSync(join(tmpdir(), 'samsa-oauth-'))
    const file = join(jwksDir, 'jwks.json')
    writeFileSync(file, JSON.stringify({ keys: [ec.jwk] }))
    broker = await startBrokerProcess({
      config: {
        listeners: 'PLAINTEXT://127.0.0.1:0,JWKS://127.0.0.1:0,FILE://127.0.0.1:0',
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,JWKS:SASL_PLAINTEXT,FILE:SASL_PLAINTEXT',
        'sasl.enabled.mechanisms': 'OAUTHBEARER',
        'listener.name.jwks.oauthbearer.sasl.server.callback.handler.class': VALIDATOR,
        'listener.name.jwks.oauthbearer.sasl.oauthbearer.jwks.endpoint.url': `http://127.0.0.1:${httpPort}/jwks`,
        'listener.name.jwks.oauthbearer.sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms': 0,
        'listener.name.jwks.oauthbearer.sasl.oauthbearer.expected.audience': 'kafka',
        'listener.name.jwks.oauthbearer.sasl.oauthbearer.expected.issuer': ISSUER,
        'listener.name.file.oauthbearer.sasl.server.callback.handler.class': VALIDATOR,
        'listener.name.file.oauthbearer.sasl.oauthbearer.jwks.endpoint.url': pathToFileURL(file).href,
        'connection.failed.authentication.delay.ms': 10,
      },
    })
  })
  after(async () => {
    await broker?.stop()
    broker?.cleanup()
    http?.close()
    if (jwksDir !== '') rmSync(jwksDir, { recursive: true, force: true })
  })

  const kafka = (listener: string, token: string) =>
    new Kafka({
      clientId: 'oauth-jwks',
      brokers: [`127.0.0.1:${portOf(broker, listener)}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: token }) },
    })

  async function produce(listener: string, token: string): Promise<void> {
    const p = kafka(listener, token).producer({ createPartitioner: Partitioners.DefaultPartitioner })
    await p.connect()
    try {
      await p.send({ topic: 'oauth-jwks', messages: [{ value: listener }] })
    } finally {
      await p.disconnect()
    }
  }

  /**
   * kafkajs takes the broker's RFC 7628 error challenge for success (it never sends the closing
   * ^A), so a refused token shows as the connection failing on the next request.
   */
  async function refused(listener: string, token: string): Promise<void> {
    await assert.rejects(produce(listener, token))
  }

  it('accepts RS256 tokens verified with the HTTP JWKS and ES256 tokens with the file JWKS', async () => {
    await produce('JWKS', jwt(rsa, claims()))
    await produce('FILE', jwt(ec, claims({ aud: 'anything' })))
    assert.ok(jwksFetches >= 1)
  })

  it('refuses unknown keys, wrong audience or issuer, expired and unsigned tokens', async () => {
    const bad = [
      jwt(stranger, claims()),
      jwt(rsa, claims({ aud: 'other' })),
      jwt(rsa, claims({ iss: 'https://elsewhere' })),
      jwt(rsa, claims({ exp: Math.floor(Date.now() / 1000) - 120 })),
      unsecuredToken(claims()),
      jwt(ec, claims()),
    ]
    for (const token of bad) await refused('JWKS', token)
    assert.match(
      broker.output(),
      /during SASL authentication/,
      'the broker closed the unauthenticated connections',
    )
  })

  it('fetches the JWKS again when a token names a key id it does not have (rotation)', async () => {
    served.push(rotated.jwk)
    const before = jwksFetches
    await produce('JWKS', jwt(rotated, claims()))
    assert.ok(jwksFetches > before, 'the JWKS was fetched again')
  })
})
