// RenewingZkClient across a session expiry or a lost connection: reads, mkdirp and ephemeral
// creates wait for the connection to come back (or the new session) and are made again there (a
// broker starting up must not die of a request that met the expiry); other writes are not. And a
// broker that registers while its session is being renewed is registered on the new session.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { silentLogger } from '../../../src/common/logger.ts'
import { MemoryFs } from '../../../src/common/memory-fs.ts'
import { bootstrapZk } from '../../../src/metadata/zk/zk-bootstrap.ts'
import { type SessionState, type ZkClient, ZkError } from '../../../src/metadata/zk/zk-client.ts'
import { MemoryZk } from '../../../src/metadata/zk/zk-memory.ts'
import { RenewingZkClient } from '../../../src/metadata/zk/zk-renewing.ts'
import { ZkMetadataStore } from '../../../src/metadata/zk/zk-store.ts'
import { ZkPaths } from '../../../src/metadata/zk/znodes.ts'

/** A session that can lose its connection: the next request fails, then it reconnects. */
function flaky(client: ZkClient) {
  const listeners = new Set<(s: SessionState) => void>()
  let lose = 0
  const wrapped = new Proxy(client, {
    get(target, key) {
      if (key === 'onStateChange')
        return (l: (s: SessionState) => void) => {
          listeners.add(l)
          return () => listeners.delete(l)
        }
      const v = Reflect.get(target, key, target)
      if (typeof v !== 'function') return v
      return async (...args: unknown[]) => {
        // The request reaches the server (it is made), but its answer is lost with the connection.
        const result = await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args)
        if (lose > 0 && key !== 'close') {
          lose--
          setTimeout(() => {
            for (const l of listeners) l('disconnected')
            for (const l of listeners) l('connected')
          }, 20)
          throw new ZkError('CONNECTION_LOSS', 'connection lost')
        }
        return result
      }
    },
  })
  return { client: wrapped, loseNext: (n = 1) => (lose = n) }
}

const registration = {
  id: 1,
  host: '127.0.0.1',
  port: 9091,
  rack: null,
  endpoints: [{ listenerName: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '127.0.0.1', port: 9091 }],
}

/** A client whose next session is only made once `release()` is called. */
function slowRenewal() {
  const mz = new MemoryZk()
  const first = mz.connect()
  let release: () => void = () => {}
  const renewed = new Promise<void>((r) => {
    release = r
  })
  const zk = new RenewingZkClient(
    first,
    async () => {
      await renewed
      return mz.connect()
    },
    silentLogger,
  )
  return { mz, first, zk, release }
}

describe('RenewingZkClient across an expiry', () => {
  it('a read that meets the expired session is made again on the new one, with its watch', async () => {
    // The new session takes a while (ZooKeeper slow to answer): reads wait for it.
    const { mz, first, zk, release } = slowRenewal()
    await zk.create('/a', Buffer.from('1'))
    mz.expireSession(first)
    let fired = 0
    const reading = zk.getData('/a', () => fired++)
    const listing = zk.getChildren('/')
    const checking = zk.exists('/a')
    await new Promise((r) => setTimeout(r, 30))
    release()
    assert.equal((await reading)?.data?.toString(), '1')
    assert.ok((await listing)?.includes('a'))
    assert.ok((await checking) !== null)
    assert.notEqual(zk.sessionId, 0n)
    // The watch was set on the new session.
    await mz.connect().setData('/a', Buffer.from('2'))
    for (let i = 0; i < 100 && fired === 0; i++) await new Promise((r) => setTimeout(r, 5))
    assert.equal(fired, 1)
    await zk.close()
  })

  it('a write made on the expired session fails with its error; a read on a closed client too', async () => {
    const mz = new MemoryZk()
    const first = mz.connect()
    const zk = new RenewingZkClient(first, () => new Promise<never>(() => {}), silentLogger)
    mz.expireSession(first)
    await assert.rejects(zk.create('/b', null), (e) => e instanceof ZkError && e.code === 'SESSION_EXPIRED')
    const reading = zk.getData('/b')
    await zk.close()
    await assert.rejects(reading, (e) => e instanceof ZkError && e.code === 'SESSION_EXPIRED')
  })

  it('an ephemeral create that meets the expired session is made on the new one', async () => {
    const mz = new MemoryZk()
    const first = mz.connect()
    const zk = new RenewingZkClient(first, async () => mz.connect(), silentLogger)
    mz.expireSession(first)
    assert.equal(await zk.create('/e', Buffer.from('x'), 'ephemeral'), '/e')
    const stat = await mz.connect().exists('/e')
    assert.equal(stat?.ephemeralOwner, zk.sessionId)
    assert.notEqual(zk.sessionId, first.sessionId)
    // Ours already: created (an earlier attempt's answer was lost); another session's: NODE_EXISTS.
    assert.equal(await zk.create('/e', Buffer.from('x'), 'ephemeral'), '/e')
    await mz.connect().create('/other', null, 'ephemeral')
    await assert.rejects(
      zk.create('/other', null, 'ephemeral'),
      (e) => e instanceof ZkError && e.code === 'NODE_EXISTS',
    )
    await zk.close()
  })

  it('a read, mkdirp and an ephemeral create whose connection is lost are made again once it is back', async () => {
    const mz = new MemoryZk()
    const f = flaky(mz.connect())
    const zk = new RenewingZkClient(f.client, () => new Promise<never>(() => {}), silentLogger, {
      reconnectWaitMs: 2000,
    })
    await zk.create('/r', Buffer.from('1'))
    f.loseNext()
    assert.equal((await zk.getData('/r'))?.data?.toString(), '1')
    f.loseNext()
    await zk.mkdirp('/m/n')
    assert.notEqual(await mz.connect().exists('/m/n'), null)
    // The first attempt created the node; the second finds it owned by this session.
    f.loseNext()
    assert.equal(await zk.create('/eph', null, 'ephemeral'), '/eph')
    // A persistent write is not made twice: its error is the caller's.
    f.loseNext()
    await assert.rejects(
      zk.setData('/r', Buffer.from('2')),
      (e) => e instanceof ZkError && e.code === 'CONNECTION_LOSS',
    )
    await zk.close()
  })

  it('a broker registering while its session is renewed registers on the new session', async () => {
    const { mz, first, zk, release } = slowRenewal()
    const identity = await bootstrapZk(zk, {
      fs: new MemoryFs(),
      logDirs: ['/data'],
      brokerId: 1,
      reservedBrokerMaxId: 1000,
      now: () => 0,
    })
    const store = new ZkMetadataStore({
      zk,
      clusterId: identity.clusterId,
      nodeId: 1,
      defaultNumPartitions: 1,
      defaultReplicationFactor: 1,
      staticBrokerConfig: new Map(),
      logger: silentLogger,
    })
    await store.start()
    mz.expireSession(first)
    const registering = store.registerBroker(registration)
    setTimeout(release, 30)
    await registering
    const stat = await mz.connect().exists(ZkPaths.broker(1))
    assert.equal(stat?.ephemeralOwner, zk.sessionId)
    assert.equal(store.brokerEpoch, stat?.czxid)
    // The store's own re-registration on 'connected' finds the node its session owns: no change.
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 5))
    assert.equal(store.brokerEpoch, stat?.czxid)
    await store.close()
  })
})
