// A broker whose startup blocks its event loop past the ZooKeeper session timeout (a 10,000-log
// load on a loaded machine does) must still start, as Kafka's does: the ephemeral znodes of
// startup — its registration /brokers/ids/<id> and the controller's /controller — are made again
// on the new session. The block is real: the broker runs in this process, and its clock stops the
// event loop past the session timeout when the registration (then the controller election) reads
// the time just before writing its znode, so that write meets the expired session.

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type RunningBroker, startBroker } from '../../src/broker/broker.ts'
import { type Clock, systemClock } from '../../src/common/clock.ts'
import { createRootLogger } from '../../src/common/logger.ts'
import { connectZk } from '../../src/metadata/zk/zk-real.ts'
import { startZookeeper, type ZookeeperProcess, zookeeperAvailable } from '../support/zookeeper.ts'

/** The test ZooKeeper's minimum (tickTime 500): the server expires it within ~1.5 s of silence. */
const SESSION_MS = 1000
const BLOCK_MS = 3000

function blockEventLoop(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

describe('ZooKeeper session expiry during broker startup', {
  skip: !zookeeperAvailable() && 'ZooKeeper is not installed',
}, () => {
  let zk: ZookeeperProcess | undefined
  let broker: RunningBroker | undefined
  const dir = mkdtempSync(join(tmpdir(), 'samsa-zk-startup-'))

  before(async () => {
    zk = await startZookeeper()
  })
  after(async () => {
    await broker?.stop().catch(() => {})
    await zk?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('registers the broker and elects the controller on the new session', async () => {
    const lines: string[] = []
    const blockedIn = new Set<string>()
    // Blocks once in each caller named, the first time it reads the time: the store's registration
    // to stamp /brokers/ids/<id>, the controller's election to stamp /controller.
    const clock: Clock = {
      now() {
        const stack = new Error().stack ?? ''
        for (const at of ['ZkMetadataStore.register ', 'ZkController.elect '])
          if (!blockedIn.has(at) && stack.includes(at)) {
            blockedIn.add(at)
            blockEventLoop(BLOCK_MS)
          }
        return Date.now()
      },
      setTimeout: systemClock.setTimeout,
    }
    const logger = createRootLogger('samsa', { sink: (line) => lines.push(line) })
    try {
      broker = await startBroker({
        port: 0,
        logDirs: [join(dir, 'logs')],
        logger,
        clock,
        config: {
          'broker.id': 7,
          'zookeeper.connect': zk!.connect,
          'zookeeper.session.timeout.ms': SESSION_MS,
          'zookeeper.connection.timeout.ms': 10000,
          'offsets.topic.replication.factor': 1,
        },
      })
    } catch (e) {
      throw new Error(`startup failed: ${(e as Error).message}\n${lines.join('\n')}`)
    }
    assert.deepEqual([...blockedIn], ['ZkMetadataStore.register ', 'ZkController.elect '])
    const expiries = lines.filter((l) => /session 0x[0-9a-f]+ expired/.test(l)).length
    assert.ok(expiries >= 1, `the session expired during startup:\n${lines.join('\n')}`)
    const probe = await connectZk({ connect: zk!.connect, sessionTimeoutMs: 4000, connectionTimeoutMs: 4000 })
    try {
      // Both ephemeral znodes exist, owned by the broker's live session.
      const deadline = Date.now() + 10000
      const read = async () => [await probe.getData('/brokers/ids/7'), await probe.getData('/controller')]
      let [reg, ctrl] = await read()
      while ((reg === null || ctrl === null) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50))
        ;[reg, ctrl] = await read()
      }
      assert.ok(reg != null, `/brokers/ids/7 exists:\n${lines.join('\n')}`)
      assert.ok(ctrl != null, `/controller exists:\n${lines.join('\n')}`)
      assert.equal(reg.stat.ephemeralOwner, ctrl.stat.ephemeralOwner)
      assert.equal(JSON.parse(ctrl.data!.toString()).brokerid, 7)
      assert.equal(JSON.parse(reg.data!.toString()).port, broker.port)
    } finally {
      await probe.close()
    }
    if (process.env.SHOW) console.log(lines.join('\n'))
  })
})
