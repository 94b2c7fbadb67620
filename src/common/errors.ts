// Internal errors carry a stable, prefixed code (SAMSA-<AREA>-<NNN>) so logs, tests and docs can
// name them. Kafka's own error codes are in protocol/generated/error-codes.ts; this file is for
// errors that never travel on the wire as such.

export const InternalErrorCode = {
  /** A frame or message could not be decoded (truncated, bad length, bad varint, ...). */
  Decode: 'SAMSA-PROTO-001',
  /** A frame's size prefix is larger than the configured maximum. */
  FrameTooLarge: 'SAMSA-PROTO-002',
  /** A frame's size prefix is negative or otherwise impossible. */
  FrameInvalid: 'SAMSA-PROTO-003',
  /** A value cannot be encoded in the requested version (e.g. null in a non-nullable field). */
  Encode: 'SAMSA-PROTO-004',
  /** An API key or version the codec does not know. */
  UnknownApi: 'SAMSA-PROTO-005',
  /** A record batch is malformed (size, magic, CRC, counts). */
  CorruptBatch: 'SAMSA-REC-001',
  /** A record batch uses the legacy message format (magic 0 or 1), which Samsa refuses. */
  LegacyMessageFormat: 'SAMSA-REC-002',
  /** A compression codec failed or is unknown. */
  Compression: 'SAMSA-REC-003',
} as const
export type InternalErrorCode = (typeof InternalErrorCode)[keyof typeof InternalErrorCode]

export class SamsaError extends Error {
  readonly code: InternalErrorCode
  constructor(code: InternalErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options)
    this.name = 'SamsaError'
    this.code = code
  }
}

/** Raised (or returned) when bytes from the network do not decode. Never anything else. */
export class DecodeError extends SamsaError {
  readonly offset: number
  constructor(message: string, offset: number) {
    super(InternalErrorCode.Decode, `${message} at byte ${offset}`)
    this.name = 'DecodeError'
    this.offset = offset
  }
}

export class EncodeError extends SamsaError {
  constructor(message: string) {
    super(InternalErrorCode.Encode, message)
    this.name = 'EncodeError'
  }
}
