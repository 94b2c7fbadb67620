// KIP-848 consumer groups end to end: @platformatic/kafka consumers with groupProtocol 'consumer'
// against a broker process. Three members share six partitions by the server assignor; one leaves
// and its partitions move while the other two keep consuming (no stop-the-world: they keep their
// partitions and receive records during the move); offsets committed with the member epoch are
// fetched back; a classic group (kafkajs) coexists; ListGroups shows the types and
// kafka-consumer-groups.sh --describe shows both groups.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  Admin,
  Consumer,
  type MessagesStream,
  Producer,
  stringDeserializers,
  stringSerializers,
} from '@platformatic/kafka'
import kafkajs from 'kafkajs'
import { describeConsumerProtocolGroups } from '../../src/cli/consumer-groups/consumer-describe.ts'
import { type BrokerProcess, REPO, startBrokerProcess } from '../support/broker-process.ts'

const TOPIC = 'kip848-orders'
const CLASSIC_TOPIC = 'kip848-classic'
const GROUP = 'kip848-group'
const CLASSIC_GROUP = 'kip848-classic-group'
const CONFIG = {
  'group.consumer.heartbeat.interval.ms': 300,
  'group.consumer.min.heartbeat.interval.ms': 300,
  'group.consumer.session.timeout.ms': 10000,
  'group.consumer.min.session.timeout.ms': 6000,
}

async function until(check: () => boolean, what: string, ms = 15000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

interface Member {
  consumer: Consumer<string, string, string, string>
  stream: MessagesStream<string, string, string, string> | null
  /** Arrival time of each record, by partition. */
  received: Map<number, number[]>
}

function partitionsOf(m: Member): number[] {
  return (m.consumer.assignments ?? [])
    .filter((a) => a.topic === TOPIC)
    .flatMap((a) => a.partitions)
    .sort((a, b) => a - b)
}

describe('KIP-848 consumer groups with @platformatic/kafka', () => {
  let b: BrokerProcess | undefined
  let admin: Admin | undefined
  let producer: Producer<string, string, string, string> | undefined
  let producing: ReturnType<typeof setInterval> | undefined
  const members: Member[] = []
  let classic: kafkajs.Consumer | undefined

  let first: BrokerProcess | undefined

  before(async () => {
    b = await startBrokerProcess({ config: CONFIG })
    first = b
    admin = new Admin({ clientId: 'kip848-admin', bootstrapBrokers: [b.bootstrap] })
    await admin.createTopics({ topics: [TOPIC], partitions: 6, replicas: 1 })
    await admin.createTopics({ topics: [CLASSIC_TOPIC], partitions: 2, replicas: 1 })
    producer = new Producer({
      clientId: 'kip848-producer',
      bootstrapBrokers: [b.bootstrap],
      serializers: stringSerializers,
    })
    let n = 0
    producing = setInterval(() => {
      const messages = Array.from({ length: 6 }, (_, partition) => ({
        topic: TOPIC,
        partition,
        key: `k${n}`,
        value: `v${n++}`,
      }))
      producer!.send({ messages }).catch(() => {})
    }, 20)
  })

  after(async () => {
    clearInterval(producing)
    for (const m of members) {
      await m.stream?.close().catch(() => {})
      await m.consumer.close(true).catch(() => {})
    }
    await classic?.disconnect().catch(() => {})
    await producer?.close().catch(() => {})
    await admin?.close().catch(() => {})
    await b?.stop()
    if (b !== first) await first?.stop()
    first?.cleanup()
  })

  async function join(i: number): Promise<Member> {
    const consumer = new Consumer({
      clientId: `kip848-member-${i}`,
      groupId: GROUP,
      groupProtocol: 'consumer',
      bootstrapBrokers: [b!.bootstrap],
      deserializers: stringDeserializers,
    })
    const m: Member = { consumer, stream: null, received: new Map() }
    members.push(m)
    m.stream = await consumer.consume({
      topics: [TOPIC],
      autocommit: false,
      mode: 'latest',
      maxWaitTime: 100,
    })
    m.stream.on('data', (msg) => {
      const list = m.received.get(msg.partition) ?? []
      list.push(Date.now())
      m.received.set(msg.partition, list)
    })
    return m
  }

  it('three members share six partitions; one leaves and the others keep consuming', async () => {
    for (let i = 0; i < 3; i++) await join(i)
    await until(() => members.every((m) => partitionsOf(m).length === 2), 'two partitions each')
    assert.deepEqual(members.flatMap(partitionsOf).sort(), [0, 1, 2, 3, 4, 5])
    await until(
      () => members.every((m) => partitionsOf(m).every((p) => (m.received.get(p)?.length ?? 0) > 0)),
      'records on every partition',
    )

    const [a, c, leaving] = members
    const keptA = partitionsOf(a)
    const keptC = partitionsOf(c)
    const leftAt = Date.now()
    await leaving.stream!.close()
    await leaving.consumer.close(true) // leaves with member epoch -1
    members.pop()
    await until(
      () => partitionsOf(a).length === 3 && partitionsOf(c).length === 3,
      "the leaver's partitions moved",
    )
    const movedAt = Date.now()
    assert.deepEqual([...partitionsOf(a), ...partitionsOf(c)].sort(), [0, 1, 2, 3, 4, 5])
    for (const p of keptA) assert.ok(partitionsOf(a).includes(p), 'a kept its partitions')
    for (const p of keptC) assert.ok(partitionsOf(c).includes(p), 'c kept its partitions')
    // No stop-the-world: while the partitions moved, the others went on receiving from theirs.
    const during = (m: Member, kept: number[]) =>
      kept.reduce(
        (n, p) => n + (m.received.get(p) ?? []).filter((t) => t >= leftAt && t <= movedAt + 200).length,
        0,
      )
    assert.ok(during(a, keptA) > 0, 'a received records during the move')
    assert.ok(during(c, keptC) > 0, 'c received records during the move')
    // And the moved partitions deliver to their new owners.
    const moved = partitionsOf(a).filter((p) => !keptA.includes(p))
    await until(
      () => moved.every((p) => (a.received.get(p) ?? []).some((t) => t > movedAt)),
      'records on moved partitions',
    )
  })

  it('commits offsets with the member epoch and fetches them back', async () => {
    const [a] = members
    const parts = partitionsOf(a)
    await a.consumer.commit({
      offsets: parts.map((partition) => ({ topic: TOPIC, partition, offset: 7n, leaderEpoch: 0 })),
    })
    const fetched = await admin!.listConsumerGroupOffsets({ groups: [GROUP] })
    const topic = fetched[0].topics.find((t) => t.name === TOPIC)!
    for (const p of parts)
      assert.equal(topic.partitions.find((x) => x.partitionIndex === p)?.committedOffset, 7n)
  })

  it('a classic group coexists; ListGroups and kafka-consumer-groups.sh --describe show both', async () => {
    const kafka = new kafkajs.Kafka({
      clientId: 'kip848-classic',
      brokers: [b!.bootstrap],
      logLevel: kafkajs.logLevel.NOTHING,
    })
    classic = kafka.consumer({
      groupId: CLASSIC_GROUP,
      sessionTimeout: 10000,
      heartbeatInterval: 500,
      maxWaitTimeInMs: 100,
    })
    await classic.connect()
    await classic.subscribe({ topic: CLASSIC_TOPIC, fromBeginning: true })
    let joined = false
    classic.on(classic.events.GROUP_JOIN, () => {
      joined = true
    })
    await classic.run({ eachMessage: async () => {} })
    await until(() => joined, 'the classic group formed')

    const listed = await admin!.listGroups({ types: ['consumer', 'classic'] })
    assert.equal(listed.get(GROUP)?.groupType, 'consumer')
    assert.equal(listed.get(CLASSIC_GROUP)?.groupType, 'classic')

    const out = await runTool([
      '--bootstrap-server',
      b!.bootstrap,
      '--describe',
      '--group',
      GROUP,
      '--group',
      CLASSIC_GROUP,
    ])
    assert.equal(out.code, 0, out.stderr)
    const rows = out.stdout.split('\n').map((l) => l.trim().split(/\s+/))
    const ours = rows.filter((r) => r[0] === GROUP && r[1] === TOPIC)
    assert.equal(ours.length, 6, out.stdout)
    assert.ok(
      ours.every((r) => r[6] !== '-'),
      'every partition has a consumer',
    )
    assert.ok(
      rows.some((r) => r[0] === CLASSIC_GROUP && r[1] === CLASSIC_TOPIC),
      out.stdout,
    )

    const list = await runTool(['--bootstrap-server', b!.bootstrap, '--list', '--type'])
    assert.equal(list.code, 0, list.stderr)
    const types = new Map(list.stdout.split('\n').map((l) => l.trim().split(/\s+/) as [string, string]))
    assert.equal(types.get(GROUP), 'consumer', list.stdout)
    assert.equal(types.get(CLASSIC_GROUP), 'classic', list.stdout)
  })

  it('the group survives a coordinator restart: members carry on with their partitions', async () => {
    const before = members.map(partitionsOf)
    const described = await describeConsumerProtocolGroups(admin!, [GROUP])
    const ids = [...described.get(GROUP)!.members.keys()].sort()
    assert.equal(await b!.stop(), 0)
    b = await startBrokerProcess({
      logDir: first!.logDir,
      config: { ...CONFIG, listeners: `PLAINTEXT://127.0.0.1:${first!.port}` },
    })
    const restartedAt = Date.now()
    await until(
      () =>
        members.every((m, i) =>
          before[i].every((p) => (m.received.get(p) ?? []).some((t) => t > restartedAt)),
        ),
      'records again on every partition after the restart',
    )
    assert.deepEqual(members.map(partitionsOf), before, 'nobody lost or gained partitions')
    const after = (await describeConsumerProtocolGroups(admin!, [GROUP])).get(GROUP)!
    assert.deepEqual([...after.members.keys()].sort(), ids, 'the same members, no rejoin')
    assert.equal(after.state, 'Stable')
    // The member epoch the client holds is the one the reloaded coordinator has: commits pass.
    const parts = partitionsOf(members[1])
    await members[1].consumer.commit({
      offsets: parts.map((partition) => ({ topic: TOPIC, partition, offset: 9n, leaderEpoch: 0 })),
    })
    const fetched = await admin!.listConsumerGroupOffsets({ groups: [GROUP] })
    const topic = fetched[0].topics.find((t) => t.name === TOPIC)!
    for (const p of parts)
      assert.equal(topic.partitions.find((x) => x.partitionIndex === p)?.committedOffset, 9n)
  })
})

function runTool(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(REPO, 'bin', 'kafka-consumer-groups.sh'), args, { cwd: REPO })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => {
      stdout += d
    })
    child.stderr.on('data', (d) => {
      stderr += d
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 30000)
    child.once('error', reject)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}
