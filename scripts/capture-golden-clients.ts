// The clients scripts/capture-golden.ts drives against the capture broker, and what each is told
// to do: kafkajs in-process, kcat as a command, kafka-python and confluent-kafka as short Python
// programs run with /usr/bin/python3 (the Debian packages). Every scenario records what it asked
// for (topics, acks, group, codec, records) so the expectations do not come from the codec.

import { spawn } from 'node:child_process'
import kafkajs from 'kafkajs'

export interface SentRecord {
  key: string | null
  value: string
  headers: { key: string; value: string }[]
}

export interface Scenario {
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

export interface ClientPlan {
  client: string
  clientId: string
  /** ApiVersions v3+ software name/version this client announces (KIP-511). */
  software?: { name: string; version: string }
  scenarios: Scenario[]
}

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

export function clientPlans(): ClientPlan[] {
  return [kafkajsPlan(), kcatPlan(), kafkaPythonPlan(), confluentPlan()]
}
