// CRC-32C (Castagnoli), the checksum of record batches v2. The native implementation
// (@node-rs/crc32, hardware-accelerated) is used when it loads; otherwise a pure-JS slice-by-8
// table implementation, which is also exported so tests and benchmarks can compare the two.

import { createRequire } from 'node:module'

const POLY = 0x82f63b78

function makeTables(): Int32Array[] {
  const tables: Int32Array[] = []
  const t0 = new Int32Array(256)
  for (let i = 0; i < 256; i++) {
    let c = i
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1
    t0[i] = c
  }
  tables.push(t0)
  for (let t = 1; t < 8; t++) {
    const prev = tables[t - 1]
    const cur = new Int32Array(256)
    for (let i = 0; i < 256; i++) cur[i] = (prev[i] >>> 8) ^ t0[prev[i] & 0xff]
    tables.push(cur)
  }
  return tables
}

const [T0, T1, T2, T3, T4, T5, T6, T7] = makeTables()

/** Pure-JS CRC-32C, slice-by-8. `start`/`end` select a range without slicing. */
export function crc32cJs(buf: Uint8Array, start = 0, end = buf.length, initial = 0): number {
  let crc = ~initial
  let i = start
  const end8 = end - ((end - start) & 7)
  while (i < end8) {
    const a = crc ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24))
    crc =
      T7[a & 0xff] ^
      T6[(a >>> 8) & 0xff] ^
      T5[(a >>> 16) & 0xff] ^
      T4[a >>> 24] ^
      T3[buf[i + 4]] ^
      T2[buf[i + 5]] ^
      T1[buf[i + 6]] ^
      T0[buf[i + 7]]
    i += 8
  }
  while (i < end) crc = (crc >>> 8) ^ T0[(crc ^ buf[i++]) & 0xff]
  return ~crc >>> 0
}

type NativeCrc = (input: Uint8Array, initialState?: number | null) => number

function loadNative(): NativeCrc | null {
  if (process.env.SAMSA_CRC32C === 'js') return null
  try {
    const require = createRequire(import.meta.url)
    const mod = require('@node-rs/crc32') as { crc32c: NativeCrc }
    return mod.crc32c
  } catch {
    return null
  }
}

const native = loadNative()

/** Which implementation `crc32c` uses: 'native' or 'js'. */
export const crc32cImplementation: 'native' | 'js' = native === null ? 'js' : 'native'

/** CRC-32C of buf[start, end). */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  if (native === null) return crc32cJs(buf, start, end)
  const view = start === 0 && end === buf.length ? buf : buf.subarray(start, end)
  return native(view) >>> 0
}
