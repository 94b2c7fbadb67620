// Unit tests for src/observability and the samsa.http.listeners key: the lag computation, ISR
// change counting, record counts from batch headers, the HTTP listener config, the request and
// topic counters as prom-client's Registry prints them (checked by the strict exposition lint),
// and the lint itself (it must refuse what the npm parser lets through).

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Gauge, Registry } from 'prom-client'
import type { TopicName, Uuid } from '../../../src/common/ids.ts'
import { parseBrokerConfig } from '../../../src/config/broker-config.ts'
import { parseHttpListener } from '../../../src/config/broker-defs-http.ts'
import { inputsFromObject } from '../../../src/config/config-input.ts'
import type { MetadataImage, PartitionImage, TopicImage } from '../../../src/metadata/image.ts'
import { muteAfterWrite } from '../../../src/network/connection.ts'
import { consumerLag } from '../../../src/observability/consumer-lag.ts'
import { register } from '../../../src/observability/fast-metrics.ts'
import { isrChanges } from '../../../src/observability/isr-changes.ts'
import { spellNaN } from '../../../src/observability/observability.ts'
import { Readiness } from '../../../src/observability/readiness.ts'
import { RequestMetrics } from '../../../src/observability/request-metrics.ts'
import { recordCount, TopicMetrics } from '../../../src/observability/topic-metrics.ts'
import { buildBatch } from '../../../src/records/builder.ts'
import { lintExposition, sampleValue } from './exposition-lint.ts'

describe('consumer lag', () => {
  const ends = new Map([
    ['a/0', 100n],
    ['a/1', 50n],
    ['b/0', 7n],
  ])
  const end = (t: string, p: number) => ends.get(`${t}/${p}`) ?? null

  it('is end minus committed per partition, summed per topic and per group', () => {
    const r = consumerLag(
      [
        {
          group: 'g1',
          topics: [
            {
              name: 'a',
              partitions: [
                { partitionIndex: 0, committedOffset: 40n },
                { partitionIndex: 1, committedOffset: 50n },
              ],
            },
            { name: 'b', partitions: [{ partitionIndex: 0, committedOffset: 2n }] },
          ],
        },
      ],
      end,
    )
    assert.deepEqual(
      r.partitions.map((p) => [p.topic, p.partition, p.lag]),
      [
        ['a', 0, 60n],
        ['a', 1, 0n],
        ['b', 0, 5n],
      ],
    )
    assert.deepEqual(r.byTopic, [
      { group: 'g1', topic: 'a', lag: 60n },
      { group: 'g1', topic: 'b', lag: 5n },
    ])
    assert.deepEqual(r.byGroup, [{ group: 'g1', lag: 65n }])
  })

  it('leaves out partitions with no commit or no replica here, and never goes below 0', () => {
    const r = consumerLag(
      [
        {
          group: 'g',
          topics: [
            {
              name: 'a',
              partitions: [
                { partitionIndex: 0, committedOffset: -1n },
                { partitionIndex: 1, committedOffset: 60n },
                { partitionIndex: 9, committedOffset: 1n },
              ],
            },
            { name: 'gone', partitions: [{ partitionIndex: 0, committedOffset: 3n }] },
          ],
        },
        { group: 'empty', topics: [] },
      ],
      end,
    )
    assert.deepEqual(
      r.partitions.map((p) => [p.topic, p.partition, p.lag]),
      [['a', 1, 0n]],
    )
    assert.deepEqual(r.byGroup, [{ group: 'g', lag: 0n }])
  })
})

function part(partition: number, leader: number, isr: number[]): PartitionImage {
  return {
    partition,
    leader,
    leaderEpoch: 1,
    partitionEpoch: 1,
    replicas: [1, 2, 3],
    isr,
    offlineReplicas: [],
  }
}

function image(partitions: PartitionImage[]): MetadataImage {
  const t: TopicImage = {
    name: 't' as TopicName,
    topicId: 'id-t' as Uuid,
    internal: false,
    partitions,
    configs: new Map(),
  }
  return { topics: new Map([['t', t]]) } as unknown as MetadataImage
}

describe('ISR changes', () => {
  it('counts shrinks and expands of the partitions led here only', () => {
    const before = image([part(0, 1, [1, 2, 3]), part(1, 1, [1]), part(2, 2, [2, 3]), part(3, 1, [1, 2])])
    const after = image([part(0, 1, [1, 2]), part(1, 1, [1, 3]), part(2, 2, [2]), part(3, 1, [1, 3])])
    assert.deepEqual(isrChanges(before, after, 1), { shrinks: 2, expands: 2 })
    assert.deepEqual(isrChanges(before, before, 1), { shrinks: 0, expands: 0 })
    assert.deepEqual(isrChanges(before, after, 2), { shrinks: 1, expands: 0 })
  })
})

describe('readiness', () => {
  it('names the first missing step, then waits for the controller in cluster mode', () => {
    const r = new Readiness()
    assert.equal(r.notReadyReason(), 'loading logs')
    r.markLogsLoaded()
    assert.equal(r.notReadyReason(), 'listeners not bound yet')
    r.markListenersUp()
    assert.equal(r.notReadyReason(), 'not registered in the metadata yet')
    let img = { controllerId: -1, brokers: new Map() } as unknown as MetadataImage
    r.markRegistered({ nodeId: 2, image: () => img, cluster: true })
    assert.equal(r.notReadyReason(), 'no metadata from a controller yet')
    img = { controllerId: 1, brokers: new Map([[1, {}]]) } as unknown as MetadataImage
    assert.match(r.notReadyReason() ?? '', /does not list broker 2/)
    img = { controllerId: 1, brokers: new Map([[2, {}]]) } as unknown as MetadataImage
    assert.equal(r.notReadyReason(), null)
    r.markStopping()
    assert.equal(r.notReadyReason(), 'shutting down')
    const standalone = new Readiness()
    standalone.markLogsLoaded()
    standalone.markListenersUp()
    standalone.markRegistered({ nodeId: 1, image: () => img, cluster: false })
    assert.equal(standalone.notReadyReason(), null)
  })
})

describe('samsa.http.listeners', () => {
  it('parses http://HOST:PORT, empty means off', () => {
    assert.deepEqual(parseHttpListener('http://127.0.0.1:0'), { host: '127.0.0.1', port: 0 })
    assert.deepEqual(parseHttpListener(' http://:9404/ '), { host: '', port: 9404 })
    assert.deepEqual(parseHttpListener('http://[::1]:8080'), { host: '::1', port: 8080 })
    assert.equal(parseHttpListener(''), null)
    for (const bad of ['https://a:1', 'http://a', 'a:1', 'http://a:99999', 'http://a:1,http://b:2'])
      assert.equal(typeof parseHttpListener(bad), 'string', bad)
  })

  it('a bad value is one startup error line naming the key', () => {
    const r = parseBrokerConfig(
      inputsFromObject({ 'samsa.http.listeners': 'localhost:9404' }, 'server.properties'),
      [],
    )
    assert.equal(r.ok, false)
    const lines = (r.ok ? [] : r.errors).map((e) => e.message)
    assert.equal(lines.length, 1)
    assert.match(lines[0], /samsa\.http\.listeners/)
    assert.doesNotMatch(lines[0], /\n/)
    const ok = parseBrokerConfig(inputsFromObject({ 'samsa.http.listeners': 'http://0.0.0.0:9404' }), [])
    assert.equal(ok.ok, true)
    const off = parseBrokerConfig([], [])
    assert.equal(off.ok && off.config.values.get('samsa.http.listeners')?.value, '')
  })
})

describe('request and topic counters', () => {
  it('counts records from batch headers', () => {
    const a = buildBatch([{ value: 'x' }, { value: 'y' }])
    const b = buildBatch([{ value: 'z' }])
    assert.equal(recordCount(Buffer.concat([a, b])), 3)
    assert.equal(recordCount(Buffer.alloc(0)), 0)
  })

  it('prints valid Prometheus text with per-topic and all-topics series', async () => {
    const registry = new Registry()
    const requests = new RequestMetrics()
    const topics = new TopicMetrics(() => 'by-id')
    for (const f of [...requests.families, ...topics.families]) register(registry, f)
    const t0 = performance.now() - 12
    requests.observe('Produce', 0, 9, {}, 1000, [Buffer.alloc(60)], t0, 2)
    requests.observe('Produce', 0, 9, {}, 500, null, performance.now(), -1)
    requests.observe('Fetch', 1, 12, { replicaId: 2 }, 100, [Buffer.alloc(10), Buffer.alloc(5000)], t0, 1)
    // A response a client quota muted the connection after (KIP-219): its throttle time is recorded.
    requests.observe('Metadata', 3, 12, {}, 40, muteAfterWrite([Buffer.alloc(80)], 250), t0, 1)
    const batch = buildBatch([{ value: 'hello' }])
    topics.produced(
      [{ name: 'p', partitionData: [{ records: batch }, { records: batch }] }],
      [{ errorCode: 0 }, { errorCode: 6 }],
    )
    topics.fetched(
      [
        { topic: 'p', topicId: 'x' as Uuid },
        { topic: null, topicId: 'y' as Uuid },
      ],
      [
        { errorCode: 0, records: { length: 70 } },
        { errorCode: -1, records: { length: 0 } },
      ],
      false,
    )
    const fams = lintExposition(await registry.metrics())
    const v = (name: string, labels: Record<string, string> = {}) => sampleValue(fams, name, labels)
    assert.equal(v('kafka_network_requestmetrics_requests_total', { request: 'Produce', version: '9' }), 2)
    assert.equal(
      v('kafka_network_requestmetrics_requests_total', { request: 'FetchFollower', version: '12' }),
      1,
    )
    assert.equal(v('kafka_network_requestmetrics_totaltimems_count', { request: 'Produce' }), 2)
    assert.equal(v('kafka_network_requestmetrics_throttletimems_sum', { request: 'Metadata' }), 250)
    assert.equal(v('kafka_network_requestmetrics_throttletimems_sum', { request: 'Produce' }), 0)
    assert.equal(
      v('kafka_network_requestmetrics_responsebytes_count', { request: 'Produce' }),
      1,
      'acks=0: no response',
    )
    assert.equal(v('kafka_server_brokertopicmetrics_messagesin_total', { topic: 'p' }), 1)
    assert.equal(v('kafka_server_brokertopicmetrics_bytesin_total'), batch.length)
    assert.equal(v('kafka_server_brokertopicmetrics_totalproducerequests_total', { topic: 'p' }), 2)
    assert.equal(
      v('kafka_server_brokertopicmetrics_failedproducerequests_total'),
      0,
      'NOT_LEADER is expected',
    )
    assert.equal(v('kafka_server_brokertopicmetrics_bytesout_total', { topic: 'p' }), 70)
    assert.equal(v('kafka_server_brokertopicmetrics_failedfetchrequests_total', { topic: 'by-id' }), 1)
    topics.retain((t) => t === 'p')
    const after = lintExposition(await registry.metrics())
    assert.equal(
      sampleValue(after, 'kafka_server_brokertopicmetrics_totalfetchrequests_total', { topic: 'by-id' }),
      undefined,
    )
  })
})

describe('exposition lint', () => {
  const good = '# HELP a_total x\n# TYPE a_total counter\na_total{topic="t"} 3\n'
  it('accepts valid text and refuses what the npm parser lets through', () => {
    lintExposition(good)
    const bad = [
      '# TYPE 1abc counter\n1abc 3\n',
      'a 3x\n',
      'a{topic="t} 3\n',
      '# TYPE a counter\n# TYPE a gauge\na 1\n',
      '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n',
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
      'a 1\nb 1\na{x="1"} 2\n',
      'a 1\na 2\n',
      good.trimEnd(),
    ]
    for (const text of bad) assert.throws(() => lintExposition(text), Error, JSON.stringify(text))
  })
})

describe('exposition', () => {
  it('writes a NaN sample as NaN (prom-client writes Nan, which strict parsers refuse)', async () => {
    const registry = new Registry()
    const g = new Gauge({
      name: 'samsa_test_lag_seconds',
      help: 'a gauge with no sample yet',
      registers: [registry],
    })
    g.set(Number.NaN)
    const raw = await registry.metrics()
    assert.match(raw, /^samsa_test_lag_seconds Nan$/m, 'prom-client still writes Nan')
    const fixed = spellNaN(raw)
    assert.match(fixed, /^samsa_test_lag_seconds NaN$/m)
    lintExposition(fixed)
    assert.equal(spellNaN('x_total 3\n'), 'x_total 3\n')
  })
})
