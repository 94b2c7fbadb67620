// OAUTHBEARER with signed tokens (KIP-768): Kafka's OAuthBearerValidatorCallbackHandler, selected
// per listener with
//   listener.name.<l>.oauthbearer.sasl.server.callback.handler.class=
//     org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler
// (the pre-3.4 `...oauthbearer.secured.` name too). Without it a listener keeps the unsecured
// validator (sasl-oauthbearer.ts). Settings, each read as `listener.name.<l>.oauthbearer.<key>`,
// then `listener.name.<l>.<key>`, then `<key>`:
//   sasl.oauthbearer.jwks.endpoint.url            http(s):// or file:// (required)
//   sasl.oauthbearer.jwks.endpoint.refresh.ms     default 3600000
//   sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms  least time between refreshes caused by
//                                                 an unknown key id, default 10000
//   sasl.oauthbearer.expected.audience            list; when set the `aud` claim must name one
//   sasl.oauthbearer.expected.issuer              when set `iss` must equal it
//   sasl.oauthbearer.sub.claim.name               principal claim, default sub
//   sasl.oauthbearer.scope.claim.name             default scope (parsed, not required)
//   sasl.oauthbearer.clock.skew.seconds           default 30
// A token is accepted when: it is a JWS compact serialization with alg RS256/384/512,
// PS256/384/512 or ES256/384/512 (never none or HMAC); its signature verifies with a key of the
// JWKS (the one its `kid` names, else any of a matching type); `exp` is present and not past, `nbf`
// and `iat` if present not in the future (with the clock skew); the principal claim is a non-empty
// string; audience and issuer match when configured. The principal is User:<that claim>, and the
// session ends no later than `exp` (KIP-368). A refused token gets RFC 7628's JSON error challenge,
// as with the unsecured validator.

import { constants, type KeyObject, verify } from 'node:crypto'
import { decodeJws, parseOAuthBearerMessage } from './sasl-oauthbearer.ts'
import { JwksSource } from './sasl-oauthbearer-jwks.ts'
import { SaslAuthenticationError, type SaslServer } from './sasl-server.ts'

export const VALIDATOR_CALLBACK_HANDLERS: readonly string[] = [
  'org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler',
  'org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerValidatorCallbackHandler',
]
const UNSECURED_CALLBACK_HANDLERS: readonly string[] = [
  'org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler',
  'org.apache.kafka.common.security.oauthbearer.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler',
]

export interface JwtValidatorSettings {
  readonly jwksUrl: string
  readonly refreshMs: number
  readonly unknownKidBackoffMs: number
  readonly expectedAudience: readonly string[]
  readonly expectedIssuer: string | null
  readonly subClaim: string
  readonly scopeClaim: string
  readonly clockSkewMs: number
}

export interface ValidatedToken {
  readonly principal: string
  readonly expiresAtMs: number
  readonly scopes: readonly string[]
}

type Raw = ReadonlyMap<string, string>

function lookup(raw: Raw, listener: string, key: string): string | undefined {
  const l = listener.toLowerCase()
  for (const k of [`listener.name.${l}.oauthbearer.${key}`, `listener.name.${l}.${key}`]) {
    for (const [rk, v] of raw) if (rk.toLowerCase() === k) return v
  }
  return raw.get(key)
}

/**
 * The signed-token validator of a listener, null when it uses the unsecured one; problems (a
 * missing JWKS URL, an unknown callback handler, bad numbers) are pushed as one line each.
 */
export function readJwtValidator(raw: Raw, listener: string, problems: string[]): JwtValidator | null {
  const handler = lookup(raw, listener, 'sasl.server.callback.handler.class')?.trim()
  if (handler === undefined || handler === '' || UNSECURED_CALLBACK_HANDLERS.includes(handler)) return null
  const where = `listener.name.${listener.toLowerCase()}.oauthbearer.sasl.server.callback.handler.class`
  if (!VALIDATOR_CALLBACK_HANDLERS.includes(handler)) {
    problems.push(`${where}=${handler} is not supported by Samsa (use ${VALIDATOR_CALLBACK_HANDLERS[0]})`)
    return null
  }
  const num = (key: string, dflt: number): number => {
    const text = lookup(raw, listener, key)
    if (text === undefined) return dflt
    const n = Number(text.trim())
    if (!Number.isFinite(n) || n < 0) {
      problems.push(`Invalid value ${text} for configuration ${key}: must be a non-negative number`)
      return dflt
    }
    return n
  }
  const url = lookup(raw, listener, 'sasl.oauthbearer.jwks.endpoint.url')?.trim()
  if (url === undefined || url === '' || !/^(https?|file):/i.test(url)) {
    problems.push(
      `Listener ${listener}: ${where} needs sasl.oauthbearer.jwks.endpoint.url (an http(s):// or file:// URL)`,
    )
    return null
  }
  const audience = (lookup(raw, listener, 'sasl.oauthbearer.expected.audience') ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '')
  const issuer = lookup(raw, listener, 'sasl.oauthbearer.expected.issuer')?.trim()
  return new JwtValidator({
    jwksUrl: url,
    refreshMs: num('sasl.oauthbearer.jwks.endpoint.refresh.ms', 3_600_000),
    unknownKidBackoffMs: num('sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms', 10_000),
    expectedAudience: audience,
    expectedIssuer: issuer === undefined || issuer === '' ? null : issuer,
    subClaim: lookup(raw, listener, 'sasl.oauthbearer.sub.claim.name')?.trim() || 'sub',
    scopeClaim: lookup(raw, listener, 'sasl.oauthbearer.scope.claim.name')?.trim() || 'scope',
    clockSkewMs: num('sasl.oauthbearer.clock.skew.seconds', 30) * 1000,
  })
}

interface Alg {
  readonly hash: string
  readonly kty: 'RSA' | 'EC'
  readonly pss?: boolean
}

const ALGS: Record<string, Alg> = {
  RS256: { hash: 'sha256', kty: 'RSA' },
  RS384: { hash: 'sha384', kty: 'RSA' },
  RS512: { hash: 'sha512', kty: 'RSA' },
  PS256: { hash: 'sha256', kty: 'RSA', pss: true },
  PS384: { hash: 'sha384', kty: 'RSA', pss: true },
  PS512: { hash: 'sha512', kty: 'RSA', pss: true },
  ES256: { hash: 'sha256', kty: 'EC' },
  ES384: { hash: 'sha384', kty: 'EC' },
  ES512: { hash: 'sha512', kty: 'EC' },
}

function verifies(alg: Alg, key: KeyObject, data: Buffer, sig: Buffer): boolean {
  try {
    if (alg.kty === 'EC') return verify(alg.hash, data, { key, dsaEncoding: 'ieee-p1363' }, sig)
    if (alg.pss)
      return verify(
        alg.hash,
        data,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
        sig,
      )
    return verify(alg.hash, data, key, sig)
  } catch {
    return false
  }
}

/** Validates signed tokens of one listener (shared by its connections: one JWKS cache). */
export class JwtValidator {
  readonly settings: JwtValidatorSettings
  private readonly jwks: JwksSource

  constructor(settings: JwtValidatorSettings) {
    this.settings = settings
    this.jwks = new JwksSource({
      url: settings.jwksUrl,
      refreshMs: settings.refreshMs,
      retryBackoffMs: settings.unknownKidBackoffMs,
    })
  }

  /** The token's principal and expiry, or why it is refused. */
  async validate(token: string, now: number): Promise<ValidatedToken | string> {
    const jws = decodeJws(token)
    if (typeof jws === 'string') return jws
    const { parts, header, claims } = jws
    const alg = typeof header.alg === 'string' ? ALGS[header.alg] : undefined
    if (alg === undefined) return `signature algorithm ${String(header.alg)} is not accepted`
    const kid = typeof header.kid === 'string' ? header.kid : null
    const keys = (await this.jwks.keysFor(kid, now)).filter(
      (k) => k.kty === alg.kty && (k.alg === null || k.alg === header.alg),
    )
    if (keys.length === 0)
      return this.jwks.lastError ?? `no key in the JWKS for key id ${kid ?? '(none)'} and ${header.alg}`
    const data = Buffer.from(`${parts[0]}.${parts[1]}`, 'ascii')
    const sig = Buffer.from(parts[2]!, 'base64url')
    if (!keys.some((k) => verifies(alg, k.key, data, sig))) return 'token signature is invalid'
    const s = this.settings
    const skew = s.clockSkewMs
    if (typeof claims.exp !== 'number') return 'required claim exp is missing'
    const expMs = claims.exp * 1000
    if (now - skew >= expMs) return `token expired at ${new Date(expMs).toISOString()}`
    if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || claims.nbf * 1000 > now + skew))
      return 'token is not valid yet (nbf)'
    if (claims.iat !== undefined && (typeof claims.iat !== 'number' || claims.iat * 1000 > now + skew))
      return 'token issued in the future (iat)'
    const principal = claims[s.subClaim]
    if (typeof principal !== 'string' || principal.trim() === '')
      return `required claim ${s.subClaim} is missing or empty`
    if (s.expectedAudience.length > 0) {
      const aud = Array.isArray(claims.aud)
        ? claims.aud.map(String)
        : typeof claims.aud === 'string'
          ? [claims.aud]
          : []
      if (!aud.some((a) => s.expectedAudience.includes(a)))
        return `audience ${JSON.stringify(claims.aud ?? null)} is not one of ${s.expectedAudience.join(', ')}`
    }
    if (s.expectedIssuer !== null && claims.iss !== s.expectedIssuer)
      return `issuer ${JSON.stringify(claims.iss ?? null)} is not ${s.expectedIssuer}`
    const scope = claims[s.scopeClaim]
    const scopes =
      typeof scope === 'string'
        ? scope.split(' ').filter((x) => x !== '')
        : Array.isArray(scope)
          ? scope.map(String)
          : []
    return { principal, expiresAtMs: expMs, scopes }
  }
}

/** The SASL server of a listener with signed-token validation. */
export class OAuthBearerValidatorServer implements SaslServer {
  readonly mechanism = 'OAUTHBEARER'
  complete = false
  authorizationId: string | null = null
  credentialExpiresAtMs: number | null = null
  private readonly validator: JwtValidator
  private readonly now: () => number
  private pendingError: string | null = null

  constructor(validator: JwtValidator, now: () => number) {
    this.validator = validator
    this.now = now
  }

  async evaluate(message: Buffer): Promise<Buffer> {
    // After the error challenge the client's ^A ends the exchange with that error.
    if (this.pendingError !== null) throw new SaslAuthenticationError(this.pendingError)
    const { token, authzid } = parseOAuthBearerMessage(message)
    const r = await this.validator.validate(token, this.now())
    let problem = typeof r === 'string' ? r : null
    if (typeof r !== 'string' && authzid !== '' && authzid !== r.principal)
      problem = 'authorization id differs from the token principal'
    if (problem !== null || typeof r === 'string') {
      this.pendingError = JSON.stringify({ status: 'invalid_token', error: problem })
      return Buffer.from(this.pendingError, 'utf8')
    }
    this.authorizationId = r.principal
    this.credentialExpiresAtMs = r.expiresAtMs
    this.complete = true
    return Buffer.alloc(0)
  }
}
