// The server-side assignors of consumer groups (group.consumer.assignors), chosen by name:
//
// - "uniform" (Kafka's default): every member gets as many partitions of the topics it subscribes to
//   as its peers, within one, and keeps as much of its previous target as that allows (sticky),
//   so a member joining or leaving moves only the partitions it must.
// - "range": per topic, the subscribed members in member-id order get contiguous ranges of
//   partitions, the first (partitions % members) one more (co-partitioning across topics).
//
// Both are pure functions of (members with their subscribed topic ids, partitions per topic,
// previous target), deterministic: same input, same output, whatever the map orders.

import { type Assignment, addPartition } from './consumer-group.ts'

export interface AssignorMember {
  readonly memberId: string
  /** Subscribed topic ids that exist. */
  readonly topics: ReadonlySet<string>
}

export interface AssignorInput {
  readonly members: readonly AssignorMember[]
  /** Partition count by topic id. */
  readonly topics: ReadonlyMap<string, number>
  readonly previous: ReadonlyMap<string, Assignment>
}

export type Assignor = (input: AssignorInput) => Map<string, Assignment>

const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

export function rangeAssign(input: AssignorInput): Map<string, Assignment> {
  const out = new Map<string, Assignment>()
  for (const m of input.members) out.set(m.memberId, new Map())
  for (const topicId of [...input.topics.keys()].sort(byId)) {
    const n = input.topics.get(topicId)!
    const subs = input.members
      .filter((m) => m.topics.has(topicId))
      .map((m) => m.memberId)
      .sort(byId)
    if (subs.length === 0) continue
    const base = Math.floor(n / subs.length)
    const extra = n % subs.length
    let next = 0
    subs.forEach((memberId, i) => {
      const count = base + (i < extra ? 1 : 0)
      for (let k = 0; k < count; k++) addPartition(out.get(memberId)!, topicId, next++)
    })
  }
  return out
}

export function uniformAssign(input: AssignorInput): Map<string, Assignment> {
  const members = [...input.members].sort((a, b) => byId(a.memberId, b.memberId))
  const subscribed = new Map(members.map((m) => [m.memberId, m.topics]))
  const owner = new Map<string, string>() // "topicId:partition" -> member id
  const load = new Map<string, number>(members.map((m) => [m.memberId, 0]))
  const key = (t: string, p: number) => `${t}:${p}`

  // Keep what is still valid from the previous target.
  for (const m of members) {
    const prev = input.previous.get(m.memberId)
    if (prev === undefined) continue
    for (const [topicId, parts] of prev) {
      const n = input.topics.get(topicId)
      if (n === undefined || !m.topics.has(topicId)) continue
      for (const p of [...parts].sort((a, b) => a - b)) {
        if (p >= n || owner.has(key(topicId, p))) continue
        owner.set(key(topicId, p), m.memberId)
        load.set(m.memberId, load.get(m.memberId)! + 1)
      }
    }
  }

  const eligible = (topicId: string) => members.filter((m) => subscribed.get(m.memberId)!.has(topicId))
  const leastLoaded = (candidates: readonly AssignorMember[]) => {
    let best: AssignorMember | undefined
    for (const c of candidates)
      if (best === undefined || load.get(c.memberId)! < load.get(best.memberId)!) best = c
    return best
  }

  // Hand out unowned partitions, each to the least loaded member subscribed to its topic.
  const topicIds = [...input.topics.keys()].sort(byId)
  for (const topicId of topicIds) {
    const candidates = eligible(topicId)
    if (candidates.length === 0) continue
    for (let p = 0; p < input.topics.get(topicId)!; p++) {
      if (owner.has(key(topicId, p))) continue
      const to = leastLoaded(candidates)!
      owner.set(key(topicId, p), to.memberId)
      load.set(to.memberId, load.get(to.memberId)! + 1)
    }
  }

  // Balance: move partitions from members holding two or more than an eligible peer. Each move
  // lowers the sum of squared loads, so this ends.
  let moved = true
  while (moved) {
    moved = false
    const heaviest = [...members].sort(
      (a, b) => load.get(b.memberId)! - load.get(a.memberId)! || byId(a.memberId, b.memberId),
    )
    outer: for (const from of heaviest) {
      const fromLoad = load.get(from.memberId)!
      for (const topicId of topicIds) {
        const n = input.topics.get(topicId)!
        const candidates = eligible(topicId).filter((c) => load.get(c.memberId)! < fromLoad - 1)
        if (candidates.length === 0) continue
        for (let p = n - 1; p >= 0; p--) {
          if (owner.get(key(topicId, p)) !== from.memberId) continue
          const to = leastLoaded(candidates)!
          owner.set(key(topicId, p), to.memberId)
          load.set(from.memberId, fromLoad - 1)
          load.set(to.memberId, load.get(to.memberId)! + 1)
          moved = true
          break outer
        }
      }
    }
  }

  const out = new Map<string, Assignment>()
  for (const m of members) out.set(m.memberId, new Map())
  for (const [k, memberId] of owner) {
    const i = k.lastIndexOf(':')
    addPartition(out.get(memberId)!, k.slice(0, i), Number(k.slice(i + 1)))
  }
  return out
}

export const ASSIGNORS: ReadonlyMap<string, Assignor> = new Map([
  ['uniform', uniformAssign],
  ['range', rangeAssign],
])
