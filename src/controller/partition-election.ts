// The leader-election rules of Kafka's ZooKeeper-mode controller, as pure functions over one
// partition's assignment, ISR and broker liveness, so each rule is tested on its own and the
// controller only decides when to apply which. `eligible(id)` means live and not shutting down: a
// broker in controlled shutdown is never chosen as leader (and drops out of a new ISR).

export interface LeaderAndIsr {
  readonly leader: number
  readonly isr: readonly number[]
  /** True when the leader was not in the ISR (unclean): the partition is then RECOVERING (KIP-704). */
  readonly unclean: boolean
}

/** Leader id meaning "no leader". */
export const NO_LEADER = -1
/** Leader id sent in UpdateMetadata for partitions of a topic being deleted. */
export const LEADER_DURING_DELETE = -2
/** Leader epoch sent in StopReplica when the partition is deleted. */
export const EPOCH_DURING_DELETE = -2

type Eligible = (id: number) => boolean

/**
 * A new partition: the first eligible replica in assignment order leads; every eligible replica is
 * in the ISR. Null when no replica is eligible (the partition waits for one to come up).
 */
export function initialLeader(assignment: readonly number[], eligible: Eligible): LeaderAndIsr | null {
  const live = assignment.filter(eligible)
  const leader = live[0]
  return leader === undefined ? null : { leader, isr: live, unclean: false }
}

/**
 * A partition whose leader is gone: the first replica in assignment order that is eligible and in
 * the ISR; the ISR keeps only eligible members. Failing that, with unclean election allowed, the
 * first eligible replica alone. Null when there is none.
 */
export function offlineLeader(
  assignment: readonly number[],
  isr: readonly number[],
  eligible: Eligible,
  allowUnclean: boolean,
): LeaderAndIsr | null {
  const clean = assignment.find((id) => eligible(id) && isr.includes(id))
  if (clean !== undefined) return { leader: clean, isr: isr.filter(eligible), unclean: false }
  if (!allowUnclean) return null
  const any = assignment.find(eligible)
  return any === undefined ? null : { leader: any, isr: [any], unclean: true }
}

/** The preferred (first) replica, when it is eligible and in the ISR; the ISR is unchanged. */
export function preferredLeader(
  assignment: readonly number[],
  isr: readonly number[],
  eligible: Eligible,
): LeaderAndIsr | null {
  const head = assignment[0]
  if (head === undefined || !eligible(head) || !isr.includes(head)) return null
  return { leader: head, isr, unclean: false }
}

/**
 * Moving leadership off brokers in controlled shutdown: the first replica in assignment order in the
 * ISR that is eligible; the ISR loses every shutting-down broker.
 */
export function controlledShutdownLeader(
  assignment: readonly number[],
  isr: readonly number[],
  eligible: Eligible,
  shuttingDown: (id: number) => boolean,
): LeaderAndIsr | null {
  const leader = assignment.find((id) => isr.includes(id) && eligible(id))
  if (leader === undefined) return null
  return { leader, isr: isr.filter((id) => !shuttingDown(id)), unclean: false }
}

/**
 * A replica leaves the ISR (it died, or is shutting down as a follower). The last ISR member is
 * kept (so the partition remembers who had the data); a leader that leaves leaves no leader.
 * Null when the replica is not in the ISR (nothing to do).
 */
export function withoutReplica(leader: number, isr: readonly number[], replica: number): LeaderAndIsr | null {
  if (!isr.includes(replica)) return null
  return {
    leader: leader === replica ? NO_LEADER : leader,
    isr: isr.length === 1 ? isr : isr.filter((id) => id !== replica),
    unclean: false,
  }
}

export interface PartitionLeadership {
  readonly topic: string
  readonly partition: number
  readonly replicas: readonly number[]
  readonly leader: number
}

/**
 * auto.leader.rebalance.enable: per preferred broker, the share of the partitions it prefers that
 * it does not lead. Returns, for every broker above `percentage`, the partitions it should lead
 * again (the caller still checks that each preferred replica is eligible and in the ISR).
 */
export function imbalancedPartitions(
  partitions: readonly PartitionLeadership[],
  percentage: number,
): PartitionLeadership[] {
  const byPreferred = new Map<number, PartitionLeadership[]>()
  for (const p of partitions) {
    const head = p.replicas[0]
    if (head === undefined) continue
    const list = byPreferred.get(head) ?? []
    list.push(p)
    byPreferred.set(head, list)
  }
  const out: PartitionLeadership[] = []
  for (const [broker, list] of byPreferred) {
    const notLed = list.filter((p) => p.leader !== broker)
    if (notLed.length / list.length > percentage / 100) out.push(...notLed)
  }
  return out
}
