// The broker's SASL configs (Kafka's names, types and defaults). The values are read from the raw
// static layer by security/sasl-config.ts, which also checks what these definitions cannot (a
// mechanism Samsa serves, a JAAS config for PLAIN). Per-listener forms, as in Kafka:
// `listener.name.<listener>.sasl.enabled.mechanisms`,
// `listener.name.<listener>.connections.max.reauth.ms` and
// `listener.name.<listener>.<mechanism>.sasl.jaas.config` (the only form a broker reads the JAAS
// config in).

import { atLeast, type ConfigDefinition, define } from './config-def.ts'

export const SASL_DEFS: readonly ConfigDefinition[] = [
  define(
    'sasl.enabled.mechanisms',
    'list',
    'GSSAPI',
    "SASL mechanisms served on SASL listeners: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER (unsecured tokens only). GSSAPI (Kafka's default) is refused at startup: Samsa has no Kerberos. Per listener: listener.name.<l>.sasl.enabled.mechanisms.",
    { importance: 'medium' },
  ),
  define(
    'sasl.mechanism.inter.broker.protocol',
    'string',
    'GSSAPI',
    'Mechanism a broker uses to authenticate to other brokers when the inter-broker listener is SASL_*: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, with username and password from listener.name.<l>.<mechanism>.sasl.jaas.config.',
    { importance: 'medium' },
  ),
  define(
    'sasl.jaas.config',
    'password',
    null,
    'JAAS login module options; on a broker only as listener.name.<l>.<mechanism>.sasl.jaas.config (PLAIN: user_<name>="<password>" entries, and username/password for inter-broker; OAUTHBEARER: unsecuredValidator* options).',
    { importance: 'medium' },
  ),
  define(
    'connections.max.reauth.ms',
    'long',
    0,
    'KIP-368: lifetime of an authenticated SASL session (sent in SaslAuthenticate v1+); after it only a re-authentication is accepted, any other request closes the connection. 0: sessions never expire. Per listener: listener.name.<l>.connections.max.reauth.ms.',
    { validator: atLeast(0), importance: 'medium' },
  ),
  define(
    'connection.failed.authentication.delay.ms',
    'int',
    100,
    'How long the answer to a failed authentication is held back before it is sent and the connection closed (slows down password guessing).',
    { validator: atLeast(0), importance: 'low' },
  ),
  define(
    'sasl.server.max.receive.size',
    'int',
    524288,
    'Largest request accepted on a SASL listener before authentication; a larger one closes the connection.',
    { validator: atLeast(1), importance: 'low' },
  ),
]

const PER_LISTENER = new Set(['sasl.enabled.mechanisms', 'connections.max.reauth.ms'])

/** `listener.name.<l>.<key>` forms of the SASL configs: the listener and the definition's key. */
export function saslListenerOverride(key: string): { listener: string; key: string } | null {
  const m = /^listener\.name\.([^.]+)\.(.+)$/.exec(key)
  if (m === null) return null
  const rest = m[2]!
  if (PER_LISTENER.has(rest)) return { listener: m[1]!, key: rest }
  if (/^[a-z0-9-]+\.sasl\.jaas\.config$/i.test(rest)) return { listener: m[1]!, key: 'sasl.jaas.config' }
  return null
}
