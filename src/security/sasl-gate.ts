// Authentication on SASL listeners: a per-connection state machine in front of the dispatcher,
// with Kafka's wire behaviour (KIP-43, KIP-152, KIP-368):
//
//   initial ──ApiVersions──▶ initial (answered by the dispatcher as usual)
//   initial ──SaslHandshake v0──▶ raw         (then raw length-prefixed tokens, no Kafka header)
//   initial ──SaslHandshake v1──▶ authenticate (then SaslAuthenticate v0-2 requests)
//   raw / authenticate ──token…──▶ authenticated (principal User:<name> set on the connection)
//   authenticated ──SaslHandshake──▶ re-authentication (KIP-368; same principal and mechanism)
//
// Anything else before authentication closes the connection (Kafka's IllegalSaslStateException),
// as does a frame above sasl.server.max.receive.size (refused from its size prefix: the listener
// starts SASL connections with that frame limit and authentication lifts it). An unknown mechanism
// is answered UNSUPPORTED_SASL_MECHANISM with the enabled list, then the connection is closed. Wrong
// credentials: SASL_AUTHENTICATION_FAILED with Kafka's message, sent after
// connection.failed.authentication.delay.ms, and the connection is closed; with raw tokens (v0)
// there is no error frame, only the delayed close. With SaslAuthenticate v1+ and
// connections.max.reauth.ms > 0 the session lifetime is sent and enforced: after it a request
// other than a re-authentication closes the connection.
//
// Connections on non-SASL listeners pass straight through (one map lookup). The state lives in a
// WeakMap keyed by the connection's info object, so it goes with the connection.

import type { Logger } from '../common/logger.ts'
import type { PeerReporter } from '../network/abuse-log.ts'
import {
  type ConnectionInfo,
  closeAfterWrite,
  type Dispatch,
  type DispatchResult,
} from '../network/connection.ts'
import {
  decodeRequestBody,
  decodeRequestFrame,
  encodeResponseFrame,
  type RequestFrame,
} from '../protocol/frame.ts'
import { ApiKey } from '../protocol/generated/api-keys.ts'
import { ErrorCode } from '../protocol/generated/error-codes.ts'
import {
  type SaslAuthenticateRequest,
  type SaslAuthenticateResponse,
  saslAuthenticateResponseCodec,
} from '../protocol/generated/messages/sasl-authenticate.ts'
import {
  type SaslHandshakeRequest,
  saslHandshakeResponseCodec,
} from '../protocol/generated/messages/sasl-handshake.ts'
import type { ListenerSasl, SaslSettings } from './sasl-config.ts'
import { OAuthBearerUnsecuredServer } from './sasl-oauthbearer.ts'
import { OAuthBearerValidatorServer } from './sasl-oauthbearer-jwt.ts'
import { PlainServer } from './sasl-plain.ts'
import { clientFailureMessage, type SaslServer } from './sasl-server.ts'
import { scramMechanismByName } from './scram-credential.ts'
import { type ScramCredentialLookup, ScramServer } from './scram-server.ts'

export const ANONYMOUS = 'User:ANONYMOUS'

type State = 'initial' | 'raw' | 'authenticate' | 'authenticated' | 'failed'

interface Session {
  state: State
  server: SaslServer | null
  /** Principal of the current session (kept while a re-authentication runs). */
  principal: string | null
  mechanism: string | null
  /** Wall-clock ms after which only a re-authentication is accepted; null: never. */
  expiresAtMs: number | null
  reauthenticating: boolean
}

export interface SaslGateOptions {
  readonly settings: SaslSettings
  readonly scramCredentials: ScramCredentialLookup
  readonly now: () => number
  readonly log: Logger
  /** Where failed authentications are logged, rate-limited per source address; default: INFO each. */
  readonly reporter?: PeerReporter
}

export class SaslGate {
  private readonly o: SaslGateOptions
  private readonly sessions = new WeakMap<ConnectionInfo, Session>()

  constructor(o: SaslGateOptions) {
    this.o = o
  }

  /** The dispatch to give the network layer: gated on SASL listeners, untouched elsewhere. */
  wrap(inner: Dispatch): Dispatch {
    const listeners = this.o.settings.listeners
    if (listeners.size === 0) return inner
    return (frame, conn) => {
      const listener = listeners.get(conn.listener)
      if (listener === undefined) return inner(frame, conn)
      let s = this.sessions.get(conn)
      if (s === undefined) {
        s = {
          state: 'initial',
          server: null,
          principal: null,
          mechanism: null,
          expiresAtMs: null,
          reauthenticating: false,
        }
        this.sessions.set(conn, s)
      }
      return this.gate(s, listener, frame, conn, inner)
    }
  }

  private gate(
    s: Session,
    l: ListenerSasl,
    frame: Buffer,
    conn: ConnectionInfo,
    inner: Dispatch,
  ): DispatchResult | Promise<DispatchResult> {
    if (s.state === 'authenticated' || s.reauthenticating) {
      const apiKey = frame.length >= 2 ? frame.readInt16BE(0) : -1
      const expired = s.expiresAtMs !== null && this.o.now() >= s.expiresAtMs
      if (s.reauthenticating && apiKey === ApiKey.SaslAuthenticate)
        return this.authenticate(s, l, frame, conn)
      if (apiKey === ApiKey.SaslHandshake && !s.reauthenticating)
        return this.handshake(s, l, frame, conn, true)
      if (expired) throw new Error(`SASL session of ${s.principal} expired (connections.max.reauth.ms)`)
      return inner(frame, conn)
    }
    if (frame.length > this.o.settings.maxReceiveSize)
      throw new Error(
        `SASL frame of ${frame.length} bytes before authentication exceeds sasl.server.max.receive.size (${this.o.settings.maxReceiveSize})`,
      )
    switch (s.state) {
      case 'initial': {
        const apiKey = frame.length >= 2 ? frame.readInt16BE(0) : -1
        if (apiKey === ApiKey.ApiVersions) return inner(frame, conn)
        if (apiKey === ApiKey.SaslHandshake) return this.handshake(s, l, frame, conn, false)
        throw new Error(`Unexpected Kafka request of type ${apiKey} during SASL handshake`)
      }
      case 'authenticate': {
        const apiKey = frame.length >= 2 ? frame.readInt16BE(0) : -1
        if (apiKey !== ApiKey.SaslAuthenticate)
          throw new Error(`Unexpected Kafka request of type ${apiKey} during SASL authentication`)
        return this.authenticate(s, l, frame, conn)
      }
      case 'raw':
        return this.rawToken(s, l, frame, conn)
      default:
        // Failed: muted until the delayed answer is written and the connection closed (Kafka mutes
        // the channel); nothing else is read into a response.
        return null
    }
  }

  private handshake(
    s: Session,
    l: ListenerSasl,
    buf: Buffer,
    conn: ConnectionInfo,
    reauth: boolean,
  ): DispatchResult {
    const frame = decodeRequestFrame(buf)
    if (!frame.supported || frame.apiVersion > 1)
      throw new Error(`SaslHandshake v${frame.apiVersion} is not served`)
    const req = decodeRequestBody<SaslHandshakeRequest>(frame)
    const answer = (errorCode: number) =>
      encodeResponseFrame(
        saslHandshakeResponseCodec,
        { errorCode, mechanisms: [...l.mechanisms] },
        frame.apiVersion,
        frame.correlationId,
      )
    if (reauth) {
      // KIP-368: re-authentication uses SaslAuthenticate, with the mechanism of the session.
      if (frame.apiVersion < 1 || req.mechanism !== s.mechanism) {
        s.state = 'failed'
        return closeAfterWrite([answer(ErrorCode.ILLEGAL_SASL_STATE)])
      }
      s.server = this.serverFor(req.mechanism, l)
      s.reauthenticating = true
      return [answer(ErrorCode.NONE)]
    }
    if (!l.mechanisms.includes(req.mechanism)) {
      this.o.log.debug(`${conn.remote}: unsupported SASL mechanism ${req.mechanism} on ${l.listenerName}`)
      s.state = 'failed'
      return closeAfterWrite([answer(ErrorCode.UNSUPPORTED_SASL_MECHANISM)])
    }
    s.server = this.serverFor(req.mechanism, l)
    s.mechanism = req.mechanism
    s.state = frame.apiVersion === 0 ? 'raw' : 'authenticate'
    return [answer(ErrorCode.NONE)]
  }

  private serverFor(mechanism: string, l: ListenerSasl): SaslServer {
    if (mechanism === 'PLAIN') return new PlainServer(l.plainUsers)
    if (mechanism === 'OAUTHBEARER')
      return l.oauthValidator
        ? new OAuthBearerValidatorServer(l.oauthValidator, this.o.now)
        : new OAuthBearerUnsecuredServer(l.oauthOptions, this.o.now)
    const scram = scramMechanismByName(mechanism)
    if (scram === undefined) throw new Error(`no SASL server for ${mechanism}`)
    return new ScramServer(scram, this.o.scramCredentials)
  }

  private authenticate(
    s: Session,
    l: ListenerSasl,
    buf: Buffer,
    conn: ConnectionInfo,
  ): DispatchResult | Promise<DispatchResult> {
    const frame = decodeRequestFrame(buf)
    if (!frame.supported || frame.apiVersion > 2)
      throw new Error(`SaslAuthenticate v${frame.apiVersion} is not served`)
    const req = decodeRequestBody<SaslAuthenticateRequest>(frame)
    return this.evaluate(
      s,
      l,
      conn,
      req.authBytes,
      (challenge, lifetimeMs) => [
        this.authResponse(frame, {
          errorCode: 0,
          errorMessage: null,
          authBytes: challenge,
          sessionLifetimeMs: BigInt(lifetimeMs),
        }),
      ],
      (message) =>
        closeAfterWrite([
          this.authResponse(frame, {
            errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED,
            errorMessage: message,
            authBytes: Buffer.alloc(0),
            sessionLifetimeMs: 0n,
          }),
        ]),
      frame.apiVersion >= 1,
    )
  }

  private authResponse(frame: RequestFrame, res: SaslAuthenticateResponse): Buffer {
    return encodeResponseFrame(saslAuthenticateResponseCodec, res, frame.apiVersion, frame.correlationId)
  }

  /** v0: the frame is the token itself; the answer is the challenge with a size prefix. */
  private rawToken(
    s: Session,
    l: ListenerSasl,
    token: Buffer,
    conn: ConnectionInfo,
  ): DispatchResult | Promise<DispatchResult> {
    return this.evaluate(
      s,
      l,
      conn,
      token,
      (challenge) => {
        const out = Buffer.allocUnsafe(4 + challenge.length)
        out.writeInt32BE(challenge.length, 0)
        challenge.copy(out, 4)
        return [out]
      },
      () => closeAfterWrite([Buffer.alloc(0)]),
      false,
    )
  }

  private evaluate(
    s: Session,
    l: ListenerSasl,
    conn: ConnectionInfo,
    token: Buffer,
    ok: (challenge: Buffer, lifetimeMs: number) => Buffer[],
    failed: (message: string) => Buffer[],
    conveysLifetime: boolean,
  ): DispatchResult | Promise<DispatchResult> {
    const server = s.server!
    const succeed = (challenge: Buffer): DispatchResult | Promise<DispatchResult> => {
      if (!server.complete) return ok(challenge, 0)
      const principal = `User:${server.authorizationId}`
      if (s.reauthenticating && principal !== s.principal)
        return this.fail(
          s,
          conn,
          server.mechanism,
          failed,
          `Cannot change principals during re-authentication from ${s.principal}: ${principal}`,
        )
      const lifetime = conveysLifetime ? this.lifetimeMs(l, server) : 0
      s.principal = principal
      s.expiresAtMs = lifetime > 0 ? this.o.now() + lifetime : null
      s.state = 'authenticated'
      s.reauthenticating = false
      s.server = null
      conn.principal = principal
      // Frames were held to sasl.server.max.receive.size from the size prefix on until now.
      conn.setFrameLimit?.(null)
      this.o.log.debug(
        `${conn.remote} authenticated as ${principal} with ${server.mechanism} on ${l.listenerName}`,
      )
      return ok(challenge, lifetime)
    }
    const failure = (err: unknown): DispatchResult | Promise<DispatchResult> => {
      const message = `Failed authentication with ${conn.remote} (${(err as Error)?.message ?? String(err)}) on ${l.listenerName} with ${server.mechanism}`
      if (this.o.reporter === undefined) this.o.log.info(message)
      else this.o.reporter.report(conn.remote.slice(0, Math.max(0, conn.remote.lastIndexOf(':'))), message)
      return this.fail(s, conn, server.mechanism, failed, clientFailureMessage(server.mechanism, err))
    }
    let out: Buffer | Promise<Buffer>
    try {
      out = server.evaluate(token)
    } catch (err) {
      return failure(err)
    }
    if (out instanceof Promise) return out.then(succeed, failure)
    return succeed(out)
  }

  /** Marks the session failed; the error (if any) goes out after the configured delay, then the close. */
  private fail(
    s: Session,
    _conn: ConnectionInfo,
    _mechanism: string,
    failed: (message: string) => Buffer[],
    message: string,
  ): DispatchResult | Promise<DispatchResult> {
    s.state = 'failed'
    s.reauthenticating = false
    s.server = null
    const result = failed(message)
    const delay = this.o.settings.failedAuthDelayMs
    if (delay <= 0) return result
    return new Promise((resolve) => setTimeout(() => resolve(result), delay))
  }

  /** KIP-368: connections.max.reauth.ms, shortened to the credential's own expiry (OAUTHBEARER). */
  private lifetimeMs(l: ListenerSasl, server: SaslServer): number {
    if (l.reauthMs <= 0) return 0
    let ms = l.reauthMs
    if (server.credentialExpiresAtMs !== null)
      ms = Math.min(ms, Math.max(1, server.credentialExpiresAtMs - this.o.now()))
    return ms
  }
}
