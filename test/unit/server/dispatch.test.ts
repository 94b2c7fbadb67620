// The network layer and dispatcher together over real sockets: ApiVersions negotiation
// (including an unknown version), strict response order for pipelined requests, a malformed frame
// closing only its own connection, an oversized frame refused, acks=0-style null responses.

import assert from 'node:assert/strict'
import { connect, type Socket } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { silentLogger } from '../../../src/common/logger.ts'
import { SocketServer } from '../../../src/network/listener.ts'
import { decodeResponseFrame, encodeRequestFrame } from '../../../src/protocol/frame.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  apiVersionsRequestCodec,
  apiVersionsResponseCodec,
} from '../../../src/protocol/generated/messages/api-versions.ts'
import type {
  HeartbeatRequest,
  HeartbeatResponse,
} from '../../../src/protocol/generated/messages/heartbeat.ts'
import {
  heartbeatRequestCodec,
  heartbeatResponseCodec,
} from '../../../src/protocol/generated/messages/heartbeat.ts'
import { Dispatcher } from '../../../src/server/dispatcher.ts'
import type { Handler } from '../../../src/server/handler.ts'
import { apiVersionsHandler } from '../../../src/server/handlers/api-versions.ts'
import { Registry } from '../../../src/server/registry.ts'

// A test handler whose latency is chosen by the request (generationId = delay in ms), so
// responses finish out of order; memberId 'silent' returns no response.
const slowHandler: Handler<HeartbeatRequest, HeartbeatResponse, unknown> = {
  apiKey: 12,
  minVersion: 0,
  maxVersion: 4,
  request: heartbeatRequestCodec,
  response: heartbeatResponseCodec,
  async handle(_ctx, req) {
    await new Promise((r) => setTimeout(r, req.generationId))
    if (req.memberId === 'silent') return null
    return { ...heartbeatResponseCodec.defaults(0), errorCode: req.generationId }
  },
}

function readFrames(sock: Socket, count: number): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0)
    const frames: Buffer[] = []
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d])
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const n = buf.readInt32BE(0)
        frames.push(buf.subarray(4, 4 + n))
        buf = buf.subarray(4 + n)
      }
      if (frames.length >= count) {
        sock.off('data', onData)
        resolve(frames)
      }
    }
    sock.on('data', onData)
    sock.once('error', reject)
    sock.once('close', () => reject(new Error(`closed after ${frames.length} frames`)))
  })
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s))
    s.once('error', reject)
  })
}

const closed = (s: Socket) => new Promise<void>((r) => (s.destroyed ? r() : s.once('close', () => r())))

describe('network + dispatcher', () => {
  let server: SocketServer
  let port: number
  const handlers = [apiVersionsHandler, slowHandler]
  const registry = new Registry(handlers)
  const dispatcher = new Dispatcher(registry, { apiRanges: () => registry.ranges() }, silentLogger)

  before(async () => {
    server = new SocketServer(
      dispatcher.dispatch,
      { maxFrameSize: 1024 * 1024, maxInFlight: 100, idleMs: 0, maxConnections: 100 },
      silentLogger,
    )
    const [l] = await server.listen([{ name: 'PLAINTEXT', host: '127.0.0.1', port: 0 }])
    port = l.port
  })
  after(() => server.close(100))

  it('answers ApiVersions v3 with the registry ranges', async () => {
    const s = await open(port)
    s.write(
      encodeRequestFrame(
        apiVersionsRequestCodec,
        { clientSoftwareName: 't', clientSoftwareVersion: '1' },
        3,
        7,
        'c',
      ),
    )
    const [f] = await readFrames(s, 1)
    const { header, body } = decodeResponseFrame(apiVersionsResponseCodec, f, 3)
    assert.equal(header.correlationId, 7)
    assert.equal(body.errorCode, 0)
    assert.deepEqual(
      body.apiKeys.map((k) => [k.apiKey, k.minVersion, k.maxVersion]),
      [
        [12, 0, 4],
        [18, 0, 4],
      ],
    )
    s.destroy()
  })

  it('answers an unknown ApiVersions version with a v0 UNSUPPORTED_VERSION response', async () => {
    const s = await open(port)
    // v9 does not exist: header is key 18, version 9, correlation 5, client id 'x', then junk.
    const body = Buffer.from([0, 18, 0, 9, 0, 0, 0, 5, 0, 1, 0x78, 0xde, 0xad, 0xbe, 0xef])
    const frame = Buffer.alloc(4 + body.length)
    frame.writeInt32BE(body.length)
    body.copy(frame, 4)
    s.write(frame)
    const [f] = await readFrames(s, 1)
    const { header, body: res } = decodeResponseFrame(apiVersionsResponseCodec, f, 0)
    assert.equal(header.correlationId, 5)
    assert.equal(res.errorCode, ErrorCode.UNSUPPORTED_VERSION)
    assert.ok(res.apiKeys.some((k) => k.apiKey === 18 && k.maxVersion === 4))
    s.destroy()
  })

  it('writes pipelined responses in request order, skipping null responses', async () => {
    const s = await open(port)
    const delays = [30, 1, 15, 0, 5]
    const frames = delays.map((d, i) =>
      encodeRequestFrame(
        heartbeatRequestCodec,
        {
          ...heartbeatRequestCodec.defaults(0),
          groupId: 'g',
          generationId: d,
          memberId: i === 3 ? 'silent' : 'm',
        },
        0,
        100 + i,
        'c',
      ),
    )
    s.write(Buffer.concat(frames))
    const got = await readFrames(s, 4)
    const ids = got.map((f) => decodeResponseFrame(heartbeatResponseCodec, f, 0).header.correlationId)
    assert.deepEqual(ids, [100, 101, 102, 104])
    s.destroy()
  })

  it('closes only the connection that sent a malformed frame', async () => {
    const good = await open(port)
    const bad = await open(port)
    bad.write(Buffer.from([0, 0, 0, 3, 1, 2, 3]))
    await closed(bad)
    good.write(encodeRequestFrame(apiVersionsRequestCodec, apiVersionsRequestCodec.defaults(0), 0, 1, 'c'))
    const [f] = await readFrames(good, 1)
    assert.equal(decodeResponseFrame(apiVersionsResponseCodec, f, 0).body.errorCode, 0)
    good.destroy()
  })

  it('refuses a frame larger than the maximum from its size prefix alone', async () => {
    const s = await open(port)
    const prefix = Buffer.alloc(4)
    prefix.writeInt32BE(0x7fffffff)
    s.write(prefix)
    await closed(s)
    assert.ok(s.destroyed)
  })
})
