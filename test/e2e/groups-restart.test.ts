// Group state survives broker restarts: after a clean stop and after SIGKILL, the committed
// offsets and the group metadata (members of the last generation) are back, and a consumer of
// the group resumes from its commits. Also measures the commit rate of one confluent-kafka
// consumer committing synchronously after every message.

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { type BrokerProcess, startBrokerProcess } from '../support/broker-process.ts'
import { PYTHON, run } from '../support/e2e-clients.ts'
import { consumedCounts, GroupConsumer, produceEach, waitFor } from './groups-helpers.ts'

const CONFIG = {
  'num.partitions': 4,
  'offsets.topic.replication.factor': 1,
  'group.min.session.timeout.ms': 1000,
}

/** kafka-python's admin view of a group: state, members' client ids, committed offsets. */
async function describeGroup(bootstrap: string, group: string) {
  const script = `
import json, sys
from kafka import KafkaAdminClient
a = KafkaAdminClient(bootstrap_servers=sys.argv[1], client_id='restart-admin')
d = a.describe_consumer_groups([sys.argv[2]])[0]
o = a.list_consumer_group_offsets(sys.argv[2])
print(json.dumps({'state': d.state, 'members': [m.member_id for m in d.members],
                  'offsets': sorted([[tp.topic, tp.partition, om.offset] for tp, om in o.items()])}))
`
  const r = await run(PYTHON, ['-c', script, bootstrap, group], { timeoutMs: 30000 })
  assert.equal(r.code, 0, r.stderr)
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
    state: string
    members: string[]
    offsets: [string, number, number][]
  }
}

describe('consumer groups across broker restarts', () => {
  const dirs: string[] = []
  const brokers: BrokerProcess[] = []
  const consumers: GroupConsumer[] = []
  after(async () => {
    await Promise.all(consumers.map((c) => c.kill()))
    for (const b of brokers) await b.stop()
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })
  const start = async (logDir: string) => {
    const b = await startBrokerProcess({ logDir, config: CONFIG })
    brokers.push(b)
    return b
  }

  for (const how of ['clean', 'SIGKILL'] as const) {
    it(`brings back offsets and group metadata after a ${how} restart; the consumer resumes from its commits`, async () => {
      const logDir = mkdtempSync(join(tmpdir(), 'samsa-groups-restart-'))
      dirs.push(logDir)
      const group = `restart-${how}`
      const topic = `restart-topic-${how}`
      let b = await start(logDir)
      await produceEach(b.bootstrap, topic, 4, 10, 'a')
      const first = new GroupConsumer('first', b.bootstrap, group, topic, { 'session.timeout.ms': 6000 })
      consumers.push(first)
      await waitFor(
        () => first.committed().size === 40,
        'the first consumer to commit everything',
        20000,
        () => first.diagnostics(),
      )
      const memberBefore = await describeGroup(b.bootstrap, group)
      assert.equal(memberBefore.state, 'Stable')
      // The consumer dies without leaving: its membership is only in the group metadata record.
      await first.kill()
      if (how === 'clean') assert.equal(await b.stop(), 0)
      else await b.kill()
      b = await start(logDir)
      const back = await describeGroup(b.bootstrap, group)
      assert.deepEqual(
        back.offsets,
        [0, 1, 2, 3].map((p) => [topic, p, 10]),
      )
      assert.equal(back.state, 'Stable')
      assert.deepEqual(back.members, memberBefore.members)
      await produceEach(b.bootstrap, topic, 4, 5, 'b')
      // A new consumer of the group: the loaded member (dead) keeps the group until its session
      // (6 s from the load) expires, then the newcomer gets every partition.
      const second = new GroupConsumer('second', b.bootstrap, group, topic, {
        'session.timeout.ms': 6000,
        'max.poll.interval.ms': 6000,
      })
      consumers.push(second)
      await waitFor(
        () => consumedCounts([second]).size === 20,
        'the second consumer to read the new messages',
        30000,
        () => second.diagnostics(),
      )
      assert.deepEqual(
        second
          .messages()
          .map((m) => m.v[0])
          .sort(),
        Array(20).fill('b'),
      )
      await second.stop()
      await b.stop()
    })
  }

  it('measures the commit rate of a consumer committing after every message', async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'samsa-groups-rate-'))
    dirs.push(logDir)
    const b = await start(logDir)
    const n = 2000
    await produceEach(b.bootstrap, 'rate-topic', 1, n, 'm')
    const c = new GroupConsumer('rate', b.bootstrap, 'rate-group', 'rate-topic', {
      'session.timeout.ms': 10000,
    })
    consumers.push(c)
    await waitFor(
      () => c.committed().size === n,
      `${n} commits`,
      60000,
      () => c.diagnostics(),
    )
    const commits = c.events.filter((e) => e.ev === 'committed')
    const seconds = commits[commits.length - 1].t - commits[0].t
    const rate = Math.round((commits.length - 1) / seconds)
    console.log(
      `# confluent-kafka: ${commits.length} synchronous commits (one per message) at ${rate} commits/s`,
    )
    assert.ok(rate > 100, `${rate} commits/s`)
    const d = await describeGroup(b.bootstrap, 'rate-group')
    assert.deepEqual(d.offsets, [['rate-topic', 0, n]])
    await c.stop()
    await b.stop()
  })
})
