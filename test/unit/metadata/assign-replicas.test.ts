// Replica placement for new partitions: the examples Kafka documents for its own placement, the
// spread properties over random clusters, determinism, and the refusals with Kafka's messages.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import {
  type AssignReplicasError,
  assignReplicas,
  MIXED_RACKS_MESSAGE,
  type PlacementBroker,
  rackAlternatedBrokers,
} from '../../../src/metadata/assign-replicas.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import { seeded } from '../../support/seeded.ts'

const plain = (...ids: number[]): PlacementBroker[] => ids.map((id) => ({ id, rack: null }))

function placed(r: Map<number, number[]> | AssignReplicasError): Map<number, number[]> {
  if (!(r instanceof Map)) assert.fail(`unexpected error: ${r.error}`)
  return r
}

function failed(r: Map<number, number[]> | AssignReplicasError): AssignReplicasError {
  if (r instanceof Map) assert.fail('expected an error')
  return r
}

const counts = (values: Iterable<number>): Map<number, number> => {
  const m = new Map<number, number>()
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1)
  return m
}

describe('assignReplicas without racks', () => {
  it("reproduces Kafka's documented table (5 brokers, 10 partitions, RF 3, start 0)", () => {
    const r = placed(
      assignReplicas({
        brokers: plain(0, 1, 2, 3, 4),
        numPartitions: 10,
        replicationFactor: 3,
        fixedStartIndex: 0,
      }),
    )
    assert.deepEqual(
      [...r.entries()],
      [
        [0, [0, 1, 2]],
        [1, [1, 2, 3]],
        [2, [2, 3, 4]],
        [3, [3, 4, 0]],
        [4, [4, 0, 1]],
        // The partition ids wrapped: the followers move one further away.
        [5, [0, 2, 3]],
        [6, [1, 3, 4]],
        [7, [2, 4, 0]],
        [8, [3, 0, 1]],
        [9, [4, 1, 2]],
      ],
    )
  })

  it('takes broker ids in ascending order whatever the input order', () => {
    const a = assignReplicas({
      brokers: plain(3, 1, 2),
      numPartitions: 4,
      replicationFactor: 2,
      fixedStartIndex: 1,
    })
    const b = assignReplicas({
      brokers: plain(1, 2, 3),
      numPartitions: 4,
      replicationFactor: 2,
      fixedStartIndex: 1,
    })
    assert.deepEqual(placed(a), placed(b))
    assert.deepEqual(placed(a).get(0), [2, 1])
  })

  it('draws the start index and the follower shift from the injected random source', () => {
    const draws = [0.99, 0.5]
    const r = placed(
      assignReplicas({
        brokers: plain(1, 2, 3, 4),
        numPartitions: 2,
        replicationFactor: 2,
        random: () => draws.shift()!,
      }),
    )
    assert.equal(draws.length, 0)
    // start = floor(0.99 * 4) = 3, shift = floor(0.5 * 4) = 2: followers 1 + (2 % 3) = 3 places on.
    assert.deepEqual(r.get(0), [4, 3])
    assert.deepEqual(r.get(1), [1, 4])
  })

  it('spreads leaders and replicas evenly and never puts a broker twice in a partition', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer(),
        (n, numPartitions, rfWanted, seed) => {
          const rf = Math.min(rfWanted, n)
          const ids = Array.from({ length: n }, (_, i) => 100 + i * 7)
          const r = placed(
            assignReplicas({
              brokers: plain(...ids),
              numPartitions,
              replicationFactor: rf,
              random: seeded(seed),
            }),
          )
          assert.deepEqual(
            [...r.keys()],
            Array.from({ length: numPartitions }, (_, i) => i),
          )
          for (const replicas of r.values()) {
            assert.equal(replicas.length, rf)
            assert.equal(new Set(replicas).size, rf)
            for (const b of replicas) assert.ok(ids.includes(b))
          }
          const leaders = counts([...r.values()].map((x) => x[0]!))
          const leaderCounts = ids.map((id) => leaders.get(id) ?? 0)
          assert.ok(Math.max(...leaderCounts) - Math.min(...leaderCounts) <= 1, `leaders ${leaderCounts}`)
          if (numPartitions % n === 0) {
            const all = counts([...r.values()].flat())
            for (const id of ids) assert.equal(all.get(id), (numPartitions / n) * rf)
          }
        },
      ),
    )
  })
})

describe('assignReplicas with racks', () => {
  const documented: PlacementBroker[] = [
    { id: 0, rack: 'rack1' },
    { id: 1, rack: 'rack3' },
    { id: 2, rack: 'rack3' },
    { id: 3, rack: 'rack2' },
    { id: 4, rack: 'rack2' },
    { id: 5, rack: 'rack1' },
  ]

  it('alternates racks: racks by name, brokers by id within a rack', () => {
    assert.deepEqual(rackAlternatedBrokers(documented), [0, 3, 1, 5, 4, 2])
    const uneven = [
      { id: 0, rack: 'a' },
      { id: 1, rack: 'a' },
      { id: 2, rack: 'a' },
      { id: 3, rack: 'b' },
    ]
    assert.deepEqual(rackAlternatedBrokers(uneven), [0, 3, 1, 2])
  })

  it("reproduces Kafka's documented example, the 7th partition shifting its followers", () => {
    const r = placed(
      assignReplicas({ brokers: documented, numPartitions: 7, replicationFactor: 3, fixedStartIndex: 0 }),
    )
    assert.deepEqual(
      [...r.entries()],
      [
        [0, [0, 3, 1]],
        [1, [3, 1, 5]],
        [2, [1, 5, 4]],
        [3, [5, 4, 2]],
        [4, [4, 2, 0]],
        [5, [2, 0, 3]],
        [6, [0, 4, 2]],
      ],
    )
  })

  it('puts the replicas of a partition on distinct racks when RF ≤ #racks, and on every rack otherwise', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('r1', 'r2', 'r3', 'r4'), { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer(),
        (racks, numPartitions, rfWanted, seed) => {
          const brokers = racks.map((rack, i) => ({ id: i + 1, rack }))
          const rf = Math.min(rfWanted, brokers.length)
          const rackOf = new Map(brokers.map((b) => [b.id, b.rack]))
          const numRacks = new Set(racks).size
          const r = placed(
            assignReplicas({ brokers, numPartitions, replicationFactor: rf, random: seeded(seed) }),
          )
          assert.equal(r.size, numPartitions)
          for (const replicas of r.values()) {
            assert.equal(new Set(replicas).size, rf)
            const used = new Set(replicas.map((b) => rackOf.get(b)))
            assert.equal(used.size, Math.min(rf, numRacks), `${replicas} on ${[...used]}`)
          }
          const leaders = counts([...r.values()].map((x) => x[0]!))
          const leaderCounts = brokers.map((b) => leaders.get(b.id) ?? 0)
          assert.ok(Math.max(...leaderCounts) - Math.min(...leaderCounts) <= 1, `leaders ${leaderCounts}`)
        },
      ),
    )
  })
})

describe('assignReplicas: determinism and continuing partitions', () => {
  it('gives the same placement for the same fixedStartIndex, ignoring the random source', () => {
    for (const brokers of [plain(1, 2, 3, 4), [1, 2, 3, 4].map((id) => ({ id, rack: `r${id % 2}` }))]) {
      const a = assignReplicas({
        brokers,
        numPartitions: 9,
        replicationFactor: 2,
        fixedStartIndex: 2,
        random: Math.random,
      })
      const b = assignReplicas({
        brokers,
        numPartitions: 9,
        replicationFactor: 2,
        fixedStartIndex: 2,
        random: () => 0.7,
      })
      assert.deepEqual(placed(a), placed(b))
    }
  })

  it('continues the leader round-robin for added partitions (startPartitionId), as Kafka does', () => {
    for (const brokers of [plain(1, 2, 3), [1, 2, 3, 4].map((id) => ({ id, rack: `r${id % 2}` }))]) {
      const whole = placed(
        assignReplicas({ brokers, numPartitions: 8, replicationFactor: 2, fixedStartIndex: 1 }),
      )
      const added = placed(
        assignReplicas({
          brokers,
          numPartitions: 3,
          replicationFactor: 2,
          fixedStartIndex: 1,
          startPartitionId: 5,
        }),
      )
      assert.deepEqual([...added.keys()], [5, 6, 7])
      for (const [p, replicas] of added) assert.equal(replicas[0], whole.get(p)![0])
    }
    // The follower shift starts from the fixed index again and only grows at wraps crossed in this
    // call (at partition 6 here), so followers may differ from a creation-time placement.
    const added = placed(
      assignReplicas({
        brokers: plain(1, 2, 3),
        numPartitions: 3,
        replicationFactor: 2,
        fixedStartIndex: 1,
        startPartitionId: 5,
      }),
    )
    assert.deepEqual(
      [...added.entries()],
      [
        [5, [1, 3]],
        [6, [2, 3]],
        [7, [3, 1]],
      ],
    )
  })
})

describe('assignReplicas refusals', () => {
  it("refuses more replicas than brokers, in Kafka's words", () => {
    const e = failed(assignReplicas({ brokers: plain(1), numPartitions: 1, replicationFactor: 3 }))
    assert.deepEqual(e, {
      error: 'Replication factor: 3 larger than available brokers: 1.',
      errorCode: ErrorCode.INVALID_REPLICATION_FACTOR,
    })
    const none = failed(assignReplicas({ brokers: [], numPartitions: 1, replicationFactor: 1 }))
    assert.equal(none.error, 'Replication factor: 1 larger than available brokers: 0.')
  })

  it('refuses a cluster where only some brokers have a rack', () => {
    const e = failed(
      assignReplicas({
        brokers: [
          { id: 1, rack: 'a' },
          { id: 2, rack: null },
        ],
        numPartitions: 1,
        replicationFactor: 1,
      }),
    )
    assert.equal(e.error, MIXED_RACKS_MESSAGE)
    assert.equal(e.error, 'Not all brokers have rack information for replica rack aware assignment.')
    assert.equal(e.errorCode, ErrorCode.UNKNOWN_SERVER_ERROR)
  })

  it('refuses non-positive partition counts and replication factors', () => {
    assert.deepEqual(failed(assignReplicas({ brokers: plain(1), numPartitions: 0, replicationFactor: 1 })), {
      error: 'Number of partitions must be larger than 0.',
      errorCode: ErrorCode.INVALID_PARTITIONS,
    })
    assert.deepEqual(failed(assignReplicas({ brokers: plain(1), numPartitions: 1, replicationFactor: 0 })), {
      error: 'Replication factor must be larger than 0.',
      errorCode: ErrorCode.INVALID_REPLICATION_FACTOR,
    })
  })
})
