// The AlterPartition sender: pending changes batched into one request, one request in flight, one
// pending change per partition (OPERATION_NOT_ATTEMPTED otherwise), resends to a freshly looked-up
// controller after NOT_CONTROLLER or a connection failure, top-level errors retried with the current
// broker epoch, per-partition answers to each submitter. A fake `send` (requests round-tripped
// through the codec at the version chosen) and a manual clock make it deterministic; the last test
// goes over real sockets to the real handler and ZkController on the in-memory ZooKeeper.

import assert from 'node:assert/strict'
import { createServer, type Server, type Socket } from 'node:net'
import { afterEach, describe, it } from 'node:test'
import { BrokerClientError } from '../../../src/client/broker-client.ts'
import { ManualClock, settle, systemClock } from '../../../src/common/clock.ts'
import type { BrokerId, Uuid } from '../../../src/common/ids.ts'
import { ZERO_UUID } from '../../../src/common/ids.ts'
import { silentLogger } from '../../../src/common/logger.ts'
import { decodeMessage, encodeMessage } from '../../../src/protocol/codec.ts'
import { decodeRequestBody, decodeRequestFrame, encodeResponseFrame } from '../../../src/protocol/frame.ts'
import { FrameReader } from '../../../src/protocol/frame-reader.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  type AlterPartitionRequest,
  type AlterPartitionResponse,
  alterPartitionRequestCodec,
  alterPartitionResponseCodec,
} from '../../../src/protocol/generated/messages/alter-partition.ts'
import {
  type AlterPartitionItem,
  AlterPartitionManager,
  type AlterPartitionOutcome,
  type ControllerEndpoint,
} from '../../../src/replication/alter-partition-manager.ts'
import {
  type AlterPartitionServices,
  alterPartitionHandler,
} from '../../../src/server/handlers/alter-partition.ts'
import { Cluster } from '../controller/harness.ts'
import { ctx } from '../server/admin-fixtures.ts'

const ID_T = 'AAAAAAAAAAAAAAAAAAAAAQ' as Uuid
const ID_U = 'AAAAAAAAAAAAAAAAAAAAAg' as Uuid
const C1: ControllerEndpoint = { id: 1, host: 'c1', port: 1 }
const C2: ControllerEndpoint = { id: 2, host: 'c2', port: 2 }

interface Call {
  target: ControllerEndpoint
  version: number
  request: AlterPartitionRequest
  answer: (r: AlterPartitionResponse | Error) => void
}

/** A manager over a fake send whose calls wait until the test answers them. */
function rig(o: { controller?: () => ControllerEndpoint | null; brokerEpoch?: () => bigint } = {}) {
  const clock = new ManualClock()
  const calls: Call[] = []
  const m = new AlterPartitionManager({
    brokerId: 1,
    brokerEpoch: o.brokerEpoch ?? (() => 500n),
    controller: o.controller ?? (() => C1),
    clock,
    logger: silentLogger,
    retryBackoffMs: 100,
    send: (target, request, version) =>
      new Promise((resolve, reject) => {
        const wire = decodeMessage(
          alterPartitionRequestCodec,
          encodeMessage(alterPartitionRequestCodec, request, version),
          version,
        )
        calls.push({
          target,
          version,
          request: wire,
          answer: (r) => (r instanceof Error ? reject(r) : resolve(r)),
        })
      }),
  })
  return { m, clock, calls }
}

const item = (
  topic: string,
  partition: number,
  newIsr: number[],
  extra: Partial<AlterPartitionItem> = {},
) => ({
  topic,
  topicId: topic === 't' ? ID_T : ID_U,
  partition,
  leaderEpoch: 3,
  partitionEpoch: 7,
  newIsr,
  ...extra,
})

const okPart = (partitionIndex: number, isr: number[], partitionEpoch = 8) => ({
  partitionIndex,
  errorCode: ErrorCode.NONE as number,
  leaderId: 1 as BrokerId,
  leaderEpoch: 3,
  isr: isr as BrokerId[],
  leaderRecoveryState: 0,
  partitionEpoch,
})
const errPart = (partitionIndex: number, errorCode: number) => ({
  ...okPart(partitionIndex, [], 0),
  errorCode,
  leaderId: 0 as BrokerId,
  leaderEpoch: 0,
})
const response = (
  topics: { topicId?: Uuid; topicName?: string; partitions: ReturnType<typeof okPart>[] }[],
  errorCode: number = ErrorCode.NONE,
): AlterPartitionResponse => ({
  throttleTimeMs: 0,
  errorCode,
  topics: topics.map((t) => ({
    topicId: t.topicId ?? ZERO_UUID,
    topicName: (t.topicName ?? '') as never,
    partitions: t.partitions,
  })),
})

/** The outcome once settled, or 'pending'. */
async function peek(p: Promise<AlterPartitionOutcome>): Promise<AlterPartitionOutcome | 'pending'> {
  return Promise.race([p, settle(3).then(() => 'pending' as const)])
}

describe('AlterPartitionManager', () => {
  it('batches what is pending into one request, with one request in flight', async () => {
    const { m, calls } = rig()
    const a = m.submit(item('t', 0, [1, 2], { newIsrEpochs: [500n, 600n] }))
    await settle()
    assert.equal(calls.length, 1)
    assert.equal(calls[0]!.version, 3)
    assert.equal(calls[0]!.target, C1)
    assert.deepEqual(calls[0]!.request, {
      brokerId: 1,
      brokerEpoch: 500n,
      topics: [
        {
          topicName: '',
          topicId: ID_T,
          partitions: [
            {
              partitionIndex: 0,
              leaderEpoch: 3,
              newIsr: [],
              newIsrWithEpochs: [
                { brokerId: 1, brokerEpoch: 500n },
                { brokerId: 2, brokerEpoch: 600n },
              ],
              leaderRecoveryState: 0,
              partitionEpoch: 7,
            },
          ],
        },
      ],
    })
    // Two more while the first is in flight: nothing is sent until it is answered.
    const b = m.submit(item('t', 1, [1, 3]))
    const c = m.submit(item('u', 0, [1]))
    await settle()
    assert.equal(calls.length, 1)
    assert.equal(m.pendingCount, 3)
    calls[0]!.answer(response([{ topicId: ID_T, partitions: [okPart(0, [1, 2])] }]))
    assert.deepEqual(await a, {
      errorCode: ErrorCode.NONE,
      leaderId: 1,
      leaderEpoch: 3,
      isr: [1, 2],
      partitionEpoch: 8,
      leaderRecoveryState: 0,
    })
    await settle()
    assert.equal(calls.length, 2, 'the next request goes as soon as the answer is in')
    const second = calls[1]!.request
    assert.deepEqual(
      second.topics.map((t) => [
        t.topicId,
        t.partitions.map((p) => [
          p.partitionIndex,
          p.newIsrWithEpochs.map((s) => [s.brokerId, s.brokerEpoch]),
        ]),
      ]),
      [
        [
          ID_T,
          [
            [
              1,
              [
                [1, -1n],
                [3, -1n],
              ],
            ],
          ],
        ],
        [ID_U, [[0, [[1, -1n]]]]],
      ],
    )
    calls[1]!.answer(
      response([
        { topicId: ID_T, partitions: [okPart(1, [1, 3], 9)] },
        { topicId: ID_U, partitions: [okPart(0, [1], 4)] },
      ]),
    )
    assert.equal((await b).partitionEpoch, 9)
    assert.deepEqual((await c).isr, [1])
    assert.equal(m.pendingCount, 0)
  })

  it('a second change for a pending partition is not attempted; once answered, a new one is', async () => {
    const { m, calls } = rig()
    const first = m.submit(item('t', 0, [1, 2]))
    const dup = await m.submit(item('t', 0, [1]))
    assert.equal(dup.errorCode, ErrorCode.OPERATION_NOT_ATTEMPTED)
    await settle()
    assert.equal(calls.length, 1)
    assert.equal(calls[0]!.request.topics[0]!.partitions.length, 1)
    calls[0]!.answer(response([{ topicId: ID_T, partitions: [okPart(0, [1, 2])] }]))
    assert.equal((await first).errorCode, ErrorCode.NONE)
    const again = m.submit(item('t', 0, [1]))
    await settle()
    assert.equal(calls.length, 2)
    calls[1]!.answer(
      response([{ topicId: ID_T, partitions: [errPart(0, ErrorCode.INVALID_UPDATE_VERSION)] }]),
    )
    assert.equal((await again).errorCode, ErrorCode.INVALID_UPDATE_VERSION)
  })

  it('NOT_CONTROLLER (top level or in a partition) and connection failures: resent to the controller looked up again', async () => {
    let controller: ControllerEndpoint | null = C1
    const { m, clock, calls } = rig({ controller: () => controller })
    const p = m.submit(item('t', 0, [1, 2]))
    await settle()
    controller = C2
    calls[0]!.answer(response([], ErrorCode.NOT_CONTROLLER))
    await settle()
    assert.equal(calls.length, 1, 'waits the back-off first')
    clock.advance(99)
    await settle()
    assert.equal(calls.length, 1)
    clock.advance(1)
    await settle()
    assert.equal(calls.length, 2)
    assert.equal(calls[1]!.target, C2)
    assert.deepEqual(calls[1]!.request, calls[0]!.request, 'the same request again')
    // A partition-level NOT_CONTROLLER (the controller is behind) is resent too.
    calls[1]!.answer(response([{ topicId: ID_T, partitions: [errPart(0, ErrorCode.NOT_CONTROLLER)] }]))
    controller = null
    await settle()
    clock.advance(100)
    await settle()
    assert.equal(calls.length, 2, 'no controller known: nothing sent')
    controller = C1
    clock.advance(100)
    await settle()
    assert.equal(calls.length, 3)
    assert.equal(calls[2]!.target, C1)
    // The connection fails: again after the back-off, to whoever is controller then.
    controller = C2
    calls[2]!.answer(new BrokerClientError('CONNECT', 'connection refused'))
    await settle()
    clock.advance(100)
    await settle()
    assert.equal(calls.length, 4)
    assert.equal(calls[3]!.target, C2)
    calls[3]!.answer(new BrokerClientError('TIMEOUT', 'no answer'))
    await settle()
    clock.advance(100)
    await settle()
    assert.equal(await peek(p), 'pending')
    calls[4]!.answer(response([{ topicId: ID_T, partitions: [okPart(0, [1, 2])] }]))
    assert.equal((await p).errorCode, ErrorCode.NONE)
    assert.equal(calls.length, 5)
  })

  it('per-partition answers go to each submitter; a partition left out is sent again', async () => {
    const { m, calls } = rig()
    const a = m.submit(item('t', 0, [1, 2]))
    await settle()
    calls[0]!.answer(response([])) // hold the next batch until a, b, c are all queued
    await settle()
    assert.equal(calls.length, 2)
    const b = m.submit(item('t', 1, [1]))
    const c = m.submit(item('u', 2, [1, 2, 3]))
    await settle()
    calls[1]!.answer(response([{ topicId: ID_T, partitions: [okPart(0, [1, 2])] }]))
    assert.equal((await a).errorCode, ErrorCode.NONE)
    await settle()
    assert.equal(calls.length, 3)
    calls[2]!.answer(
      response([
        { topicId: ID_T, partitions: [errPart(1, ErrorCode.FENCED_LEADER_EPOCH)] },
        { topicId: ID_U, partitions: [errPart(2, ErrorCode.INELIGIBLE_REPLICA)] },
      ]),
    )
    assert.deepEqual(await b, {
      errorCode: ErrorCode.FENCED_LEADER_EPOCH,
      leaderId: -1,
      leaderEpoch: -1,
      isr: [],
      partitionEpoch: -1,
      leaderRecoveryState: 0,
    })
    assert.equal((await c).errorCode, ErrorCode.INELIGIBLE_REPLICA)
    assert.equal(m.pendingCount, 0)
  })

  it('a top-level error keeps everything pending and resends after the back-off with the current broker epoch', async () => {
    let epoch = 500n
    const { m, clock, calls } = rig({ brokerEpoch: () => epoch })
    const p = m.submit(item('t', 0, [1, 2]))
    await settle()
    assert.equal(calls[0]!.request.brokerEpoch, 500n)
    epoch = 900n // re-registered
    calls[0]!.answer(response([], ErrorCode.STALE_BROKER_EPOCH))
    await settle()
    assert.equal(await peek(p), 'pending')
    clock.advance(100)
    await settle()
    assert.equal(calls.length, 2)
    assert.equal(calls[1]!.request.brokerEpoch, 900n)
    calls[1]!.answer(response([{ topicId: ID_T, partitions: [okPart(0, [1, 2])] }]))
    assert.equal((await p).errorCode, ErrorCode.NONE)
  })

  it('a topic without an id: v1, topics by name, answers matched by name', async () => {
    const { m, calls } = rig()
    const p = m.submit(item('legacy', 4, [1, 2], { topicId: ZERO_UUID, leaderRecoveryState: 1 }))
    await settle()
    assert.equal(calls[0]!.version, 1)
    assert.deepEqual(calls[0]!.request.topics, [
      {
        topicName: 'legacy',
        topicId: ZERO_UUID,
        partitions: [
          {
            partitionIndex: 4,
            leaderEpoch: 3,
            newIsr: [1, 2],
            newIsrWithEpochs: [],
            leaderRecoveryState: 1,
            partitionEpoch: 7,
          },
        ],
      },
    ])
    calls[0]!.answer(response([{ topicName: 'legacy', partitions: [okPart(4, [1, 2])] }]))
    assert.deepEqual((await p).isr, [1, 2])
  })

  it('shutdown stops sending and leaves no timer behind', async () => {
    const { m, clock, calls } = rig()
    const p = m.submit(item('t', 0, [1, 2]))
    await settle()
    calls[0]!.answer(new BrokerClientError('CONNECT', 'refused'))
    await settle()
    assert.equal(clock.pending(), 1)
    m.shutdown()
    assert.equal(clock.pending(), 0)
    clock.advance(1000)
    await settle()
    assert.equal(calls.length, 1)
    assert.equal(await peek(p), 'pending')
  })
})

describe('AlterPartitionManager over the wire', () => {
  const cleanup: (() => Promise<void> | void)[] = []
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f()
  })

  /** A socket server running the AlterPartition handler over `alterPartition`. */
  async function serve(cluster: AlterPartitionServices['cluster']): Promise<number> {
    const server: Server = createServer()
    const sockets = new Set<Socket>()
    server.on('connection', (sock) => {
      sockets.add(sock)
      sock.on('close', () => sockets.delete(sock))
      const frames = new FrameReader()
      sock.on('data', (chunk: Buffer) => {
        for (const f of frames.push(chunk)) {
          const frame = decodeRequestFrame(f)
          const body = decodeRequestBody<AlterPartitionRequest>(frame)
          void Promise.resolve(
            alterPartitionHandler.handle(ctx(56, frame.apiVersion), body, { cluster }),
          ).then((res) => {
            if (!sock.destroyed)
              sock.write(
                encodeResponseFrame(alterPartitionResponseCodec, res!, frame.apiVersion, frame.correlationId),
              )
          })
        }
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    cleanup.push(
      () =>
        new Promise<void>((r) => {
          for (const s of sockets) s.destroy()
          server.close(() => r())
        }),
    )
    return (server.address() as { port: number }).port
  }

  it('reaches the active controller after a deposed one and a dead address; the znode gets the new ISR', async () => {
    const c = new Cluster()
    cleanup.push(() => c.close())
    await c.init()
    for (const id of [1, 2, 3]) await c.startBroker(id)
    const k1 = await c.startController(1)
    const k2 = await c.startController(2)
    await c.createTopic('t', { 0: [1, 2, 3] }, ID_T)
    // Broker 2 forwards to its controller, which is not active: NOT_CONTROLLER (as cluster-role does).
    const notActive = await serve({ alterPartition: (i) => k2.alterPartition(i) })
    const active = await serve({ alterPartition: (i) => k1.alterPartition(i) })
    // A port nobody listens on: a closed server's.
    const dead = await serve({ alterPartition: async () => ({ errorCode: 0, topics: [] }) })
    await cleanup.pop()!()
    const lookups = [
      { id: 2, host: '127.0.0.1', port: notActive },
      { id: 3, host: '127.0.0.1', port: dead },
      { id: 1, host: '127.0.0.1', port: active },
    ]
    let n = 0
    const m = new AlterPartitionManager({
      brokerId: 1,
      brokerEpoch: () => epoch1,
      controller: () => lookups[Math.min(n++, lookups.length - 1)]!,
      clock: systemClock,
      logger: silentLogger,
      retryBackoffMs: 5,
      requestTimeoutMs: 5000,
    })
    cleanup.push(() => m.shutdown())
    const epoch1 = await c.brokerEpoch(1)
    const out = await m.submit({
      topic: 't',
      topicId: ID_T,
      partition: 0,
      leaderEpoch: 0,
      partitionEpoch: 0,
      newIsr: [1, 2],
    })
    assert.deepEqual(out, {
      errorCode: ErrorCode.NONE,
      leaderId: 1,
      leaderEpoch: 0,
      isr: [1, 2],
      partitionEpoch: 1,
      leaderRecoveryState: 0,
    })
    assert.ok(n >= 3, 'went through all three lookups')
    await c.settleAll()
    assert.deepEqual((await c.state('t', 0))!.isr, [1, 2])
  })
})
