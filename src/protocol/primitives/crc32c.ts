// CRC-32C (Castagnoli), the checksum of record batches v2. Three implementations, the first that
// loads is used:
// - the project's addon (native/crc32c.c, built at install by scripts/build-native.mjs): folding
//   with carry-less multiplication where the CPU has AVX-512 and VPCLMULQDQ, else the crc32
//   instruction over three interleaved streams; ~9x and ~4x @node-rs/crc32 on large batches;
// - @node-rs/crc32 (prebuilt, hardware-accelerated, one dependent instruction after another);
// - a pure-JS table implementation, also exported so tests and benchmarks can compare.
// SAMSA_CRC32C=node-rs or =js picks one of the latter two (for benchmarks and tests).
//
// The JS path is slice-by-16 over 32-bit words: after a few leading bytes bring the position to a
// 4-byte boundary of the underlying ArrayBuffer, it reads four little-endian words at a time
// through an Int32Array view (one bounds-checked load per word instead of four byte loads and the
// shifts to assemble them) and folds 16 bytes with 16 table lookups. On a big-endian host, words
// are assembled from bytes instead. Inputs shorter than WORD_PATH_MIN go byte by byte, where the
// cost of creating a view would dominate.

import { createRequire } from 'node:module'
import { endianness } from 'node:os'

const POLY = 0x82f63b78
const WORD_PATH_MIN = 64
const LITTLE_ENDIAN = endianness() === 'LE'

/** T[k][b]: the CRC contribution of byte b followed by k zero bytes (reflected polynomial). */
function makeTables(): Int32Array[] {
  const tables: Int32Array[] = []
  const t0 = new Int32Array(256)
  for (let i = 0; i < 256; i++) {
    let c = i
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1
    t0[i] = c
  }
  tables.push(t0)
  for (let t = 1; t < 16; t++) {
    const prev = tables[t - 1]
    const cur = new Int32Array(256)
    for (let i = 0; i < 256; i++) cur[i] = (prev[i] >>> 8) ^ t0[prev[i] & 0xff]
    tables.push(cur)
  }
  return tables
}

const [T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15] = makeTables()

function bytewise(buf: Uint8Array, i: number, end: number, crc: number): number {
  while (i < end) crc = (crc >>> 8) ^ T0[(crc ^ buf[i++]) & 0xff]
  return crc
}

/** Folds 16 bytes given as four little-endian words; `a` already has the running CRC xored in. */
function fold16(a: number, b: number, c: number, d: number): number {
  return (
    T15[a & 0xff] ^
    T14[(a >>> 8) & 0xff] ^
    T13[(a >>> 16) & 0xff] ^
    T12[a >>> 24] ^
    T11[b & 0xff] ^
    T10[(b >>> 8) & 0xff] ^
    T9[(b >>> 16) & 0xff] ^
    T8[b >>> 24] ^
    T7[c & 0xff] ^
    T6[(c >>> 8) & 0xff] ^
    T5[(c >>> 16) & 0xff] ^
    T4[c >>> 24] ^
    T3[d & 0xff] ^
    T2[(d >>> 8) & 0xff] ^
    T1[(d >>> 16) & 0xff] ^
    T0[d >>> 24]
  )
}

function le32(buf: Uint8Array, i: number): number {
  return buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24)
}

function wordsAssembled(buf: Uint8Array, i: number, nWords: number, crc: number): number {
  const end = i + nWords * 4
  for (; i < end; i += 16)
    crc = fold16(crc ^ le32(buf, i), le32(buf, i + 4), le32(buf, i + 8), le32(buf, i + 12))
  return crc
}

/**
 * Pure-JS CRC-32C assembling words from bytes: what crc32cJs does on a big-endian host. Exported
 * so that path is tested everywhere.
 */
export function crc32cJsPortable(buf: Uint8Array, start = 0, end = buf.length, initial = 0): number {
  let crc = ~initial
  let i = start
  const nWords = ((end - i) >>> 4) << 2
  crc = wordsAssembled(buf, i, nWords, crc)
  i += nWords * 4
  return ~bytewise(buf, i, end, crc) >>> 0
}

/**
 * Pure-JS CRC-32C of buf[start, end). `initial` continues a previous CRC (pass its result).
 */
export function crc32cJs(buf: Uint8Array, start = 0, end = buf.length, initial = 0): number {
  if (!LITTLE_ENDIAN) return crc32cJsPortable(buf, start, end, initial)
  let crc = ~initial
  let i = start
  if (end - i >= WORD_PATH_MIN) {
    const lead = (4 - ((buf.byteOffset + i) & 3)) & 3
    crc = bytewise(buf, i, i + lead, crc)
    i += lead
    const nWords = ((end - i) >>> 4) << 2
    // The hot loop, with the 16 lookups written out: V8 optimises this better than a call.
    const w = new Int32Array(buf.buffer, buf.byteOffset + i, nWords)
    for (let k = 0; k < nWords; k += 4) {
      const a = crc ^ w[k]
      const b = w[k + 1]
      const c = w[k + 2]
      const d = w[k + 3]
      crc =
        T15[a & 0xff] ^
        T14[(a >>> 8) & 0xff] ^
        T13[(a >>> 16) & 0xff] ^
        T12[a >>> 24] ^
        T11[b & 0xff] ^
        T10[(b >>> 8) & 0xff] ^
        T9[(b >>> 16) & 0xff] ^
        T8[b >>> 24] ^
        T7[c & 0xff] ^
        T6[(c >>> 8) & 0xff] ^
        T5[(c >>> 16) & 0xff] ^
        T4[c >>> 24] ^
        T3[d & 0xff] ^
        T2[(d >>> 8) & 0xff] ^
        T1[(d >>> 16) & 0xff] ^
        T0[d >>> 24]
    }
    i += nWords * 4
  }
  return ~bytewise(buf, i, end, crc) >>> 0
}

/** A native CRC-32C of buf[start, end). */
export type RangeCrc = (buf: Uint8Array, start?: number, end?: number) => number

type NodeRsCrc = (input: Uint8Array, initialState?: number | null) => number
type Addon = { crc32c: (buf: Uint8Array, start: number, end: number) => number; hardware: boolean }

const choice = process.env.SAMSA_CRC32C
const require = createRequire(import.meta.url)

/** The addon when built and the CPU has the instruction (the same path from src/ and dist/). */
function loadAddon(): RangeCrc | null {
  try {
    const addon = require('../../../native/build/crc32c.node') as Addon
    if (!addon.hardware) return null
    const fn = addon.crc32c
    return (buf, start = 0, end = buf.length) => fn(buf, start, end)
  } catch {
    return null
  }
}

function loadNodeRs(): RangeCrc | null {
  try {
    const fn = (require('@node-rs/crc32') as { crc32c: NodeRsCrc }).crc32c
    return (buf, start = 0, end = buf.length) =>
      fn(start === 0 && end === buf.length ? buf : buf.subarray(start, end)) >>> 0
  } catch {
    return null
  }
}

/** The project's addon (carry-less multiplication or three crc32 streams), or null where not built. */
export const crc32cAddon: RangeCrc | null = loadAddon()
/** @node-rs/crc32, or null where it does not load. */
export const crc32cNodeRs: RangeCrc | null = loadNodeRs()

/** The native implementation in use, or null when `crc32c` is the JS one. */
export const crc32cNative: RangeCrc | null =
  choice === 'js' ? null : choice === 'node-rs' ? crc32cNodeRs : (crc32cAddon ?? crc32cNodeRs)

/** Which implementation `crc32c` uses. */
export const crc32cImplementation: 'addon' | 'node-rs' | 'js' =
  crc32cNative === null ? 'js' : crc32cNative === crc32cAddon ? 'addon' : 'node-rs'

/** CRC-32C of buf[start, end). */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  return crc32cNative === null ? crc32cJs(buf, start, end) : crc32cNative(buf, start, end)
}
