// The verification keys of signed OAUTHBEARER tokens (KIP-768): a JSON Web Key Set read from
// `sasl.oauthbearer.jwks.endpoint.url`, either an http(s) URL (the identity provider's jwks_uri)
// or a file:// URL. Keys are fetched at startup of the first validation and again every
// `sasl.oauthbearer.jwks.endpoint.refresh.ms` (default one hour); a token naming a key id the set
// does not have triggers an early refresh (at most one per
// `sasl.oauthbearer.jwks.endpoint.retry.backoff.ms`, so a flood of bad key ids cannot hammer the
// provider), as Kafka's refreshing JWKS does. Refreshes are lazy (on use), so there is no timer to
// stop; while one runs the previous keys stay in use, and a failed refresh keeps them.
//
// Keys become node:crypto KeyObjects (RSA and EC public keys in JWK form); keys with `use` other
// than "sig" are ignored.

import { createPublicKey, type KeyObject } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

export interface JwksOptions {
  readonly url: string
  readonly refreshMs: number
  readonly retryBackoffMs: number
}

export interface VerificationKey {
  readonly kid: string | null
  readonly kty: string
  readonly alg: string | null
  readonly key: KeyObject
}

export class JwksSource {
  private readonly o: JwksOptions
  private keys: VerificationKey[] | null = null
  private fetchedAtMs = 0
  private lastAttemptMs = 0
  private pending: Promise<void> | null = null
  /** Why the last refresh failed (for the log / the failure message). */
  lastError: string | null = null

  constructor(o: JwksOptions) {
    this.o = o
  }

  /** Candidate keys for a token header; refreshes first when due or when `kid` is unknown. */
  async keysFor(kid: string | null, now: number): Promise<VerificationKey[]> {
    if (this.keys === null) await this.refresh(now)
    else if (now - this.fetchedAtMs >= this.o.refreshMs) {
      // Due: refresh in the background, validate with the keys we have.
      this.refresh(now).catch(() => {})
    }
    let found = this.match(kid)
    if (found.length === 0 && kid !== null && now - this.lastAttemptMs >= this.o.retryBackoffMs) {
      await this.refresh(now)
      found = this.match(kid)
    }
    return found
  }

  private match(kid: string | null): VerificationKey[] {
    const keys = this.keys ?? []
    return kid === null ? keys : keys.filter((k) => k.kid === kid)
  }

  private refresh(now: number): Promise<void> {
    if (this.pending !== null) return this.pending
    this.lastAttemptMs = now
    this.pending = this.load()
      .then((keys) => {
        this.keys = keys
        this.fetchedAtMs = now
        this.lastError = null
      })
      .catch((e: unknown) => {
        this.lastError = `could not read the JWKS from ${this.o.url}: ${(e as Error).message}`
      })
      .finally(() => {
        this.pending = null
      })
    return this.pending
  }

  private async load(): Promise<VerificationKey[]> {
    let text: string
    if (this.o.url.startsWith('file:')) text = await readFile(fileURLToPath(this.o.url), 'utf8')
    else {
      const res = await fetch(this.o.url, { signal: AbortSignal.timeout(10_000) })
      if (!res.ok) throw new Error(`HTTP ${res.status}`)
      text = await res.text()
    }
    return parseJwks(text)
  }
}

/** The signature keys of a JWKS document; throws when it is not one. */
export function parseJwks(text: string): VerificationKey[] {
  const doc = JSON.parse(text) as { keys?: unknown }
  if (!Array.isArray(doc.keys)) throw new Error('not a JWKS document (no "keys" array)')
  const out: VerificationKey[] = []
  for (const k of doc.keys as Record<string, unknown>[]) {
    if (typeof k !== 'object' || k === null) continue
    if (k.use !== undefined && k.use !== 'sig') continue
    if (k.kty !== 'RSA' && k.kty !== 'EC') continue
    try {
      out.push({
        kid: typeof k.kid === 'string' ? k.kid : null,
        kty: k.kty,
        alg: typeof k.alg === 'string' ? k.alg : null,
        // biome-ignore lint/suspicious/noExplicitAny: a JWK object as node:crypto takes it
        key: createPublicKey({ key: k as any, format: 'jwk' }),
      })
    } catch {
      // A key node:crypto cannot import is skipped, like an unknown key type.
    }
  }
  return out
}
