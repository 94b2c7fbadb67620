// A follower that fell behind the leader's log start (DeleteRecords while it was cut off) resets
// through ListOffsets and starts over at the log start. DeleteRecords may put the log start in the
// middle of a batch; the leader's first batch then begins before it, and the follower's empty log
// must start at that batch's base offset instead of refusing it (Kafka's Partition handles this
// UnexpectedAppendOffset case by truncateFullyAndStartAt(first offset) and appending again).

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCode } from '../../../../src/protocol/generated/error-codes.ts'
import { batchesOf, expectCode, isr, leo, plain, produce, T, threeBrokers, until } from './scenario.ts'

describe('replication sim: log start', () => {
  it('a follower behind a log start inside a batch starts over at that batch and catches up', async () => {
    const sim = await threeBrokers({ log: { minInsyncReplicas: 1 } })
    try {
      sim.net.cutLink(1, 3)
      for (const tag of ['a', 'b', 'c'])
        expectCode((await produce(sim, 1, plain(tag), 1)).errorCode, ErrorCode.NONE, `batch ${tag}`)
      await until(sim, () => !isr(sim).includes(3), 'broker 3 leaves the ISR')
      await until(sim, () => sim.partition(1, T, 0)!.highWatermark === 6n, 'committed on 1 and 2')
      // Offsets 2-3 are one batch: the new log start 3 is inside it.
      const del = await sim.proc(1)!.rm.deleteRecords(T, 0, 3n)
      expectCode(del.errorCode, ErrorCode.NONE, 'DeleteRecords')
      assert.equal(del.lowWatermark, 3n)
      assert.equal(leo(sim, 3), 0n)

      sim.net.healLink(1, 3)
      await until(sim, () => leo(sim, 3) === 6n, 'broker 3 catches up from the log start', 10_000)
      assert.equal(sim.partition(3, T, 0)!.log.logStartOffset, 3n)
      const leader = (await batchesOf(sim, 1)).filter((b) => b.base >= 2n)
      assert.deepEqual(await batchesOf(sim, 3), leader, 'the batches from the one holding the log start on')
      await until(sim, () => isr(sim).includes(3), 'broker 3 rejoins the ISR')
      assert.ok(sim.net.listOffsets > 0, 'the follower asked the leader for its offsets')
    } finally {
      await sim.stopAll()
    }
  })
})
