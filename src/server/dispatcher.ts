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
// Request metrics: with an observer (the HTTP listener is on), each served request is reported once
// with its timings from performance.now(): started (before the header is decoded), the synchronous
// part (handle() returned) and the response encoded. Nothing is measured when there is no observer.

import type { Logger } from '../common/logger.ts'
import { type ConnectionInfo, closeAfterWrite, type DispatchResult } from '../network/connection.ts'
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
  private readonly pool: BufferPool
  private readonly observer: RequestObserver | null

  constructor(
    registry: Registry<S>,
    services: S,
    log: Logger,
    pool: BufferPool = sharedBufferPool,
    observer: RequestObserver | null = null,
  ) {
    this.registry = registry
    this.services = services
    this.log = log
    this.pool = pool
    this.observer = observer
  }

  /** The network layer's Dispatch. Throws when the connection must be closed. */
  readonly dispatch = (buf: Buffer, conn: ConnectionInfo): DispatchResult | Promise<DispatchResult> => {
    const observer = this.observer
    const started = observer === null ? 0 : performance.now()
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
      const syncMs = observer === null ? 0 : performance.now() - started
      return out.then(
        (res) => {
          const r = this.encode(handler, frame, res)
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
          return r
        },
        (err) => this.failed(handler, frame, req, err),
      )
    }
    const r = this.encode(handler, frame, out)
    if (recycle) this.pool.release(buf)
    observer?.observe(frame.api!.name, frame.apiKey, frame.apiVersion, req, buf.length, r, started, -1)
    return r
  }

  private encode(handler: AnyHandler<S>, frame: RequestFrame, res: unknown): DispatchResult {
    if (res === null) return null
    if (res === CLOSE_CONNECTION) return closeAfterWrite([])
    if (handler.splice)
      return encodeResponseFrameChunks(handler.response, res, frame.apiVersion, frame.correlationId)
    return [encodeResponseFrame(handler.response, res, frame.apiVersion, frame.correlationId)]
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
