// kafkajs 2.2.4 against a real broker process: admin (createTopics, listTopics, describeCluster,
// fetchTopicMetadata, fetchTopicOffsets(+ByTimestamp), describeConfigs, alterConfigs,
// createPartitions, deleteTopicRecords, deleteTopics) and the producer (plain, gzip, idempotent).
// What kafkajs wrote is read back with another client (kcat) and checked field by field.
// kafkajs' consumer needs consumer groups; the group APIs are not registered in the broker yet
// (src/broker/handlers.ts), so there is no kafkajs consumer test here.

import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import kafkajs, { type Admin, type Producer } from 'kafkajs'
import { Compression } from '../../src/records/batch-header.ts'
import { type BrokerProcess, startBrokerProcess } from '../support/broker-process.ts'
import { kcatConsumeJson, storedBatches } from '../support/e2e-clients.ts'

// kafkajs is CommonJS: its enums come off the default export.
const { CompressionTypes, ConfigResourceTypes, Kafka, logLevel, Partitioners } = kafkajs
type Kafka = InstanceType<typeof Kafka>

const DYNAMIC_TOPIC_CONFIG = 1
const DEFAULT_CONFIG = 5

describe('kafkajs 2.2.4 against the broker process', () => {
  let b: BrokerProcess | undefined
  let kafka: Kafka
  let admin: Admin
  const producers: Producer[] = []
  before(async () => {
    b = await startBrokerProcess()
    kafka = new Kafka({
      clientId: 'e2e-kafkajs',
      brokers: [b.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 3, initialRetryTime: 50 },
    })
    admin = kafka.admin()
    await admin.connect()
  })
  after(async () => {
    for (const p of producers) await p.disconnect().catch(() => {})
    await admin?.disconnect().catch(() => {})
    await b?.stop()
    b?.cleanup()
  })
  const producer = async (opts: Parameters<Kafka['producer']>[0] = {}) => {
    const p = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, ...opts })
    producers.push(p)
    await p.connect()
    return p
  }

  it('creates topics (validate-only, then for real; false when they exist) and describes the cluster', async () => {
    const topics = [
      {
        topic: 'kj-admin',
        numPartitions: 3,
        replicationFactor: 1,
        configEntries: [{ name: 'retention.ms', value: '3600000' }],
      },
      { topic: 'kj-data', numPartitions: 2, replicationFactor: 1 },
    ]
    // (waitForLeaders: false, else kafkajs waits for the metadata of topics that validate-only did not create.)
    assert.equal(await admin.createTopics({ topics, validateOnly: true, waitForLeaders: false }), true)
    assert.deepEqual(await admin.listTopics(), [])
    assert.equal(await admin.createTopics({ topics, waitForLeaders: true }), true)
    assert.equal(await admin.createTopics({ topics: [topics[0]] }), false, 'already exists')
    assert.deepEqual((await admin.listTopics()).sort(), ['kj-admin', 'kj-data'])
    const cluster = await admin.describeCluster()
    assert.deepEqual(cluster.brokers, [{ nodeId: 1, host: b!.host, port: b!.port }])
    assert.equal(cluster.controller, 1)
    assert.equal(cluster.clusterId, /cluster\.id=(\S+)/.exec(b!.output())?.[1])
  })

  it('fetches topic metadata', async () => {
    const md = await admin.fetchTopicMetadata({ topics: ['kj-admin'] })
    assert.equal(md.topics.length, 1)
    assert.equal(md.topics[0].name, 'kj-admin')
    assert.deepEqual(
      md.topics[0].partitions
        .map((p) => ({
          id: p.partitionId,
          err: p.partitionErrorCode,
          leader: p.leader,
          replicas: p.replicas,
          isr: p.isr,
        }))
        .sort((x, y) => x.id - y.id),
      [0, 1, 2].map((id) => ({ id, err: 0, leader: 1, replicas: [1], isr: [1] })),
    )
  })

  it('describes and alters topic configs', async () => {
    const d = await admin.describeConfigs({
      resources: [
        { type: ConfigResourceTypes.TOPIC, name: 'kj-admin', configNames: ['retention.ms', 'segment.bytes'] },
      ],
      includeSynonyms: false,
    })
    assert.equal(d.resources[0].errorCode, 0)
    const byName = (r: typeof d) => new Map(r.resources[0].configEntries.map((e) => [e.configName, e]))
    const c = byName(d)
    assert.deepEqual([...c.keys()].sort(), ['retention.ms', 'segment.bytes'])
    assert.equal(c.get('retention.ms')?.configValue, '3600000')
    assert.equal(c.get('retention.ms')?.configSource, DYNAMIC_TOPIC_CONFIG)
    assert.equal(c.get('segment.bytes')?.configValue, '1073741824')
    assert.equal(c.get('segment.bytes')?.configSource, DEFAULT_CONFIG)
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: 'kj-admin',
          configEntries: [{ name: 'segment.bytes', value: '1048576' }],
        },
      ],
    })
    const after = byName(
      await admin.describeConfigs({
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: 'kj-admin',
            configNames: ['retention.ms', 'segment.bytes'],
          },
        ],
        includeSynonyms: false,
      }),
    )
    assert.equal(after.get('segment.bytes')?.configValue, '1048576')
    assert.equal(after.get('segment.bytes')?.configSource, DYNAMIC_TOPIC_CONFIG)
    assert.equal(after.get('retention.ms')?.configSource, DEFAULT_CONFIG, 'AlterConfigs replaces the set')
    await assert.rejects(
      admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: 'kj-admin',
            configEntries: [{ name: 'segment.bytes', value: 'big' }],
          },
        ],
      }),
      /INVALID_CONFIG|invalid/i,
    )
  })

  it('creates partitions', async () => {
    await admin.createPartitions({ topicPartitions: [{ topic: 'kj-admin', count: 4 }] })
    const md = await admin.fetchTopicMetadata({ topics: ['kj-admin'] })
    assert.deepEqual(md.topics[0].partitions.map((p) => p.partitionId).sort(), [0, 1, 2, 3])
    const offsets = await admin.fetchTopicOffsets('kj-admin')
    assert.deepEqual(
      offsets.map((o) => [o.partition, o.low, o.high]).sort(),
      [0, 1, 2, 3].map((p) => [p, '0', '0']),
    )
  })

  for (const compression of [CompressionTypes.None, CompressionTypes.GZIP]) {
    const name = compression === CompressionTypes.None ? 'none' : 'gzip'
    it(`produces (compression ${name}) keys, values, headers and timestamps; kcat reads them back`, async () => {
      const p = await producer()
      const partition = compression === CompressionTypes.None ? 0 : 1
      const base = Date.now() - 30_000
      const messages = Array.from({ length: 120 }, (_, i) => ({
        key: i % 10 === 7 ? null : `key-${i}`,
        value: `value ${i} ${'ü'.repeat(i % 17)}`,
        headers: i % 3 === 0 ? {} : { trace: `t-${i}`, codec: name },
        partition,
        timestamp: String(base + i * 100),
      }))
      const sent = [] as Awaited<ReturnType<Producer['send']>>
      // Two sends: the second batch's offsets continue the first.
      sent.push(
        ...(await p.send({ topic: 'kj-data', compression, acks: -1, messages: messages.slice(0, 60) })),
      )
      sent.push(...(await p.send({ topic: 'kj-data', compression, acks: 1, messages: messages.slice(60) })))
      assert.deepEqual(
        sent.map((r) => [r.topicName, r.partition, r.errorCode, r.baseOffset]),
        [
          ['kj-data', partition, 0, '0'],
          ['kj-data', partition, 0, '60'],
        ],
      )
      const got = await kcatConsumeJson(b!.bootstrap, [
        '-t',
        'kj-data',
        '-p',
        String(partition),
        '-o',
        'beginning',
      ])
      assert.equal(got.length, messages.length)
      got.forEach((m, i) => {
        assert.equal(m.offset, i)
        assert.equal(m.key, messages[i].key)
        assert.equal(m.payload, messages[i].value)
        assert.deepEqual(m.headers ?? [], Object.entries(messages[i].headers).flat())
        assert.equal(m.ts, Number(messages[i].timestamp))
        assert.equal(m.tstype, 'create')
      })
      const stored = storedBatches(join(b!.logDir, 'data'), 'kj-data', partition)
      assert.equal(stored.length, 2)
      for (const x of stored)
        assert.equal(x.compression, name === 'none' ? Compression.none : Compression.gzip)
      const offsets = await admin.fetchTopicOffsets('kj-data')
      assert.equal(offsets.find((o) => o.partition === partition)?.high, String(messages.length))
      // By timestamp: the first record at or after the target.
      const byTs = await admin.fetchTopicOffsetsByTimestamp('kj-data', base + 50 * 100 + 1)
      assert.equal(byTs.find((o) => o.partition === partition)?.offset, '51')
    })
  }

  it('idempotent producer: one producer id, sequences continue across sends, offsets dense', async () => {
    await admin.createTopics({ topics: [{ topic: 'kj-idem', numPartitions: 1, replicationFactor: 1 }] })
    const p = await producer({ idempotent: true, maxInFlightRequests: 1 })
    const offsets: string[] = []
    for (let round = 0; round < 5; round++) {
      const r = await p.send({
        topic: 'kj-idem',
        acks: -1,
        messages: Array.from({ length: 10 }, (_, i) => ({ key: `r${round}`, value: `m${round * 10 + i}` })),
      })
      offsets.push(r[0].baseOffset!)
    }
    assert.deepEqual(offsets, ['0', '10', '20', '30', '40'])
    const stored = storedBatches(join(b!.logDir, 'data'), 'kj-idem', 0)
    assert.equal(new Set(stored.map((x) => x.producerId)).size, 1)
    assert.ok(stored[0].producerId >= 0n)
    assert.deepEqual(
      stored.map((x) => x.baseSequence),
      [0, 10, 20, 30, 40],
    )
    const got = await kcatConsumeJson(b!.bootstrap, ['-t', 'kj-idem', '-p', '0', '-o', 'beginning'])
    assert.deepEqual(
      got.map((m) => m.payload),
      Array.from({ length: 50 }, (_, i) => `m${i}`),
    )
  })

  it('deletes records up to an offset: the log start moves and consumers start there', async () => {
    await admin.deleteTopicRecords({ topic: 'kj-data', partitions: [{ partition: 0, offset: '25' }] })
    const offsets = await admin.fetchTopicOffsets('kj-data')
    const p0 = offsets.find((o) => o.partition === 0)
    assert.equal(p0?.low, '25')
    assert.equal(p0?.high, '120')
    const got = await kcatConsumeJson(b!.bootstrap, ['-t', 'kj-data', '-p', '0', '-o', 'beginning'])
    assert.equal(got[0].offset, 25)
    assert.equal(got.length, 95)
    // -1 means "up to the high watermark".
    await admin.deleteTopicRecords({ topic: 'kj-data', partitions: [{ partition: 1, offset: '-1' }] })
    const p1 = (await admin.fetchTopicOffsets('kj-data')).find((o) => o.partition === 1)
    assert.deepEqual([p1?.low, p1?.high], ['120', '120'])
  })

  it('deletes topics', async () => {
    await admin.deleteTopics({ topics: ['kj-admin', 'kj-idem'] })
    assert.deepEqual(await admin.listTopics(), ['kj-data'])
    await assert.rejects(
      admin.deleteTopics({ topics: ['kj-admin'] }),
      /does not host this topic-partition|UNKNOWN_TOPIC/i,
    )
  })
})
