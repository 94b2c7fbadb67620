// Fixture for the transaction coordinator tests: the embedded metadata store of the admin fixtures,
// a GroupCoordinator and a TxnCoordinator over in-memory logs that follow the store's images, a
// manual clock, and a marker writer that records the markers it is given (each one also reaches
// the group coordinator when it lands on a __consumer_offsets partition, as the log side's writer
// does). Markers can be failed per partition to test the retries.

import { ManualClock, settle } from '../../../src/common/clock.ts'
import { silentLogger } from '../../../src/common/logger.ts'
import { groupConfigOf, offsetsTopicSpec } from '../../../src/coordinator/group/group-config.ts'
import { GroupCoordinator } from '../../../src/coordinator/group/group-coordinator.ts'
import { MemoryCoordinatorLog } from '../../../src/coordinator/runtime/memory-coordinator-log.ts'
import {
  DEFAULT_TXN_CONFIG,
  type TxnConfig,
  transactionStateTopicSpec,
} from '../../../src/coordinator/txn/txn-config.ts'
import { TxnCoordinator } from '../../../src/coordinator/txn/txn-coordinator.ts'
import { TxnMarkerSender } from '../../../src/coordinator/txn/txn-marker-sender.ts'
import { localChanges } from '../../../src/metadata/local-changes.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import type { TxnMarker, TxnMarkerResult } from '../../../src/replication/txn-markers.ts'
import { type Fixture, fixture, NODE_ID } from '../server/admin-fixtures.ts'

export interface TxnFixture {
  f: Fixture
  clock: ManualClock
  memory: MemoryCoordinatorLog
  txnLog: MemoryCoordinatorLog
  gc: GroupCoordinator
  tc: TxnCoordinator
  markers: TxnMarker[]
  /** Errors the next marker writes answer for a partition ("topic-partition"), one per write. */
  failMarkers: Map<string, number[]>
  services: { metadata: Fixture['store']; groupCoordinator: GroupCoordinator; txnCoordinator: TxnCoordinator }
  /** Lets timers due now and pending work run. */
  run(ms?: number): Promise<void>
}

export async function txnFixture(config: Partial<TxnConfig> = {}): Promise<TxnFixture> {
  const f = await fixture({
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 3,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.num.partitions': 3,
    'transaction.state.log.min.isr': 1,
    'group.initial.rebalance.delay.ms': 0,
  })
  const clock = new ManualClock()
  const memory = new MemoryCoordinatorLog()
  const txnLog = new MemoryCoordinatorLog()
  const gc = new GroupCoordinator({
    log: memory,
    clock,
    logger: silentLogger,
    config: groupConfigOf(f.config),
    nodeId: NODE_ID,
    metadata: f.store,
    offsetsTopic: offsetsTopicSpec(f.config),
  })
  let nextId = 1000n
  const tc = new TxnCoordinator({
    log: txnLog,
    clock,
    logger: silentLogger,
    config: { ...DEFAULT_TXN_CONFIG, numPartitions: 3, ...config },
    metadata: f.store,
    topicSpec: transactionStateTopicSpec(f.config),
    producerIds: { generate: async () => nextId++ },
  })
  const markers: TxnMarker[] = []
  const failMarkers = new Map<string, number[]>()
  let markerOffset = 0n
  const writer = {
    async write(m: TxnMarker): Promise<TxnMarkerResult[]> {
      markers.push(m)
      return m.partitions.map((p) => {
        const failing = failMarkers.get(`${p.topic}-${p.partition}`)
        const errorCode = failing?.shift() ?? ErrorCode.NONE
        if (errorCode === ErrorCode.NONE && p.topic === '__consumer_offsets')
          gc.onTxnMarker(p.partition, m.producerId, m.commit, 1_000_000n + markerOffset++)
        return { topic: p.topic, partition: p.partition, errorCode }
      })
    },
  }
  tc.setMarkerSender(
    new TxnMarkerSender({
      nodeId: NODE_ID,
      image: () => f.store.image(),
      local: () => writer,
      remote: () => writer,
      clock,
      logger: silentLogger,
      backoffMs: 100,
    }),
  )
  const follow = (c: {
    previous: Parameters<typeof localChanges>[0]
    image: Parameters<typeof localChanges>[1]
  }) => {
    const changes = localChanges(c.previous, c.image, NODE_ID)
    gc.onLocalChanges(changes, c.image)
    tc.onLocalChanges(changes, c.image)
  }
  f.store.subscribe((c) => follow(c))
  follow({ previous: null, image: f.store.image() })
  const run = async (ms = 0) => {
    await settle()
    clock.advance(ms)
    await settle()
    await settle()
  }
  return {
    f,
    clock,
    memory,
    txnLog,
    gc,
    tc,
    markers,
    failMarkers,
    services: { metadata: f.store, groupCoordinator: gc, txnCoordinator: tc },
    run,
  }
}
