// Shared assertion: fn throws a SamsaError with the given internal code (and nothing else).

import assert from 'node:assert/strict'
import { type InternalErrorCode, SamsaError } from '../../../src/common/errors.ts'

export function throwsCode(fn: () => unknown, code: InternalErrorCode, message?: RegExp): SamsaError {
  let caught: unknown = null
  try {
    fn()
  } catch (err) {
    caught = err
  }
  assert.ok(caught instanceof SamsaError, `expected a SamsaError, got ${String(caught)}`)
  assert.equal(caught.code, code, caught.message)
  if (message !== undefined) assert.match(caught.message, message)
  return caught
}
