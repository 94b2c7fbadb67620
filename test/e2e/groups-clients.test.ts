// Consumer groups with kafkajs 2.2.4 (two members: eachMessage, manual commits, pause/resume,
// seek; admin describeGroups/fetchOffsets), kafka-python 2.0.2 (group consumer, then
// KafkaAdminClient list/describe groups, group offsets, __consumer_offsets internal, delete group)
// and kcat -G (balanced consumer that resumes from its commits), against a real broker process.

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import kafkajs, { type Consumer, type EachMessagePayload } from 'kafkajs'
import { type BrokerProcess, startBrokerProcess } from '../support/broker-process.ts'
import { kcat, PYTHON, run } from '../support/e2e-clients.ts'
import { produceEach, waitFor } from './groups-helpers.ts'

const { Kafka, logLevel } = kafkajs

describe('consumer groups: kafkajs, kafka-python, kcat', () => {
  let broker: BrokerProcess
  before(async () => {
    broker = await startBrokerProcess({
      config: {
        'num.partitions': 4,
        'offsets.topic.replication.factor': 1,
        'group.min.session.timeout.ms': 1000,
      },
    })
  })
  after(async () => {
    await broker?.stop()
    broker?.cleanup()
  })

  it('kafkajs: two members share a topic, commit, pause/resume and seek', async () => {
    const topic = 'kjs-topic'
    await produceEach(broker.bootstrap, topic, 4, 10, 'a')
    const kafka = new Kafka({
      clientId: 'e2e-kafkajs-group',
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 5, initialRetryTime: 100 },
    })
    const seen: { member: number; p: number; o: number; v: string }[] = []
    const assigned: number[][] = [[], []]
    const consumers: Consumer[] = []
    const admin = kafka.admin()
    await admin.connect()
    try {
      for (const member of [0, 1]) {
        // A short fetch wait: kafkajs heartbeats, pauses, seeks and leaves between fetches.
        const c = kafka.consumer({
          groupId: 'kjs-group',
          sessionTimeout: 6000,
          heartbeatInterval: 300,
          rebalanceTimeout: 6000,
          maxWaitTimeInMs: 100,
        })
        consumers.push(c)
        c.on(c.events.GROUP_JOIN, (e) => {
          assigned[member] = (e.payload.memberAssignment[topic] ?? []).slice().sort()
        })
        await c.connect()
        await c.subscribe({ topics: [topic], fromBeginning: true })
        await c.run({
          autoCommit: false,
          eachMessage: async ({ partition, message }: EachMessagePayload) => {
            seen.push({ member, p: partition, o: Number(message.offset), v: message.value!.toString() })
            await c.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }])
          },
        })
        if (member === 0)
          await waitFor(
            () => new Set(seen.map((s) => `${s.p}:${s.o}`)).size === 40,
            'kafkajs first member consumes everything',
          )
      }
      await waitFor(() => assigned[0].length === 2 && assigned[1].length === 2, 'two partitions each', 20000)
      assert.deepEqual([...assigned[0], ...assigned[1]].sort(), [0, 1, 2, 3])
      const described = await admin.describeGroups(['kjs-group'])
      assert.equal(described.groups[0].state, 'Stable')
      assert.equal(described.groups[0].members.length, 2)
      assert.equal(described.groups[0].protocolType, 'consumer')
      const offsets = await admin.fetchOffsets({ groupId: 'kjs-group', topics: [topic] })
      assert.deepEqual(offsets[0].partitions.map((p) => [p.partition, p.offset]).sort(), [
        [0, '10'],
        [1, '10'],
        [2, '10'],
        [3, '10'],
      ])
      // Paused: nothing is consumed; resumed: the new messages arrive.
      consumers[0].pause([{ topic }])
      consumers[1].pause([{ topic }])
      const before = seen.length
      await produceEach(broker.bootstrap, topic, 4, 2, 'b')
      await new Promise((r) => setTimeout(r, 1000))
      assert.equal(seen.length, before, 'no messages while paused')
      consumers[0].resume([{ topic }])
      consumers[1].resume([{ topic }])
      await waitFor(() => seen.length === before + 8, 'messages after resume')
      // Seek back to the start of one of member 0's partitions: it reads them again.
      const p = assigned[0][0]
      const count = seen.length
      consumers[0].seek({ topic, partition: p, offset: '0' })
      await waitFor(() => seen.length === count + 12, 'messages again after seek')
      assert.deepEqual(
        seen.slice(count).map((s) => [s.member, s.p, s.o]),
        Array.from({ length: 12 }, (_, o) => [0, p, o]),
      )
    } finally {
      for (const c of consumers) await c.disconnect().catch(() => {})
      await admin.disconnect()
    }
    // Both left: the group is empty and its commits remain.
    const after = await (async () => {
      const a = kafka.admin()
      await a.connect()
      try {
        return await a.describeGroups(['kjs-group'])
      } finally {
        await a.disconnect()
      }
    })()
    assert.equal(after.groups[0].state, 'Empty')
  })

  it('kafka-python: a group consumer commits; the admin client lists and describes groups and offsets', async () => {
    const topic = 'kp-topic'
    await produceEach(broker.bootstrap, topic, 4, 5, 'a')
    const script = `
import json, sys
from kafka import KafkaConsumer, KafkaAdminClient
bs, topic = sys.argv[1], sys.argv[2]
c = KafkaConsumer(topic, bootstrap_servers=bs, group_id='kp-group', client_id='kp-client',
                  auto_offset_reset='earliest', enable_auto_commit=False, consumer_timeout_ms=8000,
                  session_timeout_ms=6000, heartbeat_interval_ms=500)
got = []
for m in c:
    got.append([m.partition, m.offset, m.value.decode()])
    if len(got) == 20:
        break
c.commit()
a = KafkaAdminClient(bootstrap_servers=bs, client_id='kp-admin')
groups = a.list_consumer_groups()
desc = a.describe_consumer_groups(['kp-group'])[0]
offsets = a.list_consumer_group_offsets('kp-group')
c.close()
after = a.describe_consumer_groups(['kp-group'])[0]
internal = [t['is_internal'] for t in a.describe_topics(['__consumer_offsets'])]
deleted = [[g, e.errno] for g, e in a.delete_consumer_groups(['kp-group'])]
gone = [g for g, _ in a.list_consumer_groups() if g == 'kp-group']
print(json.dumps({
  'internal': internal, 'deleted': deleted, 'gone': gone,
  'got': got,
  'groups': [list(g) for g in groups],
  'state': desc.state, 'protocol_type': desc.protocol_type, 'protocol': desc.protocol,
  'members': [[m.client_id, m.client_host, sorted(m.member_assignment.assignment[0][1]) if m.member_assignment else None] for m in desc.members],
  'offsets': sorted([[tp.partition, om.offset] for tp, om in offsets.items()]),
  'after': after.state,
}))
`
    const r = await run(PYTHON, ['-c', script, broker.bootstrap, topic], { timeoutMs: 60000 })
    assert.equal(r.code, 0, r.stderr)
    const res = JSON.parse(r.stdout.trim().split('\n').at(-1)!)
    assert.equal(res.got.length, 20)
    assert.deepEqual(
      res.groups.filter((g: string[]) => g[0] === 'kp-group'),
      [['kp-group', 'consumer']],
    )
    assert.equal(res.state, 'Stable')
    assert.equal(res.protocol_type, 'consumer')
    assert.equal(res.members.length, 1)
    assert.equal(res.members[0][0], 'kp-client')
    assert.equal(res.members[0][1], '/127.0.0.1')
    assert.deepEqual(res.members[0][2], [0, 1, 2, 3])
    assert.deepEqual(res.offsets, [
      [0, 5],
      [1, 5],
      [2, 5],
      [3, 5],
    ])
    assert.equal(res.after, 'Empty')
    assert.deepEqual(res.internal, [true], '__consumer_offsets is internal in Metadata')
    assert.deepEqual(res.deleted, [['kp-group', 0]])
    assert.deepEqual(res.gone, [])
  })

  it('kcat -G: a balanced consumer resumes from its committed offsets', async () => {
    const topic = 'kcat-topic'
    await produceEach(broker.bootstrap, topic, 4, 5, 'a')
    const consume = async () => {
      const r = await kcat(broker.bootstrap, [
        '-G',
        'kcat-group',
        topic,
        '-e',
        '-q',
        '-f',
        '%p:%o:%s\\n',
        '-X',
        'auto.offset.reset=earliest',
        '-X',
        'auto.commit.interval.ms=100',
      ])
      return r.stdout.split('\n').filter(Boolean)
    }
    const first = await consume()
    assert.equal(first.length, 20)
    await produceEach(broker.bootstrap, topic, 4, 3, 'b')
    const second = await consume()
    assert.deepEqual(second.map((l) => l.split(':')[2].split('-')[0]).sort(), Array(12).fill('b'))
    const desc = await kcat(broker.bootstrap, ['-L', '-t', '__consumer_offsets'])
    assert.match(desc.stdout, /__consumer_offsets/)
  })
})
