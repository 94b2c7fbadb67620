// The ZooKeeper-mode metadata store over the in-memory ZooKeeper: bootstrap (cluster id, broker
// id, meta.properties), registration (ephemeral znode, broker epoch = czxid), admin operations
// written where Kafka writes them and answered once the controller's answer shows in the image,
// fencing of stale controllers, UpdateMetadata/LeaderAndIsr/StopReplica, config notifications, and
// producer id blocks shared by brokers.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Uuid } from '../../../src/common/ids.ts'
import { silentLogger } from '../../../src/common/logger.ts'
import { MemoryFs } from '../../../src/common/memory-fs.ts'
import { LEADER_DURING_DELETE } from '../../../src/metadata/zk/broker-cache.ts'
import { bootstrapZk } from '../../../src/metadata/zk/zk-bootstrap.ts'
import type { ZkClient } from '../../../src/metadata/zk/zk-client.ts'
import { MemoryZk } from '../../../src/metadata/zk/zk-memory.ts'
import { ZkProducerIdAllocator } from '../../../src/metadata/zk/zk-producer-ids.ts'
import { RenewingZkClient } from '../../../src/metadata/zk/zk-renewing.ts'
import { ZkMetadataStore } from '../../../src/metadata/zk/zk-store.ts'
import { decodeTopicAssignment, ZkPaths } from '../../../src/metadata/zk/znodes.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'

const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ' as Uuid

function reg(id: number) {
  return {
    id,
    host: '127.0.0.1',
    port: 9090 + id,
    rack: null,
    endpoints: [
      { listenerName: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '127.0.0.1', port: 9090 + id },
    ],
  }
}

async function storeOn(zk: ZkClient, nodeId = 1) {
  const fs = new MemoryFs()
  const identity = await bootstrapZk(zk, {
    fs,
    logDirs: ['/data'],
    brokerId: nodeId,
    reservedBrokerMaxId: 1000,
    now: () => 0,
  })
  const store = new ZkMetadataStore({
    zk,
    clusterId: identity.clusterId,
    nodeId: identity.brokerId,
    defaultNumPartitions: 1,
    defaultReplicationFactor: 1,
    staticBrokerConfig: new Map(),
    logger: silentLogger,
  })
  await store.start()
  return { store, fs, identity }
}

const stamp = (epoch: number, brokerEpoch = -1n) => ({ controllerId: 1, controllerEpoch: epoch, brokerEpoch })

function partition(p: number, leader: number, leaderEpoch = 0) {
  return {
    topicName: 't',
    topicId: TOPIC_ID,
    partitionIndex: p,
    leader,
    leaderEpoch,
    isr: [leader],
    partitionEpoch: 0,
    replicas: [leader],
    offlineReplicas: [],
  }
}

describe('ZooKeeper metadata store', () => {
  it('bootstraps a cluster id once, writes meta.properties v0, and checks it on restart', async () => {
    const mz = new MemoryZk()
    const a = await storeOn(mz.connect(), 1)
    const b = await storeOn(mz.connect(), 2)
    assert.equal(a.identity.clusterId, b.identity.clusterId)
    const meta = (await a.fs.readFile('/data/meta.properties')).toString()
    assert.match(meta, /^version=0$/m)
    assert.match(meta, /^broker\.id=1$/m)
    assert.match(meta, new RegExp(`^cluster\\.id=${a.identity.clusterId}$`, 'm'))
    // Another ZooKeeper (another cluster) refuses these log dirs.
    await assert.rejects(
      bootstrapZk(new MemoryZk().connect(), {
        fs: a.fs,
        logDirs: ['/data'],
        brokerId: 1,
        reservedBrokerMaxId: 1000,
        now: () => 0,
      }),
      /doesn't match stored clusterId/,
    )
    for (const p of [
      '/brokers/ids',
      '/brokers/topics',
      '/config/changes',
      '/admin/delete_topics',
      '/feature',
    ])
      assert.notEqual(await mz.connect().exists(p), null, p)
  })

  it('generates broker ids above reserved.broker.max.id when broker.id is -1', async () => {
    const mz = new MemoryZk()
    const fs = new MemoryFs()
    const opts = { fs, logDirs: ['/x'], brokerId: -1, reservedBrokerMaxId: 1000, now: () => 0 }
    const first = await bootstrapZk(mz.connect(), opts)
    assert.equal(first.brokerId, 1001)
    // The id is kept in meta.properties: a restart reuses it.
    assert.equal((await bootstrapZk(mz.connect(), opts)).brokerId, 1001)
    assert.equal((await bootstrapZk(mz.connect(), { ...opts, fs: new MemoryFs() })).brokerId, 1002)
  })

  it('registers an ephemeral broker znode whose czxid is the broker epoch; a second broker with the id is refused', async () => {
    const mz = new MemoryZk()
    const zk = mz.connect()
    const { store } = await storeOn(zk)
    await store.registerBroker(reg(1))
    const stat = await mz.connect().exists(ZkPaths.broker(1))
    assert.equal(store.brokerEpoch, stat!.czxid)
    assert.notEqual(stat!.ephemeralOwner, 0n)
    assert.deepEqual([...store.image().brokers.keys()], [1])
    const other = await storeOn(mz.connect(), 1)
    await assert.rejects(other.store.registerBroker(reg(1)), /already registered/)
    await store.close()
    assert.equal(await mz.connect().exists(ZkPaths.broker(1)), null)
  })

  it('applies UpdateMetadata and LeaderAndIsr, refusing older controller epochs, broker epochs and leader epochs', async () => {
    const { store } = await storeOn(new MemoryZk().connect())
    await store.registerBroker(reg(1))
    assert.equal(
      await store.updateMetadata(stamp(2), [reg(1), reg(2)], [partition(0, 1), partition(1, 2)]),
      ErrorCode.NONE,
    )
    let img = store.image()
    assert.equal(img.controllerId, 1)
    assert.deepEqual([...img.brokers.keys()].sort(), [1, 2])
    assert.deepEqual(
      img.topics.get('t')!.partitions.map((p) => p.leader),
      [1, 2],
    )
    assert.equal(await store.updateMetadata(stamp(1), [reg(1)], []), ErrorCode.STALE_CONTROLLER_EPOCH)
    assert.equal(
      await store.updateMetadata(stamp(2, store.brokerEpoch - 1n), [reg(1)], []),
      ErrorCode.STALE_BROKER_EPOCH,
    )
    const r = await store.leaderAndIsr(stamp(2), [
      partition(0, 2, 1),
      { ...partition(1, 1, 0), partitionEpoch: -1 },
    ])
    assert.equal(r.errorCode, ErrorCode.NONE)
    assert.deepEqual(r.partitionErrors, [ErrorCode.NONE, ErrorCode.STALE_CONTROLLER_EPOCH])
    img = store.image()
    assert.equal(img.topics.get('t')!.partitions[0]!.leader, 2)
    assert.equal(img.topics.get('t')!.partitions[0]!.leaderEpoch, 1)
    assert.equal(img.topics.get('t')!.partitions[1]!.leader, 2)
    // LeaderDuringDelete removes the topic.
    await store.updateMetadata(
      stamp(2),
      [reg(1)],
      [partition(0, LEADER_DURING_DELETE, 2), partition(1, LEADER_DURING_DELETE, 2)],
    )
    assert.equal(store.image().topics.has('t'), false)
  })

  it('writes CreateTopics to /config/topics and /brokers/topics, and answers once the controller made it visible', async () => {
    const mz = new MemoryZk()
    const { store } = await storeOn(mz.connect())
    await store.registerBroker(reg(1))
    const created = store.createTopics([
      {
        name: 'orders',
        numPartitions: 2,
        replicationFactor: 1,
        configs: [{ name: 'retention.ms', value: '1000' }],
      },
    ])
    const watcher = mz.connect()
    let assignment = null
    for (let i = 0; i < 100 && assignment === null; i++) {
      assignment = decodeTopicAssignment((await watcher.getData(ZkPaths.topic('orders')))?.data ?? null)
      if (assignment === null) await new Promise((r) => setTimeout(r, 5))
    }
    assert.ok(assignment)
    assert.deepEqual(
      [...assignment.partitions],
      [
        [0, [1]],
        [1, [1]],
      ],
    )
    const config = JSON.parse((await watcher.getData(ZkPaths.configTopic('orders')))!.data!.toString())
    assert.deepEqual(config, { version: 1, config: { 'retention.ms': '1000' } })
    // The controller's answer.
    const id = assignment.topicId!
    await store.updateMetadata(
      stamp(1),
      [reg(1)],
      [0, 1].map((p) => ({ ...partition(p, 1), topicName: 'orders', topicId: id })),
    )
    const [r] = await created
    assert.equal(r!.errorCode, ErrorCode.NONE)
    assert.equal(store.image().topics.get('orders')!.configs.get('retention.ms'), '1000')
    const [dup] = await store.createTopics([{ name: 'orders', numPartitions: 1, replicationFactor: 1 }])
    assert.equal(dup!.errorCode, ErrorCode.TOPIC_ALREADY_EXISTS)
    const [rf3] = await store.createTopics([{ name: 'wide', numPartitions: 1, replicationFactor: 3 }])
    assert.equal(
      rf3!.errorCode,
      ErrorCode.INVALID_REPLICATION_FACTOR,
      'one live broker cannot hold 3 replicas',
    )
  })

  it('times a creation out with REQUEST_TIMED_OUT when no controller answers', async () => {
    const { store } = await storeOn(new MemoryZk().connect())
    await store.registerBroker(reg(1))
    const [r] = await store.createTopics([{ name: 'lonely', numPartitions: 1, replicationFactor: 1 }], {
      timeoutMs: 50,
    })
    assert.equal(r!.errorCode, ErrorCode.REQUEST_TIMED_OUT)
  })

  it('DeleteTopics marks /admin/delete_topics/<t> and answers when the topic is gone', async () => {
    const mz = new MemoryZk()
    const { store } = await storeOn(mz.connect())
    await store.registerBroker(reg(1))
    await store.updateMetadata(stamp(1), [reg(1)], [partition(0, 1)])
    const deleting = store.deleteTopics([{ name: 't' }])
    const watcher = mz.connect()
    for (let i = 0; i < 100 && (await watcher.exists(ZkPaths.adminDeleteTopic('t'))) === null; i++)
      await new Promise((r) => setTimeout(r, 5))
    assert.notEqual(await watcher.exists(ZkPaths.adminDeleteTopic('t')), null)
    // The controller's deletion: UpdateMetadata with leader -2 (LeaderDuringDelete), then StopReplica.
    await store.updateMetadata(stamp(1), [reg(1)], [partition(0, LEADER_DURING_DELETE, 1)])
    assert.equal(await store.stopReplica(stamp(1)), ErrorCode.NONE)
    assert.equal(await store.stopReplica(stamp(0)), ErrorCode.STALE_CONTROLLER_EPOCH)
    const [r] = await deleting
    assert.equal(r!.errorCode, ErrorCode.NONE)
    assert.equal(store.image().topics.has('t'), false)
  })

  it("follows another broker's config change through /config/changes", async () => {
    const mz = new MemoryZk()
    const a = (await storeOn(mz.connect(), 1)).store
    const b = (await storeOn(mz.connect(), 2)).store
    for (const s of [a, b]) await s.updateMetadata(stamp(1), [reg(1), reg(2)], [partition(0, 1)])
    const [r] = await a.alterTopicConfigs([
      { name: 't', ops: [{ name: 'cleanup.policy', op: 0, value: 'compact' }] },
    ])
    assert.equal(r!.errorCode, ErrorCode.NONE, r!.errorMessage ?? '')
    assert.equal(a.image().topics.get('t')!.configs.get('cleanup.policy'), 'compact')
    for (let i = 0; i < 100 && b.image().topics.get('t')!.configs.get('cleanup.policy') === undefined; i++)
      await new Promise((r) => setTimeout(r, 5))
    assert.equal(b.image().topics.get('t')!.configs.get('cleanup.policy'), 'compact')
    const children = await mz.connect().getChildren(ZkPaths.configChanges)
    assert.deepEqual(children, ['config_change_0000000000'])
    await a.alterBrokerConfigs([
      { brokerId: null, ops: [{ name: 'log.retention.ms', op: 0, value: '5000' }] },
    ])
    for (let i = 0; i < 100 && b.image().brokerConfigs.clusterDefault.size === 0; i++)
      await new Promise((r) => setTimeout(r, 5))
    assert.equal(b.image().brokerConfigs.clusterDefault.get('log.retention.ms'), '5000')
    assert.notEqual(await mz.connect().exists('/config/brokers/<default>'), null)
  })

  it('hands out producer ids in blocks of 1000 reserved in /latest_producer_id_block, never twice across brokers', async () => {
    const mz = new MemoryZk()
    const a = new ZkProducerIdAllocator(mz.connect(), 1)
    const b = new ZkProducerIdAllocator(mz.connect(), 2)
    const ids = await Promise.all([a.generate(), b.generate(), a.generate(), b.generate()])
    assert.deepEqual(ids, [0n, 1000n, 1n, 1001n])
    const block = JSON.parse((await mz.connect().getData(ZkPaths.producerIdBlock))!.data!.toString())
    assert.deepEqual(block, { version: 1, broker: 2, block_start: '1000', block_end: '1999' })
  })

  it('opens a new session after expiry and registers again with a new broker epoch, following configs again', async () => {
    const mz = new MemoryZk()
    const first = mz.connect()
    const zk = new RenewingZkClient(first, async () => mz.connect(), silentLogger)
    const { store } = await storeOn(zk)
    await store.registerBroker(reg(1))
    await store.updateMetadata(stamp(1), [reg(1)], [partition(0, 1)])
    const before = store.brokerEpoch
    mz.expireSession(first)
    for (let i = 0; i < 200 && store.brokerEpoch === before; i++) await new Promise((r) => setTimeout(r, 5))
    assert.ok(store.brokerEpoch > before, 'a new broker epoch')
    const stat = await mz.connect().exists(ZkPaths.broker(1))
    assert.equal(stat!.czxid, store.brokerEpoch)
    // Requests addressed to the old incarnation are refused now.
    assert.equal(await store.updateMetadata(stamp(1, before), [reg(1)], []), ErrorCode.STALE_BROKER_EPOCH)
    // The config watch was armed again on the new session.
    const other = (await storeOn(mz.connect(), 2)).store
    await other.updateMetadata(stamp(1), [reg(1), reg(2)], [partition(0, 1)])
    await other.alterTopicConfigs([{ name: 't', ops: [{ name: 'retention.ms', op: 0, value: '777' }] }])
    for (let i = 0; i < 200 && store.image().topics.get('t')!.configs.get('retention.ms') === undefined; i++)
      await new Promise((r) => setTimeout(r, 5))
    assert.equal(store.image().topics.get('t')!.configs.get('retention.ms'), '777')
    await store.close()
  })
})
