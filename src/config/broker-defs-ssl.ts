// The broker's `ssl.*` configs (Kafka's names, types and defaults; KIP-651 PEM stores). Each may also
// be set for one listener as `listener.name.<lower-case listener name>.ssl.<...>`, which wins over
// the plain key for that listener (Kafka's per-listener override). Read by security/tls-config.ts
// when an SSL listener opens, and by the inter-broker client when the inter-broker listener is SSL.

import { type ConfigDefinition, define, listOf, oneOf, rule } from './config-def.ts'

const STORE_TYPES = rule('[JKS, PKCS12, PEM]', (v) =>
  typeof v === 'string' && !['JKS', 'PKCS12', 'PEM'].includes(v.toUpperCase())
    ? `Expected one of JKS, PKCS12, PEM (Samsa reads PEM and PKCS12)`
    : null,
)

export const SSL_DEFS: readonly ConfigDefinition[] = [
  define(
    'ssl.keystore.type',
    'string',
    'JKS',
    'Format of the key store: PEM (a file, or the inline ssl.keystore.key + ssl.keystore.certificate.chain) or PKCS12. JKS is refused at startup: convert it with keytool -importkeystore to PKCS12.',
    { validator: STORE_TYPES },
  ),
  define(
    'ssl.keystore.location',
    'string',
    null,
    'Key store file: for PEM, the private key and the certificate chain (leaf first) in one file; for PKCS12, the .p12 file. Reloaded without restart when the file changes.',
    { importance: 'high' },
  ),
  define(
    'ssl.keystore.password',
    'password',
    null,
    'Password of a PKCS12 key store. Not used with PEM (use ssl.key.password for an encrypted PEM key).',
    { importance: 'high' },
  ),
  define(
    'ssl.key.password',
    'password',
    null,
    'Password of an encrypted private key (PEM: the key in ssl.keystore.location or ssl.keystore.key).',
    { importance: 'high' },
  ),
  define(
    'ssl.keystore.key',
    'password',
    null,
    'The private key in PEM form, inline (with ssl.keystore.type=PEM and ssl.keystore.certificate.chain).',
  ),
  define(
    'ssl.keystore.certificate.chain',
    'password',
    null,
    'The certificate chain in PEM form, inline, leaf first (with ssl.keystore.type=PEM and ssl.keystore.key).',
  ),
  define(
    'ssl.truststore.type',
    'string',
    'JKS',
    'Format of the trust store: PEM (a file of CA certificates, or inline ssl.truststore.certificates). PKCS12 and JKS trust stores are refused at startup: export the CA certificates to PEM.',
    { validator: STORE_TYPES },
  ),
  define(
    'ssl.truststore.location',
    'string',
    null,
    'Trust store file (PEM: CA certificates). Used to verify client certificates and, between brokers, the other brokers. Reloaded without restart when the file changes.',
    { importance: 'high' },
  ),
  define('ssl.truststore.password', 'password', null, 'Password of the trust store. Not needed for PEM.', {
    importance: 'high',
  }),
  define(
    'ssl.truststore.certificates',
    'password',
    null,
    'Trusted CA certificates in PEM form, inline (with ssl.truststore.type=PEM).',
  ),
  define(
    'ssl.client.auth',
    'string',
    'none',
    'Client certificates: required (mutual TLS; a client without a valid certificate is refused), requested (verified when sent), none. The principal of a client certificate is its subject DN mapped by ssl.principal.mapping.rules.',
    { validator: oneOf('required', 'requested', 'none') },
  ),
  define(
    'ssl.enabled.protocols',
    'list',
    ['TLSv1.2', 'TLSv1.3'],
    'TLS versions accepted. Older versions (TLSv1, TLSv1.1) are refused by Node.js defaults.',
    { validator: listOf('TLSv1.2', 'TLSv1.3', 'TLSv1.1', 'TLSv1'), importance: 'medium' },
  ),
  define(
    'ssl.protocol',
    'string',
    'TLSv1.3',
    'Protocol of the SSL context. Accepted; the versions used are ssl.enabled.protocols.',
    { support: 'ignored' },
  ),
  define(
    'ssl.cipher.suites',
    'list',
    [],
    'Cipher suites (OpenSSL or IANA names, e.g. TLS_AES_128_GCM_SHA256, ECDHE-RSA-AES128-GCM-SHA256); empty: the Node.js defaults.',
  ),
  define(
    'ssl.principal.mapping.rules',
    'string',
    'DEFAULT',
    'Rules mapping a client certificate subject DN to a user name: DEFAULT or RULE:pattern/replacement/[LU], comma-separated, first match wins.',
  ),
  define(
    'ssl.endpoint.identification.algorithm',
    'string',
    'https',
    'Host name verification when this broker connects to others over SSL: https checks the certificate against the host; empty turns it off.',
  ),
  define(
    'ssl.keymanager.algorithm',
    'string',
    'SunX509',
    'Java key manager algorithm. Accepted, no effect: Node.js uses OpenSSL.',
    { support: 'ignored' },
  ),
  define(
    'ssl.trustmanager.algorithm',
    'string',
    'PKIX',
    'Java trust manager algorithm. Accepted, no effect: Node.js uses OpenSSL.',
    { support: 'ignored' },
  ),
]

/** The `ssl.*` names, for recognising `listener.name.<l>.ssl.*` overrides. */
export const SSL_KEYS: ReadonlySet<string> = new Set(SSL_DEFS.map((d) => d.name))

/** `listener.name.<l>.<ssl key>` → { listener (lower-case), key }, else null. */
export function listenerOverride(key: string): { listener: string; key: string } | null {
  const m = /^listener\.name\.([^.]+)\.(ssl\..+)$/.exec(key)
  if (m === null || !SSL_KEYS.has(m[2]!)) return null
  return { listener: m[1]!, key: m[2]! }
}
