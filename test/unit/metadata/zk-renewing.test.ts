// RenewingZkClient across a session expiry: reads wait for the new session and are made again
// there (a broker starting up must not die of a read that met the expiry), writes are not.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { silentLogger } from '../../../src/common/logger.ts'
import { ZkError } from '../../../src/metadata/zk/zk-client.ts'
import { MemoryZk } from '../../../src/metadata/zk/zk-memory.ts'
import { RenewingZkClient } from '../../../src/metadata/zk/zk-renewing.ts'

describe('RenewingZkClient across an expiry', () => {
  it('a read that meets the expired session is made again on the new one, with its watch', async () => {
    const mz = new MemoryZk()
    const first = mz.connect()
    let release: () => void = () => {}
    const renewed = new Promise<void>((r) => {
      release = r
    })
    // The new session takes a while (ZooKeeper slow to answer): reads wait for it.
    const zk = new RenewingZkClient(
      first,
      async () => {
        await renewed
        return mz.connect()
      },
      silentLogger,
    )
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
})
