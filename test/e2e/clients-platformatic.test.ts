// @platformatic/kafka 2.x against a real broker process, at the newest protocol versions both
// sides speak (the client negotiates per API from ApiVersions; every request it sends is recorded
// through its diagnostics channel and checked against the broker's maximum). Admin createTopics /
// metadata / listTopics / describeConfigs / incrementalAlterConfigs / createPartitions /
// listOffsets / deleteRecords / deleteTopics; the idempotent producer with every codec; Fetch
// from offset 0 by topic id without a group (Consumer.fetch), checked record by record.

import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  Admin,
  ConfigResourceTypes,
  ConfigSources,
  Consumer,
  connectionsApiChannel,
  IncrementalAlterConfigOperationTypes,
  Producer,
} from '@platformatic/kafka'
import { HANDLERS } from '../../src/broker/handlers.ts'
import { Compression } from '../../src/records/batch-header.ts'
import { type BrokerProcess, REPO, startBrokerProcess } from '../support/broker-process.ts'
import { storedBatches } from '../support/e2e-clients.ts'

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const
// The APIs this test makes the client use, with the name of the client's module for each.
const API = {
  Produce: [0, 'produce'],
  Fetch: [1, 'fetch'],
  ListOffsets: [2, 'list-offsets'],
  Metadata: [3, 'metadata'],
  CreateTopics: [19, 'create-topics'],
  DeleteTopics: [20, 'delete-topics'],
  DeleteRecords: [21, 'delete-records'],
  InitProducerId: [22, 'init-producer-id'],
  DescribeConfigs: [32, 'describe-configs'],
  CreatePartitions: [37, 'create-partitions'],
  IncrementalAlterConfigs: [44, 'incremental-alter-configs'],
} as const

/** The newest version the installed client implements: it ships one module per API version. */
function clientMax(module: string): number {
  const dir = join(REPO, 'node_modules/@platformatic/kafka/dist/apis')
  let max = -1
  for (const area of readdirSync(dir, { withFileTypes: true })) {
    if (!area.isDirectory()) continue
    for (const f of readdirSync(join(dir, area.name))) {
      const m = new RegExp(`^${module}-v(\\d+)\\.js$`).exec(f)
      if (m) max = Math.max(max, Number(m[1]))
    }
  }
  return max
}

interface Sent {
  key: Buffer | null
  value: Buffer | null
  headers: Map<Buffer, Buffer>
  timestamp: bigint
}

describe('@platformatic/kafka against the broker process (newest versions)', () => {
  let b: BrokerProcess | undefined
  let admin: Admin
  let producer: Producer
  let consumer: Consumer
  const used = new Map<number, Set<number>>()
  const onRequest = (e: unknown) => {
    const { apiKey, apiVersion } = e as { apiKey: number; apiVersion: number }
    if (!used.has(apiKey)) used.set(apiKey, new Set())
    used.get(apiKey)!.add(apiVersion)
  }
  before(async () => {
    connectionsApiChannel.start.subscribe(onRequest)
    b = await startBrokerProcess()
    const base = { bootstrapBrokers: [b.bootstrap], retries: 3, retryDelay: 50 }
    admin = new Admin({ clientId: 'e2e-plt-admin', ...base })
    producer = new Producer({ clientId: 'e2e-plt-producer', idempotent: true, acks: -1, ...base })
    // A group id is required by the constructor; fetch() itself uses no group API.
    consumer = new Consumer({ clientId: 'e2e-plt-consumer', groupId: 'e2e-unused', ...base })
  })
  after(async () => {
    connectionsApiChannel.start.unsubscribe(onRequest)
    await producer?.close().catch(() => {})
    await consumer?.close(true).catch(() => {})
    await admin?.close().catch(() => {})
    await b?.stop()
    b?.cleanup()
  })

  /** Fetch every record of a partition from offset 0 until the high watermark. */
  async function fetchAll(topic: string, partition: number) {
    const md = await consumer.metadata({ topics: [topic] })
    const info = md.topics.get(topic)!
    const out: {
      offset: bigint
      batch: { attributes: number; producerId: bigint }
      key: Buffer | null
      value: Buffer | null
      headers: [Buffer | null, Buffer | null][]
      timestamp: bigint
    }[] = []
    let position = 0n
    let hw = -1n
    while (hw < 0n || position < hw) {
      const res = await consumer.fetch({
        node: info.partitions[partition].leader,
        maxWaitTime: 100,
        topics: [
          {
            topicId: info.id,
            partitions: [
              {
                partition,
                fetchOffset: position,
                currentLeaderEpoch: -1,
                lastFetchedEpoch: -1,
                partitionMaxBytes: 1 << 20,
              },
            ],
          },
        ],
      })
      const p = res.responses[0].partitions[0]
      assert.equal(p.errorCode, 0)
      hw = p.highWatermark
      for (const batch of p.records ?? []) {
        for (const r of batch.records) {
          const offset = batch.firstOffset + BigInt(r.offsetDelta)
          if (offset < position) continue
          out.push({
            offset,
            batch,
            key: r.key,
            value: r.value,
            headers: r.headers,
            timestamp: batch.firstTimestamp + r.timestampDelta,
          })
        }
        position = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n
      }
    }
    return out
  }

  it('creates topics with configs and reads them in the metadata by name and id', async () => {
    const created = await admin.createTopics({
      topics: ['plt-data', 'plt-admin'],
      partitions: 2,
      replicas: 1,
      configs: [{ name: 'retention.ms', value: '3600000' }],
    })
    assert.deepEqual(created.map((t) => [t.name, t.partitions, t.replicas]).sort(), [
      ['plt-admin', 2, 1],
      ['plt-data', 2, 1],
    ])
    for (const t of created) assert.match(t.id, /^[0-9a-f-]{36}$|^[A-Za-z0-9_-]{22}$/)
    assert.equal(created[0].configuration['retention.ms'], '3600000')
    const md = await admin.metadata({ topics: ['plt-data', 'plt-admin'] })
    assert.deepEqual([...md.brokers.keys()], [1])
    assert.equal(md.brokers.get(1)?.host, b!.host)
    assert.equal(md.brokers.get(1)?.port, b!.port)
    assert.equal(md.controllerId, 1)
    for (const t of created) {
      const m = md.topics.get(t.name)!
      assert.equal(m.id, t.id)
      assert.equal(m.partitionsCount, 2)
      for (const p of m.partitions) {
        assert.equal(p.leader, 1)
        assert.deepEqual(p.replicas, [1])
        assert.deepEqual(p.isr, [1])
      }
    }
    assert.deepEqual((await admin.listTopics()).sort(), ['plt-admin', 'plt-data'])
  })

  it('describes configs with documentation; incrementally alters (SET, APPEND, DELETE)', async () => {
    const describe = async () =>
      new Map(
        (
          await admin.describeConfigs({
            resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: 'plt-admin' }],
            includeSynonyms: true,
            includeDocumentation: true,
          })
        )[0].configs.map((c) => [c.name, c]),
      )
    const before = await describe()
    assert.equal(before.get('retention.ms')?.value, '3600000')
    assert.equal(before.get('retention.ms')?.configSource, ConfigSources.DYNAMIC_TOPIC_CONFIG)
    assert.ok((before.get('retention.ms')?.documentation ?? '').length > 20, 'documentation included')
    assert.equal(before.get('cleanup.policy')?.value, 'delete')
    await admin.incrementalAlterConfigs({
      resources: [
        {
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName: 'plt-admin',
          configs: [
            {
              name: 'segment.bytes',
              configOperation: IncrementalAlterConfigOperationTypes.SET,
              value: '2097152',
            },
            {
              name: 'cleanup.policy',
              configOperation: IncrementalAlterConfigOperationTypes.APPEND,
              value: 'compact',
            },
            { name: 'retention.ms', configOperation: IncrementalAlterConfigOperationTypes.DELETE },
          ],
        },
      ],
    })
    const after = await describe()
    assert.equal(after.get('segment.bytes')?.value, '2097152')
    assert.equal(after.get('cleanup.policy')?.value, 'delete,compact')
    assert.equal(after.get('retention.ms')?.configSource, ConfigSources.DEFAULT_CONFIG)
  })

  it('creates partitions', async () => {
    await admin.createPartitions({ topics: [{ name: 'plt-admin', count: 5 }] })
    const md = await admin.metadata({ topics: ['plt-admin'], forceUpdate: true })
    assert.equal(md.topics.get('plt-admin')?.partitionsCount, 5)
  })

  for (const [i, codec] of CODECS.entries()) {
    it(`idempotent produce with ${codec}; fetch from offset 0 without a group returns every field`, async () => {
      const topic = 'plt-data'
      const partition = i % 2
      const start = (await fetchAll(topic, partition)).length
      const base = BigInt(Date.now() - 100_000)
      const sent: Sent[] = Array.from({ length: 80 }, (_, j) => ({
        key: j % 8 === 3 ? null : Buffer.from(`k-${codec}-${j}`),
        value: j % 9 === 4 ? null : Buffer.from(`${codec} value ${j} `.repeat(1 + (j % 20))),
        headers: new Map(j % 3 === 0 ? [] : [[Buffer.from('h'), Buffer.from(`${j}`)]]),
        timestamp: base + BigInt(j * 7),
      }))
      const result = await producer.send({
        compression: codec,
        messages: sent.map((m) => ({
          topic,
          partition,
          key: m.key ?? undefined,
          value: m.value ?? undefined,
          headers: m.headers,
          timestamp: m.timestamp,
        })),
      })
      assert.deepEqual(
        result.offsets?.map((o) => [o.topic, o.partition, o.offset]),
        [[topic, partition, BigInt(start)]],
      )
      const got = (await fetchAll(topic, partition)).slice(start)
      assert.equal(got.length, sent.length)
      got.forEach((r, j) => {
        assert.equal(r.offset, BigInt(start + j))
        assert.deepEqual(r.key ?? null, sent[j].key)
        assert.deepEqual(r.value ?? null, sent[j].value)
        assert.deepEqual(
          r.headers.map(([k, v]) => [k?.toString(), v?.toString()]),
          [...sent[j].headers].map(([k, v]) => [k.toString(), v.toString()]),
        )
        assert.equal(r.timestamp, sent[j].timestamp)
        assert.equal(r.batch.attributes & 0x07, Compression[codec])
        assert.ok(r.batch.producerId >= 0n, 'idempotent batches carry a producer id')
      })
      const stored = storedBatches(join(b!.logDir, 'data'), topic, partition).filter(
        (x) => x.baseOffset >= BigInt(start),
      )
      for (const x of stored) assert.equal(x.compression, Compression[codec])
    })
  }

  it('lists offsets (earliest, latest, by timestamp) and deletes records', async () => {
    const offsets = async (timestamp: bigint) =>
      (
        await admin.listOffsets({
          topics: [{ name: 'plt-data', partitions: [{ partitionIndex: 0, timestamp }] }],
        })
      )[0].partitions[0].offset
    assert.equal(await offsets(-2n), 0n)
    assert.equal(await offsets(-1n), 240n)
    const records = await fetchAll('plt-data', 0)
    assert.equal(
      await offsets(records[100].timestamp),
      records.find((r) => r.timestamp >= records[100].timestamp)!.offset,
    )
    const deleted = await admin.deleteRecords({
      topics: [{ name: 'plt-data', partitions: [{ partition: 0, offset: 90n }] }],
    })
    assert.deepEqual(deleted, [{ name: 'plt-data', partitions: [{ partition: 0, lowWatermark: 90n }] }])
    assert.equal(await offsets(-2n), 90n)
  })

  it('deletes topics', async () => {
    await admin.deleteTopics({ topics: ['plt-admin'] })
    assert.deepEqual(await admin.listTopics(), ['plt-data'])
  })

  it('spoke the newest version both sides implement for every API it used', () => {
    const brokerMax = new Map(HANDLERS.map((h) => [h.apiKey, h.maxVersion]))
    for (const [name, [key, module]] of Object.entries(API)) {
      const versions = used.get(key)
      assert.ok(versions, `${name} was used`)
      const newest = Math.min(brokerMax.get(key)!, clientMax(module))
      assert.deepEqual([...versions], [newest], `${name} at v${newest}`)
    }
    // ApiVersions itself is sent first, before any negotiation, at the client's fixed v3.
    assert.deepEqual([...(used.get(18) ?? [])], [3])
  })
})
