// The consumer checker (test/faults/consumer-checker.ts) is only evidence if it can fail: a clean
// history of two group members with a rebalance in the middle must pass, and invented histories
// with one broken guarantee each (two values at one offset, a read that later vanished, a member
// jumping over records, a commit going backwards or lost, records committed but never read, a
// committed offset past the log end) must each be caught and counted in the rendered line.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  type Commit,
  type ConsumerHistory,
  checkConsumers,
  consumerProblems,
  type FinalRecord,
  type Read,
  renderConsumers,
} from './consumer-checker.ts'

/** Partition p holds n records, value v-p-<offset>. */
const finalLog = (n: number, partitions = [0, 1]): FinalRecord[] =>
  partitions.flatMap((p) =>
    Array.from({ length: n }, (_, offset) => ({ partition: p, offset, value: `v-${p}-${offset}` })),
  )

const read = (consumer: string, p: number, offset: number, t: number, assignment = 1): Read => ({
  consumer,
  group: 'g',
  p,
  offset,
  value: `v-${p}-${offset}`,
  t,
  assignment,
})
const commit = (consumer: string, p: number, offset: number, t: number, ok = true): Commit => ({
  group: 'g',
  consumer,
  p,
  offset,
  ok,
  t,
  ...(ok ? {} : { error: 16, reason: 'NOT_COORDINATOR' }),
})

/**
 * a reads p0 and p1 0..4 and commits 5 on both; a rebalance leaves p0 with a (its second
 * assignment) and gives p1 to b, which starts at the committed 5; a reads p0 5..9 and commits 10
 * (after a commit of 8 that failed), b reads p1 5..9 and commits 10.
 */
function clean(): ConsumerHistory {
  const reads: Read[] = []
  const commits: Commit[] = []
  let t = 1000
  for (let o = 0; o < 5; o++) reads.push(read('a', 0, o, t++), read('a', 1, o, t++))
  commits.push(commit('a', 0, 5, t++), commit('a', 1, 5, t++))
  for (let o = 5; o < 10; o++) reads.push(read('a', 0, o, t++, 2), read('b', 1, o, t++, 1))
  commits.push(commit('a', 0, 8, t++, false), commit('a', 0, 10, t++), commit('b', 1, 10, t++))
  return {
    reads,
    commits,
    log: finalLog(10),
    committed: [
      { group: 'g', p: 0, offset: 10 },
      { group: 'g', p: 1, offset: 10 },
    ],
  }
}

describe('consumer checker', () => {
  it('passes two members with a rebalance, re-reads and a failed commit', () => {
    const h = clean()
    // b re-reads p1 3..4 after the rebalance (a had read them): allowed, the same values.
    const reads = [...h.reads, read('b', 1, 3, 5000, 2), read('b', 1, 4, 5001, 2)]
    const v = checkConsumers({ ...h, reads })
    assert.equal(v.ok, true, consumerProblems(v).join('\n'))
    assert.deepEqual([v.reads, v.commits, v.failedCommits, v.rewinds], [22, 4, 1, 0])
    assert.equal(
      renderConsumers(v),
      'consumers: 22 reads, 4 commits (1 failed), 0 divergent reads, 0 skips, 0 commits backwards, 0 bad committed offsets',
    )
    assert.deepEqual(consumerProblems(v), [])
  })

  it('defaults the final committed offsets to the last successful commits and the log end to the log', () => {
    const { committed: _, ...h } = clean()
    assert.equal(checkConsumers(h).ok, true)
  })

  it('catches two values read at one offset, and a read absent from the final log', () => {
    const h = clean()
    const reads = [...h.reads, { ...read('b', 0, 2, 6000, 3), value: 'v-other' }]
    const v = checkConsumers({ ...h, reads })
    assert.equal(v.ok, false)
    assert.deepEqual(v.divergent, ['p0@2: b read "v-other", a read "v-0-2"'])
    assert.deepEqual(v.vanished, ['p0@2: b read "v-other", the final log has "v-0-2"'])
    assert.match(renderConsumers(v), /2 divergent reads/)
  })

  it('catches a record read that later disappeared (truncated below what was consumed)', () => {
    const h = clean()
    // p1 lost its records 8..9 after they were read: the final log ends at 8.
    const log = h.log.filter((r) => !(r.partition === 1 && r.offset >= 8))
    const v = checkConsumers({ ...h, log })
    assert.equal(v.ok, false)
    assert.deepEqual(v.vanished, [
      'p1@8: b read "v-1-8", the final log has nothing',
      'p1@9: b read "v-1-9", the final log has nothing',
    ])
    assert.deepEqual(v.beyondEnd, ['p1 (g): committed 10, log end 8'])
    assert.deepEqual(v.divergent, [])
  })

  it('catches a member jumping over records within one assignment, not across a rebalance', () => {
    const h = clean()
    const without = (consumer: string, p: number, offset: number) =>
      h.reads.filter((r) => !(r.consumer === consumer && r.p === p && r.offset === offset))
    const v = checkConsumers({ ...h, reads: without('a', 0, 7) })
    assert.deepEqual(v.skipped, ['p0: a read 8 after 6, skipping 1 record(s) from 7'])
    assert.deepEqual(v.unread, ['p0 (g): 1 record(s) below committed 10 never read, first at 7'])
    assert.equal(v.ok, false)
    // a's p0 reads 5..9 are its second assignment: starting at 5 after 4 is no skip.
    assert.deepEqual(checkConsumers(h).skipped, [])
    // Jumping back (an offset reset) is allowed and counted.
    const again = checkConsumers({ ...h, reads: [...h.reads, read('b', 1, 0, 9000)] })
    assert.deepEqual([again.ok, again.rewinds], [true, 1])
  })

  it('catches a successful commit below the previous one, whoever made it', () => {
    const h = clean()
    const commits = [...h.commits, commit('b', 1, 7, 9000)]
    const v = checkConsumers({ ...h, commits, committed: undefined })
    assert.deepEqual(v.backwards, ['p1 (g): b committed 7 after b committed 10'])
    assert.equal(v.ok, false)
    assert.match(renderConsumers(v), /1 commits backwards/)
    // Ordered by the members' clocks, not by arrival: a late-arriving older commit is no problem.
    const late = [...h.commits, commit('a', 1, 3, 1005)]
    assert.equal(checkConsumers({ ...h, commits: late }).ok, true)
    // A failed commit of a lower offset is no move at all.
    assert.equal(checkConsumers({ ...h, commits: [...h.commits, commit('b', 1, 3, 9000, false)] }).ok, true)
  })

  it('catches a confirmed commit the broker no longer holds after healing', () => {
    const h = clean()
    const v = checkConsumers({
      ...h,
      committed: [
        { group: 'g', p: 0, offset: 5 },
        { group: 'g', p: 1, offset: null },
      ],
    })
    assert.deepEqual(v.lostCommits, [
      'p0 (g): committed 5 after healing, 10 was confirmed to a',
      'p1 (g): committed nothing after healing, 10 was confirmed to b',
    ])
    assert.equal(v.ok, false)
  })

  it('catches records below the committed offset that no member read', () => {
    const h = clean()
    // Committed 10 on p1 although nobody read past 9... and nobody read 5..9 either.
    const reads = h.reads.filter((r) => !(r.p === 1 && r.offset >= 5))
    const v = checkConsumers({ ...h, reads })
    assert.deepEqual(v.unread, ['p1 (g): 5 record(s) below committed 10 never read, first at 5'])
    assert.equal(v.ok, false)
    assert.match(renderConsumers(v), /1 bad committed offsets/)
    // Reads by a member of another group do not count for this one.
    const other = h.reads.filter((r) => r.p === 1 && r.offset >= 5).map((r) => ({ ...r, group: 'other' }))
    assert.equal(checkConsumers({ ...h, reads: [...reads, ...other] }).unread.length, 1)
  })

  it('catches a committed offset beyond the log end given by the high watermark', () => {
    const h = clean()
    const v = checkConsumers({
      ...h,
      logEnd: new Map([
        [0, 10],
        [1, 9],
      ]),
    })
    assert.deepEqual(v.beyondEnd, ['p1 (g): committed 10, log end 9'])
    assert.equal(v.ok, false)
  })
})
