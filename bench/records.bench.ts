// Record batch throughput. A benchmark, not a test: prints MB/s, asserts nothing about speed.
//
// - checkBatch on one 1 MiB batch (length, magic, counts, CRC-32C): the work the broker does per
//   produced batch. Run with the CRC implementation the process loaded (native by default); the
//   script then re-runs itself with SAMSA_CRC32C=js to show the pure-JS fallback.
// - readBatches over 1 MiB of 16 concatenated batches (header walk only).
// - iterateRecords over ~1 MiB of 1 KiB records per codec (decompression + record decoding), in MB/s
//   of uncompressed record bytes: tools and compaction, not the produce/fetch path.
//
//   node_modules/.bin/node bench/records.bench.ts

import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { crc32cImplementation } from '../src/protocol/primitives/crc32c.ts'
import { BatchProblem, Compression, checkBatch } from '../src/records/batch-header.ts'
import { buildBatch, type RecordInput } from '../src/records/builder.ts'
import { codecName } from '../src/records/compression/index.ts'
import { iterateRecords, readBatches } from '../src/records/record-iterator.ts'

const ROUNDS = 6
const ROUND_NS = 250_000_000n
const childRun = process.env.SAMSA_BENCH_CHILD === '1'

function measure(name: string, fn: () => number, bytes: number): void {
  let sink = 0
  const warmEnd = process.hrtime.bigint() + ROUND_NS
  while (process.hrtime.bigint() < warmEnd) sink += fn()
  const rates: number[] = []
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint()
    let n = 0
    let now = t0
    while (now - t0 < ROUND_NS) {
      sink += fn()
      n++
      now = process.hrtime.bigint()
    }
    rates.push((n * bytes) / (Number(now - t0) / 1e9) / 1e6)
  }
  rates.sort((a, b) => a - b)
  const median = rates[rates.length >> 1]
  const best = rates[rates.length - 1]
  console.log(
    `${name.padEnd(40)} best ${best.toFixed(0).padStart(6)} MB/s   median ${median.toFixed(0).padStart(6)} MB/s`,
  )
  if (sink === 0.5) console.log('unreachable')
}

/** Records of ~1 KiB: a key, a half-random half-repetitive value (so codecs have work to do). */
function records(totalBytes: number): RecordInput[] {
  const out: RecordInput[] = []
  let size = 0
  for (let i = 0; size < totalBytes; i++) {
    const value = Buffer.concat([randomBytes(256), Buffer.alloc(744, i & 0xff)])
    out.push({ key: `key-${i}`, value, timestamp: 1_700_000_000_000 + i })
    size += value.length + 12
  }
  return out
}

const MiB = 1 << 20
const big = buildBatch(records(MiB - 16 * 1024), { producerId: 1n, producerEpoch: 0, baseSequence: 0 })
if (checkBatch(big) !== BatchProblem.ok) throw new Error('bench batch does not check')

if (!childRun) console.log(`Record batches, Node ${process.version}`)
measure(`checkBatch 1 MiB batch (crc ${crc32cImplementation})`, () => checkBatch(big), big.length)

if (!childRun) {
  const many = Buffer.concat(
    Array.from({ length: 16 }, (_, i) =>
      buildBatch(records(MiB / 16 - 4096), { baseOffset: BigInt(i * 1000) }),
    ),
  )
  measure(
    'readBatches 16 batches in 1 MiB (headers)',
    () => {
      let n = 0
      for (const h of readBatches(many)) n += h.recordsCount
      return n
    },
    many.length,
  )

  for (const codec of [
    Compression.none,
    Compression.gzip,
    Compression.snappy,
    Compression.lz4,
    Compression.zstd,
  ]) {
    const input = records(MiB)
    const batch = buildBatch(input, { compression: codec })
    const plain = buildBatch(input).length
    measure(
      `iterateRecords ${codecName(codec)} (${(batch.length / 1024).toFixed(0)} KiB)`,
      () => {
        let n = 0
        for (const r of iterateRecords(batch)) n += r.value === null ? 0 : 1
        return n
      },
      plain,
    )
  }

  const self = fileURLToPath(import.meta.url)
  const child = spawnSync(process.execPath, [self], {
    env: { ...process.env, SAMSA_CRC32C: 'js', SAMSA_BENCH_CHILD: '1' },
    stdio: 'inherit',
  })
  if (child.status !== 0) process.exitCode = 1
}
