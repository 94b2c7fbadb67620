// Transactions end to end with real clients against one broker process: confluent-kafka 1.7.0
// (librdkafka 2.0.2, test/e2e/py/txn_client.py), kafkajs 2.2.4 and @platformatic/kafka 2.x
// transactional producers commit and abort, read back by read_committed and read_uncommitted
// consumers; a second producer with the
// same transactional.id fences the first; offsets sent to a transaction count only when it
// commits; kafka-transactions.sh lists, describes, describes producers, finds hanging
// transactions and aborts one; and a transaction left open when the broker restarts is reloaded
// from __transaction_state and aborted at its timeout. read_committed results depend on the log
// side as much as on the coordinator (LSO, aborted transactions in Fetch). KIP-890 part 1: the
// partition leader asks the coordinator before a transactional batch opens a transaction, so a
// batch (sent with our wire client) for a partition not added to the transaction, or sent after
// the transaction ended, is refused.

import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import {
  Consumer,
  FetchIsolationLevels,
  type Message,
  type MessagesStream,
  Producer,
  stringDeserializers,
  stringSerializers,
} from '@platformatic/kafka'
import kafkajs from 'kafkajs'
import { captureIo } from '../../src/cli/common/io.ts'
import { runTool } from '../../src/cli/main.ts'
import { BrokerClient } from '../../src/client/broker-client.ts'
import type { ProducerId, TopicName, TransactionalId } from '../../src/common/ids.ts'
import { ErrorCode } from '../../src/protocol/generated/error-codes.ts'
import {
  addPartitionsToTxnRequestCodec,
  addPartitionsToTxnResponseCodec,
} from '../../src/protocol/generated/messages/add-partitions-to-txn.ts'
import { endTxnRequestCodec, endTxnResponseCodec } from '../../src/protocol/generated/messages/end-txn.ts'
import {
  findCoordinatorRequestCodec,
  findCoordinatorResponseCodec,
} from '../../src/protocol/generated/messages/find-coordinator.ts'
import {
  initProducerIdRequestCodec,
  initProducerIdResponseCodec,
} from '../../src/protocol/generated/messages/init-producer-id.ts'
import { produceRequestCodec, produceResponseCodec } from '../../src/protocol/generated/messages/produce.ts'
import { buildBatch } from '../../src/records/builder.ts'
import { type BrokerProcess, startBrokerProcess } from '../support/broker-process.ts'
import { pyStep, sleep } from '../support/e2e-clients.ts'

const SCRIPT = 'txn_client.py'
const CONFIG = {
  'transaction.state.log.num.partitions': 3,
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': 300,
}

interface Consumed {
  records: { partition: number; offset: number; value: string }[]
  eof: boolean
  error?: unknown
}
interface TxnError {
  code: number
  name: string
  fatal: boolean
}

async function tool(...argv: string[]) {
  const io = captureIo(new PassThrough(), { PATH: '' })
  const code = await runTool('transactions', argv, io)
  return { code, out: io.stdout(), err: io.stderr() }
}

describe('transactions with real clients', () => {
  let broker: BrokerProcess
  let admin: kafkajs.Admin

  const consume = (topic: string, isolation: 'read_committed' | 'read_uncommitted') =>
    pyStep<Consumed>(SCRIPT, broker.bootstrap, 'consume', { topic, isolation })
  const values = (c: Consumed) => {
    assert.equal(c.error, undefined, JSON.stringify(c.error))
    assert.ok(c.eof, 'read to the end')
    return c.records.map((r) => r.value)
  }
  const kafka = () =>
    new kafkajs.Kafka({
      clientId: 'e2e-txn-kafkajs',
      brokers: [broker.bootstrap],
      logLevel: kafkajs.logLevel.NOTHING,
    })

  before(async () => {
    broker = await startBrokerProcess({ config: CONFIG })
    admin = kafka().admin()
    await admin.connect()
    await admin.createTopics({
      topics: [
        'tx-confluent',
        'tx-kafkajs',
        'tx-fence',
        'tx-offsets',
        'tx-in',
        'tx-restart',
        'tx-hang',
        'tx-verify',
        'tx-platformatic',
        'tx-plt-in',
      ].map((topic) => ({
        topic,
        numPartitions: 1,
      })),
    })
  })

  after(async () => {
    await admin?.disconnect().catch(() => {})
    await broker?.stop()
    broker?.cleanup()
  })

  it('confluent-kafka: committed transactions are read by read_committed, aborted ones only by read_uncommitted', async () => {
    const r = await pyStep<{ ok?: boolean; error?: TxnError }>(SCRIPT, broker.bootstrap, 'produce', {
      txn_id: 'e2e-confluent',
      topic: 'tx-confluent',
      txns: [
        { values: ['a1', 'a2'], commit: true },
        { values: ['b1'], commit: false },
        { values: ['c1'], commit: true },
      ],
    })
    assert.deepEqual(r, { ok: true })
    const all = await consume('tx-confluent', 'read_uncommitted')
    assert.deepEqual(values(all), ['a1', 'a2', 'b1', 'c1'])
    // Each transaction ends with a marker that takes an offset and is never handed out.
    assert.deepEqual(
      all.records.map((x) => x.offset),
      [0, 1, 3, 5],
    )
    assert.deepEqual(values(await consume('tx-confluent', 'read_committed')), ['a1', 'a2', 'c1'])
  })

  it('kafkajs: commit and abort, offsets sent to a transaction count only when it commits', async () => {
    const producer = kafka().producer({
      transactionalId: 'e2e-kafkajs',
      maxInFlightRequests: 1,
      idempotent: true,
    })
    await producer.connect()
    try {
      let t = await producer.transaction()
      await t.send({ topic: 'tx-kafkajs', messages: [{ value: 'k1' }, { value: 'k2' }] })
      await t.commit()
      t = await producer.transaction()
      await t.send({ topic: 'tx-kafkajs', messages: [{ value: 'k3' }] })
      await t.sendOffsets({
        consumerGroupId: 'e2e-kafkajs-group',
        topics: [{ topic: 'tx-in', partitions: [{ partition: 0, offset: '7' }] }],
      })
      await t.abort()
      const fetchOffset = async () =>
        (await admin.fetchOffsets({ groupId: 'e2e-kafkajs-group', topics: ['tx-in'] }))[0].partitions[0]
          .offset
      assert.equal(await fetchOffset(), '-1', 'aborted offsets are not committed')
      t = await producer.transaction()
      await t.send({ topic: 'tx-kafkajs', messages: [{ value: 'k4' }] })
      await t.sendOffsets({
        consumerGroupId: 'e2e-kafkajs-group',
        topics: [{ topic: 'tx-in', partitions: [{ partition: 0, offset: '9' }] }],
      })
      await t.commit()
      assert.equal(await fetchOffset(), '9')
    } finally {
      await producer.disconnect()
    }
    assert.deepEqual(values(await consume('tx-kafkajs', 'read_uncommitted')), ['k1', 'k2', 'k3', 'k4'])
    assert.deepEqual(values(await consume('tx-kafkajs', 'read_committed')), ['k1', 'k2', 'k4'])
  })

  it('@platformatic/kafka: commit and abort, read_committed and read_uncommitted, offsets in a transaction', async () => {
    const base = { bootstrapBrokers: [broker.bootstrap], retries: 5, retryDelay: 100 }
    const consumers: Consumer<string, string, string, string>[] = []
    const streams: MessagesStream<string, string, string, string>[] = []
    const consumer = async (groupId: string, topic: string, isolationLevel: number) => {
      const c = new Consumer({
        ...base,
        clientId: `e2e-plt-${groupId}`,
        groupId,
        isolationLevel,
        deserializers: stringDeserializers,
        maxWaitTime: 100,
      })
      consumers.push(c)
      const stream = await c.consume({ topics: [topic], mode: 'earliest', autocommit: false })
      streams.push(stream)
      const got: Message<string, string, string, string>[] = []
      stream.on('data', (m: Message<string, string, string, string>) => got.push(m))
      return { c, stream, got }
    }
    /** Waits until the stream's next fetch offset (which counts skipped markers) reaches `end`. */
    const until = async (
      stream: MessagesStream<string, string, string, string>,
      topic: string,
      end: bigint,
    ) => {
      const deadline = Date.now() + 10000
      while ((stream.offsetsToFetch.get(`${topic}:0`) ?? -1n) < end && Date.now() < deadline) await sleep(20)
      assert.equal(stream.offsetsToFetch.get(`${topic}:0`), end, 'read to the end')
    }
    const plain = new Producer({ ...base, clientId: 'e2e-plt-plain', serializers: stringSerializers })
    const producer = new Producer({
      ...base,
      clientId: 'e2e-plt-txn',
      transactionalId: 'e2e-platformatic',
      idempotent: true,
      serializers: stringSerializers,
    })
    const describeState = async () => {
      const d = await tool(
        '--bootstrap-server',
        broker.bootstrap,
        'describe',
        '--transactional-id',
        'e2e-platformatic',
      )
      assert.equal(d.code, 0, d.err)
      return d.out.trim().split('\n')[1].split('\t')[4].trim()
    }
    const settled = async () => {
      for (let i = 0; i < 100 && !/^Complete/.test(await describeState()); i++) await sleep(50)
    }
    const fetchOffset = async () =>
      (await admin.fetchOffsets({ groupId: 'e2e-plt-group', topics: ['tx-plt-in'] }))[0].partitions[0].offset
    try {
      await plain.send({
        messages: ['i0', 'i1', 'i2'].map((value) => ({ topic: 'tx-plt-in', value, partition: 0 })),
      })
      // The processor's consumer: a member of the group whose offsets the transactions carry.
      const input = await consumer('e2e-plt-group', 'tx-plt-in', FetchIsolationLevels.READ_COMMITTED)
      await until(input.stream, 'tx-plt-in', 3n)
      assert.deepEqual(
        input.got.map((m) => m.value),
        ['i0', 'i1', 'i2'],
      )
      const [i0, i1] = input.got

      let t = await producer.beginTransaction()
      await t.send({
        messages: ['p1', 'p2'].map((value) => ({ topic: 'tx-platformatic', value, partition: 0 })),
      })
      await t.commit()
      t = await producer.beginTransaction()
      await t.send({ messages: [{ topic: 'tx-platformatic', value: 'p3', partition: 0 }] })
      await t.addConsumer(input.c)
      await t.addOffset(i0)
      await t.abort()
      await settled()
      assert.equal(await describeState(), 'CompleteAbort')
      assert.equal(await fetchOffset(), '-1', 'aborted offsets are not committed')
      t = await producer.beginTransaction()
      await t.send({ messages: [{ topic: 'tx-platformatic', value: 'p4', partition: 0 }] })
      await t.addConsumer(input.c)
      await t.addOffset(i1)
      await t.commit()
      await settled()
      assert.equal(await describeState(), 'CompleteCommit')
      // The client commits the offset after the message given (i1 is at offset 1).
      assert.equal(await fetchOffset(), '2')

      // p1 p2 (0-1), commit marker (2), p3 (3), abort marker (4), p4 (5), commit marker (6).
      const all = await consumer('e2e-plt-all', 'tx-platformatic', FetchIsolationLevels.READ_UNCOMMITTED)
      await until(all.stream, 'tx-platformatic', 7n)
      assert.deepEqual(
        all.got.map((m) => [m.offset, m.value]),
        [
          [0n, 'p1'],
          [1n, 'p2'],
          [3n, 'p3'],
          [5n, 'p4'],
        ],
      )
      const committed = await consumer(
        'e2e-plt-committed',
        'tx-platformatic',
        FetchIsolationLevels.READ_COMMITTED,
      )
      await until(committed.stream, 'tx-platformatic', 7n)
      assert.deepEqual(
        committed.got.map((m) => [m.offset, m.value]),
        [
          [0n, 'p1'],
          [1n, 'p2'],
          [5n, 'p4'],
        ],
      )
    } finally {
      for (const s of streams) await s.close().catch(() => {})
      for (const c of consumers) await c.close(true).catch(() => {})
      await producer.close().catch(() => {})
      await plain.close().catch(() => {})
    }
  })

  it('confluent-kafka: send_offsets_to_transaction commits the group offset only on commit', async () => {
    const aborted = await pyStep<{ committed: number }>(SCRIPT, broker.bootstrap, 'offsets', {
      txn_id: 'e2e-offsets',
      group: 'e2e-offsets-group',
      topic: 'tx-offsets',
      input: 'tx-in',
      offset: 3,
      value: 'o1',
      commit: false,
    })
    assert.equal(aborted.committed, -1001, 'no offset after the abort')
    const committed = await pyStep<{ committed: number }>(SCRIPT, broker.bootstrap, 'offsets', {
      txn_id: 'e2e-offsets',
      group: 'e2e-offsets-group',
      topic: 'tx-offsets',
      input: 'tx-in',
      offset: 4,
      value: 'o2',
      commit: true,
    })
    assert.equal(committed.committed, 4)
    assert.deepEqual(values(await consume('tx-offsets', 'read_committed')), ['o2'])
  })

  it('a second producer with the same transactional.id fences the first and aborts its transaction', async () => {
    const r = await pyStep<{ first: TxnError | null; error?: TxnError }>(SCRIPT, broker.bootstrap, 'fence', {
      txn_id: 'e2e-fence',
      topic: 'tx-fence',
    })
    assert.equal(r.error, undefined, JSON.stringify(r.error))
    assert.ok(r.first !== null, 'the fenced producer could not commit')
    // librdkafka reports fencing as its fatal _FENCED (-144), from PRODUCER_FENCED or INVALID_PRODUCER_EPOCH.
    assert.ok(r.first.fatal, JSON.stringify(r.first))
    assert.ok([-144, 90, 47].includes(r.first.code), JSON.stringify(r.first))
    assert.deepEqual(values(await consume('tx-fence', 'read_committed')), ['fencer-1'])
    assert.deepEqual(values(await consume('tx-fence', 'read_uncommitted')), ['zombie-1', 'fencer-1'])
  })

  it('kafka-transactions.sh lists and describes transactions', async () => {
    const listed = await tool('--bootstrap-server', broker.bootstrap, 'list')
    assert.equal(listed.code, 0, listed.err)
    const lines = listed.out.trim().split('\n')
    assert.deepEqual(lines[0].split(/\s+/), [
      'TransactionalId',
      'Coordinator',
      'ProducerId',
      'TransactionState',
    ])
    const rows = new Map(lines.slice(1).map((l) => [l.split(/\s+/)[0], l.split(/\s+/)]))
    assert.deepEqual([...rows.keys()].sort(), [
      'e2e-confluent',
      'e2e-fence',
      'e2e-kafkajs',
      'e2e-offsets',
      'e2e-platformatic',
    ])
    assert.equal(rows.get('e2e-confluent')![3], 'CompleteCommit')
    assert.equal(rows.get('e2e-confluent')![1], '1')
    const described = await tool(
      '--bootstrap-server',
      broker.bootstrap,
      'describe',
      '--transactional-id',
      'e2e-fence',
    )
    assert.equal(described.code, 0, described.err)
    const [head, row] = described.out
      .trim()
      .split('\n')
      .map((l) => l.split('\t').map((c) => c.trim()))
    const d = Object.fromEntries(head.map((h, i) => [h, row[i] ?? '']))
    assert.deepEqual(
      [d.CoordinatorId, d.TransactionalId, d.TransactionState, d.TransactionTimeoutMs, d.TopicPartitions],
      ['1', 'e2e-fence', 'CompleteCommit', '10000', ''],
    )
    // The fencing producer's epoch: the fence's bump, the abort's, then its own init.
    assert.ok(Number(d.ProducerEpoch) >= 2, d.ProducerEpoch)
    const missing = await tool(
      '--bootstrap-server',
      broker.bootstrap,
      'describe',
      '--transactional-id',
      'nope',
    )
    assert.equal(missing.code, 1)
    assert.match(missing.err, /TRANSACTIONAL_ID_NOT_FOUND/)
  })

  it('kafka-transactions.sh describe-producers, find-hanging and abort on a partition', async () => {
    const opened = await pyStep<{ ok: boolean }>(SCRIPT, broker.bootstrap, 'open', {
      txn_id: 'e2e-hang',
      topic: 'tx-hang',
      values: ['h1'],
      timeout_ms: 60000,
    })
    assert.deepEqual(opened, { ok: true })
    const producers = async () => {
      const r = await tool(
        '--bootstrap-server',
        broker.bootstrap,
        'describe-producers',
        '--topic',
        'tx-hang',
        '--partition',
        '0',
      )
      assert.equal(r.code, 0, r.err)
      const [head, ...rows] = r.out
        .trim()
        .split('\n')
        .map((l) => l.split('\t').map((x) => x.trim()))
      assert.deepEqual(head, [
        'ProducerId',
        'ProducerEpoch',
        'LatestCoordinatorEpoch',
        'LastSequence',
        'LastTimestamp',
        'CurrentTransactionStartOffset',
      ])
      return rows
    }
    const [before] = await producers()
    assert.deepEqual([before[1], before[3], before[5]], ['0', '0', '0'])
    // Its coordinator knows the transaction as ongoing on that partition: not hanging.
    const hanging = await tool(
      '--bootstrap-server',
      broker.bootstrap,
      'find-hanging',
      '--broker-id',
      '1',
      '--max-transaction-timeout',
      '0',
    )
    assert.equal(hanging.code, 0, hanging.err)
    assert.equal(hanging.out.trim().split('\n').length, 1, hanging.out)
    assert.deepEqual(values(await consume('tx-hang', 'read_committed')), [])
    const aborted = await tool(
      '--bootstrap-server',
      broker.bootstrap,
      'abort',
      '--topic',
      'tx-hang',
      '--partition',
      '0',
      '--start-offset',
      '0',
    )
    assert.equal(aborted.code, 0, aborted.err)
    const [after] = await producers()
    assert.equal(after[5], 'None')
    assert.deepEqual(values(await consume('tx-hang', 'read_uncommitted')), ['h1'])
    assert.deepEqual(values(await consume('tx-hang', 'read_committed')), [])
    const missing = await tool(
      '--bootstrap-server',
      broker.bootstrap,
      'abort',
      '--topic',
      'tx-hang',
      '--partition',
      '0',
      '--start-offset',
      '7',
    )
    assert.equal(missing.code, 1)
    assert.match(missing.err, /Could not find any open transactions starting at offset 7/)
  })

  it('KIP-890: the leader refuses transactional batches its coordinator does not know of', async () => {
    const client = new BrokerClient({ host: broker.host, port: broker.port, clientId: 'e2e-txn-verify' })
    try {
      const txnId = 'e2e-verify' as TransactionalId
      let init = { errorCode: -1, producerId: -1n as ProducerId, producerEpoch: -1 }
      for (let i = 0; i < 50 && init.errorCode !== ErrorCode.NONE; i++) {
        if (i > 0) await sleep(100)
        // Creates __transaction_state when this test runs first.
        await client.send(
          {
            apiKey: 10,
            version: 1,
            request: findCoordinatorRequestCodec,
            response: findCoordinatorResponseCodec,
          },
          { key: txnId, keyType: 1, coordinatorKeys: [] },
        )
        init = await client.send(
          {
            apiKey: 22,
            version: 1,
            request: initProducerIdRequestCodec,
            response: initProducerIdResponseCodec,
          },
          { ...initProducerIdRequestCodec.defaults(1), transactionalId: txnId, transactionTimeoutMs: 60000 },
        )
      }
      assert.equal(init.errorCode, ErrorCode.NONE)
      const { producerId: pid, producerEpoch: epoch } = init
      let seq = 0
      const produce = async (transactionalId: string, value: string, producerId: bigint = pid) => {
        const records = buildBatch([{ key: null, value, timestamp: Date.now() }], {
          producerId,
          producerEpoch: epoch,
          baseSequence: seq,
          transactional: true,
        })
        const res = await client.send(
          { apiKey: 0, version: 9, request: produceRequestCodec, response: produceResponseCodec },
          {
            transactionalId: transactionalId as TransactionalId,
            acks: -1,
            timeoutMs: 10000,
            topicData: [{ name: 'tx-verify' as TopicName, partitionData: [{ index: 0, records }] }],
          },
        )
        const r = res.responses[0].partitionResponses[0]
        if (r.errorCode === ErrorCode.NONE) seq++
        return r
      }
      // Not added to the transaction (no AddPartitionsToTxn): refused, nothing written.
      const early = await produce(txnId, 'early')
      assert.equal(early.errorCode, ErrorCode.INVALID_TXN_STATE)
      assert.equal(early.errorMessage, 'Partition was not added to the transaction')
      // A transactional id the coordinator does not know.
      assert.equal(
        (await produce('e2e-nobody', 'stranger', 987654n)).errorCode,
        ErrorCode.INVALID_PRODUCER_ID_MAPPING,
      )
      const added = await client.send(
        {
          apiKey: 24,
          version: 3,
          request: addPartitionsToTxnRequestCodec,
          response: addPartitionsToTxnResponseCodec,
        },
        {
          ...addPartitionsToTxnRequestCodec.defaults(3),
          v3AndBelowTransactionalId: txnId,
          v3AndBelowProducerId: pid,
          v3AndBelowProducerEpoch: epoch,
          v3AndBelowTopics: [{ name: 'tx-verify' as TopicName, partitions: [0] }],
        },
      )
      assert.equal(added.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode, ErrorCode.NONE)
      assert.equal((await produce(txnId, 'v1')).errorCode, ErrorCode.NONE)
      assert.equal((await produce(txnId, 'v2')).errorCode, ErrorCode.NONE)
      const ended = await client.send(
        { apiKey: 26, version: 1, request: endTxnRequestCodec, response: endTxnResponseCodec },
        { transactionalId: txnId, producerId: pid, producerEpoch: epoch, committed: true },
      )
      assert.equal(ended.errorCode, ErrorCode.NONE)
      for (let i = 0; i < 50; i++) {
        const d = await tool('--bootstrap-server', broker.bootstrap, 'describe', '--transactional-id', txnId)
        if (d.out.includes('CompleteCommit')) break
        await sleep(100)
      }
      // After the commit, a late batch of the same epoch would open a transaction nobody ends.
      assert.equal((await produce(txnId, 'late')).errorCode, ErrorCode.INVALID_TXN_STATE)
      assert.deepEqual(values(await consume('tx-verify', 'read_committed')), ['v1', 'v2'])
      assert.deepEqual(values(await consume('tx-verify', 'read_uncommitted')), ['v1', 'v2'])
    } finally {
      client.close()
    }
  })

  it('a transaction open across a broker restart is reloaded and aborted at its timeout', async () => {
    const opened = await pyStep<{ ok: boolean }>(SCRIPT, broker.bootstrap, 'open', {
      txn_id: 'e2e-restart',
      topic: 'tx-restart',
      values: ['r1', 'r2'],
      timeout_ms: 4000,
    })
    assert.deepEqual(opened, { ok: true })
    const describeState = async () => {
      const r = await tool(
        '--bootstrap-server',
        broker.bootstrap,
        'describe',
        '--transactional-id',
        'e2e-restart',
      )
      assert.equal(r.code, 0, r.err)
      return r.out.trim().split('\n')[1].split('\t')[4].trim()
    }
    assert.equal(await describeState(), 'Ongoing')
    await broker.stop()
    broker = await startBrokerProcess({ logDir: broker.logDir, config: CONFIG })
    assert.equal(await describeState(), 'Ongoing', 'reloaded from __transaction_state')
    const deadline = Date.now() + 20000
    let state = ''
    while (Date.now() < deadline) {
      state = await describeState()
      if (state === 'CompleteAbort') break
      await sleep(200)
    }
    assert.equal(state, 'CompleteAbort')
    assert.deepEqual(values(await consume('tx-restart', 'read_uncommitted')), ['r1', 'r2'])
    assert.deepEqual(values(await consume('tx-restart', 'read_committed')), [])
  })
})
