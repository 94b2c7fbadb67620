// A group coordinator over an in-memory __consumer_offsets log with a manual clock, for the
// state-machine tests: helpers to join, sync, heartbeat and commit as clients do, to see whether a
// parked request has been answered, and to "restart" (a new coordinator replaying the same log).

import assert from 'node:assert/strict'
import { ManualClock, settle } from '../../../src/common/clock.ts'
import type { TopicName, Uuid } from '../../../src/common/ids.ts'
import { silentLogger } from '../../../src/common/logger.ts'
import type { JoinResult, SyncResult } from '../../../src/coordinator/group/classic-group.ts'
import {
  DEFAULT_GROUP_CONFIG,
  type GroupConfig,
  OFFSETS_TOPIC,
} from '../../../src/coordinator/group/group-config.ts'
import { GroupCoordinator } from '../../../src/coordinator/group/group-coordinator.ts'
import type { JoinParams } from '../../../src/coordinator/group/group-shard.ts'
import type { CommitParams } from '../../../src/coordinator/group/offset-ops.ts'
import type { CoordinatorLog } from '../../../src/coordinator/runtime/coordinator-log.ts'
import { MemoryCoordinatorLog } from '../../../src/coordinator/runtime/memory-coordinator-log.ts'
import { makeImage, makePartition, makeTopic } from '../../../src/metadata/image.ts'
import { localChanges } from '../../../src/metadata/local-changes.ts'
import type { CreateTopicRequest } from '../../../src/metadata/store.ts'
import { encodeMessage } from '../../../src/protocol/codec.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import { consumerProtocolAssignmentCodec } from '../../../src/protocol/generated/records/consumer-protocol-assignment.ts'
import { consumerProtocolSubscriptionCodec } from '../../../src/protocol/generated/records/consumer-protocol-subscription.ts'

export const NODE = 1
export const PARTITIONS = 3
export const TEST_CONFIG: GroupConfig = {
  ...DEFAULT_GROUP_CONFIG,
  initialRebalanceDelayMs: 3000,
  offsetsTopicNumPartitions: PARTITIONS,
}

export function offsetsImage(partitions = PARTITIONS, leader = NODE) {
  return makeImage({
    version: 1,
    clusterId: 'c',
    controllerId: NODE,
    topics: [
      makeTopic({
        name: OFFSETS_TOPIC as TopicName,
        topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' as Uuid,
        partitions: Array.from({ length: partitions }, (_, i) =>
          makePartition({
            partition: i,
            leader,
            leaderEpoch: 0,
            partitionEpoch: 0,
            replicas: [leader],
            isr: [leader],
          }),
        ),
      }),
    ],
  })
}

export interface Harness {
  clock: ManualClock
  log: CoordinatorLog
  memory: MemoryCoordinatorLog
  config: GroupConfig
  gc: GroupCoordinator
}

export async function harness(
  config: Partial<GroupConfig> = {},
  opts: {
    clock?: ManualClock
    log?: MemoryCoordinatorLog
    wrap?: (l: CoordinatorLog) => CoordinatorLog
    /** Return without waiting for the partitions to load. */
    noWait?: boolean
  } = {},
): Promise<Harness> {
  const clock = opts.clock ?? new ManualClock()
  const memory = opts.log ?? new MemoryCoordinatorLog()
  const log = opts.wrap ? opts.wrap(memory) : memory
  const full = { ...TEST_CONFIG, ...config }
  const image = offsetsImage(full.offsetsTopicNumPartitions)
  const gc = new GroupCoordinator({
    log,
    clock,
    logger: silentLogger,
    config: full,
    nodeId: NODE,
    metadata: {
      image: () => image,
      createTopics: async (reqs: readonly CreateTopicRequest[]) =>
        reqs.map((r) => ({
          name: r.name,
          topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' as Uuid,
          errorCode: ErrorCode.TOPIC_ALREADY_EXISTS,
          errorMessage: null,
          numPartitions: -1,
          replicationFactor: -1,
          configs: new Map(),
        })),
    },
    offsetsTopic: {
      name: OFFSETS_TOPIC,
      numPartitions: full.offsetsTopicNumPartitions,
      replicationFactor: 1,
    },
  })
  gc.onLocalChanges(localChanges(null, image, NODE), image)
  if (!opts.noWait) await gc.loaded()
  return { clock, log, memory, config: full, gc }
}

/** A new coordinator replaying the same log (a broker restart), on the same clock. */
export async function restart(h: Harness, config: Partial<GroupConfig> = {}): Promise<Harness> {
  h.gc.shutdown()
  return harness({ ...h.config, ...config }, { clock: h.clock, log: h.memory })
}

/** A consumer's JoinGroup metadata (ConsumerProtocolSubscription v1). */
export function subscription(
  topics: string[],
  owned: { topic: string; partitions: number[] }[] = [],
): Buffer {
  const body = encodeMessage(
    consumerProtocolSubscriptionCodec,
    {
      topics,
      userData: null,
      ownedPartitions: owned.map((o) => ({ topic: o.topic as TopicName, partitions: o.partitions })),
      generationId: -1,
      rackId: null,
    },
    1,
  )
  const out = Buffer.alloc(2 + body.length)
  out.writeInt16BE(1, 0)
  body.copy(out, 2)
  return out
}

export function assignment(parts: { topic: string; partitions: number[] }[]): Buffer {
  const body = encodeMessage(
    consumerProtocolAssignmentCodec,
    {
      assignedPartitions: parts.map((p) => ({ topic: p.topic as TopicName, partitions: p.partitions })),
      userData: null,
    },
    0,
  )
  return Buffer.concat([Buffer.from([0, 0]), body])
}

export function joinParams(groupId: string, over: Partial<JoinParams> = {}): JoinParams {
  return {
    groupId,
    memberId: '',
    groupInstanceId: null,
    requireKnownMemberId: false,
    supportSkippingAssignment: false,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    rebalanceTimeoutMs: 10000,
    sessionTimeoutMs: 10000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription(['t1']) }],
    reason: null,
    ...over,
  }
}

export function commitParams(
  groupId: string,
  offsets: Record<string, Record<number, bigint>>,
  over: Partial<CommitParams> = {},
): CommitParams {
  return {
    groupId,
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1,
    groupIdNotFound: false,
    topics: Object.entries(offsets).map(([name, parts]) => ({
      name,
      partitions: Object.entries(parts).map(([p, offset]) => ({
        partition: Number(p),
        offset,
        leaderEpoch: -1,
        commitTimestamp: -1,
        metadata: null,
      })),
    })),
    ...over,
  }
}

const PENDING = Symbol('pending')

/** The promise's value if it settled (after letting microtasks run), else PENDING. */
export async function peek<T>(p: Promise<T>): Promise<T | typeof PENDING> {
  await settle()
  return Promise.race([p, new Promise<typeof PENDING>((r) => setImmediate(() => r(PENDING)))])
}

export async function assertPending(p: Promise<unknown>, what = 'request'): Promise<void> {
  assert.equal(await peek(p), PENDING, `${what} should still be parked`)
}

export async function settled<T>(p: Promise<T>): Promise<T> {
  const v = await peek(p)
  assert.notEqual(v, PENDING, 'request should have been answered')
  return v as T
}

/** Joins a new member through MEMBER_ID_REQUIRED (JoinGroup v4+), returning its parked join. */
export async function joinWithId(
  h: Harness,
  groupId: string,
  over: Partial<JoinParams> = {},
): Promise<{ memberId: string; join: Promise<JoinResult> }> {
  const first = await h.gc.joinGroup(joinParams(groupId, { ...over, requireKnownMemberId: true }))
  assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED)
  const memberId = first.memberId
  return {
    memberId,
    join: h.gc.joinGroup(joinParams(groupId, { ...over, memberId, requireKnownMemberId: true })),
  }
}

export interface Member {
  memberId: string
  generationId: number
  leader: boolean
  join: JoinResult
}

/**
 * Forms a stable group of `n` dynamic members on topic t1 (the leader assigns partition i to
 * member i): joins, waits out the initial delay, syncs.
 */
export async function stableGroup(
  h: Harness,
  groupId: string,
  n: number,
  over: (i: number) => Partial<JoinParams> = () => ({}),
): Promise<{ members: Member[]; syncs: SyncResult[] }> {
  const pending = []
  for (let i = 0; i < n; i++) {
    const o = over(i)
    // Static members skip MEMBER_ID_REQUIRED: their first JoinGroup parks right away.
    if (o.groupInstanceId)
      pending.push({ join: h.gc.joinGroup(joinParams(groupId, { ...o, requireKnownMemberId: true })) })
    else pending.push(await joinWithId(h, groupId, o))
  }
  h.clock.advance(h.config.initialRebalanceDelayMs * (n + 1))
  const joins = await Promise.all(pending.map((p) => settled(p.join)))
  const members = joins.map((j) => ({
    memberId: j.memberId,
    generationId: j.generationId,
    leader: j.leader === j.memberId,
    join: j,
  }))
  const leader = members.find((m) => m.leader)!
  const assignments = members.map((m, i) => ({
    memberId: m.memberId,
    assignment: assignment([{ topic: 't1', partitions: [i] }]),
  }))
  const syncs = await Promise.all(
    members.map((m) =>
      h.gc.syncGroup({
        groupId,
        generationId: m.generationId,
        memberId: m.memberId,
        groupInstanceId: over(members.indexOf(m)).groupInstanceId ?? null,
        protocolType: 'consumer',
        protocolName: m.join.protocolName,
        assignments: m === leader ? assignments : [],
      }),
    ),
  )
  return { members, syncs }
}

export function stateOf(h: Harness, groupId: string): string {
  return h.gc.describeGroups([groupId])[0].groupState
}
