import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type TopicName, type TransactionalId, ZERO_UUID } from '../../../src/common/ids.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  type FetchRequest,
  fetchRequestCodec,
  fetchResponseCodec,
} from '../../../src/protocol/generated/messages/fetch.ts'
import {
  type ProduceRequest,
  type ProduceResponse,
  produceResponseCodec,
} from '../../../src/protocol/generated/messages/produce.ts'
import { crc32c } from '../../../src/protocol/primitives/crc32c.ts'
import { Attr, BatchOffsets, Compression, CRC_START } from '../../../src/records/batch-header.ts'
import { buildBatch } from '../../../src/records/builder.ts'
import { fetchHandler } from '../../../src/server/handlers/fetch.ts'
import { produceHandler } from '../../../src/server/handlers/produce.ts'
import { batch, ctx, type Env, recordsIn, roundTrip, startEnv } from '../replication/helpers.ts'

function produceReq(
  topic: string,
  records: Buffer | null,
  o: { acks?: number; partition?: number; transactionalId?: string | null } = {},
): ProduceRequest {
  return {
    transactionalId: (o.transactionalId ?? null) as TransactionalId | null,
    acks: o.acks ?? 1,
    timeoutMs: 30000,
    topicData: [{ name: topic as TopicName, partitionData: [{ index: o.partition ?? 0, records }] }],
  }
}

async function produce(env: Env, req: ProduceRequest, version = 9) {
  const res = await produceHandler.handle(ctx(0, version), req, env.services)
  if (res === null) return null
  return roundTrip(produceResponseCodec, res, version)
}

const part0 = (res: ProduceResponse | null) => {
  assert.ok(res !== null)
  return res.responses[0].partitionResponses[0]
}

async function fetchAll(env: Env, topic: string, offset: bigint, version = 12) {
  const req: FetchRequest = {
    ...fetchRequestCodec.defaults(version),
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 1 << 20,
    topics: [
      {
        topic: topic as TopicName,
        topicId: env.topics.get(topic)!.topicId,
        partitions: [
          {
            partition: 0,
            currentLeaderEpoch: -1,
            fetchOffset: offset,
            lastFetchedEpoch: -1,
            logStartOffset: -1n,
            partitionMaxBytes: 1 << 20,
            replicaDirectoryId: ZERO_UUID,
          },
        ],
      },
    ],
  }
  const res = await fetchHandler.handle(ctx(1, version), req, env.services)
  return roundTrip(fetchResponseCodec, res!, version)
}

describe('Produce handler', () => {
  let env: Env
  before(async () => {
    env = await startEnv({
      logConfig: (t) =>
        t === 'small'
          ? { maxMessageBytes: 300 }
          : t === 'compacted'
            ? { cleanupPolicy: 'compact' }
            : t === 'append-time'
              ? { messageTimestampType: 'LogAppendTime' }
              : t === 'future'
                ? { messageTimestampAfterMaxMs: 60_000 }
                : t === 'past'
                  ? { messageTimestampBeforeMaxMs: 60_000 }
                  : t === 'isr2'
                    ? { minInsyncReplicas: 2 }
                    : {},
    })
    await env.setTopics(
      { name: 't' },
      { name: 'small' },
      { name: 'compacted' },
      { name: 'append-time' },
      { name: 'future' },
      { name: 'past' },
      { name: 'isr2' },
      { name: '__consumer_offsets' },
    )
  })
  after(() => env.stop())

  it('appends and the records come back through Fetch, every produce version 3-11', async () => {
    const start = env.rm.partition('t', 0)!.log.logEndOffset
    let expected = start
    for (let v = 3; v <= 11; v++) {
      const p = part0(await produce(env, produceReq('t', batch(3, { tag: `v${v}` })), v))
      assert.equal(p.errorCode, ErrorCode.NONE)
      assert.equal(p.baseOffset, expected)
      assert.equal(p.logAppendTimeMs, -1n)
      assert.equal(p.logStartOffset, v >= 5 ? 0n : -1n)
      expected += 3n
    }
    for (const fv of [4, 11, 12, 13, 17]) {
      const res = await fetchAll(env, 't', start, fv)
      assert.equal(res.errorCode, ErrorCode.NONE)
      const pd = res.responses[0].partitions[0]
      assert.equal(pd.errorCode, ErrorCode.NONE)
      assert.equal(pd.highWatermark, expected)
      const recs = recordsIn(pd.records!)
      assert.equal(recs.length, 27)
      assert.deepEqual(
        recs.map((r) => r.offset),
        Array.from({ length: 27 }, (_, i) => start + BigInt(i)),
      )
      assert.equal(recs[3].value, 'v4-0')
      assert.equal(recs[3].key, 'k0')
    }
  })

  it('acks=0 gets no response but the batch is written', async () => {
    const leo = env.rm.partition('t', 0)!.log.logEndOffset
    const res = await produceHandler.handle(ctx(0, 9), produceReq('t', batch(2), { acks: 0 }), env.services)
    assert.equal(res, null)
    assert.equal(env.rm.partition('t', 0)!.log.logEndOffset, leo + 2n)
  })

  it('refuses v0-2 with UNSUPPORTED_VERSION per partition, and bad acks', async () => {
    for (const v of [0, 1, 2]) {
      const p = part0(await produce(env, produceReq('t', batch(1)), v))
      assert.equal(p.errorCode, ErrorCode.UNSUPPORTED_VERSION)
      assert.equal(p.baseOffset, -1n)
    }
    const bad = part0(await produce(env, produceReq('t', batch(1), { acks: 2 })))
    assert.equal(bad.errorCode, ErrorCode.INVALID_REQUIRED_ACKS)
  })

  it('answers unknown topics and partitions per partition', async () => {
    assert.equal(
      part0(await produce(env, produceReq('nope', batch(1)))).errorCode,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    )
    const p = part0(await produce(env, produceReq('t', batch(1), { partition: 5 })))
    assert.equal(p.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  })

  it('refuses corrupt, legacy, oversized, multi-batch and malformed batches as Kafka does', async () => {
    const corrupt = batch(2)
    corrupt[corrupt.length - 1] ^= 0xff
    assert.equal(part0(await produce(env, produceReq('t', corrupt))).errorCode, ErrorCode.CORRUPT_MESSAGE)

    const legacy = batch(1)
    legacy.writeInt8(1, BatchOffsets.magic)
    assert.equal(part0(await produce(env, produceReq('t', legacy))).errorCode, ErrorCode.INVALID_RECORD)

    const big = part0(await produce(env, produceReq('small', batch(1, { valueBytes: 400 }))))
    assert.equal(big.errorCode, ErrorCode.MESSAGE_TOO_LARGE)
    assert.match(big.errorMessage ?? '', /max.message.bytes/)

    const two = Buffer.concat([batch(1), batch(1)])
    assert.equal(part0(await produce(env, produceReq('t', two))).errorCode, ErrorCode.INVALID_RECORD)
    assert.equal(part0(await produce(env, produceReq('t', null))).errorCode, ErrorCode.INVALID_RECORD)
    assert.equal(
      part0(await produce(env, produceReq('t', batch(2).subarray(0, 40)))).errorCode,
      ErrorCode.CORRUPT_MESSAGE,
    )

    const offset = batch(1)
    offset.writeBigInt64BE(5n, 0)
    assert.equal(part0(await produce(env, produceReq('t', offset))).errorCode, ErrorCode.INVALID_RECORD)

    const control = buildBatch([{ key: 'k', value: 'v' }], { control: true, timestamp: 1 })
    assert.equal(part0(await produce(env, produceReq('t', control))).errorCode, ErrorCode.INVALID_RECORD)

    const zstd = buildBatch([{ key: 'k', value: 'v' }], { compression: Compression.zstd, timestamp: 1 })
    assert.equal(
      part0(await produce(env, produceReq('t', zstd), 6)).errorCode,
      ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
    )
    assert.equal(part0(await produce(env, produceReq('t', zstd), 7)).errorCode, ErrorCode.NONE)

    const lat = batch(1)
    lat.writeInt16BE(lat.readInt16BE(BatchOffsets.attributes) | Attr.logAppendTime, BatchOffsets.attributes)
    lat.writeUInt32BE(crc32c(lat, CRC_START, lat.length), BatchOffsets.crc)
    assert.equal(part0(await produce(env, produceReq('t', lat))).errorCode, ErrorCode.INVALID_TIMESTAMP)
  })

  it('refuses keyless records on compacted topics with the record indexes', async () => {
    const keyless = buildBatch(
      [
        { key: 'a', value: '1' },
        { key: null, value: '2' },
      ],
      { timestamp: 1 },
    )
    const p = part0(await produce(env, produceReq('compacted', keyless)))
    assert.equal(p.errorCode, ErrorCode.INVALID_RECORD)
    assert.deepEqual(
      p.recordErrors.map((e) => e.batchIndex),
      [1],
    )
    // Before v8 the answer has no record errors (the codec refuses them there).
    const v7 = part0(await produce(env, produceReq('compacted', Buffer.from(keyless)), 7))
    assert.equal(v7.errorCode, ErrorCode.INVALID_RECORD)
    assert.equal(v7.recordErrors.length, 0)
    assert.equal(part0(await produce(env, produceReq('compacted', batch(2)))).errorCode, ErrorCode.NONE)
  })

  it('checks CreateTime timestamps against message.timestamp.after/before.max.ms', async () => {
    const now = env.clock.now()
    const ahead = part0(await produce(env, produceReq('future', batch(1, { ts: now + 120_000 }))))
    assert.equal(ahead.errorCode, ErrorCode.INVALID_TIMESTAMP)
    assert.equal(
      part0(await produce(env, produceReq('future', batch(1, { ts: now + 1000 })))).errorCode,
      ErrorCode.NONE,
    )
    const old = part0(await produce(env, produceReq('past', batch(3, { ts: now - 120_000 }))))
    assert.equal(old.errorCode, ErrorCode.INVALID_TIMESTAMP)
    assert.equal(old.recordErrors.length, 3)
    assert.equal(
      part0(await produce(env, produceReq('past', batch(1, { ts: now })))).errorCode,
      ErrorCode.NONE,
    )
  })

  it('stamps LogAppendTime and reports it', async () => {
    const p = part0(await produce(env, produceReq('append-time', batch(2, { ts: 5 }))))
    assert.equal(p.errorCode, ErrorCode.NONE)
    assert.equal(p.logAppendTimeMs, BigInt(env.clock.now()))
    const res = await fetchAll(env, 'append-time', 0n)
    const recs = recordsIn(res.responses[0].partitions[0].records!)
    assert.deepEqual(
      recs.map((r) => r.timestamp),
      [BigInt(env.clock.now()), BigInt(env.clock.now())],
    )
  })

  it('acks=-1 needs min.insync.replicas in sync; internal topics are refused', async () => {
    assert.equal(
      part0(await produce(env, produceReq('isr2', batch(1), { acks: -1 }))).errorCode,
      ErrorCode.NOT_ENOUGH_REPLICAS,
    )
    assert.equal(
      part0(await produce(env, produceReq('isr2', batch(1), { acks: 1 }))).errorCode,
      ErrorCode.NONE,
    )
    assert.equal(part0(await produce(env, produceReq('t', batch(1), { acks: -1 }))).errorCode, ErrorCode.NONE)
    const internal = part0(await produce(env, produceReq('__consumer_offsets', batch(1))))
    assert.equal(internal.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION)
  })

  it('takes transactional batches only with a transactional id', async () => {
    const txn = buildBatch([{ key: 'k', value: 'v' }], {
      transactional: true,
      producerId: 1n,
      producerEpoch: 0,
      baseSequence: 0,
      timestamp: 1,
    })
    const noId = part0(await produce(env, produceReq('t', Buffer.from(txn))))
    assert.equal(noId.errorCode, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
    const withId = part0(await produce(env, produceReq('t', Buffer.from(txn), { transactionalId: 'tx' })))
    assert.equal(withId.errorCode, ErrorCode.NONE)
    assert.equal(env.rm.partition('t', 0)!.producers.get(1n)?.currentTxnFirstOffset, withId.baseOffset)
  })

  it('keeps the order of pipelined requests and coalesces their writes', async () => {
    const leo = env.rm.partition('t', 0)!.log.logEndOffset
    const pending = Array.from({ length: 20 }, (_, i) =>
      produceHandler.handle(ctx(0, 9), produceReq('t', batch(2, { tag: `p${i}` })), env.services),
    )
    const res = (await Promise.all(pending)) as ProduceResponse[]
    res.forEach((r, i) => {
      assert.equal(r.responses[0].partitionResponses[0].baseOffset, leo + BigInt(2 * i))
    })
    const f = await fetchAll(env, 't', leo)
    const recs = recordsIn(f.responses[0].partitions[0].records!)
    assert.equal(recs.length, 40)
    assert.equal(recs[39].value, 'p19-1')
  })
})

describe('Produce handler: idempotent producers', () => {
  let env: Env
  before(async () => {
    env = await startEnv()
    await env.setTopics({ name: 'idem' })
  })
  after(() => env.stop())
  const send = async (pid: bigint, epoch: number, seq: number, n: number, tag = 'x') =>
    part0(
      await produce(
        env,
        produceReq('idem', batch(n, { producerId: pid, producerEpoch: epoch, baseSequence: seq, tag })),
      ),
    )

  it('answers a retried batch with its original offsets and writes it once', async () => {
    assert.equal((await send(100n, 0, 0, 3)).baseOffset, 0n)
    assert.equal((await send(100n, 0, 3, 2)).baseOffset, 3n)
    const dup = await send(100n, 0, 0, 3)
    assert.equal(dup.errorCode, ErrorCode.NONE)
    assert.equal(dup.baseOffset, 0n)
    assert.equal(env.rm.partition('idem', 0)!.log.logEndOffset, 5n)
  })

  it('a gap is OUT_OF_ORDER_SEQUENCE_NUMBER; an old epoch INVALID_PRODUCER_EPOCH; a bump restarts at 0', async () => {
    assert.equal((await send(100n, 0, 9, 1)).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
    assert.equal((await send(100n, 1, 5, 1)).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
    const bumped = await send(100n, 1, 0, 1)
    assert.equal(bumped.errorCode, ErrorCode.NONE)
    assert.equal(bumped.baseOffset, 5n)
    assert.equal((await send(100n, 0, 5, 1)).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH)
  })

  it('a retry pipelined behind its original (same write group) gets the same offsets', async () => {
    const a = batch(2, { producerId: 200n, producerEpoch: 0, baseSequence: 0 })
    const b = Buffer.from(a)
    const [ra, rb] = (await Promise.all([
      produceHandler.handle(ctx(0, 9), produceReq('idem', a), env.services),
      produceHandler.handle(ctx(0, 9), produceReq('idem', b), env.services),
    ])) as ProduceResponse[]
    assert.equal(
      ra.responses[0].partitionResponses[0].baseOffset,
      rb.responses[0].partitionResponses[0].baseOffset,
    )
  })
})
