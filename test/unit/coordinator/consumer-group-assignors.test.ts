// The server-side assignors as pure functions: every subscribed partition goes to exactly one
// subscribed member; "uniform" balances within one for equal subscriptions and is sticky (a member
// joining takes partitions only from those above the new share); "range" gives contiguous ranges.
// Plus the RE2/J regex translation.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import {
  type AssignorInput,
  rangeAssign,
  uniformAssign,
} from '../../../src/coordinator/group/consumer/consumer-assignors.ts'
import { type Assignment, assignmentSize } from '../../../src/coordinator/group/consumer/consumer-group.ts'
import { compileTopicRegex } from '../../../src/coordinator/group/consumer/consumer-regex.ts'

function checkComplete(input: AssignorInput, out: Map<string, Assignment>): void {
  const owner = new Map<string, string>()
  for (const [memberId, a] of out)
    for (const [t, ps] of a)
      for (const p of ps) {
        const m = input.members.find((x) => x.memberId === memberId)!
        assert.ok(m.topics.has(t), `${memberId} got ${t} it does not subscribe to`)
        assert.ok(p < input.topics.get(t)!, 'partition exists')
        assert.equal(owner.get(`${t}:${p}`), undefined, 'assigned once')
        owner.set(`${t}:${p}`, memberId)
      }
  for (const [t, n] of input.topics)
    if (input.members.some((m) => m.topics.has(t)))
      for (let p = 0; p < n; p++) assert.ok(owner.has(`${t}:${p}`), `${t}:${p} unassigned`)
}

const inputs = fc
  .record({
    members: fc.integer({ min: 1, max: 7 }),
    topics: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 4 }),
    subs: fc.array(fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), { minLength: 7, maxLength: 7 }),
  })
  .map(({ members, topics, subs }) => ({
    members: Array.from({ length: members }, (_, i) => ({
      memberId: `m${i}`,
      topics: new Set(topics.map((_, t) => `T${t}`).filter((_, t) => subs[i][t])),
    })),
    topics: new Map(topics.map((n, t) => [`T${t}`, n])),
    previous: new Map<string, Assignment>(),
  }))

describe('consumer group assignors', () => {
  it('uniform and range assign every subscribed partition once', () => {
    fc.assert(
      fc.property(inputs, (input) => {
        checkComplete(input, uniformAssign(input))
        checkComplete(input, rangeAssign(input))
      }),
    )
  })

  it('uniform balances equal subscriptions within one, and stays sticky when a member joins', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 40 }), (n, parts) => {
        const topics = new Map([['T', parts]])
        const mk = (k: number) =>
          Array.from({ length: k }, (_, i) => ({ memberId: `m${i}`, topics: new Set(['T']) }))
        const first = uniformAssign({ members: mk(n), topics, previous: new Map() })
        const loads = [...first.values()].map(assignmentSize)
        assert.ok(Math.max(...loads) - Math.min(...loads) <= 1)
        const second = uniformAssign({ members: mk(n + 1), topics, previous: first })
        const loads2 = [...second.values()].map(assignmentSize)
        assert.ok(Math.max(...loads2) - Math.min(...loads2) <= 1)
        let moved = 0
        for (const [m, a] of first)
          for (const p of a.get('T') ?? []) if (!second.get(m)!.get('T')?.has(p)) moved++
        assert.equal(moved, assignmentSize(second.get(`m${n}`)!), 'only what the newcomer gets moves')
      }),
    )
  })

  it('range gives contiguous ranges, the first members one more', () => {
    const out = rangeAssign({
      members: ['b', 'a', 'c'].map((memberId) => ({ memberId, topics: new Set(['T']) })),
      topics: new Map([['T', 7]]),
      previous: new Map(),
    })
    assert.deepEqual([...out.get('a')!.get('T')!], [0, 1, 2])
    assert.deepEqual([...out.get('b')!.get('T')!], [3, 4])
    assert.deepEqual([...out.get('c')!.get('T')!], [5, 6])
  })

  it('regex: RE2/J syntax, whole-name matches, constructs RE2 lacks refused', () => {
    const ok = (re: string) => {
      const c = compileTopicRegex(re)
      assert.ok(c.ok, re)
      return c.regex
    }
    assert.ok(ok('orders.*').test('orders-eu'))
    assert.ok(!ok('orders').test('orders-eu'), 'whole names only')
    assert.ok(ok('(?P<x>a)b').test('ab'))
    assert.ok(ok('(?i)ABC').test('abc'))
    assert.ok(ok('\\Qa.b\\E').test('a.b'))
    assert.ok(!ok('\\Qa.b\\E').test('axb'))
    assert.ok(ok('[[:digit:]]+').test('123'))
    assert.ok(ok('a*?b').test('aab'))
    for (const bad of ['(a)\\1', '(?=a)', '(?!a)', '(?<=a)b', '(?<!a)b', '(?>a)', 'a*+', '(', '\\k<x>'])
      assert.equal(compileTopicRegex(bad).ok, false, bad)
  })
})
