// The election rules as pure functions: assignment order decides, the ISR limits clean elections,
// shutting-down brokers are never chosen, the last ISR member is kept, and the imbalance ratio.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  controlledShutdownLeader,
  imbalancedPartitions,
  initialLeader,
  offlineLeader,
  preferredLeader,
  withoutReplica,
} from '../../../src/controller/partition-election.ts'

const live =
  (...ids: number[]) =>
  (id: number) =>
    ids.includes(id)

describe('partition election rules', () => {
  it('initialLeader: first live replica in assignment order, ISR = live replicas', () => {
    assert.deepEqual(initialLeader([3, 1, 2], live(1, 2)), { leader: 1, isr: [1, 2], unclean: false })
    assert.equal(initialLeader([3], live(1)), null)
  })

  it('offlineLeader: first live ISR member in assignment order; unclean only when allowed', () => {
    assert.deepEqual(offlineLeader([1, 2, 3], [3, 2], live(2, 3), false), {
      leader: 2,
      isr: [3, 2],
      unclean: false,
    })
    assert.deepEqual(offlineLeader([1, 2, 3], [1, 2, 3], live(3), false), {
      leader: 3,
      isr: [3],
      unclean: false,
    })
    assert.equal(offlineLeader([1, 2], [1], live(2), false), null)
    assert.deepEqual(offlineLeader([1, 2, 3], [1], live(3, 2), true), { leader: 2, isr: [2], unclean: true })
    assert.equal(offlineLeader([1, 2], [1], live(), true), null)
  })

  it('preferredLeader: the first replica, only when live and in the ISR', () => {
    assert.deepEqual(preferredLeader([1, 2], [2, 1], live(1, 2)), { leader: 1, isr: [2, 1], unclean: false })
    assert.equal(preferredLeader([1, 2], [2], live(1, 2)), null)
    assert.equal(preferredLeader([1, 2], [1, 2], live(2)), null)
  })

  it('controlledShutdownLeader: skips shutting-down brokers and removes them from the ISR', () => {
    const down = (id: number) => id === 1
    const eligible = (id: number) => id !== 1
    assert.deepEqual(controlledShutdownLeader([1, 2, 3], [1, 3, 2], eligible, down), {
      leader: 2,
      isr: [3, 2],
      unclean: false,
    })
    assert.equal(controlledShutdownLeader([1, 2], [1], eligible, down), null)
  })

  it('withoutReplica: leader -1 when it led, last ISR member kept, no-op when not in the ISR', () => {
    assert.deepEqual(withoutReplica(1, [1, 2], 2), { leader: 1, isr: [1], unclean: false })
    assert.deepEqual(withoutReplica(1, [1, 2], 1), { leader: -1, isr: [2], unclean: false })
    assert.deepEqual(withoutReplica(1, [1], 1), { leader: -1, isr: [1], unclean: false })
    assert.equal(withoutReplica(1, [1], 3), null)
  })

  it('imbalancedPartitions: per preferred broker, not-led share above the percentage', () => {
    const p = (partition: number, replicas: number[], leader: number) => ({
      topic: 't',
      partition,
      replicas,
      leader,
    })
    const parts = [p(0, [1, 2], 2), p(1, [1, 2], 1), p(2, [1, 2], 1), p(3, [2, 1], 1)]
    // Broker 1: 1 of 3 not led (33%); broker 2: 1 of 1 (100%).
    assert.deepEqual(
      imbalancedPartitions(parts, 50).map((x) => x.partition),
      [3],
    )
    assert.deepEqual(
      imbalancedPartitions(parts, 10)
        .map((x) => x.partition)
        .sort(),
      [0, 3],
    )
    assert.deepEqual(imbalancedPartitions(parts, 100), [])
  })
})
