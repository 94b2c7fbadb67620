// The fault suite's workloads (test/faults/workloads/) shown working under faults, and their
// histories passing both checkers, on one 3-broker cluster (RF 3, min.insync.replicas=2,
// __consumer_offsets at RF 3 so that commits survive a kill):
// - the kafkajs idempotent producer and two confluent-kafka group members, plugged in through
//   startWorkloads/finish as the fault harness does, while the group coordinator's broker is killed
//   with SIGKILL and restarted on its log dir: every acknowledged record is in the log once at its
//   offset (checker.ts); the members read one consistent log and committed offsets that never went
//   back and cover only what they read (consumer-checker.ts); the same histories against a log
//   missing one record do fail;
// - the kafkajs producer records what kafkajs reports: the broker's error code when the ISR is too
//   small (both followers killed), a new producer after giving up, unknown for a batch in flight
//   when it was stopped (leader frozen with SIGSTOP);
// and, without a cluster, the kafkajs producer's record numbers cannot collide with the
// confluent-kafka stream's.

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import {
  coordinatorOf,
  createTopic,
  fullIsr,
  highWatermarks,
  liveBootstrap,
  partitionsOf,
  until,
} from '../e2e/replication-helpers.ts'
import {
  eventually,
  metadataOf,
  SESSION_TIMEOUT_MS,
  startCluster,
  type TestCluster,
} from '../support/cluster.ts'
import { kcatConsumeJson } from '../support/e2e-clients.ts'
import { zookeeperAvailable } from '../support/zookeeper.ts'
import { type Ack, checkHistory, type LogRecord, longestStallMs } from './checker.ts'
import { checkConsumers } from './consumer-checker.ts'
import {
  KAFKAJS_FIRST_I,
  type KafkajsProducer,
  startKafkajsProducer,
  summarizeOutcomes,
} from './workloads/kafkajs-producer.ts'
import { startWorkloads, type Workloads } from './workloads/workloads.ts'

const TOPIC = 'workloads'
const GROUP = 'workloads-group'
const PARTITIONS = [0, 1, 2]

describe('fault workloads: several producers in one history', () => {
  it("keeps the kafkajs producer's records apart from the confluent-kafka stream's", () => {
    // The stream counts from 0, the kafkajs producer from KAFKAJS_FIRST_I: merged, both check.
    const acks: Ack[] = [
      { i: 0, p: 0, offset: 0, t: 1 },
      { i: KAFKAJS_FIRST_I, p: 0, offset: 1, t: 2 },
      { i: 1, p: 0, offset: 2, t: 3 },
    ]
    const log: LogRecord[] = [
      { partition: 0, offset: 0, key: 'k-0' },
      { partition: 0, offset: 1, key: `k-${KAFKAJS_FIRST_I}` },
      { partition: 0, offset: 2, key: 'k-1' },
    ]
    const h = checkHistory(acks, log)
    assert.deepEqual([h.acknowledged, h.lost, h.misplaced, h.duplicated], [3, [], [], []])
    // Had both started at 0, one key would be in the log twice: the checker says so.
    const clash = checkHistory(acks, [...log, { partition: 0, offset: 3, key: 'k-0' }])
    assert.deepEqual(clash.duplicated, ['k-0'])
  })
})

describe('fault workloads on a 3-broker cluster (RF 3, min.insync.replicas=2)', {
  skip: !zookeeperAvailable() && 'ZooKeeper is not installed',
}, () => {
  let c: TestCluster | undefined
  const producers: KafkajsProducer[] = []
  const workloads: Workloads[] = []
  const stopped: number[] = []
  before(async () => {
    c = await startCluster({
      brokers: 3,
      chroot: '/samsa',
      config: { 'offsets.topic.replication.factor': 3 },
    })
  })
  after(async () => {
    for (const p of producers) p.kill()
    for (const w of workloads) w.kill()
    for (const pid of stopped) {
      try {
        process.kill(pid, 'SIGCONT')
      } catch {}
    }
    await c?.stop()
  })

  it('kill -9 of the coordinator: every acknowledged record once at its offset; members saw one log, commits never went back', {
    timeout: 60000,
  }, async (t) => {
    const started = Date.now()
    const cluster = c!
    await createTopic(cluster, TOPIC, PARTITIONS.length)
    // Through startWorkloads/finish: the calls the fault harness makes.
    const w = startWorkloads(cluster.bootstrap(), { topic: TOPIC, partitions: PARTITIONS, group: GROUP })
    workloads.push(w)
    const { producer: p, group: g } = w
    const committedOn = (since: number) =>
      new Set(g.commits.filter((x) => x.ok && x.t >= since).map((x) => x.p))
    const ackedOn = (since: number) =>
      new Set(p.acks.filter((a) => a.offset !== undefined && a.t >= since).map((a) => a.p))
    await until(
      () =>
        committedOn(0).size === 3 &&
        ackedOn(0).size === 3 &&
        g.reads.length >= 100 &&
        new Set(g.reads.map((r) => r.consumer)).size === 2,
      'producing, both members consuming, commits on every partition',
      25000,
    )
    const coordinator = await eventually('the coordinator', 10000, () =>
      coordinatorOf(cluster.bootstrap(), GROUP),
    )
    const led = (await partitionsOf(cluster.bootstrap(), TOPIC)).filter((x) => x.leader === coordinator)
    const killAt = Date.now() - started
    await cluster.brokers.get(coordinator)!.kill()
    const killedAt = Date.now()
    // Its registration lasts until ZooKeeper expires its session: only then may it come back.
    await eventually(`broker ${coordinator} gone`, SESSION_TIMEOUT_MS + 15000, async () => {
      const md = await metadataOf(liveBootstrap(cluster, [coordinator]))
      return md.brokers.some((b) => b.id === coordinator) ? undefined : true
    })
    const moved = await eventually('a new coordinator', 15000, async () => {
      const id = await coordinatorOf(liveBootstrap(cluster, [coordinator]), GROUP)
      return id !== undefined && id !== coordinator ? id : undefined
    })
    await cluster.startBroker(coordinator)
    w.setBootstrap(cluster.bootstrap())
    for (const part of PARTITIONS) await fullIsr(cluster, TOPIC, part, 20000)
    const healedAt = Date.now()
    await until(
      () => committedOn(healedAt).size === 3 && ackedOn(healedAt).size === 3,
      'acks and commits on every partition after the heal',
      20000,
    )
    assert.equal(await w.stopProducer(), 0, p.stderr().slice(-2000))
    const bootstrap = liveBootstrap(cluster)
    const log = await kcatConsumeJson(bootstrap, ['-t', TOPIC, '-o', 'beginning'])
    const r = await w.finish(bootstrap, log, 15000)
    const history = checkHistory(p.acks, log)
    const stall = longestStallMs(p.acks, killedAt, healedAt, PARTITIONS, Date.now())
    const commitsAfter = g.commits.filter((x) => x.ok && x.t >= killedAt).map((x) => x.t)
    const resumed = Math.min(...commitsAfter) - killedAt
    t.diagnostic(
      `coordinator ${coordinator} (leading ${led.map((x) => `p${x.partition}`).join(',') || 'no partition'}) ` +
        `killed at ${(killAt / 1000).toFixed(1)} s, ${moved} took over, full ISR ` +
        `${((healedAt - killedAt) / 1000).toFixed(1)} s later; longest produce stall ${(stall / 1000).toFixed(1)} s, ` +
        `first commit after the kill ${(resumed / 1000).toFixed(1)} s; ${log.length} records in the log; ` +
        `${r.report.join('; ')}; ${((Date.now() - started) / 1000).toFixed(1)} s`,
    )
    assert.ok(history.acknowledged > 0, 'the producer was acknowledged')
    assert.deepEqual(
      {
        lost: history.lost,
        misplaced: history.misplaced,
        duplicated: history.duplicated,
        disorder: history.disorder,
      },
      { lost: [], misplaced: [], duplicated: [], disorder: [] },
    )
    assert.ok(r.consumers.ok, r.report.join('\n'))
    assert.equal(r.report.length, 2, `no problems reported: ${r.report.join('\n')}`)
    assert.match(
      r.line,
      /^consumers: \d+ reads, \d+ commits \(\d+ failed\), 0 divergent reads, 0 skips, 0 commits backwards, 0 bad committed offsets$/,
    )
    const hws = await highWatermarks(bootstrap, TOPIC)
    assert.equal(r.committed.size, 3, 'a committed offset on every partition')
    for (const [part, hw] of hws)
      assert.equal(
        r.committed.get(part)?.current,
        hw,
        `${TOPIC}-${part}: the group committed up to the log end`,
      )
    // The same histories against a log that lost its last record of partition 0 do fail.
    const end0 = hws.get(0)! - 1
    const truncated = log.filter((r) => !(r.partition === 0 && r.offset === end0))
    assert.equal(checkHistory(p.acks, truncated).lost.length, 1)
    const broken = checkConsumers({
      reads: g.reads,
      commits: g.commits,
      log: truncated.map((r) => ({ partition: r.partition, offset: r.offset, value: r.payload })),
    })
    assert.equal(broken.ok, false)
    assert.ok(
      broken.vanished.some((x) => x.startsWith(`p0@${end0}:`)),
      broken.vanished.join('; '),
    )
  })

  it("kafkajs reports each outcome: the broker's error while the ISR is too small, unknown when stopped mid-send", {
    timeout: 60000,
  }, async (t) => {
    const cluster = c!
    const topic = 'outcomes'
    await createTopic(cluster, topic, 1)
    const [meta] = await partitionsOf(cluster.bootstrap(), topic)
    const leader = meta!.leader
    const followers = meta!.replicas.filter((id) => id !== leader)
    // Few retries and short timeouts, so that a send fails within seconds.
    const p = startKafkajsProducer(cluster.bootstrap(), {
      topic,
      partitions: [0],
      firstI: 2 * KAFKAJS_FIRST_I,
      retries: 2,
      ackTimeoutMs: 1500,
      requestTimeoutMs: 3000,
      drainMs: 1000,
    })
    producers.push(p)
    const acked = () => p.acks.filter((a) => a.offset !== undefined).length
    await until(() => acked() >= 20, 'kafkajs acknowledged', 15000)
    for (const id of followers) await cluster.brokers.get(id)!.kill()
    const killedAt = Date.now()
    await until(() => p.acks.some((a) => a.error !== undefined), 'a send failed', 20000)
    const failedAfter = Date.now() - killedAt
    for (const id of followers) {
      await eventually(`broker ${id} gone`, SESSION_TIMEOUT_MS + 15000, async () => {
        const md = await metadataOf(liveBootstrap(cluster, followers))
        return md.brokers.some((b) => b.id === id) ? undefined : true
      })
    }
    for (const id of followers) await cluster.startBroker(id)
    p.setBootstrap(cluster.bootstrap())
    const healed = await fullIsr(cluster, topic, 0, 30000)
    const healedAt = Date.now()
    await until(() => p.acks.some((a) => a.offset !== undefined && a.t > healedAt), 'acks again', 20000)
    // The leader frozen with a batch in flight, and the producer told to stop: that batch is unknown.
    const pid = cluster.brokers.get(healed.leader)!.child.pid!
    process.kill(pid, 'SIGSTOP')
    stopped.push(pid)
    await new Promise((r) => setTimeout(r, 300))
    assert.equal(await p.stop(), 0, p.stderr().slice(-2000))
    process.kill(pid, 'SIGCONT')
    stopped.splice(stopped.indexOf(pid), 1)

    const failed = p.outcomes.filter((o) => o.error !== undefined)
    const unknown = p.outcomes.filter((o) => o.unknown)
    t.diagnostic(
      `followers ${followers} killed: first failure after ${(failedAfter / 1000).toFixed(1)} s; ` +
        `${summarizeOutcomes(p.outcomes)}; ${p.restarts.length} producer restarts`,
    )
    assert.ok(
      failed.every((o) => [7, 19, 20].includes(o.error!) && /KafkaJS/.test(o.reason ?? '')),
      `REQUEST_TIMED_OUT or NOT_ENOUGH_REPLICAS(_AFTER_APPEND), as kafkajs reported them: ${JSON.stringify(failed.slice(0, 3))}`,
    )
    assert.ok(p.restarts.length >= 1, 'a lane that gave up started a new producer')
    assert.equal(unknown.length, 5, 'the batch in flight when the producer stopped')
    assert.ok(unknown.every((o) => o.reason === 'stopped' && !p.acks.includes(o)))
    assert.equal(p.outcomes.length, p.sent(), 'an outcome for every record sent')
    const log = await kcatConsumeJson(liveBootstrap(cluster), ['-t', topic, '-o', 'beginning'])
    const h = checkHistory(p.acks, log)
    assert.deepEqual([h.lost, h.misplaced, h.duplicated, h.disorder], [[], [], [], []])
  })
})
