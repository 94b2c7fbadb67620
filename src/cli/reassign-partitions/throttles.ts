// Replication throttles of kafka-reassign-partitions.sh (KIP-73), as Kafka's ReassignPartitionsCommand
// sets and clears them, through IncrementalAlterConfigs:
//   --execute --throttle N: for every moving partition (those of the file, and with --additional
//     those already moving), sources = its current replicas (for one already moving: its replicas
//     minus those being added) and destinations = its target replicas not among the sources;
//     topic configs leader.replication.throttled.replicas = sorted `partition:source` items and
//     follower.replication.throttled.replicas = sorted `partition:destination` items; broker configs
//     leader.replication.throttled.rate = follower.replication.throttled.rate = N on every source and
//     destination broker. Set before the reassignment starts.
//   --verify (once no reassignment at all is in progress) and --cancel, unless --preserve-throttles:
//     deletes the three broker-level throttles (the two rates and the log-dir one) on every broker of
//     the cluster and of the file's targets, and the two topic-level lists on the file's topics.
// Departure: a target broker that is not in the cluster cannot be reached, so it is left out of
// the clearing (Kafka's admin client would wait for it and time out).

import type * as Kafka from '@platformatic/kafka'
import type { Ongoing } from './controller-api.ts'
import type { PartitionTarget } from './json.ts'

const TOPIC = 2
const BROKER = 4
const SET = 0
const DELETE = 1

export const LEADER_RATE = 'leader.replication.throttled.rate'
export const FOLLOWER_RATE = 'follower.replication.throttled.rate'
const LOG_DIR_RATE = 'replica.alter.log.dirs.io.max.bytes.per.second'
export const LEADER_REPLICAS = 'leader.replication.throttled.replicas'
export const FOLLOWER_REPLICAS = 'follower.replication.throttled.replicas'

export const VERIFY_WARNING =
  'Warning: You must run --verify periodically, until the reassignment completes, to ensure the throttle is removed.'

interface PartitionMove {
  sources: Set<number>
  destinations: Set<number>
}

/** topic → partition → move. */
export type MoveMap = Map<string, Map<number, PartitionMove>>

/** Kafka's calculateProposedMoveMap: the moves in progress, then the file's. */
export function proposedMoveMap(
  ongoing: readonly Ongoing[],
  proposed: readonly PartitionTarget[],
  current: ReadonlyMap<string, PartitionTarget>,
): MoveMap {
  const map: MoveMap = new Map()
  const movesOf = (topic: string) => {
    let m = map.get(topic)
    if (m === undefined) {
      m = new Map()
      map.set(topic, m)
    }
    return m
  }
  for (const o of ongoing) {
    const sources = new Set(o.replicas.filter((r) => !o.adding.includes(r)))
    movesOf(o.topic).set(o.partition, { sources, destinations: new Set(o.adding) })
  }
  for (const p of proposed) {
    const moves = movesOf(p.topic)
    const sources = new Set(
      moves.get(p.partition)?.sources ?? current.get(`${p.topic}-${p.partition}`)?.replicas ?? [],
    )
    const destinations = new Set(p.replicas.filter((r) => !sources.has(r)))
    moves.set(p.partition, { sources, destinations })
  }
  return map
}

/** topic → the value of a throttled-replicas config (items sorted as strings, as Kafka's TreeSet). */
function replicaLists(map: MoveMap, side: 'sources' | 'destinations'): Map<string, string> {
  const out = new Map<string, string>()
  for (const [topic, moves] of map) {
    const items = new Set<string>()
    for (const [partition, move] of moves)
      for (const b of move[side])
        if (side === 'sources' || !move.sources.has(b)) items.add(`${partition}:${b}`)
    out.set(topic, [...items].sort().join(','))
  }
  return out
}

export const leaderThrottles = (map: MoveMap) => replicaLists(map, 'sources')
export const followerThrottles = (map: MoveMap) => replicaLists(map, 'destinations')

/** Every broker a move reads from or writes to, ascending. */
export function reassigningBrokers(map: MoveMap): number[] {
  const ids = new Set<number>()
  for (const moves of map.values())
    for (const m of moves.values()) for (const b of [...m.sources, ...m.destinations]) ids.add(b)
  return [...ids].sort((a, b) => a - b)
}

type Alter = Parameters<Kafka.Admin['incrementalAlterConfigs']>[0]['resources']

/** Sets the topic lists, then the broker rates; returns the line Kafka prints. */
export async function setThrottles(admin: Kafka.Admin, map: MoveMap, rate: bigint): Promise<string> {
  const leader = leaderThrottles(map)
  const follower = followerThrottles(map)
  const topics: Alter = [...map.keys()].map((topic) => ({
    resourceType: TOPIC as 2,
    resourceName: topic,
    configs: [
      { name: LEADER_REPLICAS, configOperation: SET as 0, value: leader.get(topic)! },
      { name: FOLLOWER_REPLICAS, configOperation: SET as 0, value: follower.get(topic)! },
    ],
  }))
  if (topics.length > 0) await admin.incrementalAlterConfigs({ resources: topics })
  const brokers: Alter = reassigningBrokers(map).map((id) => ({
    resourceType: BROKER as 2,
    resourceName: String(id),
    configs: [
      { name: LEADER_RATE, configOperation: SET as 0, value: String(rate) },
      { name: FOLLOWER_RATE, configOperation: SET as 0, value: String(rate) },
    ],
  }))
  if (brokers.length > 0) await admin.incrementalAlterConfigs({ resources: brokers })
  return `The inter-broker throttle limit was set to ${rate} B/s`
}

/** Kafka's clearAllThrottles; returns the lines it prints. `live`: the brokers of the cluster. */
export async function clearThrottles(
  admin: Kafka.Admin,
  live: readonly number[],
  targets: readonly PartitionTarget[],
): Promise<string[]> {
  const liveSet = new Set(live)
  const brokers = [...new Set([...live, ...targets.flatMap((t) => t.replicas)])]
    .filter((b) => liveSet.has(b))
    .sort((a, b) => a - b)
  const topics = [...new Set(targets.map((t) => t.topic))].sort()
  const lines = [
    `Clearing broker-level throttles on broker${brokers.length === 1 ? '' : 's'} ${brokers.join(',')}`,
  ]
  const del = (names: readonly string[]) =>
    names.map((name) => ({ name, configOperation: DELETE as 1 })) as Alter[number]['configs']
  if (brokers.length > 0)
    await admin.incrementalAlterConfigs({
      resources: brokers.map((id) => ({
        resourceType: BROKER as 2,
        resourceName: String(id),
        configs: del([LEADER_RATE, FOLLOWER_RATE, LOG_DIR_RATE]),
      })),
    })
  lines.push(`Clearing topic-level throttles on topic${topics.length === 1 ? '' : 's'} ${topics.join(',')}`)
  if (topics.length > 0)
    await admin.incrementalAlterConfigs({
      resources: topics.map((t) => ({
        resourceType: TOPIC as 2,
        resourceName: t,
        configs: del([LEADER_REPLICAS, FOLLOWER_REPLICAS]),
      })),
    })
  return lines
}
