// Kafka's ZooKeeper quickstart, verbatim but for ports and directories: bin/zookeeper-server-start.sh
// with config/zookeeper.properties, bin/kafka-server-start.sh with config/server.properties (the
// file as shipped, only --override for the port, log dir and ZooKeeper address, as a test must),
// then the guide's topic commands (`--partition 1`). Also: a broker that cannot reach ZooKeeper
// says so in one line naming the address and both ways out, and exits non-zero.

import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { REPO } from '../support/broker-process.ts'
import { eventually, metadataOf } from '../support/cluster.ts'
import { run, runOk } from '../support/e2e-clients.ts'
import { zookeeperAvailable } from '../support/zookeeper.ts'

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address()
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0))
    })
  })
}

interface Proc {
  child: ChildProcess
  out: () => string
  exited: Promise<number | null>
}

function start(script: string, args: string[]): Proc {
  const child = spawn(join(REPO, 'bin', script), args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', (d) => {
    out += d
  })
  child.stderr!.on('data', (d) => {
    out += d
  })
  return { child, out: () => out, exited: new Promise((r) => child.once('exit', (code) => r(code))) }
}

async function stop(p: Proc | undefined): Promise<void> {
  if (p === undefined || p.child.exitCode !== null) return
  p.child.kill('SIGTERM')
  const t = setTimeout(() => p.child.kill('SIGKILL'), 10000)
  await p.exited
  clearTimeout(t)
}

describe("Kafka's ZooKeeper quickstart", {
  skip: !zookeeperAvailable() && 'ZooKeeper is not installed',
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-guide-'))
  let zk: Proc | undefined
  let broker: Proc | undefined
  let zkPort = 0
  let bootstrap = ''

  before(async () => {
    zkPort = await freePort()
    // The shipped zookeeper.properties with this test's own port and data dir.
    const props = readFileSync(join(REPO, 'config/zookeeper.properties'), 'utf8')
      .replace(/^dataDir=.*$/m, `dataDir=${join(dir, 'zookeeper')}`)
      .replace(/^clientPort=.*$/m, `clientPort=${zkPort}`)
    writeFileSync(join(dir, 'zookeeper.properties'), props)
    zk = start('zookeeper-server-start.sh', [join(dir, 'zookeeper.properties')])
    // As a user does, the broker is started once ZooKeeper is up (its port accepts connections).
    await eventually('ZooKeeper listening', 30000, async () => {
      if (zk!.child.exitCode !== null) throw new Error(`ZooKeeper exited:\n${zk!.out()}`)
      return new Promise<true | undefined>((resolve) => {
        const s = connect(zkPort, '127.0.0.1')
        s.once('connect', () => {
          s.destroy()
          resolve(true)
        })
        s.once('error', () => resolve(undefined))
      })
    })
  })
  after(async () => {
    await stop(broker)
    await stop(zk)
    rmSync(dir, { recursive: true, force: true })
  })

  it("starts the broker from config/server.properties as shipped and runs the guide's topic commands", async () => {
    broker = start('kafka-server-start.sh', [
      'config/server.properties',
      '--override',
      'listeners=PLAINTEXT://127.0.0.1:0',
      '--override',
      `log.dirs=${join(dir, 'kafka-logs')}`,
      '--override',
      `zookeeper.connect=127.0.0.1:${zkPort}`,
    ])
    const port = await eventually('broker started', 30000, async () => {
      const m = /started: node\.id=0 .*listeners=PLAINTEXT:\/\/127\.0\.0\.1:(\d+)/.exec(broker!.out())
      if (broker!.child.exitCode !== null)
        throw new Error(`broker exited:\n${broker!.out()}\nZooKeeper:\n${zk!.out()}`)
      return m ? Number(m[1]) : undefined
    })
    bootstrap = `127.0.0.1:${port}`
    await eventually('broker 0 is controller', 15000, async () => {
      const m = await metadataOf(bootstrap)
      return m.controllerid === 0 && m.brokers.length === 1 ? true : undefined
    })
    const created = await runOk('bin/kafka-topics.sh', [
      '--create',
      '--topic',
      'quickstart-events',
      '--bootstrap-server',
      bootstrap,
      '--partition',
      '1',
    ])
    assert.equal(created.stdout, 'Created topic quickstart-events.\n')
    const list = await runOk('bin/kafka-topics.sh', ['--bootstrap-server', bootstrap, '--list'])
    assert.ok(list.stdout.split('\n').includes('quickstart-events'))
    const described = await runOk('bin/kafka-topics.sh', [
      '--describe',
      '--topic',
      'quickstart-events',
      '--bootstrap-server',
      bootstrap,
    ])
    assert.match(described.stdout, /\tTopic: quickstart-events\tPartition: 0\tLeader: 0\tReplicas: 0\tIsr: 0/)
    const meta = readFileSync(join(dir, 'kafka-logs', 'meta.properties'), 'utf8')
    assert.match(meta, /^broker\.id=0$/m)
    assert.match(meta, /^version=0$/m)
  })

  it('a broker without ZooKeeper: one line naming the address and both ways out, then exit 1', async () => {
    const closed = await freePort()
    const started = Date.now()
    const r = await run(
      join(REPO, 'bin/kafka-server-start.sh'),
      [
        'config/server.properties',
        '--override',
        'listeners=PLAINTEXT://127.0.0.1:0',
        '--override',
        `log.dirs=${join(dir, 'unreachable')}`,
        '--override',
        `zookeeper.connect=127.0.0.1:${closed}`,
        '--override',
        'zookeeper.connection.timeout.ms=3000',
      ],
      { timeoutMs: 30000 },
    )
    assert.equal(r.code, 1)
    assert.ok(Date.now() - started >= 2500, 'retried until zookeeper.connection.timeout.ms')
    const text = r.stdout + r.stderr
    assert.match(text, new RegExp(`Cannot reach ZooKeeper at 127\\.0\\.0\\.1:${closed}`))
    assert.match(text, /bin\/zookeeper-server-start\.sh config\/zookeeper\.properties/)
    assert.match(text, /config\/standalone\.properties/)
    const fatal = r.stderr
      .trim()
      .split('\n')
      .filter((l) => l.includes('Cannot reach ZooKeeper'))
    assert.ok(fatal.length >= 1 && fatal.every((l) => !l.includes('\n')))
  })

  it('--override zookeeper.connect= (empty) runs the same file standalone', async () => {
    const p = start('kafka-server-start.sh', [
      'config/server.properties',
      '--override',
      'listeners=PLAINTEXT://127.0.0.1:0',
      '--override',
      `log.dirs=${join(dir, 'standalone')}`,
      '--override',
      'zookeeper.connect=',
    ])
    try {
      const port = await eventually('standalone broker started', 30000, async () => {
        if (p.child.exitCode !== null) throw new Error(`broker exited:\n${p.out()}`)
        const m = /started: .*listeners=PLAINTEXT:\/\/127\.0\.0\.1:(\d+)/.exec(p.out())
        return m ? Number(m[1]) : undefined
      })
      const m = await metadataOf(`127.0.0.1:${port}`)
      assert.equal(m.brokers.length, 1)
      assert.equal(
        readFileSync(join(dir, 'standalone', 'meta.properties'), 'utf8').includes('version=1'),
        true,
      )
    } finally {
      await stop(p)
    }
  })
})
