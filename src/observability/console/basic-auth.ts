// HTTP basic auth of the console (samsa.http.console.auth=basic) over the broker's SASL users: a
// user with a SCRAM credential in the user store (the password is checked by deriving the stored
// key from the credential's salt and iterations, as a SCRAM exchange would prove it), or a PLAIN
// user of a listener's JAAS config. Browsers send the header with every request, so a verified
// (user, password digest) pair is remembered for a minute rather than running PBKDF2 each time.

import { createHash, timingSafeEqual } from 'node:crypto'
import {
  hash,
  hmac,
  parseScramCredential,
  SCRAM_MECHANISMS,
  saltedPassword,
} from '../../security/scram-credential.ts'

export interface ConsoleUsers {
  /** SCRAM credentials by mechanism name (SCRAM-SHA-256/512) of a user; empty when none. */
  scram(user: string): Promise<ReadonlyMap<string, string>>
  /** PLAIN users → passwords, from the SASL listeners' JAAS configs. */
  readonly plain: ReadonlyMap<string, string>
}

const REMEMBER_MS = 60_000
const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest()
const same = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b)

export class BasicAuth {
  private readonly users: ConsoleUsers
  private readonly now: () => number
  private readonly verified = new Map<string, number>()

  constructor(users: ConsoleUsers, now: () => number = Date.now) {
    this.users = users
    this.now = now
  }

  /** The user an `Authorization: Basic ...` header proves, or null. */
  async check(header: string | undefined): Promise<string | null> {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '')
    if (m === null) return null
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon <= 0) return null
    const user = decoded.slice(0, colon)
    const password = decoded.slice(colon + 1)
    const key = `${user}\u0000${digest(password).toString('base64')}`
    const until = this.verified.get(key)
    if (until !== undefined && until > this.now()) return user
    if (!(await this.verify(user, password))) return null
    if (this.verified.size > 1000) this.verified.clear()
    this.verified.set(key, this.now() + REMEMBER_MS)
    return user
  }

  private async verify(user: string, password: string): Promise<boolean> {
    const plain = this.users.plain.get(user)
    if (plain !== undefined && same(digest(plain), digest(password))) return true
    const creds = await this.users.scram(user)
    for (const m of SCRAM_MECHANISMS) {
      const text = creds.get(m.name)
      const c = text === undefined ? null : parseScramCredential(text)
      if (c === null) continue
      const salted = saltedPassword(m, password, c.salt, c.iterations)
      if (same(hash(m, hmac(m, salted, 'Client Key')), c.storedKey)) return true
    }
    return false
  }
}
