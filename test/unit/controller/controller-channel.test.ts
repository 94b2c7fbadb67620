// NetworkControllerChannel against a small node:net fake broker that decodes the requests with the
// generated codecs: requests to one broker go out one at a time in send order, a refused connection
// is retried until the broker listens, and removing a broker rejects what is still queued.

import assert from 'node:assert/strict'
import { createServer, type Server, type Socket } from 'node:net'
import { afterEach, describe, it } from 'node:test'
import { BrokerClientError } from '../../../src/client/broker-client.ts'
import { silentLogger } from '../../../src/common/logger.ts'
import { NetworkControllerChannel } from '../../../src/controller/controller-channel.ts'
import { UPDATE_METADATA_V8 } from '../../../src/controller/request-batch.ts'
import { decodeRequestBody, decodeRequestFrame, encodeResponseFrame } from '../../../src/protocol/frame.ts'
import { FrameReader } from '../../../src/protocol/frame-reader.ts'
import {
  defaultUpdateMetadataRequest,
  type UpdateMetadataRequest,
  updateMetadataResponseCodec,
} from '../../../src/protocol/generated/messages/update-metadata.ts'
import { registration } from './harness.ts'

interface FakeBroker {
  server: Server
  port: number
  /** controllerEpoch of each UpdateMetadata, in arrival order. */
  seen: number[]
  maxInFlight: number
}

/** Answers each UpdateMetadata after `delayMs`, counting how many were waiting at once. */
function fakeBroker(port: number, delayMs: number): Promise<FakeBroker> {
  const fb: FakeBroker = { server: createServer(), port, seen: [], maxInFlight: 0 }
  const sockets = new Set<Socket>()
  let inFlight = 0
  fb.server.on('connection', (sock) => {
    sockets.add(sock)
    sock.on('close', () => sockets.delete(sock))
    const frames = new FrameReader()
    sock.on('data', (chunk: Buffer) => {
      for (const f of frames.push(chunk)) {
        const frame = decodeRequestFrame(f)
        const body = decodeRequestBody<UpdateMetadataRequest>(frame)
        fb.seen.push(body.controllerEpoch)
        inFlight++
        fb.maxInFlight = Math.max(fb.maxInFlight, inFlight)
        setTimeout(() => {
          inFlight--
          if (!sock.destroyed)
            sock.write(
              encodeResponseFrame(updateMetadataResponseCodec, { errorCode: 0 }, 8, frame.correlationId),
            )
        }, delayMs)
      }
    })
  })
  fb.server.close = ((orig) => (cb?: (err?: Error) => void) => {
    for (const s of sockets) s.destroy()
    return orig(cb)
  })(fb.server.close.bind(fb.server))
  return new Promise((resolve, reject) => {
    fb.server.once('error', reject)
    fb.server.listen(port, '127.0.0.1', () => {
      fb.port = (fb.server.address() as { port: number }).port
      resolve(fb)
    })
  })
}

function um(epoch: number): UpdateMetadataRequest {
  return { ...defaultUpdateMetadataRequest(), controllerEpoch: epoch }
}

function reg(id: number, port: number) {
  const r = registration(id)
  return { ...r, endpoints: r.endpoints.map((e) => ({ ...e, host: '127.0.0.1', port })) }
}

describe('NetworkControllerChannel', () => {
  const cleanup: (() => Promise<void> | void)[] = []
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f()
  })

  it('sends one request at a time per broker, in order', async () => {
    const fb = await fakeBroker(0, 15)
    cleanup.push(() => new Promise<void>((r) => fb.server.close(() => r())))
    const ch = new NetworkControllerChannel({ clientId: 'controller-test', logger: silentLogger })
    cleanup.push(() => ch.close())
    ch.addBroker(reg(1, fb.port))
    const answers = await Promise.all([1, 2, 3, 4, 5].map((e) => ch.send(1, UPDATE_METADATA_V8, um(e))))
    assert.deepEqual(
      answers.map((a) => a.errorCode),
      [0, 0, 0, 0, 0],
    )
    assert.deepEqual(fb.seen, [1, 2, 3, 4, 5])
    assert.equal(fb.maxInFlight, 1)
  })

  it('retries after a refused connection until the broker listens', async () => {
    // A port nobody listens on (taken and released).
    const probe = await fakeBroker(0, 0)
    const port = probe.port
    await new Promise<void>((r) => probe.server.close(() => r()))
    const ch = new NetworkControllerChannel({
      clientId: 'controller-test',
      retryBackoffMs: 20,
      logger: silentLogger,
    })
    cleanup.push(() => ch.close())
    ch.addBroker(reg(1, port))
    const first = ch.send(1, UPDATE_METADATA_V8, um(7))
    const second = ch.send(1, UPDATE_METADATA_V8, um(8))
    await new Promise((r) => setTimeout(r, 100)) // several refused attempts
    const fb = await fakeBroker(port, 0)
    cleanup.push(() => new Promise<void>((r) => fb.server.close(() => r())))
    assert.equal((await first).errorCode, 0)
    assert.equal((await second).errorCode, 0)
    assert.deepEqual(fb.seen, [7, 8])
  })

  it('removing a broker rejects its queued requests; unknown brokers reject at once', async () => {
    const probe = await fakeBroker(0, 0)
    const port = probe.port
    await new Promise<void>((r) => probe.server.close(() => r()))
    const ch = new NetworkControllerChannel({
      clientId: 'controller-test',
      retryBackoffMs: 20,
      logger: silentLogger,
    })
    cleanup.push(() => ch.close())
    ch.addBroker(reg(2, port))
    const pending = ch.send(2, UPDATE_METADATA_V8, um(1))
    await new Promise((r) => setTimeout(r, 30))
    ch.removeBroker(2)
    await assert.rejects(pending, (e: unknown) => e instanceof BrokerClientError && e.code === 'CLOSED')
    await assert.rejects(
      ch.send(9, UPDATE_METADATA_V8, um(1)),
      (e: unknown) => e instanceof BrokerClientError && e.code === 'CLOSED',
    )
  })
})
