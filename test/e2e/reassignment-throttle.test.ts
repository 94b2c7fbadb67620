// Replication throttles end to end (KIP-73): ZooKeeper plus three broker processes, two topics of
// one partition on broker 1 holding 4 MB each. One is moved to 1,2 without a throttle, the other
// to 1,3 with `kafka-reassign-partitions.sh --execute --throttle 1000000`: the throttled move takes
// about 4 s (asserted loosely: at least half of that, and clearly longer than the unthrottled one),
// the throttle configs are on the brokers and the topic while it runs (kafka-configs.sh --describe),
// and `--verify` removes them once the move is complete.

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { eventually, startCluster, type TestCluster } from '../support/cluster.ts'
import { runOk } from '../support/e2e-clients.ts'
import { zookeeperAvailable } from '../support/zookeeper.ts'
import { highWatermarks, partitionsOf } from './replication-helpers.ts'

const RECORDS = 4000
const RECORD_SIZE = 1000
const RATE = 1_000_000

describe('kafka-reassign-partitions.sh --throttle (ZooKeeper, 3 brokers)', {
  skip: !zookeeperAvailable() && 'ZooKeeper is not installed',
}, () => {
  let c: TestCluster | null = null
  const dir = mkdtempSync(join(tmpdir(), 'samsa-throttle-e2e-'))
  after(async () => {
    await c?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('moves at about the throttled rate, and --verify removes the throttle', async (t) => {
    c = await startCluster({ brokers: 3, chroot: '/samsa' })
    const cluster = c
    const bs = cluster.bootstrap()
    const tool = (args: string[]) =>
      runOk('bin/kafka-reassign-partitions.sh', ['--bootstrap-server', bs, ...args])
    const configs = async (type: string, name: string) =>
      (
        await runOk('bin/kafka-configs.sh', [
          '--bootstrap-server',
          bs,
          '--describe',
          '--entity-type',
          type,
          '--entity-name',
          name,
        ])
      ).stdout

    for (const topic of ['free', 'slow']) {
      await runOk('bin/kafka-topics.sh', [
        '--create',
        '--topic',
        topic,
        '--replica-assignment',
        '1',
        '--bootstrap-server',
        bs,
      ])
      await runOk('bin/kafka-producer-perf-test.sh', [
        '--topic',
        topic,
        '--num-records',
        String(RECORDS),
        '--record-size',
        String(RECORD_SIZE),
        '--throughput',
        '-1',
        '--producer-props',
        `bootstrap.servers=${bs}`,
        'acks=1',
      ])
      assert.equal((await highWatermarks(bs, topic)).get(0), RECORDS)
    }

    /** Runs --execute and waits until the new replica is in the ISR; the milliseconds it took. */
    const move = async (topic: string, replicas: number[], extra: string[]) => {
      const plan = join(dir, `${topic}.json`)
      writeFileSync(plan, JSON.stringify({ version: 1, partitions: [{ topic, partition: 0, replicas }] }))
      const started = Date.now()
      const exec = await tool(['--execute', '--reassignment-json-file', plan, ...extra])
      await eventually(`${topic} on ${replicas} with a full ISR`, 40000, async () => {
        const p = (await partitionsOf(bs, topic))[0]
        return p && p.replicas.join() === replicas.join() && p.isr.join() === replicas.join() ? p : undefined
      })
      return { plan, exec: exec.stdout, ms: Date.now() - started }
    }

    const free = await move('free', [1, 2], [])
    t.diagnostic(`unthrottled: 4 MB moved in ${free.ms} ms`)

    // While the throttled move runs, the configs Kafka's tool sets are there.
    const slowPlan = join(dir, 'slow.json')
    const during: string[] = []
    const slowMove = move('slow', [1, 3], ['--throttle', String(RATE)])
    await eventually('the throttle configs are set', 20000, async () => {
      const topic = await configs('topics', 'slow')
      return topic.includes('follower.replication.throttled.replicas=0:3') ? topic : undefined
    })
    during.push(await configs('topics', 'slow'), await configs('brokers', '1'), await configs('brokers', '3'))
    const slow = await slowMove
    t.diagnostic(`throttled at ${RATE} B/s: 4 MB moved in ${slow.ms} ms`)

    assert.ok(
      slow.exec.includes(
        'Warning: You must run --verify periodically, until the reassignment completes, to ensure the throttle is removed.\n' +
          `The inter-broker throttle limit was set to ${RATE} B/s\n` +
          'Successfully started partition reassignment for slow-0\n',
      ),
      slow.exec,
    )
    assert.match(during[0]!, /leader\.replication\.throttled\.replicas=0:1[ ,]/)
    assert.match(during[0]!, /follower\.replication\.throttled\.replicas=0:3[ ,]/)
    for (const b of [during[1]!, during[2]!]) {
      assert.match(b, new RegExp(`leader\\.replication\\.throttled\\.rate=${RATE}`))
      assert.match(b, new RegExp(`follower\\.replication\\.throttled\\.rate=${RATE}`))
    }

    const expectedMs = ((RECORDS * RECORD_SIZE) / RATE) * 1000
    assert.ok(slow.ms >= 0.5 * expectedMs, `throttled move took ${slow.ms} ms, expected about ${expectedMs}`)
    assert.ok(slow.ms > 1.5 * free.ms, `throttled ${slow.ms} ms vs unthrottled ${free.ms} ms`)
    assert.equal(slowPlan, slow.plan)

    const v = (await tool(['--verify', '--reassignment-json-file', slow.plan])).stdout
    assert.equal(
      v,
      'Status of partition reassignment:\nReassignment of partition slow-0 is completed.\n' +
        'Clearing broker-level throttles on brokers 1,2,3\nClearing topic-level throttles on topic slow\n',
    )
    await eventually('the throttle configs are gone', 10000, async () => {
      const all = [
        await configs('topics', 'slow'),
        ...(await Promise.all(['1', '2', '3'].map((b) => configs('brokers', b)))),
      ]
      return all.every((s) => !s.includes('throttled')) ? all : undefined
    })
  })
})
