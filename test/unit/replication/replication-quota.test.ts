// Replication throttles (KIP-73): the quota's rate over Kafka's sample window on a manual clock,
// the parsing of the throttled-replica lists, the rates' layers in the metadata image, and the
// leader side of a follower fetch through a real ReplicaManager (memory Fs): a throttled partition
// fetched by a follower outside the ISR returns no records while the leader quota is exceeded,
// unthrottled partitions and in-sync followers are never held, and the bytes of throttled
// partitions are recorded.

import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { ManualClock } from '../../../src/common/clock.ts'
import type { Fs } from '../../../src/common/fs.ts'
import type { TopicName, Uuid } from '../../../src/common/ids.ts'
import { silentLogger } from '../../../src/common/logger.ts'
import { MemoryFs } from '../../../src/common/memory-fs.ts'
import { parseAndValidate } from '../../../src/config/config-def.ts'
import { TOPIC_CONFIG_DEFS } from '../../../src/config/topic-defs.ts'
import { makeImage, makePartition, makeTopic } from '../../../src/metadata/image.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import type { FetchPartitionInput } from '../../../src/replication/fetch-reader.ts'
import { ReplicaManager } from '../../../src/replication/replica-manager.ts'
import {
  ReplicationQuota,
  ReplicationQuotas,
  throttledPartitionsOn,
} from '../../../src/replication/replication-quota.ts'
import { LogManager } from '../../../src/storage/log-manager.ts'
import { batch, randomUuid } from './helpers.ts'

const LONG_MAX = '9223372036854775807'

describe('ReplicationQuota', () => {
  it('measures a rate over the samples kept, at least one window long (SimpleRate)', () => {
    const clock = new ManualClock()
    const q = new ReplicationQuota(clock, { samples: 11, windowMs: 1000 })
    assert.equal(q.rate(), 0)
    q.record(500)
    // Less than one window has passed: the rate is over one whole window.
    assert.equal(q.rate(), 500)
    clock.advance(500)
    assert.equal(q.rate(), 500)
    clock.advance(1500) // 2 s since the first sample
    q.record(1500)
    assert.equal(q.rate(), 1000)
    clock.advance(2000) // 4 s
    assert.equal(q.rate(), 500)
    // Older than samples × window: forgotten.
    clock.advance(7000) // 11 s since the first sample, 9 s since the second
    assert.equal(q.rate(), 1500 / 9)
    clock.advance(2000)
    assert.equal(q.rate(), 0)
  })

  it('is exceeded while the rate is above the limit, never without one', () => {
    const clock = new ManualClock()
    const q = new ReplicationQuota(clock)
    q.record(10_000_000)
    assert.equal(q.upperBound(), Number.POSITIVE_INFINITY)
    assert.equal(q.isQuotaExceeded(), false)
    q.updateQuota(Number(LONG_MAX))
    assert.equal(q.isQuotaExceeded(), false, 'Long.MAX_VALUE is no limit')
    q.updateQuota(1_000_000)
    assert.equal(q.isQuotaExceeded(), true)
    clock.advance(9_000) // 10 MB over 9 s
    assert.equal(q.isQuotaExceeded(), true)
    clock.advance(1_000) // 10 MB over 10 s: at the limit, not above it
    assert.equal(q.isQuotaExceeded(), false)
  })

  it('knows which partitions are throttled; inactive when none is', () => {
    const q = new ReplicationQuota(new ManualClock())
    assert.equal(q.active, false)
    q.markThrottled('a', [0, 2])
    q.markThrottled('b', 'all')
    assert.equal(q.active, true)
    assert.deepEqual(
      [q.isThrottled('a', 0), q.isThrottled('a', 1), q.isThrottled('b', 7), q.isThrottled('c', 0)],
      [true, false, true, false],
    )
    q.markThrottled('a', [])
    q.removeThrottle('b')
    assert.equal(q.active, false)
  })

  it('validates the replica lists as Kafka does, in one line naming the key', () => {
    const key = 'follower.replication.throttled.replicas'
    const def = TOPIC_CONFIG_DEFS.get(key)!
    for (const ok of ['', '*', '0:1', '0:1, 1:2,', ' * '])
      assert.doesNotThrow(() => parseAndValidate(def, ok), ok)
    for (const bad of ['0', '0:1,*', 'a:1', '0-1', '*,*']) {
      assert.throws(
        () => parseAndValidate(def, bad),
        (e: Error) =>
          !e.message.includes('\n') &&
          e.message.startsWith('Invalid value ') &&
          e.message.includes(
            `for configuration ${key}: ${key} must be the literal '*' or a list of replicas`,
          ),
        bad,
      )
    }
  })

  it('keeps only the items of a replica list that name this broker', () => {
    assert.deepEqual(throttledPartitionsOn('0:1,0:2, 1:2 ,3:1', 1), [0, 3])
    assert.deepEqual(throttledPartitionsOn('0:1,0:2', 3), [])
    assert.equal(throttledPartitionsOn(' * ', 3), 'all')
  })
})

describe('ReplicationQuotas follow the image', () => {
  const image = (o: {
    version: number
    perBroker?: Record<string, string>
    dflt?: Record<string, string>
    topics?: Record<string, Record<string, string>>
  }) =>
    makeImage({
      version: o.version,
      clusterId: 'c',
      controllerId: 1,
      brokerConfigs: {
        clusterDefault: new Map(Object.entries(o.dflt ?? {})),
        perBroker: new Map(o.perBroker ? [[2, new Map(Object.entries(o.perBroker))]] : []),
      },
      topics: Object.entries(o.topics ?? {}).map(([name, configs]) =>
        makeTopic({
          name: name as TopicName,
          topicId: randomUuid(),
          partitions: [],
          configs: new Map(Object.entries(configs)),
        }),
      ),
    })

  it('rates: this broker, else the cluster default, else server.properties, else none', () => {
    const q = new ReplicationQuotas({
      brokerId: 2,
      clock: new ManualClock(),
      staticRates: { leader: '7000' },
    })
    assert.equal(q.leader.upperBound(), 7000)
    assert.equal(q.follower.upperBound(), Number.POSITIVE_INFINITY)
    q.applyImage(image({ version: 1, dflt: { 'follower.replication.throttled.rate': '3000' } }))
    assert.deepEqual([q.leader.upperBound(), q.follower.upperBound()], [7000, 3000])
    q.applyImage(
      image({
        version: 2,
        dflt: { 'follower.replication.throttled.rate': '3000' },
        perBroker: {
          'leader.replication.throttled.rate': '100',
          'follower.replication.throttled.rate': '200',
        },
      }),
    )
    assert.deepEqual([q.leader.upperBound(), q.follower.upperBound()], [100, 200])
    q.applyImage(image({ version: 3, perBroker: { 'leader.replication.throttled.rate': LONG_MAX } }))
    assert.deepEqual(
      [q.leader.upperBound(), q.follower.upperBound()],
      [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY],
    )
  })

  it('throttled partitions from the topic configs, removed with the config or the topic', () => {
    const q = new ReplicationQuotas({ brokerId: 2, clock: new ManualClock() })
    q.applyImage(
      image({
        version: 1,
        topics: {
          t: {
            'leader.replication.throttled.replicas': '0:1,0:2,1:1',
            'follower.replication.throttled.replicas': '1:2',
          },
          u: { 'follower.replication.throttled.replicas': '*' },
          v: {},
        },
      }),
    )
    assert.deepEqual([q.leader.isThrottled('t', 0), q.leader.isThrottled('t', 1)], [true, false])
    assert.deepEqual([q.follower.isThrottled('t', 1), q.follower.isThrottled('u', 9)], [true, true])
    assert.deepEqual(q.leader.throttledTopics(), ['t'])
    q.applyImage(image({ version: 2, topics: { t: {}, v: {} } }))
    assert.deepEqual([q.leader.active, q.follower.active], [false, false])
  })
})

/** Broker 1 leads a and b (one partition each, replicas 1,2); a is throttled on the leader side. */
async function leader(o: { isr: number[] }) {
  const fs = new MemoryFs()
  const clock = new ManualClock()
  const logManager = await LogManager.start({
    fs,
    clock,
    config: { logDirs: ['/data'], cleanerEnable: false },
  })
  const quotas = new ReplicationQuotas({ brokerId: 1, clock })
  const rm = new ReplicaManager({
    logManager,
    fs: fs as Fs,
    clock,
    logger: silentLogger,
    localBrokerId: 1,
    producerIdExpirationCheckIntervalMs: 0,
    replicationQuotas: quotas,
  })
  const ids: Record<string, Uuid> = { a: randomUuid(), b: randomUuid() }
  const configs: Record<string, Record<string, string>> = {
    a: { 'leader.replication.throttled.replicas': '0:1' },
    b: {},
  }
  await rm.applyImage(
    makeImage({
      version: 1,
      clusterId: 'c',
      controllerId: 1,
      brokerConfigs: {
        clusterDefault: new Map(),
        perBroker: new Map([[1, new Map([['leader.replication.throttled.rate', '1000']])]]),
      },
      topics: ['a', 'b'].map((name) =>
        makeTopic({
          name: name as TopicName,
          topicId: ids[name]!,
          configs: new Map(Object.entries(configs[name]!)),
          partitions: [
            makePartition({
              partition: 0,
              leader: 1,
              leaderEpoch: 0,
              partitionEpoch: 0,
              replicas: [1, 2],
              isr: o.isr,
            }),
          ],
        }),
      ),
    }),
  )
  for (const name of ['a', 'b']) {
    const out = await rm.appendRecords({
      apiVersion: 9,
      acks: 1,
      transactionalId: null,
      topics: [{ name, partitionData: [{ index: 0, records: batch(10, { valueBytes: 100 }) }] }],
    })
    assert.equal(out[0]!.errorCode, ErrorCode.NONE)
  }
  const input = (name: string, fetchOffset: bigint): FetchPartitionInput => ({
    topic: name,
    topicId: ids[name]!,
    partition: 0,
    fetchOffset,
    partitionMaxBytes: 1 << 20,
    currentLeaderEpoch: -1,
    lastFetchedEpoch: -1,
  })
  const fetch = (maxWaitMs = 0, offsets: [bigint, bigint] = [0n, 0n]) =>
    rm.fetch({ replicaId: 2, maxWaitMs, minBytes: 1, maxBytes: 10 << 20, isolationLevel: 0 }, [
      input('a', offsets[0]),
      input('b', offsets[1]),
    ])
  const append = async (name: string) => {
    const out = await rm.appendRecords({
      apiVersion: 9,
      acks: 1,
      transactionalId: null,
      topics: [{ name, partitionData: [{ index: 0, records: batch(1) }] }],
    })
    assert.equal(out[0]!.errorCode, ErrorCode.NONE)
  }
  return {
    clock,
    append,
    quota: quotas.leader,
    fetch,
    async stop() {
      await rm.shutdown()
      await logManager.shutdown()
    },
  }
}

describe('Leader: follower fetches under the leader replication quota', () => {
  const nodes: Awaited<ReturnType<typeof leader>>[] = []
  after(() => Promise.all(nodes.map((n) => n.stop())))

  it('records the throttled bytes sent, then holds the throttled partition back, not the other', async () => {
    const n = await leader({ isr: [1] })
    nodes.push(n)
    assert.equal(n.quota.upperBound(), 1000)
    const [a1, b1] = await n.fetch()
    assert.ok(a1!.records.length > 1000, 'under the quota: the throttled partition is read')
    assert.ok(b1!.records.length > 1000)
    assert.equal(n.quota.rate(), a1!.records.length, 'only the throttled bytes count (over one 1 s window)')
    assert.equal(n.quota.isQuotaExceeded(), true)
    const [a2, b2] = await n.fetch()
    assert.equal(a2!.errorCode, ErrorCode.NONE)
    assert.equal(a2!.records.length, 0, 'held: no records')
    assert.equal(a2!.highWatermark, 10n, 'the offsets are still answered')
    assert.equal(b2!.records.length, b1!.records.length, 'the unthrottled partition is never slowed down')
    // Once the rate is back under the limit the throttled partition flows again.
    n.clock.advance(Math.ceil((a1!.records.length / 1000) * 1000))
    assert.equal(n.quota.isQuotaExceeded(), false)
    const [a3] = await n.fetch()
    assert.equal(a3!.records.length, a1!.records.length)
  })

  it('a held partition neither answers early nor wakes a waiting follower fetch', async () => {
    const n = await leader({ isr: [1] })
    nodes.push(n)
    await n.fetch()
    assert.equal(n.quota.isQuotaExceeded(), true)
    // b is caught up, a is held: the fetch waits (Kafka's DelayedFetch does not count held bytes)...
    const settle = () => new Promise((r) => setImmediate(r))
    let done = false
    const first = n.fetch(500, [0n, 10n]).then((r) => {
      done = true
      return r
    })
    await settle()
    assert.equal(done, false)
    // ...an append to the held partition does not wake it...
    await n.append('a')
    await settle()
    assert.equal(done, false)
    // ...and it answers at its max wait, with nothing for a.
    n.clock.advance(500)
    const [a, b] = await first
    assert.deepEqual([a!.records.length, b!.records.length], [0, 0])
    // An append to the unthrottled partition does wake a waiting fetch.
    done = false
    const second = n.fetch(500, [0n, 10n]).then((r) => {
      done = true
      return r
    })
    await settle()
    await n.append('b')
    const [a2, b2] = await second
    assert.deepEqual([a2!.records.length > 0, b2!.records.length > 0], [false, true])
  })

  it('never holds a follower that is in the ISR', async () => {
    const n = await leader({ isr: [1, 2] })
    nodes.push(n)
    await n.fetch()
    assert.equal(n.quota.isQuotaExceeded(), true)
    const [a] = await n.fetch()
    assert.ok(a!.records.length > 0)
  })
})
