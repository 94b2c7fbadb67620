// Hostile clients against a real broker process over raw TCP: random bytes, garbage frames,
// truncated frames, a 2 GiB size prefix (and negative, zero, one over socket.request.max.bytes),
// unsupported versions and api keys, and thousands of idle connections. Throughout, a
// well-behaved client (kcat) keeps producing and consuming in the background; the broker stays
// up and its resident memory stays bounded (VmRSS from /proc).

import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { asTopicName } from '../../src/common/ids.ts'
import { decodeResponseFrame, encodeRequestFrame } from '../../src/protocol/frame.ts'
import { ApiKey } from '../../src/protocol/generated/api-keys.ts'
import { ErrorCode } from '../../src/protocol/generated/error-codes.ts'
import {
  type ApiVersionsResponse,
  apiVersionsRequestCodec,
  apiVersionsResponseCodec,
} from '../../src/protocol/generated/messages/api-versions.ts'
import {
  listOffsetsRequestCodec,
  listOffsetsResponseCodec,
} from '../../src/protocol/generated/messages/list-offsets.ts'
import { produceRequestCodec, produceResponseCodec } from '../../src/protocol/generated/messages/produce.ts'
import { buildBatch } from '../../src/records/builder.ts'
import { type BrokerProcess, startBrokerProcess } from '../support/broker-process.ts'
import { kcat, kcatConsumeJson, openFds, run, sleep, vmRssKb } from '../support/e2e-clients.ts'

const MAX_REQUEST = 104857600 // socket.request.max.bytes default

// Idle connections: 10,000 when the file-descriptor limit allows (the broker inherits ours), else
// as many as fit with room to spare.
const FD_LIMIT = Number((await run('sh', ['-c', 'ulimit -n'])).stdout.trim()) || 1024
const IDLE = Math.min(10000, FD_LIMIT - 1000)

/** One raw connection: collects what the broker sends and notices when it closes. */
class Raw {
  readonly socket: Socket
  private data = Buffer.alloc(0)
  private waiters: (() => void)[] = []
  closedByPeer = false
  closed = false
  readonly ready: Promise<void>
  private endedByUs = false

  constructor(port: number) {
    this.socket = connect({ host: '127.0.0.1', port })
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', () => resolve())
      this.socket.once('error', reject)
    })
    this.socket.on('error', () => {})
    this.socket.on('data', (d: Buffer) => {
      this.data = Buffer.concat([this.data, d])
      this.wake()
    })
    this.socket.on('end', () => {
      if (!this.endedByUs) this.closedByPeer = true
    })
    this.socket.on('close', () => {
      if (!this.endedByUs) this.closedByPeer = true
      this.closed = true
      this.wake()
    })
  }

  private wake() {
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
  }

  private async waitFor(cond: () => boolean, what: string, timeoutMs = 10000): Promise<void> {
    const timer = setTimeout(() => this.wake(), timeoutMs)
    const end = Date.now() + timeoutMs
    try {
      while (!cond()) {
        if (Date.now() >= end) throw new Error(`timed out waiting for ${what}`)
        await new Promise<void>((r) => this.waiters.push(r))
      }
    } finally {
      clearTimeout(timer)
    }
  }

  write(b: Buffer): void {
    this.socket.write(b)
  }

  end(): void {
    this.endedByUs = true
    this.socket.end()
  }

  destroy(): void {
    this.endedByUs = true
    this.socket.destroy()
  }

  /** The next response frame (without its size prefix), or null if the broker closed first. */
  async response(): Promise<Buffer | null> {
    const complete = () => this.data.length >= 4 && this.data.length >= 4 + this.data.readInt32BE(0)
    await this.waitFor(() => complete() || this.closed, 'a response or close')
    if (!complete()) return null
    const size = this.data.readInt32BE(0)
    const frame = this.data.subarray(4, 4 + size)
    this.data = this.data.subarray(4 + size)
    return frame
  }

  /** Resolves when the broker has closed the connection (we never ended it). */
  async brokerCloses(): Promise<void> {
    await this.waitFor(() => this.closed, 'the broker to close the connection')
    assert.ok(this.closedByPeer, 'closed by the broker')
  }

  received(): number {
    return this.data.length
  }
}

async function open(port: number): Promise<Raw> {
  const r = new Raw(port)
  await r.ready
  return r
}

function frame(body: Buffer): Buffer {
  const size = Buffer.alloc(4)
  size.writeInt32BE(body.length)
  return Buffer.concat([size, body])
}

/** A request header v1 (non-flexible) or v2 (flexible: + empty tagged fields), no size prefix. */
function header(apiKey: number, apiVersion: number, correlationId: number, flexible: boolean): Buffer {
  const h = Buffer.alloc(10 + 2 + (flexible ? 1 : 0))
  h.writeInt16BE(apiKey, 0)
  h.writeInt16BE(apiVersion, 2)
  h.writeInt32BE(correlationId, 4)
  h.writeInt16BE(-1, 8) // client id: null
  return h.subarray(0, flexible ? 11 : 10)
}

function apiVersionsV3(correlationId: number): Buffer {
  return encodeRequestFrame(
    apiVersionsRequestCodec,
    { clientSoftwareName: 'hostile', clientSoftwareVersion: '1.0' },
    3,
    correlationId,
    'e2e-hostile',
  )
}

function produceFrame(version: number, correlationId: number, topic: string): Buffer {
  const records = buildBatch([{ key: 'k', value: 'hostile' }], { timestamp: Date.now() })
  return encodeRequestFrame(
    produceRequestCodec,
    {
      transactionalId: null,
      acks: 1,
      timeoutMs: 5000,
      topicData: [{ name: asTopicName(topic), partitionData: [{ index: 0, records }] }],
    },
    version,
    correlationId,
    'e2e-hostile',
  )
}

describe(`hostile clients (idle connections: ${IDLE} of a ${FD_LIMIT} descriptor limit)`, () => {
  let b: BrokerProcess | undefined
  let pid = 0
  let port = 0
  let rssStartKb = 0
  let peakRssKb = 0
  const sockets: Raw[] = []
  // The well-behaved client: kcat round trips in a loop until the tests are done.
  let stopLoop = false
  let rounds = 0
  let loopError: unknown = null
  let loop: Promise<void> = Promise.resolve()

  /** Produces 5 values and reads back the last 5; one topic per caller (background, foreground). */
  async function roundTrip(tag: string, topic = 'healthy-fg'): Promise<void> {
    const values = Array.from({ length: 5 }, (_, i) => `${tag}-${i}`)
    await kcat(b!.bootstrap, ['-P', '-t', topic, '-p', '0'], { input: `${values.join('\n')}\n` })
    const got = await kcatConsumeJson(b!.bootstrap, ['-t', topic, '-p', '0', '-o', '-5'])
    assert.deepEqual(
      got.map((m) => m.payload),
      values,
    )
  }

  const sampleRss = () => {
    const kb = vmRssKb(pid)
    peakRssKb = Math.max(peakRssKb, kb)
    return kb
  }

  before(async () => {
    b = await startBrokerProcess()
    pid = b.child.pid!
    port = b.port
    await roundTrip('warm-up')
    rssStartKb = sampleRss()
    loop = (async () => {
      while (!stopLoop) {
        try {
          await roundTrip(`bg-${rounds}`, 'healthy-bg')
          rounds++
          sampleRss()
        } catch (e) {
          loopError = e
          return
        }
      }
    })()
  })
  after(async () => {
    stopLoop = true
    await loop
    for (const s of sockets) s.destroy()
    await b?.stop()
    if (process.env.SAMSA_E2E_DUMP) console.log(b?.output())
    b?.cleanup()
  })

  it('closes connections that send random bytes (unframed, or complete frames of garbage)', async () => {
    // Unframed noise, then our end of the stream: the broker must not hold the connection open.
    const noise = await Promise.all(Array.from({ length: 100 }, () => open(port)))
    for (const r of noise) {
      r.write(randomBytes(1 + Math.floor(Math.random() * 8192)))
      r.end()
    }
    for (const r of noise)
      await new Promise<void>((res) => (r.closed ? res() : r.socket.once('close', () => res())))
    // Whole frames with an unknown api key and a random body: closed by the broker, unanswered.
    const garbage = await Promise.all(Array.from({ length: 100 }, () => open(port)))
    garbage.forEach((r, i) => {
      const body = randomBytes(8 + Math.floor(Math.random() * 4096))
      body.writeInt16BE(1000 + i, 0)
      r.write(frame(body))
    })
    for (const r of garbage) {
      await r.brokerCloses()
      assert.equal(r.received(), 0)
    }
    // Whole frames of a served api key and version with a random body: answered if the body
    // happens to decode (with the right correlation id), else closed.
    const served = [ApiKey.Produce, ApiKey.Fetch, ApiKey.ListOffsets, ApiKey.Metadata, ApiKey.CreateTopics]
    const fuzz = await Promise.all(Array.from({ length: 100 }, () => open(port)))
    fuzz.forEach((r, i) => {
      const key = served[i % served.length]
      const version = key === ApiKey.Metadata ? 12 : key === ApiKey.Fetch ? 11 : 5
      r.write(
        frame(
          Buffer.concat([
            header(key, version, 7000 + i, version >= 9),
            randomBytes(Math.floor(Math.random() * 300)),
          ]),
        ),
      )
    })
    for (const [i, r] of fuzz.entries()) {
      const res = await r.response()
      if (res !== null) assert.equal(res.readInt32BE(0), 7000 + i)
      r.destroy()
    }
    await roundTrip('after-random')
  })

  it('closes connections with truncated frames and never answers them', async () => {
    const whole = [apiVersionsV3(1), produceFrame(9, 2, 'healthy-fg')]
    for (const f of whole) {
      // Cut inside the frame, then end: the broker drops the partial frame and closes.
      const cuts = [
        1,
        3,
        4,
        5,
        9,
        12,
        f.length - 1,
        ...Array.from({ length: 20 }, () => 1 + Math.floor(Math.random() * (f.length - 1))),
      ]
      const conns = await Promise.all(cuts.map(() => open(port)))
      cuts.forEach((cut, i) => {
        conns[i].write(f.subarray(0, cut))
        conns[i].end()
      })
      for (const r of conns) {
        assert.equal(await r.response(), null)
      }
      // A consistent size prefix around a body cut short: does not decode, so the broker
      // closes the connection by itself.
      const bodyCuts = [
        14,
        16,
        f.length - 2,
        ...Array.from({ length: 10 }, () => 13 + Math.floor(Math.random() * (f.length - 14))),
      ]
      const inner = await Promise.all(bodyCuts.map(() => open(port)))
      for (const [i, cut] of bodyCuts.entries()) inner[i].write(frame(f.subarray(4, cut)))
      for (const r of inner) {
        assert.equal(await r.response(), null)
        await r.brokerCloses()
      }
    }
    await roundTrip('after-truncated')
  })

  it('closes a connection announcing a 2 GiB frame (and negative, zero, max+1) without buffering it', async () => {
    const before = sampleRss()
    for (const size of [0x7fffffff, -0x80000000, -1, 0, MAX_REQUEST + 1]) {
      const r = await open(port)
      const prefix = Buffer.alloc(4)
      prefix.writeInt32BE(size)
      r.write(prefix)
      // Keep sending: a broker that tried to buffer the frame would keep reading.
      r.write(randomBytes(1 << 20))
      assert.equal(await r.response(), null)
      await r.brokerCloses()
    }
    const afterRss = sampleRss()
    assert.ok(afterRss - before < 256 * 1024, `RSS grew ${afterRss - before} KiB`)
    await roundTrip('after-2gib')
  })

  it('answers ApiVersions v99 with UNSUPPORTED_VERSION in the v0 layout and keeps the connection', async () => {
    const r = await open(port)
    // Header v2 (flexible, as a client sends for a new ApiVersions) + a v3-style body.
    r.write(
      frame(
        Buffer.concat([
          header(ApiKey.ApiVersions, 99, 42, true),
          Buffer.from([8, ...Buffer.from('hostile'), 4, ...Buffer.from('1.0'), 0]),
        ]),
      ),
    )
    const res = await r.response()
    assert.ok(res)
    const { header: h, body } = decodeResponseFrame<ApiVersionsResponse>(apiVersionsResponseCodec, res, 0)
    assert.equal(h.correlationId, 42)
    assert.equal(body.errorCode, ErrorCode.UNSUPPORTED_VERSION)
    const av = body.apiKeys.find((k) => k.apiKey === ApiKey.ApiVersions)
    assert.deepEqual([av?.minVersion, av?.maxVersion], [0, 4])
    assert.ok(body.apiKeys.some((k) => k.apiKey === ApiKey.Produce))
    // The client retries with a version we serve, on the same connection.
    r.write(apiVersionsV3(43))
    const again = await r.response()
    assert.ok(again)
    const ok = decodeResponseFrame<ApiVersionsResponse>(apiVersionsResponseCodec, again, 3)
    assert.equal(ok.header.correlationId, 43)
    assert.equal(ok.body.errorCode, 0)
    r.destroy()
  })

  it('refuses versions it does not serve: answered per partition if the schema knows them, else closed', async () => {
    // Produce v2: advertised (for old clients' feature probes) but refused, like Kafka 4.0.
    const p = await open(port)
    p.write(produceFrame(2, 5, 'healthy-fg'))
    const pr = await p.response()
    assert.ok(pr)
    const produced = decodeResponseFrame(produceResponseCodec, pr, 2).body
    assert.equal(produced.responses[0].partitionResponses[0].errorCode, ErrorCode.UNSUPPORTED_VERSION)
    // ListOffsets v0: in the schema, below what the broker serves.
    p.write(
      encodeRequestFrame(
        listOffsetsRequestCodec,
        {
          replicaId: -1 as never,
          isolationLevel: 0,
          timeoutMs: 0,
          topics: [
            {
              name: asTopicName('healthy-fg'),
              partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }],
            },
          ],
        },
        0,
        6,
        'e2e-hostile',
      ),
    )
    const lr = await p.response()
    assert.ok(lr)
    const listed = decodeResponseFrame(listOffsetsResponseCodec, lr, 0)
    assert.equal(listed.header.correlationId, 6)
    assert.equal(listed.body.topics[0].partitions[0].errorCode, ErrorCode.UNSUPPORTED_VERSION)
    p.destroy()
    // Beyond the schema (Produce v99, Metadata v99) or an unknown api key: closed, unanswered.
    for (const [key, version] of [
      [ApiKey.Produce, 99],
      [ApiKey.Metadata, 99],
      [9999, 0],
      [-1, 0],
    ]) {
      const r = await open(port)
      r.write(frame(Buffer.concat([header(key, version, 1, true), randomBytes(32)])))
      assert.equal(await r.response(), null, `api ${key} v${version}`)
      await r.brokerCloses()
    }
    await roundTrip('after-versions')
  })

  it(`holds ${IDLE} idle connections, still serving them and everyone else, then lets them go`, async () => {
    const fdsBefore = openFds(pid)
    for (let i = 0; i < IDLE; i += 100) {
      const batch = await Promise.all(Array.from({ length: Math.min(100, IDLE - i) }, () => open(port)))
      sockets.push(...batch)
    }
    // The broker holds them all (one descriptor each; the background kcat's own connections come
    // and go, hence the small slack)...
    const held = () => openFds(pid) - fdsBefore
    const deadline = Date.now() + 30000
    while (held() < IDLE - 10 && Date.now() < deadline) await sleep(50)
    assert.ok(held() >= IDLE - 10, `broker holds ${held()} of ${IDLE}`)
    const rssWithIdle = sampleRss()
    // ...answers on any of them...
    for (let k = 0; k < 20; k++) {
      const r = sockets[Math.floor(Math.random() * sockets.length)]
      r.write(apiVersionsV3(100 + k))
      const res = await r.response()
      assert.ok(res)
      assert.equal(decodeResponseFrame(apiVersionsResponseCodec, res, 3).header.correlationId, 100 + k)
    }
    // ...and keeps serving a well-behaved client meanwhile.
    await roundTrip('with-idle')
    for (const s of sockets.splice(0)) s.destroy()
    while (openFds(pid) > fdsBefore + 20 && Date.now() < deadline + 30000) await sleep(50)
    assert.ok(openFds(pid) <= fdsBefore + 20, `descriptors released: ${openFds(pid)} vs ${fdsBefore} before`)
    // Generous: 10,000 sockets cost a Node process tens of MB; a leak per connection would show.
    assert.ok(
      rssWithIdle - rssStartKb < 512 * 1024,
      `RSS with idle connections +${rssWithIdle - rssStartKb} KiB`,
    )
    await roundTrip('after-idle')
  })

  it('kept serving kcat throughout, stayed up, and its memory stayed bounded', (t) => {
    t.diagnostic(
      `VmRSS start ${rssStartKb} KiB, peak ${peakRssKb} KiB, end ${vmRssKb(pid)} KiB; ${rounds} background round trips`,
    )
    assert.equal(loopError, null)
    assert.ok(rounds > 0, 'background round trips completed')
    assert.equal(b!.child.exitCode, null, 'broker still running')
    const end = sampleRss()
    assert.ok(peakRssKb - rssStartKb < 768 * 1024, `peak RSS +${peakRssKb - rssStartKb} KiB over the start`)
    assert.ok(end - rssStartKb < 384 * 1024, `RSS at the end +${end - rssStartKb} KiB over the start`)
  })
})
