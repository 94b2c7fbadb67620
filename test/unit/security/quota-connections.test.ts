// Connection limits and the pre-authentication frame limit on a real SocketServer on port 0:
// max.connections.per.ip refuses the third connection from 127.0.0.1 (and an override raises it),
// max.connection.creation.rate delays accepts instead of refusing them, a listener's initial frame
// limit refuses a 50 MB size prefix before any body byte arrives (no buffer of that size is made),
// and a connection whose limit was lifted (setFrameLimit(null), as SASL does after
// authentication) accepts a frame above it.

import assert from 'node:assert/strict'
import { connect, type Socket } from 'node:net'
import { after, describe, it } from 'node:test'
import { createLogger, LogLevel } from '../../../src/common/logger.ts'
import type { ConnectionInfo } from '../../../src/network/connection.ts'
import { type NetworkOptions, parsePerIpOverrides, SocketServer } from '../../../src/network/listener.ts'

const log = createLogger('test', LogLevel.off)

async function server(extra: Partial<NetworkOptions>, dispatch = (_f: Buffer, _c: ConnectionInfo) => null) {
  const s = new SocketServer(
    dispatch,
    { maxFrameSize: 100 * 1024 * 1024, maxInFlight: 8, idleMs: 0, maxConnections: 100, ...extra },
    log,
  )
  const [b] = await s.listen([{ name: 'PLAINTEXT', host: '127.0.0.1', port: 0 }])
  return { s, port: b!.port }
}

/** Resolves true when the broker closed the socket within `ms`, false if it stayed open. */
function closedWithin(sock: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (sock.destroyed) return resolve(true)
    const t = setTimeout(() => resolve(false), ms)
    sock.once('close', () => {
      clearTimeout(t)
      resolve(true)
    })
  })
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s))
    s.on('error', () => {})
    s.once('error', reject)
  })
}

describe('connection limits', () => {
  const servers: SocketServer[] = []
  const sockets: Socket[] = []
  after(async () => {
    for (const s of sockets) s.destroy()
    for (const s of servers) await s.close(0)
  })

  it('max.connections.per.ip=2 refuses a third connection from 127.0.0.1', async () => {
    const { s, port } = await server({ maxConnectionsPerIp: 2 })
    servers.push(s)
    const a = await open(port)
    const b = await open(port)
    sockets.push(a, b)
    const c = await open(port)
    sockets.push(c)
    assert.equal(await closedWithin(c, 2000), true, 'third connection closed')
    assert.equal(await closedWithin(a, 100), false, 'first connection still open')
    assert.equal(s.connectionCount, 2)
    a.destroy()
    await new Promise((r) => setTimeout(r, 50))
    const d = await open(port)
    sockets.push(d)
    assert.equal(await closedWithin(d, 200), false, 'a slot freed by a close is usable again')
  })

  it('max.connections.per.ip.overrides raises the count for one address', async () => {
    assert.deepEqual(
      [...parsePerIpOverrides('127.0.0.1:3, ::1:5')],
      [
        ['127.0.0.1', 3],
        ['::1', 5],
      ],
    )
    assert.throws(() => parsePerIpOverrides('127.0.0.1'))
    const { s, port } = await server({
      maxConnectionsPerIp: 1,
      maxConnectionsPerIpOverrides: parsePerIpOverrides('127.0.0.1:3'),
    })
    servers.push(s)
    const socks = await Promise.all([open(port), open(port), open(port), open(port)])
    sockets.push(...socks)
    const closed = await Promise.all(socks.map((x) => closedWithin(x, 500)))
    assert.equal(closed.filter((x) => x).length, 1)
  })

  it('max.connection.creation.rate delays accepts beyond the rate', async () => {
    let seen = 0
    const { s, port } = await server({ maxConnectionCreationRate: 2 }, () => {
      seen++
      return null
    })
    servers.push(s)
    const t0 = Date.now()
    const socks = await Promise.all([open(port), open(port), open(port)])
    sockets.push(...socks)
    for (const x of socks) x.write(Buffer.from([0, 0, 0, 1, 7]))
    while (seen < 3 && Date.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 20))
    assert.equal(seen, 3, 'every connection was served')
    assert.ok(Date.now() - t0 >= 900, `the third connection waited for the rate (${Date.now() - t0} ms)`)
  })
})

describe('pre-authentication frame limit', () => {
  it('refuses a 50 MB size prefix at once, and a lifted limit accepts a larger frame', async () => {
    const frames: number[] = []
    const { s, port } = await server({ frameLimitFor: () => 1024 }, (f, conn) => {
      frames.push(f.length)
      if (f.length === 1) conn.setFrameLimit?.(null)
      return null
    })
    try {
      const rss = process.memoryUsage().arrayBuffers
      const hostile = await open(port)
      const prefix = Buffer.alloc(4)
      prefix.writeInt32BE(50 * 1024 * 1024)
      hostile.write(prefix)
      assert.equal(await closedWithin(hostile, 2000), true, 'closed on the size prefix alone')
      assert.ok(process.memoryUsage().arrayBuffers - rss < 20 * 1024 * 1024, 'no 50 MB body buffer')
      const ok = await open(port)
      // A 1-byte frame "authenticates" (lifts the limit), then a 4 KiB frame is accepted.
      ok.write(Buffer.from([0, 0, 0, 1, 9]))
      const t0 = Date.now()
      while (frames.length < 1 && Date.now() - t0 < 2000) await new Promise((r) => setTimeout(r, 10))
      const big = Buffer.alloc(4 + 4096)
      big.writeInt32BE(4096)
      ok.write(big)
      while (frames.length < 2 && Date.now() - t0 < 2000) await new Promise((r) => setTimeout(r, 10))
      assert.deepEqual(frames, [1, 4096])
      assert.equal(await closedWithin(ok, 100), false)
      ok.destroy()
      // A frame sent together with a refused size prefix is still served, then the close.
      const both = await open(port)
      both.write(Buffer.concat([Buffer.from([0, 0, 0, 2, 7, 7]), prefix]))
      assert.equal(await closedWithin(both, 2000), true)
      assert.deepEqual(frames, [1, 4096, 2])
    } finally {
      await s.close(0)
    }
  })
})
