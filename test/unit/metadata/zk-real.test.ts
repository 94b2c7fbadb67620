// connectZk when there is no ZooKeeper to talk to: it must give up after
// zookeeper.connection.timeout.ms with an error naming the address, and leave nothing running
// (no socket, no reconnect timer) so a broker that cannot reach ZooKeeper can exit.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createServer, type Server, type Socket } from 'node:net'
import { describe, it } from 'node:test'
import type { ZkError } from '../../../src/metadata/zk/zk-client.ts'
import { connectZk } from '../../../src/metadata/zk/zk-real.ts'

async function connectionLoss(p: Promise<unknown>): Promise<ZkError> {
  try {
    await p
  } catch (err) {
    assert.equal((err as ZkError).name, 'ZkError', String(err))
    assert.equal((err as ZkError).code, 'CONNECTION_LOSS')
    return err as ZkError
  }
  assert.fail('expected CONNECTION_LOSS')
}

describe('connectZk without a server', () => {
  it('rejects with CONNECTION_LOSS naming the address after connectionTimeoutMs (connection refused)', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const addr = s.address()
        s.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0))
      })
    })
    const connect = `127.0.0.1:${port}`
    const t0 = Date.now()
    const err = await connectionLoss(connectZk({ connect, sessionTimeoutMs: 6000, connectionTimeoutMs: 800 }))
    const took = Date.now() - t0
    assert.ok(took >= 750 && took < 2500, `took ${took} ms`)
    assert.match(err.message, new RegExp(connect.replace(/\./g, '\\.')))
  })

  it('rejects when the port accepts but never answers (not ZooKeeper), and closes the socket', async () => {
    const sockets = new Set<Socket>()
    const server: Server = createServer((s) => {
      sockets.add(s)
      s.resume()
      s.on('close', () => sockets.delete(s))
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    try {
      const addr = server.address()
      const connect = `127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/chroot`
      const err = await connectionLoss(
        connectZk({ connect, sessionTimeoutMs: 6000, connectionTimeoutMs: 700 }),
      )
      assert.match(err.message, /127\.0\.0\.1:\d+\/chroot/)
      await new Promise((r) => setTimeout(r, 100))
      assert.equal(sockets.size, 0, 'the client left its socket open')
    } finally {
      for (const s of sockets) s.destroy()
      await new Promise((r) => server.close(() => r(undefined)))
    }
  })

  it('leaves nothing behind: a process whose connection failed exits on its own', async () => {
    const zkReal = new URL('../../../src/metadata/zk/zk-real.ts', import.meta.url).href
    const script = `
      import { connectZk } from ${JSON.stringify(zkReal)}
      const t0 = Date.now()
      connectZk({ connect: '127.0.0.1:1', sessionTimeoutMs: 6000, connectionTimeoutMs: 600 })
        .catch((e) => { console.log(e.code, Date.now() - t0); process.on('exit', () => console.log('exit', Date.now() - t0)) })`
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000)
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)))
    clearTimeout(killer)
    assert.equal(code, 0, `the process hung or failed:\n${out}`)
    const exitAt = Number(/exit (\d+)/.exec(out)?.[1])
    assert.match(out, /^CONNECTION_LOSS \d+/)
    assert.ok(exitAt < 1600, `exited ${exitAt} ms after start:\n${out}`)
  })
})
