// Transactions in a ZooKeeper cluster of three brokers: a transaction over partitions led by
// different brokers (markers written locally and by WriteTxnMarkers to the others) commits and is
// read by read_committed; then the coordinator's broker is killed with a transaction open, and a
// new producer with the same transactional.id reaches the new coordinator (the new leader of the
// __transaction_state partition, which replayed it), whose init aborts the open transaction on
// every partition before the new producer commits. Last, the coordinator's broker is killed
// mid-commit: the commit was answered (PrepareCommit durable) but the marker of a partition whose
// only replica is on another, dead, broker cannot be written; the new coordinator replays
// PrepareCommit and, once that broker is back, writes the markers and completes the commit.

import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import kafkajs from 'kafkajs'
import { captureIo } from '../../src/cli/common/io.ts'
import { runTool } from '../../src/cli/main.ts'
import { eventually, metadataOf, startCluster, type TestCluster } from '../support/cluster.ts'
import { pyStep } from '../support/e2e-clients.ts'
import { zookeeperAvailable } from '../support/zookeeper.ts'

const SCRIPT = 'txn_client.py'
const TOPIC = 'txc'

interface Consumed {
  records: { partition: number; offset: number; value: string }[]
  eof: boolean
  error?: unknown
}

async function describeTxn(bootstrap: string, id: string): Promise<Record<string, string>> {
  const io = captureIo(new PassThrough(), { PATH: '' })
  const code = await runTool(
    'transactions',
    ['--bootstrap-server', bootstrap, 'describe', '--transactional-id', id],
    io,
  )
  assert.equal(code, 0, io.stderr())
  const [head, row] = io
    .stdout()
    .trim()
    .split('\n')
    .map((l) => l.split('\t').map((c) => c.trim()))
  return Object.fromEntries(head.map((h, i) => [h, row[i] ?? '']))
}

describe('transactions in a three-broker cluster', {
  skip: !zookeeperAvailable() && 'ZooKeeper is not installed',
}, () => {
  let c: TestCluster | undefined
  before(async () => {
    c = await startCluster({
      brokers: 3,
      chroot: '/samsa-txn',
      config: {
        'transaction.state.log.num.partitions': 3,
        'transaction.state.log.replication.factor': 3,
        'transaction.state.log.min.isr': 2,
        'offsets.topic.replication.factor': 3,
      },
    })
    const admin = new kafkajs.Kafka({
      clientId: 'e2e-txn-cluster',
      brokers: c.bootstrap().split(','),
      logLevel: kafkajs.logLevel.NOTHING,
    }).admin()
    await admin.connect()
    // Until every broker has registered, the replication factor 3 is refused.
    await eventually('the topic', 20000, async () =>
      (await admin.createTopics({
        topics: [{ topic: TOPIC, numPartitions: 3, replicationFactor: 3 }],
        waitForLeaders: true,
      })) || (await admin.listTopics()).includes(TOPIC)
        ? true
        : undefined,
    )
    await admin.disconnect()
  })
  after(async () => {
    await c?.stop()
  })

  const consume = async (isolation: string, topic = TOPIC) => {
    const r = await pyStep<Consumed>(SCRIPT, c!.bootstrap(), 'consume', {
      topic,
      isolation,
      partitions: [0, 1, 2],
    })
    assert.equal(r.error, undefined, JSON.stringify(r.error))
    assert.ok(r.eof)
    return r.records.map((x) => `${x.partition}:${x.value}`).sort()
  }

  it('commits a transaction over partitions led by different brokers', async () => {
    const r = await pyStep(SCRIPT, c!.bootstrap(), 'produce', {
      txn_id: 'cluster-1',
      topic: TOPIC,
      txns: [
        { values: ['a'], partitions: [0, 1, 2], commit: true },
        { values: ['b'], partitions: [0, 1, 2], commit: false },
      ],
    })
    assert.deepEqual(r, { ok: true })
    assert.deepEqual(await consume('read_committed'), ['0:a', '1:a', '2:a'])
    assert.deepEqual(await consume('read_uncommitted'), ['0:a', '0:b', '1:a', '1:b', '2:a', '2:b'])
  })

  it("fails over: the new coordinator aborts the dead coordinator's open transaction", async () => {
    assert.deepEqual(
      await pyStep(SCRIPT, c!.bootstrap(), 'open', {
        txn_id: 'cluster-2',
        topic: TOPIC,
        values: ['open'],
        partitions: [0, 1, 2],
        timeout_ms: 60000,
      }),
      { ok: true },
    )
    const before = await describeTxn(c!.bootstrap(), 'cluster-2')
    assert.equal(before.TransactionState, 'Ongoing')
    const coordinator = Number(before.CoordinatorId)
    await c!.brokers.get(coordinator)!.kill()
    c!.brokers.delete(coordinator)
    const r = await pyStep(SCRIPT, c!.bootstrap(), 'produce', {
      txn_id: 'cluster-2',
      topic: TOPIC,
      txns: [{ values: ['after'], partitions: [0, 1, 2], commit: true }],
    })
    assert.deepEqual(r, { ok: true })
    const d = await eventually('a new coordinator', 15000, async () => {
      const x = await describeTxn(c!.bootstrap(), 'cluster-2')
      return x.TransactionState === 'CompleteCommit' ? x : undefined
    })
    assert.notEqual(Number(d.CoordinatorId), coordinator)
    assert.deepEqual(await consume('read_committed'), ['0:a', '0:after', '1:a', '1:after', '2:a', '2:after'])
  })

  it('kill the coordinator mid-commit: the new coordinator completes the commit', async () => {
    // Back to three brokers (the previous test killed one), each in every ISR of
    // __transaction_state, so the one left after the kills below is a clean leader.
    for (let id = 1; id <= 3; id++) if (!c!.brokers.has(id)) await c!.startBroker(id)
    await eventually('full __transaction_state ISRs', 20000, async () => {
      const m = await metadataOf(c!.bootstrap(), '__transaction_state')
      const parts = m.topics[0]?.partitions ?? []
      return parts.length === 3 && parts.every((p) => p.isrs.length === 3 && p.leader > 0) ? true : undefined
    })
    const kafka = new kafkajs.Kafka({
      clientId: 'e2e-txn-midcommit',
      brokers: c!.bootstrap().split(','),
      logLevel: kafkajs.logLevel.NOTHING,
      retry: { retries: 20, initialRetryTime: 200, maxRetryTime: 1000 },
    })
    const producer = kafka.producer({
      transactionalId: 'cluster-3',
      idempotent: true,
      maxInFlightRequests: 1,
    })
    await producer.connect()
    try {
      let t = await producer.transaction() // InitProducerId: the id now has a coordinator
      await t.abort()
      const coordinator = Number((await describeTxn(c!.bootstrap(), 'cluster-3')).CoordinatorId)
      const [stuck, other] = [1, 2, 3].filter((id) => id !== coordinator)
      // Partition 0 lives only on `stuck`: while it is down its marker cannot be written. Nothing
      // lives only on the coordinator (Kafka wants one replication factor for every partition).
      const admin = kafka.admin()
      await admin.connect()
      await admin.createTopics({
        topics: [
          {
            topic: 'txk',
            replicaAssignment: [
              { partition: 0, replicas: [stuck] },
              { partition: 1, replicas: [other] },
              { partition: 2, replicas: [other] },
            ],
          },
        ],
        waitForLeaders: true,
      })
      await admin.disconnect()
      const leaders = await eventually('txk leaders', 10000, async () => {
        const parts = (await metadataOf(c!.bootstrap(), 'txk')).topics[0]?.partitions ?? []
        return parts.length === 3 && parts.every((p) => p.leader > 0)
          ? parts.sort((a, b) => a.partition - b.partition).map((p) => p.leader)
          : undefined
      })
      assert.deepEqual(leaders, [stuck, other, other])
      t = await producer.transaction()
      for (let p = 0; p < 3; p++)
        await t.send({
          topic: 'txk',
          messages: [
            { partition: p, value: `m${p}` },
            { partition: p, value: `n${p}` },
          ],
        })
      await c!.brokers.get(stuck)!.kill()
      c!.brokers.delete(stuck)
      // Answered once PrepareCommit is durable (after the controller dropped `stuck` from the ISR).
      await t.commit()
      const mid = await describeTxn(c!.bootstrap(), 'cluster-3')
      assert.equal(mid.TransactionState, 'PrepareCommit')
      assert.equal(Number(mid.CoordinatorId), coordinator)
      await c!.brokers.get(coordinator)!.kill()
      c!.brokers.delete(coordinator)
      await c!.startBroker(stuck)
      const d = await eventually('the commit completed by a new coordinator', 30000, async () => {
        const x = await describeTxn(c!.bootstrap(), 'cluster-3')
        return x.TransactionState === 'CompleteCommit' ? x : undefined
      })
      assert.notEqual(Number(d.CoordinatorId), coordinator)
      assert.deepEqual(await consume('read_committed', 'txk'), [
        '0:m0',
        '0:n0',
        '1:m1',
        '1:n1',
        '2:m2',
        '2:n2',
      ])
    } finally {
      await producer.disconnect().catch(() => {})
    }
  })
})
