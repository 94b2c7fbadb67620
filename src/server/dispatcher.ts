// Turns one request frame into response bytes: decode the header, find the handler, decode the
// body, run the handler, encode the response frame. This is the Dispatch the network layer calls.
//
// Version handling, as Kafka does it:
// - ApiVersions with a version we do not serve: a v0-layout response with UNSUPPORTED_VERSION and
//   our full ranges, so the client retries with a version we serve.
// - Any other API whose version the schema knows but no handler serves: the body is decoded and
//   answered with UNSUPPORTED_VERSION in every error field the handler's errorResponse fills.
// - An unknown api key, a version beyond the schema, or a body that does not decode: thrown, and
//   the network layer closes that connection (the frame cannot be answered meaningfully).
// - A handler that throws: logged, answered with UNKNOWN_SERVER_ERROR.
//
// Buffer reuse: a Produce request's frame goes back to the buffer pool once its response is
// built. Nothing keeps a reference to it by then: the records were written to the log (the append
// resolves after the write completed) and the response holds only numbers and strings. Other
// requests are left to the GC (e.g. JoinGroup metadata is kept by the group coordinator). On any
// failure the frame is not released: an append may still be using it.
//
// Client quotas: with a throttle (security/quota-manager.ts) that has quotas, each served request is
// recorded with its request and response sizes and the time spent building it. A client over its
// quota gets its response with `throttleTimeMs` set (re-encoded), a throttled Fetch an empty answer
// (Kafka's), and the connection stops reading for that long after writing it (muteAfterWrite).
//
// Request metrics: with an observer (the HTTP listener is on), each served request is reported once
// with its timings from performance.now(): started (before the header is decoded), the synchronous
// part (handle() returned) and the response encoded. Nothing is measured when there is no observer.
//
// Request logging (Kafka's kafka.request.logger): at DEBUG on `<log>.logger` (the broker's
// samsa.request.logger) one line per served request with its api, version, correlation id, client,
// connection, principal, total time and sizes. The level is checked once per request; when it is
// off nothing is timed or built.

import { type Logger, LogLevel } from '../common/logger.ts'
import {
  type ConnectionInfo,
  closeAfterWrite,
  type DispatchResult,
  muteAfterWrite,
} from '../network/connection.ts'
import { type BufferPool, sharedBufferPool } from '../protocol/buffer-pool.ts'
import type { MessageCodec } from '../protocol/codec.ts'
import {
  decodeRequestBody,
  decodeRequestFrame,
  encodeResponseFrame,
  encodeResponseFrameChunks,
  type RequestFrame,
} from '../protocol/frame.ts'
import { ApiKey } from '../protocol/generated/api-keys.ts'
import { ErrorCode } from '../protocol/generated/error-codes.ts'
import {
  type ApiVersionsResponse,
  apiVersionsResponseCodec,
} from '../protocol/generated/messages/api-versions.ts'
import type { AnyHandler, RequestContext } from './handler.ts'
import type { Registry } from './registry.ts'

/** Told about every request served (observability/request-metrics.ts implements it). */
export interface RequestObserver {
  /**
   * `started` and the end are performance.now() times; `syncMs` is how long the handler ran before
   * returning (its whole time when it answered synchronously, else the part before its promise).
   */
  observe(
    api: string,
    apiKey: number,
    apiVersion: number,
    req: unknown,
    requestBytes: number,
    result: DispatchResult,
    started: number,
    syncMs: number,
  ): void
}

/** Client quotas (security/quota-manager.ts implements it). */
export interface RequestThrottle {
  /** False while no quota is configured: nothing is measured. */
  readonly active: boolean
  /** Records one served request; returns its client's throttle time in ms (0: none). */
  record(r: ThrottledRequest): number
  /** Takes back the bytes of a Fetch whose answer is replaced by an empty one. */
  unrecordFetch(r: ThrottledRequest): void
}

export interface ThrottledRequest {
  readonly apiKey: number
  readonly apiVersion: number
  readonly request: unknown
  readonly principal: string
  readonly clientId: string | null
  readonly requestBytes: number
  readonly responseBytes: number
  readonly handlerMs: number
}

/**
 * A handler's result that ends the connection instead of answering: an acks=0 produce that failed,
 * whose only signal to the client is the closed connection, as Kafka does. Typed never so that any
 * handler may return it.
 */
export const CLOSE_CONNECTION: never = Object.freeze({ closeConnection: true }) as never

export class Dispatcher<S> {
  private readonly registry: Registry<S>
  private readonly services: S
  private readonly log: Logger
  private readonly requestLog: Logger
  private readonly pool: BufferPool
  private readonly observer: RequestObserver | null
  private readonly throttle: RequestThrottle | null

  constructor(
    registry: Registry<S>,
    services: S,
    log: Logger,
    pool: BufferPool = sharedBufferPool,
    observer: RequestObserver | null = null,
    throttle: RequestThrottle | null = null,
  ) {
    this.registry = registry
    this.services = services
    this.log = log
    this.requestLog = log.child('logger')
    this.pool = pool
    this.observer = observer
    this.throttle = throttle
  }

  /** The network layer's Dispatch. Throws when the connection must be closed. */
  readonly dispatch = (buf: Buffer, conn: ConnectionInfo): DispatchResult | Promise<DispatchResult> => {
    const observer = this.observer
    const logged = this.requestLog.isEnabled(LogLevel.debug)
    const started = observer === null && !this.throttle?.active && !logged ? 0 : performance.now()
    const frame = decodeRequestFrame(buf)
    const handler = this.registry.get(frame.apiKey)
    const served =
      handler !== undefined &&
      frame.apiVersion >= handler.minVersion &&
      frame.apiVersion <= handler.maxVersion
    if (!served && frame.apiKey === ApiKey.ApiVersions) return [this.unsupportedApiVersions(frame)]
    if (!frame.supported) {
      throw new Error(
        `request api key ${frame.apiKey} version ${frame.apiVersion} is unknown (client ${frame.clientId ?? '-'})`,
      )
    }
    const req = decodeRequestBody(frame)
    if (!served) {
      this.log.debug(`${frame.api?.name} v${frame.apiVersion} is not served; answering UNSUPPORTED_VERSION`)
      const codec = frame.api!.response as MessageCodec<unknown>
      const res = handler?.errorResponse
        ? handler.errorResponse(req, frame.apiVersion, ErrorCode.UNSUPPORTED_VERSION)
        : genericError(codec, frame.apiVersion, ErrorCode.UNSUPPORTED_VERSION)
      return [encodeResponseFrame(codec, res, frame.apiVersion, frame.correlationId)]
    }
    const ctx: RequestContext = {
      apiKey: frame.apiKey,
      apiVersion: frame.apiVersion,
      correlationId: frame.correlationId,
      clientId: frame.clientId,
      connection: conn,
      log: this.log,
    }
    let out: unknown
    try {
      out = handler.handle(ctx, req, this.services)
    } catch (err) {
      return this.failed(handler, frame, req, err)
    }
    const recycle = frame.apiKey === ApiKey.Produce
    if (out instanceof Promise) {
      const syncMs = started === 0 ? 0 : performance.now() - started
      return out.then(
        (res) => {
          let r = this.encode(handler, frame, res)
          if (this.throttle?.active) r = this.throttled(handler, frame, req, conn, res, r, buf.length, syncMs)
          if (recycle) this.pool.release(buf)
          observer?.observe(
            frame.api!.name,
            frame.apiKey,
            frame.apiVersion,
            req,
            buf.length,
            r,
            started,
            syncMs,
          )
          if (logged) this.logRequest(frame, conn, buf.length, r, started)
          return r
        },
        (err) => this.failed(handler, frame, req, err),
      )
    }
    let r = this.encode(handler, frame, out)
    if (this.throttle?.active)
      r = this.throttled(handler, frame, req, conn, out, r, buf.length, performance.now() - started)
    if (recycle) this.pool.release(buf)
    observer?.observe(frame.api!.name, frame.apiKey, frame.apiVersion, req, buf.length, r, started, -1)
    if (logged) this.logRequest(frame, conn, buf.length, r, started)
    return r
  }

  private logRequest(
    frame: RequestFrame,
    conn: ConnectionInfo,
    requestBytes: number,
    r: DispatchResult,
    started: number,
  ): void {
    let responseBytes = 0
    if (r !== null) for (const c of r) responseBytes += c.length
    this.requestLog.debug('Completed request', {
      api: frame.api!.name,
      version: frame.apiVersion,
      correlationId: frame.correlationId,
      clientId: frame.clientId,
      connection: conn.id,
      remote: conn.remote,
      listener: conn.listener,
      principal: conn.principal ?? 'User:ANONYMOUS',
      totalTimeMs: Math.round((performance.now() - started) * 1000) / 1000,
      requestBytes,
      responseBytes,
    })
  }

  private encode(handler: AnyHandler<S>, frame: RequestFrame, res: unknown): DispatchResult {
    if (res === null) return null
    if (res === CLOSE_CONNECTION) return closeAfterWrite([])
    if (handler.splice)
      return encodeResponseFrameChunks(handler.response, res, frame.apiVersion, frame.correlationId)
    return [encodeResponseFrame(handler.response, res, frame.apiVersion, frame.correlationId)]
  }

  /** Records the request against its client's quotas; a throttled response is re-encoded and muted. */
  private throttled(
    handler: AnyHandler<S>,
    frame: RequestFrame,
    req: unknown,
    conn: ConnectionInfo,
    res: unknown,
    r: DispatchResult,
    requestBytes: number,
    handlerMs: number,
  ): DispatchResult {
    if (r === null || res === null || typeof res !== 'object' || !('throttleTimeMs' in res)) return r
    let responseBytes = 0
    for (const c of r) responseBytes += c.length
    const served: ThrottledRequest = {
      apiKey: frame.apiKey,
      apiVersion: frame.apiVersion,
      request: req,
      principal: conn.principal ?? 'User:ANONYMOUS',
      clientId: frame.clientId,
      requestBytes,
      responseBytes,
      handlerMs,
    }
    const ms = this.throttle!.record(served)
    if (ms <= 0) return r
    let answer: Record<string, unknown> = { ...(res as Record<string, unknown>), throttleTimeMs: ms }
    if (frame.apiKey === ApiKey.Fetch && Array.isArray(answer.responses) && answer.responses.length > 0) {
      // Kafka answers a throttled Fetch with no data and does not count its bytes.
      this.throttle!.unrecordFetch(served)
      for (const c of r) this.pool.release(c)
      answer = { ...answer, responses: [] }
    }
    return muteAfterWrite(this.encode(handler, frame, answer) ?? [], ms)
  }

  private failed(handler: AnyHandler<S>, frame: RequestFrame, req: unknown, err: unknown): DispatchResult {
    this.log.error(
      `error handling ${frame.api?.name} v${frame.apiVersion} from ${frame.clientId ?? '-'}`,
      err,
    )
    // An acks=0 produce expects no answer: its failure closes the connection (CLOSE_CONNECTION).
    if (frame.apiKey === ApiKey.Produce && (req as { acks?: number }).acks === 0) return closeAfterWrite([])
    const res = handler.errorResponse
      ? handler.errorResponse(req, frame.apiVersion, ErrorCode.UNKNOWN_SERVER_ERROR)
      : genericError(handler.response, frame.apiVersion, ErrorCode.UNKNOWN_SERVER_ERROR)
    return [encodeResponseFrame(handler.response, res, frame.apiVersion, frame.correlationId)]
  }

  private unsupportedApiVersions(frame: RequestFrame): Buffer {
    const res: ApiVersionsResponse = {
      ...apiVersionsResponseCodec.defaults(0),
      errorCode: ErrorCode.UNSUPPORTED_VERSION,
      apiKeys: this.registry.ranges(),
    }
    return encodeResponseFrame(apiVersionsResponseCodec, res, 0, frame.correlationId)
  }
}

/** Defaults of the response with its top-level errorCode set, when it has one. */
export function genericError<T>(codec: MessageCodec<T>, version: number, errorCode: number): T {
  const res = codec.defaults(version) as Record<string, unknown>
  if ('errorCode' in res) res.errorCode = errorCode
  return res as T
}
