// Helpers for the hand-written replication scenarios (the targeted sim tests): a three-broker
// cluster with one topic, waiting on the simulated clock for a condition, reading a replica's
// batches, idempotent batches, and the leader's answer to a replica's fetch.

import assert from 'node:assert/strict'
import type { Uuid } from '../../../../src/common/ids.ts'
import { ErrorCode, errorName } from '../../../../src/protocol/generated/error-codes.ts'
import { buildBatch } from '../../../../src/records/builder.ts'
import { prng, SimCluster, type SimOptions } from './cluster.ts'
import { type BatchView, replicaView } from './invariants.ts'

export const T = 't'
export const T_ID = Buffer.from('targeted-topic-0').toString('base64url') as Uuid

/** Three brokers, topic `t` with one partition replicated on `assignment` (the first leads). */
export async function threeBrokers(o: SimOptions & { assignment?: number[] } = {}): Promise<SimCluster> {
  const sim = new SimCluster({ random: prng(7), lagMs: 2000, ...o })
  await sim.start([{ name: T, topicId: T_ID, assignments: [o.assignment ?? [1, 2, 3]] }])
  // Every follower fetched once: the leader knows their log ends.
  await sim.advance(100)
  return sim
}

/** Advances the clock in small steps until `cond` holds; fails after `maxMs`. */
export async function until(
  sim: SimCluster,
  cond: () => boolean,
  what: string,
  maxMs = 30_000,
): Promise<void> {
  for (let t = 0; t <= maxMs; t += 50) {
    if (cond()) return
    await sim.advance(50)
    assert.equal(sim.busy, 0, `busy loop while waiting for ${what}:\n${sim.trace.slice(-20).join('\n')}`)
  }
  assert.fail(`never happened within ${maxMs} ms: ${what}\n${sim.trace.slice(-30).join('\n')}`)
}

export async function batchesOf(sim: SimCluster, id: number): Promise<BatchView[]> {
  const part = sim.partition(id, T, 0)
  assert.ok(part !== null, `broker ${id} hosts ${T}-0`)
  return (await replicaView(id, part)).batches
}

export function leo(sim: SimCluster, id: number): bigint {
  return sim.partition(id, T, 0)!.log.logEndOffset
}

export function isr(sim: SimCluster): number[] {
  return [...sim.controller.state(T, 0).isr].sort()
}

export const records = (tag: string, n = 2) =>
  Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `${tag}-${i}` }))

/** A plain batch of two records. */
export const plain = (tag: string) => buildBatch(records(tag), { timestamp: 1_700_000_000_000 })

/** An idempotent batch of two records with base sequence `seq`. */
export const idem = (pid: bigint, seq: number) =>
  buildBatch(records(`pid${pid}-seq${seq}`), {
    timestamp: 1_700_000_000_000,
    producerId: pid,
    producerEpoch: 0,
    baseSequence: seq,
  })

/**
 * Produces and expects an answer (not a network error); returns the outcome. With `drive` (the
 * default) the clock runs until the answer comes; without, the caller moves it.
 */
export async function produce(
  sim: SimCluster,
  id: number,
  batch: Buffer,
  acks: number,
  timeoutMs = 10_000,
  drive = true,
) {
  let answered = false
  const pending = sim.produce(id, T, 0, Buffer.from(batch), acks, timeoutMs).finally(() => {
    answered = true
  })
  if (drive) {
    await sim.settle()
    for (let t = 0; !answered && t <= timeoutMs; t += 50) await sim.advance(50)
  }
  const r = await pending
  assert.equal(r.kind, 'answer', `produce to broker ${id} got an answer`)
  return (r as Extract<typeof r, { kind: 'answer' }>).outcome
}

export function expectCode(actual: number, expected: number, what: string): void {
  assert.equal(errorName(actual), errorName(expected), what)
}

/** The leader's immediate answer to a replica's fetch of `t-0` (as over the wire, no waiting). */
export async function replicaFetch(
  sim: SimCluster,
  leaderId: number,
  o: { replicaId: number; fetchOffset: bigint; lastFetchedEpoch: number },
) {
  const leader = sim.proc(leaderId)!
  const [r] = await leader.rm.fetch(
    { replicaId: o.replicaId, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0 },
    [
      {
        topic: null,
        topicId: T_ID,
        partition: 0,
        fetchOffset: o.fetchOffset,
        partitionMaxBytes: 1 << 20,
        currentLeaderEpoch: sim.controller.state(T, 0).leaderEpoch,
        lastFetchedEpoch: o.lastFetchedEpoch,
        logStartOffset: 0n,
      },
    ],
  )
  expectCode(r!.errorCode, ErrorCode.NONE, 'replica fetch')
  return r!
}
