// KIP-890 part 1 on the partition leader (replication/txn-verification.ts) with a fake
// coordinator: a transactional batch that would open a transaction waits for the coordinator's
// answer and is appended only when verified; once the transaction is open on the partition, later
// batches are not asked about; the coordinator's errors become Kafka's produce errors; a marker
// written while a verification is out drops its guard, so the verified batch cannot open a new
// transaction after it; non-transactional produces never ask.

import assert from 'node:assert/strict'
import { beforeEach, describe, it } from 'node:test'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import type { TxnVerifier, TxnVerifyRequest } from '../../../src/replication/txn-verification.ts'
import { verifyKey } from '../../../src/replication/txn-verification.ts'
import { batch, type Env, startEnv, tick } from './helpers.ts'
import { marker, part, produce, T, txnBatch } from './txn-fixture.ts'

/** Answers every question with `code` (NONE: verified), or holds it until release(). */
class FakeCoordinator implements TxnVerifier {
  readonly asked: TxnVerifyRequest[] = []
  code: number = ErrorCode.NONE
  hold = false
  fail = false
  private held: (() => void)[] = []

  verify(req: TxnVerifyRequest): Promise<ReadonlyMap<string, number>> {
    this.asked.push(req)
    if (this.fail) return Promise.reject(new Error('connection lost'))
    const answer = () => new Map(req.partitions.map((p) => [verifyKey(p.topic, p.partition), this.code]))
    if (!this.hold) return Promise.resolve(answer())
    return new Promise((resolve) => this.held.push(() => resolve(answer())))
  }

  release(): void {
    for (const r of this.held.splice(0)) r()
  }
}

describe('KIP-890 verification on the partition leader', () => {
  let env: Env
  let coordinator: FakeCoordinator

  beforeEach(async () => {
    env = await startEnv()
    await env.setTopics({ name: T })
    coordinator = new FakeCoordinator()
    env.rm.setTxnVerifier(coordinator)
  })

  it('asks once per transaction on the partition, then appends without asking', async () => {
    assert.equal((await produce(env, txnBatch(100n, 0, 2, 'a'), 'tx-a')).errorCode, ErrorCode.NONE)
    assert.deepEqual(coordinator.asked, [
      {
        transactionalId: 'tx-a',
        producerId: 100n,
        producerEpoch: 0,
        partitions: [{ topic: T, partition: 0 }],
      },
    ])
    assert.equal((await produce(env, txnBatch(100n, 2, 1, 'b'), 'tx-a')).errorCode, ErrorCode.NONE)
    assert.equal(coordinator.asked.length, 1, 'the open transaction needs no new answer')
    await marker(env, 100n, true)
    assert.equal((await produce(env, txnBatch(100n, 3, 1, 'c'), 'tx-a')).errorCode, ErrorCode.NONE)
    assert.equal(coordinator.asked.length, 2, 'the next transaction is asked about again')
    await env.stop()
  })

  it("refuses with Kafka's errors what the coordinator does not confirm; nothing is written", async () => {
    const cases: [number, number, string | null][] = [
      [
        ErrorCode.INVALID_TXN_STATE,
        ErrorCode.INVALID_TXN_STATE,
        'Partition was not added to the transaction',
      ],
      [
        ErrorCode.COORDINATOR_NOT_AVAILABLE,
        ErrorCode.NOT_ENOUGH_REPLICAS,
        'Unable to verify the partition has been added to the transaction. Underlying error: COORDINATOR_NOT_AVAILABLE',
      ],
      [
        ErrorCode.CONCURRENT_TRANSACTIONS,
        ErrorCode.NOT_ENOUGH_REPLICAS,
        'Unable to verify the partition has been added to the transaction. Underlying error: CONCURRENT_TRANSACTIONS',
      ],
      [ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.INVALID_PRODUCER_EPOCH, null],
      [ErrorCode.INVALID_PRODUCER_ID_MAPPING, ErrorCode.INVALID_PRODUCER_ID_MAPPING, null],
    ]
    for (const [answer, code, message] of cases) {
      coordinator.code = answer
      const o = await produce(env, txnBatch(100n, 0, 1, 'x'), 'tx-a')
      assert.equal(o.errorCode, code, `coordinator answer ${answer}`)
      assert.equal(o.errorMessage, message)
    }
    coordinator.code = ErrorCode.NONE
    coordinator.fail = true
    const lost = await produce(env, txnBatch(100n, 0, 1, 'x'), 'tx-a')
    assert.equal(lost.errorCode, ErrorCode.NOT_ENOUGH_REPLICAS)
    assert.match(lost.errorMessage ?? '', /NETWORK_EXCEPTION/)
    assert.equal(part(env).log.logEndOffset, 0n)
    assert.equal(part(env).lastStableOffset, 0n)
    await env.stop()
  })

  it('a marker written while the coordinator is asked drops the guard: the batch opens nothing', async () => {
    coordinator.hold = true
    const pending = produce(env, txnBatch(100n, 0, 1, 'late'), 'tx-a')
    await tick()
    assert.equal(coordinator.asked.length, 1)
    // The coordinator ends (aborts) the transaction meanwhile: its marker reaches the partition first.
    await marker(env, 100n, false)
    const end = part(env).log.logEndOffset
    coordinator.release()
    const o = await pending
    assert.equal(o.errorCode, ErrorCode.INVALID_TXN_STATE)
    assert.equal(part(env).log.logEndOffset, end)
    assert.equal(part(env).lastStableOffset, end, 'no transaction was opened')
    // A new verification (a new guard) lets the producer's next transaction in.
    coordinator.hold = false
    assert.equal((await produce(env, txnBatch(100n, 0, 1, 'next'), 'tx-a')).errorCode, ErrorCode.NONE)
    await env.stop()
  })

  it('non-transactional and idempotent produces never ask', async () => {
    assert.equal((await produce(env, batch(2, { tag: 'plain' }), null)).errorCode, ErrorCode.NONE)
    assert.equal(coordinator.asked.length, 0)
    assert.equal(part(env).log.logEndOffset, 2n)
    await env.stop()
  })

  it('without a verifier (transaction.partition.verification.enable=false) batches go straight in', async () => {
    env.rm.setTxnVerifier(null)
    assert.equal((await produce(env, txnBatch(100n, 0, 1, 'a'), 'tx-a')).errorCode, ErrorCode.NONE)
    assert.equal(coordinator.asked.length, 0)
    assert.equal(part(env).lastStableOffset, 0n, 'the transaction is open')
    await env.stop()
  })
})
