// RemoteLeaderEndPoint against a real Samsa broker started in-process: a topic created and written
// over the wire, then fetched as replica 99 (Fetch v16 by topic id, and v12 by name when the id is
// unknown) and its log start / log end asked for with ListOffsets as a replica.

import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type RunningBroker, startBroker } from '../../../../src/broker/broker.ts'
import { BrokerClient } from '../../../../src/client/broker-client.ts'
import { type TopicName, type Uuid, ZERO_UUID } from '../../../../src/common/ids.ts'
import { silentLogger } from '../../../../src/common/logger.ts'
import { ErrorCode } from '../../../../src/protocol/generated/error-codes.ts'
import {
  createTopicsRequestCodec,
  createTopicsResponseCodec,
} from '../../../../src/protocol/generated/messages/create-topics.ts'
import {
  produceRequestCodec,
  produceResponseCodec,
} from '../../../../src/protocol/generated/messages/produce.ts'
import { buildBatch } from '../../../../src/records/builder.ts'
import type { FetchPartitionRequest } from '../../../../src/replication/fetcher/leader-endpoint.ts'
import { RemoteLeaderEndPoint } from '../../../../src/replication/fetcher/remote-leader-endpoint.ts'
import { splitBatches } from '../../../../src/storage/batch-scan.ts'

const TOPIC = 'replicated'

describe('RemoteLeaderEndPoint against a real Samsa broker', () => {
  let dir = ''
  let broker: RunningBroker | null = null
  let topicId = ZERO_UUID
  const batches: Buffer[] = []

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'samsa-remote-leader-'))
    broker = await startBroker({ port: 0, host: '127.0.0.1', logDirs: [dir], logger: silentLogger })
    const client = new BrokerClient({ host: broker.host, port: broker.port, clientId: 'setup' })
    try {
      const created = await client.send(
        { apiKey: 19, version: 7, request: createTopicsRequestCodec, response: createTopicsResponseCodec },
        {
          topics: [
            {
              name: TOPIC as TopicName,
              numPartitions: 1,
              replicationFactor: 1,
              assignments: [],
              configs: [],
            },
          ],
          timeoutMs: 10_000,
          validateOnly: false,
        },
      )
      assert.equal(created.topics[0].errorCode, ErrorCode.NONE)
      topicId = created.topics[0].topicId
      for (let i = 0; i < 3; i++) {
        const batch = buildBatch(
          [
            { key: `k${i}`, value: `first-${i}` },
            { key: `k${i}`, value: `second-${i}` },
          ],
          { timestamp: 1_700_000_000_000 + i },
        )
        batches.push(batch)
        const res = await client.send(
          { apiKey: 0, version: 9, request: produceRequestCodec, response: produceResponseCodec },
          {
            transactionalId: null,
            acks: -1,
            timeoutMs: 10_000,
            topicData: [{ name: TOPIC as TopicName, partitionData: [{ index: 0, records: batch }] }],
          },
        )
        assert.equal(res.responses[0].partitionResponses[0].errorCode, ErrorCode.NONE)
      }
    } finally {
      client.close()
    }
  })

  after(async () => {
    await broker?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  function endpoint(): RemoteLeaderEndPoint {
    assert.ok(broker)
    return new RemoteLeaderEndPoint({
      leaderId: broker.nodeId,
      host: broker.host,
      port: broker.port,
      brokerId: 99,
      brokerEpoch: () => 42n,
      clientId: 'replica-99',
      requestTimeoutMs: 10_000,
    })
  }

  const request = (id: Uuid, fetchOffset: bigint): FetchPartitionRequest => ({
    topic: TOPIC,
    topicId: id,
    partition: 0,
    fetchOffset,
    lastFetchedEpoch: -1,
    currentLeaderEpoch: -1,
    logStartOffset: 0n,
    partitionMaxBytes: 1 << 20,
  })

  it('fetches the records up to the log end as replica 99, by topic id and by name', async () => {
    const ep = endpoint()
    try {
      assert.notEqual(topicId, ZERO_UUID)
      for (const id of [topicId, ZERO_UUID]) {
        const [p, ...rest] = await ep.fetch([request(id, 0n)], {
          maxWaitMs: 0,
          minBytes: 1,
          maxBytes: 1 << 20,
        })
        assert.equal(rest.length, 0)
        assert.equal(p.topic, TOPIC)
        assert.equal(p.topicId, id)
        assert.equal(p.partition, 0)
        assert.equal(p.errorCode, ErrorCode.NONE)
        assert.equal(p.highWatermark, 6n)
        assert.equal(p.logStartOffset, 0n)
        assert.equal(p.divergingEpoch, null)
        const records = p.records
        assert.ok(records !== null)
        const got = splitBatches(records).batches
        assert.deepEqual(
          got.map((b) => [b.baseOffset, b.lastOffset]),
          [
            [0n, 1n],
            [2n, 3n],
            [4n, 5n],
          ],
        )
        // The broker rewrote only the base offset and leader epoch (outside the CRC): the records
        // are the ones produced.
        for (let i = 0; i < 3; i++) {
          const mine = batches[i]
          const theirs: Buffer = records.subarray(got[i].position, got[i].position + got[i].size)
          assert.deepEqual(theirs.subarray(16), mine.subarray(16))
        }
      }
      const tail = await ep.fetch([request(topicId, 4n)], { maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20 })
      assert.deepEqual(
        splitBatches(tail[0].records ?? Buffer.alloc(0)).batches.map((b) => b.baseOffset),
        [4n],
      )
      const beyond = await ep.fetch([request(topicId, 7n)], { maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20 })
      assert.equal(beyond[0].errorCode, ErrorCode.OFFSET_OUT_OF_RANGE)
      assert.equal(await ep.fetchEarliestOffset(TOPIC, 0, -1), 0n)
      assert.equal(await ep.fetchLatestOffset(TOPIC, 0, -1), 6n)
      await assert.rejects(
        ep.fetchLatestOffset('no-such-topic', 0, -1),
        (e: Error & { errorCode?: number }) => {
          assert.equal(e.name, 'LeaderPartitionError')
          assert.equal(e.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
          return true
        },
      )
    } finally {
      ep.close()
    }
  })

  it('fetches in a KIP-227 session: answers carry only partitions with news', async () => {
    const ep = endpoint()
    try {
      const o = { maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20 }
      // Full fetch: the partition is answered (and the leader creates the session).
      const first = await ep.fetch([request(topicId, 6n)], o)
      assert.equal(first.length, 1)
      assert.equal(first[0].highWatermark, 6n)
      // Incremental, nothing new: the leader leaves the partition out.
      assert.deepEqual(await ep.fetch([request(topicId, 6n)], o), [])
      // A changed fetch offset is sent again, and answered.
      const again = await ep.fetch([request(topicId, 4n)], o)
      assert.deepEqual(
        splitBatches(again[0].records ?? Buffer.alloc(0)).batches.map((b) => b.baseOffset),
        [4n],
      )
      // A partition dropped from the fetch is forgotten by the session; adding it back works.
      assert.deepEqual(await ep.fetch([], o), [])
      const back = await ep.fetch([request(topicId, 6n)], o)
      assert.equal(back.length, 1)
      assert.equal(back[0].errorCode, ErrorCode.NONE)
    } finally {
      ep.close()
    }
  })

  it('rejects once closed', async () => {
    const ep = endpoint()
    ep.close()
    await assert.rejects(ep.fetch([request(topicId, 0n)], { maxWaitMs: 0, minBytes: 1, maxBytes: 1024 }), {
      name: 'BrokerClientError',
    })
  })
})
