// Lazy loading of the native codec packages (snappy, lz4-napi): they are required on first use,
// so a broker whose topics never see a codec never loads its binary, and a missing binary is a
// compression error on that codec rather than a crash at start-up.

import { createRequire } from 'node:module'
import { compressionError } from './errors.ts'

const require = createRequire(import.meta.url)
const cache = new Map<string, unknown>()

export function loadNative<T>(pkg: string, codec: string): T {
  const hit = cache.get(pkg)
  if (hit !== undefined) return hit as T
  let mod: T
  try {
    mod = require(pkg) as T
  } catch (err) {
    throw compressionError(codec, `the native package ${pkg} could not be loaded`, err)
  }
  cache.set(pkg, mod)
  return mod
}
