// Fixture for the group handler tests (test/unit/server/<api>.test.ts): the real embedded metadata
// store of the admin fixtures, a GroupCoordinator over an in-memory __consumer_offsets log that
// follows the store's images, and helpers to run a handler at a version through the wire codecs.

import assert from 'node:assert/strict'
import { ManualClock, settle } from '../../../src/common/clock.ts'
import { silentLogger } from '../../../src/common/logger.ts'
import { groupConfigOf, offsetsTopicSpec } from '../../../src/coordinator/group/group-config.ts'
import { GroupCoordinator } from '../../../src/coordinator/group/group-coordinator.ts'
import { MemoryCoordinatorLog } from '../../../src/coordinator/runtime/memory-coordinator-log.ts'
import { localChanges } from '../../../src/metadata/local-changes.ts'
import type { MessageCodec } from '../../../src/protocol/codec.ts'
import type { Handler } from '../../../src/server/handler.ts'
import { ctx, type Fixture, fixture, NODE_ID, request, wire } from '../server/admin-fixtures.ts'

export interface GroupFixture {
  f: Fixture
  clock: ManualClock
  memory: MemoryCoordinatorLog
  gc: GroupCoordinator
  services: { metadata: Fixture['store']; groupCoordinator: GroupCoordinator }
}

export async function groupFixture(
  config: Record<string, string | number | boolean> = {},
): Promise<GroupFixture> {
  const f = await fixture({
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 3,
    'group.initial.rebalance.delay.ms': 0,
    ...config,
  })
  const clock = new ManualClock()
  const memory = new MemoryCoordinatorLog()
  const gc = new GroupCoordinator({
    log: memory,
    clock,
    logger: silentLogger,
    config: groupConfigOf(f.config),
    nodeId: NODE_ID,
    metadata: f.store,
    offsetsTopic: offsetsTopicSpec(f.config),
  })
  // As the replica manager does: the local changes of each image, once.
  f.store.subscribe((c) => gc.onLocalChanges(localChanges(c.previous, c.image, NODE_ID), c.image))
  gc.onLocalChanges(localChanges(null, f.store.image(), NODE_ID), f.store.image())
  return { f, clock, memory, gc, services: { metadata: f.store, groupCoordinator: gc } }
}

/** Creates __consumer_offsets and waits for its partitions to load. */
export async function withOffsetsTopic(g: GroupFixture): Promise<void> {
  assert.equal(await g.gc.ensureOffsetsTopic(), 0)
  await g.gc.loaded()
}

export async function createTopic(g: GroupFixture, name: string, partitions: number): Promise<void> {
  const [r] = await g.f.store.createTopics([{ name, numPartitions: partitions, replicationFactor: 1 }])
  assert.equal(r.errorCode, 0)
}

/**
 * Runs `handler` on a request built from `fields` at `version` (through the codec, as a client
 * would send it) and returns the response as the client would decode it. Timers due now (a zero
 * initial rebalance delay) are fired while it runs.
 */
export async function call<Req, Res, S>(
  g: GroupFixture,
  handler: Handler<Req, Res, S>,
  version: number,
  fields: { [K in keyof Req]?: unknown },
): Promise<Res> {
  const req = request(handler.request, fields as Partial<Req>, version)
  const pending = Promise.resolve(
    handler.handle(ctx(handler.apiKey, version), req, g.services as unknown as S),
  )
  await settle()
  g.clock.advance(0)
  const res = await pending
  assert.ok(res !== null)
  return wire(handler.response, res, version)
}

/** errorResponse at every version the handler serves encodes, carrying the error somewhere. */
export function checkErrorResponses<Req, Res, S>(
  handler: Handler<Req, Res, S>,
  fields: (version: number) => { [K in keyof Req]?: unknown },
  errorCode: number,
): void {
  for (let v = handler.minVersion; v <= handler.maxVersion; v++) {
    const req = request(handler.request as MessageCodec<Req>, fields(v) as Partial<Req>, v)
    const res = wire(handler.response, handler.errorResponse!(req, v, errorCode), v)
    assert.ok(
      JSON.stringify(res, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)).includes(`${errorCode}`),
      `v${v}`,
    )
  }
}
