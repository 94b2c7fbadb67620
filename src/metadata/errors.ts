// Internal errors of the metadata layer, with stable codes like common/errors.ts. They mean the store
// cannot work (a corrupt or foreign state file, an identity mismatch, a closed store) — business
// failures of admin operations are Kafka error codes in results instead.

export const MetadataErrorCode = {
  /** meta.properties is unreadable or inconsistent. */
  MetaProperties: 'SAMSA-META-001',
  /** The configured node id or cluster id differs from the stored one. */
  IdentityMismatch: 'SAMSA-META-002',
  /** The metadata state file is corrupt or of an unknown version. */
  CorruptState: 'SAMSA-META-003',
  /** The store was used after close(). */
  Closed: 'SAMSA-META-004',
} as const
export type MetadataErrorCode = (typeof MetadataErrorCode)[keyof typeof MetadataErrorCode]

export class MetadataError extends Error {
  readonly code: MetadataErrorCode
  constructor(code: MetadataErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options)
    this.name = 'MetadataError'
    this.code = code
  }
}
