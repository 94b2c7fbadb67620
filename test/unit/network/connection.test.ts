// The network layer over real sockets with reads into the frame reader's buffers (owned-reads.ts):
// large pipelined frames come back intact and in order while their pooled buffers are reused,
// with reading paused and resumed under maxInFlight.

import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'
import { describe, it } from 'node:test'
import { silentLogger } from '../../../src/common/logger.ts'
import type { Dispatch } from '../../../src/network/connection.ts'
import { SocketServer } from '../../../src/network/listener.ts'
import { sharedBufferPool } from '../../../src/protocol/buffer-pool.ts'

function frame(body: Buffer): Buffer {
  const size = Buffer.alloc(4)
  size.writeInt32BE(body.length)
  return Buffer.concat([size, body])
}

function collect(sock: Socket, count: number): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    let buf = Buffer.alloc(0)
    const out: Buffer[] = []
    sock.on('data', (d: Buffer) => {
      parts.push(d)
      buf = Buffer.concat([buf, d])
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const n = buf.readInt32BE(0)
        out.push(Buffer.from(buf.subarray(4, 4 + n)))
        buf = buf.subarray(4 + n)
      }
      if (out.length === count) resolve(out)
    })
    sock.once('error', reject)
    sock.once('close', () => reject(new Error(`closed after ${out.length} frames`)))
  })
}

async function withServer(
  dispatch: Dispatch,
  maxInFlight: number,
  fn: (port: number, server: SocketServer) => Promise<void>,
  maxInFlightBytes?: number,
) {
  const server = new SocketServer(
    dispatch,
    { maxFrameSize: 8 * 1024 * 1024, maxInFlight, idleMs: 0, maxConnections: 10, maxInFlightBytes },
    silentLogger,
  )
  const [bound] = await server.listen([{ name: 'PLAINTEXT', host: '127.0.0.1', port: 0 }])
  try {
    await fn(bound.port, server)
  } finally {
    await server.close(100)
  }
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s))
    s.once('error', reject)
  })
}

/** Echo: the request frame itself is the response body, written as a second chunk (writev). */
function echoChunks(f: Buffer): Buffer[] {
  const size = Buffer.alloc(4)
  size.writeInt32BE(f.length)
  return [size, f]
}

describe('Connection', () => {
  it('echoes large pipelined frames intact and in order while reusing pooled buffers', async () => {
    const bodies = Array.from({ length: 24 }, (_, i) => randomBytes(200_000 + i * 37_000))
    const before = sharedBufferPool.reused
    await withServer(echoChunks, 64, async (port) => {
      const sock = await open(port)
      const got = collect(sock, bodies.length)
      for (const b of bodies) sock.write(frame(b))
      const frames = await got
      for (let i = 0; i < bodies.length; i++) assert.ok(frames[i].equals(bodies[i]), `frame ${i} differs`)
      sock.destroy()
    })
    assert.ok(sharedBufferPool.reused > before, 'body buffers were released after the write and reused')
  })

  it('pauses reading at maxInFlight and answers slow requests in order', async () => {
    let inFlight = 0
    let peak = 0
    const slow: Dispatch = (f) => {
      inFlight++
      peak = Math.max(peak, inFlight)
      return new Promise((resolve) =>
        setTimeout(() => {
          inFlight--
          resolve([frame(Buffer.from(f))])
        }, f[0] % 5),
      )
    }
    const bodies = Array.from({ length: 40 }, (_, i) => Buffer.alloc(70_000 + i, i))
    await withServer(slow, 2, async (port) => {
      const sock = await open(port)
      const got = collect(sock, bodies.length)
      sock.write(Buffer.concat(bodies.map(frame)))
      const frames = await got
      for (let i = 0; i < bodies.length; i++) assert.ok(frames[i].equals(bodies[i]), `frame ${i} differs`)
      sock.destroy()
    })
    // Frames already read in one go are dispatched together; the pause stops further reads.
    assert.ok(peak < bodies.length, `peak in flight ${peak}`)
  })

  it('bounds request bytes in flight over all connections', async () => {
    const limit = 300_000
    const frameBytes = 100_000
    let peak = 0
    let server: SocketServer | null = null
    const slow: Dispatch = (f) => {
      peak = Math.max(peak, server?.inFlightBytes ?? 0)
      return new Promise((resolve) => setTimeout(() => resolve([frame(f.subarray(0, 8))]), 3))
    }
    await withServer(
      slow,
      64,
      async (port, s) => {
        server = s
        const socks = await Promise.all([open(port), open(port)])
        const done = socks.map((sock, k) => {
          const bodies = Array.from({ length: 30 }, (_, i) => Buffer.alloc(frameBytes, k * 30 + i))
          const got = collect(sock, bodies.length)
          sock.write(Buffer.concat(bodies.map(frame)))
          return got.then((frames) => {
            for (let i = 0; i < bodies.length; i++) assert.ok(frames[i].equals(bodies[i].subarray(0, 8)))
          })
        })
        await Promise.all(done)
        assert.equal(s.inFlightBytes, 0)
        for (const sock of socks) sock.destroy()
      },
      limit,
    )
    // The budget is checked after each read: at most one more frame per connection gets in.
    assert.ok(peak > 0 && peak <= limit + 2 * frameBytes, `peak ${peak}`)
  })
})
