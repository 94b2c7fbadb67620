// SASL/PLAIN (RFC 4616), server and client side. The token is `authzid NUL authcid NUL passwd`
// (UTF-8); users and passwords come from the listener's JAAS config (`user_<name>="<password>"`).
// Failures answer with the messages Kafka's PLAIN server uses. Passwords are compared in constant
// time so a prober cannot learn a prefix from response times.

import { createHash, timingSafeEqual } from 'node:crypto'
import { SaslAuthenticationError, type SaslServer } from './sasl-server.ts'

export class PlainServer implements SaslServer {
  readonly mechanism = 'PLAIN'
  complete = false
  authorizationId: string | null = null
  readonly credentialExpiresAtMs = null
  private readonly users: ReadonlyMap<string, string>

  constructor(users: ReadonlyMap<string, string>) {
    this.users = users
  }

  evaluate(token: Buffer): Buffer {
    if (this.complete) throw new Error('PLAIN exchange already complete')
    const parts = token.toString('utf8').split('\u0000')
    if (parts.length !== 3)
      throw new SaslAuthenticationError(`Invalid SASL/PLAIN response: expected 3 tokens, got ${parts.length}`)
    const [authzid, username, password] = parts as [string, string, string]
    if (username === '') throw new SaslAuthenticationError('Authentication failed: username not specified')
    if (password === '') throw new SaslAuthenticationError('Authentication failed: password not specified')
    const expected = this.users.get(username)
    if (expected === undefined || !sameSecret(expected, password))
      throw new SaslAuthenticationError('Authentication failed: Invalid username or password')
    if (authzid !== '' && authzid !== username)
      throw new SaslAuthenticationError(
        'Authentication failed: Client requested an authorization id that is different from username',
      )
    this.complete = true
    this.authorizationId = username
    return Buffer.alloc(0)
  }
}

function sameSecret(a: string, b: string): boolean {
  // Digests have equal lengths, so the comparison time does not depend on the password's length.
  const da = createHash('sha256').update(a, 'utf8').digest()
  const db = createHash('sha256').update(b, 'utf8').digest()
  return timingSafeEqual(da, db)
}

/** The client's single PLAIN token. */
export function plainClientToken(username: string, password: string): Buffer {
  return Buffer.from(`\u0000${username}\u0000${password}`, 'utf8')
}
