// The HTTP listener of a real broker process (samsa.http.listeners=http://127.0.0.1:0): /healthz,
// /readyz, and /metrics after kafkajs produced to a topic and a kafkajs group consumed it all but
// committed only part of it (a group that stopped halfway). Checked: messagesin/bytesin for the
// topic moved by exactly what was appended (the batch bytes read back from the segment files), the
// per-API request counters and latency histograms for Produce/Fetch/Metadata, the log gauges, and
// the group's lag = log end − committed per partition. Every scrape passes the strict exposition
// lint (test/unit/observability/exposition-lint.ts) and the npm parser.
// In a ZooKeeper cluster of three (skipped without ZooKeeper): every broker becomes ready, one
// reports the active controller, and killing a follower of an RF 3 partition shows on its leader
// as an under-replicated partition and an ISR shrink, its return as an ISR expand.

import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import kafkajs, { type Admin, type Consumer, type EachMessagePayload, type Producer } from 'kafkajs'
import { BATCH_HEADER_SIZE } from '../../src/records/batch-header.ts'
import { type BrokerProcess, startBrokerProcess } from '../support/broker-process.ts'
import { eventually, metadataOf, startCluster, type TestCluster } from '../support/cluster.ts'
import { storedBatches } from '../support/e2e-clients.ts'
import { zookeeperAvailable } from '../support/zookeeper.ts'
import { lintExposition, type Samples, sampleValue } from '../unit/observability/exposition-lint.ts'

const { Kafka, logLevel, Partitioners } = kafkajs
type Kafka = InstanceType<typeof Kafka>

const TOPIC = 'obs-topic'
const GROUP = 'obs-group'
/** Records produced per partition, and what the group commits before it stops. */
const PRODUCED = [30, 20] as const
const COMMITTED = [12, 5] as const

describe('HTTP listener: /metrics, /healthz, /readyz on a broker process', () => {
  let b: BrokerProcess | undefined
  let http = ''
  let kafka: Kafka
  let admin: Admin | undefined
  let producer: Producer | undefined
  let consumer: Consumer | undefined

  const get = async (path: string) => {
    const r = await fetch(`${http}${path}`)
    return { status: r.status, body: await r.text(), type: r.headers.get('content-type') ?? '' }
  }
  const scrape = async (): Promise<Samples> => {
    const r = await get('/metrics')
    assert.equal(r.status, 200)
    assert.match(r.type, /^text\/plain; version=0\.0\.4/)
    return lintExposition(r.body)
  }

  before(async () => {
    b = await startBrokerProcess({
      config: { 'samsa.http.listeners': 'http://127.0.0.1:0', 'group.min.session.timeout.ms': 1000 },
    })
    const m = /started: .* http=(http:\/\/127\.0\.0\.1:\d+)/.exec(b.output())
    assert.ok(m, `the start line names the HTTP listener:\n${b.output()}`)
    http = m[1]
    kafka = new Kafka({
      clientId: 'e2e-metrics',
      brokers: [b.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 5, initialRetryTime: 100 },
    })
    admin = kafka.admin()
    await admin.connect()
  })
  after(async () => {
    await consumer?.disconnect().catch(() => {})
    await producer?.disconnect().catch(() => {})
    await admin?.disconnect().catch(() => {})
    await b?.stop()
    b?.cleanup()
  })

  it('answers /healthz and /readyz; other paths are 404', async () => {
    assert.deepEqual(await get('/healthz').then((r) => [r.status, r.body]), [200, 'ok\n'])
    assert.deepEqual(await get('/readyz').then((r) => [r.status, r.body]), [200, 'ready\n'])
    assert.equal((await get('/nope')).status, 404)
  })

  it('counts produced messages and bytes for the topic, and reports the log gauges', async () => {
    await admin!.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2, replicationFactor: 1 }] })
    const before = await scrape()
    assert.equal(
      sampleValue(before, 'kafka_server_brokertopicmetrics_messagesin_total', { topic: TOPIC }),
      undefined,
    )
    const allBefore = sampleValue(before, 'kafka_server_brokertopicmetrics_messagesin_total') ?? 0
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
    await producer.connect()
    let sends = 0
    for (const [partition, n] of PRODUCED.entries()) {
      for (let i = 0; i < n; i += 10) {
        const messages = Array.from({ length: 10 }, (_, j) => ({
          partition,
          value: `p${partition}-m${i + j}`,
        }))
        await producer.send({ topic: TOPIC, acks: 1, messages })
        sends++
      }
    }
    const s = await scrape()
    const v = (name: string, labels: Record<string, string> = {}) => sampleValue(s, name, labels)
    const total = PRODUCED[0] + PRODUCED[1]
    // What was appended, read back from the segment files: batch header + records of each batch.
    let stored = 0
    for (const p of [0, 1])
      for (const x of storedBatches(join(b!.logDir, 'data'), TOPIC, p))
        stored += BATCH_HEADER_SIZE + x.records.length
    assert.equal(v('kafka_server_brokertopicmetrics_messagesin_total', { topic: TOPIC }), total)
    assert.equal(v('kafka_server_brokertopicmetrics_messagesin_total'), allBefore + total)
    assert.equal(v('kafka_server_brokertopicmetrics_bytesin_total', { topic: TOPIC }), stored)
    assert.equal(v('kafka_server_brokertopicmetrics_totalproducerequests_total', { topic: TOPIC }), sends)
    assert.equal(v('kafka_server_brokertopicmetrics_failedproducerequests_total', { topic: TOPIC }), 0)
    for (const [p, n] of PRODUCED.entries()) {
      const labels = { topic: TOPIC, partition: String(p) }
      assert.equal(v('kafka_log_log_logendoffset', labels), n)
      assert.equal(v('kafka_log_log_logstartoffset', labels), 0)
      assert.ok((v('kafka_log_log_size', labels) ?? 0) > 0)
    }
    assert.equal(
      (v('kafka_log_log_size', { topic: TOPIC, partition: '0' }) ?? 0) +
        (v('kafka_log_log_size', { topic: TOPIC, partition: '1' }) ?? 0),
      stored,
    )
    assert.equal(
      v('kafka_server_replicamanager_leadercount'),
      v('kafka_server_replicamanager_partitioncount'),
    )
    assert.equal(v('kafka_server_replicamanager_underreplicatedpartitions'), 0)
    assert.equal(v('kafka_controller_kafkacontroller_activecontrollercount'), 1)
    assert.equal(v('kafka_controller_kafkacontroller_offlinepartitionscount'), 0)
    assert.ok(
      (v('kafka_server_socket_server_metrics_connection_creation_total', { listener: 'PLAINTEXT' }) ?? 0) >=
        2,
    )
    assert.ok(
      (v('kafka_server_socket_server_metrics_connection_count', { listener: 'PLAINTEXT' }) ?? 0) >= 2,
      'admin + producer',
    )
  })

  it('reports the lag of a group that stopped halfway: log end − committed, per partition', async () => {
    consumer = kafka.consumer({
      groupId: GROUP,
      sessionTimeout: 6000,
      heartbeatInterval: 300,
      maxWaitTimeInMs: 100,
    })
    const seen = new Set<string>()
    await consumer.connect()
    await consumer.subscribe({ topics: [TOPIC], fromBeginning: true })
    const all = new Promise<void>((resolve) => {
      void consumer!.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }: EachMessagePayload) => {
          seen.add(`${partition}:${message.offset}`)
          if (seen.size === PRODUCED[0] + PRODUCED[1]) resolve()
        },
      })
    })
    await all
    await consumer.commitOffsets(
      COMMITTED.map((offset, partition) => ({ topic: TOPIC, partition, offset: String(offset) })),
    )
    await consumer.disconnect()
    consumer = undefined
    const ends = await admin!.fetchTopicOffsets(TOPIC)
    const s = await scrape()
    let sum = 0
    for (const [p, committed] of COMMITTED.entries()) {
      const labels = { consumergroup: GROUP, topic: TOPIC, partition: String(p) }
      const end = Number(ends.find((x) => x.partition === p)!.high)
      assert.equal(end, PRODUCED[p])
      assert.equal(sampleValue(s, 'kafka_consumergroup_current_offset', labels), committed)
      assert.equal(sampleValue(s, 'kafka_consumergroup_lag', labels), end - committed)
      sum += end - committed
    }
    assert.equal(sampleValue(s, 'kafka_consumergroup_lag_sum', { consumergroup: GROUP, topic: TOPIC }), sum)
    assert.equal(sampleValue(s, 'samsa_consumergroup_lag_total', { consumergroup: GROUP }), sum)
    // The consumer read every batch at least once.
    const bytesIn = sampleValue(s, 'kafka_server_brokertopicmetrics_bytesin_total', { topic: TOPIC }) ?? 0
    assert.ok(
      (sampleValue(s, 'kafka_server_brokertopicmetrics_bytesout_total', { topic: TOPIC }) ?? 0) >= bytesIn,
    )
  })

  it('has per-API request counters and latency histograms for Produce, Fetch and Metadata', async () => {
    const s = await scrape()
    for (const request of ['Produce', 'Fetch', 'FetchConsumer', 'Metadata']) {
      const versions = (s.get('kafka_network_requestmetrics_requests_total') ?? []).filter(
        (x) => x.labels.request === request,
      )
      const count = versions.reduce((a, x) => a + x.value, 0)
      assert.ok(count > 0, `${request} requests counted`)
      for (const h of ['totaltimems', 'localtimems', 'remotetimems', 'requestbytes']) {
        const n = `kafka_network_requestmetrics_${h}`
        // Scraped after the counters: requests served in between make the histogram larger.
        assert.ok((sampleValue(s, `${n}_count`, { request }) ?? 0) >= count, `${n} ${request}`)
        const buckets = (s.get(`${n}_bucket`) ?? []).filter((x) => x.labels.request === request)
        assert.ok(buckets.length > 2, `${n} ${request} buckets`)
      }
      assert.ok((sampleValue(s, 'kafka_network_requestmetrics_totaltimems_sum', { request }) ?? 0) > 0)
    }
    // Default process metrics are there too.
    for (const name of [
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_p99_seconds',
    ])
      assert.ok(s.has(name), name)
    const idle = sampleValue(s, 'kafka_network_socketserver_networkprocessoravgidlepercent') ?? -1
    assert.ok(idle >= 0 && idle <= 1, `idle ratio ${idle}`)
  })
})

/** The HTTP listener's base URL from a broker's start line. */
function httpOf(b: BrokerProcess): string {
  const m = /started: .* http=(http:\/\/127\.0\.0\.1:\d+)/.exec(b.output())
  assert.ok(m, `no HTTP listener in the start line:\n${b.output()}`)
  return m[1]
}

async function scrapeOf(b: BrokerProcess): Promise<Samples> {
  const r = await fetch(`${httpOf(b)}/metrics`)
  assert.equal(r.status, 200)
  return lintExposition(await r.text())
}

describe('HTTP listener in a ZooKeeper cluster', {
  skip: !zookeeperAvailable() && 'ZooKeeper is not installed',
}, () => {
  let c: TestCluster | undefined
  before(async () => {
    c = await startCluster({
      brokers: 3,
      config: { 'samsa.http.listeners': 'http://127.0.0.1:0', 'replica.lag.time.max.ms': 2000 },
    })
  })
  after(async () => {
    await c?.stop()
  })

  it('every broker becomes ready; one is the active controller; ISR changes show on the leader', async () => {
    const brokers = () => [...c!.brokers.values()]
    for (const b of brokers())
      await eventually('ready', 10000, async () =>
        (await fetch(`${httpOf(b)}/readyz`)).status === 200 ? true : undefined,
      )
    const active = await Promise.all(
      brokers().map(async (b) =>
        sampleValue(await scrapeOf(b), 'kafka_controller_kafkacontroller_activecontrollercount'),
      ),
    )
    assert.equal(
      active.reduce((a, x) => (a ?? 0) + (x ?? 0), 0),
      1,
    )

    const kafka = new Kafka({
      brokers: c!.bootstrap().split(','),
      logLevel: logLevel.NOTHING,
      retry: { retries: 8 },
    })
    const admin = kafka.admin()
    await admin.connect()
    try {
      await admin.createTopics({ topics: [{ topic: 'obs-rf3', numPartitions: 1, replicationFactor: 3 }] })
    } finally {
      await admin.disconnect()
    }
    const p = await eventually('full ISR', 10000, async () => {
      const x = (await metadataOf(c!.bootstrap(), 'obs-rf3')).topics[0]?.partitions[0]
      return x !== undefined && x.leader >= 0 && x.isrs.length === 3 ? x : undefined
    })
    const leader = c!.brokers.get(p.leader)!
    const followerId = p.replicas.map((r) => r.id).find((id) => id !== p.leader)!
    const before = await scrapeOf(leader)
    assert.equal(sampleValue(before, 'kafka_server_replicamanager_underreplicatedpartitions'), 0)
    const shrinks = sampleValue(before, 'kafka_server_replicamanager_isrshrinks_total') ?? 0
    const expands = sampleValue(before, 'kafka_server_replicamanager_isrexpands_total') ?? 0

    await c!.brokers.get(followerId)!.kill()
    await eventually('under-replicated on the leader', 15000, async () => {
      const s = await scrapeOf(leader)
      return sampleValue(s, 'kafka_server_replicamanager_underreplicatedpartitions') === 1 &&
        (sampleValue(s, 'kafka_server_replicamanager_isrshrinks_total') ?? 0) > shrinks
        ? true
        : undefined
    })
    // Its old ZooKeeper session has to expire before the id can register again.
    const back = await eventually('restarted', 20000, () => c!.startBroker(followerId).catch(() => undefined))
    await eventually('back in the ISR', 15000, async () => {
      const s = await scrapeOf(leader)
      return sampleValue(s, 'kafka_server_replicamanager_underreplicatedpartitions') === 0 &&
        (sampleValue(s, 'kafka_server_replicamanager_isrexpands_total') ?? 0) > expands
        ? true
        : undefined
    })
    await eventually('restarted broker ready', 10000, async () =>
      (await fetch(`${httpOf(back)}/readyz`)).status === 200 ? true : undefined,
    )
  })
})
