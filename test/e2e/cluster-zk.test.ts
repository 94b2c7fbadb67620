// Cluster mode on a real Apache ZooKeeper: three broker processes elect one controller, keep
// Kafka's znodes (checked with zkCli.sh, as an operator would), spread a 6-partition topic's
// leaders over all three, and serve real clients (kcat, kafka-python, confluent-kafka, kafkajs)
// through one bootstrap address, consumer groups included. Then the failures: kill -9 the
// controller (a new one within the session timeout, with a higher epoch, topics still creatable),
// SIGTERM a broker (controlled shutdown; its replication-factor-1 partitions go offline) and
// restart it (new broker epoch, it leads its partitions again).

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Kafka, logLevel } from 'kafkajs'
import {
  eventually,
  metadataOf,
  SESSION_TIMEOUT_MS,
  startCluster,
  type TestCluster,
} from '../support/cluster.ts'
import { kcat, pyStep, runOk } from '../support/e2e-clients.ts'
import { zookeeperAvailable } from '../support/zookeeper.ts'

const TOPIC = 'spread'
const b64 = (s: string) => Buffer.from(s).toString('base64')

describe('ZooKeeper cluster of three brokers', {
  skip: !zookeeperAvailable() && 'ZooKeeper is not installed',
}, () => {
  let c: TestCluster | undefined
  before(async () => {
    c = await startCluster({ brokers: 3, chroot: '/samsa' })
  })
  after(async () => {
    await c?.stop()
  })

  const zkGet = async (path: string) => {
    const out = await c!.zk.zkCli(['get', `/samsa${path}`])
    const line = out.split('\n').find((l) => l.startsWith('{') || /^\d+$/.test(l.trim()))
    assert.ok(line, `zkCli get ${path} printed no data:\n${out}`)
    return line.startsWith('{') ? JSON.parse(line) : Number(line)
  }

  it('every broker lists all three brokers and the same controller', async () => {
    const seen = await eventually('brokers agree', 10000, async () => {
      const all = await Promise.all([...c!.brokers.values()].map((b) => metadataOf(b.bootstrap)))
      const ok = all.every((m) => m.brokers.length === 3 && m.controllerid === all[0]!.controllerid)
      return ok && all[0]!.controllerid > 0 ? all : undefined
    })
    assert.deepEqual(seen[0]!.brokers.map((b) => b.id).sort(), [1, 2, 3])
    const ctrl = await zkGet('/controller')
    assert.equal(ctrl.brokerid, seen[0]!.controllerid)
  })

  it("keeps Kafka's znodes, seen with zkCli.sh", async () => {
    const ids = await c!.zk.zkCli(['ls', '/samsa/brokers/ids'])
    assert.match(ids, /\[1, 2, 3\]/)
    const b1 = await zkGet('/brokers/ids/1')
    assert.equal(b1.version, 5)
    assert.match(b1.endpoints[0], /^PLAINTEXT:\/\/127\.0\.0\.1:\d+$/)
    assert.equal(b1.port, c!.brokers.get(1)!.port)
    const cluster = await zkGet('/cluster/id')
    assert.equal(typeof cluster.id, 'string')
    assert.ok((await zkGet('/controller_epoch')) >= 1)
  })

  it("advertises in ApiVersions what a ZooKeeper-mode Kafka broker does (kcat's view)", async () => {
    const r = await kcat(c!.bootstrap(), ['-L', '-X', 'debug=feature'])
    const keys = new Set(
      [...r.stderr.matchAll(/ApiKey .* \((\d+)\) Versions \d+\.\.\d+/g)].map((m) => Number(m[1])),
    )
    // LeaderAndIsr, StopReplica, UpdateMetadata, ControlledShutdown, AlterPartition: "zkBroker"
    // APIs, advertised on every listener; the share-group state APIs ("broker" only) are not.
    for (const k of [0, 4, 5, 6, 7, 56]) assert.ok(keys.has(k), `ApiKey ${k} advertised`)
    for (const k of [84, 85]) assert.ok(!keys.has(k), `ApiKey ${k} not advertised`)
  })

  it('creates a 6-partition topic with kafka-topics.sh and spreads its leaders over all brokers', async () => {
    const b = c!.brokers.get(2)!
    await runOk('bin/kafka-topics.sh', [
      '--create',
      '--topic',
      TOPIC,
      '--partitions',
      '6',
      '--replication-factor',
      '1',
      '--bootstrap-server',
      b.bootstrap,
    ])
    const assignment = await zkGet(`/brokers/topics/${TOPIC}`)
    assert.equal(Object.keys(assignment.partitions).length, 6)
    assert.equal(typeof assignment.topic_id, 'string')
    const state = await zkGet(`/brokers/topics/${TOPIC}/partitions/0/state`)
    assert.deepEqual(Object.keys(state).sort(), [
      'controller_epoch',
      'isr',
      'leader',
      'leader_epoch',
      'leader_recovery_state',
      'version',
    ])
    const md = await eventually('leaders known everywhere', 10000, async () => {
      const m = await metadataOf(c!.brokers.get(3)!.bootstrap, TOPIC)
      const t = m.topics.find((x) => x.topic === TOPIC)
      return t && t.partitions.length === 6 && t.partitions.every((p) => p.leader > 0) ? t : undefined
    })
    assert.deepEqual([...new Set(md.partitions.map((p) => p.leader))].sort(), [1, 2, 3])
    const described = (
      await runOk('bin/kafka-topics.sh', [
        '--describe',
        '--topic',
        TOPIC,
        '--bootstrap-server',
        c!.bootstrap(),
      ])
    ).stdout
    for (const id of [1, 2, 3]) assert.match(described, new RegExp(`Leader: ${id}\\s`))
  })

  it('kcat, kafka-python, confluent-kafka and kafkajs produce and consume through one bootstrap address', async () => {
    const bs = c!.brokers.get(1)!.bootstrap
    const lines = Array.from({ length: 6 }, (_, p) => `k${p}:kcat-${p}`)
    for (const [p, l] of lines.entries())
      await kcat(bs, ['-P', '-t', TOPIC, '-p', String(p), '-K:'], { input: `${l}\n` })
    await pyStep('kafka_python_client.py', bs, 'produce', {
      topic: TOPIC,
      messages: [0, 1, 2, 3, 4, 5].map((p) => ({
        key: b64(`kp${p}`),
        value: b64(`kafka-python-${p}`),
        partition: p,
      })),
    })
    const confluent = await pyStep<{ left: number; acks: { error: number }[] }>(
      'confluent_client.py',
      bs,
      'produce',
      {
        topic: TOPIC,
        acks: 'all',
        messages: [0, 1, 2, 3, 4, 5].map((p) => ({
          key: b64(`cf${p}`),
          value: b64(`confluent-${p}`),
          partition: p,
        })),
      },
    )
    assert.equal(confluent.left, 0)
    assert.ok(confluent.acks.every((a) => a.error === 0))
    const kafka = new Kafka({ brokers: [bs], clientId: 'e2e-cluster', logLevel: logLevel.NOTHING })
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({
      topic: TOPIC,
      acks: -1,
      messages: [0, 1, 2, 3, 4, 5].map((p) => ({ key: `js${p}`, value: `kafkajs-${p}`, partition: p })),
    })
    await producer.disconnect()

    const expected = new Set(
      [0, 1, 2, 3, 4, 5].flatMap((p) => [`kcat-${p}`, `kafka-python-${p}`, `confluent-${p}`, `kafkajs-${p}`]),
    )
    const viaKcat = (await kcat(bs, ['-C', '-t', TOPIC, '-e', '-f', '%p:%s\\n'])).stdout.trim().split('\n')
    assert.deepEqual(new Set(viaKcat.map((l) => l.slice(l.indexOf(':') + 1))), expected)
    for (const l of viaKcat)
      assert.ok(l.endsWith(`-${l.slice(0, l.indexOf(':'))}`), `record ${l} in its own partition`)
    const viaPython = await pyStep<{ records: { value: string }[] }>(
      'kafka_python_client.py',
      bs,
      'consume',
      {
        topic: TOPIC,
        partitions: [0, 1, 2, 3, 4, 5],
        count: 24,
      },
    )
    assert.equal(viaPython.records.length, 24)
    const viaConfluent = await pyStep<{ records: unknown[] }>('confluent_client.py', bs, 'consume', {
      topic: TOPIC,
      partitions: [0, 1, 2, 3, 4, 5],
    })
    assert.equal(viaConfluent.records.length, 24)
  })

  it('a kafkajs consumer group commits offsets to __consumer_offsets spread over the brokers', async () => {
    const bs = c!.brokers.get(3)!.bootstrap
    const kafka = new Kafka({ brokers: [bs], clientId: 'e2e-cluster-group', logLevel: logLevel.NOTHING })
    const consumer = kafka.consumer({
      groupId: 'cluster-group',
      sessionTimeout: 6000,
      heartbeatInterval: 500,
    })
    await consumer.connect()
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true })
    let seen = 0
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async () => {
          if (++seen === 24) resolve()
        },
      })
    })
    await done
    await consumer.stop()
    await consumer.disconnect()
    const admin = kafka.admin()
    await admin.connect()
    const offsets = await admin.fetchOffsets({ groupId: 'cluster-group', topics: [TOPIC] })
    await admin.disconnect()
    assert.deepEqual(offsets[0]!.partitions.map((p) => p.offset).sort(), ['4', '4', '4', '4', '4', '4'])
    const md = await metadataOf(bs, '__consumer_offsets')
    const leaders = new Set(md.topics[0]!.partitions.map((p) => p.leader))
    assert.equal(leaders.size, 3, '__consumer_offsets partitions led by all three brokers')
  })

  it('kill -9 of the controller: another is elected within the session timeout with a higher epoch', async () => {
    const before = await metadataOf(c!.brokers.get(1)!.bootstrap)
    const oldController = before.controllerid
    const oldEpoch = await zkGet('/controller_epoch')
    const killedAt = Date.now()
    await c!.brokers.get(oldController)!.kill()
    c!.brokers.delete(oldController)
    const survivor = [...c!.brokers.values()][0]!
    const now = await eventually('a new controller', SESSION_TIMEOUT_MS + 8000, async () => {
      const m = await metadataOf(survivor.bootstrap)
      return m.controllerid > 0 && m.controllerid !== oldController && m.brokers.length === 2 ? m : undefined
    })
    const took = Date.now() - killedAt
    assert.ok(took < SESSION_TIMEOUT_MS + 8000)
    assert.ok((await zkGet('/controller_epoch')) > oldEpoch)
    assert.equal((await zkGet('/controller')).brokerid, now.controllerid)
    await runOk('bin/kafka-topics.sh', [
      '--create',
      '--topic',
      'after-failover',
      '--partitions',
      '2',
      '--bootstrap-server',
      survivor.bootstrap,
    ])
    const t = await eventually('new topic led', 10000, async () => {
      const m = await metadataOf(survivor.bootstrap, 'after-failover')
      const topic = m.topics[0]
      return topic?.partitions.every((p) => p.leader > 0) ? topic : undefined
    })
    assert.equal(t.partitions.length, 2)
    // The killed controller's partitions of the spread topic are offline now (RF 1): leader -1.
    const spread = (await metadataOf(survivor.bootstrap, TOPIC)).topics[0]!
    assert.ok(spread.partitions.some((p) => p.leader === -1))
    await c!.startBroker(oldController)
  })

  it('SIGTERM: controlled shutdown, its partitions go offline; a restart rejoins with a new epoch and leads again', async () => {
    const controller = (await metadataOf(c!.bootstrap())).controllerid
    const target = [...c!.brokers.keys()].sort().find((id) => id !== controller)!
    const bs = () => [...c!.brokers.entries()].find(([id]) => id !== target)![1].bootstrap
    const led = await eventually('all partitions led again', 15000, async () => {
      const t = (await metadataOf(bs(), TOPIC)).topics[0]!
      return t.partitions.every((p) => p.leader > 0)
        ? t.partitions.filter((p) => p.leader === target).map((p) => p.partition)
        : undefined
    })
    assert.ok(led.length > 0)
    const epochBefore = BigInt(
      (await c!.zk.zkCli(['stat', `/samsa/brokers/ids/${target}`])).match(/cZxid = (0x[0-9a-f]+)/)![1]!,
    )
    const code = await c!.brokers.get(target)!.stop()
    assert.equal(code, 0)
    assert.match(c!.brokers.get(target)!.output(), /controlled shutdown succeeded/)
    c!.brokers.delete(target)
    const offline = await eventually('partitions offline', 10000, async () => {
      const t = (await metadataOf(bs(), TOPIC)).topics[0]!
      const gone = t.partitions.filter((p) => led.includes(p.partition))
      return gone.every((p) => p.leader === -1) ? gone : undefined
    })
    assert.equal(offline.length, led.length)
    await c!.startBroker(target)
    const epochAfter = BigInt(
      (await c!.zk.zkCli(['stat', `/samsa/brokers/ids/${target}`])).match(/cZxid = (0x[0-9a-f]+)/)![1]!,
    )
    assert.ok(epochAfter > epochBefore)
    await eventually('leads its partitions again', 15000, async () => {
      const t = (await metadataOf(bs(), TOPIC)).topics[0]!
      return led.every((p) => t.partitions[p]!.leader === target) ? true : undefined
    })
    const data = (
      await kcat(c!.brokers.get(target)!.bootstrap, ['-C', '-t', TOPIC, '-p', String(led[0]), '-e'])
    ).stdout
    assert.equal(data.trim().split('\n').length, 4, 'its records are still there')
  })
  it('the controller cut off from ZooKeeper beyond its session: another takes over, it comes back with a new session and leads again', async () => {
    const bs = () => c!.bootstrap()
    const ctrl = (await metadataOf(bs())).controllerid
    const czxid = async (id: number) =>
      BigInt((await c!.zk.zkCli(['stat', `/samsa/brokers/ids/${id}`])).match(/cZxid = (0x[0-9a-f]+)/)![1]!)
    const before = await czxid(ctrl)
    const led = (await metadataOf(bs(), TOPIC)).topics[0]!.partitions.filter((p) => p.leader === ctrl).map(
      (p) => p.partition,
    )
    const epoch = await zkGet('/controller_epoch')
    await c!.outage(ctrl, SESSION_TIMEOUT_MS + 3000)
    assert.ok((await zkGet('/controller_epoch')) > epoch, 'a new controller epoch')
    await eventually('registered again with a new session', 20000, async () =>
      (await czxid(ctrl)) > before ? true : undefined,
    )
    await eventually('all partitions led, the cut-off broker its own again', 20000, async () => {
      const t = (await metadataOf(bs(), TOPIC)).topics[0]!
      return t.partitions.every((p) => p.leader > 0) && led.every((p) => t.partitions[p]!.leader === ctrl)
        ? true
        : undefined
    })
    const m = await metadataOf(c!.brokers.get(ctrl)!.bootstrap)
    assert.equal(m.brokers.length, 3)
  })
})
