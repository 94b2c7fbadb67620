// Produce behaviours that match Kafka's, checked with real clients against one broker process:
// - an acks=0 produce that fails closes the connection (librdkafka, through confluent-kafka, sees
//   the broker disconnect after a record over max.message.bytes, and not after a good one);
// - a topic with compression.type=zstd stores zstd batches whatever the producer sent (kcat with
//   none, lz4, gzip and snappy, idempotent or not: producer id and sequences kept), and kcat,
//   confluent-kafka and kafkajs (given a zstd codec from node:zlib, which it lacks) read every
//   record back.
// Also the rebuild itself on a batch in memory (fields kept, CRC valid).

import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { zstdCompressSync, zstdDecompressSync } from 'node:zlib'
import kafkajs, { type EachMessagePayload } from 'kafkajs'
import { BatchHeader, BatchProblem, Compression, checkBatch } from '../../src/records/batch-header.ts'
import { buildBatch } from '../../src/records/builder.ts'
import { recompressBatch } from '../../src/records/recompress.ts'
import { batchRecords } from '../../src/records/record-iterator.ts'
import { type BrokerProcess, REPO, startBrokerProcess } from '../support/broker-process.ts'
import { kcat, kcatConsumeJson, pyStep, python, runOk, storedBatches } from '../support/e2e-clients.ts'

const { CompressionCodecs, CompressionTypes, Kafka, logLevel } = kafkajs
const TOPICS = join(REPO, 'bin/kafka-topics.sh')

describe('recompressBatch', () => {
  it('rebuilds a batch with another codec, keeping records and producer fields, with a valid CRC', () => {
    const records = [
      { key: 'k1', value: 'v1', timestamp: 1000, headers: [{ key: 'h', value: 'x' }] },
      { key: null, value: 'v2', timestamp: 999 },
    ]
    const opts = { producerId: 42n, producerEpoch: 3, baseSequence: 17, transactional: true }
    const lz4 = buildBatch(records, { ...opts, compression: Compression.lz4 })
    const zstd = recompressBatch(lz4, Compression.zstd)
    assert.equal(checkBatch(zstd), BatchProblem.ok)
    const h = new BatchHeader(zstd)
    assert.deepEqual(
      [h.compression, h.producerId, h.producerEpoch, h.baseSequence, h.isTransactional, h.recordsCount],
      [Compression.zstd, 42n, 3, 17, true, 2],
    )
    assert.deepEqual([h.baseTimestamp, h.maxTimestamp, h.lastOffsetDelta], [1000n, 1000n, 1])
    const view = (b: Buffer) =>
      batchRecords(b).map((r) => [r.key?.toString(), r.value?.toString(), r.timestamp, r.headers.length])
    assert.deepEqual(view(zstd), view(lz4))
  })
})

describe('produce parity with Kafka against a broker process', () => {
  let b: BrokerProcess | undefined
  let bs = ''
  before(async () => {
    b = await startBrokerProcess()
    bs = b.bootstrap
    const create = (topic: string, config: string) =>
      runOk(TOPICS, ['--create', '--topic', topic, '--config', config, '--bootstrap-server', bs])
    await create('acks0', 'max.message.bytes=1000')
    await create('zstd-topic', 'compression.type=zstd')
    await create('as-sent', 'compression.type=producer')
  })
  after(async () => {
    await b?.stop()
    b?.cleanup()
  })

  it('closes the connection of an acks=0 produce that failed, not of one that succeeded', async () => {
    const r = await python<{ afterGood: number; afterBad: number; log: string[] }>('parity_acks0.py', [
      bs,
      'acks0',
      '5000',
    ])
    assert.equal(r.afterGood, 0, 'a good acks=0 produce keeps the connection')
    assert.ok(r.afterBad > 0, `librdkafka saw no disconnect: ${JSON.stringify(r)}`)
    assert.match(
      b!.output(),
      /Closing connection due to error during produce request .* with ack=0\. .*acks0-0: MESSAGE_TOO_LARGE/,
    )
    // Only the good record was stored.
    const stored = await kcatConsumeJson(bs, ['-t', 'acks0', '-p', '0'])
    assert.deepEqual(
      stored.map((m) => m.payload),
      ['fine'],
    )
  })

  it('stores zstd batches on a compression.type=zstd topic whatever the producer sent', async () => {
    const sent: string[] = []
    // Compressible values: librdkafka sends a batch uncompressed when compressing does not pay.
    const produce = async (topic: string, codec: string, extra: string[] = []) => {
      const values = [1, 2, 3].map(
        (i) => `${codec}${extra.length > 0 ? '-idem' : ''}-${i}-${'x'.repeat(200)}`,
      )
      if (topic === 'zstd-topic') sent.push(...values)
      await kcat(bs, ['-P', '-t', topic, '-p', '0', '-z', codec, ...extra], {
        input: `${values.join('\n')}\n`,
      })
    }
    const codecs = ['none', 'lz4', 'gzip', 'snappy']
    for (const codec of codecs) await produce('as-sent', codec)
    for (const codec of codecs) await produce('zstd-topic', codec)
    await produce('zstd-topic', 'lz4', ['-X', 'enable.idempotence=true'])

    const data = join(b!.logDir, 'data')
    // The default ('producer') keeps each batch's codec: the producer really sent these (one or
    // more batches per kcat run: librdkafka may send the three records in separate batches).
    const asSent = storedBatches(data, 'as-sent', 0).map((x) => x.compression)
    assert.deepEqual(
      asSent.filter((c, i) => i === 0 || c !== asSent[i - 1]),
      [Compression.none, Compression.lz4, Compression.gzip, Compression.snappy],
    )
    const batches = storedBatches(data, 'zstd-topic', 0)
    assert.ok(batches.length >= 5, `${batches.length} batches`)
    assert.deepEqual(
      batches.map((x) => x.compression),
      batches.map(() => Compression.zstd),
    )
    const idempotent = batches.filter((x) => x.producerId >= 0n)
    assert.ok(idempotent.length >= 1, 'the idempotent producer id is kept')
    assert.equal(new Set(idempotent.map((x) => x.producerId)).size, 1)
    assert.equal(idempotent[0]!.baseSequence, 0)

    // kcat (librdkafka 2.0.2)
    const byKcat = await kcatConsumeJson(bs, ['-t', 'zstd-topic', '-p', '0'])
    assert.deepEqual(
      byKcat.map((m) => m.payload),
      sent,
    )
    // confluent-kafka
    const byConfluent = await pyStep<{ records: { value: string }[] }>('confluent_client.py', bs, 'consume', {
      topic: 'zstd-topic',
      partitions: [0],
    })
    assert.deepEqual(
      byConfluent.records.map((r) => Buffer.from(r.value, 'base64').toString()),
      sent,
    )
    // kafkajs, with a zstd codec from node:zlib (it ships none)
    CompressionCodecs[CompressionTypes.ZSTD] = () => ({
      compress: async (encoder: { buffer: Buffer }) => zstdCompressSync(encoder.buffer),
      decompress: async (buf: Buffer) => zstdDecompressSync(buf),
    })
    const kafka = new Kafka({ clientId: 'e2e-parity', brokers: [bs], logLevel: logLevel.NOTHING })
    const consumer = kafka.consumer({ groupId: 'parity-kjs', maxWaitTimeInMs: 100 })
    const got: string[] = []
    try {
      await consumer.connect()
      await consumer.subscribe({ topics: ['zstd-topic'], fromBeginning: true })
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`kafkajs read ${got.length} records`)), 20000)
        consumer
          .run({
            eachMessage: async ({ message }: EachMessagePayload) => {
              got.push(message.value!.toString())
              if (got.length === sent.length) {
                clearTimeout(timer)
                resolve()
              }
            },
          })
          .catch(reject)
      })
    } finally {
      await consumer.disconnect()
    }
    assert.deepEqual(got, sent)
  })
})
