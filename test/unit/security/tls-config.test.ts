// The TLS configuration: refusal of unimplemented listener protocols, `listener.name.<l>.ssl.*`
// overrides, and every way a key store or trust store can be wrong, each reported as one line
// naming the key. Certificates are made with the openssl CLI in a temp dir (skipped without it).

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { type BrokerConfig, parseBrokerConfig } from '../../../src/config/broker-config.ts'
import { formatProblem, inputsFromObject } from '../../../src/config/config-input.ts'
import type { SecurityProtocol } from '../../../src/config/listeners.ts'
import { implementedSecurityProtocols } from '../../../src/config/security-support.ts'
import { loadTls, TlsConfigError } from '../../../src/security/tls-config.ts'
import { makeTestCerts, opensslAvailable, type TestCerts } from '../../e2e/tls-certs.ts'

function parse(props: Record<string, string>) {
  return parseBrokerConfig(inputsFromObject(props, 'test'))
}

function config(props: Record<string, string>): BrokerConfig {
  const r = parse({ listeners: 'SSL://127.0.0.1:0', ...props })
  if (!r.ok) assert.fail(r.errors.map(formatProblem).join(' | '))
  return r.config
}

function tlsError(props: Record<string, string>, listener = 'SSL'): string {
  try {
    loadTls(config(props), listener)
  } catch (e) {
    assert.ok(e instanceof TlsConfigError, String(e))
    assert.ok(!e.message.includes('\n'), 'one line')
    return e.message
  }
  assert.fail('expected a TlsConfigError')
}

const ALL: SecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL']

describe('listener security protocols', () => {
  it('accepts PLAINTEXT and SSL listeners', () => {
    assert.ok(implementedSecurityProtocols().has('PLAINTEXT'))
    assert.ok(implementedSecurityProtocols().has('SSL'))
    assert.equal(parse({ listeners: 'PLAINTEXT://:0,SSL://:0' }).ok, true)
  })

  it('serves every security protocol Kafka defines (none is left to refuse)', () => {
    assert.deepEqual([...implementedSecurityProtocols()].sort(), [...ALL].sort())
  })

  it('accepts listener.name.<l>.ssl.* overrides without a warning, and checks their values', () => {
    const r = parse({
      listeners: 'SSL://:0',
      'listener.name.ssl.ssl.client.auth': 'required',
    })
    assert.equal(r.ok, true)
    assert.deepEqual(r.warnings, [])
    const bad = parse({ listeners: 'SSL://:0', 'listener.name.ssl.ssl.client.auth': 'maybe' })
    assert.equal(bad.ok, false)
    assert.match(bad.ok ? '' : formatProblem(bad.errors[0]!), /listener\.name\.ssl\.ssl\.client\.auth/)
  })
})

describe('loadTls', { skip: opensslAvailable() ? false : 'openssl CLI not installed' }, () => {
  let c: TestCerts
  before(() => {
    c = makeTestCerts()
  })
  after(() => c?.remove())

  it('loads a PEM key store file and a PEM trust store', () => {
    const t = loadTls(
      config({
        'ssl.keystore.type': 'PEM',
        'ssl.keystore.location': c.brokerPem,
        'ssl.truststore.type': 'PEM',
        'ssl.truststore.location': c.ca,
        'ssl.client.auth': 'required',
      }),
      'SSL',
    )
    assert.equal(t.clientAuth, 'required')
    assert.deepEqual(t.files, [c.brokerPem, c.ca])
    assert.equal(t.context.minVersion, 'TLSv1.2')
    assert.equal(t.context.maxVersion, 'TLSv1.3')
  })

  it('loads inline PEM key, chain and trusted certificates', () => {
    const t = loadTls(
      config({
        'ssl.keystore.type': 'PEM',
        'ssl.keystore.key': readFileSync(c.brokerKey, 'utf8'),
        'ssl.keystore.certificate.chain': readFileSync(c.brokerCert, 'utf8'),
        'ssl.truststore.type': 'PEM',
        'ssl.truststore.certificates': readFileSync(c.ca, 'utf8'),
      }),
      'SSL',
    )
    assert.deepEqual(t.files, [])
  })

  it('decrypts an encrypted PEM key with ssl.key.password, and names the key when it is wrong or missing', () => {
    const pem = c.encryptedBrokerPem('s3cret')
    const base = { 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': pem }
    loadTls(config({ ...base, 'ssl.key.password': 's3cret' }), 'SSL')
    assert.match(tlsError(base), /encrypted; set ssl\.key\.password/)
    assert.match(tlsError({ ...base, 'ssl.key.password': 'wrong' }), /cannot decrypt .* ssl\.key\.password/)
  })

  it('loads a PKCS12 key store with ssl.keystore.password', () => {
    const p12 = c.brokerP12('p12pass')
    loadTls(
      config({
        'ssl.keystore.type': 'PKCS12',
        'ssl.keystore.location': p12,
        'ssl.keystore.password': 'p12pass',
      }),
      'SSL',
    )
    assert.match(
      tlsError({
        'ssl.keystore.type': 'PKCS12',
        'ssl.keystore.location': p12,
        'ssl.keystore.password': 'no',
      }),
      /ssl\.keystore\.password/,
    )
  })

  it('reports a missing or unreadable key store in one line naming the key', () => {
    assert.match(tlsError({}), /Listener SSL needs a TLS key store: set ssl\.keystore\.location/)
    assert.match(
      tlsError({ 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': `${c.dir}/nope.pem` }),
      /cannot read ssl\.keystore\.location=.*nope\.pem \(no such file\)/,
    )
    assert.match(
      tlsError({ 'ssl.keystore.location': c.brokerPem }),
      /ssl\.keystore\.type=JKS is not supported by Samsa: use PEM or PKCS12/,
    )
    assert.match(
      tlsError({ 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': c.ca }),
      /ssl\.keystore\.location=.* holds no PEM private key/,
    )
    assert.match(
      tlsError({
        'ssl.keystore.type': 'PEM',
        'ssl.keystore.location': c.brokerPem,
        'ssl.truststore.location': c.ca,
      }),
      /ssl\.truststore\.type=JKS is not supported/,
    )
  })

  it('refuses a key that does not match its certificate', () => {
    assert.match(
      tlsError({
        'ssl.keystore.type': 'PEM',
        'ssl.keystore.key': readFileSync(c.clientKey, 'utf8'),
        'ssl.keystore.certificate.chain': readFileSync(c.brokerCert, 'utf8'),
      }),
      /does not match/,
    )
  })

  it('lets listener.name.<l>.ssl.* win over ssl.*, and names the override in errors', () => {
    const props = {
      listeners: 'SSL://127.0.0.1:0,INTERNAL://127.0.0.1:0',
      'listener.security.protocol.map': 'SSL:SSL,INTERNAL:SSL',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': c.brokerPem,
      'listener.name.internal.ssl.keystore.location': `${c.dir}/missing.pem`,
      'listener.name.internal.ssl.client.auth': 'required',
    }
    const cfg = config(props)
    assert.equal(loadTls(cfg, 'SSL').clientAuth, 'none')
    assert.throws(
      () => loadTls(cfg, 'INTERNAL'),
      /cannot read listener\.name\.internal\.ssl\.keystore\.location=.*missing\.pem/,
    )
  })

  it('maps IANA cipher suite names and refuses unknown ones', () => {
    const base = { 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': c.brokerPem }
    const t = loadTls(
      config({
        ...base,
        'ssl.cipher.suites': 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_AES_128_GCM_SHA256',
      }),
      'SSL',
    )
    assert.equal(t.context.ciphers, 'ECDHE-ECDSA-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256')
    assert.match(tlsError({ ...base, 'ssl.cipher.suites': 'NO_SUCH_CIPHER' }), /ssl\.cipher\.suites/)
  })

  it('reports a bad ssl.principal.mapping.rules', () => {
    assert.match(
      tlsError({
        'ssl.keystore.type': 'PEM',
        'ssl.keystore.location': c.brokerPem,
        'ssl.principal.mapping.rules': 'RULE:^CN=(.*)$',
      }),
      /ssl\.principal\.mapping\.rules: Invalid rule/,
    )
  })
})
