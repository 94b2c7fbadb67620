// Partition reassignment end to end (KIP-455 on the ZooKeeper controller): ZooKeeper plus four
// broker processes, a topic at replication factor 3 on brokers 1,2,3 with min.insync.replicas=2,
// moved to 2,3,4 with bin/kafka-reassign-partitions.sh --execute while a confluent-kafka
// idempotent acks=all producer keeps writing. Then: --verify eventually reports completion; every
// acknowledged record is readable at its acknowledged offset; metadata and /brokers/topics/<t> show
// the new assignment; the new replica holds the same batches as the others; broker 1 no longer has
// the partition's directory.

import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { eventually, startCluster, type TestCluster } from '../support/cluster.ts'
import { kcatConsumeJson, runOk } from '../support/e2e-clients.ts'
import { zookeeperAvailable } from '../support/zookeeper.ts'
import {
  coverageProblem,
  highWatermarks,
  partitionsOf,
  replicaBatchesBelow,
  type Stream,
  startKeyedStream,
  until,
} from './replication-helpers.ts'

const TOPIC = 'moving'
const COUNT = 1500

describe('kafka-reassign-partitions.sh moves a partition under load (ZooKeeper, 4 brokers)', {
  skip: !zookeeperAvailable() && 'ZooKeeper is not installed',
}, () => {
  let c: TestCluster | null = null
  let stream: Stream | null = null
  const dir = mkdtempSync(join(tmpdir(), 'samsa-reassign-e2e-'))
  after(async () => {
    stream?.kill()
    await c?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('1,2,3 → 2,3,4 while an acks=all producer writes: completed, nothing acknowledged lost, new assignment in ZooKeeper', async (t) => {
    c = await startCluster({ brokers: 4, chroot: '/samsa' })
    const cluster = c
    const tool = (args: string[]) =>
      runOk('bin/kafka-reassign-partitions.sh', ['--bootstrap-server', cluster.bootstrap(), ...args])
    await runOk('bin/kafka-topics.sh', [
      '--create',
      '--topic',
      TOPIC,
      '--replica-assignment',
      '1:2:3',
      '--config',
      'min.insync.replicas=2',
      '--bootstrap-server',
      c.bootstrap(),
    ])
    await eventually('the topic led by 1 with a full ISR', 20000, async () => {
      const p = (await partitionsOf(cluster.bootstrap(), TOPIC))[0]
      return p && p.leader === 1 && p.isr.length === 3 ? p : undefined
    })

    stream = startKeyedStream(c.bootstrap(), { topic: TOPIC, count: COUNT, pauseEvery: 2, pauseMs: 20 })
    const s = stream
    await until(() => s.deliveries.length >= 200, '200 deliveries')

    const plan = join(dir, 'plan.json')
    writeFileSync(
      plan,
      JSON.stringify({ version: 1, partitions: [{ topic: TOPIC, partition: 0, replicas: [2, 3, 4] }] }),
    )
    const started = Date.now()
    const exec = await tool(['--execute', '--reassignment-json-file', plan])
    assert.equal(
      exec.stdout,
      'Current partition replica assignment\n\n' +
        `{"version":1,"partitions":[{"topic":"${TOPIC}","partition":0,"replicas":[1,2,3],"log_dirs":["any","any","any"]}]}\n\n` +
        'Save this to use as the --reassignment-json-file option during rollback\n' +
        `Successfully started partition reassignment for ${TOPIC}-0\n`,
    )
    const ackedAtStart = s.deliveries.length
    assert.ok(ackedAtStart < COUNT && s.child.exitCode === null, 'the producer is still writing')

    const seen: string[] = []
    await eventually('--verify reports completion', 60000, async () => {
      const v = (await tool(['--verify', '--reassignment-json-file', plan])).stdout
      // The status line follows the header; "Clearing ... throttles" lines may follow it.
      const line = v.trim().split('\n')[1] ?? ''
      if (!seen.includes(line)) seen.push(line)
      return line === `Reassignment of partition ${TOPIC}-0 is completed.` ? v : undefined
    })
    t.diagnostic(`--verify said: ${seen.join(' | ')}; completed ${Date.now() - started} ms after --execute`)
    assert.equal((await tool(['--list'])).stdout, 'No partition reassignments found.\n')

    const code = await s.exited
    assert.equal(code, 0, s.stderr())
    const failed = s.deliveries.filter((d) => d.error !== undefined)
    const acked = s.deliveries.filter((d) => d.offset !== undefined)
    assert.deepEqual(failed.slice(0, 5), [], 'no delivery failed')
    assert.equal(acked.length, COUNT)

    const bs = [2, 3, 4].map((id) => cluster.brokers.get(id)!.bootstrap).join(',')
    const p = await eventually('metadata shows 2,3,4 with a full ISR', 30000, async () => {
      const m = (await partitionsOf(bs, TOPIC))[0]
      return m && m.replicas.join() === '2,3,4' && m.isr.join() === '2,3,4' && m.leader === 2 ? m : undefined
    })
    t.diagnostic(`after the move: leader ${p.leader}, replicas ${p.replicas}, ISR ${p.isr}`)
    const log = await kcatConsumeJson(bs, ['-t', TOPIC, '-o', 'beginning'])
    const at = new Map(log.map((m) => [m.offset, m]))
    const lost = acked.filter((d) => at.get(d.offset!)?.key !== `k-${d.i}`)
    assert.equal(lost.length, 0, `acknowledged but not at their offset: ${JSON.stringify(lost.slice(0, 5))}`)
    assert.equal(log.length, COUNT)

    // The new replica holds the same batches as the replicas that stayed.
    const hw = (await highWatermarks(bs, TOPIC)).get(0)!
    assert.equal(hw, COUNT)
    const batches = await replicaBatchesBelow(cluster, [2, 3, 4], TOPIC, 0, hw)
    assert.equal(coverageProblem(batches.get(2)!, hw), null)
    for (const id of [3, 4])
      assert.deepEqual(batches.get(id), batches.get(2), `broker ${id} holds what broker 2 holds`)

    const znode = (await cluster.zk.zkCli(['get', `/samsa/brokers/topics/${TOPIC}`]))
      .split('\n')
      .find((l) => l.startsWith('{'))
    assert.ok(znode)
    const parsed = JSON.parse(znode) as Record<string, unknown>
    assert.deepEqual(
      [parsed.partitions, parsed.adding_replicas, parsed.removing_replicas],
      [{ 0: [2, 3, 4] }, {}, {}],
    )
  })

  // The controller sends broker 1 StopReplica(deletePartition=true), as Kafka does; the broker
  // deletes the log of the replica that moved away.
  it('broker 1 no longer has the partition directory', async () => {
    assert.ok(c, 'the move above ran')
    const oldDir = join(c.brokers.get(1)!.logDir, 'data', `${TOPIC}-0`)
    await eventually('broker 1 deleted its replica', 15000, async () =>
      existsSync(oldDir) ? undefined : true,
    )
  })
})
