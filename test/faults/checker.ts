// The verdict of a fault-injection run (issue 12), kept free of processes and I/O so that it can be
// fed invented histories (test/faults/checker.test.ts) and shown to catch each kind of breakage:
// the producer's delivery reports against the log read back after healing (lost, duplicated,
// misplaced records, offsets out of order), replicas' batches below the high watermark against
// each other (divergence), and the unavailability window after each fault.

/** One delivery report of the keyed producer (record k-<i>), stamped when the harness read it. */
export interface Ack {
  i: number
  p?: number
  offset?: number
  error?: number
  /** ms (Date.now()) at which the report reached the harness. */
  t: number
}

/** One record of the log as read back from offset 0 (kcat). */
export interface LogRecord {
  partition: number
  offset: number
  key: string | null
}

export interface HistoryProblems {
  acknowledged: number
  /** Acknowledged records that are nowhere in the log. */
  lost: Ack[]
  /** Acknowledged records found, but not at their acknowledged partition/offset. */
  misplaced: Ack[]
  /** Keys present more than once in the log, or reported twice by the producer. */
  duplicated: string[]
  /** Per partition, places where the offsets read do not strictly increase. */
  disorder: string[]
}

const keyOf = (i: number) => `k-${i}`

/**
 * Every acknowledged record present exactly once, at its acknowledged offset; offsets strictly
 * increasing per partition in the order read; no key twice (the producer is idempotent, so a
 * retried send must never be written again).
 */
export function checkHistory(acks: readonly Ack[], log: readonly LogRecord[]): HistoryProblems {
  const at = new Map<string, string | null>()
  const where = new Map<string, LogRecord[]>()
  const lastOffset = new Map<number, number>()
  const disorder: string[] = []
  for (const r of log) {
    at.set(`${r.partition}:${r.offset}`, r.key)
    const k = r.key ?? '<null>'
    const seen = where.get(k)
    if (seen === undefined) where.set(k, [r])
    else seen.push(r)
    const prev = lastOffset.get(r.partition)
    if (prev !== undefined && r.offset <= prev)
      disorder.push(`partition ${r.partition}: offset ${r.offset} read after ${prev}`)
    lastOffset.set(r.partition, r.offset)
  }
  const duplicated = new Set<string>()
  for (const [k, rs] of where) if (rs.length > 1) duplicated.add(k)
  const reported = new Map<number, number>()
  for (const a of acks) reported.set(a.i, (reported.get(a.i) ?? 0) + 1)
  for (const [i, n] of reported) if (n > 1) duplicated.add(keyOf(i))
  const lost: Ack[] = []
  const misplaced: Ack[] = []
  let acknowledged = 0
  for (const a of acks) {
    if (a.offset === undefined || a.p === undefined || a.error !== undefined) continue
    acknowledged++
    if (at.get(`${a.p}:${a.offset}`) === keyOf(a.i)) continue
    if (where.has(keyOf(a.i))) misplaced.push(a)
    else lost.push(a)
  }
  return { acknowledged, lost, misplaced, duplicated: [...duplicated].sort(), disorder }
}

/** Batches of one replica as `base-last/crc@epoch` (kafka-dump-log.sh, see replication-helpers). */
export interface ReplicaSnapshot {
  topic: string
  partition: number
  hw: number
  /** By broker id: that replica's batches whose last offset is below hw. */
  batches: Map<number, readonly string[]>
}

/** Offsets 0..hw-1 covered by `batches` without gap or overlap: a description of the problem, or null. */
export function coverage(batches: readonly string[], hw: number): string | null {
  let next = 0
  for (const b of batches) {
    const [base, last] = (b.split('/')[0] ?? '').split('-').map(Number) as [number, number]
    if (base !== next) return `batch ${b} where offset ${next} was expected`
    next = last + 1
  }
  return next === hw ? null : `batches end at ${next}, high watermark ${hw}`
}

/** Each problem found: a replica whose batches below the HW differ from another's, or have holes. */
export function checkReplicas(snapshots: readonly ReplicaSnapshot[]): string[] {
  const problems: string[] = []
  for (const s of snapshots) {
    const ids = [...s.batches.keys()].sort((a, b) => a - b)
    const first = ids[0]
    if (first === undefined) continue
    const ref = s.batches.get(first) ?? []
    for (const id of ids) {
      const mine = s.batches.get(id) ?? []
      const gap = coverage(mine, s.hw)
      if (gap !== null) problems.push(`${s.topic}-${s.partition} broker ${id}: ${gap}`)
      if (id === first) continue
      const n = Math.max(mine.length, ref.length)
      for (let k = 0; k < n; k++) {
        if (mine[k] !== ref[k]) {
          problems.push(
            `${s.topic}-${s.partition} below HW ${s.hw}: broker ${id} has ${mine[k] ?? 'nothing'} where broker ${first} has ${ref[k] ?? 'nothing'}`,
          )
          break
        }
      }
    }
  }
  return problems
}

/**
 * The unavailability window of a fault at `faultAt`: for each partition in `partitions`, the time
 * until its first acknowledgement after the fault (until `end` if none came); the longest of them.
 */
export function unavailabilityMs(
  acks: readonly Ack[],
  faultAt: number,
  partitions: readonly number[],
  end: number,
): number {
  let worst = 0
  for (const p of partitions) {
    let first = end
    for (const a of acks) {
      if (a.p === p && a.offset !== undefined && a.t >= faultAt && a.t < first) first = a.t
    }
    worst = Math.max(worst, first - faultAt)
  }
  return worst
}

/**
 * The longest stall of any partition around a fault: the largest gap between its consecutive
 * acknowledgements from the fault (counting the fault itself as the start) until its first
 * acknowledgement after `healedAt` (or `end`). At least unavailabilityMs; it also catches a stall
 * that starts later, e.g. when leadership moves seconds after the fault.
 */
export function longestStallMs(
  acks: readonly Ack[],
  faultAt: number,
  healedAt: number,
  partitions: readonly number[],
  end: number,
): number {
  let worst = 0
  for (const p of partitions) {
    const times = acks
      .filter((a) => a.p === p && a.offset !== undefined && a.t >= faultAt)
      .map((a) => a.t)
      .sort((a, b) => a - b)
    const after = times.find((t) => t > healedAt) ?? end
    let prev = faultAt
    for (const t of [...times.filter((t) => t <= healedAt), after]) {
      worst = Math.max(worst, t - prev)
      prev = t
    }
  }
  return worst
}

/** One nemesis run, as recorded by the harness. */
export interface NemesisRun {
  name: string
  /** When the fault was injected, and when the cluster was whole again (full ISR). */
  faultAt: number
  healedAt: number
  /** Divergence found between replicas after this run's heal. */
  divergent: string[]
}

export interface Row {
  name: string
  runs: number
  acknowledged: number
  lost: number
  duplicated: number
  divergent: number
  /** Longest time from the fault to a partition's next acknowledgement. */
  firstAckMs: number
  /** Longest stall of a partition between the fault and its heal (longestStallMs). */
  longestUnavailabilityMs: number
  /** Time spent between faults and their heals, and the acknowledgements in it (throughput). */
  faultMs: number
  faultAcks: number
}

/** A row with nothing counted yet. */
export const emptyRow = (name: string): Row => ({
  name,
  runs: 0,
  acknowledged: 0,
  lost: 0,
  duplicated: 0,
  divergent: 0,
  firstAckMs: 0,
  longestUnavailabilityMs: 0,
  faultMs: 0,
  faultAcks: 0,
})

export interface Verdict {
  rows: Row[]
  total: Row
  problems: HistoryProblems
  ok: boolean
}

/**
 * Attributes each acknowledgement (and each loss, duplicate, misplacement) to the nemesis run
 * during which it was acknowledged: from its fault to the next run's fault (the last run to the
 * end). Acks before the first fault go to a `quiet` row.
 */
export function verdict(
  runs: readonly NemesisRun[],
  acks: readonly Ack[],
  log: readonly LogRecord[],
  partitions: readonly number[],
  finalDivergent: readonly string[],
  end: number,
): Verdict {
  const problems = checkHistory(acks, log)
  const sorted = [...runs].sort((a, b) => a.faultAt - b.faultAt)
  const rowOf = new Map<string, Row>()
  const row = (name: string) => {
    let r = rowOf.get(name)
    if (r === undefined) {
      r = emptyRow(name)
      rowOf.set(name, r)
    }
    return r
  }
  const nameAt = (t: number) => {
    let name = 'quiet'
    for (const r of sorted) if (r.faultAt <= t) name = r.name
    return name
  }
  for (const r of sorted) {
    const x = row(r.name)
    x.runs++
    x.divergent += r.divergent.length
    const first = unavailabilityMs(acks, r.faultAt, partitions, end)
    x.firstAckMs = Math.max(x.firstAckMs, first)
    const stall = longestStallMs(acks, r.faultAt, r.healedAt, partitions, end)
    x.longestUnavailabilityMs = Math.max(x.longestUnavailabilityMs, first, stall)
    x.faultMs += Math.max(0, r.healedAt - r.faultAt)
    for (const a of acks) if (a.error === undefined && a.t >= r.faultAt && a.t <= r.healedAt) x.faultAcks++
  }
  for (const a of acks) if (a.offset !== undefined && a.error === undefined) row(nameAt(a.t)).acknowledged++
  for (const a of [...problems.lost, ...problems.misplaced]) row(nameAt(a.t)).lost++
  const tOf = new Map(acks.map((a) => [`k-${a.i}`, a.t]))
  for (const k of problems.duplicated) row(nameAt(tOf.get(k) ?? end)).duplicated++
  const extra = [...problems.disorder, ...finalDivergent]
  if (extra.length > 0) row('final check').divergent += extra.length
  const rows = [...rowOf.values()].sort((a, b) => a.name.localeCompare(b.name))
  const total: Row = {
    name: 'total',
    runs: sorted.length,
    acknowledged: rows.reduce((s, r) => s + r.acknowledged, 0),
    lost: rows.reduce((s, r) => s + r.lost, 0),
    duplicated: rows.reduce((s, r) => s + r.duplicated, 0),
    divergent: rows.reduce((s, r) => s + r.divergent, 0),
    firstAckMs: rows.reduce((s, r) => Math.max(s, r.firstAckMs), 0),
    longestUnavailabilityMs: rows.reduce((s, r) => Math.max(s, r.longestUnavailabilityMs), 0),
    faultMs: rows.reduce((s, r) => s + r.faultMs, 0),
    faultAcks: rows.reduce((s, r) => s + r.faultAcks, 0),
  }
  return { rows, total, problems, ok: total.lost === 0 && total.duplicated === 0 && total.divergent === 0 }
}

/** The table, one row per nemesis, and the verdict line (always last). */
export function render(v: Verdict): string {
  const head = [
    'nemesis',
    'runs',
    'acknowledged',
    'lost',
    'duplicated',
    'divergent',
    'first ack s',
    'longest unavail. s',
    'acks/s in fault',
  ]
  const cells = [...v.rows, v.total].map((r) => [
    r.name,
    String(r.runs),
    String(r.acknowledged),
    String(r.lost),
    String(r.duplicated),
    String(r.divergent),
    (r.firstAckMs / 1000).toFixed(1),
    (r.longestUnavailabilityMs / 1000).toFixed(1),
    r.faultMs > 0 ? String(Math.round((r.faultAcks * 1000) / r.faultMs)) : '-',
  ])
  const width = head.map((h, k) => Math.max(h.length, ...cells.map((c) => (c[k] ?? '').length)))
  const line = (c: readonly string[]) =>
    c.map((x, k) => (k === 0 ? x.padEnd(width[k]!) : x.padStart(width[k]!))).join('  ')
  const t = v.total
  return [
    line(head),
    ...cells.map(line),
    `faults: ${t.runs} nemesis runs, ${t.acknowledged} acknowledged, ${t.lost} lost, ${t.duplicated} duplicated, ${t.divergent} divergent, longest unavailability ${(t.longestUnavailabilityMs / 1000).toFixed(1)} s`,
  ].join('\n')
}
