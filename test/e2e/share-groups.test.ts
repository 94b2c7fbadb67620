// Share groups (KIP-932) end to end against a real broker process, with a small share client
// over our own codec (no client on this machine speaks share groups): two members on one
// partition both receive records, each record held by one member at a time; a released record
// and one whose lock expired are delivered again; the delivery-count limit archives a poison
// record; after a broker restart acknowledged records stay acknowledged while an unacknowledged
// one is delivered again (state from __share_group_state). Also ApiVersions (share and
// client-metrics APIs advertised, telemetry push not) and ShareGroupDescribe.

import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { after, before, test } from 'node:test'
import { apiRanges, WireConnection } from '../../bench/scenarios/wire.ts'
import { captureIo } from '../../src/cli/common/io.ts'
import { runTool } from '../../src/cli/main.ts'
import type { GroupId, TopicName, Uuid } from '../../src/common/ids.ts'
import {
  createTopicsRequestCodec,
  createTopicsResponseCodec,
} from '../../src/protocol/generated/messages/create-topics.ts'
import {
  listClientMetricsResourcesRequestCodec,
  listClientMetricsResourcesResponseCodec,
} from '../../src/protocol/generated/messages/list-client-metrics-resources.ts'
import { produceRequestCodec, produceResponseCodec } from '../../src/protocol/generated/messages/produce.ts'
import {
  shareAcknowledgeRequestCodec,
  shareAcknowledgeResponseCodec,
} from '../../src/protocol/generated/messages/share-acknowledge.ts'
import {
  shareFetchRequestCodec,
  shareFetchResponseCodec,
} from '../../src/protocol/generated/messages/share-fetch.ts'
import {
  shareGroupDescribeRequestCodec,
  shareGroupDescribeResponseCodec,
} from '../../src/protocol/generated/messages/share-group-describe.ts'
import {
  shareGroupHeartbeatRequestCodec,
  shareGroupHeartbeatResponseCodec,
} from '../../src/protocol/generated/messages/share-group-heartbeat.ts'
import { buildBatch } from '../../src/records/builder.ts'
import { type BrokerProcess, startBrokerProcess } from '../support/broker-process.ts'

const GROUP = 'share-e2e' as GroupId
const TOPIC = 'share-topic' as TopicName
const CONFIG = {
  'group.share.min.record.lock.duration.ms': 1000,
  'group.share.record.lock.duration.ms': 1000,
  'group.share.delivery.count.limit': 2,
  'share.coordinator.state.topic.num.partitions': 3,
}

let broker: BrokerProcess
let conn: WireConnection
let topicId: Uuid
const logDir: { path: string | null } = { path: null }
/** The first start made the log dir; its cleanup() removes it (a restart's does not). */
let first: BrokerProcess | undefined

before(async () => {
  broker = await startBrokerProcess({ config: CONFIG })
  logDir.path = broker.logDir
  first = broker
  conn = await WireConnection.open(broker.host, broker.port)
  const res = await conn.request(
    createTopicsRequestCodec,
    createTopicsResponseCodec,
    {
      ...createTopicsRequestCodec.defaults(7),
      timeoutMs: 30_000,
      topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    },
    7,
  )
  assert.equal(res.topics[0].errorCode, 0)
  topicId = res.topics[0].topicId
})

after(async () => {
  conn?.close()
  await broker?.stop()
  first?.cleanup()
})

async function produce(values: string[]): Promise<void> {
  const records = buildBatch(values.map((v) => ({ key: null, value: Buffer.from(v), headers: [] })))
  const res = await conn.request(
    produceRequestCodec,
    produceResponseCodec,
    {
      transactionalId: null,
      acks: -1,
      timeoutMs: 10_000,
      topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }],
    },
    9,
  )
  assert.equal(res.responses[0].partitionResponses[0].errorCode, 0)
}

async function join(c: WireConnection, memberId: string): Promise<number> {
  const res = await c.request(
    shareGroupHeartbeatRequestCodec,
    shareGroupHeartbeatResponseCodec,
    { groupId: GROUP, memberId, memberEpoch: 0, rackId: null, subscribedTopicNames: [TOPIC] },
    0,
  )
  assert.equal(res.errorCode, 0, res.errorMessage ?? '')
  assert.deepEqual(res.assignment?.topicPartitions, [{ topicId, partitions: [0] }])
  return res.memberEpoch
}

/** kafka-share-groups.sh, run in this process. */
async function shareGroupsTool(...args: string[]): Promise<string> {
  const io = captureIo(Readable.from([]))
  const code = await runTool('share-groups', ['--bootstrap-server', broker.bootstrap, ...args], io)
  assert.equal(code, 0, io.stderr())
  return io.stdout()
}

interface Acquired {
  offsets: bigint[]
  counts: Map<bigint, number>
}

/** One ShareFetch of partition 0: the acquired offsets with their delivery counts. */
async function shareFetch(
  c: WireConnection,
  memberId: string,
  epoch: number,
  maxWaitMs: number,
  acks: { firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[] }[] = [],
): Promise<Acquired> {
  const res = await c.request(
    shareFetchRequestCodec,
    shareFetchResponseCodec,
    {
      groupId: GROUP,
      memberId,
      shareSessionEpoch: epoch,
      maxWaitMs,
      minBytes: 1,
      maxBytes: 1 << 20,
      topics: [
        {
          topicId,
          partitions: [{ partitionIndex: 0, partitionMaxBytes: 1 << 20, acknowledgementBatches: acks }],
        },
      ],
      forgottenTopicsData: [],
    },
    0,
  )
  assert.equal(res.errorCode, 0, res.errorMessage ?? '')
  const p = res.responses[0]?.partitions[0]
  const out: Acquired = { offsets: [], counts: new Map() }
  if (p === undefined) return out
  assert.equal(p.errorCode, 0)
  assert.equal(p.acknowledgeErrorCode, 0)
  for (const r of p.acquiredRecords)
    for (let o = r.firstOffset; o <= r.lastOffset; o++) {
      out.offsets.push(o)
      out.counts.set(o, r.deliveryCount)
    }
  if (out.offsets.length > 0)
    assert.ok(p.records !== null && p.records.length > 0, 'records sent with the ranges')
  return out
}

async function acknowledge(
  c: WireConnection,
  memberId: string,
  offset: bigint,
  type: number,
): Promise<number> {
  const res = await c.request(
    shareAcknowledgeRequestCodec,
    shareAcknowledgeResponseCodec,
    {
      groupId: GROUP,
      memberId,
      shareSessionEpoch: 1,
      topics: [
        {
          topicId,
          partitions: [
            {
              partitionIndex: 0,
              acknowledgementBatches: [{ firstOffset: offset, lastOffset: offset, acknowledgeTypes: [type] }],
            },
          ],
        },
      ],
    },
    0,
  )
  return res.responses[0].partitions[0].errorCode
}

test('ApiVersions advertises the share APIs and ListClientMetricsResources, not telemetry push', async () => {
  const ranges = await apiRanges(conn)
  for (const key of [74, 76, 77, 78, 79]) assert.deepEqual(ranges.get(key), [0, 0], `api ${key}`)
  assert.equal(ranges.has(71), false, 'GetTelemetrySubscriptions: no client-metrics receiver')
  assert.equal(ranges.has(72), false, 'PushTelemetry')
  const res = await conn.request(
    listClientMetricsResourcesRequestCodec,
    listClientMetricsResourcesResponseCodec,
    {},
    0,
  )
  assert.deepEqual([res.errorCode, res.clientMetricsResources], [0, []])
})

test('two members share one partition; release, lock expiry and the delivery limit', async () => {
  const b = await WireConnection.open(broker.host, broker.port)
  try {
    await join(conn, 'member-a')
    await join(b, 'member-b')
    const described = await conn.request(
      shareGroupDescribeRequestCodec,
      shareGroupDescribeResponseCodec,
      { groupIds: [GROUP], includeAuthorizedOperations: false },
      0,
    )
    const g = described.groups[0]
    assert.equal(g.groupState, 'Stable')
    assert.deepEqual(g.members.map((m) => m.memberId).sort(), ['member-a', 'member-b'])
    for (const m of g.members) assert.deepEqual(m.assignment.topicPartitions[0].partitions, [0])
    const members = await shareGroupsTool('--describe', '--members', '--group', GROUP)
    const lines = members.split('\n').filter((l) => l !== '')
    assert.match(lines[0], /^GROUP\s+CONSUMER-ID\s+HOST\s+CLIENT-ID\s+#PARTITIONS\s+ASSIGNMENT$/)
    assert.deepEqual(
      lines
        .slice(1)
        .map((l) => l.split(/\s+/).filter((_, i) => i !== 2))
        .sort(),
      [
        [GROUP, 'member-a', 'samsa-bench', '1', `${TOPIC}:0`],
        [GROUP, 'member-b', 'samsa-bench', '1', `${TOPIC}:0`],
      ],
    )
    const state = await shareGroupsTool('--describe', '--state', '--group', GROUP)
    assert.match(state, new RegExp(`^${GROUP}\\s+${broker.host}:${broker.port} \\(1\\)\\s+Stable\\s+2$`, 'm'))
    // Open both sessions (the share-partition starts at the end of the log: latest).
    assert.deepEqual((await shareFetch(conn, 'member-a', 0, 0)).offsets, [])
    assert.deepEqual((await shareFetch(b, 'member-b', 0, 0)).offsets, [])
    await produce(['r0', 'r1', 'r2', 'r3'])
    const a1 = await shareFetch(conn, 'member-a', 1, 2000)
    assert.deepEqual(a1.offsets, [0n, 1n, 2n, 3n])
    assert.deepEqual((await shareFetch(b, 'member-b', 1, 0)).offsets, [], 'all held by member-a')
    await produce(['r4', 'r5'])
    assert.deepEqual(
      (await shareFetch(b, 'member-b', 2, 2000)).offsets,
      [4n, 5n],
      'member-b gets the new ones',
    )
    // member-a: accept 0, release 1, reject 2, leave 3 to its lock.
    assert.equal(await acknowledge(conn, 'member-a', 0n, 1), 0)
    assert.equal(await acknowledge(conn, 'member-a', 1n, 2), 0)
    assert.equal(await acknowledge(conn, 'member-a', 2n, 3), 0)
    assert.equal(await acknowledge(b, 'member-b', 0n, 1), 121, 'not its record: INVALID_RECORD_STATE')
    const b2 = await shareFetch(b, 'member-b', 3, 0)
    assert.deepEqual(b2.offsets, [1n], 'the released record, delivered again')
    assert.equal(b2.counts.get(1n), 2)
    assert.equal(await acknowledge(b, 'member-b', 4n, 1), 0)
    assert.equal(await acknowledge(b, 'member-b', 5n, 1), 0)
    // Second delivery of 1 released again: the limit (2) archives it.
    assert.equal(await acknowledge(b, 'member-b', 1n, 2), 0)
    // Offset 3's lock (1 s) runs out: delivered again to whoever fetches.
    let again: Acquired = { offsets: [], counts: new Map() }
    const deadline = Date.now() + 5000
    while (again.offsets.length === 0 && Date.now() < deadline) {
      again = await shareFetch(conn, 'member-a', 2, 200)
      if (again.offsets.length === 0) await new Promise((r) => setTimeout(r, 100))
    }
    assert.deepEqual(again.offsets, [3n], 'only offset 3 comes back; 1 (poison) and 2 (rejected) never')
    assert.equal(again.counts.get(3n), 2)
    assert.equal(await acknowledge(conn, 'member-a', 3n, 1), 0)
    // Two more: 6 accepted, 7 still acquired by member-a when the broker restarts.
    await produce(['r6', 'r7'])
    assert.deepEqual((await shareFetch(conn, 'member-a', 3, 2000)).offsets, [6n, 7n])
    assert.equal(await acknowledge(conn, 'member-a', 6n, 1), 0)
  } finally {
    b.close()
  }
})

test('after a restart acknowledged records stay acknowledged; the unacknowledged one comes back', async () => {
  conn.close()
  await broker.stop()
  broker = await startBrokerProcess({ config: CONFIG, logDir: logDir.path as string })
  conn = await WireConnection.open(broker.host, broker.port)
  await join(conn, 'member-c')
  let got: Acquired = { offsets: [], counts: new Map() }
  const deadline = Date.now() + 5000
  while (got.offsets.length === 0 && Date.now() < deadline) got = await shareFetch(conn, 'member-c', 0, 500)
  // Without the persisted state the share-partition would start at the end of the log (8).
  assert.deepEqual(got.offsets, [7n], 'offsets 0-6 were finished before the restart')
  assert.equal(got.counts.get(7n), 2, 'its delivery count survived')
})
