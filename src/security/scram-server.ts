// Server side of SCRAM-SHA-256/512 (RFC 5802, RFC 7677) without channel binding, as Kafka serves it:
//
//   client-first  n,[a=<authzid>],n=<user>,r=<client nonce>[,<extensions>]
//   server-first  r=<client nonce><server nonce>,s=<base64 salt>,i=<iterations>
//   client-final  c=<base64 gs2 header>,r=<nonce>[,<extensions>],p=<base64 ClientProof>
//   server-final  v=<base64 ServerSignature>
//
// The proof is checked against the stored key: ClientKey = ClientProof XOR HMAC(StoredKey,
// AuthMessage), and H(ClientKey) must equal StoredKey. Credentials are looked up through the
// injected function (the metadata store); an unknown user fails with Kafka's message.

import { randomBytes, timingSafeEqual } from 'node:crypto'
import { SaslAuthenticationError, type SaslServer } from './sasl-server.ts'
import { hash, hmac, type ScramCredential, type ScramMechanism } from './scram-credential.ts'

export type ScramCredentialLookup = (
  user: string,
  mechanism: ScramMechanism,
) => ScramCredential | null | Promise<ScramCredential | null>

const CLIENT_FIRST = /^([ny]),(?:a=([^,]*))?,(n=([^,]*),r=([^,]+)((?:,[^,]*)*))$/
const CLIENT_FINAL = /^(c=([^,]*),r=([^,]*)(?:,[^,]*)*?),p=([A-Za-z0-9+/=]+)$/

/** `=2C` → `,` and `=3D` → `=` (RFC 5802 saslname); null when another `=` escape appears. */
export function decodeSaslName(name: string): string | null {
  if (/=(?!2C|3D)/.test(name)) return null
  return name.replaceAll('=2C', ',').replaceAll('=3D', '=')
}

export function encodeSaslName(name: string): string {
  return name.replaceAll('=', '=3D').replaceAll(',', '=2C')
}

export class ScramServer implements SaslServer {
  readonly mechanism: string
  complete = false
  authorizationId: string | null = null
  readonly credentialExpiresAtMs = null
  private readonly m: ScramMechanism
  private readonly lookup: ScramCredentialLookup
  private step: 'first' | 'final' | 'done' = 'first'
  private clientFirstBare = ''
  private serverFirst = ''
  private gs2Header = ''
  private nonce = ''
  private user = ''
  private credential: ScramCredential | null = null

  constructor(m: ScramMechanism, lookup: ScramCredentialLookup) {
    this.m = m
    this.mechanism = m.name
    this.lookup = lookup
  }

  async evaluate(token: Buffer): Promise<Buffer> {
    if (this.step === 'first') return this.first(token.toString('utf8'))
    if (this.step === 'final') return this.final(token.toString('utf8'))
    throw new Error('SCRAM exchange already complete')
  }

  private async first(msg: string): Promise<Buffer> {
    const match = CLIENT_FIRST.exec(msg)
    if (match === null) throw new Error('Invalid SCRAM client first message')
    const [, , authzid, bare, saslName, clientNonce, extensions] = match
    const user = decodeSaslName(saslName!)
    if (user === null || user === '') throw new Error('Invalid user name in SCRAM client first message')
    if (/(^|,)tokenauth=true(,|$)/i.test(extensions ?? ''))
      throw new SaslAuthenticationError('Authentication failed: delegation tokens are not supported')
    if (authzid !== undefined && authzid !== '' && decodeSaslName(authzid) !== user)
      throw new SaslAuthenticationError(
        'Authentication failed: Client requested an authorization id that is different from username',
      )
    const credential = await this.lookup(user, this.m)
    if (credential === null)
      throw new SaslAuthenticationError('Authentication failed: Invalid user credentials')
    if (credential.iterations < this.m.minIterations)
      throw new Error(`Iterations ${credential.iterations} is less than the minimum ${this.m.minIterations}`)
    this.user = user
    this.credential = credential
    this.clientFirstBare = bare!
    this.gs2Header = msg.slice(0, msg.length - bare!.length)
    this.nonce = clientNonce! + randomBytes(24).toString('base64url')
    this.serverFirst = `r=${this.nonce},s=${credential.salt.toString('base64')},i=${credential.iterations}`
    this.step = 'final'
    return Buffer.from(this.serverFirst, 'utf8')
  }

  private final(msg: string): Buffer {
    this.step = 'done'
    const match = CLIENT_FINAL.exec(msg)
    if (match === null) throw new Error('Invalid SCRAM client final message')
    const [, withoutProof, channelBinding, nonce, proofB64] = match
    // Kafka accepts a nonce that ends with the server's (some librdkafka versions send the client
    // nonce again in front of it); the proof covers whatever was sent.
    if (!nonce!.endsWith(this.nonce)) throw new Error('Invalid client nonce in the final client message.')
    if (Buffer.from(channelBinding!, 'base64').toString('utf8') !== this.gs2Header)
      throw new Error('Invalid channel binding in the final client message.')
    const credential = this.credential!
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`
    const proof = Buffer.from(proofB64!, 'base64')
    if (proof.length !== credential.storedKey.length) throw new Error('Invalid client proof length')
    const signature = hmac(this.m, credential.storedKey, authMessage)
    const clientKey = Buffer.alloc(proof.length)
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ signature[i]!
    if (!timingSafeEqual(hash(this.m, clientKey), credential.storedKey))
      throw new Error('Invalid client credentials')
    this.complete = true
    this.authorizationId = this.user
    const serverSignature = hmac(this.m, credential.serverKey, authMessage)
    return Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8')
  }
}
