// SASL/OAUTHBEARER (RFC 7628) with Kafka's *unsecured* token validator (KIP-255): tokens are
// unsigned JWS (`{"alg":"none"}`), so this is for development only. Signed tokens validated against
// a JWKS endpoint (KIP-768) are in sasl-oauthbearer-jwt.ts, selected per listener by Kafka's
// `listener.name.<l>.oauthbearer.sasl.server.callback.handler.class`; both share the message
// parsing here (parseOAuthBearerMessage).
//
// Client's first message: `n,[a=<authzid>],^Aauth=Bearer <token>^A[<key>=<value>^A]*^A`.
// The token's claims are checked as Kafka's unsecured validator does: the principal claim
// (`unsecuredValidatorPrincipalClaimName`, default `sub`) is a non-empty string, `exp` (seconds) is
// present and not past, `iat` if present is not in the future (both with
// `unsecuredValidatorAllowableClockSkewMs`, default 0), and every scope of
// `unsecuredValidatorRequiredScope` is in the scope claim (`unsecuredValidatorScopeClaimName`,
// default `scope`). A bad token is answered, as RFC 7628 says, with a JSON error challenge; the
// client's `^A` reply then ends the exchange with that JSON as the failure message.

import { SaslAuthenticationError, type SaslServer } from './sasl-server.ts'

/** A JWS compact serialization's three parts with its header and claims decoded, or why it is none. */
export function decodeJws(
  token: string,
): { parts: string[]; header: Record<string, unknown>; claims: Record<string, unknown> } | string {
  const parts = token.split('.')
  if (parts.length !== 3) return 'token is not a JWS compact serialization'
  let header: unknown
  let claims: unknown
  try {
    header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'))
    claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'))
  } catch {
    return 'token header or payload is not JSON'
  }
  if (typeof header !== 'object' || header === null || typeof claims !== 'object' || claims === null)
    return 'token header or payload is not a JSON object'
  return { parts, header: header as Record<string, unknown>, claims: claims as Record<string, unknown> }
}

const SEP = '\u0001'

export class OAuthBearerUnsecuredServer implements SaslServer {
  readonly mechanism = 'OAUTHBEARER'
  complete = false
  authorizationId: string | null = null
  credentialExpiresAtMs: number | null = null
  private readonly options: ReadonlyMap<string, string>
  private readonly now: () => number
  private pendingError: string | null = null

  constructor(options: ReadonlyMap<string, string>, now: () => number) {
    this.options = options
    this.now = now
  }

  evaluate(token: Buffer): Buffer {
    if (this.pendingError !== null) {
      // The client acknowledged the error challenge (it must send a single ^A).
      throw new SaslAuthenticationError(this.pendingError)
    }
    const msg = parseOAuthBearerMessage(token)
    const problem = this.validate(msg.token, msg.authzid)
    if (problem !== null) {
      this.pendingError = JSON.stringify({ status: 'invalid_token', error: problem })
      return Buffer.from(this.pendingError, 'utf8')
    }
    this.complete = true
    return Buffer.alloc(0)
  }

  /** Null when the token is acceptable (and fields are set), else the reason. */
  private validate(token: string, authzid: string): string | null {
    const jws = decodeJws(token)
    if (typeof jws === 'string') return jws
    const { parts, header, claims } = jws
    if (header.alg !== 'none' || parts[2] !== '')
      return 'only unsecured tokens (alg none, no signature) are accepted'
    const skew = Number(this.options.get('unsecuredValidatorAllowableClockSkewMs') ?? 0) || 0
    const now = this.now()
    const principalClaim = this.options.get('unsecuredValidatorPrincipalClaimName') ?? 'sub'
    const principal = claims[principalClaim]
    if (typeof principal !== 'string' || principal.trim() === '')
      return `required claim ${principalClaim} is missing or empty`
    if (typeof claims.exp !== 'number') return 'required claim exp is missing'
    const expMs = claims.exp * 1000
    if (now - skew >= expMs) return `token expired at ${new Date(expMs).toISOString()}`
    if (claims.iat !== undefined) {
      if (typeof claims.iat !== 'number') return 'claim iat is not a number'
      if (claims.iat * 1000 > now + skew) return 'token issued in the future (iat)'
    }
    const required = (this.options.get('unsecuredValidatorRequiredScope') ?? '')
      .split(/[\s,]+/)
      .filter((x) => x !== '')
    if (required.length > 0) {
      const scopeClaim = claims[this.options.get('unsecuredValidatorScopeClaimName') ?? 'scope']
      const have = new Set(
        typeof scopeClaim === 'string'
          ? scopeClaim.split(' ')
          : Array.isArray(scopeClaim)
            ? scopeClaim.map(String)
            : [],
      )
      const missing = required.filter((r) => !have.has(r))
      if (missing.length > 0) return `token lacks required scope(s): ${missing.join(' ')}`
    }
    if (authzid !== '' && authzid !== principal) return 'authorization id differs from the token principal'
    this.authorizationId = principal
    this.credentialExpiresAtMs = expMs
    return null
  }
}

/** The client's first message: `n,[a=<authzid>],^Aauth=Bearer <token>^A[<key>=<value>^A]*^A`. */
export function parseOAuthBearerMessage(message: Buffer): { token: string; authzid: string } {
  const text = message.toString('utf8')
  const first = text.indexOf(SEP)
  const gs2 = first < 0 ? null : /^n,(?:a=([^,]*))?,$/.exec(text.slice(0, first))
  if (gs2 === null || !text.endsWith(SEP + SEP) || text.length < first + 3)
    throw new Error('Invalid OAUTHBEARER client first message')
  const kv = new Map<string, string>()
  for (const part of text.slice(first + 1, text.length - 2).split(SEP)) {
    const eq = part.indexOf('=')
    if (eq <= 0) throw new Error('Invalid OAUTHBEARER key/value pair')
    kv.set(part.slice(0, eq), part.slice(eq + 1))
  }
  const auth = /^Bearer +(\S+)$/i.exec(kv.get('auth') ?? '')
  if (auth === null) throw new Error('OAUTHBEARER message has no Bearer token')
  return { token: auth[1]!, authzid: gs2[1] ?? '' }
}

/** An unsecured token (for tests and development clients). */
export function unsecuredToken(claims: Record<string, unknown>): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o), 'utf8').toString('base64url')
  return `${enc({ alg: 'none' })}.${enc(claims)}.`
}

export function oauthBearerClientToken(token: string): Buffer {
  return Buffer.from(`n,,${SEP}auth=Bearer ${token}${SEP}${SEP}`, 'utf8')
}
