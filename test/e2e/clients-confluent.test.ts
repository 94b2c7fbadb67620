// confluent-kafka 1.7.0 (librdkafka 2.0.2; /usr/bin/python3, test/e2e/py/confluent_client.py)
// against a real broker process: AdminClient create_topics / create_partitions / describe_configs /
// alter_configs / delete_topics, the idempotent Producer (enable.idempotence=true), Consumer with
// assign(). confluent-kafka 1.7.0 has neither incremental_alter_configs (added in 2.2) nor
// delete_records (2.4): alter_configs is tested instead, and DeleteRecords by the kafkajs test.

import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Compression } from '../../src/records/batch-header.ts'
import { type BrokerProcess, startBrokerProcess } from '../support/broker-process.ts'
import { pyStep, storedBatches } from '../support/e2e-clients.ts'

const SCRIPT = 'confluent_client.py'
const UNKNOWN_TOPIC_OR_PARTITION = 3
const MESSAGE_TOO_LARGE = 10
const TOPIC_ALREADY_EXISTS = 36
const INVALID_PARTITIONS = 37
const INVALID_CONFIG = 40
const CREATE_TIME = 1
const DYNAMIC_TOPIC_CONFIG = 1
const DEFAULT_CONFIG = 5

interface Errors {
  errors: Record<string, number>
}
interface Listed {
  topics: Record<string, number[]>
  brokers: Record<string, string>
  controller: number
}
interface ConfigEntry {
  value: string | null
  source: number
  isDefault: boolean
  readOnly: boolean
  sensitive: boolean
  synonyms: string[]
}
interface Described {
  configs: Record<string, Record<string, ConfigEntry>>
}
interface Message {
  key: string | null
  value: string | null
  headers: [string, string | null][]
  partition?: number
  timestamp?: number
}
interface Ack {
  error: number
  partition: number
  offset: number
  timestamp: [number, number]
}
interface Consumed {
  records: {
    partition: number
    offset: number
    timestamp: [number, number]
    key: string | null
    value: string | null
    headers: [string, string | null][]
  }[]
  watermarks: Record<string, [number, number]>
}

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64')

describe('confluent-kafka 1.7.0 against the broker process', () => {
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

  it('creates topics (validate-only too); refuses duplicates and zero partitions; lists them', async () => {
    const r = await step<Errors>('create_topics', {
      topics: [
        { name: 'ck-admin', partitions: 3, replication: 1, configs: { 'retention.ms': '3600000' } },
        { name: 'ck-data', partitions: 2, replication: 1 },
      ],
    })
    assert.deepEqual(r.errors, { 'ck-admin': 0, 'ck-data': 0 })
    const v = await step<Errors>('create_topics', {
      topics: [{ name: 'ck-validate', partitions: 1, replication: 1 }],
      validateOnly: true,
    })
    assert.deepEqual(v.errors, { 'ck-validate': 0 })
    const bad = await step<Errors>('create_topics', {
      topics: [
        { name: 'ck-admin', partitions: 1, replication: 1 },
        { name: 'ck-zero', partitions: 0, replication: 1 },
      ],
    })
    assert.deepEqual(bad.errors, { 'ck-admin': TOPIC_ALREADY_EXISTS, 'ck-zero': INVALID_PARTITIONS })
    const listed = await step<Listed>('list_topics')
    assert.deepEqual(listed.topics, { 'ck-admin': [0, 1, 2], 'ck-data': [0, 1] })
    assert.deepEqual(listed.brokers, { 1: bs })
    assert.equal(listed.controller, 1)
  })

  it('adds partitions (validate-only leaves them), refuses to shrink', async () => {
    const v = await step<Errors>('create_partitions', { topics: { 'ck-admin': 7 }, validateOnly: true })
    assert.deepEqual(v.errors, { 'ck-admin': 0 })
    assert.deepEqual((await step<Listed>('list_topics')).topics['ck-admin'], [0, 1, 2])
    const r = await step<Errors>('create_partitions', { topics: { 'ck-admin': 5 } })
    assert.deepEqual(r.errors, { 'ck-admin': 0 })
    assert.deepEqual((await step<Listed>('list_topics')).topics['ck-admin'], [0, 1, 2, 3, 4])
    const shrink = await step<Errors>('create_partitions', { topics: { 'ck-admin': 2 } })
    assert.deepEqual(shrink.errors, { 'ck-admin': INVALID_PARTITIONS })
  })

  it('describes configs with sources and synonyms; alter_configs applies them, refuses bad values', async () => {
    const d = (await step<Described>('describe_configs', { topics: ['ck-admin'] })).configs['ck-admin']
    assert.equal(d['retention.ms'].value, '3600000')
    assert.equal(d['retention.ms'].source, DYNAMIC_TOPIC_CONFIG)
    assert.equal(d['retention.ms'].isDefault, false)
    assert.equal(d['retention.ms'].synonyms[0], 'retention.ms')
    assert.deepEqual(d['cleanup.policy'], {
      value: 'delete',
      source: DEFAULT_CONFIG,
      isDefault: true,
      readOnly: false,
      sensitive: false,
      synonyms: ['log.cleanup.policy'],
    })
    const bad = await step<Errors>('alter_configs', { topics: { 'ck-admin': { 'retention.ms': 'soon' } } })
    assert.deepEqual(bad.errors, { 'ck-admin': INVALID_CONFIG })
    const ok = await step<Errors>('alter_configs', {
      topics: { 'ck-admin': { 'max.message.bytes': '1000', 'cleanup.policy': 'compact,delete' } },
    })
    assert.deepEqual(ok.errors, { 'ck-admin': 0 })
    const after = (await step<Described>('describe_configs', { topics: ['ck-admin'] })).configs['ck-admin']
    assert.equal(after['max.message.bytes'].value, '1000')
    assert.equal(after['cleanup.policy'].value, 'compact,delete')
    assert.equal(after['retention.ms'].source, DEFAULT_CONFIG, 'replace semantics drop retention.ms')
    // Applied live: a 2000-byte record is now too large for the topic.
    const big = await step<{ acks: Ack[] }>('produce', {
      topic: 'ck-admin',
      idempotence: false,
      messages: [{ key: b64('k'), value: b64('x'.repeat(2000)), headers: [], partition: 0 }],
    })
    assert.equal(big.acks[0].error, MESSAGE_TOO_LARGE)
  })

  // (No null header values: confluent-kafka 1.7.0's Message.headers() drops a reference to None for
  // each one, and CPython 3.11 aborts after a few hundred: a client bug, seen here.)
  it('idempotent producer (zstd, acks=all): dense offsets in send order, one producer id, sequences 0..n-1', async () => {
    const now = Date.now()
    const sent: Message[] = Array.from({ length: 400 }, (_, i) => ({
      key: i % 9 === 4 ? null : b64(`key-${i % 40}`),
      value:
        i % 13 === 6 ? null : b64(Buffer.from(`value-${i}-${'z'.repeat(i % 50)}-\u0000\u00ff`, 'latin1')),
      headers:
        i % 4 === 0
          ? []
          : [
              ['h', b64(`${i}`)],
              ['empty', ''],
              ['h', b64('second')],
            ],
      partition: i % 2,
      timestamp: now - 10_000 + i,
    }))
    const r = await step<{ left: number; acks: Ack[] }>('produce', {
      topic: 'ck-data',
      idempotence: true,
      compression: 'zstd',
      lingerMs: 20,
      messages: sent,
    })
    assert.equal(r.left, 0)
    const next = [0, 0]
    r.acks.forEach((a, i) => {
      assert.equal(a.error, 0)
      assert.equal(a.partition, sent[i].partition)
      assert.equal(a.offset, next[a.partition]++, 'offsets dense in send order')
      assert.deepEqual(a.timestamp, [CREATE_TIME, sent[i].timestamp])
    })
    for (const p of [0, 1]) {
      const stored = storedBatches(join(b!.logDir, 'data'), 'ck-data', p)
      assert.ok(stored.length > 0)
      const pids = new Set(stored.map((x) => x.producerId))
      assert.equal(pids.size, 1, 'one producer id')
      assert.ok([...pids][0] >= 0n)
      let seq = 0
      for (const x of stored) {
        assert.equal(x.baseSequence, seq, 'sequences continue batch after batch')
        assert.equal(x.compression, Compression.zstd)
        seq += x.recordsCount
      }
      assert.equal(seq, 200)
    }

    const got = await step<Consumed>('consume', { topic: 'ck-data', partitions: [0, 1] })
    assert.deepEqual(got.watermarks, { 0: [0, 200], 1: [0, 200] })
    assert.equal(got.records.length, sent.length)
    for (const p of [0, 1]) {
      const mine = got.records.filter((x) => x.partition === p)
      const expected = sent.map((m, i) => ({ m, a: r.acks[i] })).filter((x) => x.m.partition === p)
      assert.equal(mine.length, expected.length)
      mine.forEach((rec, j) => {
        const { m, a } = expected[j]
        assert.equal(rec.offset, a.offset)
        assert.equal(rec.key, m.key)
        assert.equal(rec.value, m.value)
        assert.deepEqual(rec.headers, m.headers)
        assert.deepEqual(rec.timestamp, [CREATE_TIME, m.timestamp])
      })
    }
  })

  it('consumes from an assigned offset', async () => {
    const got = await step<Consumed>('consume', { topic: 'ck-data', partitions: [1], offset: 190 })
    assert.deepEqual(
      got.records.map((x) => [x.partition, x.offset]),
      Array.from({ length: 10 }, (_, i) => [1, 190 + i]),
    )
  })

  it('deletes topics; an unknown one gets UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const r = await step<Errors>('delete_topics', { topics: ['ck-admin', 'ck-nothing'] })
    assert.deepEqual(r.errors, { 'ck-admin': 0, 'ck-nothing': UNKNOWN_TOPIC_OR_PARTITION })
    // The consumer's group.id (confluent-kafka requires one even with assign()) may have created
    // the internal __consumer_offsets; user topics are what this checks.
    const topics = Object.keys((await step<Listed>('list_topics')).topics).filter((t) => !t.startsWith('__'))
    assert.deepEqual(topics, ['ck-data'])
  })
})
