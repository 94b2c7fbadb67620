// BrokerClient against a small node:net server that decodes requests with the generated codecs
// (header versions included) and answers as each test scripts it, plus one ApiVersions round trip
// to a real Samsa broker started in-process.

import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type RunningBroker, startBroker } from '../../../src/broker/broker.ts'
import { BrokerClient, BrokerClientError, type RequestSpec } from '../../../src/client/broker-client.ts'
import { EncodeError } from '../../../src/common/errors.ts'
import type { BrokerId } from '../../../src/common/ids.ts'
import { silentLogger } from '../../../src/common/logger.ts'
import type { MessageCodec } from '../../../src/protocol/codec.ts'
import {
  decodeRequestBody,
  decodeRequestFrame,
  encodeResponseFrame,
  type RequestFrame,
} from '../../../src/protocol/frame.ts'
import { FrameReader } from '../../../src/protocol/frame-reader.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  type ApiVersionsRequest,
  type ApiVersionsResponse,
  apiVersionsRequestCodec,
  apiVersionsResponseCodec,
} from '../../../src/protocol/generated/messages/api-versions.ts'
import {
  type ControlledShutdownRequest,
  type ControlledShutdownResponse,
  controlledShutdownRequestCodec,
  controlledShutdownResponseCodec,
} from '../../../src/protocol/generated/messages/controlled-shutdown.ts'
import {
  type ElectLeadersRequest,
  type ElectLeadersResponse,
  electLeadersRequestCodec,
  electLeadersResponseCodec,
} from '../../../src/protocol/generated/messages/elect-leaders.ts'
import {
  type UpdateMetadataRequest,
  type UpdateMetadataResponse,
  updateMetadataRequestCodec,
  updateMetadataResponseCodec,
} from '../../../src/protocol/generated/messages/update-metadata.ts'

function spec<Req, Res>(request: MessageCodec<Req>, response: MessageCodec<Res>, version: number) {
  return { apiKey: request.apiKey, version, request, response } satisfies RequestSpec<Req, Res>
}
const apiVersions = (v: number): RequestSpec<ApiVersionsRequest, ApiVersionsResponse> =>
  spec(apiVersionsRequestCodec, apiVersionsResponseCodec, v)
const updateMetadata = (v: number): RequestSpec<UpdateMetadataRequest, UpdateMetadataResponse> =>
  spec(updateMetadataRequestCodec, updateMetadataResponseCodec, v)

/** A request as the test server saw it, and how to answer it. */
interface Received {
  readonly frame: RequestFrame
  readonly body: unknown
  readonly socket: Socket
  respond<T>(codec: MessageCodec<T>, msg: T, correlationId?: number): void
}

interface TestServer {
  readonly port: number
  /** Connections accepted so far. */
  connections: number
  readonly received: Received[]
  close(): Promise<void>
}

async function testServer(onRequest: (r: Received) => void): Promise<TestServer> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    t.connections++
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    const frames = new FrameReader()
    socket.on('data', (chunk: Buffer) => {
      for (const buf of frames.push(chunk)) {
        const frame = decodeRequestFrame(buf)
        const r: Received = {
          frame,
          body: decodeRequestBody(frame),
          socket,
          respond(codec, msg, correlationId = frame.correlationId) {
            if (!socket.destroyed)
              socket.write(encodeResponseFrame(codec, msg, frame.apiVersion, correlationId))
          },
        }
        t.received.push(r)
        onRequest(r)
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  assert.ok(address !== null && typeof address === 'object')
  const t: TestServer = {
    port: address.port,
    connections: 0,
    received: [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
  return t
}

/** Runs `fn` with a server and a client to it; both are closed whatever happens. */
async function withClient(
  onRequest: (r: Received) => void,
  fn: (client: BrokerClient, server: TestServer) => Promise<void>,
  opts: { requestTimeoutMs?: number } = {},
): Promise<void> {
  const server = await testServer(onRequest)
  const client = new BrokerClient({ host: '127.0.0.1', port: server.port, clientId: 'controller-1', ...opts })
  try {
    await fn(client, server)
  } finally {
    client.close()
    await server.close()
  }
}

/** Answers UpdateMetadata with errorCode = the request's controllerEpoch (to tell answers apart). */
function echoEpoch(r: Received): void {
  const req = r.body as UpdateMetadataRequest
  r.respond(updateMetadataResponseCodec, { errorCode: req.controllerEpoch })
}

function umRequest(version: number, controllerEpoch: number): UpdateMetadataRequest {
  return { ...updateMetadataRequestCodec.defaults(version), controllerId: 1 as BrokerId, controllerEpoch }
}

async function rejectsWith(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof BrokerClientError, `expected a BrokerClientError, got ${e}`)
    assert.equal(e.code, code, e.message)
    if (message) assert.match(e.message, message)
    return true
  })
}

describe('BrokerClient', () => {
  it('sends ApiVersions v0 (header v1) and v3 (flexible: request header v2, response header v0)', async () => {
    await withClient(
      (r) =>
        r.respond(apiVersionsResponseCodec, {
          ...apiVersionsResponseCodec.defaults(r.frame.apiVersion),
          apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }],
        }),
      async (client, server) => {
        assert.equal(client.connected, false)
        const v0 = await client.send(apiVersions(0), apiVersionsRequestCodec.defaults(0))
        assert.deepEqual(v0.apiKeys, [{ apiKey: 18, minVersion: 0, maxVersion: 4 }])
        assert.equal(client.connected, true)
        const body = { clientSoftwareName: 'samsa', clientSoftwareVersion: '1.0' }
        const v3 = await client.send(apiVersions(3), body)
        assert.equal(v3.errorCode, ErrorCode.NONE)
        assert.deepEqual(v3.apiKeys, [{ apiKey: 18, minVersion: 0, maxVersion: 4 }])
        const [a, b] = server.received
        assert.deepEqual(
          [a.frame.headerVersion, a.frame.apiVersion, a.frame.clientId],
          [1, 0, 'controller-1'],
        )
        assert.deepEqual(
          [b.frame.headerVersion, b.frame.apiVersion, b.frame.clientId],
          [2, 3, 'controller-1'],
        )
        assert.deepEqual(b.body, body)
        assert.notEqual(a.frame.correlationId, b.frame.correlationId)
        assert.equal(server.connections, 1)
      },
    )
  })

  it('sends UpdateMetadata at a non-flexible (v5) and a flexible (v8) version', async () => {
    await withClient(
      (r) => r.respond(updateMetadataResponseCodec, { errorCode: ErrorCode.STALE_CONTROLLER_EPOCH }),
      async (client, server) => {
        for (const v of [5, 8]) {
          const req: UpdateMetadataRequest = {
            ...umRequest(v, 4),
            brokerEpoch: 77n,
            topicStates: [
              {
                topicName: 't' as never,
                topicId: 'AAAAAAAAAAAAAAAAAAAAAA' as never,
                partitionStates: [
                  {
                    topicName: '' as never,
                    partitionIndex: 2,
                    controllerEpoch: 4,
                    leader: 1 as BrokerId,
                    leaderEpoch: 3,
                    isr: [1 as BrokerId],
                    zkVersion: 5,
                    replicas: [1 as BrokerId],
                    offlineReplicas: [],
                  },
                ],
              },
            ],
            liveBrokers: [
              {
                id: 1 as BrokerId,
                v0Host: '',
                v0Port: 0,
                endpoints: [{ host: 'h1', port: 9092, listener: 'PLAINTEXT', securityProtocol: 0 }],
                rack: null,
              },
            ],
          }
          const res = await client.send(updateMetadata(v), req)
          assert.equal(res.errorCode, ErrorCode.STALE_CONTROLLER_EPOCH)
          const got = server.received.at(-1)!
          assert.equal(got.frame.headerVersion, v >= 6 ? 2 : 1)
          assert.deepEqual(got.body, req)
        }
      },
    )
  })

  it('sends ControlledShutdown v0 with request header v0 (no client id)', async () => {
    await withClient(
      (r) =>
        r.respond(controlledShutdownResponseCodec, {
          errorCode: ErrorCode.NONE,
          remainingPartitions: [{ topicName: 't' as never, partitionIndex: 1 }],
        }),
      async (client, server) => {
        const s: RequestSpec<ControlledShutdownRequest, ControlledShutdownResponse> = spec(
          controlledShutdownRequestCodec,
          controlledShutdownResponseCodec,
          0,
        )
        const res = await client.send(s, { brokerId: 3 as BrokerId, brokerEpoch: -1n })
        assert.deepEqual(res.remainingPartitions, [{ topicName: 't', partitionIndex: 1 }])
        assert.equal(server.received[0].frame.headerVersion, 0)
        assert.equal((server.received[0].body as ControlledShutdownRequest).brokerId, 3)
      },
    )
  })

  it('pipelines many requests on one connection and resolves each with its own response', async () => {
    const N = 50
    const held: Received[] = []
    await withClient(
      (r) => {
        // Answer nothing until all N are in flight, then in reverse order: matched by id.
        held.push(r)
        if (held.length === N) for (const h of held.reverse()) echoEpoch(h)
      },
      async (client, server) => {
        const sends = Array.from({ length: N }, (_, i) =>
          client.send(updateMetadata(i % 2 ? 8 : 5), umRequest(i % 2 ? 8 : 5, i)),
        )
        const results = await Promise.all(sends)
        assert.deepEqual(
          results.map((r) => r.errorCode),
          Array.from({ length: N }, (_, i) => i),
        )
        assert.equal(server.connections, 1)
        assert.equal(new Set(server.received.map((r) => r.frame.correlationId)).size, N)
      },
    )
  })

  it('refuses a connection that cannot be made with CONNECT', async () => {
    const server = await testServer(() => {})
    const port = server.port
    await server.close()
    const client = new BrokerClient({ host: '127.0.0.1', port, clientId: 'c' })
    try {
      await rejectsWith(
        client.send(apiVersions(0), apiVersionsRequestCodec.defaults(0)),
        'CONNECT',
        new RegExp(`127.0.0.1:${port}`),
      )
      assert.equal(client.connected, false)
    } finally {
      client.close()
    }
  })

  it('rejects every pending send with DISCONNECTED when the server closes mid-request', async () => {
    let seen = 0
    await withClient(
      (r) => {
        if (++seen === 2) r.socket.destroy()
      },
      async (client) => {
        const a = client.send(updateMetadata(5), umRequest(5, 1))
        const b = client.send(updateMetadata(5), umRequest(5, 2))
        await rejectsWith(a, 'DISCONNECTED', /closed the connection/)
        await rejectsWith(b, 'DISCONNECTED')
        assert.equal(client.connected, false)
      },
    )
  })

  it('times out with TIMEOUT, drops the connection and fails the others with DISCONNECTED', async () => {
    await withClient(
      () => {},
      async (client, server) => {
        const slow = client.send(updateMetadata(8), umRequest(8, 1), 50)
        const other = client.send(updateMetadata(8), umRequest(8, 2), 5000)
        await rejectsWith(slow, 'TIMEOUT', /UpdateMetadataRequest v8 .* timed out after 50 ms/)
        await rejectsWith(other, 'DISCONNECTED', /timed out/)
        assert.equal(client.connected, false)
        assert.equal(server.received.length, 2)
      },
      { requestTimeoutMs: 5000 },
    )
  })

  it('uses requestTimeoutMs when send is given no timeout', async () => {
    await withClient(
      () => {},
      async (client) => {
        await rejectsWith(client.send(updateMetadata(5), umRequest(5, 1)), 'TIMEOUT', /after 40 ms/)
      },
      { requestTimeoutMs: 40 },
    )
  })

  it('drops the connection on a response whose correlation id no send waits for', async () => {
    await withClient(
      (r) => r.respond(updateMetadataResponseCodec, { errorCode: 0 }, r.frame.correlationId + 1000),
      async (client) => {
        await rejectsWith(client.send(updateMetadata(5), umRequest(5, 1)), 'DISCONNECTED', /correlation id/)
        assert.equal(client.connected, false)
      },
    )
  })

  it('opens a new connection on the next send after a break', async () => {
    let n = 0
    await withClient(
      (r) => {
        if (++n === 1) r.socket.destroy()
        else echoEpoch(r)
      },
      async (client, server) => {
        await rejectsWith(client.send(updateMetadata(5), umRequest(5, 1)), 'DISCONNECTED')
        assert.equal(client.connected, false)
        const res = await client.send(updateMetadata(5), umRequest(5, 9))
        assert.equal(res.errorCode, 9)
        assert.equal(client.connected, true)
        assert.equal(server.connections, 2)
      },
    )
  })

  it('rejects pending and later sends with CLOSED after close()', async () => {
    await withClient(
      () => {},
      async (client) => {
        const pending = client.send(updateMetadata(5), umRequest(5, 1))
        client.close()
        await rejectsWith(pending, 'CLOSED')
        await rejectsWith(client.send(updateMetadata(5), umRequest(5, 2)), 'CLOSED')
        assert.equal(client.connected, false)
      },
    )
  })

  it('rejects a request that does not encode without touching the connection', async () => {
    await withClient(
      () => {},
      async (client, server) => {
        const s: RequestSpec<ElectLeadersRequest, ElectLeadersResponse> = spec(
          electLeadersRequestCodec,
          electLeadersResponseCodec,
          0,
        )
        await assert.rejects(
          client.send(s, { electionType: 1, topicPartitions: null, timeoutMs: 1000 }),
          EncodeError,
        )
        assert.equal(server.connections, 0)
      },
    )
  })
})

describe('BrokerClient against a real Samsa broker', () => {
  let dir = ''
  let broker: RunningBroker | null = null
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'samsa-broker-client-'))
    broker = await startBroker({ port: 0, host: '127.0.0.1', logDirs: [dir], logger: silentLogger })
  })
  after(async () => {
    await broker?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('gets ApiVersions v3 listing the APIs the broker serves', async () => {
    assert.ok(broker)
    const client = new BrokerClient({ host: broker.host, port: broker.port, clientId: 'samsa-test' })
    try {
      const res = await client.send(apiVersions(3), {
        clientSoftwareName: 'samsa-test',
        clientSoftwareVersion: '0',
      })
      assert.equal(res.errorCode, ErrorCode.NONE)
      const keys = new Map(res.apiKeys.map((k) => [k.apiKey, k]))
      assert.ok(keys.get(18)!.maxVersion >= 3, 'ApiVersions v3 is served')
      assert.ok(keys.has(0) && keys.has(1) && keys.has(3), 'Produce, Fetch and Metadata are listed')
    } finally {
      client.close()
    }
  })
})
