// SASL settings read from the broker's static config, with Kafka's names:
// - `sasl.enabled.mechanisms` (default GSSAPI, as in Kafka; GSSAPI is refused at startup since
//   Samsa has no Kerberos), overridable per listener as `listener.name.<l>.sasl.enabled.mechanisms`;
// - `listener.name.<l>.<mechanism>.sasl.jaas.config`: PLAIN users (`user_<name>="<password>"`),
//   OAUTHBEARER unsecured-validator options, and the `username`/`password` this broker uses when it
//   is the client on the inter-broker listener;
// - `connections.max.reauth.ms` (KIP-368, default 0 = no expiry, per-listener override),
//   `connection.failed.authentication.delay.ms` (default 100), `sasl.server.max.receive.size`
//   (largest frame before authentication, default 524288);
// - `sasl.mechanism.inter.broker.protocol` (default GSSAPI);
// - OAUTHBEARER's validator: unsecured tokens unless `listener.name.<l>.oauthbearer.sasl.server.
//   callback.handler.class` names Kafka's OAuthBearerValidatorCallbackHandler (signed tokens checked
//   against a JWKS, sasl-oauthbearer-jwt.ts).
// Problems are returned as one line each, so the broker refuses to start with all of them at once.
//
// The keys are read from the raw static layer: `<l>` matches the listener name in any case (Kafka
// writes it lower-case).

import { type JaasEntry, parseSingleJaasEntry, plainUsers } from './jaas-config.ts'
import { type JwtValidator, readJwtValidator } from './sasl-oauthbearer-jwt.ts'

export const SUPPORTED_MECHANISMS: readonly string[] = [
  'PLAIN',
  'SCRAM-SHA-256',
  'SCRAM-SHA-512',
  'OAUTHBEARER',
]

export interface ListenerSasl {
  readonly listenerName: string
  /** Enabled mechanisms, in the configured order (what a handshake with an unknown one is told). */
  readonly mechanisms: readonly string[]
  /** PLAIN users → passwords (empty when PLAIN is not enabled). */
  readonly plainUsers: ReadonlyMap<string, string>
  /** The OAUTHBEARER JAAS options (unsecured validator settings), when OAUTHBEARER is enabled. */
  readonly oauthOptions: ReadonlyMap<string, string>
  /** Signed-token validation (KIP-768, sasl-oauthbearer-jwt.ts); absent/null: unsecured tokens. */
  readonly oauthValidator?: JwtValidator | null
  /** connections.max.reauth.ms for this listener; 0: sessions never expire. */
  readonly reauthMs: number
}

export interface SaslSettings {
  /** SASL listeners by upper-cased name; other listeners are not gated. */
  readonly listeners: ReadonlyMap<string, ListenerSasl>
  readonly failedAuthDelayMs: number
  readonly maxReceiveSize: number
}

export interface SaslClientSettings {
  readonly mechanism: string
  readonly username: string
  readonly password: string
}

interface ListenerLike {
  readonly listenerName: string
  readonly securityProtocol: string
}

type Raw = ReadonlyMap<string, string>

/** `listener.name.<l>.<suffix>` in any case of `<l>`. */
export function listenerValue(raw: Raw, listener: string, suffix: string): string | undefined {
  const exact = raw.get(`listener.name.${listener.toLowerCase()}.${suffix}`)
  if (exact !== undefined) return exact
  const want = `listener.name.${listener.toLowerCase()}.${suffix.toLowerCase()}`
  for (const [k, v] of raw) if (k.toLowerCase() === want) return v
  return undefined
}

const csv = (s: string): string[] =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '')

function intValue(key: string, text: string | undefined, dflt: number, problems: string[]): number {
  if (text === undefined) return dflt
  const n = Number(text.trim())
  if (!Number.isSafeInteger(n) || n < 0) {
    problems.push(`Invalid value ${text} for configuration ${key}: must be a non-negative integer`)
    return dflt
  }
  return n
}

function jaasFor(raw: Raw, listener: string, mechanism: string, problems: string[]): JaasEntry | null {
  const suffix = `${mechanism.toLowerCase()}.sasl.jaas.config`
  const text = listenerValue(raw, listener, suffix)
  if (text === undefined) return null
  try {
    return parseSingleJaasEntry(`listener.name.${listener.toLowerCase()}.${suffix}`, text)
  } catch (e) {
    problems.push(`listener.name.${listener.toLowerCase()}.${suffix}: ${(e as Error).message}`)
    return null
  }
}

export function isSaslProtocol(protocol: string): boolean {
  return protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL'
}

/** The SASL settings of every SASL listener, or the problems that must stop the broker. */
export function readSaslSettings(
  raw: Raw,
  listeners: readonly ListenerLike[],
): { settings: SaslSettings; problems: string[] } {
  const problems: string[] = []
  const out = new Map<string, ListenerSasl>()
  const globalReauth = intValue(
    'connections.max.reauth.ms',
    raw.get('connections.max.reauth.ms'),
    0,
    problems,
  )
  for (const l of listeners) {
    if (!isSaslProtocol(l.securityProtocol)) continue
    const name = l.listenerName
    const text =
      listenerValue(raw, name, 'sasl.enabled.mechanisms') ?? raw.get('sasl.enabled.mechanisms') ?? 'GSSAPI'
    const mechanisms = csv(text)
    if (mechanisms.length === 0) problems.push(`Listener ${name}: sasl.enabled.mechanisms is empty`)
    for (const m of mechanisms) {
      if (!SUPPORTED_MECHANISMS.includes(m))
        problems.push(
          `Listener ${name}: SASL mechanism ${m} is not supported by Samsa (sasl.enabled.mechanisms; supported: ${SUPPORTED_MECHANISMS.join(', ')})`,
        )
    }
    let users = new Map<string, string>()
    if (mechanisms.includes('PLAIN')) {
      const jaas = jaasFor(raw, name, 'PLAIN', problems)
      if (jaas === null)
        problems.push(
          `Listener ${name}: PLAIN is enabled but listener.name.${name.toLowerCase()}.plain.sasl.jaas.config is not set`,
        )
      else users = plainUsers(jaas)
    }
    const oauth = mechanisms.includes('OAUTHBEARER') ? jaasFor(raw, name, 'OAUTHBEARER', problems) : null
    const reauthText = listenerValue(raw, name, 'connections.max.reauth.ms')
    out.set(name, {
      listenerName: name,
      mechanisms,
      plainUsers: users,
      oauthOptions: oauth?.options ?? new Map(),
      oauthValidator: mechanisms.includes('OAUTHBEARER') ? readJwtValidator(raw, name, problems) : null,
      reauthMs:
        reauthText === undefined
          ? globalReauth
          : intValue(
              `listener.name.${name.toLowerCase()}.connections.max.reauth.ms`,
              reauthText,
              0,
              problems,
            ),
    })
  }
  const settings: SaslSettings = {
    listeners: out,
    failedAuthDelayMs: intValue(
      'connection.failed.authentication.delay.ms',
      raw.get('connection.failed.authentication.delay.ms'),
      100,
      problems,
    ),
    maxReceiveSize: intValue(
      'sasl.server.max.receive.size',
      raw.get('sasl.server.max.receive.size'),
      524288,
      problems,
    ),
  }
  return { settings, problems }
}

/**
 * What this broker sends when it connects to another broker's inter-broker listener, or null when
 * that listener is not SASL. Problems (unsupported mechanism, no username/password) are returned.
 */
export function readInterBrokerSasl(
  raw: Raw,
  listener: ListenerLike | undefined,
): { client: SaslClientSettings | null; problems: string[] } {
  if (listener === undefined || !isSaslProtocol(listener.securityProtocol))
    return { client: null, problems: [] }
  const problems: string[] = []
  const mechanism = (raw.get('sasl.mechanism.inter.broker.protocol') ?? 'GSSAPI').trim()
  if (!['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'].includes(mechanism)) {
    problems.push(
      `sasl.mechanism.inter.broker.protocol=${mechanism} is not supported by Samsa for inter-broker traffic (use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)`,
    )
    return { client: null, problems }
  }
  const jaas = jaasFor(raw, listener.listenerName, mechanism, problems)
  const username = jaas?.options.get('username')
  const password = jaas?.options.get('password')
  if (username === undefined || password === undefined) {
    problems.push(
      `Inter-broker listener ${listener.listenerName} uses SASL ${mechanism}: listener.name.${listener.listenerName.toLowerCase()}.${mechanism.toLowerCase()}.sasl.jaas.config must set username and password`,
    )
    return { client: null, problems }
  }
  return { client: { mechanism, username, password }, problems }
}
