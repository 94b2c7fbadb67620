// Fetch from the closest replica (KIP-392) through the Fetch handler and the replica manager, on a
// memory Fs with a manual clock: a partition with replicas 1,2,3 in racks r1,r2,r3, this broker
// being its leader (it names a preferred read replica) or a follower (it serves consumers that
// sent client metadata, up to its high watermark, and wakes their long polls when it moves).

import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { ManualClock } from '../../../src/common/clock.ts'
import type { Fs } from '../../../src/common/fs.ts'
import type { BrokerId, TopicName, Uuid } from '../../../src/common/ids.ts'
import { silentLogger } from '../../../src/common/logger.ts'
import { MemoryFs } from '../../../src/common/memory-fs.ts'
import {
  type BrokerRegistration,
  type MetadataImage,
  makeImage,
  makePartition,
  makeTopic,
} from '../../../src/metadata/image.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  type FetchRequest,
  type FetchResponse,
  fetchRequestCodec,
  fetchResponseCodec,
} from '../../../src/protocol/generated/messages/fetch.ts'
import { assignOffsets } from '../../../src/records/batch-header.ts'
import { ReplicaManager } from '../../../src/replication/replica-manager.ts'
import { rackAwareReplicaSelector } from '../../../src/replication/replica-selector.ts'
import { FetchSessionCache } from '../../../src/server/fetch-session.ts'
import { fetchHandler } from '../../../src/server/handlers/fetch.ts'
import { LogManager } from '../../../src/storage/log-manager.ts'
import { batch, ctx, randomUuid, recordsIn, roundTrip, tick } from './helpers.ts'

const TOPIC = 't'
const RACKS: Record<number, string> = { 1: 'r1', 2: 'r2', 3: 'r3' }

function brokers(live: readonly number[]): Map<number, BrokerRegistration> {
  const m = new Map<number, BrokerRegistration>()
  for (const id of live) {
    const e = { listenerName: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '127.0.0.1', port: 9090 + id }
    m.set(id, { id, host: e.host, port: e.port, rack: RACKS[id] ?? null, endpoints: [e] })
  }
  return m
}

interface State {
  leader: number
  leaderEpoch?: number
  isr?: number[]
  live?: number[]
}

/** A replica manager for broker `local`, hosting partition t-0 (replicas 1,2,3). */
async function startNode(local: number, o: { selector?: boolean } = {}) {
  const fs = new MemoryFs()
  const clock = new ManualClock()
  const logManager = await LogManager.start({
    fs,
    clock,
    config: { logDirs: ['/data'], cleanerEnable: false },
  })
  const rm = new ReplicaManager({
    logManager,
    fs: fs as Fs,
    clock,
    logger: silentLogger,
    localBrokerId: local,
    producerIdExpirationCheckIntervalMs: 0,
    replicaSelector: o.selector === false ? null : rackAwareReplicaSelector,
  })
  const topicId: Uuid = randomUuid()
  let version = 0
  let image: MetadataImage = makeImage({ version: 0, clusterId: 'c', controllerId: 1 })
  const fetchSessions = new FetchSessionCache({ clock })
  const node = {
    rm,
    topicId,
    services: { replicaManager: rm, fetchSessions, metadata: { image: () => image } },
    part: () => rm.partition(TOPIC, 0)!,
    async setState(s: State) {
      image = makeImage({
        version: ++version,
        clusterId: 'c',
        controllerId: 1,
        brokers: brokers(s.live ?? [1, 2, 3]),
        topics: [
          makeTopic({
            name: TOPIC as TopicName,
            topicId,
            partitions: [
              makePartition({
                partition: 0,
                leader: s.leader,
                leaderEpoch: s.leaderEpoch ?? 0,
                partitionEpoch: 0,
                replicas: [1, 2, 3],
                isr: s.isr ?? [1, 2, 3],
              }),
            ],
          }),
        ],
      })
      await rm.applyImage(image)
    },
    async stop() {
      await rm.shutdown()
      await logManager.shutdown()
    },
  }
  return node
}
type Node = Awaited<ReturnType<typeof startNode>>

interface FetchOptions {
  version?: number
  rack?: string
  replicaId?: number
  offset?: bigint
  currentLeaderEpoch?: number
  maxWaitMs?: number
  minBytes?: number
  sessionId?: number
  sessionEpoch?: number
}

function fetchRequest(n: Node, o: FetchOptions): FetchRequest {
  const v = o.version ?? 12
  return {
    ...fetchRequestCodec.defaults(v),
    replicaId: (o.replicaId ?? -1) as BrokerId,
    replicaState: { replicaId: (o.replicaId ?? -1) as BrokerId, replicaEpoch: -1n },
    maxWaitMs: o.maxWaitMs ?? 0,
    minBytes: o.minBytes ?? 1,
    maxBytes: 1 << 20,
    sessionId: o.sessionId ?? 0,
    sessionEpoch: o.sessionEpoch ?? -1,
    rackId: o.rack ?? '',
    topics: [
      {
        topic: TOPIC as TopicName,
        topicId: n.topicId,
        partitions: [
          {
            partition: 0,
            currentLeaderEpoch: o.currentLeaderEpoch ?? -1,
            fetchOffset: o.offset ?? 0n,
            lastFetchedEpoch: -1,
            logStartOffset: -1n,
            partitionMaxBytes: 1 << 20,
            replicaDirectoryId: randomUuid(),
          },
        ],
      },
    ],
  }
}

async function fetch(n: Node, o: FetchOptions = {}): Promise<FetchResponse> {
  const v = o.version ?? 12
  const res = await fetchHandler.handle(ctx(1, v), fetchRequest(n, o), n.services)
  return roundTrip(fetchResponseCodec, res!, v)
}
const only = (r: FetchResponse) => r.responses[0]!.partitions[0]!

/** Leader 1 with `n` records written and followers 2 and 3 caught up (high watermark = log end). */
async function leaderWithData(o: { selector?: boolean; isr?: number[]; live?: number[] } = {}) {
  const n = await startNode(1, o)
  await n.setState({ leader: 1, isr: o.isr, live: o.live })
  const out = await n.rm.appendRecords({
    apiVersion: 9,
    acks: 1,
    transactionalId: null,
    topics: [{ name: TOPIC, partitionData: [{ index: 0, records: batch(4) }] }],
  })
  assert.equal(out[0]!.errorCode, ErrorCode.NONE)
  for (const id of [2, 3]) await fetch(n, { replicaId: id, offset: 4n, version: 12 })
  assert.equal(n.part().highWatermark, 4n)
  return n
}

describe('Fetch at the leader: preferred read replica (KIP-392)', () => {
  const nodes: Node[] = []
  after(() => Promise.all(nodes.map((n) => n.stop())))
  const leader = async (o: Parameters<typeof leaderWithData>[0] = {}) => {
    const n = await leaderWithData(o)
    nodes.push(n)
    return n
  }

  it('sends a consumer in a follower rack to that follower: no records, the offsets, at once', async () => {
    const n = await leader()
    const p = only(await fetch(n, { rack: 'r2', maxWaitMs: 60_000, minBytes: 1 << 20 }))
    assert.equal(p.errorCode, ErrorCode.NONE)
    assert.equal(p.preferredReadReplica, 2)
    assert.equal(p.records?.length ?? 0, 0)
    assert.equal(p.highWatermark, 4n)
    assert.equal(p.lastStableOffset, 4n)
    assert.equal(p.logStartOffset, 0n)
    assert.equal(only(await fetch(n, { rack: 'r3' })).preferredReadReplica, 3)
  })

  it('serves the consumer itself when it is in the leader rack, has no rack, or no replica is in its rack', async () => {
    const n = await leader()
    for (const rack of ['r1', '', 'r9']) {
      const p = only(await fetch(n, { rack }))
      assert.equal(p.preferredReadReplica, -1, rack)
      assert.equal(recordsIn(p.records!).length, 4, rack)
    }
  })

  it('names no follower outside the ISR, not live, or without the fetch offset', async () => {
    const outside = await leader({ isr: [1, 3] })
    assert.equal(only(await fetch(outside, { rack: 'r2' })).preferredReadReplica, -1)
    const dead = await leader({ live: [1, 3] })
    assert.equal(only(await fetch(dead, { rack: 'r2' })).preferredReadReplica, -1)
    const behind = await leader()
    await behind.rm.appendRecords({
      apiVersion: 9,
      acks: 1,
      transactionalId: null,
      topics: [{ name: TOPIC, partitionData: [{ index: 0, records: batch(2) }] }],
    })
    // Follower 2 has 4 records; the consumer is past them (offset 5 is below the leader's log end 6).
    await fetch(behind, { replicaId: 3, offset: 6n })
    const p = only(await fetch(behind, { rack: 'r2', offset: 5n }))
    assert.equal(p.preferredReadReplica, -1)
    assert.equal(only(await fetch(behind, { rack: 'r3', offset: 5n })).preferredReadReplica, 3)
  })

  it('without replica.selector.class, or below Fetch v11, or for a follower, the leader serves', async () => {
    const none = await leader({ selector: false })
    assert.equal(only(await fetch(none, { rack: 'r2' })).preferredReadReplica, -1)
    assert.equal(recordsIn(only(await fetch(none, { rack: 'r2' })).records!).length, 4)
    const n = await leader()
    const v10 = only(await fetch(n, { rack: 'r2', version: 10 }))
    assert.equal(v10.errorCode, ErrorCode.NONE)
    assert.equal(recordsIn(v10.records!).length, 4)
    const follower = only(await fetch(n, { replicaId: 3, rack: 'r2', offset: 0n }))
    assert.equal(follower.preferredReadReplica, -1)
    assert.equal(recordsIn(follower.records!).length, 4)
  })

  it('fences a stale leader epoch instead of redirecting', async () => {
    const n = await startNode(1)
    nodes.push(n)
    await n.setState({ leader: 1, leaderEpoch: 5 })
    for (const id of [2, 3]) await fetch(n, { replicaId: id, offset: 0n })
    const fenced = only(await fetch(n, { rack: 'r2', currentLeaderEpoch: 4 }))
    assert.equal(fenced.errorCode, ErrorCode.FENCED_LEADER_EPOCH)
    assert.equal(fenced.preferredReadReplica, -1)
    assert.equal(only(await fetch(n, { rack: 'r2', currentLeaderEpoch: 5 })).preferredReadReplica, 2)
  })

  it('includes the redirected partition in every incremental session answer', async () => {
    const n = await leader()
    const first = await fetch(n, { rack: 'r2', sessionEpoch: 0 })
    assert.ok(first.sessionId > 0)
    assert.equal(only(first).preferredReadReplica, 2)
    const next = await fetch(n, { rack: 'r2', sessionId: first.sessionId, sessionEpoch: 1 })
    assert.equal(next.errorCode, ErrorCode.NONE)
    assert.equal(next.responses.length, 1, 'offsets unchanged, yet the redirect is sent')
    assert.equal(only(next).preferredReadReplica, 2)
  })
})

/** Broker 2 following leader 1 with `records` batches of 2 records appended, high watermark `hw`. */
async function follower(batches: number, hw: bigint, state: Partial<State> = {}) {
  const n = await startNode(2)
  await n.setState({ leader: 1, ...state })
  let next = 0n
  for (let i = 0; i < batches; i++) {
    const b = batch(2, { tag: `b${i}` })
    assignOffsets(b, 0, next, state.leaderEpoch ?? 0)
    next += 2n
    await n.part().appendAsFollower(b, hw, 0n)
  }
  return n
}

describe('Fetch at a follower (KIP-392)', () => {
  const nodes: Node[] = []
  after(() => Promise.all(nodes.map((n) => n.stop())))
  const start = async (...args: Parameters<typeof follower>) => {
    const n = await follower(...args)
    nodes.push(n)
    return n
  }

  it('serves a consumer that sent client metadata, up to its high watermark', async () => {
    const n = await start(3, 4n)
    assert.equal(n.part().log.logEndOffset, 6n)
    const p = only(await fetch(n, { rack: 'r2' }))
    assert.equal(p.errorCode, ErrorCode.NONE)
    assert.equal(p.highWatermark, 4n)
    assert.equal(p.preferredReadReplica, -1, 'a follower never redirects')
    assert.deepEqual(
      recordsIn(p.records!).map((r) => r.value),
      ['b0-0', 'b0-1', 'b1-0', 'b1-1'],
    )
    // Between the high watermark and the log end: nothing yet, no error. Past the log end: out of range.
    const at = only(await fetch(n, { offset: 4n }))
    assert.equal(at.errorCode, ErrorCode.NONE)
    assert.equal(at.records?.length ?? 0, 0)
    assert.equal(only(await fetch(n, { offset: 7n })).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE)
  })

  it('refuses consumers without client metadata (below v11) and other followers', async () => {
    const n = await start(1, 2n)
    assert.equal(only(await fetch(n, { version: 10 })).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER)
    assert.equal(only(await fetch(n, { replicaId: 3 })).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER)
    assert.equal(only(await fetch(n, { version: 11 })).errorCode, ErrorCode.NONE)
  })

  it('checks the leader epoch first: FENCED_LEADER_EPOCH for an older one, UNKNOWN_LEADER_EPOCH for a newer', async () => {
    const n = await start(1, 2n, { leaderEpoch: 3 })
    assert.equal(only(await fetch(n, { currentLeaderEpoch: 2 })).errorCode, ErrorCode.FENCED_LEADER_EPOCH)
    assert.equal(only(await fetch(n, { currentLeaderEpoch: 4 })).errorCode, ErrorCode.UNKNOWN_LEADER_EPOCH)
    assert.equal(only(await fetch(n, { currentLeaderEpoch: 3 })).errorCode, ErrorCode.NONE)
    // The same order below v11: a stale epoch is fenced before leadership is looked at.
    assert.equal(
      only(await fetch(n, { version: 10, currentLeaderEpoch: 2 })).errorCode,
      ErrorCode.FENCED_LEADER_EPOCH,
    )
  })

  it("wakes a consumer's long poll when the leader's high watermark reaches it", async () => {
    const n = await start(2, 2n)
    let settled: FetchResponse | null = null
    const pending = fetch(n, { offset: 2n, maxWaitMs: 60_000 }).then((r) => {
      settled = r
      return r
    })
    for (let i = 0; i < 5; i++) await tick()
    assert.equal(settled, null, 'offset 2 is at the high watermark: waits')
    // A follower fetch that brings no records, only the leader's new high watermark.
    await n.part().appendAsFollower(Buffer.alloc(0), 4n, 0n)
    const p = only(await pending)
    assert.deepEqual(
      recordsIn(p.records!).map((r) => r.offset),
      [2n, 3n],
    )
  })
})
