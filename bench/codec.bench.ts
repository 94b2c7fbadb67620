// Produce/Fetch envelope throughput. A benchmark, not a test: prints MB/s of record payload and
// asserts nothing about speed.
//
// - Produce: a 1 MiB Produce request (16 partitions × one 64 KiB batch) goes through the frame
//   reader, the request-frame decoder and the body decoder; every batch is then validated with
//   checkBatch (length, magic, counts, CRC-32C) in place. Record bytes are never copied.
// - Fetch: a Fetch response carrying the same 1 MiB of record batches is encoded with splicing
//   (the envelope is one small allocation; the batches are referenced for writev) and, for
//   comparison, copied into one buffer.
//
//   node_modules/.bin/node bench/codec.bench.ts            (CRC-32C as loaded: native by default)
//   SAMSA_CRC32C=js node_modules/.bin/node bench/codec.bench.ts

import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import type { TopicName } from '../src/common/ids.ts'
import {
  decodeRequestBody,
  decodeRequestFrame,
  encodeRequestFrame,
  encodeResponseFrame,
  encodeResponseFrameChunks,
} from '../src/protocol/frame.ts'
import { FrameReader } from '../src/protocol/frame-reader.ts'
import {
  defaultFetchResponse,
  defaultFetchResponseFetchableTopicResponse,
  defaultFetchResponsePartitionData,
  type FetchResponse,
  fetchResponseCodec,
} from '../src/protocol/generated/messages/fetch.ts'
import { type ProduceRequest, produceRequestCodec } from '../src/protocol/generated/messages/produce.ts'
import { crc32c, crc32cImplementation } from '../src/protocol/primitives/crc32c.ts'
import {
  BATCH_HEADER_SIZE,
  BatchProblem,
  CRC_START,
  checkBatch,
  LOG_OVERHEAD,
} from '../src/records/batch-header.ts'

const PARTITIONS = 16
const BATCH = 64 * 1024
const PAYLOAD = PARTITIONS * BATCH
const ROUNDS = 6
const ROUND_NS = 250_000_000n

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
    `${name.padEnd(50)} best ${best.toFixed(0).padStart(7)} MB/s   median ${median.toFixed(0).padStart(7)} MB/s`,
  )
  if (sink === -1) console.log('unreachable')
}

/** A magic-2 batch of `size` bytes whose records section is opaque random bytes (valid header + CRC). */
function batch(size: number, records: number): Buffer {
  const b = randomBytes(size)
  b.writeBigInt64BE(0n, 0)
  b.writeInt32BE(size - LOG_OVERHEAD, 8)
  b.writeInt32BE(0, 12)
  b.writeInt8(2, 16)
  b.writeInt16BE(0, 21)
  b.writeInt32BE(records - 1, 23)
  b.writeBigInt64BE(1_700_000_000_000n, 27)
  b.writeBigInt64BE(1_700_000_000_000n, 35)
  b.writeBigInt64BE(-1n, 43)
  b.writeInt16BE(-1, 51)
  b.writeInt32BE(-1, 53)
  b.writeInt32BE(records, 57)
  b.writeUInt32BE(crc32c(b, CRC_START, size), 17)
  return b
}

const batches = Array.from({ length: PARTITIONS }, () => batch(BATCH, 64))
assert.ok(batches.every((b) => b.length > BATCH_HEADER_SIZE && checkBatch(b) === BatchProblem.ok))

// --- Produce ----------------------------------------------------------------------------------

function produceFrame(version: number): Buffer {
  const req: ProduceRequest = {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30_000,
    topicData: [
      {
        name: 'bench' as TopicName,
        partitionData: batches.map((records, index) => ({ index, records })),
      },
    ],
  }
  return encodeRequestFrame(produceRequestCodec, req, version, 1, 'bench-client')
}

/** Decodes a whole Produce frame and validates every batch; returns the bytes validated. */
function handleProduce(frame: Buffer): number {
  const f = decodeRequestFrame(frame)
  const req = decodeRequestBody<ProduceRequest>(f)
  let bytes = 0
  for (const t of req.topicData) {
    for (const p of t.partitionData) {
      const rec = p.records
      if (rec === null) continue
      let pos = 0
      while (pos < rec.length) {
        const size = rec.readInt32BE(pos + 8) + LOG_OVERHEAD
        if (checkBatch(rec, pos, pos + size) !== BatchProblem.ok) throw new Error('bad batch')
        pos += size
      }
      bytes += rec.length
    }
  }
  return bytes
}

/** The same, without the CRC: envelope decoding and the header walk only. */
function decodeProduceEnvelope(frame: Buffer): number {
  const req = decodeRequestBody<ProduceRequest>(decodeRequestFrame(frame))
  let bytes = 0
  for (const t of req.topicData) for (const p of t.partitionData) bytes += p.records?.length ?? 0
  return bytes
}

console.log(
  `Produce/Fetch envelopes, ${PARTITIONS} batches × ${BATCH / 1024} KiB = ${PAYLOAD / 1024} KiB of records, ` +
    `CRC-32C ${crc32cImplementation}, Node ${process.version}`,
)

for (const version of [7, 9]) {
  const wire = produceFrame(version)
  const reader = new FrameReader()
  const one = reader.push(wire)
  assert.equal(one.length, 1)
  assert.equal(handleProduce(one[0]), PAYLOAD)
  measure(`produce v${version}: decode envelope only`, () => decodeProduceEnvelope(one[0]), PAYLOAD)
  measure(
    `produce v${version}: frame reader + decode + checkBatch`,
    () => handleProduce(reader.push(wire)[0]),
    PAYLOAD,
  )
  // As a socket delivers it: 64 KiB chunks, so the frame reader joins them (one copy).
  const chunks: Buffer[] = []
  for (let pos = 0; pos < wire.length; pos += 65536) chunks.push(wire.subarray(pos, pos + 65536))
  measure(
    `produce v${version}: same, arriving in 64 KiB chunks`,
    () => {
      let n = 0
      for (const c of chunks) for (const f of reader.push(c)) n += handleProduce(f)
      return n
    },
    PAYLOAD,
  )
}

// --- Fetch ------------------------------------------------------------------------------------

function fetchResponse(): FetchResponse {
  const resp = defaultFetchResponse()
  const topic = defaultFetchResponseFetchableTopicResponse()
  topic.topic = 'bench' as TopicName
  topic.partitions = batches.map((records, i) => {
    const p = defaultFetchResponsePartitionData()
    p.partitionIndex = i
    p.highWatermark = 64n
    p.lastStableOffset = 64n
    p.logStartOffset = 0n
    p.records = records
    return p
  })
  resp.responses = [topic]
  return resp
}

const resp = fetchResponse()
for (const version of [11, 12]) {
  const chunks = encodeResponseFrameChunks(fetchResponseCodec, resp, version, 7)
  const total = chunks.reduce((n, c) => n + c.length, 0)
  assert.equal(chunks[0].readInt32BE(0), total - 4)
  assert.ok(
    batches.every((b) => chunks.includes(b)),
    'batches are spliced, not copied',
  )
  measure(
    `fetch v${version}: encode response, spliced (writev)`,
    () => encodeResponseFrameChunks(fetchResponseCodec, resp, version, 7).length,
    PAYLOAD,
  )
  measure(
    `fetch v${version}: encode response, copied (one buffer)`,
    () => encodeResponseFrame(fetchResponseCodec, resp, version, 7).length,
    PAYLOAD,
  )
}
