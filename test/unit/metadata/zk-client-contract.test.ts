// One contract for the ZkClient seam, run against the in-memory ensemble (always) and against a
// real Apache ZooKeeper through zk-real.ts (when ZooKeeper is installed; one server for the whole
// file). Both must behave alike wherever the cluster logic relies on ZooKeeper's semantics.

import assert from 'node:assert/strict'
import { after, afterEach, before, describe, it } from 'node:test'
import type { SessionState, Watcher, ZkClient, ZkError, ZkStat } from '../../../src/metadata/zk/zk-client.ts'
import { MemoryZk } from '../../../src/metadata/zk/zk-memory.ts'
import { connectZk, expireSession } from '../../../src/metadata/zk/zk-real.ts'
import {
  startZookeeper,
  startZookeeperProxy,
  type ZookeeperProcess,
  zookeeperAvailable,
} from '../../support/zookeeper.ts'

interface Harness {
  /** A session; `chroot` as the suffix of zookeeper.connect. */
  open(opts?: { chroot?: string }): Promise<ZkClient>
  expire(client: ZkClient): Promise<void>
  /** Real ZooKeeper only: zkCli.sh against the server. */
  zkCli?(args: string[]): Promise<string>
}

/** Watch events, and a way to wait for the next one (bounded, so a missing event fails). */
function recorder() {
  const events: { type: string; path: string }[] = []
  let waiters: (() => void)[] = []
  const watch: Watcher = (e) => {
    events.push(e)
    for (const w of waiters) w()
    waiters = []
  }
  const until = (n: number, ms = 5000) =>
    new Promise<void>((resolve, reject) => {
      if (events.length >= n) return resolve()
      const timer = setTimeout(
        () => reject(new Error(`waited ${ms} ms for watch event ${n}; got ${JSON.stringify(events)}`)),
        ms,
      )
      const check = () => {
        if (events.length >= n) {
          clearTimeout(timer)
          resolve()
        } else waiters.push(check)
      }
      waiters.push(check)
    })
  return { events, watch, until }
}

async function rejects(p: Promise<unknown>, code: string, path?: string): Promise<ZkError> {
  try {
    await p
  } catch (err) {
    const e = err as ZkError
    assert.equal(e.name, 'ZkError', String(err))
    assert.equal(e.code, code, e.message)
    if (path !== undefined) assert.equal(e.path, path)
    return e
  }
  assert.fail(`expected ZkError ${code}`)
}

const buf = (s: string) => Buffer.from(s)
let counter = 0

function contract(harness: () => Harness): void {
  // Every test works under its own base path, so one server serves the whole file.
  let base = ''
  const opened: ZkClient[] = []
  const open = async (opts?: { chroot?: string }) => {
    const c = await harness().open(opts)
    opened.push(c)
    return c
  }
  const setup = async () => {
    base = `/contract-${process.pid}-${counter++}`
    const c = await open()
    await c.create(base, null)
    return c
  }
  afterEach(async () => {
    for (const c of opened.splice(0)) await c.close()
  })

  it('create, getData and setData keep versions and zxids; BAD_VERSION on a stale version', async () => {
    const c = await setup()
    assert.equal(await c.create(`${base}/a`, buf('one')), `${base}/a`)
    const got = (await c.getData(`${base}/a`))!
    assert.equal(got.data!.toString(), 'one')
    assert.equal(got.stat.version, 0)
    assert.equal(got.stat.czxid, got.stat.mzxid)
    assert.equal(got.stat.ephemeralOwner, 0n)
    const s1 = await c.setData(`${base}/a`, buf('two'), 0)
    assert.equal(s1.version, 1)
    assert.equal(s1.czxid, got.stat.czxid)
    // Creation time in epoch ms (change notifications expire by it), kept across writes.
    assert.ok(Math.abs(got.stat.ctime - Date.now()) < 60_000, `ctime ${got.stat.ctime}`)
    assert.equal(s1.ctime, got.stat.ctime)
    assert.ok(s1.mzxid > got.stat.mzxid)
    await rejects(c.setData(`${base}/a`, buf('three'), 0), 'BAD_VERSION', `${base}/a`)
    const s2 = await c.setData(`${base}/a`, buf('four'))
    assert.equal(s2.version, 2)
    assert.equal((await c.getData(`${base}/a`))!.data!.toString(), 'four')
    assert.equal((await c.setData(`${base}/a`, null, 2)).version, 3)
    assert.equal((await c.getData(`${base}/a`))!.data, null)
    assert.equal((await c.setData(`${base}/a`, Buffer.alloc(0))).version, 4)
    assert.deepEqual((await c.getData(`${base}/a`))!.data, Buffer.alloc(0))
    await c.create(`${base}/a/child`, null)
    assert.equal((await c.exists(`${base}/a`))!.numChildren, 1)
    assert.equal((await c.getData(`${base}/a/child`))!.data, null)
    assert.deepEqual((await c.getData(`${base}/empty`)) === null, true)
    assert.ok(c.sessionId > 0n)
  })

  it('NODE_EXISTS, NO_NODE, NOT_EMPTY, NO_CHILDREN_FOR_EPHEMERALS; absent nodes read as null', async () => {
    const c = await setup()
    await c.create(`${base}/x`, null)
    await rejects(c.create(`${base}/x`, null), 'NODE_EXISTS', `${base}/x`)
    await rejects(c.create(`${base}/missing/y`, null), 'NO_NODE')
    await rejects(c.setData(`${base}/missing`, null), 'NO_NODE', `${base}/missing`)
    await rejects(c.delete(`${base}/missing`), 'NO_NODE', `${base}/missing`)
    assert.equal(await c.getData(`${base}/missing`), null)
    assert.equal(await c.getChildren(`${base}/missing`), null)
    assert.equal(await c.exists(`${base}/missing`), null)
    await c.create(`${base}/x/y`, null)
    await rejects(c.delete(`${base}/x`), 'NOT_EMPTY', `${base}/x`)
    await rejects(c.delete(`${base}/x/y`, 3), 'BAD_VERSION', `${base}/x/y`)
    await c.delete(`${base}/x/y`, 0)
    await c.delete(`${base}/x`)
    await c.create(`${base}/e`, null, 'ephemeral')
    await rejects(c.create(`${base}/e/child`, null), 'NO_CHILDREN_FOR_EPHEMERALS')
    await rejects(c.create('no-slash', null), 'OTHER')
  })

  it('sequential names: 10 digits, counting the parent’s child creations', async () => {
    const c = await setup()
    assert.equal(await c.create(`${base}/s-`, null, 'persistent_sequential'), `${base}/s-0000000000`)
    assert.equal(await c.create(`${base}/s-`, null, 'ephemeral_sequential'), `${base}/s-0000000001`)
    await c.create(`${base}/plain`, null)
    await c.delete(`${base}/plain`)
    // Every child creation advances the counter (deletions do not), whatever the name.
    assert.equal(await c.create(`${base}/q`, buf('d'), 'persistent_sequential'), `${base}/q0000000003`)
    assert.deepEqual((await c.getChildren(base))!.sort(), ['q0000000003', 's-0000000000', 's-0000000001'])
    assert.equal((await c.exists(`${base}/s-0000000001`))!.ephemeralOwner, c.sessionId)
  })

  it('ephemeral nodes vanish when their session closes; other sessions’ watches fire', async () => {
    const c = await setup()
    const owner = await open()
    await owner.create(`${base}/eph`, buf('me'), 'ephemeral')
    assert.equal((await c.exists(`${base}/eph`))!.ephemeralOwner, owner.sessionId)
    const data = recorder()
    const children = recorder()
    assert.ok(await c.exists(`${base}/eph`, data.watch))
    assert.deepEqual(await c.getChildren(base, children.watch), ['eph'])
    const states: SessionState[] = []
    owner.onStateChange((s) => states.push(s))
    await owner.close()
    await Promise.all([data.until(1), children.until(1)])
    assert.deepEqual(data.events, [{ type: 'deleted', path: `${base}/eph` }])
    assert.deepEqual(children.events, [{ type: 'childrenChanged', path: base }])
    assert.equal(await c.exists(`${base}/eph`), null)
    assert.deepEqual(states, ['closed'])
    await rejects(owner.getData(base), 'CLOSED')
    await rejects(owner.create(`${base}/late`, null), 'CLOSED')
    await owner.close()
  })

  it('an expired session loses its ephemerals and rejects every call with SESSION_EXPIRED', async () => {
    const c = await setup()
    const victim = await open()
    await victim.create(`${base}/broker`, buf('1'), 'ephemeral')
    const states: SessionState[] = []
    const gotExpired = new Promise<void>((resolve) =>
      victim.onStateChange((s) => {
        states.push(s)
        if (s === 'expired') resolve()
      }),
    )
    const seen = recorder()
    await c.getData(`${base}/broker`, seen.watch)
    await harness().expire(victim)
    await Promise.all([gotExpired, seen.until(1)])
    assert.deepEqual(seen.events, [{ type: 'deleted', path: `${base}/broker` }])
    assert.equal(states.at(-1), 'expired')
    await rejects(victim.getData(base), 'SESSION_EXPIRED')
    await rejects(victim.create(`${base}/again`, null, 'ephemeral'), 'SESSION_EXPIRED')
    assert.equal(await c.exists(`${base}/broker`), null)
  })

  it('watches are one-shot: data, children and exists', async () => {
    const c = await setup()
    await c.create(`${base}/w`, buf('0'))
    const data = recorder()
    await c.getData(`${base}/w`, data.watch)
    await c.setData(`${base}/w`, buf('1'))
    await data.until(1)
    await c.setData(`${base}/w`, buf('2'))
    await c.getData(`${base}/w`)
    assert.deepEqual(data.events, [{ type: 'dataChanged', path: `${base}/w` }])

    const kids = recorder()
    await c.getChildren(`${base}/w`, kids.watch)
    await c.create(`${base}/w/a`, null)
    await kids.until(1)
    await c.create(`${base}/w/b`, null)
    await c.getChildren(`${base}/w`)
    assert.deepEqual(kids.events, [{ type: 'childrenChanged', path: `${base}/w` }])

    const born = recorder()
    const absent = recorder()
    assert.equal(await c.exists(`${base}/later`, born.watch), null)
    assert.equal(await c.getData(`${base}/later2`, absent.watch), null)
    await c.create(`${base}/later`, null)
    await c.create(`${base}/later2`, buf('x'))
    await Promise.all([born.until(1), absent.until(1)])
    assert.deepEqual(born.events, [{ type: 'created', path: `${base}/later` }])
    assert.deepEqual(absent.events, [{ type: 'created', path: `${base}/later2` }])

    const gone = recorder()
    const gone2 = recorder()
    await c.exists(`${base}/later`, gone.watch)
    await c.getChildren(`${base}/later`, gone2.watch)
    await c.delete(`${base}/later`)
    await Promise.all([gone.until(1), gone2.until(1)])
    assert.deepEqual(gone.events, [{ type: 'deleted', path: `${base}/later` }])
    assert.deepEqual(gone2.events, [{ type: 'deleted', path: `${base}/later` }])
    // A change by another session reaches the watcher too.
    const other = await open()
    const remote = recorder()
    await c.getData(`${base}/w`, remote.watch)
    await other.setData(`${base}/w`, buf('3'))
    await remote.until(1)
    assert.deepEqual(remote.events, [{ type: 'dataChanged', path: `${base}/w` }])
  })

  it('multi is atomic: a failing check changes nothing; versions 0 are honoured', async () => {
    const c = await setup()
    await c.create(`${base}/epoch`, buf('1'))
    await c.create(`${base}/t`, buf('a'))
    const before: ZkStat = (await c.exists(`${base}/t`))!
    const err = await rejects(
      c.multi([
        { op: 'create', path: `${base}/new`, data: buf('n') },
        { op: 'setData', path: `${base}/t`, data: buf('b') },
        { op: 'check', path: `${base}/epoch`, version: 7 },
        { op: 'delete', path: `${base}/t` },
      ]),
      'BAD_VERSION',
    )
    assert.equal(err.path, `${base}/epoch`)
    assert.equal(await c.exists(`${base}/new`), null)
    assert.deepEqual(await c.exists(`${base}/t`), before)
    await rejects(c.multi([{ op: 'setData', path: `${base}/t`, data: buf('x'), version: 1 }]), 'BAD_VERSION')
    await c.multi([
      { op: 'check', path: `${base}/epoch`, version: 0 },
      { op: 'setData', path: `${base}/t`, data: buf('b'), version: 0 },
      { op: 'create', path: `${base}/new`, data: null, mode: 'persistent' },
      { op: 'create', path: `${base}/new/x`, data: buf('x') },
    ])
    // Version 0 is a real condition, not "any version".
    await rejects(c.multi([{ op: 'check', path: `${base}/t`, version: 0 }]), 'BAD_VERSION')
    await rejects(c.multi([{ op: 'delete', path: `${base}/t`, version: 0 }]), 'BAD_VERSION')
    await c.multi([{ op: 'delete', path: `${base}/new/x`, version: 0 }])
    assert.equal((await c.getData(`${base}/t`))!.data!.toString(), 'b')
    assert.deepEqual(await c.getChildren(`${base}/new`), [])
    await rejects(c.multi([{ op: 'create', path: `${base}/new`, data: null }]), 'NODE_EXISTS', `${base}/new`)
    await c.multi([])
  })

  it('mkdirp creates every missing level; deleteRecursive removes a subtree', async () => {
    const c = await setup()
    await c.mkdirp(`${base}/a/b/c`)
    await c.mkdirp(`${base}/a/b/c`)
    await c.create(`${base}/a/b/c/d`, buf('d'))
    await c.create(`${base}/a/e`, null)
    assert.deepEqual((await c.getChildren(`${base}/a`))!.sort(), ['b', 'e'])
    await c.deleteRecursive(`${base}/a`)
    assert.equal(await c.exists(`${base}/a`), null)
    await c.deleteRecursive(`${base}/a`)
    assert.deepEqual(await c.getChildren(base), [])
  })

  it('a chroot is created when missing and holds every path of a chrooted session', async () => {
    const root = await setup()
    const chroot = `${base}/samsa/one`
    const c = await open({ chroot })
    assert.deepEqual(await c.getChildren('/'), [])
    await c.mkdirp('/brokers/ids')
    const kids = recorder()
    await c.getChildren('/brokers/ids', kids.watch)
    await root.create(`${chroot}/brokers/ids/1`, buf('{}'), 'ephemeral')
    await kids.until(1)
    assert.deepEqual(kids.events, [{ type: 'childrenChanged', path: '/brokers/ids' }])
    assert.equal(await c.create('/controller', buf('c'), 'ephemeral'), '/controller')
    assert.equal(await c.create('/seq-', null, 'persistent_sequential'), '/seq-0000000002')
    assert.equal((await root.getData(`${chroot}/controller`))!.data!.toString(), 'c')
    assert.deepEqual((await c.getChildren('/'))!.sort(), ['brokers', 'controller', 'seq-0000000002'])
    await rejects(c.setData('/nothing', null), 'NO_NODE', '/nothing')
    const err = await rejects(c.multi([{ op: 'check', path: '/controller', version: 9 }]), 'BAD_VERSION')
    assert.equal(err.path, '/controller')
    const h = harness()
    if (h.zkCli) assert.match(await h.zkCli(['ls', chroot]), /\[brokers, controller, seq-0000000002\]/)
  })
}

describe('ZkClient contract: MemoryZk', () => {
  let zk = new MemoryZk()
  before(() => {
    zk = new MemoryZk()
  })
  contract(() => ({
    open: async (opts) => zk.connect({ sessionTimeoutMs: 4000, chroot: opts?.chroot }),
    expire: async (client) => zk.expireSession(client),
  }))

  it('zxids increase, one per write; dump shows the tree', async () => {
    const c = zk.connect()
    const z0 = zk.zxid
    await c.create('/dump', buf('{"a":1}'))
    await c.multi([
      { op: 'create', path: '/dump/x', data: null },
      { op: 'create', path: '/dump/y', data: buf('y') },
    ])
    assert.equal(zk.zxid, z0 + 2n)
    assert.deepEqual(zk.dump('/dump'), { '/dump': '{"a":1}', '/dump/x': null, '/dump/y': 'y' })
    await c.close()
  })

  it('delivers watch events after the operation, in the order of the changes', async () => {
    const c = zk.connect()
    await c.mkdirp('/order/a')
    await c.create('/order/b', null)
    const seen: string[] = []
    await c.getData('/order/b', (e) => seen.push(`${e.type} ${e.path}`))
    await c.getData('/order/a', (e) => seen.push(`${e.type} ${e.path}`))
    await c.getChildren('/order', (e) => seen.push(`${e.type} ${e.path}`))
    const done = c.multi([
      { op: 'setData', path: '/order/b', data: buf('1') },
      { op: 'setData', path: '/order/a', data: buf('2') },
      { op: 'create', path: '/order/c', data: null },
    ])
    assert.deepEqual(seen, [])
    await done
    assert.deepEqual(seen, ['dataChanged /order/b', 'dataChanged /order/a', 'childrenChanged /order'])
    await c.close()
  })
})

const ZK_AVAILABLE = zookeeperAvailable()

describe('ZkClient contract: real ZooKeeper', () => {
  if (!ZK_AVAILABLE) {
    it('runs against a real ZooKeeper', (t) => t.skip('ZooKeeper is not installed'))
    return
  }
  let server: ZookeeperProcess | undefined
  before(async () => {
    server = await startZookeeper()
  })
  after(async () => {
    await server?.stop()
  })
  const options = (chroot = '') => ({
    connect: `${server!.connect}${chroot}`,
    sessionTimeoutMs: 4000,
    connectionTimeoutMs: 5000,
  })
  contract(() => ({
    open: (opts) => connectZk(options(opts?.chroot)),
    expire: (client) => expireSession(client, options()),
    zkCli: (args) => server!.zkCli(args),
  }))

  it('a pipeline of 600 requests is answered whole; the session works again after a cut mid-pipeline', async () => {
    const proxy = await startZookeeperProxy(server!.port)
    const c = await connectZk({
      connect: `127.0.0.1:${proxy.port}`,
      sessionTimeoutMs: 4000,
      connectionTimeoutMs: 3000,
    })
    try {
      const base = `/pipeline-${process.pid}`
      await c.create(base, null)
      // Answers of 3 KB arrive split across TCP chunks at any byte.
      const data = (i: number) => Buffer.alloc(3000, i % 251)
      const n = 600
      await Promise.all(Array.from({ length: n }, (_, i) => c.create(`${base}/${i}`, data(i))))
      const got = await Promise.all(Array.from({ length: n }, (_, i) => c.getData(`${base}/${i}`)))
      for (const [i, r] of got.entries()) assert.ok(r?.data?.equals(data(i)), `node ${i}`)
      // Cut the connection while answers are on their way (a partial one must not be glued to the
      // next connection's first answer): the session goes on.
      const reads = Array.from({ length: n }, (_, i) =>
        c.getData(`${base}/${i}`).then(
          () => true,
          () => false,
        ),
      )
      await reads[0]
      await proxy.outage(300)
      await Promise.all(reads)
      assert.equal((await c.getData(`${base}/7`))?.data?.equals(data(7)), true)
      await c.deleteRecursive(base)
    } finally {
      await c.close()
      await proxy.stop()
    }
  })

  it('survives a short outage, and expires when the server hears nothing for the session timeout', async () => {
    const proxy = await startZookeeperProxy(server!.port)
    const opts = { connect: `127.0.0.1:${proxy.port}`, sessionTimeoutMs: 2000, connectionTimeoutMs: 3000 }
    const watcher = await connectZk(options())
    const c = await connectZk(opts)
    try {
      const states: SessionState[] = []
      let onState = () => {}
      c.onStateChange((s) => {
        states.push(s)
        onState()
      })
      const stateIs = (s: SessionState) =>
        new Promise<void>((resolve) => {
          onState = () => states.at(-1) === s && resolve()
        })
      const path = `/outage-${process.pid}`
      await c.create(path, null, 'ephemeral')
      const reconnected = stateIs('connected')
      await proxy.outage(700)
      await reconnected
      assert.deepEqual(states, ['disconnected', 'connected'])
      assert.equal((await watcher.exists(path))!.ephemeralOwner, c.sessionId)

      const gone = recorder()
      await watcher.exists(path, gone.watch)
      const expired = stateIs('expired')
      const t0 = Date.now()
      await proxy.outage(3500)
      await Promise.all([expired, gone.until(1)])
      assert.ok(Date.now() - t0 >= 2000, 'expired before the session timeout')
      assert.deepEqual(states.slice(2), ['disconnected', 'expired'])
      await rejects(c.exists('/'), 'SESSION_EXPIRED')
    } finally {
      await c.close()
      await watcher.close()
      await proxy.stop()
    }
  })
})
