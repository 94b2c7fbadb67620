// Coordinator-origin appends (ProduceInput.origin 'coordinator', Kafka's COORDINATOR origin): a
// coordinator's transactional write to its internal topic carries no sequence and no
// transactional id, and the partition checks only its producer epoch. The flag counts on internal
// topics only; clients' appends keep every check.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { TopicName } from '../../../src/common/ids.ts'
import { ReplicaCoordinatorLog } from '../../../src/coordinator/runtime/replica-coordinator-log.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import { buildBatch } from '../../../src/records/builder.ts'
import type { AppendOrigin } from '../../../src/replication/producer-state/producer-state-manager.ts'
import { ProducerStateManager } from '../../../src/replication/producer-state/producer-state-manager.ts'
import { localTxnMarkerWriter } from '../../../src/replication/txn-markers.ts'
import { type Env, startEnv } from './helpers.ts'

const OFFSETS = '__consumer_offsets'

/** A transactional batch of `n` keyed records; no sequence unless `seq` is given. */
function txn(pid: bigint, epoch: number, n: number, seq?: number): Buffer {
  const records = Array.from({ length: n }, (_, i) => ({
    key: `k${i}`,
    value: `v${i}`,
    timestamp: 1_700_000_000_000,
  }))
  return buildBatch(records, {
    producerId: pid,
    producerEpoch: epoch,
    baseSequence: seq,
    transactional: true,
  })
}

async function append(env: Env, topic: string, records: Buffer, origin?: AppendOrigin) {
  const [o] = await env.rm.appendRecords({
    apiVersion: 9,
    acks: -1,
    transactionalId: null,
    internalTopicsAllowed: true,
    origin,
    topics: [{ name: topic as TopicName, partitionData: [{ index: 0, records }] }],
  })
  return o
}

function endTxn(env: Env, topic: string, pid: bigint, epoch: number, commit: boolean) {
  return localTxnMarkerWriter(env.rm, { clock: env.clock }).write({
    producerId: pid,
    producerEpoch: epoch,
    coordinatorEpoch: 0,
    commit,
    partitions: [{ topic, partition: 0 }],
  })
}

describe('coordinator-origin appends', () => {
  it('take transactional batches without a sequence or a transactional id on an internal topic', async () => {
    const env = await startEnv()
    await env.setTopics({ name: OFFSETS })
    const part = env.rm.partition(OFFSETS, 0)!
    // Three batches of one producer, none with a sequence: a client's would be refused.
    for (let i = 0; i < 3; i++) {
      const o = await append(env, OFFSETS, txn(7n, 2, 2), 'coordinator')
      assert.equal(o.errorCode, ErrorCode.NONE, o.errorMessage ?? '')
      assert.equal(o.baseOffset, BigInt(2 * i))
    }
    // They opened a transaction like any transactional batch: the LSO is held at its start.
    assert.equal(part.lastStableOffset, 0n)
    assert.equal(part.producers.get(7n)?.currentTxnFirstOffset, 0n)
    const [m] = await endTxn(env, OFFSETS, 7n, 2, true)
    assert.equal(m.errorCode, ErrorCode.NONE)
    assert.equal(part.lastStableOffset, 7n)
    // The producer's epoch is still checked: an older epoch is fenced.
    assert.equal(
      (await append(env, OFFSETS, txn(7n, 1, 1), 'coordinator')).errorCode,
      ErrorCode.INVALID_PRODUCER_EPOCH,
    )
    // A new epoch needs no sequence 0 either.
    assert.equal((await append(env, OFFSETS, txn(7n, 3, 1), 'coordinator')).errorCode, ErrorCode.NONE)
    await env.stop()
  })

  it('are checked as a client when the origin is client or the topic is not internal', async () => {
    const env = await startEnv()
    await env.setTopics({ name: OFFSETS }, { name: 'plain' })
    assert.equal((await append(env, OFFSETS, txn(7n, 0, 1))).errorCode, ErrorCode.INVALID_RECORD)
    assert.equal(
      (await append(env, OFFSETS, txn(7n, 0, 1, 0))).errorCode,
      ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    )
    assert.equal(
      (await append(env, 'plain', txn(8n, 0, 1), 'coordinator')).errorCode,
      ErrorCode.INVALID_RECORD,
    )
    assert.equal(
      (await append(env, 'plain', txn(8n, 0, 1, 0), 'coordinator')).errorCode,
      ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    )
    await env.stop()
  })

  it('keep being accepted after a restart replays batches without sequences', async () => {
    const env = await startEnv()
    await env.setTopics({ name: OFFSETS })
    await append(env, OFFSETS, txn(9n, 0, 1), 'coordinator')
    await endTxn(env, OFFSETS, 9n, 0, false)
    await append(env, OFFSETS, txn(9n, 0, 2), 'coordinator')
    await env.stop()
    const next = await startEnv({ fs: env.fs, clock: env.clock })
    await next.setTopics({ name: OFFSETS, topicId: env.topics.get(OFFSETS)!.topicId })
    const part = next.rm.partition(OFFSETS, 0)!
    assert.equal(part.producers.get(9n)?.currentTxnFirstOffset, 2n)
    const o = await append(next, OFFSETS, txn(9n, 0, 1), 'coordinator')
    assert.equal(o.errorCode, ErrorCode.NONE)
    assert.equal(o.baseOffset, 4n)
    await next.stop()
  })

  it('go through ReplicaCoordinatorLog with no placeholder transactional id', async () => {
    const env = await startEnv()
    await env.setTopics({ name: OFFSETS })
    const log = new ReplicaCoordinatorLog(env.rm, OFFSETS)
    assert.equal(await log.append(0, txn(11n, 4, 3)), 2n)
    assert.equal(await log.append(0, txn(11n, 4, 1)), 3n)
    assert.equal(await log.append(0, buildBatch([{ key: 'g', value: 'x' }], {})), 4n)
    const r = await log.read(0, 0n, 1 << 20)
    assert.equal(r.logEndOffset, 5n)
    await env.stop()
  })

  it('skip the sequence and duplicate checks in the producer state, not the epoch check', () => {
    const psm = new ProducerStateManager()
    const u = psm.begin(0)
    // The same sequence range twice would be a client's duplicate; a coordinator's is a new batch.
    assert.equal(u.check(5n, 1, 0, 0, true, 'coordinator').kind, 'append')
    assert.equal(u.check(5n, 1, 0, 0, true, 'coordinator').kind, 'append')
    assert.equal(u.check(5n, 1, -1, 3, true, 'coordinator').kind, 'append')
    assert.equal(u.check(5n, 0, -1, 0, true, 'coordinator').kind, 'error')
    const c = psm.begin(0)
    assert.equal(c.check(6n, 1, 0, 0, true).kind, 'append')
    assert.equal(c.check(6n, 1, 0, 0, true).kind, 'duplicate')
    assert.equal(c.check(6n, 1, 5, 0, true).kind, 'error')
  })
})
