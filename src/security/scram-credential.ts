// SCRAM credentials (RFC 5802, RFC 7677) as Kafka stores them: never the password, only the salt,
// StoredKey = H(HMAC(SaltedPassword, "Client Key")), ServerKey = HMAC(SaltedPassword, "Server Key")
// and the iteration count. Text form, the value of the `SCRAM-SHA-256`/`SCRAM-SHA-512` key in a
// user's config (ZooKeeper /config/users/<user>): `salt=<b64>,stored_key=<b64>,server_key=<b64>,iterations=<n>`
// (standard base64). All primitives come from node:crypto.

import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto'

export interface ScramMechanism {
  /** SASL name, also the config key in a user's config. */
  readonly name: 'SCRAM-SHA-256' | 'SCRAM-SHA-512'
  /** node:crypto digest name. */
  readonly digest: 'sha256' | 'sha512'
  /** Wire value in Alter/DescribeUserScramCredentials. */
  readonly type: 1 | 2
  readonly keyLength: number
  readonly minIterations: number
  readonly maxIterations: number
}

export const SCRAM_MECHANISMS: readonly ScramMechanism[] = [
  {
    name: 'SCRAM-SHA-256',
    digest: 'sha256',
    type: 1,
    keyLength: 32,
    minIterations: 4096,
    maxIterations: 16384,
  },
  {
    name: 'SCRAM-SHA-512',
    digest: 'sha512',
    type: 2,
    keyLength: 64,
    minIterations: 4096,
    maxIterations: 16384,
  },
]

export function scramMechanismByName(name: string): ScramMechanism | undefined {
  return SCRAM_MECHANISMS.find((m) => m.name === name)
}

export function scramMechanismByType(type: number): ScramMechanism | undefined {
  return SCRAM_MECHANISMS.find((m) => m.type === type)
}

export interface ScramCredential {
  readonly salt: Buffer
  readonly storedKey: Buffer
  readonly serverKey: Buffer
  readonly iterations: number
}

export function hmac(m: ScramMechanism, key: Buffer, data: Buffer | string): Buffer {
  return createHmac(m.digest, key).update(data).digest()
}

export function hash(m: ScramMechanism, data: Buffer): Buffer {
  return createHash(m.digest).update(data).digest()
}

/** Hi(password, salt, i) of RFC 5802 is PBKDF2 with HMAC as the PRF and one block of output. */
export function saltedPassword(
  m: ScramMechanism,
  password: string,
  salt: Buffer,
  iterations: number,
): Buffer {
  return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, m.keyLength, m.digest)
}

/** The stored credential for a salted password (what AlterUserScramCredentials sends). */
export function credentialFromSalted(
  m: ScramMechanism,
  salted: Buffer,
  salt: Buffer,
  iterations: number,
): ScramCredential {
  const clientKey = hmac(m, salted, 'Client Key')
  return {
    salt,
    storedKey: hash(m, clientKey),
    serverKey: hmac(m, salted, 'Server Key'),
    iterations,
  }
}

export function credentialFromPassword(
  m: ScramMechanism,
  password: string,
  iterations = 4096,
  salt: Buffer = randomBytes(32),
): ScramCredential {
  return credentialFromSalted(m, saltedPassword(m, password, salt, iterations), salt, iterations)
}

export function formatScramCredential(c: ScramCredential): string {
  return `salt=${c.salt.toString('base64')},stored_key=${c.storedKey.toString('base64')},server_key=${c.serverKey.toString('base64')},iterations=${c.iterations}`
}

/** Parses the text form; null when any part is missing or malformed. */
export function parseScramCredential(text: string): ScramCredential | null {
  const parts = new Map<string, string>()
  for (const p of text.split(',')) {
    const eq = p.indexOf('=')
    if (eq <= 0) return null
    parts.set(p.slice(0, eq), p.slice(eq + 1))
  }
  const salt = parts.get('salt')
  const storedKey = parts.get('stored_key')
  const serverKey = parts.get('server_key')
  const iterations = Number(parts.get('iterations'))
  if (salt === undefined || storedKey === undefined || serverKey === undefined) return null
  if (!Number.isInteger(iterations) || iterations <= 0) return null
  const b64 = /^[A-Za-z0-9+/]*={0,2}$/
  if (!b64.test(salt) || !b64.test(storedKey) || !b64.test(serverKey)) return null
  return {
    salt: Buffer.from(salt, 'base64'),
    storedKey: Buffer.from(storedKey, 'base64'),
    serverKey: Buffer.from(serverKey, 'base64'),
    iterations,
  }
}
