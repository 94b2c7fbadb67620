// The real ZooKeeper client gives up on a server that accepts the connection but never answers the
// handshake (a ZooKeeper that is still starting after a restart can): it must drop that socket
// and try again, as the Java client does after its connect timeout. Without this the client hung
// on the silent socket while its session expired on the server, unnoticed (found by the fault
// suite's ZooKeeper restart: a broker stayed unregistered for good).

import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { createServer, type Socket } from 'node:net'
import { describe, it } from 'node:test'
import { connectZk } from '../../../src/metadata/zk/zk-real.ts'

describe('ZooKeeper client handshake timeout', () => {
  it('drops a connection whose handshake is never answered and connects again', async () => {
    const sockets = new Set<Socket>()
    let accepted = 0
    const silent = createServer((s) => {
      accepted++
      sockets.add(s)
      s.on('error', () => {})
    })
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()))
    const port = (silent.address() as AddressInfo).port
    try {
      // connect timeout = session timeout / servers = 500 ms; the whole attempt gives up at 2.6 s.
      await assert.rejects(
        connectZk({ connect: `127.0.0.1:${port}`, sessionTimeoutMs: 500, connectionTimeoutMs: 2600 }),
        (e: Error & { code?: string }) => e.code === 'CONNECTION_LOSS',
      )
      // One connection per ~500 ms (plus the library's random spin delay of up to 200 ms).
      assert.ok(accepted >= 3, `the client connected ${accepted} time(s); it must retry a silent server`)
    } finally {
      for (const s of sockets) s.destroy()
      await new Promise<void>((r) => silent.close(() => r()))
    }
  })
})
