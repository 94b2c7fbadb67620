// Kafka's operator tools and a second client family against a ZooKeeper cluster of three broker
// processes, the way an operator drives a Kafka 3.x ZooKeeper cluster: kafka-leader-election.sh
// (nothing to elect at replication factor 1; the error paths), kafka-topics.sh --describe
// --unavailable-partitions while a broker is stopped and after it is back, a confluent-kafka group
// consuming through one bootstrap address with its offsets seen by kafka-consumer-groups.sh,
// kafka-configs.sh changes that travel through /config/changes, and --alter --partitions and
// --delete seen on every broker, in ZooKeeper and in the log dirs. Expected texts are Kafka's (its
// ZooKeeper-mode controller's messages). kafka-python is left out: test/e2e/py/
// kafka_python_client.py has no group-consumer step.

import assert from 'node:assert/strict'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { REPO } from '../support/broker-process.ts'
import { eventually, metadataOf, startCluster, type TestCluster } from '../support/cluster.ts'
import { kcat, run } from '../support/e2e-clients.ts'
import { zookeeperAvailable } from '../support/zookeeper.ts'
import { GroupConsumer, produceEach } from './groups-helpers.ts'

const tool = (script: string, args: string[]) => run(join(REPO, 'bin', script), args, { timeoutMs: 40000 })

/** Runs a tool that must succeed with nothing on standard error; resolves to its standard output. */
async function toolOk(script: string, args: string[]): Promise<string> {
  const r = await tool(script, args)
  assert.equal(r.code, 0, `${script} ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`)
  assert.equal(r.stderr, '', `${script} ${args.join(' ')} wrote to stderr`)
  return r.stdout
}

/** Kafka's coordinator partition of a group: abs(Java String.hashCode) mod the partition count. */
function offsetsPartitionOf(group: string, partitions: number): number {
  let h = 0
  for (let i = 0; i < group.length; i++) h = (Math.imul(31, h) + group.charCodeAt(i)) | 0
  return (h & 0x7fffffff) % partitions
}

/** kafka-topics.sh --describe's partition line. */
const partitionLine = (topic: string, p: number, leader: string, replica: number) =>
  `\tTopic: ${topic}\tPartition: ${p}\tLeader: ${leader}\tReplicas: ${replica}\tIsr: ${replica}\tElr: \tLastKnownElr: `

describe('Kafka tools and confluent-kafka against a ZooKeeper cluster of three brokers', {
  skip: !zookeeperAvailable() && 'ZooKeeper is not installed',
}, () => {
  let c: TestCluster | undefined
  const bs = (id: number) => c!.brokers.get(id)!.bootstrap

  before(async () => {
    // Deleted partitions' directories go after 1 s instead of 60 s.
    c = await startCluster({ brokers: 3, chroot: '/samsa', config: { 'log.segment.delete.delay.ms': 1000 } })
    await eventually('every broker sees three brokers and a controller', 10000, async () => {
      const all = await Promise.all([1, 2, 3].map((id) => metadataOf(bs(id))))
      return all.every((m) => m.brokers.length === 3 && m.controllerid > 0) ? true : undefined
    })
  })
  after(async () => {
    await c?.stop()
  })

  async function createTopic(name: string, partitions: number, via: number) {
    await toolOk('kafka-topics.sh', [
      '--create',
      '--topic',
      name,
      '--partitions',
      String(partitions),
      '--bootstrap-server',
      bs(via),
    ])
    return await eventually(`${name} led on every broker`, 10000, async () => {
      const all = await Promise.all([1, 2, 3].map((id) => metadataOf(bs(id), name)))
      const ok = all.every((m) => m.topics[0]?.partitions.length === partitions)
      return ok && all.every((m) => m.topics[0]!.partitions.every((p) => p.leader > 0))
        ? all[0]!.topics[0]!.partitions
        : undefined
    })
  }

  const zkText = async (args: string[]) => (await c!.zk.zkCli(args)).split('\n')
  /** The data line zkCli.sh get prints. */
  const zkGet = async (path: string) => {
    const line = (await zkText(['get', `/samsa${path}`])).find((l) => l.startsWith('{'))
    assert.ok(line, `zkCli get ${path} printed no data`)
    return line
  }
  /** The children zkCli.sh ls prints: `[a, b]`. */
  const zkLs = async (path: string) => {
    const line = (await zkText(['ls', `/samsa${path}`])).find((l) => l.startsWith('['))
    assert.ok(line, `zkCli ls ${path} printed no list`)
    return line === '[]' ? [] : line.slice(1, -1).split(', ')
  }

  const ELECT = 'elect'

  it('kafka-leader-election.sh: every replication-factor-1 leader is already the preferred one', async () => {
    const before = await createTopic(ELECT, 3, 1)
    // With --all-topic-partitions Kafka's broker leaves out partitions that needed no election.
    const all = await tool('kafka-leader-election.sh', [
      '--bootstrap-server',
      bs(2),
      '--election-type',
      'preferred',
      '--all-topic-partitions',
    ])
    assert.deepEqual(all, { code: 0, signal: null, stdout: '', stderr: '' })
    const one = await toolOk('kafka-leader-election.sh', [
      '--bootstrap-server',
      bs(3),
      '--election-type',
      'preferred',
      '--topic',
      ELECT,
      '--partition',
      '0',
    ])
    assert.equal(one, `Valid replica already elected for partitions ${ELECT}-0\n`)
    const unclean = await toolOk('kafka-leader-election.sh', [
      '--bootstrap-server',
      bs(1),
      '--election-type',
      'unclean',
      '--topic',
      ELECT,
      '--partition',
      '1',
    ])
    assert.equal(unclean, `Valid replica already elected for partitions ${ELECT}-1\n`)
    const now = (await metadataOf(bs(1), ELECT)).topics[0]!.partitions
    assert.deepEqual(
      now.map((p) => p.leader),
      before.map((p) => p.leader),
      'no leader moved',
    )
  })

  it('kafka-leader-election.sh: a partition that does not exist fails with exit 1', async () => {
    const r = await tool('kafka-leader-election.sh', [
      '--bootstrap-server',
      bs(3),
      '--election-type',
      'preferred',
      '--topic',
      ELECT,
      '--partition',
      '7',
    ])
    assert.equal(r.code, 1)
    assert.equal(r.stderr.split('\n')[0], '1 replica(s) could not be elected')
    // Kafka's ZooKeeper-mode controller answers UNKNOWN_TOPIC_OR_PARTITION with this message.
    assert.equal(
      r.stdout,
      `Error completing leader election (PREFERRED) for partition: ${ELECT}-7: ` +
        'org.apache.kafka.common.errors.UnknownTopicOrPartitionException: The partition does not exist.\n',
    )
  })

  // A broker other than the controller is stopped and restarted by the next four tests.
  let target = 0
  let other = 0
  let offline: string[] = []

  it('SIGTERM of a broker: controlled shutdown, the partitions it led go offline', async () => {
    await createTopic('avail', 6, 2)
    assert.equal(
      await toolOk('kafka-topics.sh', [
        '--describe',
        '--unavailable-partitions',
        '--bootstrap-server',
        bs(1),
      ]),
      '',
    )
    const md = await metadataOf(bs(1))
    target = [3, 2, 1].find((id) => id !== md.controllerid)!
    other = md.controllerid
    offline = md.topics
      .flatMap((t) => t.partitions.filter((p) => p.leader === target).map((p) => ({ t: t.topic, p })))
      .sort((a, b) => (a.t === b.t ? a.p.partition - b.p.partition : a.t < b.t ? -1 : 1))
      .map(({ t, p }) => partitionLine(t, p.partition, 'none', target))
    assert.ok(offline.length > 0)
    assert.equal(await c!.brokers.get(target)!.stop(), 0)
    await eventually('its partitions offline', 10000, async () => {
      const m = await metadataOf(bs(other))
      const led = m.topics.flatMap((t) => t.partitions).filter((p) => p.replicas[0]?.id === target)
      return m.brokers.length === 2 && led.every((p) => p.leader === -1) ? true : undefined
    })
  })

  it('kafka-topics.sh --describe --unavailable-partitions lists exactly them with Leader: none', async () => {
    const out = await toolOk('kafka-topics.sh', [
      '--describe',
      '--unavailable-partitions',
      '--bootstrap-server',
      bs(other),
    ])
    assert.deepEqual(out.split('\n').slice(0, -1), offline)
    // Replication factor 1: the ISR keeps its only replica, so nothing is under-replicated.
    assert.equal(
      await toolOk('kafka-topics.sh', [
        '--describe',
        '--under-replicated-partitions',
        '--bootstrap-server',
        bs(other),
      ]),
      '',
    )
  })

  it('kafka-leader-election.sh on an offline partition: no live replica to elect', async () => {
    const offlineElect = offline.find((l) => l.startsWith(`\tTopic: ${ELECT}\t`))
    // Three partitions over three brokers: one of them was on the stopped broker.
    assert.ok(offlineElect, 'a partition of the election topic is offline')
    const p = Number(/Partition: (\d+)/.exec(offlineElect)![1])
    const elect = (type: string) =>
      tool('kafka-leader-election.sh', [
        '--bootstrap-server',
        bs(other),
        '--election-type',
        type,
        '--topic',
        ELECT,
        '--partition',
        String(p),
      ])
    // The messages are those of Kafka's ZooKeeper-mode controller (a StateChangeFailedException).
    const preferred = await elect('preferred')
    assert.equal(preferred.code, 1)
    assert.equal(
      preferred.stdout,
      `Error completing leader election (PREFERRED) for partition: ${ELECT}-${p}: ` +
        'org.apache.kafka.common.errors.PreferredLeaderNotAvailableException: ' +
        `Failed to elect leader for partition ${ELECT}-${p} under strategy PreferredReplicaPartitionLeaderElectionStrategy\n`,
    )
    const unclean = await elect('unclean')
    assert.equal(unclean.code, 1)
    assert.equal(
      unclean.stdout,
      `Error completing leader election (UNCLEAN) for partition: ${ELECT}-${p}: ` +
        'org.apache.kafka.common.errors.EligibleLeadersNotAvailableException: ' +
        `Failed to elect leader for partition ${ELECT}-${p} under strategy OfflinePartitionLeaderElectionStrategy(true)\n`,
    )
  })

  it('after a restart the broker leads them again and --unavailable-partitions prints nothing', async () => {
    assert.ok(target > 0, 'a broker was stopped')
    await c!.startBroker(target)
    await eventually('no unavailable partition', 15000, async () => {
      const r = await tool('kafka-topics.sh', [
        '--describe',
        '--unavailable-partitions',
        '--bootstrap-server',
        bs(other),
      ])
      return r.code === 0 && r.stdout === '' ? true : undefined
    })
    const m = await metadataOf(bs(target))
    assert.equal(m.brokers.length, 3)
    const theirs = m.topics.flatMap((t) => t.partitions).filter((p) => p.replicas[0]?.id === target)
    assert.ok(theirs.every((p) => p.leader === target))
  })

  it('a confluent-kafka group consumes 6 partitions through one address; kafka-consumer-groups.sh shows LAG 0', async () => {
    const topic = 'grouped'
    await createTopic(topic, 6, 1)
    await produceEach(bs(1), topic, 6, 10, 'm')
    // The first FindCoordinator creates __consumer_offsets (6 partitions in this cluster).
    await tool('kafka-consumer-groups.sh', ['--describe', '--group', 'probe', '--bootstrap-server', bs(1)])
    const offsets = await eventually('__consumer_offsets led', 10000, async () => {
      const ps = (await metadataOf(bs(1), '__consumer_offsets')).topics[0]?.partitions ?? []
      return ps.length === 6 && ps.every((p) => p.leader > 0) ? ps : undefined
    })
    assert.deepEqual([...new Set(offsets.map((p) => p.leader))].sort(), [1, 2, 3])
    // A group whose coordinator is not the bootstrap broker.
    const group = Array.from({ length: 20 }, (_, i) => `tools-group-${i}`).find(
      (g) => offsets.find((p) => p.partition === offsetsPartitionOf(g, 6))!.leader !== 1,
    )!
    const slot = offsetsPartitionOf(group, 6)
    const coordinator = offsets.find((p) => p.partition === slot)!.leader

    const consumer = new GroupConsumer('tools', bs(1), group, topic, { 'session.timeout.ms': 6000 })
    try {
      await consumer.until(() => consumer.committed().size === 60, 'all 60 messages committed', 30000)
      const active = await toolOk('kafka-consumer-groups.sh', [
        '--describe',
        '--group',
        group,
        '--bootstrap-server',
        bs(3),
      ])
      const rows = active
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .filter((r) => r[0] === group)
      assert.equal(rows.length, 6, active)
      for (const r of rows) {
        assert.deepEqual(r.slice(1, 6), [topic, r[2], '10', '10', '0'], active)
        assert.match(r[6]!, /^rdkafka-/, 'the member is listed')
      }
      assert.deepEqual(rows.map((r) => Number(r[2])).sort(), [0, 1, 2, 3, 4, 5])
    } finally {
      await consumer.stop()
    }
    const left = await tool('kafka-consumer-groups.sh', [
      '--describe',
      '--group',
      group,
      '--bootstrap-server',
      bs(2),
    ])
    assert.equal(left.code, 0)
    // Kafka prints this on standard error, then the table on standard output.
    assert.equal(left.stderr, `\nConsumer group '${group}' has no active members.\n`)
    const lags = left.stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((r) => r[0] === group)
      .map((r) => r.slice(3, 7).join(' '))
    assert.deepEqual(lags, Array(6).fill('10 10 0 -'), left.stdout)
    // The commits went to the coordinator's own __consumer_offsets partition.
    const dir = join(c!.brokers.get(coordinator)!.logDir, 'data', `__consumer_offsets-${slot}`)
    assert.ok(statSync(join(dir, '00000000000000000000.log')).size > 0, `${dir} holds the commits`)
  })

  it('kafka-configs.sh --alter through broker 1 is seen through broker 3 and in ZooKeeper', async () => {
    const topic = 'configured'
    await createTopic(topic, 2, 1)
    const altered = await toolOk('kafka-configs.sh', [
      '--alter',
      '--entity-type',
      'topics',
      '--entity-name',
      topic,
      '--add-config',
      'retention.ms=86400000',
      '--bootstrap-server',
      bs(1),
    ])
    assert.equal(altered, `Completed updating config for topic ${topic}.\n`)
    const describe = () =>
      toolOk('kafka-configs.sh', [
        '--describe',
        '--entity-type',
        'topics',
        '--entity-name',
        topic,
        '--bootstrap-server',
        bs(3),
      ])
    const expected =
      `Dynamic configs for topic ${topic} are:\n` +
      '  retention.ms=86400000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=86400000, DEFAULT_CONFIG:log.retention.hours=168}\n'
    await eventually('broker 3 describes the change', 5000, async () =>
      (await describe()) === expected ? true : undefined,
    )
    assert.equal(await describe(), expected)
    assert.equal(await zkGet(`/config/topics/${topic}`), '{"version":1,"config":{"retention.ms":"86400000"}}')
    const changes = (await zkLs('/config/changes')).sort()
    assert.ok(changes.length > 0)
    assert.equal(
      await zkGet(`/config/changes/${changes.at(-1)}`),
      `{"version":2,"entity_path":"topics/${topic}"}`,
    )
  })

  it('kafka-topics.sh --alter --partitions 9 through broker 2, then --delete: gone everywhere', async () => {
    const topic = 'grown'
    await createTopic(topic, 3, 1)
    for (const p of [0, 1, 2]) await kcat(bs(1), ['-P', '-t', topic, '-p', String(p)], { input: `r${p}\n` })
    assert.equal(
      await toolOk('kafka-topics.sh', [
        '--alter',
        '--topic',
        topic,
        '--partitions',
        '9',
        '--bootstrap-server',
        bs(2),
      ]),
      '',
    )
    const grown = await eventually('9 partitions led on every broker', 10000, async () => {
      const all = await Promise.all([1, 2, 3].map((id) => metadataOf(bs(id), topic)))
      const ok = all.every(
        (m) => m.topics[0]?.partitions.length === 9 && m.topics[0].partitions.every((p) => p.leader > 0),
      )
      return ok ? all[0]!.topics[0]!.partitions : undefined
    })
    assert.deepEqual([...new Set(grown.map((p) => p.leader))].sort(), [1, 2, 3])
    for (const p of grown)
      assert.ok(existsSync(join(c!.brokers.get(p.leader)!.logDir, 'data', `${topic}-${p.partition}`)))
    const kept = (await kcat(bs(3), ['-C', '-t', topic, '-e', '-q'])).stdout.trim().split('\n').sort()
    assert.deepEqual(kept, ['r0', 'r1', 'r2'])

    assert.equal(
      await toolOk('kafka-topics.sh', ['--delete', '--topic', topic, '--bootstrap-server', bs(2)]),
      '',
    )
    await eventually('gone from every broker', 10000, async () => {
      const all = await Promise.all([1, 2, 3].map((id) => metadataOf(bs(id), topic)))
      return all.every((m) => (m.topics[0]?.partitions.length ?? 0) === 0) ? true : undefined
    })
    // The controller removes the znodes once the replicas answered StopReplica (asynchronously,
    // as Kafka's topic deletion).
    await eventually('its znodes removed', 10000, async () =>
      !(await zkLs('/brokers/topics')).includes(topic) && (await zkLs('/admin/delete_topics')).length === 0
        ? true
        : undefined,
    )
    // Renamed to <topic>-<p>.<id>-delete at once, removed after log.segment.delete.delay.ms.
    const leftovers = () =>
      [1, 2, 3].flatMap((id) =>
        readdirSync(join(c!.brokers.get(id)!.logDir, 'data')).filter((d) => d.startsWith(`${topic}-`)),
      )
    await eventually('its log dirs removed on every broker', 10000, async () =>
      leftovers().length === 0 ? true : undefined,
    )
  })
})
