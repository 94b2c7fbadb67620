// Controlled shutdown with replication: SIGTERM to a broker that leads partitions of a replication
// factor 3 topic moves those leaderships to other in-sync replicas before the broker exits (Kafka's
// ControlledShutdown), so no partition is ever without a leader; the stopped broker leaves the ISR,
// and after a restart it catches up and is back in every ISR.

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { eventually, metadataOf, startCluster, type TestCluster } from '../support/cluster.ts'
import { kcat, runOk } from '../support/e2e-clients.ts'
import { zookeeperAvailable } from '../support/zookeeper.ts'

const TOPIC = 'graceful'

describe('controlled shutdown of a leader', {
  skip: !zookeeperAvailable() && 'ZooKeeper is not installed',
}, () => {
  let c: TestCluster | undefined
  before(async () => {
    c = await startCluster({ brokers: 3, chroot: '/cs' })
  })
  after(async () => {
    await c?.stop()
  })

  it('moves leadership away before exiting; no partition goes offline; the broker rejoins every ISR', async () => {
    await runOk('bin/kafka-topics.sh', [
      '--create',
      '--topic',
      TOPIC,
      '--partitions',
      '6',
      '--replication-factor',
      '3',
      '--config',
      'min.insync.replicas=2',
      '--bootstrap-server',
      c!.bootstrap(),
    ])
    const bs = () => c!.bootstrap()
    await eventually('all replicas in sync', 15000, async () => {
      const t = (await metadataOf(bs(), TOPIC)).topics[0]
      return t?.partitions.length === 6 && t.partitions.every((p) => p.leader > 0) ? true : undefined
    })
    await kcat(bs(), ['-P', '-t', TOPIC, '-X', 'acks=all'], {
      input: `${Array.from({ length: 60 }, (_, i) => `r${i}`).join('\n')}\n`,
    })
    const before = (await metadataOf(bs(), TOPIC)).topics[0]!
    const target = before.partitions[0]!.leader
    const led = before.partitions.filter((p) => p.leader === target).map((p) => p.partition)
    const others = [...c!.brokers.entries()].filter(([id]) => id !== target).map(([, b]) => b)
    // Watch the metadata from another broker while the target stops: leaders never go to -1.
    let sawOffline = false
    let watching = true
    const watcher = (async () => {
      while (watching) {
        try {
          const t = (await metadataOf(others[0]!.bootstrap, TOPIC)).topics[0]
          if (t?.partitions.some((p) => p.leader <= 0)) sawOffline = true
        } catch {}
        await new Promise((r) => setTimeout(r, 50))
      }
    })()
    const code = await c!.brokers.get(target)!.stop()
    const out = c!.brokers.get(target)!.output()
    c!.brokers.delete(target)
    await new Promise((r) => setTimeout(r, 500))
    watching = false
    await watcher
    assert.equal(code, 0)
    assert.match(out, /controlled shutdown succeeded/)
    assert.equal(sawOffline, false, 'a partition was without a leader during the controlled shutdown')
    const afterStop = (await metadataOf(others[0]!.bootstrap, TOPIC)).topics[0]!
    for (const p of led) {
      assert.notEqual(afterStop.partitions[p]!.leader, target)
      assert.ok(
        !afterStop.partitions[p]!.isrs.some((r) => r.id === target),
        `broker ${target} left the ISR of ${p}`,
      )
    }
    // Writes with acks=all still succeed (two of three replicas in sync).
    const w = await kcat(others[0]!.bootstrap, ['-P', '-t', TOPIC, '-p', String(led[0]), '-X', 'acks=all'], {
      input: 'while-down\n',
    })
    assert.equal(w.code, 0)
    await c!.startBroker(target)
    await eventually('back in every ISR', 30000, async () => {
      const t = (await metadataOf(bs(), TOPIC)).topics[0]!
      return t.partitions.every((p) => p.isrs.length === 3) ? true : undefined
    })
    const all = (await kcat(c!.brokers.get(target)!.bootstrap, ['-C', '-t', TOPIC, '-e'])).stdout
      .trim()
      .split('\n')
    assert.equal(all.length, 61)
  })
})
