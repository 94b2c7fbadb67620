// Request/response framing: the int32 size prefix, the request header (v0-v2) and the response
// header (v0-v1), and which header version goes with which API version.
//
//   request  = int32 size | RequestHeader | request body
//   response = int32 size | ResponseHeader | response body
//
// Request header v0 (apiKey int16, apiVersion int16, correlationId int32) is used only by
// ControlledShutdown v0; v1 adds clientId (nullable string with an int16 length, even in flexible
// versions); v2 adds a tagged-field section. v2 goes with API versions in the API's
// flexibleVersions, v1 otherwise. Response header v0 is the correlationId; v1 adds tagged fields
// and goes with flexible versions, except that ApiVersions responses always use v0 (a client that
// sent a version the broker does not know must still be able to read the answer).
//
// The frame reader (frame-reader.ts) splits the byte stream; this file decodes one frame body.
// Callers: network (broker side: decode requests, encode responses) and client (the reverse).

import { DecodeError, EncodeError, InternalErrorCode, SamsaError } from '../common/errors.ts'
import type { MessageCodec } from './codec.ts'
import { API_TABLE, type ApiEntry, ApiKey } from './generated/api-keys.ts'
import {
  type RequestHeader,
  type ResponseHeader,
  requestHeaderCodec,
  responseHeaderCodec,
} from './generated/headers.ts'
import { Reader } from './primitives/reader.ts'
import { Splice, Writer } from './primitives/writer.ts'

/** The table entry of an API key, or null when the codec does not know the key. */
export function apiEntry(apiKey: number): ApiEntry | null {
  return (apiKey >= 0 && API_TABLE[apiKey]) || null
}

/** Request header version for an API version (flexible → 2; ControlledShutdown v0 → 0; else 1). */
export function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === ApiKey.ControlledShutdown && apiVersion === 0) return 0
  const api = apiEntry(apiKey)
  return api !== null && apiVersion >= api.flexibleMin ? 2 : 1
}

/** Response header version for an API version (flexible → 1, else 0; ApiVersions always 0). */
export function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === ApiKey.ApiVersions) return 0
  const api = apiEntry(apiKey)
  return api !== null && apiVersion >= api.flexibleMin ? 1 : 0
}

/** A decoded request header plus where the body starts. The body itself is decoded on demand. */
export interface RequestFrame {
  readonly header: RequestHeader
  readonly apiKey: number
  readonly apiVersion: number
  readonly correlationId: number
  readonly clientId: string | null
  readonly headerVersion: number
  /** The API's table entry; null for an API key the codec does not know. */
  readonly api: ApiEntry | null
  /**
   * True when the codec has a schema for this key and version. When false the header was read as
   * v1 (key, version, correlation id, client id) and the rest left unread: this is how an
   * ApiVersions request of a version newer than ours is answered with UNSUPPORTED_VERSION.
   */
  readonly supported: boolean
  /** The frame (without its size prefix) and the offset of the request body within it. */
  readonly buf: Buffer
  readonly bodyOffset: number
}

/**
 * Decodes the header of one request frame (the bytes after the size prefix). Throws DecodeError
 * when even the header does not decode; the connection should then be closed.
 */
export function decodeRequestFrame(buf: Buffer): RequestFrame {
  if (buf.length < 8)
    throw new DecodeError(`request frame of ${buf.length} bytes is shorter than a header`, 0)
  const apiKey = buf.readInt16BE(0)
  const apiVersion = buf.readInt16BE(2)
  const api = apiEntry(apiKey)
  const supported = api !== null && apiVersion >= api.minVersion && apiVersion <= api.maxVersion
  const headerVersion = supported ? requestHeaderVersion(apiKey, apiVersion) : 1
  const r = new Reader(buf)
  const header = requestHeaderCodec.decode(r, headerVersion)
  if (r.error !== null) throw r.error
  return {
    header,
    apiKey,
    apiVersion,
    correlationId: header.correlationId,
    clientId: headerVersion >= 1 ? header.clientId : null,
    headerVersion,
    api,
    supported,
    buf,
    bodyOffset: r.pos,
  }
}

/**
 * Decodes the body of a supported request frame with its API's request codec. Throws SamsaError
 * UnknownApi when the frame is not supported, DecodeError when the body does not decode exactly.
 */
export function decodeRequestBody<T = unknown>(frame: RequestFrame): T {
  if (!frame.supported || frame.api === null) {
    throw new SamsaError(
      InternalErrorCode.UnknownApi,
      `no schema for api key ${frame.apiKey} version ${frame.apiVersion}`,
    )
  }
  return decodeBody(frame.api.request as MessageCodec<T>, frame.buf, frame.bodyOffset, frame.apiVersion)
}

function decodeBody<T>(codec: MessageCodec<T>, buf: Buffer, offset: number, version: number): T {
  const r = new Reader(buf, offset)
  const msg = codec.decode(r, version)
  if (r.error !== null) throw r.error
  if (r.pos !== r.end) throw new DecodeError(`${r.end - r.pos} trailing bytes after ${codec.name}`, r.pos)
  return msg
}

/** Largest frame body the size prefix can express. */
const MAX_FRAME = 0x7fffffff

/**
 * Sizes and writes `size | header | body` into one allocation. With splicing, records blobs of
 * SPLICE_MIN bytes or more are left out of the allocation and referenced by `Writer.chunks()`.
 */
function writeFrame<H, T>(
  headerCodec: MessageCodec<H>,
  header: H,
  headerVersion: number,
  codec: MessageCodec<T>,
  msg: T,
  version: number,
  splice: boolean,
): Writer {
  const sp = splice ? new Splice() : null
  const inline = 4 + headerCodec.size(header, headerVersion, null) + codec.size(msg, version, sp)
  const frameSize = inline - 4 + (sp === null ? 0 : sp.bytes)
  if (frameSize > MAX_FRAME) throw new EncodeError(`${codec.name} frame of ${frameSize} bytes is too large`)
  const w = new Writer(inline, splice)
  w.int32(frameSize)
  headerCodec.write(w, header, headerVersion)
  codec.write(w, msg, version)
  return w
}

function responseHeader(correlationId: number): ResponseHeader {
  return { correlationId }
}

/** A whole response frame (size prefix included) as one buffer. */
export function encodeResponseFrame<T>(
  codec: MessageCodec<T>,
  msg: T,
  version: number,
  correlationId: number,
): Buffer {
  const hv = responseHeaderVersion(codec.apiKey, version)
  return writeFrame(
    responseHeaderCodec,
    responseHeader(correlationId),
    hv,
    codec,
    msg,
    version,
    false,
  ).finish()
}

/**
 * A whole response frame as chunks for one `writev`: large records blobs (Fetch) are spliced in
 * by reference instead of copied into the envelope.
 */
export function encodeResponseFrameChunks<T>(
  codec: MessageCodec<T>,
  msg: T,
  version: number,
  correlationId: number,
): Buffer[] {
  const hv = responseHeaderVersion(codec.apiKey, version)
  return writeFrame(
    responseHeaderCodec,
    responseHeader(correlationId),
    hv,
    codec,
    msg,
    version,
    true,
  ).chunks()
}

/** A whole request frame (size prefix included): the client side and tests. */
export function encodeRequestFrame<T>(
  codec: MessageCodec<T>,
  msg: T,
  version: number,
  correlationId: number,
  clientId: string | null,
): Buffer {
  const hv = requestHeaderVersion(codec.apiKey, version)
  const header: RequestHeader = {
    requestApiKey: codec.apiKey,
    requestApiVersion: version,
    correlationId,
    clientId,
  }
  return writeFrame(requestHeaderCodec, header, hv, codec, msg, version, false).finish()
}

/** The correlation id of a response frame (after the size prefix), to match it to its request. */
export function responseCorrelationId(buf: Buffer): number {
  if (buf.length < 4) throw new DecodeError('response frame shorter than a header', 0)
  return buf.readInt32BE(0)
}

/** Decodes a response frame for the request that was sent with `codec` at `version`. */
export function decodeResponseFrame<T>(
  codec: MessageCodec<T>,
  buf: Buffer,
  version: number,
): { header: ResponseHeader; body: T } {
  const r = new Reader(buf)
  const header = responseHeaderCodec.decode(r, responseHeaderVersion(codec.apiKey, version))
  if (r.error !== null) throw r.error
  return { header, body: decodeBody(codec, buf, r.pos, version) }
}
