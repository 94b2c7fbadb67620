// A partition's replica assignment while it may be moving (KIP-455), as Kafka's ZooKeeper controller
// keeps it (ReplicaAssignment): the full replica set RS, and which of its members are being added
// (AR) or removed (RR). The original replicas are RS minus AR, the target RS minus RR. During a
// move RS is the target followed by the originals that are not in it, so the first target replica
// is the preferred leader from the start. Pure functions; reassignment.ts applies them.

export interface ReplicaAssignment {
  readonly replicas: readonly number[]
  readonly adding: readonly number[]
  readonly removing: readonly number[]
}

const minus = (a: readonly number[], b: readonly number[]): number[] => a.filter((id) => !b.includes(id))

export const settled = (replicas: readonly number[]): ReplicaAssignment => ({
  replicas,
  adding: [],
  removing: [],
})

export const originReplicas = (a: ReplicaAssignment): number[] => minus(a.replicas, a.adding)

export const targetReplicas = (a: ReplicaAssignment): number[] => minus(a.replicas, a.removing)

export const isBeingReassigned = (a: ReplicaAssignment): boolean =>
  a.adding.length > 0 || a.removing.length > 0

/**
 * The assignment that moves `current` (settled or already moving) to `target`: the originals stay
 * those of the first move, so a second request (or a cancellation) is measured from them.
 */
export function reassignTo(current: ReplicaAssignment, target: readonly number[]): ReplicaAssignment {
  const origin = originReplicas(current)
  const replicas = [...new Set([...target, ...origin])]
  return { replicas, adding: minus(replicas, origin), removing: minus(replicas, target) }
}

export const sameAssignment = (a: ReplicaAssignment, b: ReplicaAssignment): boolean =>
  sameIds(a.replicas, b.replicas) && sameIds(a.adding, b.adding) && sameIds(a.removing, b.removing)

const sameIds = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i])

/**
 * Kafka's checks of a requested target, in its order and words: INVALID_REPLICA_ASSIGNMENT for an
 * empty list, duplicates, negative ids, or replicas to add on brokers that are not registered.
 * Null when the target may be used.
 */
export function targetProblem(
  current: ReplicaAssignment,
  target: readonly number[],
  liveBrokers: readonly number[],
): string | null {
  const list = `[${target.join(', ')}]`
  if (target.length === 0) return 'Empty replica list specified in partition reassignment.'
  if (new Set(target).size !== target.length)
    return `Duplicate replica ids in partition reassignment replica list: ${list}`
  if (target.some((id) => id < 0)) return `Invalid broker id in replica list: ${list}`
  const adding = reassignTo(current, target).adding
  if (adding.some((id) => !liveBrokers.includes(id)))
    return `Replica assignment has brokers that are not alive. Replica list: [${adding.join(', ')}], live broker list: [${[...liveBrokers].sort((a, b) => a - b).join(', ')}]`
  return null
}
