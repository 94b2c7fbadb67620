// A group coordinator over an in-memory __consumer_offsets log, a manual clock and a metadata image
// the test can change (topics created, deleted, grown), for the KIP-848 consumer group tests:
// a heartbeat helper that fills a request as a client would, and "restart" (replay of the log).

import { ManualClock } from '../../../src/common/clock.ts'
import type { TopicName, Uuid } from '../../../src/common/ids.ts'
import { silentLogger } from '../../../src/common/logger.ts'
import type {
  ConsumerHeartbeatParams,
  ConsumerHeartbeatResult,
} from '../../../src/coordinator/group/consumer/consumer-heartbeat.ts'
import {
  type ConsumerGroupConfig,
  DEFAULT_GROUP_CONFIG,
  type GroupConfig,
  OFFSETS_TOPIC,
} from '../../../src/coordinator/group/group-config.ts'
import { GroupCoordinator } from '../../../src/coordinator/group/group-coordinator.ts'
import { MemoryCoordinatorLog } from '../../../src/coordinator/runtime/memory-coordinator-log.ts'
import { type MetadataImage, makeImage, makePartition, makeTopic } from '../../../src/metadata/image.ts'
import { localChanges } from '../../../src/metadata/local-changes.ts'
import type { CreateTopicRequest } from '../../../src/metadata/store.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'

const NODE = 1
const OFFSETS_PARTITIONS = 1

/** Topic ids of the test topics: stable, readable. */
export const topicId = (name: string): Uuid =>
  Buffer.from(name.padEnd(16, '.').slice(0, 16)).toString('base64url') as Uuid

function partitions(n: number) {
  return Array.from({ length: n }, (_, i) =>
    makePartition({
      partition: i,
      leader: NODE,
      leaderEpoch: 0,
      partitionEpoch: 0,
      replicas: [NODE],
      isr: [NODE],
    }),
  )
}

export class Topics {
  readonly counts = new Map<string, number>()
  version = 1
  image(): MetadataImage {
    return makeImage({
      version: this.version,
      clusterId: 'c',
      controllerId: NODE,
      topics: [
        makeTopic({
          name: OFFSETS_TOPIC as TopicName,
          topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' as Uuid,
          partitions: partitions(OFFSETS_PARTITIONS),
        }),
        ...[...this.counts].map(([name, n]) =>
          makeTopic({ name: name as TopicName, topicId: topicId(name), partitions: partitions(n) }),
        ),
      ],
    })
  }
  set(name: string, n: number | null): void {
    if (n === null) this.counts.delete(name)
    else this.counts.set(name, n)
    this.version++
  }
}

export interface ConsumerHarness {
  clock: ManualClock
  memory: MemoryCoordinatorLog
  topics: Topics
  config: GroupConfig
  gc: GroupCoordinator
}

export async function consumerHarness(
  consumer: Partial<ConsumerGroupConfig> = {},
  opts: { clock?: ManualClock; memory?: MemoryCoordinatorLog; topics?: Topics } = {},
): Promise<ConsumerHarness> {
  const clock = opts.clock ?? new ManualClock()
  const memory = opts.memory ?? new MemoryCoordinatorLog()
  const topics = opts.topics ?? new Topics()
  const config: GroupConfig = {
    ...DEFAULT_GROUP_CONFIG,
    offsetsTopicNumPartitions: OFFSETS_PARTITIONS,
    consumer: {
      ...DEFAULT_GROUP_CONFIG.consumer,
      sessionTimeoutMs: 45000,
      heartbeatIntervalMs: 5000,
      ...consumer,
    },
  }
  const gc = new GroupCoordinator({
    log: memory,
    clock,
    logger: silentLogger,
    config,
    nodeId: NODE,
    metadata: {
      image: () => topics.image(),
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
    offsetsTopic: { name: OFFSETS_TOPIC, numPartitions: OFFSETS_PARTITIONS, replicationFactor: 1 },
  })
  const image = topics.image()
  gc.onLocalChanges(localChanges(null, image, NODE), image)
  await gc.loaded()
  return { clock, memory, topics, config, gc }
}

/** A new coordinator replaying the same log (a broker restart or failover). */
export async function restartConsumer(h: ConsumerHarness): Promise<ConsumerHarness> {
  h.gc.shutdown()
  return consumerHarness(h.config.consumer, { clock: h.clock, memory: h.memory, topics: h.topics })
}

export type Owned = Record<string, number[]>

export function tp(owned: Owned) {
  return Object.entries(owned).map(([t, partitions]) => ({ topicId: topicId(t), partitions }))
}

/** Assignment as { topic: partitions } with topic names (sorted partitions). */
export function named(a: ConsumerHeartbeatResult['assignment']): Owned | null {
  if (a === null) return null
  const out: Owned = {}
  for (const t of a) {
    const name = Buffer.from(t.topicId, 'base64url').toString().replace(/\.+$/, '')
    out[name] = [...t.partitions].sort((x, y) => x - y)
  }
  return out
}

export function hb(
  h: ConsumerHarness,
  over: Partial<ConsumerHeartbeatParams> & { groupId: string; memberId: string },
): Promise<ConsumerHeartbeatResult> {
  return h.gc.consumerGroupHeartbeat({
    apiVersion: 1,
    memberEpoch: 0,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: 30000,
    subscribedTopicNames: null,
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions: [],
    clientId: 'client',
    clientHost: '/127.0.0.1',
    ...over,
  })
}

/**
 * A simulated client: remembers its epoch and owned partitions, applies every assignment it is
 * sent (revoking at once), and heartbeats with what it owns.
 */
export class Member {
  epoch = 0
  owned: Owned = {}
  readonly h: ConsumerHarness
  readonly groupId: string
  readonly memberId: string
  readonly extra: Partial<ConsumerHeartbeatParams>
  last: ConsumerHeartbeatResult | null = null

  constructor(
    h: ConsumerHarness,
    groupId: string,
    memberId: string,
    extra: Partial<ConsumerHeartbeatParams>,
  ) {
    this.h = h
    this.groupId = groupId
    this.memberId = memberId
    this.extra = extra
  }

  async join(): Promise<ConsumerHeartbeatResult> {
    this.epoch = 0
    this.owned = {}
    return this.beat(this.extra)
  }

  async beat(over: Partial<ConsumerHeartbeatParams> = {}): Promise<ConsumerHeartbeatResult> {
    const r = await hb(this.h, {
      groupId: this.groupId,
      memberId: this.memberId,
      memberEpoch: this.epoch,
      topicPartitions: tp(this.owned),
      ...(this.epoch === 0 ? this.extra : {}),
      ...over,
    })
    this.last = r
    if (r.errorCode === ErrorCode.NONE) {
      this.epoch = r.memberEpoch
      const a = named(r.assignment)
      if (a !== null) this.owned = a
    }
    return r
  }

  count(): number {
    return Object.values(this.owned).reduce((n, ps) => n + ps.length, 0)
  }
}

/** Heartbeats every member in turn until none gets a new assignment or epoch (at most `rounds`). */
export async function converge(members: readonly Member[], rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    let changed = false
    for (const m of members) {
      const before = JSON.stringify([m.epoch, m.owned])
      await m.beat()
      if (JSON.stringify([m.epoch, m.owned]) !== before) changed = true
    }
    if (!changed) return
  }
}
