// kafka-python 2.0.2 (/usr/bin/python3, test/e2e/py/kafka_python_client.py) against a real broker
// process: admin create_topics / describe_configs / alter_configs / create_partitions /
// delete_topics, KafkaProducer (none and gzip: the codecs kafka-python has here without extra
// modules), KafkaConsumer with assign() and no group. Every record comes back with the same key,
// value, headers, timestamp and offset the producer was acknowledged with.

import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { gzipSync } from 'node:zlib'
import { Compression } from '../../src/records/batch-header.ts'
import { type BrokerProcess, startBrokerProcess } from '../support/broker-process.ts'
import { pyStep, storedBatches } from '../support/e2e-clients.ts'

const SCRIPT = 'kafka_python_client.py'
const TOPIC_ALREADY_EXISTS = 36
const UNKNOWN_TOPIC_OR_PARTITION = 3
const DYNAMIC_TOPIC_CONFIG = 1
const DEFAULT_CONFIG = 5

interface Errors {
  version: number
  errors: { name: string; code: number }[]
}
interface Raised {
  raised: { code: number; name: string }
}
interface Configs {
  resources: {
    code: number
    name: string
    configs: Record<string, { value: string | null; readOnly: boolean; source: number; sensitive: boolean }>
  }[]
}
interface Ack {
  partition: number
  offset: number
  timestamp: number
}
interface Consumed {
  apiVersion: number[]
  records: {
    partition: number
    offset: number
    timestamp: number
    timestampType: number
    key: string | null
    value: string | null
    headers: [string, string][]
  }[]
  end: Record<string, number>
  begin: Record<string, number>
  offsetsForTimes: Record<string, number | null>
}
interface Message {
  key: string | null
  value: string | null
  headers: [string, string][]
  partition: number
  timestamp?: number
}

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64')

/** Messages with binary keys/values, null key/value, repeated and binary headers, set timestamps. */
function messages(n: number, partition: number, baseTs: number | undefined): Message[] {
  return Array.from({ length: n }, (_, i) => ({
    key: i % 7 === 3 ? null : b64(Buffer.from([i & 0xff, 0, 0xff, (i * 31) & 0xff])),
    value: i % 11 === 5 && i % 7 !== 3 ? null : b64(`value-${i}-${'é'.repeat(i % 13)}`),
    headers:
      i % 5 === 0
        ? []
        : [
            ['trace', b64(`t${i}`)],
            ['bin', b64(Buffer.from([0, 1, 2, i & 0xff]))],
            ['trace', ''],
          ],
    partition,
    ...(baseTs === undefined ? {} : { timestamp: baseTs + i * 10 }),
  }))
}

describe('kafka-python 2.0.2 against the broker process', () => {
  let b: BrokerProcess | undefined
  let bs = ''
  const step = <T>(name: string, args: unknown = {}) => pyStep<T>(SCRIPT, bs, name, args)
  before(async () => {
    b = await startBrokerProcess()
    bs = b.bootstrap
  })
  after(async () => {
    await b?.stop()
    b?.cleanup()
  })

  it('creates topics with configs (and validate-only), refuses a duplicate, lists partitions', async () => {
    const created = await step<Errors>('create_topics', {
      topics: [
        {
          name: 'kp-admin',
          partitions: 3,
          replication: 1,
          configs: { 'retention.ms': '3600000', 'cleanup.policy': 'compact' },
        },
        { name: 'kp-data', partitions: 2, replication: 1 },
        {
          name: 'kp-lat',
          partitions: 1,
          replication: 1,
          configs: { 'message.timestamp.type': 'LogAppendTime' },
        },
      ],
    })
    assert.deepEqual(created.errors.map((e) => [e.name, e.code]).sort(), [
      ['kp-admin', 0],
      ['kp-data', 0],
      ['kp-lat', 0],
    ])
    // kafka-python raises the first per-topic error: the script reports its code.
    const again = await step<Raised>('create_topics', {
      topics: [{ name: 'kp-admin', partitions: 1, replication: 1 }],
    })
    assert.deepEqual(again.raised, { code: TOPIC_ALREADY_EXISTS, name: 'TopicAlreadyExistsError' })
    const validated = await step<Errors>('create_topics', {
      topics: [{ name: 'kp-validate', partitions: 1, replication: 1 }],
      validateOnly: true,
    })
    assert.deepEqual(validated.errors, [{ name: 'kp-validate', code: 0 }])
    const listed = await step<{ topics: string[]; partitions: Record<string, number[]> }>('list_topics')
    assert.deepEqual(listed.topics, ['kp-admin', 'kp-data', 'kp-lat'])
    assert.deepEqual(listed.partitions['kp-admin'], [0, 1, 2])
    assert.deepEqual(listed.partitions['kp-data'], [0, 1])
  })

  it('describes topic configs with their sources, then alters them with replace semantics', async () => {
    const d = await step<Configs>('describe_configs', { topics: ['kp-admin'], synonyms: true })
    assert.equal(d.resources.length, 1)
    const c = d.resources[0].configs
    assert.equal(d.resources[0].code, 0)
    assert.deepEqual(c['retention.ms'], {
      value: '3600000',
      readOnly: false,
      source: DYNAMIC_TOPIC_CONFIG,
      sensitive: false,
    })
    assert.equal(c['cleanup.policy'].value, 'compact')
    assert.deepEqual(c['segment.bytes'], {
      value: '1073741824',
      readOnly: false,
      source: DEFAULT_CONFIG,
      sensitive: false,
    })
    assert.equal(c['max.message.bytes'].value, '1048588')

    const altered = await step<{ errors: { code: number; name: string }[] }>('alter_configs', {
      topics: { 'kp-admin': { 'retention.ms': '7200000' } },
    })
    assert.deepEqual(altered.errors, [{ code: 0, name: 'kp-admin' }])
    const after = (await step<Configs>('describe_configs', { topics: ['kp-admin'] })).resources[0].configs
    assert.equal(after['retention.ms'].value, '7200000')
    // AlterConfigs replaces the whole set: cleanup.policy, not named, is back to its default.
    assert.equal(after['cleanup.policy'].value, 'delete')
    assert.equal(after['cleanup.policy'].source, DEFAULT_CONFIG)
  })

  it('adds partitions', async () => {
    const r = await step<Errors>('create_partitions', { topics: { 'kp-admin': 5 } })
    assert.deepEqual(r.errors, [{ name: 'kp-admin', code: 0 }])
    const listed = await step<{ partitions: Record<string, number[]> }>('list_topics')
    assert.deepEqual(listed.partitions['kp-admin'], [0, 1, 2, 3, 4])
  })

  for (const compression of [null, 'gzip'] as const) {
    it(`produces (compression ${compression ?? 'none'}) and consumes with assign(): same records at the acked offsets`, async () => {
      const topic = 'kp-data'
      const partition = compression === null ? 0 : 1
      const baseTs = Date.now() - 60_000
      const sent = messages(150, partition, baseTs)
      const produced = await step<{ apiVersion: number[]; acks: Ack[] }>('produce', {
        topic,
        compression,
        messages: sent,
      })
      // kafka-python guesses the broker release from ApiVersions; >= 2.1 means record batches v2.
      assert.ok(produced.apiVersion[0] > 2 || (produced.apiVersion[0] === 2 && produced.apiVersion[1] >= 1))
      assert.deepEqual(
        produced.acks.map((a) => [a.partition, a.offset, a.timestamp]),
        sent.map((m, i) => [partition, i, m.timestamp]),
      )
      const target = baseTs + 75 * 10
      const got = await step<Consumed>('consume', {
        topic,
        partitions: [partition],
        count: sent.length,
        timestamp: target,
      })
      assert.equal(got.records.length, sent.length)
      got.records.forEach((r, i) => {
        assert.equal(r.partition, partition)
        assert.equal(r.offset, produced.acks[i].offset)
        assert.equal(r.timestamp, sent[i].timestamp)
        assert.equal(r.timestampType, 0)
        assert.equal(r.key, sent[i].key)
        assert.equal(r.value, sent[i].value)
        assert.deepEqual(r.headers, sent[i].headers)
      })
      assert.deepEqual(got.end, { [partition]: sent.length })
      assert.deepEqual(got.begin, { [partition]: 0 })
      assert.deepEqual(got.offsetsForTimes, { [partition]: 75 })
      const stored = storedBatches(join(b!.logDir, 'data'), topic, partition)
      assert.equal(
        stored.reduce((n, x) => n + x.recordsCount, 0),
        sent.length,
      )
      if (compression === null) {
        for (const x of stored) assert.equal(x.compression, Compression.none)
      } else {
        // Stored as sent: kafka-python gzips each batch (level 9) but sends it uncompressed when
        // gzip would not shrink it, which happens to small batches depending on linger timing. So
        // an uncompressed batch must be one that gzip does not shrink (16 bytes of slack: Node's
        // zlib build may deflate a little differently from Python's).
        assert.ok(stored.some((x) => x.compression === Compression.gzip))
        for (const x of stored) {
          if (x.compression === Compression.gzip) continue
          assert.equal(x.compression, Compression.none)
          assert.ok(
            gzipSync(x.records, { level: 9 }).length + 16 >= x.records.length,
            `batch at ${x.baseOffset} (${x.recordsCount} records) was compressible but stored uncompressed`,
          )
        }
      }
    })
  }

  it('stamps LogAppendTime on a topic configured for it: the ack carries the broker time', async () => {
    const before = Date.now()
    const sent = messages(5, 0, 1_000_000)
    const produced = await step<{ acks: Ack[] }>('produce', { topic: 'kp-lat', messages: sent })
    const afterProduce = Date.now()
    const appendTs = produced.acks[0].timestamp
    assert.ok(appendTs >= before && appendTs <= afterProduce, `append time ${appendTs} within the produce`)
    const got = await step<Consumed>('consume', { topic: 'kp-lat', partitions: [0], count: 5 })
    assert.deepEqual(
      got.records.map((r) => [r.offset, r.timestampType, r.timestamp, r.value]),
      produced.acks.map((a, i) => [a.offset, 1, a.timestamp, sent[i].value]),
    )
  })

  it('reads from a later offset after seek', async () => {
    const got = await step<Consumed>('consume', { topic: 'kp-data', partitions: [0], offset: 140, count: 10 })
    assert.deepEqual(
      got.records.map((r) => r.offset),
      Array.from({ length: 10 }, (_, i) => 140 + i),
    )
  })

  it('deletes topics; a second delete reports UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const r = await step<Errors>('delete_topics', { topics: ['kp-admin', 'kp-lat'] })
    assert.deepEqual(r.errors.map((e) => [e.name, e.code]).sort(), [
      ['kp-admin', 0],
      ['kp-lat', 0],
    ])
    const listed = await step<{ topics: string[] }>('list_topics')
    assert.deepEqual(listed.topics, ['kp-data'])
    const again = await step<Raised>('delete_topics', { topics: ['kp-admin'] })
    assert.deepEqual(again.raised, { code: UNKNOWN_TOPIC_OR_PARTITION, name: 'UnknownTopicOrPartitionError' })
  })
})
