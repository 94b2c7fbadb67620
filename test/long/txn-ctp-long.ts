// The long kill -9 consume-transform-produce checks of transactions (`npm run test:txn-long`, a few
// minutes; not part of `npm test`): 30 SIGKILLs of a processor reading its partitions by
// assignment, 10 of one that is a static member of a subscribed group, and, when ZooKeeper is
// installed, 10 in a three-broker cluster where a broker is also killed (and later restarted)
// along the way. Each ends with the exactly-once check of test/e2e/txn-ctp.ts. CTP_SEED replays a
// run.

import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { type CtpOptions, fillInput, killAndCheck } from '../e2e/txn-ctp.ts'
import { type BrokerProcess, startBrokerProcess } from '../support/broker-process.ts'
import { startCluster, type TestCluster } from '../support/cluster.ts'
import { zookeeperAvailable } from '../support/zookeeper.ts'

const seed = process.env.CTP_SEED === undefined ? undefined : Number(process.env.CTP_SEED)
const log = (l: string) => console.log(l)

describe('consume-transform-produce with kill -9, long', () => {
  let broker: BrokerProcess | undefined
  let cluster: TestCluster | undefined
  after(async () => {
    await broker?.stop()
    broker?.cleanup()
    await cluster?.stop()
  })

  const base = (name: string, bootstrap: () => string): CtpOptions => ({
    bootstrap,
    input: `${name}-in`,
    output: `${name}-out`,
    group: `${name}-group`,
    txnId: `${name}-processor`,
    partitions: 3,
    perPartition: 1000,
    kills: 10,
    maxBatch: 20,
    delayMs: 5,
    seed,
    log,
  })

  it('one broker: 30 kills of an assigning processor, 10 of a static group member', async () => {
    broker = await startBrokerProcess({ config: { 'transaction.state.log.num.partitions': 5 } })
    const b = broker
    const assign = { ...base('long-assign', () => b.bootstrap), kills: 30 }
    await fillInput(assign)
    const r1 = await killAndCheck(assign)
    assert.equal(r1.kills, 30)
    const sub = { ...base('long-sub', () => b.bootstrap), mode: 'subscribe' as const }
    await fillInput(sub)
    const r2 = await killAndCheck(sub)
    assert.equal(r2.kills, 10)
  })

  it('three-broker cluster: 10 kills of the processor and a broker killed and restarted', {
    skip: !zookeeperAvailable() && 'ZooKeeper is not installed',
  }, async () => {
    cluster = await startCluster({
      brokers: 3,
      chroot: '/samsa-ctp-long',
      config: {
        'transaction.state.log.num.partitions': 3,
        'transaction.state.log.replication.factor': 3,
        'transaction.state.log.min.isr': 2,
        'offsets.topic.replication.factor': 3,
        'min.insync.replicas': 2,
      },
    })
    const c = cluster
    const o = { ...base('long-cluster', () => c.bootstrap()), replicationFactor: 3 }
    // Until every broker registered, replication factor 3 is refused.
    for (let i = 0; ; i++) {
      try {
        await fillInput(o)
        break
      } catch (err) {
        if (i > 40) throw err
        await new Promise((r) => setTimeout(r, 500))
      }
    }
    let victim = -1
    const r = await killAndCheck({
      ...o,
      afterKill: async (k) => {
        if (k === 3) {
          victim = [...c.brokers.keys()][1]
          log(`killing broker ${victim}`)
          await c.brokers.get(victim)!.kill()
          c.brokers.delete(victim)
        } else if (k === 7) {
          log(`restarting broker ${victim}`)
          await c.startBroker(victim)
        }
      },
    })
    assert.equal(r.kills, 10)
  })
})
