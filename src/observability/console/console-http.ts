// Small HTTP helpers of the console's JSON API: answers (JSON, with bigints as decimal strings so
// offsets above 2^53 survive), a bounded JSON body reader, and ApiError, the one way a route says
// "answer this status" (Kafka error codes travel with their name, as the Kafka API would carry them).

import type { IncomingMessage, ServerResponse } from 'node:http'
import { errorName } from '../../protocol/generated/error-codes.ts'

/** Largest request body the API reads (a produced test message with its headers). */
export const MAX_BODY_BYTES = 1024 * 1024

export class ApiError extends Error {
  readonly status: number
  readonly errorCode: number | null
  constructor(status: number, message: string, errorCode: number | null = null) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.errorCode = errorCode
  }
}

/** A Kafka error code answered by the store or the replica manager, as an HTTP answer. */
export function kafkaError(errorCode: number, message: string | null, status = 400): ApiError {
  return new ApiError(status, message ?? errorName(errorCode), errorCode)
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))
  res.statusCode = status
  res.setHeader('Content-Type', 'application/json; charset=utf-8')
  res.setHeader('Content-Length', Buffer.byteLength(text))
  res.setHeader('Cache-Control', 'no-store')
  res.end(res.req.method === 'HEAD' ? undefined : text)
}

export function sendError(res: ServerResponse, e: ApiError): void {
  sendJson(res, e.status, {
    error: e.message,
    ...(e.errorCode === null ? {} : { errorCode: e.errorCode, errorName: errorName(e.errorCode) }),
  })
}

/** The request's JSON object body; ApiError 400/413 when it is not one. */
export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const c of req) {
    size += (c as Buffer).length
    if (size > MAX_BODY_BYTES) throw new ApiError(413, `request body over ${MAX_BODY_BYTES} bytes`)
    chunks.push(c as Buffer)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  if (text.trim() === '') return {}
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    throw new ApiError(400, 'request body is not JSON')
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new ApiError(400, 'request body must be a JSON object')
  return v as Record<string, unknown>
}

/** A field that must be an integer (number or decimal string) within [min, max]. */
export function intField(v: unknown, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min || n > max)
    throw new ApiError(400, `${what} must be an integer from ${min} to ${max}`)
  return n
}

/** A 64-bit offset or timestamp from a query parameter. */
export function bigintParam(v: string, what: string): bigint {
  if (!/^-?\d{1,19}$/.test(v.trim())) throw new ApiError(400, `${what} must be an integer`)
  return BigInt(v.trim())
}
