// The coordinator side of KIP-890 part 1 as partition leaders use it (coordinator/txn/
// txn-verifier.ts), with fake coordinators: the local coordinator is called directly; other
// brokers get AddPartitionsToTxn v4 verifyOnly requests, one in flight per broker, the questions
// that arrive meanwhile batched into the next; a transactional id asked twice keeps the newer
// question (NETWORK_EXCEPTION / INVALID_PRODUCER_EPOCH for the other); answers are mapped as
// Kafka's broker maps them.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { TopicName, TransactionalId, Uuid } from '../../../src/common/ids.ts'
import { silentLogger } from '../../../src/common/logger.ts'
import { CoordinatorTxnVerifier } from '../../../src/coordinator/txn/txn-verifier.ts'
import {
  type BrokerRegistration,
  type MetadataImage,
  makeImage,
  makePartition,
  makeTopic,
} from '../../../src/metadata/image.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import type {
  AddPartitionsToTxnResponse,
  AddPartitionsToTxnRequestAddPartitionsToTxnTransaction as Txn,
} from '../../../src/protocol/generated/messages/add-partitions-to-txn.ts'
import { verifyKey } from '../../../src/replication/txn-verification.ts'

/** __transaction_state with 2 partitions: 0 led by broker 1 (here), 1 by broker 2. */
function image(withTopic = true): MetadataImage {
  const brokers = new Map<number, BrokerRegistration>([
    [1, {} as BrokerRegistration],
    [2, {} as BrokerRegistration],
  ])
  const topic = makeTopic({
    name: '__transaction_state' as TopicName,
    topicId: 'txn-state-id' as Uuid,
    partitions: [1, 2].map((leader, partition) =>
      makePartition({
        partition,
        leader,
        leaderEpoch: 0,
        partitionEpoch: 0,
        replicas: [leader],
        isr: [leader],
      }),
    ),
  })
  return makeImage({ version: 1, clusterId: 'c', controllerId: 1, brokers, topics: withTopic ? [topic] : [] })
}

interface Sent {
  transactions: Txn[]
  answer(res: Partial<AddPartitionsToTxnResponse>): void
  fail(err: Error): void
}

function setup(o: { withTopic?: boolean } = {}) {
  const sent: Sent[] = []
  const localAsked: string[] = []
  const verifier = new CoordinatorTxnVerifier({
    nodeId: 1,
    image: () => image(o.withTopic ?? true),
    // Ids starting with "here" live on partition 0 (this broker), the others on partition 1.
    partitionFor: (id) => (id.startsWith('here') ? 0 : 1),
    local: (req) => {
      localAsked.push(req.transactionalId)
      return new Map(req.partitions.map((p) => [verifyKey(p.topic, p.partition), ErrorCode.PRODUCER_FENCED]))
    },
    remote: (broker) => {
      assert.equal(broker, 2)
      return (transactions) =>
        new Promise((resolve, reject) =>
          sent.push({
            transactions,
            answer: (res) =>
              resolve({
                throttleTimeMs: 0,
                errorCode: 0,
                resultsByTransaction: [],
                resultsByTopicV3AndBelow: [],
                ...res,
              }),
            fail: reject,
          }),
        )
    },
    logger: silentLogger,
  })
  return { verifier, sent, localAsked }
}

const req = (transactionalId: string, producerEpoch = 0, partitions = [0]) => ({
  transactionalId,
  producerId: 7n,
  producerEpoch,
  partitions: partitions.map((partition) => ({ topic: 't', partition })),
})
const codes = (m: ReadonlyMap<string, number>) => [...m.values()]
const flush = () => new Promise<void>((r) => setImmediate(r))

/** A response answering every transaction of `s`: `code` for each partition. */
function resultsOf(s: Sent, code: (id: string) => number): Partial<AddPartitionsToTxnResponse> {
  return {
    resultsByTransaction: s.transactions.map((t) => ({
      transactionalId: t.transactionalId as TransactionalId,
      topicResults: t.topics.map((x) => ({
        name: x.name,
        resultsByPartition: x.partitions.map((partitionIndex) => ({
          partitionIndex,
          partitionErrorCode: code(t.transactionalId),
        })),
      })),
    })),
  }
}

describe('KIP-890 verification: asking the coordinator', () => {
  it("asks this broker's coordinator directly (PRODUCER_FENCED answered as INVALID_PRODUCER_EPOCH)", async () => {
    const { verifier, sent, localAsked } = setup()
    assert.deepEqual(codes(await verifier.verify(req('here-1'))), [ErrorCode.INVALID_PRODUCER_EPOCH])
    assert.deepEqual(localAsked, ['here-1'])
    assert.equal(sent.length, 0)
  })

  it('without __transaction_state: COORDINATOR_NOT_AVAILABLE', async () => {
    const { verifier } = setup({ withTopic: false })
    assert.deepEqual(codes(await verifier.verify(req('x', 0, [0, 1]))), [
      ErrorCode.COORDINATOR_NOT_AVAILABLE,
      ErrorCode.COORDINATOR_NOT_AVAILABLE,
    ])
  })

  it('batches questions for another broker while one request is in flight', async () => {
    const { verifier, sent } = setup()
    const a = verifier.verify(req('a'))
    assert.equal(sent.length, 1)
    assert.deepEqual(
      sent[0].transactions.map((t) => [t.transactionalId, t.verifyOnly, t.topics]),
      [['a', true, [{ name: 't', partitions: [0] }]]],
    )
    const b = verifier.verify(req('b', 0, [0, 1]))
    const c = verifier.verify(req('c'))
    assert.equal(sent.length, 1, 'one request in flight per broker')
    sent[0].answer(resultsOf(sent[0], () => ErrorCode.NONE))
    assert.deepEqual(codes(await a), [])
    await flush()
    assert.equal(sent.length, 2)
    assert.deepEqual(
      sent[1].transactions.map((t) => t.transactionalId),
      ['b', 'c'],
    )
    sent[1].answer(
      resultsOf(sent[1], (id) => (id === 'b' ? ErrorCode.INVALID_TXN_STATE : ErrorCode.PRODUCER_FENCED)),
    )
    assert.deepEqual(codes(await b), [ErrorCode.INVALID_TXN_STATE, ErrorCode.INVALID_TXN_STATE])
    assert.deepEqual(codes(await c), [ErrorCode.INVALID_PRODUCER_EPOCH])
  })

  it('one question per transactional id in a batch: the newer epoch wins, a retry replaces', async () => {
    const { verifier, sent } = setup()
    const first = verifier.verify(req('busy'))
    const retried = verifier.verify(req('x', 1))
    const retry = verifier.verify(req('x', 1))
    assert.deepEqual(codes(await retried), [ErrorCode.NETWORK_EXCEPTION])
    const older = verifier.verify(req('x', 0))
    assert.deepEqual(codes(await older), [ErrorCode.INVALID_PRODUCER_EPOCH])
    const newer = verifier.verify(req('x', 2))
    assert.deepEqual(codes(await retry), [ErrorCode.INVALID_PRODUCER_EPOCH])
    sent[0].answer(resultsOf(sent[0], () => ErrorCode.NONE))
    await first
    await flush()
    assert.deepEqual(
      sent[1].transactions.map((t) => [t.transactionalId, t.producerEpoch]),
      [['x', 2]],
    )
    sent[1].answer(resultsOf(sent[1], () => ErrorCode.NONE))
    assert.deepEqual(codes(await newer), [])
  })

  it('maps request-level failures', async () => {
    const { verifier, sent } = setup()
    const denied = verifier.verify(req('a'))
    sent[0].answer({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED })
    assert.deepEqual(codes(await denied), [ErrorCode.INVALID_TXN_STATE])
    await flush()
    const lost = verifier.verify(req('a'))
    sent[1].fail(new Error('connection closed'))
    assert.deepEqual(codes(await lost), [ErrorCode.NETWORK_EXCEPTION])
    await flush()
    const old = verifier.verify(req('a'))
    sent[2].answer({ errorCode: ErrorCode.UNSUPPORTED_VERSION })
    assert.deepEqual(codes(await old), [], 'a coordinator without verification: appended unverified')
  })
})
