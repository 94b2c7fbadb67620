// One error shape for every codec: SamsaError with InternalErrorCode.Compression, the codec name in
// the message and the library's error (if any) as the cause.

import { InternalErrorCode, SamsaError } from '../../common/errors.ts'

export function compressionError(codec: string, message: string, cause?: unknown): SamsaError {
  return new SamsaError(InternalErrorCode.Compression, `${codec}: ${message}`, { cause })
}

export function tooLarge(codec: string, size: number, maxOut: number): SamsaError {
  return compressionError(codec, `decompressed size ${size} exceeds the limit of ${maxOut} bytes`)
}

/** Runs a library call, turning anything it throws into a compression error. */
export function guard<T>(codec: string, what: string, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    if (err instanceof SamsaError) throw err
    const msg = err instanceof Error ? err.message : String(err)
    throw compressionError(codec, `${what} failed: ${msg}`, err)
  }
}
