// The fault-injection checker (test/faults/checker.ts) is only evidence if it can fail: invented
// histories with exactly one broken guarantee each (a lost record, a duplicate, an acknowledgement
// at the wrong offset, offsets going backwards, diverging replicas) must each be caught, and a
// clean history must pass with the counts and verdict line `npm run faults` prints.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  type Ack,
  checkHistory,
  checkReplicas,
  type LogRecord,
  render,
  unavailabilityMs,
  verdict,
} from './checker.ts'
import { unsettled } from './replica-snapshot.ts'

/** n records round-robin over 3 partitions, each acknowledged 10 ms after the previous one. */
function clean(n: number): { acks: Ack[]; log: LogRecord[] } {
  const acks: Ack[] = []
  const log: LogRecord[] = []
  const next = [0, 0, 0]
  for (let i = 0; i < n; i++) {
    const p = i % 3
    const offset = next[p]!++
    acks.push({ i, p, offset, t: 1000 + i * 10 })
    log.push({ partition: p, offset, key: `k-${i}` })
  }
  log.sort((a, b) => a.partition - b.partition || a.offset - b.offset)
  return { acks, log }
}

const run = (name: string, faultAt: number) => ({ name, faultAt, healedAt: faultAt + 50, divergent: [] })

describe('fault-injection checker', () => {
  it('passes a clean history and prints the verdict line last', () => {
    const { acks, log } = clean(30)
    const h = checkHistory(acks, log)
    assert.equal(h.acknowledged, 30)
    assert.deepEqual([h.lost, h.misplaced, h.duplicated, h.disorder], [[], [], [], []])
    const v = verdict([run('kill-leader', 1100)], acks, log, [0, 1, 2], [], 2000)
    assert.equal(v.ok, true)
    const out = render(v).split('\n')
    assert.equal(
      out.at(-1),
      'faults: 1 nemesis runs, 30 acknowledged, 0 lost, 0 duplicated, 0 divergent, longest unavailability 0.0 s',
    )
    assert.deepEqual(
      v.rows.map((r) => [r.name, r.runs, r.acknowledged]),
      [
        ['kill-leader', 1, 20],
        ['quiet', 0, 10],
      ],
    )
  })

  it('catches an acknowledged record missing from the log', () => {
    const { acks, log } = clean(30)
    const gone = log.findIndex((r) => r.key === 'k-14')
    log.splice(gone, 1)
    const h = checkHistory(acks, log)
    assert.deepEqual(
      h.lost.map((a) => a.i),
      [14],
    )
    const v = verdict([run('kill-controller', 1000)], acks, log, [0, 1, 2], [], 2000)
    assert.equal(v.ok, false)
    assert.equal(v.total.lost, 1)
    assert.match(render(v), /faults: 1 nemesis runs, 30 acknowledged, 1 lost, 0 duplicated, 0 divergent/)
  })

  it('catches a record written twice (a retry the idempotent producer must not duplicate)', () => {
    const { acks, log } = clean(30)
    // k-4 (partition 1) written again at the end of partition 1.
    const end = Math.max(...log.filter((r) => r.partition === 1).map((r) => r.offset)) + 1
    log.push({ partition: 1, offset: end, key: 'k-4' })
    log.sort((a, b) => a.partition - b.partition || a.offset - b.offset)
    const h = checkHistory(acks, log)
    assert.deepEqual(h.duplicated, ['k-4'])
    assert.deepEqual(h.lost, [])
    const v = verdict([run('pause-past-session', 1000)], acks, log, [0, 1, 2], [], 2000)
    assert.equal(v.ok, false)
    assert.equal(v.total.duplicated, 1)
  })

  it('catches a record acknowledged at one offset but stored at another', () => {
    const { acks, log } = clean(30)
    // Records k-6 and k-9 (both partition 0) swapped places in the log.
    const a = log.find((r) => r.key === 'k-6')!
    const b = log.find((r) => r.key === 'k-9')!
    ;[a.key, b.key] = [b.key, a.key]
    const h = checkHistory(acks, log)
    assert.deepEqual(
      h.misplaced.map((x) => x.i),
      [6, 9],
    )
    assert.deepEqual([h.lost, h.duplicated], [[], []])
    const v = verdict([run('zk-outage', 1000)], acks, log, [0, 1, 2], [], 2000)
    assert.equal(v.total.lost, 2, 'not at its acknowledged offset counts as lost')
    assert.equal(v.ok, false)
  })

  it('catches offsets that do not strictly increase and two acks for one offset', () => {
    const { acks, log } = clean(9)
    log.splice(2, 0, { partition: 0, offset: 1, key: 'k-100' })
    assert.deepEqual(checkHistory(acks, log).disorder, ['partition 0: offset 1 read after 1'])
    const twice = [...acks, { i: 50, p: 0, offset: 0, t: 2000 }]
    assert.deepEqual(
      checkHistory(twice, clean(9).log).lost.map((a) => a.i),
      [50],
    )
    assert.equal(verdict([], acks, log, [0, 1, 2], [], 3000).ok, false)
  })

  it('catches replicas whose batches below the high watermark differ or have holes', () => {
    const same = ['0-4/111@0', '5-9/222@0']
    assert.deepEqual(
      checkReplicas([
        {
          topic: 't',
          partition: 0,
          hw: 10,
          batches: new Map([
            [1, same],
            [2, same],
            [3, same],
          ]),
        },
      ]),
      [],
    )
    const problems = checkReplicas([
      {
        topic: 't',
        partition: 0,
        hw: 10,
        batches: new Map([
          [1, same],
          [2, ['0-4/111@0', '5-9/999@1']],
          [3, ['0-4/111@0']],
        ]),
      },
    ])
    assert.deepEqual(problems, [
      't-0 below HW 10: broker 2 has 5-9/999@1 where broker 1 has 5-9/222@0',
      't-0 broker 3: batches end at 5, high watermark 10',
      't-0 below HW 10: broker 3 has nothing where broker 1 has 5-9/222@0',
    ])
    const { acks, log } = clean(6)
    const v = verdict([{ ...run('kill-random', 1000), divergent: problems }], acks, log, [0, 1, 2], [], 2000)
    assert.equal(v.total.divergent, 3)
    assert.equal(v.ok, false)
  })

  it('measures unavailability as the longest time a partition waited for its next ack after the fault', () => {
    const acks: Ack[] = [
      { i: 0, p: 0, offset: 0, t: 100 },
      { i: 1, p: 1, offset: 0, t: 150 },
      { i: 2, p: 0, offset: 1, t: 1200 },
      { i: 3, p: 1, offset: 1, t: 3500 },
      { i: 4, p: 1, error: 7, t: 3600 },
    ]
    assert.equal(unavailabilityMs(acks, 1000, [0, 1], 9000), 2500)
    assert.equal(
      unavailabilityMs(acks, 1000, [0, 1, 2], 9000),
      8000,
      'a partition never acked again: until the end',
    )
  })

  it('counts a replica comparison only under a full ISR that did not change while it ran', () => {
    const full = (version: number) => [0, 1].map((partition) => ({ partition, isr: [3, 1, 2], version }))
    assert.deepEqual(unsettled(full(4), full(4), 3), [])
    // A shrink written between the two reads (the one-way finding): the comparison is discarded.
    const shrunk = [{ partition: 0, isr: [3, 2], version: 5 }, full(4)[1]!]
    assert.deepEqual(unsettled(full(4), shrunk, 3), ['p0 state changed (version 4 -> 5, ISR [3,2])'])
    // Shrunk and grown back meanwhile: the same ISR, another version, still discarded.
    const back = [{ partition: 0, isr: [3, 2, 1], version: 6 }, full(4)[1]!]
    assert.equal(unsettled(full(4), back, 3).length, 1)
    const small = [{ partition: 0, isr: [3, 2], version: 4 }, full(4)[1]!]
    assert.deepEqual(unsettled(small, small, 3), ['p0 ISR [3,2] not full'])
  })
})
