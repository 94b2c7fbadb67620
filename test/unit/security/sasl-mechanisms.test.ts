// The SASL building blocks on their own: the JAAS config parser, Kafka's SCRAM credential text
// form, the SCRAM client against RFC 7677's SCRAM-SHA-256 example, client/server round trips for
// SCRAM-SHA-256/512 (right and wrong passwords, unknown user, tampered nonce), PLAIN's messages,
// and the unsecured OAUTHBEARER validator's claim checks.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  JaasConfigError,
  parseJaasConfig,
  parseSingleJaasEntry,
  plainUsers,
} from '../../../src/security/jaas-config.ts'
import { readInterBrokerSasl, readSaslSettings } from '../../../src/security/sasl-config.ts'
import {
  OAuthBearerUnsecuredServer,
  oauthBearerClientToken,
  unsecuredToken,
} from '../../../src/security/sasl-oauthbearer.ts'
import { PlainServer, plainClientToken } from '../../../src/security/sasl-plain.ts'
import { clientFailureMessage, SaslAuthenticationError } from '../../../src/security/sasl-server.ts'
import { ScramClient } from '../../../src/security/scram-client.ts'
import {
  credentialFromPassword,
  formatScramCredential,
  parseScramCredential,
  SCRAM_MECHANISMS,
  scramMechanismByName,
} from '../../../src/security/scram-credential.ts'
import { decodeSaslName, encodeSaslName, ScramServer } from '../../../src/security/scram-server.ts'

const SHA256 = scramMechanismByName('SCRAM-SHA-256')!

describe('JAAS config', () => {
  it('parses Kafka PlainLoginModule lines with quoted and bare values', () => {
    const e = parseSingleJaasEntry(
      'k',
      'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="a\\"b" user_admin="admin-secret"\n user_alice=alice-secret;',
    )
    assert.equal(e.loginModule, 'org.apache.kafka.common.security.plain.PlainLoginModule')
    assert.equal(e.flag, 'required')
    assert.equal(e.options.get('password'), 'a"b')
    assert.deepEqual(
      [...plainUsers(e)],
      [
        ['admin', 'admin-secret'],
        ['alice', 'alice-secret'],
      ],
    )
  })

  it('refuses a missing semicolon, a bad flag, a dangling option and two modules where one is wanted', () => {
    assert.throws(() => parseJaasConfig('M required a="b"'), JaasConfigError)
    assert.throws(() => parseJaasConfig('M maybe a="b";'), /control flag/)
    assert.throws(() => parseJaasConfig('M required a= ;'), /key=value/)
    assert.throws(() => parseSingleJaasEntry('k', 'M required; N optional;'), /exactly one/)
    assert.equal(parseJaasConfig('M required; N optional x=y;').length, 2)
  })
})

describe('SASL settings', () => {
  const listeners = [
    { listenerName: 'PLAINTEXT', securityProtocol: 'PLAINTEXT' },
    { listenerName: 'SASL_PLAINTEXT', securityProtocol: 'SASL_PLAINTEXT' },
  ]
  it('defaults to GSSAPI as Kafka does, which is refused in one line', () => {
    const { problems } = readSaslSettings(new Map(), listeners)
    assert.equal(problems.length, 1)
    assert.match(problems[0]!, /GSSAPI is not supported by Samsa/)
  })
  it('reads per-listener mechanisms, PLAIN users, reauth and the delay', () => {
    const raw = new Map([
      ['sasl.enabled.mechanisms', 'GSSAPI'],
      ['listener.name.sasl_plaintext.sasl.enabled.mechanisms', 'PLAIN,SCRAM-SHA-512'],
      ['listener.name.sasl_plaintext.plain.sasl.jaas.config', 'P required user_bob="pw";'],
      ['connections.max.reauth.ms', '60000'],
      ['connection.failed.authentication.delay.ms', '250'],
    ])
    const { settings, problems } = readSaslSettings(raw, listeners)
    assert.deepEqual(problems, [])
    const l = settings.listeners.get('SASL_PLAINTEXT')!
    assert.deepEqual(l.mechanisms, ['PLAIN', 'SCRAM-SHA-512'])
    assert.equal(l.plainUsers.get('bob'), 'pw')
    assert.equal(l.reauthMs, 60000)
    assert.equal(settings.failedAuthDelayMs, 250)
    assert.equal(settings.listeners.has('PLAINTEXT'), false)
  })
  it('needs a JAAS config for PLAIN and credentials for the inter-broker client', () => {
    const raw = new Map([['sasl.enabled.mechanisms', 'PLAIN']])
    assert.match(readSaslSettings(raw, listeners).problems[0]!, /plain\.sasl\.jaas\.config is not set/)
    const ib = readInterBrokerSasl(new Map([['sasl.mechanism.inter.broker.protocol', 'PLAIN']]), listeners[1])
    assert.match(ib.problems[0]!, /must set username and password/)
    const ok = readInterBrokerSasl(
      new Map([
        ['sasl.mechanism.inter.broker.protocol', 'PLAIN'],
        ['listener.name.sasl_plaintext.plain.sasl.jaas.config', 'P required username="a" password="b";'],
      ]),
      listeners[1],
    )
    assert.deepEqual(ok.client, { mechanism: 'PLAIN', username: 'a', password: 'b' })
  })
})

describe('SCRAM', () => {
  it('computes RFC 7677 SCRAM-SHA-256 example proof and checks its server signature', () => {
    const c = new ScramClient(SHA256, 'user', 'pencil', 'rOprNGfwEbeRWgbNEkqO')
    assert.equal(c.firstMessage().toString(), 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO')
    const final = c.finalMessage(
      Buffer.from('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'),
    )
    assert.equal(
      final.toString(),
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    )
    c.verifyServerFinal(Buffer.from('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='))
    assert.throws(() => c.verifyServerFinal(Buffer.from('v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')))
  })

  it("round-trips Kafka's credential text form", () => {
    const c = credentialFromPassword(SHA256, 'pw', 8192)
    const text = formatScramCredential(c)
    assert.match(
      text,
      /^salt=[A-Za-z0-9+/=]+,stored_key=[A-Za-z0-9+/=]+,server_key=[A-Za-z0-9+/=]+,iterations=8192$/,
    )
    assert.deepEqual(parseScramCredential(text), c)
    assert.equal(parseScramCredential('salt=abc,iterations=4096'), null)
  })

  it('escapes user names as RFC 5802 saslname', () => {
    assert.equal(encodeSaslName('a,b=c'), 'a=2Cb=3Dc')
    assert.equal(decodeSaslName('a=2Cb=3Dc'), 'a,b=c')
    assert.equal(decodeSaslName('a=41'), null)
  })

  for (const m of SCRAM_MECHANISMS) {
    it(`${m.name}: authenticates the right password and rejects a wrong one`, async () => {
      const stored = credentialFromPassword(m, 'alice-secret')
      const lookup = (u: string) => (u === 'alice' ? stored : null)
      const server = new ScramServer(m, lookup)
      const client = new ScramClient(m, 'alice', 'alice-secret')
      const serverFirst = await server.evaluate(client.firstMessage())
      const serverFinal = await server.evaluate(client.finalMessage(serverFirst))
      client.verifyServerFinal(serverFinal)
      assert.equal(server.complete, true)
      assert.equal(server.authorizationId, 'alice')

      const bad = new ScramServer(m, lookup)
      const wrong = new ScramClient(m, 'alice', 'nope')
      const sf = await bad.evaluate(wrong.firstMessage())
      await assert.rejects(async () => bad.evaluate(wrong.finalMessage(sf)), /Invalid client credentials/)
      assert.equal(bad.complete, false)
    })
  }

  it("answers an unknown user with Kafka's message and refuses a foreign nonce", async () => {
    const server = new ScramServer(SHA256, () => null)
    await assert.rejects(
      async () => server.evaluate(new ScramClient(SHA256, 'bob', 'x').firstMessage()),
      (e: unknown) =>
        e instanceof SaslAuthenticationError &&
        e.message === 'Authentication failed: Invalid user credentials',
    )
    const stored = credentialFromPassword(SHA256, 'pw')
    const s2 = new ScramServer(SHA256, () => stored)
    const c = new ScramClient(SHA256, 'alice', 'pw')
    const sf = (await s2.evaluate(c.firstMessage())).toString()
    const forged = c
      .finalMessage(Buffer.from(sf))
      .toString()
      .replace(/r=[^,]+/, 'r=other')
    await assert.rejects(async () => s2.evaluate(Buffer.from(forged)), /nonce/)
    assert.equal(
      clientFailureMessage('SCRAM-SHA-256', new Error('x')),
      'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256',
    )
  })
})

describe('PLAIN', () => {
  const users = new Map([['alice', 'alice-secret']])
  it('accepts a known user and sets the authorization id', () => {
    const s = new PlainServer(users)
    s.evaluate(plainClientToken('alice', 'alice-secret'))
    assert.equal(s.authorizationId, 'alice')
  })
  it("fails with Kafka's messages", () => {
    const msg = (token: string) => {
      try {
        new PlainServer(users).evaluate(Buffer.from(token))
        return 'ok'
      } catch (e) {
        return (e as Error).message
      }
    }
    assert.equal(msg('\u0000alice\u0000wrong'), 'Authentication failed: Invalid username or password')
    assert.equal(msg('\u0000bob\u0000x'), 'Authentication failed: Invalid username or password')
    assert.equal(msg('\u0000\u0000x'), 'Authentication failed: username not specified')
    assert.equal(msg('\u0000alice\u0000'), 'Authentication failed: password not specified')
    assert.equal(msg('garbage'), 'Invalid SASL/PLAIN response: expected 3 tokens, got 1')
    assert.equal(
      msg('bob\u0000alice\u0000alice-secret'),
      'Authentication failed: Client requested an authorization id that is different from username',
    )
  })
})

describe('OAUTHBEARER (unsecured)', () => {
  const now = 1_800_000_000_000
  const server = (opts: Record<string, string> = {}) =>
    new OAuthBearerUnsecuredServer(new Map(Object.entries(opts)), () => now)
  it('accepts a valid unsecured token; the principal is sub and the expiry is exp', () => {
    const s = server()
    s.evaluate(
      oauthBearerClientToken(unsecuredToken({ sub: 'alice', exp: now / 1000 + 60, iat: now / 1000 })),
    )
    assert.equal(s.complete, true)
    assert.equal(s.authorizationId, 'alice')
    assert.equal(s.credentialExpiresAtMs, now + 60000)
  })
  it('answers an expired, unsigned-required or scope-lacking token with an error challenge, then fails', () => {
    for (const [token, opts] of [
      [unsecuredToken({ sub: 'alice', exp: now / 1000 - 1 }), {}],
      [unsecuredToken({ exp: now / 1000 + 60 }), {}],
      [
        unsecuredToken({ sub: 'a', exp: now / 1000 + 60, scope: 'read' }),
        { unsecuredValidatorRequiredScope: 'write' },
      ],
      [
        `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from('{"sub":"a","exp":9999999999}').toString('base64url')}.sig`,
        {},
      ],
    ] as const) {
      const s = server(opts)
      const challenge = JSON.parse(s.evaluate(oauthBearerClientToken(token)).toString())
      assert.equal(challenge.status, 'invalid_token')
      assert.throws(() => s.evaluate(Buffer.from('\u0001')), SaslAuthenticationError)
      assert.equal(s.complete, false)
    }
  })
})
