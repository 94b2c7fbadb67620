// What the transactional APIs' older versions say instead of PRODUCER_FENCED (KIP-588 added it):
// clients that predate it know only INVALID_PRODUCER_EPOCH, which they treat as fatal the same way.

import { ErrorCode } from '../../protocol/generated/error-codes.ts'

/** `errorCode` as a client of `version` understands it; PRODUCER_FENCED only from `fencedFrom`. */
export function fencedForVersion(errorCode: number, version: number, fencedFrom: number): number {
  return errorCode === ErrorCode.PRODUCER_FENCED && version < fencedFrom
    ? ErrorCode.INVALID_PRODUCER_EPOCH
    : errorCode
}
