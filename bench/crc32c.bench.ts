// CRC-32C throughput: the project's addon (native/crc32c.c), @node-rs/crc32 and the pure-JS
// fallback, on a 1 MiB buffer (aligned and at an odd byte offset) and on 16 KiB, 1 KiB and 64 B
// (where the call's own cost shows). A benchmark, not a test: it prints MB/s (best and median of
// several timed rounds after a warm-up) and asserts nothing about speed.
//
//   node_modules/.bin/node bench/crc32c.bench.ts

import { randomBytes } from 'node:crypto'
import { crc32cAddon, crc32cJs, crc32cNodeRs } from '../src/protocol/primitives/crc32c.ts'

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
    `${name.padEnd(32)} best ${best.toFixed(0).padStart(6)} MB/s   median ${median.toFixed(0).padStart(6)} MB/s`,
  )
  if (sink === 0.5) console.log('unreachable')
}

const aligned = randomBytes(SIZE + 64)
const buf = aligned.subarray(0, SIZE)
const odd = aligned.subarray(3, 3 + SIZE)

console.log(`CRC-32C, Node ${process.version}`)
const natives = [
  ['addon', crc32cAddon],
  ['@node-rs/crc32', crc32cNodeRs],
] as const
for (const [name, fn] of natives) {
  if (fn === null) {
    console.log(`${name.padEnd(32)} not available`)
    continue
  }
  measure(`${name} 1 MiB`, () => fn(buf), SIZE)
  measure(`${name} 1 MiB (offset 3)`, () => fn(odd), SIZE)
  for (const size of [16384, 1024, 64]) measure(`${name} ${size} B`, () => fn(buf, 0, size), size)
}
measure('js slice-by-16 1 MiB', () => crc32cJs(buf), SIZE)
measure('js slice-by-16 (offset 3)', () => crc32cJs(odd), SIZE)
