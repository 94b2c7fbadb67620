// Producer state travels with the log: a follower replays the idempotent batches it copies and
// rebuilds its state when it truncates, so after failovers an idempotent producer's retry is
// appended where the batch was really lost and answered as a duplicate (same offset, nothing
// appended) where the new leader already has it; sequences continue on every leader.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCode } from '../../../../src/protocol/generated/error-codes.ts'
import { BatchOffsets } from '../../../../src/records/batch-header.ts'
import { batchesOf, expectCode, idem, isr, leo, produce, T, threeBrokers, until } from './scenario.ts'

const PID = 900n

describe('replication sim: idempotent producer across failovers', () => {
  it('a retried batch is appended once: after the follower truncated it, and as a duplicate on a leader that has it', async () => {
    // Assignment 1,3,2: when broker 1 dies, broker 3 is the first ISR member in line.
    const sim = await threeBrokers({ assignment: [1, 3, 2], log: { minInsyncReplicas: 2 } })
    try {
      for (let seq = 0; seq < 6; seq += 2)
        expectCode((await produce(sim, 1, idem(PID, seq), -1)).errorCode, ErrorCode.NONE, `seq ${seq}`)
      assert.equal(leo(sim, 3), 6n)

      // seq 6 reaches broker 2 but not broker 3; its acks=all answer never comes (timeout).
      sim.net.cutLink(1, 3)
      const lost = await produce(sim, 1, idem(PID, 6), -1, 300)
      expectCode(lost.errorCode, ErrorCode.REQUEST_TIMED_OUT, 'seq 6 not acknowledged')
      assert.equal(leo(sim, 2), 8n, 'broker 2 copied seq 6')
      assert.equal(leo(sim, 3), 6n)
      assert.deepEqual(isr(sim), [1, 2, 3])

      await sim.crash(1)
      sim.net.healAll()
      const st = sim.controller.state(T, 0)
      assert.equal(st.leader, 3, 'clean election of broker 3, which lacks seq 6')
      await until(sim, () => leo(sim, 2) === 6n, 'broker 2 truncates seq 6 away (diverging epoch)')

      // The producer retries seq 6 on the new leader: appended (it was lost), at offset 6.
      const retried = await produce(sim, 3, idem(PID, 6), -1)
      expectCode(retried.errorCode, ErrorCode.NONE, 'retry on broker 3')
      assert.equal(retried.baseOffset, 6n)
      assert.equal(leo(sim, 3), 8n)
      await until(sim, () => leo(sim, 2) === 8n, 'broker 2 copies the retried seq 6')

      // Leadership moves to broker 2; the answer to the retry was "lost", so it comes again.
      assert.ok(sim.controller.cleanElect(st, 2))
      await sim.settle()
      const dup = await produce(sim, 2, idem(PID, 6), -1)
      expectCode(dup.errorCode, ErrorCode.NONE, 'duplicate on broker 2')
      assert.equal(dup.baseOffset, 6n, 'answered with the offset it has')
      assert.equal(leo(sim, 2), 8n, 'nothing appended')
      const next = await produce(sim, 2, idem(PID, 8), -1)
      expectCode(next.errorCode, ErrorCode.NONE, 'seq 8 continues on broker 2')
      assert.equal(next.baseOffset, 8n)
      const gap = await produce(sim, 2, idem(PID, 12), -1)
      expectCode(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'a gap is refused on the new leader')

      // The old leader comes back: it held its own seq 6 of epoch 0 at offsets 6-7; it truncates
      // that, copies the new history, rejoins the ISR and leads: seq 8 is a duplicate there too.
      await sim.startBroker(1)
      await until(sim, () => isr(sim).length === 3, 'broker 1 rejoins the ISR')
      assert.deepEqual(await batchesOf(sim, 1), await batchesOf(sim, 2), 'byte-identical to the leader')
      assert.ok(sim.controller.cleanElect(st, 1))
      await sim.settle()
      const dupOnOld = await produce(sim, 1, idem(PID, 8), -1)
      expectCode(dupOnOld.errorCode, ErrorCode.NONE, 'duplicate on broker 1')
      assert.equal(dupOnOld.baseOffset, 8n)
      const last = await produce(sim, 1, idem(PID, 10), -1)
      expectCode(last.errorCode, ErrorCode.NONE, 'seq 10 on broker 1')
      assert.equal(last.baseOffset, 10n)

      await until(sim, () => [2, 3].every((id) => leo(sim, id) === 12n), 'followers catch up')
      const logs = await Promise.all([1, 2, 3].map((id) => batchesOf(sim, id)))
      assert.deepEqual(logs[1], logs[0])
      assert.deepEqual(logs[2], logs[0])
      const seqs = logs[0]!.map((b) => b.bytes.readInt32BE(BatchOffsets.baseSequence))
      assert.deepEqual(seqs, [0, 2, 4, 6, 8, 10], 'every sequence exactly once, in order')
      assert.equal(sim.busy, 0)
    } finally {
      await sim.stopAll()
    }
  })
})
