// Transactions in a ZooKeeper cluster of three brokers: a transaction over partitions led by
// different brokers (markers written locally and by WriteTxnMarkers to the others) commits and is
// read by read_committed; then the coordinator's broker is killed with a transaction open, and a
// new producer with the same transactional.id reaches the new coordinator (the new leader of the
// __transaction_state partition, which replayed it), whose init aborts the open transaction on
// every partition before the new producer commits.

import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import kafkajs from 'kafkajs'
import { captureIo } from '../../src/cli/common/io.ts'
import { runTool } from '../../src/cli/main.ts'
import { eventually, startCluster, type TestCluster } from '../support/cluster.ts'
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

  const consume = async (isolation: string) => {
    const r = await pyStep<Consumed>(SCRIPT, c!.bootstrap(), 'consume', {
      topic: TOPIC,
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
})
