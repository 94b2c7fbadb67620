// Where the replicas of new partitions go when the client did not say: Kafka's placement for
// CreateTopics and CreatePartitions (AdminUtils.assignReplicasToBrokers), so that a Samsa cluster
// spreads leaders and followers the way an operator of Kafka expects to see them in
// `kafka-topics.sh --describe`. Pure: randomness is injected, so tests and the simulation are
// deterministic.
//
// The behaviour, as Kafka has it:
// - No broker has a rack: the first replica of partition p is broker list[(p + start) % n]; the
//   others follow it at a distance that grows by one each time the partition ids wrap around the
//   broker list (so partition p and p + n do not get the same followers).
// - Every broker has a rack: the same walk over a broker list that alternates racks (racks in
//   name order, brokers in id order within a rack); a follower is skipped while it is on a rack
//   that already has a replica and some rack has none, or while it already has a replica and some
//   broker has none. With RF ≤ #racks every replica of a partition is on its own rack.
// - Only some brokers have a rack: refused (Kafka's AdminOperationException, which its ZooKeeper
//   broker answers as UNKNOWN_SERVER_ERROR without the message).
// `start` and the first shift are each random in [0, n) unless fixedStartIndex pins both.

import { ErrorCode } from '../protocol/generated/error-codes.ts'

export interface PlacementBroker {
  readonly id: number
  readonly rack: string | null
}

export interface AssignReplicasInput {
  /** Live brokers that may hold replicas; order does not matter (ids are sorted, as Kafka's callers do). */
  readonly brokers: readonly PlacementBroker[]
  readonly numPartitions: number
  readonly replicationFactor: number
  /** The first partition id to place (CreatePartitions: the current partition count). Default 0. */
  readonly startPartitionId?: number
  /** Pins the start index and the first follower shift (Kafka's fixedStartIndex); negative or absent: random. */
  readonly fixedStartIndex?: number
  /** A number in [0, 1), like Math.random (the default). */
  readonly random?: () => number
}

export interface AssignReplicasError {
  readonly error: string
  /** The Kafka error code a broker answers with (ErrorCode.*). */
  readonly errorCode: number
}

/** Message when some but not all brokers have broker.rack (Kafka's words). */
export const MIXED_RACKS_MESSAGE = 'Not all brokers have rack information for replica rack aware assignment.'

/** Partition id → replica broker ids (the first is the preferred leader), or why it cannot be done. */
export function assignReplicas(input: AssignReplicasInput): Map<number, number[]> | AssignReplicasError {
  const { numPartitions, replicationFactor } = input
  const brokers = [...input.brokers].sort((a, b) => a.id - b.id)
  if (numPartitions <= 0)
    return { error: 'Number of partitions must be larger than 0.', errorCode: ErrorCode.INVALID_PARTITIONS }
  if (replicationFactor <= 0)
    return {
      error: 'Replication factor must be larger than 0.',
      errorCode: ErrorCode.INVALID_REPLICATION_FACTOR,
    }
  if (replicationFactor > brokers.length)
    return {
      error: `Replication factor: ${replicationFactor} larger than available brokers: ${brokers.length}.`,
      errorCode: ErrorCode.INVALID_REPLICATION_FACTOR,
    }
  const withRack = brokers.filter((b) => b.rack !== null).length
  if (withRack > 0 && withRack < brokers.length)
    return { error: MIXED_RACKS_MESSAGE, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR }

  const random = input.random ?? Math.random
  const fixed = input.fixedStartIndex ?? -1
  const pick = (n: number) => (fixed >= 0 ? fixed : Math.min(n - 1, Math.floor(random() * n)))
  const walk: Walk = {
    numPartitions,
    replicationFactor,
    firstPartition: Math.max(0, input.startPartitionId ?? 0),
    pick,
  }
  return withRack === 0 ? rackUnaware(walk, brokers) : rackAware(walk, brokers)
}

interface Walk {
  numPartitions: number
  replicationFactor: number
  firstPartition: number
  pick: (n: number) => number
}

/** Index of a follower: one past the first replica plus a shift that never lands on the first. */
function followerIndex(first: number, shift: number, k: number, n: number): number {
  return (first + 1 + ((shift + k) % (n - 1))) % n
}

function rackUnaware(walk: Walk, brokers: readonly PlacementBroker[]): Map<number, number[]> {
  const ids = brokers.map((b) => b.id)
  const n = ids.length
  const start = walk.pick(n)
  let shift = walk.pick(n)
  const out = new Map<number, number[]>()
  for (let p = walk.firstPartition; p < walk.firstPartition + walk.numPartitions; p++) {
    if (p > 0 && p % n === 0) shift += 1
    const first = (p + start) % n
    const replicas = [ids[first]!]
    for (let j = 0; j < walk.replicationFactor - 1; j++)
      replicas.push(ids[followerIndex(first, shift, j, n)]!)
    out.set(p, replicas)
  }
  return out
}

function rackAware(walk: Walk, brokers: readonly PlacementBroker[]): Map<number, number[]> {
  const rackOf = new Map(brokers.map((b) => [b.id, b.rack!]))
  const list = rackAlternatedBrokers(brokers)
  const n = list.length
  const numRacks = new Set(rackOf.values()).size
  const start = walk.pick(n)
  let shift = walk.pick(n)
  const out = new Map<number, number[]>()
  for (let p = walk.firstPartition; p < walk.firstPartition + walk.numPartitions; p++) {
    if (p > 0 && p % n === 0) shift += 1
    const first = (p + start) % n
    const leader = list[first]!
    const replicas = [leader]
    const racksUsed = new Set([rackOf.get(leader)!])
    const brokersUsed = new Set([leader])
    let k = 0
    while (replicas.length < walk.replicationFactor) {
      const broker = list[followerIndex(first, shift * numRacks, k, n)]!
      const rack = rackOf.get(broker)!
      k += 1
      if (racksUsed.has(rack) && racksUsed.size < numRacks) continue
      if (brokersUsed.has(broker) && brokersUsed.size < n) continue
      replicas.push(broker)
      racksUsed.add(rack)
      brokersUsed.add(broker)
    }
    out.set(p, replicas)
  }
  return out
}

/**
 * Brokers taken one per rack in turn (racks in name order, brokers by id within a rack):
 * {0: r1, 1: r3, 2: r3, 3: r2, 4: r2, 5: r1} → 0, 3, 1, 5, 4, 2.
 */
export function rackAlternatedBrokers(brokers: readonly PlacementBroker[]): number[] {
  const byRack = new Map<string, number[]>()
  for (const b of brokers) {
    const list = byRack.get(b.rack!) ?? []
    list.push(b.id)
    byRack.set(b.rack!, list)
  }
  const racks = [...byRack.keys()].sort()
  for (const ids of byRack.values()) ids.sort((a, b) => a - b)
  const out: number[] = []
  for (let round = 0; out.length < brokers.length; round++)
    for (const rack of racks) {
      const id = byRack.get(rack)![round]
      if (id !== undefined) out.push(id)
    }
  return out
}
