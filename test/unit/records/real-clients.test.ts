// Record batches captured from real clients (test/fixtures/batches: kcat/librdkafka with every
// codec, confluent-kafka, kafka-python and kafkajs; see test/fixtures for how they were captured).
// Each must pass the CRC, walk as exactly one batch, iterate to the records the client was told to
// send, and the builder must reproduce the client's record bytes exactly.

import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import {
  BATCH_HEADER_SIZE,
  BatchHeader,
  BatchProblem,
  checkBatch,
} from '../../../src/records/batch-header.ts'
import { buildBatch } from '../../../src/records/builder.ts'
import { codecByName, decompress } from '../../../src/records/compression/index.ts'
import { batchRecords, readBatches } from '../../../src/records/record-iterator.ts'

interface Expected {
  client: string
  codec: string
  idempotent: boolean
  records: { key: string | null; value: string | null; headers: { key: string; value: string | null }[] }[]
}

const dir = new URL('../../fixtures/batches/', import.meta.url)
const names = readdirSync(dir)
  .filter((f) => f.endsWith('.bin'))
  .map((f) => f.slice(0, -4))
  .sort()

const text = (b: Buffer | null) => (b === null ? null : b.toString('utf8'))

test('fixtures cover every codec', () => {
  const codecs = new Set(
    names.map((n) => (JSON.parse(readFileSync(new URL(`${n}.json`, dir), 'utf8')) as Expected).codec),
  )
  assert.deepEqual([...codecs].sort(), ['gzip', 'lz4', 'none', 'snappy', 'zstd'])
})

describe('real-client batches', () => {
  for (const name of names) {
    test(name, () => {
      const buf = readFileSync(new URL(`${name}.bin`, dir))
      const want = JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8')) as Expected

      const it = readBatches(buf)
      const headers: BatchHeader[] = []
      let step = it.next()
      while (!step.done) {
        headers.push(step.value)
        step = it.next()
      }
      assert.equal(headers.length, 1)
      assert.equal(step.value, buf.length, 'the batch spans the whole fixture')
      assert.equal(checkBatch(buf), BatchProblem.ok)

      const h = new BatchHeader(buf)
      assert.equal(h.magic, 2)
      assert.equal(h.compression, codecByName(want.codec))
      assert.equal(h.recordsCount, want.records.length)
      assert.equal(h.lastOffsetDelta, want.records.length - 1)
      assert.equal(h.isControl, false)
      if (want.idempotent) {
        assert.ok(h.producerId >= 0n && h.producerEpoch >= 0 && h.baseSequence >= 0)
      } else {
        assert.equal(h.producerId, -1n)
      }

      const records = batchRecords(buf)
      assert.deepEqual(
        records.map((r) => ({
          key: text(r.key),
          value: text(r.value),
          headers: r.headers.map((x) => ({ key: x.key, value: text(x.value) })),
        })),
        want.records,
      )
      records.forEach((r, i) => {
        assert.equal(r.offset, h.baseOffset + BigInt(i))
      })
      let maxTs = h.baseTimestamp
      for (const r of records) if (r.timestamp > maxTs) maxTs = r.timestamp
      assert.equal(h.maxTimestamp, maxTs)

      // The builder writes the same record bytes as the client did (compression aside).
      const rebuilt = buildBatch(
        records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp })),
        {
          baseOffset: h.baseOffset,
          partitionLeaderEpoch: h.partitionLeaderEpoch,
          producerId: h.producerId,
          producerEpoch: h.producerEpoch,
          baseSequence: h.baseSequence,
          transactional: h.isTransactional,
        },
      )
      const clientRecords = decompress(h.compression, buf.subarray(BATCH_HEADER_SIZE))
      assert.deepEqual(rebuilt.subarray(BATCH_HEADER_SIZE), clientRecords)
      if (h.compression === 0) assert.deepEqual(rebuilt, buf)
    })
  }
})
