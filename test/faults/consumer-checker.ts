// The consumers' half of the fault-injection verdict (issue 12), free of processes and I/O like
// checker.ts so that invented histories can show it catching each broken guarantee
// (consumer-checker.test.ts). Input: every record a group member read, every offset commit with
// its outcome, and what remains after healing (each partition read from offset 0, and the group's
// committed offsets as the broker reports them). Checked, per partition:
// - every consumer saw a prefix of one and the same log: an offset read twice (by two members, or
//   by one at two times) holds the same value, and every read is in the final log at its offset
//   (nothing was read that later disappeared or was replaced);
// - within one assignment a member reads offsets in order without jumping over records of the
//   final log (a jump back, as after an offset reset, is counted but allowed);
// - successful commits of a group never move backwards (there is no offset reset in this suite),
//   and the broker still holds, after healing, at least the last one it confirmed;
// - the committed offset is at most the log end, and every record below it was read by a member
//   of the group (committing is a claim that everything before it was consumed).

/** One record read by a group member. */
export interface Read {
  /** The member (process) that read it. */
  consumer: string
  group?: string
  p: number
  offset: number
  value: string | null
  /** ms, the member's clock (same machine as the harness). */
  t: number
  /** How many assignments the member had received when it read this (a rebalance starts anew). */
  assignment?: number
}

/** One offset commit (the next offset to read) for one partition, and whether it succeeded. */
export interface Commit {
  group?: string
  consumer: string
  p: number
  offset: number
  ok: boolean
  error?: number
  reason?: string
  /** ms, the member's clock: successful commits are ordered by it. */
  t: number
}

/** A record of the final log (kcat from offset 0 after healing: partition, offset, payload). */
export interface FinalRecord {
  partition: number
  offset: number
  value: string | null
}

/** The group's committed offset of a partition after healing (null: none). */
export interface FinalCommitted {
  group?: string
  p: number
  offset: number | null
}

export interface ConsumerHistory {
  reads: readonly Read[]
  commits: readonly Commit[]
  log: readonly FinalRecord[]
  /** Log end (high watermark) per partition after healing; default: the final log's last offset + 1. */
  logEnd?: ReadonlyMap<number, number>
  /** As the broker reports them after healing; default: each group's last successful commit. */
  committed?: readonly FinalCommitted[]
}

export interface ConsumerVerdict {
  reads: number
  commits: number
  failedCommits: number
  /** Jumps back within one assignment (offset resets): allowed, shown for information. */
  rewinds: number
  /** One offset read with two different values. */
  divergent: string[]
  /** Read, but not in the final log at that offset (gone, or another value there). */
  vanished: string[]
  /** Within one assignment, records of the final log jumped over. */
  skipped: string[]
  /** A successful commit below the group's previous successful commit of the partition. */
  backwards: string[]
  /** After healing: a committed offset beyond the log end. */
  beyondEnd: string[]
  /** After healing: records below the committed offset that no member of the group read. */
  unread: string[]
  /** After healing: the broker's committed offset below the last commit it confirmed. */
  lostCommits: string[]
  ok: boolean
}

const groupOf = (x: { group?: string }) => x.group ?? ''
const show = (v: string | null | undefined) => (v === undefined ? 'nothing' : JSON.stringify(v))

export function checkConsumers(h: ConsumerHistory): ConsumerVerdict {
  const final = new Map<string, string | null>()
  const logEnd = new Map<number, number>()
  for (const r of h.log) {
    final.set(`${r.partition}:${r.offset}`, r.value)
    logEnd.set(r.partition, Math.max(logEnd.get(r.partition) ?? 0, r.offset + 1))
  }
  for (const [p, end] of h.logEnd ?? []) logEnd.set(p, end)
  /** Offsets of the final log per partition, sorted, for "any record between a and b". */
  const offsets = new Map<number, number[]>()
  for (const r of h.log) {
    const xs = offsets.get(r.partition)
    if (xs === undefined) offsets.set(r.partition, [r.offset])
    else xs.push(r.offset)
  }
  for (const xs of offsets.values()) xs.sort((a, b) => a - b)
  const between = (p: number, lo: number, hi: number): number[] =>
    (offsets.get(p) ?? []).filter((o) => o > lo && o < hi)

  const divergent: string[] = []
  const vanished: string[] = []
  const skipped: string[] = []
  let rewinds = 0
  const firstRead = new Map<string, Read>()
  const readBy = new Set<string>()
  const last = new Map<string, Read>()
  for (const r of h.reads) {
    const at = `${r.p}:${r.offset}`
    const seen = firstRead.get(at)
    if (seen === undefined) firstRead.set(at, r)
    else if (seen.value !== r.value)
      divergent.push(
        `p${r.p}@${r.offset}: ${r.consumer} read ${show(r.value)}, ${seen.consumer} read ${show(seen.value)}`,
      )
    if (!final.has(at) || final.get(at) !== r.value)
      vanished.push(
        `p${r.p}@${r.offset}: ${r.consumer} read ${show(r.value)}, the final log has ${show(final.get(at))}`,
      )
    readBy.add(`${groupOf(r)}|${at}`)
    const lane = `${r.consumer}|${r.assignment ?? 0}|${r.p}`
    const prev = last.get(lane)
    if (prev !== undefined) {
      if (r.offset <= prev.offset) rewinds++
      else if (r.offset > prev.offset + 1) {
        const over = between(r.p, prev.offset, r.offset)
        if (over.length > 0)
          skipped.push(
            `p${r.p}: ${r.consumer} read ${r.offset} after ${prev.offset}, skipping ${over.length} record(s) from ${over[0]}`,
          )
      }
    }
    last.set(lane, r)
  }

  const backwards: string[] = []
  const lastOk = new Map<string, Commit>()
  const okCommits = h.commits
    .map((c, k) => ({ c, k }))
    .filter(({ c }) => c.ok)
    .sort((a, b) => a.c.t - b.c.t || a.k - b.k)
  for (const { c } of okCommits) {
    const key = `${groupOf(c)}|${c.p}`
    const prev = lastOk.get(key)
    if (prev !== undefined && c.offset < prev.offset)
      backwards.push(
        `p${c.p}${c.group ? ` (${c.group})` : ''}: ${c.consumer} committed ${c.offset} after ${prev.consumer} committed ${prev.offset}`,
      )
    lastOk.set(key, c)
  }

  const committed: FinalCommitted[] =
    h.committed !== undefined
      ? [...h.committed]
      : [...lastOk.values()].map((c) => ({ group: c.group, p: c.p, offset: c.offset }))
  const beyondEnd: string[] = []
  const unread: string[] = []
  const lostCommits: string[] = []
  for (const f of committed) {
    const g = groupOf(f)
    const name = `p${f.p}${g ? ` (${g})` : ''}`
    const confirmed = lastOk.get(`${g}|${f.p}`)
    if (confirmed !== undefined && (f.offset === null || f.offset < confirmed.offset))
      lostCommits.push(
        `${name}: committed ${f.offset ?? 'nothing'} after healing, ${confirmed.offset} was confirmed to ${confirmed.consumer}`,
      )
    if (f.offset === null) continue
    const end = logEnd.get(f.p) ?? 0
    if (f.offset > end) beyondEnd.push(`${name}: committed ${f.offset}, log end ${end}`)
    const missing = (offsets.get(f.p) ?? []).filter((o) => o < f.offset! && !readBy.has(`${g}|${f.p}:${o}`))
    if (missing.length > 0)
      unread.push(
        `${name}: ${missing.length} record(s) below committed ${f.offset} never read, first at ${missing[0]}`,
      )
  }

  const failedCommits = h.commits.filter((c) => !c.ok).length
  const problems = [divergent, vanished, skipped, backwards, beyondEnd, unread, lostCommits]
  return {
    reads: h.reads.length,
    commits: h.commits.length - failedCommits,
    failedCommits,
    rewinds,
    divergent,
    vanished,
    skipped,
    backwards,
    beyondEnd,
    unread,
    lostCommits,
    ok: problems.every((xs) => xs.length === 0),
  }
}

/** One line, to append to the faults verdict line: `faults: ...; consumers: ...`. */
export function renderConsumers(v: ConsumerVerdict): string {
  return (
    `consumers: ${v.reads} reads, ${v.commits} commits (${v.failedCommits} failed), ` +
    `${v.divergent.length + v.vanished.length} divergent reads, ${v.skipped.length} skips, ` +
    `${v.backwards.length + v.lostCommits.length} commits backwards, ` +
    `${v.unread.length + v.beyondEnd.length} bad committed offsets`
  )
}

/** The problems found, a few examples of each kind, for the run's log (empty when ok). */
export function consumerProblems(v: ConsumerVerdict, max = 5): string[] {
  const kinds: [string, string[]][] = [
    ['divergent reads', v.divergent],
    ['reads absent from the final log', v.vanished],
    ['records skipped by a member', v.skipped],
    ['commits backwards', v.backwards],
    ['confirmed commits lost', v.lostCommits],
    ['committed beyond the log end', v.beyondEnd],
    ['records below the committed offset never read', v.unread],
  ]
  return kinds
    .filter(([, xs]) => xs.length > 0)
    .map(([what, xs]) => `${what}: ${xs.length}, e.g. ${xs.slice(0, max).join('; ')}`)
}
