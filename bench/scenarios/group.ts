// A classic consumer group over the wire client: `members` consumers join one group on a topic of
// `partitions` partitions (FindCoordinator, JoinGroup with the member-id round trip, the leader's
// range assignment in SyncGroup, heartbeats every second), then each fetches its partitions from
// offset 0 (wrapping at the end of the data). Reports the time from the first JoinGroup to the last
// member holding its assignment (the broker's group.initial.rebalance.delay.ms, 3 s by default like
// Kafka, is part of it) and the group's consume rate over the measured window.

import type { GroupId, TopicName, Uuid } from '../../src/common/ids.ts'
import { ZERO_UUID } from '../../src/common/ids.ts'
import { encodeMessage } from '../../src/protocol/codec.ts'
import { decodeResponseFrame, encodeRequestFrame } from '../../src/protocol/frame.ts'
import {
  type FetchRequest,
  fetchRequestCodec,
  fetchResponseCodec,
} from '../../src/protocol/generated/messages/fetch.ts'
import {
  findCoordinatorRequestCodec,
  findCoordinatorResponseCodec,
} from '../../src/protocol/generated/messages/find-coordinator.ts'
import {
  heartbeatRequestCodec,
  heartbeatResponseCodec,
} from '../../src/protocol/generated/messages/heartbeat.ts'
import {
  joinGroupRequestCodec,
  joinGroupResponseCodec,
} from '../../src/protocol/generated/messages/join-group.ts'
import {
  syncGroupRequestCodec,
  syncGroupResponseCodec,
} from '../../src/protocol/generated/messages/sync-group.ts'
import { consumerProtocolAssignmentCodec } from '../../src/protocol/generated/records/consumer-protocol-assignment.ts'
import { consumerProtocolSubscriptionCodec } from '../../src/protocol/generated/records/consumer-protocol-subscription.ts'
import { Reader } from '../../src/protocol/primitives/reader.ts'
import { BatchOffsets } from '../../src/records/batch-header.ts'
import { FETCH_VERSION, OFFSET_OUT_OF_RANGE, type Target } from './load.ts'
import { CLIENT_ID, earliestOffset, WireConnection } from './wire.ts'

const MEMBER_ID_REQUIRED = 79
const COORDINATOR_LOADING = new Set([14, 15]) // COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE

export interface GroupLoad {
  topic: string
  partitions: number
  members: number
  group: string
  warmupMs: number
  durationMs: number
}

export interface GroupResult {
  rebalanceMs: number
  mbPerSec: number
  msgsPerSec: number
}

/** Embedded consumer-protocol bytes: int16 version, then the schema body. */
function versioned<T>(codec: Parameters<typeof encodeMessage<T>>[0], msg: T): Buffer {
  const body = encodeMessage(codec, msg, 0)
  const out = Buffer.allocUnsafe(2 + body.length)
  out.writeInt16BE(0, 0)
  body.copy(out, 2)
  return out
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface Member {
  conn: WireConnection
  memberId: string
  generationId: number
  partitions: number[]
}

async function findCoordinator(c: WireConnection, group: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const res = await c.request(
      findCoordinatorRequestCodec,
      findCoordinatorResponseCodec,
      { ...findCoordinatorRequestCodec.defaults(4), keyType: 0, coordinatorKeys: [group] },
      4,
    )
    const code = res.coordinators[0]?.errorCode ?? -1
    if (code === 0) return
    if (!COORDINATOR_LOADING.has(code)) throw new Error(`FindCoordinator: error ${code}`)
    await sleep(100)
  }
  throw new Error('FindCoordinator: coordinator not available')
}

async function join(target: Target, load: GroupLoad): Promise<Member> {
  const conn = await WireConnection.open(target.host, target.port)
  await findCoordinator(conn, load.group)
  const metadata = versioned(consumerProtocolSubscriptionCodec, {
    ...consumerProtocolSubscriptionCodec.defaults(0),
    topics: [load.topic],
  })
  let memberId = ''
  for (;;) {
    const res = await conn.request(
      joinGroupRequestCodec,
      joinGroupResponseCodec,
      {
        ...joinGroupRequestCodec.defaults(5),
        groupId: load.group as GroupId,
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 30_000,
        memberId,
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata }],
      },
      5,
    )
    if (res.errorCode === MEMBER_ID_REQUIRED) {
      memberId = res.memberId
      continue
    }
    if (res.errorCode !== 0) throw new Error(`JoinGroup: error ${res.errorCode}`)
    memberId = res.memberId
    // The leader assigns: partitions split in ranges over the members sorted by id.
    const assignments =
      res.leader === memberId
        ? res.members
            .map((m) => m.memberId)
            .sort()
            .map((id, k, ids) => {
              const parts: number[] = []
              for (let p = 0; p < load.partitions; p++) if (p % ids.length === k) parts.push(p)
              return {
                memberId: id,
                assignment: versioned(consumerProtocolAssignmentCodec, {
                  assignedPartitions: [{ topic: load.topic as TopicName, partitions: parts }],
                  userData: null,
                }),
              }
            })
        : []
    const sync = await conn.request(
      syncGroupRequestCodec,
      syncGroupResponseCodec,
      {
        ...syncGroupRequestCodec.defaults(3),
        groupId: load.group as GroupId,
        generationId: res.generationId,
        memberId,
        assignments,
      },
      3,
    )
    if (sync.errorCode === 27 /* REBALANCE_IN_PROGRESS */) continue
    if (sync.errorCode !== 0) throw new Error(`SyncGroup: error ${sync.errorCode}`)
    const r = new Reader(sync.assignment, 2)
    const a = consumerProtocolAssignmentCodec.decode(r, 0)
    return {
      conn,
      memberId,
      generationId: res.generationId,
      partitions: a.assignedPartitions.flatMap((t) => t.partitions),
    }
  }
}

function fetchFrame(topic: string, offsets: Map<number, bigint>): Buffer {
  const req: FetchRequest = {
    ...fetchRequestCodec.defaults(FETCH_VERSION),
    replicaId: -1 as FetchRequest['replicaId'],
    maxWaitMs: 500,
    minBytes: 1,
    maxBytes: 52_428_800,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic: topic as TopicName,
        topicId: ZERO_UUID as Uuid,
        partitions: [...offsets].map(([partition, fetchOffset]) => ({
          partition,
          currentLeaderEpoch: -1,
          fetchOffset,
          lastFetchedEpoch: -1,
          logStartOffset: -1n,
          partitionMaxBytes: 1_048_576,
          replicaDirectoryId: ZERO_UUID as Uuid,
        })),
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  }
  return encodeRequestFrame(fetchRequestCodec, req, FETCH_VERSION, 1, CLIENT_ID)
}

export async function runGroup(target: Target, load: GroupLoad): Promise<GroupResult> {
  const t0 = performance.now()
  const members = await Promise.all(Array.from({ length: load.members }, () => join(target, load)))
  const rebalanceMs = performance.now() - t0
  const start = performance.now()
  const measureFrom = start + load.warmupMs
  const end = measureFrom + load.durationMs
  let bytes = 0
  let msgs = 0
  const beat = setInterval(() => {
    for (const m of members) {
      m.conn
        .request(
          heartbeatRequestCodec,
          heartbeatResponseCodec,
          {
            ...heartbeatRequestCodec.defaults(3),
            groupId: load.group as GroupId,
            generationId: m.generationId,
            memberId: m.memberId,
          },
          3,
        )
        .catch(() => {})
    }
  }, 1000)
  // Where each partition starts: retention (steady state) may have moved it past 0.
  const starts = await Promise.all(
    members.map((m) => Promise.all(m.partitions.map((p) => earliestOffset(m.conn, load.topic, p)))),
  )
  try {
    await Promise.all(
      members.map(
        (m, i) =>
          new Promise<void>((resolve, reject) => {
            const offsets = new Map(m.partitions.map((p, j) => [p, starts[i][j]]))
            const onResponse = (body: Buffer) => {
              const now = performance.now()
              if (body.length === 0) {
                reject(m.conn.error ?? new Error('connection lost'))
                return
              }
              const res = decodeResponseFrame(fetchResponseCodec, body, FETCH_VERSION).body
              for (const t of res.responses) {
                for (const p of t.partitions) {
                  // Retention moved the log start past the offset (steady state): go there.
                  if (p.errorCode === OFFSET_OUT_OF_RANGE && p.logStartOffset >= 0n)
                    offsets.set(p.partitionIndex, p.logStartOffset)
                  if (p.errorCode !== 0) continue
                  const records = p.records ?? Buffer.alloc(0)
                  let pos = 0
                  let next = -1n
                  while (pos + 61 <= records.length) {
                    const size = records.readInt32BE(pos + BatchOffsets.batchLength) + 12
                    if (pos + size > records.length) break
                    next =
                      records.readBigInt64BE(pos) +
                      BigInt(records.readInt32BE(pos + BatchOffsets.lastOffsetDelta)) +
                      1n
                    if (now >= measureFrom && now <= end)
                      msgs += records.readInt32BE(pos + BatchOffsets.recordsCount)
                    pos += size
                  }
                  if (now >= measureFrom && now <= end) bytes += pos
                  offsets.set(
                    p.partitionIndex,
                    next >= 0n && next < p.highWatermark ? next : p.logStartOffset,
                  )
                }
              }
              if (now > end) resolve()
              else m.conn.sendRaw(fetchFrame(load.topic, offsets), onResponse)
            }
            if (m.partitions.length === 0) resolve()
            else m.conn.sendRaw(fetchFrame(load.topic, offsets), onResponse)
          }),
      ),
    )
  } finally {
    clearInterval(beat)
    for (const m of members) m.conn.close()
  }
  const secs = load.durationMs / 1000
  return { rebalanceMs, mbPerSec: bytes / secs / 1e6, msgsPerSec: msgs / secs }
}
