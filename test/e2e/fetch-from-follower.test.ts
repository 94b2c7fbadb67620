// Fetch from the closest replica (KIP-392) end to end: ZooKeeper plus three broker processes in
// racks r1, r2, r3 with replica.selector.class = Kafka's RackAwareReplicaSelector, a topic at
// replication factor 3. A confluent-kafka consumer with client.rack = the rack of a follower reads
// every record; its librdkafka fetch log shows the leader naming that follower as the preferred
// replica and the records coming from the follower. kcat (-J prints the broker each message was
// fetched from) agrees. Brokers are started here rather than through test/support/cluster.ts because
// each needs its own broker.rack.

import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type BrokerProcess, startBrokerProcess } from '../support/broker-process.ts'
import { eventually } from '../support/cluster.ts'
import { kcat, kcatConsumeJson, PYTHON, run, runOk } from '../support/e2e-clients.ts'
import { startZookeeper, type ZookeeperProcess, zookeeperAvailable } from '../support/zookeeper.ts'
import { partitionsOf } from './replication-helpers.ts'

const RACK_AWARE = 'org.apache.kafka.common.replica.RackAwareReplicaSelector'
const TOPIC = 'closest'
const RECORDS = 300

// A confluent-kafka consumer (assign, no group) with client.rack; librdkafka's fetch debug log goes
// to stderr, the records it read to stdout as one JSON document.
const CONSUMER = `
import json, sys, time
from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING
a = json.loads(sys.stdin.read())
c = Consumer({'bootstrap.servers': a['bootstrap'], 'group.id': 'unused', 'enable.auto.commit': False,
              'enable.partition.eof': True, 'fetch.wait.max.ms': 100, 'client.rack': a['rack'],
              'debug': 'fetch'})
c.assign([TopicPartition(a['topic'], 0, OFFSET_BEGINNING)])
values, deadline = [], time.time() + 30
while len(values) < a['expect'] and time.time() < deadline:
    m = c.poll(0.2)
    if m is None or m.error():
        continue
    values.append(m.value().decode())
c.close()
print(json.dumps({'values': values}), flush=True)
`

describe('fetch from the closest replica (KIP-392)', {
  skip: !zookeeperAvailable() && 'ZooKeeper is not installed',
}, () => {
  let zk: ZookeeperProcess | null = null
  let root = ''
  const brokers = new Map<number, BrokerProcess>()
  const bootstrap = () => [...brokers.values()].map((b) => b.bootstrap).join(',')
  let leader = -1
  let follower = -1

  before(async () => {
    zk = await startZookeeper()
    root = mkdtempSync(join(tmpdir(), 'samsa-kip392-'))
    for (const id of [1, 2, 3]) {
      const logDir = join(root, `broker-${id}`)
      mkdirSync(logDir, { recursive: true })
      brokers.set(
        id,
        await startBrokerProcess({
          logDir,
          timeoutMs: 20000,
          config: {
            'node.id': id,
            'broker.rack': `r${id}`,
            'replica.selector.class': RACK_AWARE,
            'zookeeper.connect': `${zk.connect}/kip392`,
            'zookeeper.session.timeout.ms': 4000,
            'offsets.topic.replication.factor': 1,
            'offsets.topic.num.partitions': 3,
          },
        }),
      )
    }
    await runOk('bin/kafka-topics.sh', [
      '--create',
      '--topic',
      TOPIC,
      '--partitions',
      '1',
      '--replication-factor',
      '3',
      '--bootstrap-server',
      bootstrap(),
    ])
    const p = await eventually('a leader and a full ISR', 20000, async () => {
      const [meta] = await partitionsOf(bootstrap(), TOPIC)
      return meta !== undefined && meta.leader > 0 && meta.isr.length === 3 ? meta : undefined
    })
    leader = p.leader
    follower = p.replicas.find((id) => id !== leader)!
    const lines = Array.from({ length: RECORDS }, (_, i) => `v${i}`).join('\n')
    await kcat(bootstrap(), ['-P', '-t', TOPIC, '-p', '0', '-X', 'acks=all'], { input: `${lines}\n` })
    // Followers serve up to their own high watermark: wait until the leader's has reached them all.
    await eventually('every record committed', 20000, async () => {
      const out = (
        await runOk('bin/kafka-get-offsets.sh', ['--bootstrap-server', bootstrap(), '--topic', TOPIC])
      ).stdout
      return out.includes(`${TOPIC}:0:${RECORDS}`) ? true : undefined
    })
  })

  after(async () => {
    await Promise.all([...brokers.values()].map((b) => b.kill().catch(() => {})))
    await zk?.stop()
    if (root !== '') rmSync(root, { recursive: true, force: true })
  })

  it('a confluent-kafka consumer in a follower rack reads every record from that follower', async () => {
    const rack = `r${follower}`
    const r = await run(PYTHON, ['-c', CONSUMER], {
      input: JSON.stringify({ bootstrap: bootstrap(), topic: TOPIC, rack, expect: RECORDS }),
      timeoutMs: 60000,
    })
    assert.equal(r.code, 0, r.stderr.slice(-4000))
    const { values } = JSON.parse(r.stdout.trim().split('\n').pop()!) as { values: string[] }
    assert.deepEqual(
      values,
      Array.from({ length: RECORDS }, (_, i) => `v${i}`),
    )
    const log = r.stderr
    // librdkafka logs each fetch as "<host:port>/<broker id>: Fetch topic <t> [<p>] at offset <o>".
    const fetches = (id: number) =>
      [...log.matchAll(new RegExp(`/${id}: Fetch topic ${TOPIC} \\[0\\] at offset (\\d+)`, 'g'))].map((m) =>
        Number(m[1]),
      )
    const shown = log.slice(-4000)
    // The leader answered the first fetch with the follower as preferred replica...
    assert.match(log, new RegExp(`from broker ${leader} to ${follower} .*preferred replica`), shown)
    // (once, at offset 0: that answer carries no records)...
    assert.deepEqual(fetches(leader), [0], shown)
    // ...so every record came from the follower, the only other broker fetched from.
    assert.equal(fetches(follower)[0], 0, shown)
    const third = [1, 2, 3].find((id) => id !== leader && id !== follower)!
    assert.deepEqual(fetches(third), [], shown)
  })

  it('kcat with client.rack reads every record, each fetched from the follower', async () => {
    const msgs = await kcatConsumeJson(bootstrap(), [
      '-t',
      TOPIC,
      '-p',
      '0',
      '-o',
      'beginning',
      '-X',
      `client.rack=r${follower}`,
    ])
    assert.equal(msgs.length, RECORDS)
    assert.deepEqual(
      msgs.map((m) => m.payload),
      Array.from({ length: RECORDS }, (_, i) => `v${i}`),
    )
    // The first fetch goes to the leader, which answers with no records and the preferred replica.
    assert.deepEqual(new Set(msgs.map((m) => m.broker)), new Set([follower]))
  })

  it('without client.rack kcat reads from the leader', async () => {
    const msgs = await kcatConsumeJson(bootstrap(), ['-t', TOPIC, '-p', '0', '-o', 'beginning'])
    assert.equal(msgs.length, RECORDS)
    assert.deepEqual(new Set(msgs.map((m) => m.broker)), new Set([leader]))
  })
})
