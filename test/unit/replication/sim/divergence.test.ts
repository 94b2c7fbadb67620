// Divergent logs over the in-memory transport. After an unclean election the old leader's
// uncommitted acks=1 batches of epoch N conflict with the new leader's epoch N+1: when the old
// leader comes back (restarted after a crash, or reachable again) as a follower it learns the
// divergence from the DivergingEpoch of its fetches, truncates, and ends byte-identical to the new
// leader. Also: a follower that holds batches of a later epoch than a freshly elected leader has
// ever written (clean election of a lagging ISR member) truncates to that leader's log.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCode } from '../../../../src/protocol/generated/error-codes.ts'
import type { SimCluster } from './cluster.ts'
import {
  batchesOf,
  expectCode,
  isr,
  leo,
  plain,
  produce,
  replicaFetch,
  T,
  threeBrokers,
  until,
} from './scenario.ts'

const epochsOf = (sim: SimCluster, id: number) =>
  sim
    .partition(id, T, 0)!
    .log.epochCache.all()
    .map((e) => [e.epoch, e.startOffset])

/** Leader 1 at epoch 0 with three committed batches, then three acks=1 batches only it has. */
async function oldLeaderAhead(sim: SimCluster): Promise<{ committed: bigint; oldEnd: bigint }> {
  for (const tag of ['c0', 'c1', 'c2'])
    expectCode((await produce(sim, 1, plain(tag), -1)).errorCode, ErrorCode.NONE, `committed ${tag}`)
  const committed = leo(sim, 1)
  sim.net.cutLink(1, 2)
  sim.net.cutLink(1, 3)
  await until(sim, () => isr(sim).length === 1, 'the cut-off leader shrinks the ISR to itself')
  for (const tag of ['u0', 'u1', 'u2'])
    expectCode((await produce(sim, 1, plain(tag), 1)).errorCode, ErrorCode.NONE, `uncommitted ${tag}`)
  const oldEnd = leo(sim, 1)
  assert.equal(oldEnd, committed + 6n)
  assert.equal(leo(sim, 2), committed)
  return { committed, oldEnd }
}

/** The new leader's epoch: batches the old leader never had, all brokers reachable again. */
async function newLeaderWrites(sim: SimCluster, newLeader: number, committed: bigint): Promise<void> {
  const o = await produce(sim, newLeader, plain('new0'), 1)
  expectCode(o.errorCode, ErrorCode.NONE, 'acks=1 on the new leader')
  assert.equal(o.baseOffset, committed, 'the new leader continues from its own log end')
  expectCode((await produce(sim, newLeader, plain('new1'), 1)).errorCode, ErrorCode.NONE, 'second batch')
}

async function expectIdentical(sim: SimCluster, a: number, b: number): Promise<void> {
  await until(sim, () => leo(sim, a) === leo(sim, b), `broker ${a} catches up with ${b}`)
  assert.deepEqual(await batchesOf(sim, a), await batchesOf(sim, b), `broker ${a} is byte-identical to ${b}`)
  assert.deepEqual(epochsOf(sim, a), epochsOf(sim, b), 'same leader epoch cache')
}

describe('replication sim: divergent logs', () => {
  it('an old leader restarted after an unclean election truncates its epoch-N batches and copies epoch N+1', async () => {
    const sim = await threeBrokers({ log: { minInsyncReplicas: 1 } })
    try {
      const { committed } = await oldLeaderAhead(sim)
      await sim.crash(1)
      const st = sim.controller.state(T, 0)
      assert.equal(st.leader, -1, 'no clean candidate: the partition is offline')
      assert.ok(sim.controller.uncleanElect(st, 2), 'unclean election of broker 2')
      await sim.settle()
      assert.equal(st.leaderEpoch, 2)
      sim.net.healAll()
      await newLeaderWrites(sim, 2, committed)
      await sim.startBroker(1)
      await expectIdentical(sim, 1, 2)
      await expectIdentical(sim, 3, 2)
      assert.deepEqual(epochsOf(sim, 1), [
        [0, 0n],
        [2, committed],
      ])
      assert.ok(!(await batchesOf(sim, 1)).some((b) => b.bytes.includes('u0-0')), 'the lost batches are gone')
      await until(sim, () => isr(sim).length === 3, 'everyone back in the ISR')
      assert.equal(sim.busy, 0)
    } finally {
      await sim.stopAll()
    }
  })

  it('an old leader that stayed up but was cut off truncates once it hears of the unclean election', async () => {
    const sim = await threeBrokers({ log: { minInsyncReplicas: 1 } })
    try {
      const { committed, oldEnd } = await oldLeaderAhead(sim)
      const st = sim.controller.state(T, 0)
      assert.ok(sim.controller.uncleanElect(st, 3), 'forced unclean election of broker 3')
      await sim.settle()
      assert.equal(sim.partition(1, T, 0)!.isLeader, false, 'the old leader follows now')
      assert.equal(leo(sim, 1), oldEnd, 'it cannot fetch yet: nothing truncated')
      sim.net.healAll()
      await newLeaderWrites(sim, 3, committed)
      await expectIdentical(sim, 1, 3)
      await expectIdentical(sim, 2, 3)
      assert.equal(leo(sim, 1), committed + 4n)
      await until(sim, () => isr(sim).length === 3, 'everyone back in the ISR')
      assert.equal(sim.busy, 0)
    } finally {
      await sim.stopAll()
    }
  })

  // Kafka's Partition.makeLeader records the new leader epoch at the log end in the epoch cache
  // (UnifiedLog.maybeAssignEpochStartOffset), so a follower whose last fetched epoch is newer than
  // anything the new leader wrote still gets a real divergence point. Without it the leader answers
  // DivergingEpoch {-1, -1}: the fetcher takes that for "no divergence", fetches again at once, and
  // the pair spins without the follower ever truncating.
  it('a follower holding a later epoch than a freshly elected leader ever wrote truncates to it', async () => {
    const sim = await threeBrokers({ log: { minInsyncReplicas: 1 } })
    try {
      expectCode((await produce(sim, 1, plain('e0'), -1)).errorCode, ErrorCode.NONE, 'committed at epoch 0')
      const base = leo(sim, 1)
      // Broker 2 leads epoch 1 but cannot reach broker 3, which stays in the ISR for now.
      sim.net.cutLink(2, 3)
      sim.net.cutLink(1, 3)
      assert.ok(sim.controller.cleanElect(sim.controller.state(T, 0), 2))
      await sim.settle()
      expectCode((await produce(sim, 2, plain('e1'), 1)).errorCode, ErrorCode.NONE, 'acks=1 at epoch 1')
      await until(sim, () => leo(sim, 1) === base + 2n, 'broker 1 copies the epoch-1 batch')
      assert.equal(leo(sim, 3), base)
      assert.deepEqual(isr(sim), [1, 2, 3], 'broker 3 has not lagged long enough to leave the ISR')
      // Clean election of broker 3 (in the ISR), which never saw epoch 1 and writes nothing yet.
      assert.ok(sim.controller.cleanElect(sim.controller.state(T, 0), 3))
      await sim.settle()
      const answer = await replicaFetch(sim, 3, { replicaId: 1, fetchOffset: base + 2n, lastFetchedEpoch: 1 })
      assert.deepEqual(
        answer.divergingEpoch,
        { epoch: 0, endOffset: base },
        'epoch 1 ends where broker 3 took over: the follower must truncate to its log end',
      )
      sim.net.healAll()
      await until(sim, () => leo(sim, 1) === base, 'broker 1 truncates the epoch-1 batch')
      expectCode((await produce(sim, 3, plain('e2'), 1)).errorCode, ErrorCode.NONE, 'acks=1 at epoch 2')
      await expectIdentical(sim, 1, 3)
      await expectIdentical(sim, 2, 3)
      assert.equal(sim.busy, 0)
    } finally {
      sim.net.cutLink(1, 3)
      sim.net.cutLink(2, 3)
      await sim.stopAll()
    }
  })
})
