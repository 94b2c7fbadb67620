// Captures golden request bytes from real Kafka clients (kafkajs, kcat/librdkafka, kafka-python,
// confluent-kafka) by running them against test/support/capture-broker.ts, and writes:
//
//   test/fixtures/golden/<client>/<NN>-<api>-v<version>[-<label>].bin   one request frame (no size prefix)
//   test/fixtures/golden/<client>/<same name>.json                      what it must decode to
//   test/fixtures/batches/<client>-<codec>.bin                          the records of its Produce requests
//   test/fixtures/batches/<client>-<codec>.json                         the records as sent
//
// The expectations in the JSON come from what this script told the client to do (client id, topic,
// acks, group, records), plus header fields read by hand from the raw bytes; never from the codec.
// Not part of the test command: run by hand, `node_modules/.bin/node scripts/capture-golden.ts`,
// and commit the result. Needs kcat and /usr/bin/python3 with python3-kafka and
// python3-confluent-kafka (Debian packages).

import { spawn } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import kafkajs from 'kafkajs'
import { decodeRequestBody, decodeRequestFrame, requestHeaderVersion } from '../src/protocol/frame.ts'
import { API_TABLE, ApiKey } from '../src/protocol/generated/api-keys.ts'
import { CaptureBroker, type CapturedRequest } from '../test/support/capture-broker.ts'

const GOLDEN = 'test/fixtures/golden'
const BATCHES = 'test/fixtures/batches'

/** A value in the JSON: bigints are written as {"$bigint": "..."}. */
type Json = null | boolean | number | string | Json[] | { [k: string]: Json }
/** `path` uses dots and [*] (every element); each value found must satisfy the check. */
export type Check =
  | { path: string; equals: Json }
  | { path: string; in: Json[] }
  | { path: string; notNull: true }

interface SentRecord {
  key: string | null
  value: string
  headers: { key: string; value: string }[]
}

interface Scenario {
  label: string
  /** Topics this scenario uses (Metadata/Fetch/... must name only these or earlier ones). */
  topics: string[]
  group?: string
  acks?: number
  /** Produce scenarios: the compression codec and the records sent (to partition 0 of topics[0]). */
  codec?: string
  records?: SentRecord[]
  createPartitions?: number
  run(bootstrap: string): Promise<void>
}

interface ClientPlan {
  client: string
  clientId: string
  /** ApiVersions v3+ software name/version this client announces (KIP-511). */
  software?: { name: string; version: string }
  scenarios: Scenario[]
}

const big = (n: bigint): Json => ({ $bigint: String(n) })

function makeRecords(prefix: string, opts: { nullKey: boolean; perRecordHeaders: boolean }): SentRecord[] {
  const out: SentRecord[] = []
  for (let i = 0; i < 6; i++) {
    out.push({
      key: opts.nullKey && i === 5 ? null : `${prefix}-key-${i}`,
      value: `${prefix} value ${i}: ${'the quick brown fox jumps over the lazy dog '.repeat(i + 1)}`,
      headers: opts.perRecordHeaders
        ? i % 2 === 0
          ? [{ key: 'seq', value: String(i) }]
          : []
        : [
            { key: 'origin', value: 'golden' },
            { key: 'client', value: prefix },
          ],
    })
  }
  return out
}

// --- running external clients ------------------------------------------------------------------

function run(cmd: string, args: string[], input: string | null, timeoutMs = 45_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => {
      out += d
    })
    child.stderr.on('data', (d) => {
      err += d
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${cmd} timed out\n${err}`))
    }, timeoutMs)
    child.on('close', (code) => {
      clearTimeout(timer)
      if (code === 0) resolve(out)
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}\n${err}`))
    })
    child.stdin.end(input ?? '')
  })
}

const PY_PREAMBLE = `
import json, sys, time
cfg = json.loads(sys.argv[1])
def enc(s):
    return None if s is None else s.encode()
`

function python(script: string, cfg: unknown): Promise<string> {
  return run('/usr/bin/python3', ['-c', PY_PREAMBLE + script, JSON.stringify(cfg)], null)
}

// --- kafkajs -----------------------------------------------------------------------------------

function kafkajsPlan(): ClientPlan {
  const clientId = 'golden-kafkajs'
  const { Kafka, CompressionTypes, logLevel } = kafkajs
  const client = (bootstrap: string) =>
    new Kafka({ clientId, brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3 } })
  const produce = (codec: 'none' | 'gzip', acks: number): Scenario => {
    const topic = `golden-kafkajs-${codec}`
    const records = makeRecords(`kafkajs-${codec}`, { nullKey: true, perRecordHeaders: true })
    return {
      label: `produce-${codec}`,
      topics: [topic],
      acks,
      codec,
      records,
      async run(bootstrap) {
        const producer = client(bootstrap).producer()
        await producer.connect()
        await producer.send({
          topic,
          acks,
          compression: codec === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
          messages: records.map((r) => ({
            key: r.key,
            value: r.value,
            partition: 0,
            headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value])),
          })),
        })
        await producer.disconnect()
      },
    }
  }
  const adminTopic = 'golden-kafkajs-admin'
  const group = 'golden-kafkajs-group'
  return {
    client: 'kafkajs',
    clientId,
    scenarios: [
      produce('none', -1),
      produce('gzip', 1),
      {
        label: 'admin',
        topics: [adminTopic],
        createPartitions: 3,
        async run(bootstrap) {
          const admin = client(bootstrap).admin()
          await admin.connect()
          await admin.createTopics({ topics: [{ topic: adminTopic, numPartitions: 3 }] })
          await admin.fetchTopicMetadata({ topics: [adminTopic] })
          await admin.deleteTopics({ topics: [adminTopic] })
          await admin.disconnect()
        },
      },
      {
        label: 'consumer',
        topics: ['golden-kafkajs-none'],
        group,
        async run(bootstrap) {
          const consumer = client(bootstrap).consumer({
            groupId: group,
            maxWaitTimeInMs: 200,
            heartbeatInterval: 100,
          })
          await consumer.connect()
          await consumer.subscribe({ topics: ['golden-kafkajs-none'], fromBeginning: true })
          let seen = 0
          const done = new Promise<void>((resolve) => {
            void consumer.run({
              eachMessage: async () => {
                if (++seen === 6) resolve()
              },
            })
          })
          await Promise.race([
            done,
            new Promise((_, reject) =>
              setTimeout(() => reject(new Error('kafkajs consumer: timeout')), 30_000),
            ),
          ])
          // Stay a little so a heartbeat goes out too.
          await new Promise((resolve) => setTimeout(resolve, 500))
          await consumer.disconnect()
        },
      },
    ],
  }
}

// --- kcat (librdkafka 2.0.2) -------------------------------------------------------------------

function kcatPlan(): ClientPlan {
  const clientId = 'golden-kcat'
  const base = (bootstrap: string) => ['-b', bootstrap, '-X', `client.id=${clientId}`]
  const produce = (codec: string): Scenario => {
    const topic = `golden-kcat-${codec}`
    const records = makeRecords(`kcat-${codec}`, { nullKey: false, perRecordHeaders: false })
    const headers = records[0].headers.flatMap((h) => ['-H', `${h.key}=${h.value}`])
    return {
      label: `produce-${codec}`,
      topics: [topic],
      acks: -1,
      codec,
      records,
      async run(bootstrap) {
        const input = records.map((r) => `${r.key}\t${r.value}\n`).join('')
        await run(
          'kcat',
          [...base(bootstrap), '-P', '-t', topic, '-p', '0', '-z', codec, '-K', '\t', ...headers],
          input,
        )
      },
    }
  }
  return {
    client: 'kcat',
    clientId,
    software: { name: 'librdkafka', version: '2.0.2' },
    scenarios: [
      {
        label: 'metadata',
        topics: [],
        async run(bootstrap) {
          await run('kcat', [...base(bootstrap), '-L'], null)
        },
      },
      ...['none', 'gzip', 'snappy', 'lz4', 'zstd'].map(produce),
      {
        label: 'consume',
        topics: ['golden-kcat-none'],
        async run(bootstrap) {
          await run(
            'kcat',
            [...base(bootstrap), '-C', '-t', 'golden-kcat-none', '-p', '0', '-o', 'beginning', '-e'],
            null,
          )
        },
      },
    ],
  }
}

// --- kafka-python 2.0.2 ------------------------------------------------------------------------

const KP_PRODUCE = `
from kafka import KafkaProducer
p = KafkaProducer(bootstrap_servers=cfg['bootstrap'], client_id=cfg['clientId'], acks=cfg['acks'],
                  compression_type=cfg['compression'], linger_ms=200, batch_size=1 << 20)
for r in cfg['records']:
    p.send(cfg['topic'], key=enc(r['key']), value=enc(r['value']), partition=0,
           headers=[(h['key'], h['value'].encode()) for h in r['headers']])
p.flush(timeout=20)
p.close(timeout=5)
`

const KP_CONSUME = `
from kafka import KafkaConsumer, TopicPartition
c = KafkaConsumer(bootstrap_servers=cfg['bootstrap'], client_id=cfg['clientId'], group_id=cfg['group'],
                  enable_auto_commit=False, auto_offset_reset='earliest')
c.assign([TopicPartition(cfg['topic'], 0)])
n = 0
deadline = time.time() + 20
while n < cfg['count'] and time.time() < deadline:
    for msgs in c.poll(timeout_ms=500).values():
        n += len(msgs)
if n < cfg['count']:
    sys.exit('kafka-python consumer saw %d records' % n)
c.commit()
c.close()
`

const KP_ADMIN = `
from kafka.admin import KafkaAdminClient, NewTopic, ConfigResource, ConfigResourceType
a = KafkaAdminClient(bootstrap_servers=cfg['bootstrap'], client_id=cfg['clientId'])
a.create_topics([NewTopic(name=cfg['topic'], num_partitions=cfg['partitions'], replication_factor=1)])
a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, cfg['topic'])])
a.close()
`

function kafkaPythonPlan(): ClientPlan {
  const clientId = 'golden-kafka-python'
  const produce = (codec: 'none' | 'gzip', acks: number): Scenario => {
    const topic = `golden-kafka-python-${codec}`
    const records = makeRecords(`kafka-python-${codec}`, { nullKey: true, perRecordHeaders: true })
    return {
      label: `produce-${codec}`,
      topics: [topic],
      acks,
      codec,
      records,
      async run(bootstrap) {
        await python(KP_PRODUCE, {
          bootstrap,
          clientId,
          acks,
          compression: codec === 'none' ? null : codec,
          topic,
          records,
        })
      },
    }
  }
  const adminTopic = 'golden-kafka-python-admin'
  return {
    client: 'kafka-python',
    clientId,
    scenarios: [
      produce('none', 1),
      produce('gzip', -1),
      {
        label: 'consumer',
        topics: ['golden-kafka-python-none'],
        group: 'golden-kafka-python-group',
        async run(bootstrap) {
          await python(KP_CONSUME, {
            bootstrap,
            clientId,
            group: 'golden-kafka-python-group',
            topic: 'golden-kafka-python-none',
            count: 6,
          })
        },
      },
      {
        label: 'admin',
        topics: [adminTopic],
        createPartitions: 3,
        async run(bootstrap) {
          await python(KP_ADMIN, { bootstrap, clientId, topic: adminTopic, partitions: 3 })
        },
      },
    ],
  }
}

// --- confluent-kafka 1.7.0 (librdkafka 2.0.2) --------------------------------------------------

const CK_PRODUCE = `
from confluent_kafka import Producer
p = Producer({'bootstrap.servers': cfg['bootstrap'], 'client.id': cfg['clientId'], 'enable.idempotence': True,
              'compression.type': cfg['compression'], 'linger.ms': 100})
for r in cfg['records']:
    p.produce(cfg['topic'], key=enc(r['key']), value=enc(r['value']), partition=0,
              headers=[(h['key'], h['value'].encode()) for h in r['headers']])
if p.flush(20) != 0:
    sys.exit('confluent producer: undelivered records')
`

const CK_CONSUME = `
from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING
c = Consumer({'bootstrap.servers': cfg['bootstrap'], 'client.id': cfg['clientId'], 'group.id': cfg['group'],
              'enable.auto.commit': False})
c.assign([TopicPartition(cfg['topic'], 0, OFFSET_BEGINNING)])
n = 0
last = None
deadline = time.time() + 20
while n < cfg['count'] and time.time() < deadline:
    m = c.poll(0.5)
    if m is not None and m.error() is None:
        n += 1
        last = m
if n < cfg['count']:
    sys.exit('confluent consumer saw %d records' % n)
c.commit(message=last, asynchronous=False)
c.close()
`

const CK_ADMIN = `
from confluent_kafka.admin import AdminClient, NewTopic, ConfigResource
a = AdminClient({'bootstrap.servers': cfg['bootstrap'], 'client.id': cfg['clientId']})
for f in a.create_topics([NewTopic(cfg['topic'], cfg['partitions'], 1)]).values():
    f.result(20)
for f in a.describe_configs([ConfigResource('topic', cfg['topic'])]).values():
    f.result(20)
`

function confluentPlan(): ClientPlan {
  const clientId = 'golden-confluent'
  const produce = (codec: string): Scenario => {
    const topic = `golden-confluent-${codec}`
    const records = makeRecords(`confluent-${codec}`, { nullKey: true, perRecordHeaders: true })
    return {
      label: `produce-${codec}`,
      topics: [topic],
      acks: -1,
      codec,
      records,
      async run(bootstrap) {
        await python(CK_PRODUCE, { bootstrap, clientId, compression: codec, topic, records })
      },
    }
  }
  const adminTopic = 'golden-confluent-admin'
  return {
    client: 'confluent-kafka',
    clientId,
    software: { name: 'confluent-kafka-python', version: '1.7.0-rdkafka-2.0.2' },
    scenarios: [
      produce('none'),
      produce('lz4'),
      {
        label: 'consumer',
        topics: ['golden-confluent-none'],
        group: 'golden-confluent-group',
        async run(bootstrap) {
          await python(CK_CONSUME, {
            bootstrap,
            clientId,
            group: 'golden-confluent-group',
            topic: 'golden-confluent-none',
            count: 6,
          })
        },
      },
      {
        label: 'admin',
        topics: [adminTopic],
        createPartitions: 3,
        async run(bootstrap) {
          await python(CK_ADMIN, { bootstrap, clientId, topic: adminTopic, partitions: 3 })
        },
      },
    ],
  }
}

// --- expectations --------------------------------------------------------------------------------

/** The header read by hand (not with the codec): key, version, correlation id, client id. */
function rawHeader(raw: Buffer): {
  apiKey: number
  apiVersion: number
  correlationId: number
  clientId: string | null
} {
  const apiKey = raw.readInt16BE(0)
  const apiVersion = raw.readInt16BE(2)
  const correlationId = raw.readInt32BE(4)
  if (apiKey === ApiKey.ControlledShutdown && apiVersion === 0)
    return { apiKey, apiVersion, correlationId, clientId: null }
  const n = raw.readInt16BE(8)
  const clientId = n < 0 ? null : raw.toString('utf8', 10, 10 + n)
  return { apiKey, apiVersion, correlationId, clientId }
}

/** Semantic checks from what the scenario asked the client to do. */
function checksFor(
  plan: ClientPlan,
  sc: Scenario,
  known: string[],
  apiKey: number,
  version: number,
): Check[] {
  const c: Check[] = []
  const topics = [...new Set([...known, ...sc.topics])]
  switch (apiKey) {
    case ApiKey.Produce:
      c.push({ path: 'acks', equals: sc.acks ?? null })
      c.push({ path: 'topicData[*].name', in: sc.topics })
      c.push({ path: 'topicData[*].partitionData[*].index', equals: 0 })
      c.push({ path: 'topicData[*].partitionData[*].records', notNull: true })
      if (version >= 3) c.push({ path: 'transactionalId', equals: null })
      break
    case ApiKey.Fetch:
      c.push({ path: 'topics[*].topic', in: topics })
      c.push({ path: 'topics[*].partitions[*].partition', equals: 0 })
      c.push({ path: 'replicaId', equals: -1 })
      break
    case ApiKey.ListOffsets:
      c.push({ path: 'replicaId', equals: -1 })
      c.push({ path: 'topics[*].name', in: topics })
      c.push({ path: 'topics[*].partitions[*].partitionIndex', equals: 0 })
      c.push({ path: 'topics[*].partitions[*].timestamp', in: [big(-2n), big(-1n)] })
      break
    case ApiKey.Metadata:
      c.push({ path: 'topics[*].name', in: topics })
      break
    case ApiKey.FindCoordinator:
      c.push({ path: 'key', equals: sc.group ?? null })
      if (version >= 1) c.push({ path: 'keyType', equals: 0 })
      break
    case ApiKey.JoinGroup:
      c.push({ path: 'groupId', equals: sc.group ?? null })
      c.push({ path: 'protocolType', equals: 'consumer' })
      break
    case ApiKey.SyncGroup:
    case ApiKey.Heartbeat:
    case ApiKey.LeaveGroup:
    case ApiKey.OffsetFetch:
      c.push({ path: 'groupId', equals: sc.group ?? null })
      break
    case ApiKey.OffsetCommit:
      c.push({ path: 'groupId', equals: sc.group ?? null })
      c.push({ path: 'topics[*].name', in: sc.topics })
      c.push({ path: 'topics[*].partitions[*].partitionIndex', equals: 0 })
      c.push({ path: 'topics[*].partitions[*].committedOffset', equals: big(6n) })
      break
    case ApiKey.CreateTopics:
      c.push({ path: 'topics[*].name', in: sc.topics })
      c.push({ path: 'topics[*].numPartitions', equals: sc.createPartitions ?? null })
      break
    case ApiKey.DeleteTopics:
      c.push({ path: 'topicNames[*]', in: sc.topics })
      break
    case ApiKey.DescribeConfigs:
      c.push({ path: 'resources[*].resourceType', equals: 2 })
      c.push({ path: 'resources[*].resourceName', in: sc.topics })
      break
    case ApiKey.InitProducerId:
      c.push({ path: 'transactionalId', equals: null })
      break
    case ApiKey.ApiVersions:
      if (version >= 3 && plan.software !== undefined) {
        c.push({ path: 'clientSoftwareName', equals: plan.software.name })
        c.push({ path: 'clientSoftwareVersion', equals: plan.software.version })
      }
      break
  }
  return c
}

function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()
}

/** Which captured frames are worth a fixture: the first of each (api, version, variant) per client. */
function variant(req: CapturedRequest, sc: Scenario): string {
  if (req.apiKey === ApiKey.Produce) return sc.codec ?? ''
  if (req.apiKey === ApiKey.Metadata) {
    const body = decodeRequestBody<{ topics: unknown[] | null }>(decodeRequestFrame(req.raw))
    return body.topics === null || body.topics.length === 0 ? 'all' : 'topics'
  }
  return ''
}

async function capture(broker: CaptureBroker, plan: ClientPlan): Promise<void> {
  const dir = join(GOLDEN, plan.client)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const kept = new Set<string>()
  const known: string[] = []
  let n = 0
  for (const sc of plan.scenarios) {
    broker.clearRequests()
    process.stdout.write(`${plan.client} ${sc.label} ... `)
    try {
      await sc.run(broker.bootstrap)
    } catch (e) {
      console.log(`\n  broker problems: ${broker.problems.join('\n  ')}`)
      throw e
    }
    // Let trailing requests (commits, leave-group) land.
    await new Promise((r) => setTimeout(r, 300))
    if (broker.problems.length > 0) console.log(`\n  broker problems: ${broker.problems.join('\n  ')}`)
    const mine = broker.requests.filter(
      (r) => r.clientId === plan.clientId || r.clientId?.startsWith(plan.clientId),
    )
    console.log(`${broker.requests.length} requests`)
    for (const req of mine) {
      const h = rawHeader(req.raw)
      if (h.clientId !== plan.clientId)
        throw new Error(`${plan.client}: client id ${h.clientId}, configured ${plan.clientId}`)
      const api = API_TABLE[h.apiKey]
      const v = variant(req, sc)
      const id = `${h.apiKey}/${h.apiVersion}/${v}`
      if (kept.has(id)) continue
      kept.add(id)
      const name = `${String(n++).padStart(2, '0')}-${kebab(api.name)}-v${h.apiVersion}${v === '' ? '' : `-${v}`}`
      writeFileSync(join(dir, `${name}.bin`), req.raw)
      const expected = {
        client: plan.client,
        scenario: sc.label,
        apiKey: h.apiKey,
        apiName: api.name,
        apiVersion: h.apiVersion,
        headerVersion: requestHeaderVersion(h.apiKey, h.apiVersion),
        correlationId: h.correlationId,
        clientId: plan.clientId,
        checks: checksFor(plan, sc, known, h.apiKey, h.apiVersion),
      }
      writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(expected, null, 2)}\n`)
    }
    if (sc.records !== undefined) writeBatches(plan, sc, mine)
    known.push(...sc.topics)
  }
}

/** The records blobs of a scenario's Produce requests to partition 0 of its topic, in order. */
function writeBatches(plan: ClientPlan, sc: Scenario, reqs: CapturedRequest[]): void {
  const blobs: Buffer[] = []
  for (const req of reqs) {
    if (req.apiKey !== ApiKey.Produce) continue
    const body = decodeRequestBody<{
      topicData: { name: string; partitionData: { index: number; records: Buffer | null }[] }[]
    }>(decodeRequestFrame(req.raw))
    for (const t of body.topicData) {
      if (t.name !== sc.topics[0]) continue
      for (const p of t.partitionData)
        if (p.index === 0 && p.records !== null) blobs.push(Buffer.from(p.records))
    }
  }
  if (blobs.length === 0) throw new Error(`${plan.client} ${sc.label}: no Produce records captured`)
  mkdirSync(BATCHES, { recursive: true })
  const name = `${plan.client}-${sc.codec}`
  writeFileSync(join(BATCHES, `${name}.bin`), Buffer.concat(blobs))
  const expected = {
    client: plan.client,
    codec: sc.codec,
    topic: sc.topics[0],
    partition: 0,
    idempotent: plan.client === 'confluent-kafka',
    records: sc.records,
  }
  writeFileSync(join(BATCHES, `${name}.json`), `${JSON.stringify(expected, null, 2)}\n`)
}

async function main(): Promise<void> {
  const only = process.argv.slice(2)
  const plans = [kafkajsPlan(), kcatPlan(), kafkaPythonPlan(), confluentPlan()].filter(
    (p) => only.length === 0 || only.includes(p.client),
  )
  const broker = await CaptureBroker.start({ partitions: 1 })
  try {
    for (const plan of plans) await capture(broker, plan)
  } finally {
    await broker.close()
  }
}

await main()
