import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { ZERO_UUID } from '../../../src/common/ids.ts'
import { MemoryFs } from '../../../src/common/memory-fs.ts'
import { nodeFs } from '../../../src/common/node-fs.ts'
import { AlterConfigOp } from '../../../src/config/config-ops.ts'
import {
  type EmbeddedStoreOptions,
  openEmbeddedMetadataStore,
} from '../../../src/metadata/embedded/embedded-store.ts'
import { STATE_FILE } from '../../../src/metadata/embedded/state-file.ts'
import { MetadataError, MetadataErrorCode } from '../../../src/metadata/errors.ts'
import type { MetadataChange } from '../../../src/metadata/store.ts'
import { isUuid } from '../../../src/metadata/uuid.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'

const DIR = '/data/logs'

function memStore(fs = new MemoryFs(), opts: Partial<EmbeddedStoreOptions> = {}) {
  return openEmbeddedMetadataStore({ logDirs: [DIR], fs, nodeId: 1, ...opts })
}

const topic = (name: string, numPartitions = 1, replicationFactor = 1) => ({
  name,
  numPartitions,
  replicationFactor,
})

/** A snapshot of the persistent parts of an image, for before/after comparisons. */
function persistent(image: ReturnType<Awaited<ReturnType<typeof memStore>>['image']>) {
  return {
    topics: [...image.topics.values()].map((t) => ({
      name: t.name,
      topicId: t.topicId,
      configs: Object.fromEntries(t.configs),
      partitions: t.partitions.map((p) => ({ ...p })),
    })),
    clusterDefault: Object.fromEntries(image.brokerConfigs.clusterDefault),
    perBroker: [...image.brokerConfigs.perBroker].map(([id, m]) => [id, Object.fromEntries(m)]),
  }
}

describe('embedded store: identity', () => {
  it("formats a fresh log dir with Kafka's meta.properties and a random cluster id", async () => {
    const fs = new MemoryFs()
    const store = await memStore(fs, { nodeId: 7, now: () => Date.UTC(2024, 0, 2, 3, 4, 5) })
    const image = store.image()
    assert.ok(isUuid(image.clusterId))
    assert.equal(image.controllerId, 7)
    const text = fs.peek(`${DIR}/meta.properties`)!.toString()
    assert.match(
      text,
      new RegExp(
        `^#\\n#Tue Jan 02 03:04:05 UTC 2024\\ncluster\\.id=${image.clusterId}\\ndirectory\\.id=[A-Za-z0-9_-]{22}\\nnode\\.id=7\\nversion=1\\n$`,
      ),
    )
  })

  it('keeps its identity across reopen, and takes the node id from meta.properties when unset', async () => {
    const fs = new MemoryFs()
    const first = await memStore(fs, { nodeId: 4 })
    await first.close()
    const again = await memStore(fs, { nodeId: -1 })
    assert.equal(again.image().clusterId, first.image().clusterId)
    assert.equal(again.nodeId, 4)
  })

  it('uses node id 1 and a configured cluster id for a fresh dir', async () => {
    const store = await memStore(new MemoryFs(), { nodeId: undefined, clusterId: 'MkU3OEVBNTcwNTJENDM2Qg' })
    assert.equal(store.nodeId, 1)
    assert.equal(store.image().clusterId, 'MkU3OEVBNTcwNTJENDM2Qg')
  })

  it("refuses a different node id or cluster id with Kafka's message", async () => {
    const fs = new MemoryFs()
    await (await memStore(fs, { nodeId: 1 })).close()
    await assert.rejects(
      memStore(fs, { nodeId: 2 }),
      (e) =>
        e instanceof MetadataError &&
        e.code === MetadataErrorCode.IdentityMismatch &&
        /Stored node id 1 doesn't match previous node id 2/.test(e.message),
    )
    await assert.rejects(
      memStore(fs, { clusterId: 'AAAAAAAAAAAAAAAAAAAAAQ' }),
      /Invalid cluster.id in: \/data\/logs\/meta.properties/,
    )
  })

  it('writes meta.properties in every log dir, state only in the first', async () => {
    const fs = new MemoryFs()
    const store = await openEmbeddedMetadataStore({ logDirs: ['/a', '/b'], fs, nodeId: 1 })
    await store.createTopics([topic('t')])
    assert.ok(fs.peek('/a/meta.properties'))
    assert.ok(fs.peek('/b/meta.properties'))
    assert.ok(fs.peek(`/a/${STATE_FILE}`))
    assert.equal(fs.peek(`/b/${STATE_FILE}`), null)
    const dirId = (p: string) => /directory\.id=(\S+)/.exec(fs.peek(p)!.toString())![1]
    assert.notEqual(dirId('/a/meta.properties'), dirId('/b/meta.properties'))
  })

  it('refuses a corrupt state file instead of starting empty', async () => {
    const fs = new MemoryFs()
    await (await memStore(fs)).createTopics([topic('t')])
    const f = await fs.open(`${DIR}/${STATE_FILE}`, 'rw')
    await f.write(Buffer.from('{"version": 1, "clu'), 0)
    await f.truncate(19)
    await f.close()
    await assert.rejects(
      memStore(fs),
      (e) => e instanceof MetadataError && e.code === MetadataErrorCode.CorruptState,
    )
  })
})

describe('embedded store: topics', () => {
  it('creates topics with ids, default partition counts and replica placement, and persists them', async () => {
    const fs = new MemoryFs()
    const store = await memStore(fs, { defaultNumPartitions: 3 })
    const results = await store.createTopics([
      topic('orders', 2),
      {
        name: 'defaults',
        numPartitions: -1,
        replicationFactor: -1,
        configs: [{ name: 'retention.ms', value: '1000' }],
      },
    ])
    assert.deepEqual(
      results.map((r) => [r.name, r.errorCode, r.errorMessage, r.numPartitions, r.replicationFactor]),
      [
        ['orders', 0, null, 2, 1],
        ['defaults', 0, null, 3, 1],
      ],
    )
    assert.ok(results.every((r) => isUuid(r.topicId) && r.topicId !== ZERO_UUID))
    const orders = store.image().topics.get('orders')!
    assert.equal(store.image().topicsById.get(orders.topicId), orders)
    assert.deepEqual(
      orders.partitions.map((p) => ({ ...p })),
      [0, 1].map((partition) => ({
        partition,
        leader: 1,
        leaderEpoch: 0,
        partitionEpoch: 0,
        replicas: [1],
        isr: [1],
        offlineReplicas: [],
      })),
    )
    assert.equal(orders.internal, false)
    const before = persistent(store.image())
    await store.close()
    fs.crash()
    const reopened = await memStore(fs)
    assert.deepEqual(persistent(reopened.image()), before)
    assert.equal(reopened.image().topics.get('defaults')!.configs.get('retention.ms'), '1000')
  })

  it('marks internal topics', async () => {
    const store = await memStore()
    await store.createTopics([topic('__consumer_offsets', 5)])
    assert.equal(store.image().topics.get('__consumer_offsets')!.internal, true)
  })

  it("validates as Kafka's controller does", async () => {
    const store = await memStore()
    await store.createTopics([topic('exists'), topic('a.b')])
    const results = await store.createTopics([
      topic('bad name'),
      topic('exists'),
      topic('a_b'),
      topic('dup'),
      topic('dup'),
      topic('rf3', 1, 3),
      topic('rf0', 1, 0),
      topic('p0', 0, 1),
      { ...topic('cfg'), configs: [{ name: 'retention.ms', value: 'soon' }] },
      { ...topic('cfgnull'), configs: [{ name: 'retention.ms', value: null }] },
      { ...topic('cfgname'), configs: [{ name: 'retention.msec', value: '1' }] },
      topic('huge', 10001),
    ])
    assert.deepEqual(
      results.map((r) => [r.name, r.errorCode, r.errorMessage]),
      [
        [
          'bad name',
          ErrorCode.INVALID_TOPIC_EXCEPTION,
          "Topic name is invalid: 'bad name' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'",
        ],
        ['exists', ErrorCode.TOPIC_ALREADY_EXISTS, "Topic 'exists' already exists."],
        ['a_b', ErrorCode.INVALID_TOPIC_EXCEPTION, "Topic 'a_b' collides with existing topic: a.b"],
        ['dup', ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'],
        ['dup', ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'],
        [
          'rf3',
          ErrorCode.INVALID_REPLICATION_FACTOR,
          'Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached because only 1 broker(s) are registered.',
        ],
        [
          'rf0',
          ErrorCode.INVALID_REPLICATION_FACTOR,
          'Replication factor must be larger than 0, or -1 to use the default value.',
        ],
        [
          'p0',
          ErrorCode.INVALID_PARTITIONS,
          'Number of partitions was set to an invalid non-positive value.',
        ],
        [
          'cfg',
          ErrorCode.INVALID_CONFIG,
          'Invalid value soon for configuration retention.ms: Not a number of type LONG',
        ],
        ['cfgnull', ErrorCode.INVALID_CONFIG, 'Null value not supported for topic configs: retention.ms'],
        [
          'cfgname',
          ErrorCode.INVALID_CONFIG,
          "Unknown topic config name: retention.msec. Did you mean 'retention.ms'?",
        ],
        ['huge', ErrorCode.POLICY_VIOLATION, 'Unable to perform excessively large batch operation.'],
      ],
    )
    for (const r of results)
      assert.deepEqual([r.topicId, r.numPartitions, r.replicationFactor], [ZERO_UUID, -1, -1])
    assert.deepEqual([...store.image().topics.keys()], ['exists', 'a.b'])
  })

  it('checks manual replica assignments', async () => {
    const store = await memStore()
    const assign = (name: string, assignments: [number, number[]][], rf = -1, n = -1) => ({
      name,
      numPartitions: n,
      replicationFactor: rf,
      assignments: assignments.map(([partitionIndex, brokerIds]) => ({ partitionIndex, brokerIds })),
    })
    const results = await store.createTopics([
      assign('ok', [
        [1, [1]],
        [0, [1]],
      ]),
      assign('rf', [[0, [1]]], 1),
      assign('n', [[0, [1]]], -1, 1),
      assign('unknown', [[0, [2]]]),
      assign('twice', [[0, [1, 1]]]),
      assign('empty', [[0, []]]),
      assign('gap', [
        [0, [1]],
        [2, [1]],
      ]),
      assign('again', [
        [0, [1]],
        [0, [1]],
      ]),
    ])
    assert.deepEqual(
      results.map((r) => [r.name, r.errorCode, r.errorMessage]),
      [
        ['ok', 0, null],
        [
          'rf',
          ErrorCode.INVALID_REQUEST,
          'A manual partition assignment was specified, but replication factor was not set to -1.',
        ],
        [
          'n',
          ErrorCode.INVALID_REQUEST,
          'A manual partition assignment was specified, but numPartitions was not set to -1.',
        ],
        [
          'unknown',
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          'The manual partition assignment includes broker 2, but no such broker is registered.',
        ],
        [
          'twice',
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          'The manual partition assignment includes the broker 1 more than once.',
        ],
        [
          'empty',
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          'The manual partition assignment includes an empty replica list.',
        ],
        [
          'gap',
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          'partitions should be a consecutive 0-based integer sequence',
        ],
        [
          'again',
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          'Found multiple manual partition assignments for partition 0',
        ],
      ],
    )
    assert.deepEqual(
      store
        .image()
        .topics.get('ok')!
        .partitions.map((p) => p.partition),
      [0, 1],
    )
  })

  it('places replicas on registered brokers', async () => {
    const store = await memStore()
    await store.registerBroker({ id: 2, host: 'h2', port: 9093, rack: null, endpoints: [] })
    const [r] = await store.createTopics([topic('two', 3, 2)])
    assert.equal(r!.errorCode, 0)
    assert.deepEqual(
      store
        .image()
        .topics.get('two')!
        .partitions.map((p) => p.replicas),
      [
        [1, 2],
        [2, 1],
        [1, 2],
      ],
    )
    assert.equal(store.image().brokers.get(2)!.host, 'h2')
  })

  it('validate-only changes nothing', async () => {
    const fs = new MemoryFs()
    const store = await memStore(fs)
    const [r] = await store.createTopics([topic('t', 4)], { validateOnly: true })
    assert.deepEqual([r!.errorCode, r!.numPartitions, r!.topicId], [0, 4, ZERO_UUID])
    assert.equal(store.image().topics.size, 0)
    assert.equal(store.image().version, 0)
    assert.equal(fs.peek(`${DIR}/${STATE_FILE}`), null)
  })

  it('deletes topics by name and by id', async () => {
    const fs = new MemoryFs()
    const store = await memStore(fs)
    const [a, b] = await store.createTopics([topic('a'), topic('b'), topic('c')])
    const results = await store.deleteTopics([
      { name: 'a' },
      { topicId: b!.topicId },
      { name: 'nope' },
      { topicId: 'AAAAAAAAAAAAAAAAAAAAAg' as never },
    ])
    assert.deepEqual(
      results.map((r) => [r.name, r.topicId, r.errorCode]),
      [
        ['a', a!.topicId, 0],
        ['b', b!.topicId, 0],
        ['nope', ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
        [null, 'AAAAAAAAAAAAAAAAAAAAAg', ErrorCode.UNKNOWN_TOPIC_ID],
      ],
    )
    assert.deepEqual([...store.image().topics.keys()], ['c'])
    assert.equal(store.image().topicsById.has(a!.topicId), false)
    await store.close()
    assert.deepEqual([...(await memStore(fs)).image().topics.keys()], ['c'])
  })

  it('adds partitions, refusing decreases and mismatched assignments', async () => {
    const fs = new MemoryFs()
    const store = await memStore(fs)
    await store.createTopics([topic('t', 2), topic('u', 1)])
    const results = await store.createPartitions([
      { name: 't', count: 4 },
      { name: 'u', count: 1 },
      { name: 'missing', count: 3 },
    ])
    assert.deepEqual(
      results.map((r) => [r.resourceName, r.errorCode, r.errorMessage]),
      [
        ['t', 0, null],
        ['u', ErrorCode.INVALID_PARTITIONS, 'Topic already has 1 partition(s).'],
        ['missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "The topic 'missing' does not exist."],
      ],
    )
    const more = await store.createPartitions([
      { name: 't', count: 3 },
      { name: 'u', count: 3, assignments: [[1]] },
    ])
    assert.deepEqual(
      more.map((r) => [r.errorCode, r.errorMessage]),
      [
        [
          ErrorCode.INVALID_PARTITIONS,
          'The topic t currently has 4 partition(s); 3 would not be an increase.',
        ],
        [
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          'Attempted to add 2 additional partition(s), but only 1 assignment(s) were specified.',
        ],
      ],
    )
    const [v] = await store.createPartitions([{ name: 'u', count: 5 }], { validateOnly: true })
    assert.equal(v!.errorCode, 0)
    assert.equal(store.image().topics.get('u')!.partitions.length, 1)
    await store.close()
    assert.deepEqual(
      (await memStore(fs))
        .image()
        .topics.get('t')!
        .partitions.map((p) => p.partition),
      [0, 1, 2, 3],
    )
  })
})

describe('embedded store: configs', () => {
  it('alters topic configs incrementally and wholesale, validating the result', async () => {
    const fs = new MemoryFs()
    const store = await memStore(fs)
    await store.createTopics([{ ...topic('t'), configs: [{ name: 'segment.ms', value: '100' }] }])
    const incremental = await store.alterTopicConfigs([
      {
        name: 't',
        ops: [
          { name: 'retention.ms', op: AlterConfigOp.SET, value: '5000' },
          { name: 'cleanup.policy', op: AlterConfigOp.APPEND, value: 'compact' },
        ],
      },
      { name: 'missing', ops: [] },
    ])
    assert.deepEqual(
      incremental.map((r) => [r.resourceName, r.errorCode]),
      [
        ['t', 0],
        ['missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ],
    )
    assert.deepEqual(Object.fromEntries(store.image().topics.get('t')!.configs), {
      'segment.ms': '100',
      'retention.ms': '5000',
      'cleanup.policy': 'delete,compact',
    })
    const bad = await store.alterTopicConfigs([
      { name: 't', ops: [{ name: 'segment.ms', op: AlterConfigOp.SET, value: '0' }] },
    ])
    assert.deepEqual(
      bad.map((r) => [r.errorCode, r.errorMessage]),
      [[ErrorCode.INVALID_CONFIG, 'Invalid value 0 for configuration segment.ms: Value must be at least 1']],
    )
    await store.alterTopicConfigs([{ name: 't', replace: [{ name: 'max.message.bytes', value: '10' }] }], {
      validateOnly: true,
    })
    assert.equal(store.image().topics.get('t')!.configs.size, 3)
    await store.alterTopicConfigs([{ name: 't', replace: [{ name: 'max.message.bytes', value: '10' }] }])
    assert.deepEqual(Object.fromEntries(store.image().topics.get('t')!.configs), {
      'max.message.bytes': '10',
    })
    await store.close()
    assert.deepEqual(Object.fromEntries((await memStore(fs)).image().topics.get('t')!.configs), {
      'max.message.bytes': '10',
    })
  })

  it('alters dynamic broker configs per broker and cluster-wide', async () => {
    const fs = new MemoryFs()
    const store = await memStore(fs)
    const results = await store.alterBrokerConfigs([
      { brokerId: null, ops: [{ name: 'log.retention.ms', op: AlterConfigOp.SET, value: '1000' }] },
      { brokerId: 1, replace: [{ name: 'message.max.bytes', value: '2000' }] },
      { brokerId: 9, ops: [] },
    ])
    assert.deepEqual(
      results.map((r) => [r.resourceName, r.errorCode, r.errorMessage]),
      [
        ['', 0, null],
        ['1', 0, null],
        ['9', ErrorCode.INVALID_REQUEST, 'Unexpected broker id, expected 1, but received 9'],
      ],
    )
    const refused = await store.alterBrokerConfigs([
      { brokerId: 1, ops: [{ name: 'num.partitions', op: AlterConfigOp.SET, value: '3' }] },
    ])
    assert.deepEqual(
      refused.map((r) => [r.errorCode, r.errorMessage]),
      [[ErrorCode.INVALID_REQUEST, 'Cannot update these configs dynamically: Set(num.partitions)']],
    )
    await store.close()
    const image = (await memStore(fs)).image()
    assert.equal(image.brokerConfigs.clusterDefault.get('log.retention.ms'), '1000')
    assert.equal(image.brokerConfigs.perBroker.get(1)!.get('message.max.bytes'), '2000')
  })

  it('validates topic configs against the effective broker defaults', async () => {
    const store = await memStore(new MemoryFs(), {
      staticBrokerConfig: new Map([['log.cleaner.max.compaction.lag.ms', '100']]),
    })
    const [r] = await store.createTopics([
      { ...topic('t'), configs: [{ name: 'min.compaction.lag.ms', value: '500' }] },
    ])
    assert.deepEqual(
      [r!.errorCode, r!.errorMessage],
      [
        ErrorCode.INVALID_CONFIG,
        'conflict topic config setting min.compaction.lag.ms (500) > max.compaction.lag.ms (100)',
      ],
    )
  })
})

describe('embedded store: changes and ordering', () => {
  it('publishes one change per operation, in order, to every subscriber until it unsubscribes', async () => {
    const store = await memStore()
    const seen: MetadataChange[] = []
    const unsubscribe = store.subscribe((c) => seen.push(c))
    await store.createTopics([topic('a'), topic('b')])
    await store.createPartitions([{ name: 'a', count: 2 }])
    await store.alterTopicConfigs([{ name: 'a', replace: [] }])
    await store.alterBrokerConfigs([{ brokerId: null, replace: [] }])
    await store.deleteTopics([{ name: 'b' }])
    unsubscribe()
    await store.createTopics([topic('c')])
    assert.deepEqual(
      seen.map((c) => [c.image.version, c.previous.version]),
      [
        [1, 0],
        [2, 1],
        [3, 2],
        [4, 3],
        [5, 4],
      ],
    )
    assert.deepEqual(seen[0]!.createdTopics, ['a', 'b'])
    assert.deepEqual(seen[1]!.expandedTopics, ['a'])
    assert.deepEqual(seen[2]!.topicConfigsChanged, ['a'])
    assert.equal(seen[3]!.brokerConfigsChanged, true)
    assert.deepEqual(
      seen[4]!.deletedTopics.map((t) => t.name),
      ['b'],
    )
    // Images are snapshots: the first change's image still shows what it showed.
    assert.deepEqual([...seen[0]!.image.topics.keys()], ['a', 'b'])
    assert.equal(seen[0]!.image.topics.get('a')!.partitions.length, 1)
  })

  it('runs concurrent operations one at a time in call order', async () => {
    const store = await memStore()
    const names = Array.from({ length: 20 }, (_, i) => `t${i}`)
    const results = await Promise.all([
      ...names.map((n) => store.createTopics([topic(n)])),
      store.createTopics([topic('t3')]),
    ])
    assert.ok(results.slice(0, 20).every(([r]) => r!.errorCode === 0))
    assert.equal(results[20]![0]!.errorCode, ErrorCode.TOPIC_ALREADY_EXISTS)
    assert.deepEqual([...store.image().topics.keys()], names)
  })

  it('refuses operations after close', async () => {
    const store = await memStore()
    await store.close()
    await assert.rejects(
      store.createTopics([topic('t')]),
      (e) => e instanceof MetadataError && e.code === MetadataErrorCode.Closed,
    )
  })
})

describe('embedded store: atomicity', () => {
  const scenarios: { what: string; fault: Parameters<MemoryFs['failNext']>[0] }[] = [
    {
      what: 'a torn write of the temp file',
      fault: { op: 'write', path: `${STATE_FILE}.tmp`, partialBytes: 10 },
    },
    { what: 'a failed fsync of the temp file', fault: { op: 'sync', path: `${STATE_FILE}.tmp` } },
    { what: 'a crash between temp write and rename', fault: { op: 'rename', path: STATE_FILE } },
    { what: 'a rename that never reached the disk', fault: { op: 'syncDir', path: DIR } },
  ]
  for (const { what, fault } of scenarios) {
    it(`${what} leaves the old state`, async () => {
      const fs = new MemoryFs()
      const store = await memStore(fs)
      await store.createTopics([topic('old', 2)])
      await store.alterTopicConfigs([{ name: 'old', replace: [{ name: 'retention.ms', value: '1' }] }])
      const before = persistent(store.image())
      fs.failNext(fault)
      await assert.rejects(store.createTopics([topic('new')]))
      // The running store did not publish the failed change either.
      assert.deepEqual(persistent(store.image()), before)
      fs.crash()
      const reopened = await memStore(fs)
      assert.deepEqual(persistent(reopened.image()), before)
      assert.equal(fs.peek(`${DIR}/${STATE_FILE}.tmp`), null)
      // And the store works again afterwards.
      const [r] = await reopened.createTopics([topic('new')])
      assert.equal(r!.errorCode, 0)
    })
  }

  it('ignores and removes a durable temp file left by a write that never renamed it', async () => {
    const fs = new MemoryFs()
    const store = await memStore(fs)
    await store.createTopics([topic('old')])
    const before = persistent(store.image())
    const tmp = await fs.open(`${DIR}/${STATE_FILE}.tmp`, 'rw')
    await tmp.write(Buffer.from('{"version":1,"clusterId":"x","nodeId":1,"epoch":99,"topics":[]'), 0)
    await tmp.sync()
    await tmp.close()
    await fs.syncDir(DIR)
    fs.crash()
    const reopened = await memStore(fs)
    assert.deepEqual(persistent(reopened.image()), before)
    assert.equal(fs.peek(`${DIR}/${STATE_FILE}.tmp`), null)
  })

  it('a completed operation survives a crash', async () => {
    const fs = new MemoryFs()
    const store = await memStore(fs)
    await store.createTopics([topic('kept')])
    fs.crash()
    assert.deepEqual([...(await memStore(fs)).image().topics.keys()], ['kept'])
  })
})

describe('embedded store on the real file system', () => {
  it('persists meta.properties and the state file under a temp dir', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'samsa-meta-'))
    try {
      const logDir = join(dir, 'logs')
      const store = await openEmbeddedMetadataStore({ logDirs: [logDir], fs: nodeFs, nodeId: 3 })
      const [r] = await store.createTopics([topic('real', 2)])
      await store.close()
      assert.deepEqual((await readdir(logDir)).sort(), ['meta.properties', STATE_FILE])
      assert.match(await readFile(join(logDir, 'meta.properties'), 'utf8'), /\nnode\.id=3\nversion=1\n$/)
      const again = await openEmbeddedMetadataStore({ logDirs: [logDir], fs: nodeFs })
      assert.equal(again.nodeId, 3)
      assert.equal(again.image().topics.get('real')!.topicId, r!.topicId)
      await again.close()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
