// The log side of transactions against a real broker process, without the transaction
// coordinator: transactional batches produced with our own codec and wire client, markers written
// through WriteTxnMarkers (as a coordinator on another broker would), and real consumers checking
// the outcome: kcat and confluent-kafka (librdkafka 2.0.2) with isolation.level read_committed see
// exactly the committed records and stop at the last stable offset, read_uncommitted sees every
// record; control records never reach them. A restart keeps the last stable offset and the
// aborted index; kafka-dump-log.sh prints the markers and the .txnindex. A transactional batch of
// a producer no coordinator knows (never ended) is a hanging transaction: kafka-transactions.sh
// find-hanging lists it and abort --start-offset ends it. The broker runs with
// transaction.partition.verification.enable=false (KIP-890 verification would refuse these
// batches: there is no coordinator state behind them).

import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { captureIo } from '../../src/cli/common/io.ts'
import { runTool } from '../../src/cli/main.ts'
import { BrokerClient, type RequestSpec } from '../../src/client/broker-client.ts'
import type { BrokerId, ProducerId, TopicName, TransactionalId } from '../../src/common/ids.ts'
import { ErrorCode } from '../../src/protocol/generated/error-codes.ts'
import {
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  listOffsetsRequestCodec,
  listOffsetsResponseCodec,
} from '../../src/protocol/generated/messages/list-offsets.ts'
import {
  type ProduceRequest,
  type ProduceResponse,
  produceRequestCodec,
  produceResponseCodec,
} from '../../src/protocol/generated/messages/produce.ts'
import {
  type WriteTxnMarkersRequest,
  type WriteTxnMarkersResponse,
  writeTxnMarkersRequestCodec,
  writeTxnMarkersResponseCodec,
} from '../../src/protocol/generated/messages/write-txn-markers.ts'
import { buildBatch } from '../../src/records/builder.ts'
import { type BrokerProcess, startBrokerProcess } from '../support/broker-process.ts'
import { kcat, kcatConsumeJson, python } from '../support/e2e-clients.ts'

const TOPIC = 'txn-log'
const PRODUCE: RequestSpec<ProduceRequest, ProduceResponse> = {
  apiKey: 0,
  version: 9,
  request: produceRequestCodec,
  response: produceResponseCodec,
}
const MARKERS: RequestSpec<WriteTxnMarkersRequest, WriteTxnMarkersResponse> = {
  apiKey: 27,
  version: 1,
  request: writeTxnMarkersRequestCodec,
  response: writeTxnMarkersResponseCodec,
}
const LIST_OFFSETS: RequestSpec<ListOffsetsRequest, ListOffsetsResponse> = {
  apiKey: 2,
  version: 5,
  request: listOffsetsRequestCodec,
  response: listOffsetsResponseCodec,
}

/** Producers: 5000 commits, 6000 aborts, 7000 stays open until after the restart. */
const COMMITTED = ['c1', 'c2', 'c3', 'c4']
const ALL_DATA = ['plain-0', 'c1', 'c2', 'c3', 'a1', 'a2', 'c4', 'plain-9', 'o1']

function txnBatch(pid: bigint, seq: number, values: string[], transactional = true): Buffer {
  return buildBatch(
    values.map((v) => ({ key: null, value: v, timestamp: Date.now() })),
    {
      producerId: pid,
      producerEpoch: pid < 0n ? -1 : 0,
      baseSequence: seq,
      transactional,
    },
  )
}

describe('transactions, log side: markers via WriteTxnMarkers, read by kcat and confluent-kafka', () => {
  let b: BrokerProcess | undefined
  let client: BrokerClient | undefined

  const connect = (broker: BrokerProcess) => {
    client?.close()
    client = new BrokerClient({ host: broker.host, port: broker.port, clientId: 'e2e-txn-log' })
    return client
  }

  async function produce(records: Buffer, transactionalId: string | null): Promise<bigint> {
    const res = await client!.send(PRODUCE, {
      transactionalId: transactionalId as TransactionalId | null,
      acks: -1,
      timeoutMs: 10_000,
      topicData: [{ name: TOPIC as TopicName, partitionData: [{ index: 0, records }] }],
    })
    const p = res.responses[0].partitionResponses[0]
    assert.equal(p.errorCode, ErrorCode.NONE, `produce: error ${p.errorCode}`)
    return p.baseOffset
  }

  async function writeMarker(pid: bigint, commit: boolean, coordinatorEpoch = 3): Promise<number> {
    const res = await client!.send(MARKERS, {
      markers: [
        {
          producerId: pid as ProducerId,
          producerEpoch: 0,
          transactionResult: commit,
          coordinatorEpoch,
          topics: [{ name: TOPIC as TopicName, partitionIndexes: [0] }],
        },
      ],
    })
    return res.markers[0].topics[0].partitions[0].errorCode
  }

  async function latest(isolationLevel: number): Promise<bigint> {
    const res = await client!.send(LIST_OFFSETS, {
      replicaId: -1 as BrokerId,
      isolationLevel,
      timeoutMs: 0,
      topics: [
        {
          name: TOPIC as TopicName,
          partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }],
        },
      ],
    })
    return res.topics[0].partitions[0].offset
  }

  const kcatValues = async (isolation: string) =>
    (
      await kcatConsumeJson(b!.bootstrap, [
        '-t',
        TOPIC,
        '-p',
        '0',
        '-o',
        'beginning',
        '-X',
        `isolation.level=${isolation}`,
      ])
    ).map((m) => [m.offset, m.payload])

  const confluent = (isolation: string) =>
    python<{ records: [number, string][]; high: number }>('txn_log_consumer.py', [
      b!.bootstrap,
      TOPIC,
      isolation,
    ])

  const CONFIG = { 'transaction.partition.verification.enable': false }
  before(async () => {
    b = await startBrokerProcess({ config: CONFIG })
    connect(b)
  })
  after(async () => {
    client?.close()
    await b?.stop()
    b?.cleanup()
  })

  it('writes transactional batches and markers; read_committed stops at the open transaction', async () => {
    await kcat(b!.bootstrap, ['-P', '-t', TOPIC, '-p', '0'], { input: 'plain-0\n' })
    assert.equal(await produce(txnBatch(5000n, 0, ['c1', 'c2', 'c3']), 'tx-c'), 1n)
    assert.equal(await produce(txnBatch(6000n, 0, ['a1', 'a2']), 'tx-a'), 4n)
    assert.equal(await produce(txnBatch(5000n, 3, ['c4']), 'tx-c'), 6n)
    assert.equal(await latest(1), 1n, 'read_committed latest is the last stable offset')
    assert.equal(await writeMarker(5000n, true), ErrorCode.NONE) // offset 7
    assert.equal(await writeMarker(6000n, false), ErrorCode.NONE) // offset 8
    assert.equal(await writeMarker(6000n, false, 2), ErrorCode.TRANSACTION_COORDINATOR_FENCED)
    assert.equal(await produce(txnBatch(-1n, -1, ['plain-9'], false), null), 9n)
    assert.equal(await produce(txnBatch(7000n, 0, ['o1']), 'tx-o'), 10n)
    assert.equal(await latest(1), 10n)
    assert.equal(await latest(0), 11n)
  })

  it('kcat: read_committed gets exactly the committed records, read_uncommitted all of them', async () => {
    const committed = await kcatValues('read_committed')
    assert.deepEqual(
      committed.map(([, v]) => v),
      ['plain-0', ...COMMITTED, 'plain-9'],
    )
    assert.deepEqual(
      committed.map(([o]) => o),
      [0, 1, 2, 3, 6, 9],
    )
    const all = await kcatValues('read_uncommitted')
    assert.deepEqual(
      all.map(([, v]) => v),
      ALL_DATA,
    )
    assert.deepEqual(
      all.map(([o]) => o),
      [0, 1, 2, 3, 4, 5, 6, 9, 10],
    )
  })

  it('confluent-kafka: the same', async () => {
    const committed = await confluent('read_committed')
    assert.deepEqual(
      committed.records.map(([, v]) => v),
      ['plain-0', ...COMMITTED, 'plain-9'],
    )
    assert.equal(committed.high, 11, 'librdkafka reports the high watermark in both modes')
    const all = await confluent('read_uncommitted')
    assert.deepEqual(
      all.records.map(([, v]) => v),
      ALL_DATA,
    )
    assert.equal(all.high, 11)
  })

  it('a restart keeps the last stable offset and the aborted index; kafka-dump-log.sh prints both', async () => {
    const logDir = b!.logDir
    assert.equal(await b!.stop(), 0)
    const dir = join(logDir, 'data', `${TOPIC}-0`)
    const io = captureIo(new PassThrough())
    const files = [join(dir, '00000000000000000000.log'), join(dir, '00000000000000000000.txnindex')]
    assert.ok(existsSync(files[1]), 'the abort wrote a .txnindex')
    assert.equal(await runTool('dump-log', ['--deep-iteration', '--files', files.join(',')], io), 0)
    const out = io.stdout()
    assert.match(out, /endTxnMarker: COMMIT coordinatorEpoch: 3/)
    assert.match(out, /endTxnMarker: ABORT coordinatorEpoch: 3/)
    assert.match(out, /version: 0 producerId: 6000 firstOffset: 4 lastOffset: 8 lastStableOffset: 9/)

    b = await startBrokerProcess({ logDir, config: CONFIG })
    connect(b)
    assert.equal(await latest(1), 10n)
    assert.deepEqual(
      (await kcatValues('read_committed')).map(([, v]) => v),
      ['plain-0', ...COMMITTED, 'plain-9'],
    )
    assert.equal(await writeMarker(7000n, true), ErrorCode.NONE)
    assert.equal(await latest(1), 12n)
    const committed = await confluent('read_committed')
    assert.deepEqual(
      committed.records.map(([, v]) => v),
      ['plain-0', ...COMMITTED, 'plain-9', 'o1'],
    )
  })

  it('kafka-transactions.sh find-hanging lists a transaction no coordinator knows; abort ends it', async () => {
    const tool = async (...argv: string[]) => {
      const io = captureIo(new PassThrough(), { PATH: '' })
      const code = await runTool('transactions', ['--bootstrap-server', b!.bootstrap, ...argv], io)
      return { code, out: io.stdout(), err: io.stderr() }
    }
    const start = await produce(txnBatch(8000n, 0, ['hang-1', 'hang-2']), 'tx-hanging')
    const end = await latest(0)
    assert.equal(await latest(1), start, 'the open transaction holds the last stable offset back')
    await new Promise((r) => setTimeout(r, 5))
    const found = await tool('find-hanging', '--broker-id', '1', '--max-transaction-timeout', '0')
    assert.equal(found.code, 0, found.err)
    const [head, ...rows] = found.out
      .trim()
      .split('\n')
      .map((l) => l.split('\t').map((x) => x.trim()))
    assert.deepEqual(head, [
      'Topic',
      'Partition',
      'ProducerId',
      'ProducerEpoch',
      'CoordinatorEpoch',
      'StartOffset',
      'LastTimestamp',
      'Duration(min)',
    ])
    assert.equal(rows.length, 1, found.out)
    assert.deepEqual(rows[0].slice(0, 6), [TOPIC, '0', '8000', '0', '-1', String(start)])
    assert.equal(rows[0][7], '0')
    const aborted = await tool('abort', '--topic', TOPIC, '--partition', '0', '--start-offset', String(start))
    assert.equal(aborted.code, 0, aborted.err)
    assert.equal(await latest(1), end + 1n, 'read_committed reads past the abort marker')
    const after = await tool('find-hanging', '--broker-id', '1', '--max-transaction-timeout', '0')
    assert.equal(after.out.trim().split('\n').length, 1, after.out)
    const committed = await confluent('read_committed')
    assert.deepEqual(
      committed.records.map(([, v]) => v),
      ['plain-0', ...COMMITTED, 'plain-9', 'o1'],
    )
  })
})
