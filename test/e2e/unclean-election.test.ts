// Unclean leader election, both ways Kafka offers: a partition whose only in-sync replica died
// stays offline (clean election only) until either kafka-leader-election.sh --election-type unclean
// or turning on the topic's unclean.leader.election.enable elects its live out-of-sync replica.
// The out-of-sync replica is made by SIGSTOPping a follower past replica.lag.time.max.ms (but not
// past its ZooKeeper session: 12 s here), then killing the leader.

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { eventually, metadataOf, startCluster, type TestCluster } from '../support/cluster.ts'
import { kcat, run, runOk } from '../support/e2e-clients.ts'
import { zookeeperAvailable } from '../support/zookeeper.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('unclean leader election', { skip: !zookeeperAvailable() && 'ZooKeeper is not installed' }, () => {
  let c: TestCluster | undefined
  before(async () => {
    c = await startCluster({
      brokers: 3,
      chroot: '/unclean',
      config: { 'replica.lag.time.max.ms': 1500, 'zookeeper.session.timeout.ms': 12000 },
    })
  })
  after(async () => {
    for (const b of c?.brokers.values() ?? []) if (b.child.exitCode === null) b.child.kill('SIGCONT')
    await c?.stop()
  })

  /**
   * Topic `name` on replicas [leader, follower]; returns once the follower is out of the ISR and
   * the leader is dead. Neither is the controller: a stopped controller could not shrink the ISR.
   */
  async function offlineWithLiveOutOfSyncReplica(name: string) {
    // A broker restarted by the previous test may not know the controller yet (-1): wait for one.
    const controller = await eventually('a known controller', 15000, async () => {
      const id = (await metadataOf(c!.bootstrap())).controllerid
      return c!.brokers.has(id) ? id : undefined
    })
    const [leader, follower] = [...c!.brokers.keys()].filter((id) => id !== controller).sort()
    assert.ok(leader !== undefined && follower !== undefined, 'two brokers besides the controller')
    const other = controller
    const via = () => c!.brokers.get(other)!.bootstrap
    await runOk('bin/kafka-topics.sh', [
      '--create',
      '--topic',
      name,
      '--replica-assignment',
      `${leader}:${follower}`,
      '--bootstrap-server',
      via(),
    ])
    await eventually('both in sync', 15000, async () => {
      const p = (await metadataOf(via(), name)).topics[0]?.partitions[0]
      return p?.leader === leader && p.isrs.length === 2 ? true : undefined
    })
    await kcat(via(), ['-P', '-t', name, '-X', 'acks=all'], { input: 'in-sync\n' })
    const f = c!.brokers.get(follower)!
    f.child.kill('SIGSTOP')
    try {
      await eventually('follower dropped from the ISR', 8000, async () => {
        const p = (await metadataOf(via(), name)).topics[0]!.partitions[0]!
        return p.isrs.length === 1 ? true : undefined
      })
      await kcat(via(), ['-P', '-t', name, '-X', 'acks=1'], { input: 'only-on-leader\n' })
      await c!.brokers.get(leader)!.kill()
      c!.brokers.delete(leader)
    } finally {
      f.child.kill('SIGCONT')
    }
    const p = await eventually('partition offline', 15000, async () => {
      const q = (await metadataOf(via(), name)).topics[0]!.partitions[0]!
      return q.leader === -1 ? q : undefined
    })
    assert.deepEqual(
      p.isrs.map((r) => r.id),
      [leader],
      'the ISR keeps the dead leader: no clean election',
    )
    await sleep(500)
    assert.equal((await metadataOf(via(), name)).topics[0]!.partitions[0]!.leader, -1)
    return { via, leader, follower }
  }

  it('kafka-leader-election.sh --election-type unclean elects the live out-of-sync replica', async () => {
    const { via, leader, follower } = await offlineWithLiveOutOfSyncReplica('unclean-tool')
    const r = await run('bin/kafka-leader-election.sh', [
      '--bootstrap-server',
      via(),
      '--election-type',
      'unclean',
      '--topic',
      'unclean-tool',
      '--partition',
      '0',
    ])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /Successfully completed leader election \(UNCLEAN\) for partitions unclean-tool-0/)
    const p = (await metadataOf(via(), 'unclean-tool')).topics[0]!.partitions[0]!
    assert.equal(p.leader, follower)
    const records = (await kcat(via(), ['-C', '-t', 'unclean-tool', '-e'])).stdout.trim().split('\n')
    assert.deepEqual(
      records,
      ['in-sync'],
      'the acks=1 record only the dead leader had is gone, as Kafka loses it',
    )
    await c!.startBroker(leader)
  })

  it("turning on the topic's unclean.leader.election.enable makes the controller elect it", async () => {
    const { via, follower } = await offlineWithLiveOutOfSyncReplica('unclean-config')
    await runOk('bin/kafka-configs.sh', [
      '--alter',
      '--entity-type',
      'topics',
      '--entity-name',
      'unclean-config',
      '--add-config',
      'unclean.leader.election.enable=true',
      '--bootstrap-server',
      via(),
    ])
    const p = await eventually('elected', 15000, async () => {
      const q = (await metadataOf(via(), 'unclean-config')).topics[0]!.partitions[0]!
      return q.leader > 0 ? q : undefined
    })
    assert.equal(p.leader, follower)
  })
})
