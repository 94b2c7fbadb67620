// CRC-32C throughput on a 1 MiB buffer: native (@node-rs/crc32) and the pure-JS fallback, both on
// an aligned buffer and at an odd byte offset. A benchmark, not a test: it prints MB/s (best and
// median of several timed rounds after a warm-up) and asserts nothing about speed.
//
//   node_modules/.bin/node bench/crc32c.bench.ts

import { randomBytes } from 'node:crypto'
import { crc32cJs, crc32cNative } from '../src/protocol/primitives/crc32c.ts'

const SIZE = 1 << 20
const ROUNDS = 8
const ROUND_NS = 250_000_000n

function measure(name: string, fn: () => number, bytes: number): void {
  let sink = 0
  const warmEnd = process.hrtime.bigint() + ROUND_NS
  while (process.hrtime.bigint() < warmEnd) sink ^= fn()
  const rates: number[] = []
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint()
    let n = 0
    let now = t0
    while (now - t0 < ROUND_NS) {
      sink ^= fn()
      n++
      now = process.hrtime.bigint()
    }
    rates.push((n * bytes) / (Number(now - t0) / 1e9) / 1e6)
  }
  rates.sort((a, b) => a - b)
  const median = rates[rates.length >> 1]
  const best = rates[rates.length - 1]
  console.log(
    `${name.padEnd(26)} best ${best.toFixed(0).padStart(6)} MB/s   median ${median.toFixed(0).padStart(6)} MB/s`,
  )
  if (sink === 0.5) console.log('unreachable')
}

const aligned = randomBytes(SIZE + 64)
const buf = aligned.subarray(0, SIZE)
const odd = aligned.subarray(3, 3 + SIZE)

console.log(`CRC-32C on ${SIZE} bytes, Node ${process.version}`)
const native = crc32cNative
if (native === null) console.log('native               not available')
else {
  measure('native', () => native(buf), SIZE)
  measure('native (offset 3)', () => native(odd), SIZE)
}
measure('js slice-by-16', () => crc32cJs(buf), SIZE)
measure('js slice-by-16 (offset 3)', () => crc32cJs(odd), SIZE)
