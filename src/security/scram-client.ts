// Client side of SCRAM-SHA-256/512 (RFC 5802): what a broker uses to authenticate to another
// broker on a SASL inter-broker listener, and what the unit tests drive the server with. It checks
// the server's signature, so a broker talking to an impostor that does not hold the credential
// fails instead of going on.

import { randomBytes, timingSafeEqual } from 'node:crypto'
import { hash, hmac, type ScramMechanism, saltedPassword } from './scram-credential.ts'
import { encodeSaslName } from './scram-server.ts'

export class ScramClient {
  private readonly m: ScramMechanism
  private readonly user: string
  private readonly password: string
  private readonly clientNonce: string
  private authMessage = ''
  private serverKey: Buffer | null = null

  constructor(
    m: ScramMechanism,
    user: string,
    password: string,
    nonce = randomBytes(24).toString('base64url'),
  ) {
    this.m = m
    this.user = user
    this.password = password
    this.clientNonce = nonce
  }

  private get firstBare(): string {
    return `n=${encodeSaslName(this.user)},r=${this.clientNonce}`
  }

  firstMessage(): Buffer {
    return Buffer.from(`n,,${this.firstBare}`, 'utf8')
  }

  /** The client-final message for the server-first message; throws on a malformed one. */
  finalMessage(serverFirst: Buffer): Buffer {
    const text = serverFirst.toString('utf8')
    const m = /^r=([^,]+),s=([A-Za-z0-9+/=]+),i=(\d+)(,.*)?$/.exec(text)
    if (m === null) throw new Error(`Invalid SCRAM server first message: ${text}`)
    const [, nonce, salt, iterText] = m
    if (!nonce!.startsWith(this.clientNonce))
      throw new Error('SCRAM server nonce does not extend the client nonce')
    const iterations = Number(iterText)
    if (iterations < this.m.minIterations) throw new Error(`SCRAM iterations ${iterations} below the minimum`)
    const salted = saltedPassword(this.m, this.password, Buffer.from(salt!, 'base64'), iterations)
    const clientKey = hmac(this.m, salted, 'Client Key')
    const storedKey = hash(this.m, clientKey)
    this.serverKey = hmac(this.m, salted, 'Server Key')
    const withoutProof = `c=${Buffer.from('n,,').toString('base64')},r=${nonce}`
    this.authMessage = `${this.firstBare},${text},${withoutProof}`
    const signature = hmac(this.m, storedKey, this.authMessage)
    const proof = Buffer.alloc(clientKey.length)
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ signature[i]!
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8')
  }

  /** Throws unless the server-final message carries the expected server signature. */
  verifyServerFinal(serverFinal: Buffer): void {
    const text = serverFinal.toString('utf8')
    if (text.startsWith('e=')) throw new Error(`SCRAM server error: ${text.slice(2)}`)
    const m = /^v=([A-Za-z0-9+/=]+)/.exec(text)
    if (m === null || this.serverKey === null) throw new Error('Invalid SCRAM server final message')
    const expected = hmac(this.m, this.serverKey, this.authMessage)
    const got = Buffer.from(m[1]!, 'base64')
    if (got.length !== expected.length || !timingSafeEqual(got, expected))
      throw new Error('Invalid SCRAM server signature')
  }
}
