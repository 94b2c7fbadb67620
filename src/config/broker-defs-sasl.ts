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
    "SASL mechanisms served on SASL listeners: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER (unsecured tokens, or signed tokens checked against a JWKS with the validator callback handler class, KIP-768). GSSAPI (Kafka's default) is refused at startup: Samsa has no Kerberos. Per listener: listener.name.<l>.sasl.enabled.mechanisms.",
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
    'sasl.server.callback.handler.class',
    'string',
    null,
    "Server-side SASL callback handler; per listener and mechanism as listener.name.<l>.oauthbearer.sasl.server.callback.handler.class. Samsa knows Kafka's org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler (signed tokens, KIP-768); unset: unsecured OAUTHBEARER tokens.",
    { importance: 'medium' },
  ),
  define(
    'sasl.oauthbearer.jwks.endpoint.url',
    'string',
    null,
    'KIP-768: where the JWKS (public keys) of signed OAUTHBEARER tokens comes from: an http(s) URL or file:// path. Used on listeners whose listener.name.<l>.oauthbearer.sasl.server.callback.handler.class is OAuthBearerValidatorCallbackHandler.',
    { importance: 'medium' },
  ),
  define(
    'sasl.oauthbearer.jwks.endpoint.refresh.ms',
    'long',
    3600000,
    'How often the JWKS is fetched again (also early when a token names an unknown key id).',
    { validator: atLeast(0), importance: 'low' },
  ),
  define(
    'sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms',
    'long',
    10000,
    'Longest wait between attempts to fetch the JWKS after a failure.',
    { validator: atLeast(0), importance: 'low' },
  ),
  define(
    'sasl.oauthbearer.expected.audience',
    'list',
    null,
    "Audiences a signed token's aud claim must contain one of; unset: not checked.",
    { importance: 'low' },
  ),
  define(
    'sasl.oauthbearer.expected.issuer',
    'string',
    null,
    'The iss claim a signed token must have; unset: not checked.',
    { importance: 'low' },
  ),
  define(
    'sasl.oauthbearer.sub.claim.name',
    'string',
    'sub',
    'The claim naming the principal of a signed token.',
    { importance: 'low' },
  ),
  define(
    'sasl.oauthbearer.scope.claim.name',
    'string',
    'scope',
    'The claim holding the scopes of a signed token.',
    { importance: 'low' },
  ),
  define(
    'sasl.oauthbearer.clock.skew.seconds',
    'int',
    30,
    'Clock difference tolerated when checking exp, nbf and iat of a signed token.',
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
  // OAUTHBEARER settings per listener, with or without the mechanism prefix (KIP-768).
  const oauth = /^(?:oauthbearer\.)?(sasl\.server\.callback\.handler\.class|sasl\.oauthbearer\..+)$/i.exec(
    rest,
  )
  if (oauth !== null) return { listener: m[1]!, key: oauth[1]!.toLowerCase() }
  return null
}
