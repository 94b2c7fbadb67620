// Fetch from the closest replica (KIP-392): which replica a consumer should read a partition from.
// The leader answers a consumer's Fetch v11+ (which carries the client's rack, `client.rack`) with
// `preferredReadReplica` when a replica in the client's rack suits it better than the leader; the
// client then fetches from that follower, which serves it up to its own high watermark.
//
// `replica.selector.class` (broker config) picks the policy, as in Kafka:
// - unset (Kafka's default): the leader serves consumers; no preferred replica is ever named;
// - org.apache.kafka.common.replica.RackAwareReplicaSelector: Kafka's rack-aware policy below.
// Any other class name is refused at startup (config validation); never silently ignored.
//
// Facts matched from Kafka (ReplicaManager.findPreferredReadReplica, RackAwareReplicaSelector,
// ReplicaView.comparator): only the leader names a preferred replica, and never for a follower's
// fetch. The candidates are the leader plus the followers in the ISR whose log holds the fetch
// offset (log start <= fetch offset <= log end), and whose broker is live with an endpoint on the
// listener the request came in on. Rack-aware: with an empty client rack, or no candidate in the
// client's rack, or the leader in it, the leader; otherwise the most caught-up candidate of that
// rack (largest log end, then the shortest time since it was last caught up, then the largest
// broker id). The leader is never sent as a preferred replica (-1 means "the leader").
// Pure functions, no I/O: the replica manager supplies the views.

import { RACK_AWARE_REPLICA_SELECTOR } from '../config/broker-defs-cluster.ts'
import type { MetadataImage } from '../metadata/image.ts'

export { RACK_AWARE_REPLICA_SELECTOR }

/** No preferred read replica: the leader serves (the wire's -1). */
export const NO_PREFERRED_REPLICA = -1

/** A replica as a selector sees it. */
export interface ReplicaView {
  readonly id: number
  /** broker.rack of its broker; null when unset. */
  readonly rack: string | null
  readonly logEndOffset: bigint
  /** 0 for the leader. */
  readonly timeSinceLastCaughtUpMs: number
}

/** What a consumer's Fetch v11+ says about it (Kafka's ClientMetadata). */
export interface ClientMetadata {
  /** client.rack; '' when the client set none. */
  readonly rackId: string
  /** The listener the request came in on (replicas are reachable on it); null: any. */
  readonly listener: string | null
}

export interface ReplicaSelector {
  /** The replica.selector.class value this selector stands for. */
  readonly className: string
  /** One of `leader` and `replicas` (which include the leader). */
  select(client: ClientMetadata, leader: ReplicaView, replicas: readonly ReplicaView[]): ReplicaView
}

/** Kafka's ReplicaView.comparator: positive when `a` is more caught up than `b`. */
export function compareCaughtUp(a: ReplicaView, b: ReplicaView): number {
  if (a.logEndOffset !== b.logEndOffset) return a.logEndOffset > b.logEndOffset ? 1 : -1
  if (a.timeSinceLastCaughtUpMs !== b.timeSinceLastCaughtUpMs)
    return a.timeSinceLastCaughtUpMs < b.timeSinceLastCaughtUpMs ? 1 : -1
  return a.id - b.id
}

export const rackAwareReplicaSelector: ReplicaSelector = {
  className: RACK_AWARE_REPLICA_SELECTOR,
  select(client, leader, replicas) {
    if (client.rackId === '') return leader
    let best: ReplicaView | null = null
    for (const r of replicas) {
      if (r.rack !== client.rackId) continue
      if (r === leader || r.id === leader.id) return leader
      if (best === null || compareCaughtUp(r, best) > 0) best = r
    }
    return best ?? leader
  },
}

/**
 * The selector for a `replica.selector.class` value: null (unset or empty) means the leader serves
 * consumers. Throws on any other class (config validation refuses it before this is reached).
 */
export function replicaSelectorFor(className: string | null | undefined): ReplicaSelector | null {
  if (className === null || className === undefined || className.trim() === '') return null
  if (className.trim() === RACK_AWARE_REPLICA_SELECTOR) return rackAwareReplicaSelector
  throw new Error(`replica.selector.class ${className.trim()} is not supported`)
}

/** A follower as the leader tracks it (replica-tracker.ts). */
export interface FollowerView {
  readonly id: number
  /** -1 when not known yet: such a follower is no candidate. */
  readonly logEndOffset: bigint
  /** -1 when not known: the log-start condition is then not checked. */
  readonly logStartOffset: bigint
  readonly timeSinceLastCaughtUpMs: number
}

export interface PreferredReplicaInput {
  readonly selector: ReplicaSelector
  readonly client: ClientMetadata
  readonly fetchOffset: bigint
  readonly leaderId: number
  readonly leaderLogEndOffset: bigint
  readonly isr: readonly number[]
  readonly followers: readonly FollowerView[]
  /** A replica's rack; undefined when its broker is not live on the client's listener. */
  readonly rackOf: (id: number) => string | null | undefined
}

/** The preferred read replica for a consumer's fetch at the leader, or -1 (the leader serves). */
export function preferredReadReplica(i: PreferredReplicaInput): number {
  const leaderRack = i.rackOf(i.leaderId)
  const leader: ReplicaView = {
    id: i.leaderId,
    rack: leaderRack ?? null,
    logEndOffset: i.leaderLogEndOffset,
    timeSinceLastCaughtUpMs: 0,
  }
  const views: ReplicaView[] = [leader]
  for (const f of i.followers) {
    if (f.id === i.leaderId || !i.isr.includes(f.id)) continue
    if (f.logEndOffset < 0n || f.logEndOffset < i.fetchOffset) continue
    if (f.logStartOffset >= 0n && f.logStartOffset > i.fetchOffset) continue
    const rack = i.rackOf(f.id)
    if (rack === undefined) continue
    views.push({
      id: f.id,
      rack,
      logEndOffset: f.logEndOffset,
      timeSinceLastCaughtUpMs: f.timeSinceLastCaughtUpMs,
    })
  }
  const chosen = i.selector.select(i.client, leader, views)
  return chosen.id === i.leaderId ? NO_PREFERRED_REPLICA : chosen.id
}

/**
 * Racks of the live brokers reachable on `listener` (case-insensitive), from the image. When no
 * registered broker has that listener (the same fallback as Metadata's broker list), every live
 * broker counts.
 */
export function liveRacks(image: MetadataImage, listener: string | null): Map<number, string | null> {
  const out = new Map<number, string | null>()
  const wanted = listener?.toUpperCase() ?? null
  const known =
    wanted !== null &&
    [...image.brokers.values()].some((b) => b.endpoints.some((e) => e.listenerName.toUpperCase() === wanted))
  for (const b of image.brokers.values()) {
    if (known && !b.endpoints.some((e) => e.listenerName.toUpperCase() === wanted)) continue
    out.set(b.id, b.rack)
  }
  return out
}
