// Consumer groups with confluent-kafka 1.7.0 (librdkafka 2.0.2) against a real broker process:
// three consumers share a six-partition topic, a crashed one's partitions move to the others
// (eager and cooperative-sticky), every message is consumed and none is consumed again once its
// offset was committed; a static member restarted within its session timeout gets its partitions
// back without the others rebalancing. Prints the measured 3 -> 2 rebalance times.

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type BrokerProcess, startBrokerProcess } from '../support/broker-process.ts'
import { consumedCounts, GroupConsumer, produceEach, waitFor } from './groups-helpers.ts'

const PARTITIONS = 6
const PER_PARTITION = 20

describe('consumer groups: confluent-kafka', () => {
  let broker: BrokerProcess
  const started: GroupConsumer[] = []
  const consumer = (name: string, group: string, topic: string, config: Record<string, unknown> = {}) => {
    const c = new GroupConsumer(name, broker.bootstrap, group, topic, config)
    started.push(c)
    return c
  }

  before(async () => {
    broker = await startBrokerProcess({
      config: {
        'num.partitions': PARTITIONS,
        'offsets.topic.replication.factor': 1,
        'group.min.session.timeout.ms': 1000,
      },
    })
  })
  after(async () => {
    await Promise.all(started.map((c) => c.kill()))
    await broker?.stop()
    broker?.cleanup()
  })

  const balanced = (cs: GroupConsumer[]) => () => {
    const all = cs.flatMap((c) => c.owned)
    return (
      new Set(all).size === PARTITIONS && all.length === PARTITIONS && cs.every((c) => c.owned.length > 0)
    )
  }

  /**
   * Checks that every message was consumed and that no consumer read a message at or below an
   * offset already committed for its partition (times are the consumers' clocks, one machine).
   */
  function checkDelivery(cs: GroupConsumer[], total: number) {
    const counts = consumedCounts(cs)
    for (let p = 0; p < PARTITIONS; p++)
      for (let o = 0; o < total; o++)
        assert.ok(counts.has(`${p}:${o}`), `message ${p}:${o} was never consumed`)
    const commits = cs.flatMap((c) => c.events.filter((e) => e.ev === 'committed'))
    for (const c of cs) {
      for (const m of c.events.filter((e) => e.ev === 'msg')) {
        const before = commits.find((k) => k.p === m.p && k.o! >= m.o! && k.t < m.t)
        assert.equal(
          before,
          undefined,
          `${c.name} re-read ${m.p}:${m.o} after offset ${before?.o} was committed`,
        )
      }
    }
    return [...counts.values()].filter((n) => n > 1).length
  }

  async function crashOneOfThree(group: string, topic: string, config: Record<string, unknown>) {
    await produceEach(broker.bootstrap, topic, PARTITIONS, PER_PARTITION, 'a')
    const cs = [0, 1, 2].map((i) => consumer(`${group}-${i}`, group, topic, config))
    await waitFor(balanced(cs), 'three consumers with two partitions each', 30000, () =>
      cs.map((c) => c.diagnostics()).join('\n'),
    )
    assert.deepEqual(
      cs.map((c) => c.owned.length),
      [2, 2, 2],
    )
    await waitFor(() => consumedCounts(cs).size === PARTITIONS * PER_PARTITION, 'first messages consumed')
    const [a, b, victim] = cs
    const killedAt = Date.now() / 1000
    const lost = victim.owned
    await victim.kill()
    await waitFor(balanced([a, b]), 'the two survivors to own all partitions', 20000, () =>
      [a, b].map((c) => c.diagnostics()).join('\n'),
    )
    const takenOver = Math.max(
      ...[a, b].map(
        (c) => c.events.filter((e) => e.ev === 'assigned' && e.t >= killedAt).at(-1)?.t ?? killedAt,
      ),
    )
    assert.ok(lost.every((p) => a.owned.includes(p) || b.owned.includes(p)))
    await produceEach(broker.bootstrap, topic, PARTITIONS, PER_PARTITION, 'b')
    await waitFor(
      () => consumedCounts(cs).size === PARTITIONS * PER_PARTITION * 2,
      'every message consumed',
      20000,
    )
    const duplicates = checkDelivery(cs, PER_PARTITION * 2)
    // A graceful leave (close() sends LeaveGroup): the last member takes over at once.
    const leftAt = Date.now() / 1000
    await a.stop()
    await b.until(() => b.owned.length === PARTITIONS, 'the last member to own every partition')
    const leaveMs = Math.round((b.events.filter((e) => e.ev === 'assigned').at(-1)!.t - leftAt) * 1000)
    await b.stop()
    return { rebalanceMs: Math.round((takenOver - killedAt) * 1000), leaveMs, duplicates }
  }

  it('moves a crashed consumer’s partitions to the other two (eager, range)', async () => {
    const r = await crashOneOfThree('eager', 'eager-topic', { 'session.timeout.ms': 3000 })
    console.log(
      `# eager: 3 -> 2 members after SIGKILL (session.timeout.ms=3000): ${r.rebalanceMs} ms; 2 -> 1 by LeaveGroup: ${r.leaveMs} ms; redelivered uncommitted: ${r.duplicates}`,
    )
    assert.ok(r.rebalanceMs < 3000 + 3000, `took ${r.rebalanceMs} ms`)
  })

  it('moves a crashed consumer’s partitions to the other two (cooperative-sticky)', async () => {
    const r = await crashOneOfThree('coop', 'coop-topic', {
      'session.timeout.ms': 3000,
      'partition.assignment.strategy': 'cooperative-sticky',
    })
    console.log(
      `# cooperative-sticky: 3 -> 2 members after SIGKILL (session.timeout.ms=3000): ${r.rebalanceMs} ms; 2 -> 1 by LeaveGroup: ${r.leaveMs} ms; redelivered uncommitted: ${r.duplicates}`,
    )
    assert.ok(r.rebalanceMs < 3000 + 3000, `took ${r.rebalanceMs} ms`)
  })

  it('gives a restarted static member its partitions back without rebalancing the others', async () => {
    const topic = 'static-topic'
    await produceEach(broker.bootstrap, topic, PARTITIONS, 5, 'a')
    const config = (i: number) => ({ 'group.instance.id': `static-${i}`, 'session.timeout.ms': 10000 })
    const cs = [0, 1, 2].map((i) => consumer(`static-${i}`, 'static', topic, config(i)))
    await waitFor(balanced(cs), 'three static members with two partitions each', 30000)
    await waitFor(() => consumedCounts(cs).size === PARTITIONS * 5, 'first messages consumed')
    const [a, victim, c] = cs
    const before = { a: a.rebalanceEvents, c: c.rebalanceEvents, owned: victim.owned }
    await victim.kill()
    const again = consumer('static-1-again', 'static', topic, config(1))
    await again.until(() => again.owned.length > 0, 'the restarted static member to be assigned')
    assert.deepEqual(again.owned, before.owned)
    await produceEach(broker.bootstrap, topic, PARTITIONS, 5, 'b')
    await waitFor(
      () => consumedCounts([a, again, c]).size + consumedCounts([victim]).size >= PARTITIONS * 10,
      'new messages',
    )
    // It resumes from its predecessor's commits: only the new messages.
    assert.deepEqual(
      again.messages().map((m) => m.v.split('-')[0]),
      Array(again.messages().length).fill('b'),
    )
    assert.equal(a.rebalanceEvents, before.a, 'no rebalance for the others')
    assert.equal(c.rebalanceEvents, before.c, 'no rebalance for the others')
    await Promise.all([a.stop(), again.stop(), c.stop()])
  })
})
