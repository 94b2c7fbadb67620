// What a server-side SASL mechanism is: a little state machine fed the client's tokens, answering
// challenges until it is complete. Failures are one of two kinds, as in Kafka:
// - SaslAuthenticationError: its message goes to the client as is (e.g. "Authentication failed:
//   Invalid username or password");
// - anything else thrown (malformed token, bad proof): logged with its reason, and the client gets
//   only "Authentication failed during authentication due to invalid credentials with SASL
//   mechanism <M>", so a prober learns nothing about why.

export interface SaslServer {
  readonly mechanism: string
  /** The next challenge for `token` (possibly empty); throws on failure. */
  evaluate(token: Buffer): Buffer | Promise<Buffer>
  /** True once the exchange succeeded. */
  readonly complete: boolean
  /** The authenticated user name (the `<name>` of `User:<name>`), once complete. */
  readonly authorizationId: string | null
  /** Wall-clock ms at which the credential stops being valid (OAUTHBEARER token `exp`), else null. */
  readonly credentialExpiresAtMs: number | null
}

export class SaslAuthenticationError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SaslAuthenticationError'
  }
}

export function genericFailureMessage(mechanism: string): string {
  return `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`
}

/** The message a client is sent for a failure thrown by a SaslServer. */
export function clientFailureMessage(mechanism: string, err: unknown): string {
  return err instanceof SaslAuthenticationError ? err.message : genericFailureMessage(mechanism)
}
