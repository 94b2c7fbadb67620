// The bookkeeping of the single-broker faults (single-broker.ts): one Phase per fault run, checked
// with checker.ts's checkHistory (records the fault destroyed on purpose, a torn segment's tail,
// set aside) and summed into checker.ts's table and verdict line. Free of processes and I/O.

import {
  type Ack,
  checkHistory,
  emptyRow,
  type LogRecord,
  longestStallMs,
  type Row,
  render,
  unavailabilityMs,
} from './checker.ts'

export const PARTITIONS = [0, 1]

/** One fault run on a topic of its own. */
export interface Phase {
  name: string
  topic: string
  /** The producer's delivery reports, stamped on arrival. */
  acks: Ack[]
  faultAt: number
  /** When the broker was whole again (restarted, space back). */
  healedAt: number
  /** Set for a fault without a producer running: time to the first write that worked after it. */
  firstWriteMs?: number
  /** Records cut away by the fault itself (torn-segment): per partition, from that offset on. */
  cut: Map<number, number>
  lost: number
  duplicated: number
  /** Anything else that broke: offsets out of order, torn segments, wrong look-ups, a crash. */
  problems: string[]
  /** What was lost or duplicated, for the report (counted in lost/duplicated). */
  details: string[]
}

export function newPhase(name: string, topic: string): Phase {
  const now = Date.now()
  return {
    name,
    topic,
    acks: [],
    faultAt: now,
    healedAt: now,
    cut: new Map(),
    lost: 0,
    duplicated: 0,
    problems: [],
    details: [],
  }
}

export const ackedOf = (acks: readonly Ack[]): Ack[] =>
  acks.filter((a) => a.offset !== undefined && a.error === undefined)

/**
 * Checks `acks` (default: all of the phase's) against a read of the topic, the records the fault
 * cut away set aside; what is wrong is added to the phase. Returns the lines describing it.
 */
export function checkPhase(p: Phase, log: readonly LogRecord[], acks: readonly Ack[] = p.acks): string[] {
  const kept = (part: number | undefined, offset: number | undefined) =>
    part === undefined || offset === undefined || offset < (p.cut.get(part) ?? Number.POSITIVE_INFINITY)
  const h = checkHistory(
    acks.filter((a) => kept(a.p, a.offset)),
    log.filter((r) => kept(r.partition, r.offset) && r.key?.startsWith('k-')),
  )
  p.lost += h.lost.length + h.misplaced.length
  p.duplicated += h.duplicated.length
  const out: string[] = []
  const show = (what: string, xs: readonly unknown[]) => {
    if (xs.length > 0) out.push(`${p.topic}: ${xs.length} ${what}, e.g. ${JSON.stringify(xs.slice(0, 3))}`)
  }
  show('lost', h.lost)
  show('misplaced', h.misplaced)
  show('duplicated', h.duplicated)
  show('out of order', h.disorder)
  for (const l of out) (l.includes(' out of order') ? p.problems : p.details).push(l)
  return out
}

/** checker.ts's row of one phase. */
function rowOf(p: Phase, end: number): Row {
  const first = p.firstWriteMs ?? unavailabilityMs(p.acks, p.faultAt, PARTITIONS, end)
  const stall = p.firstWriteMs ?? longestStallMs(p.acks, p.faultAt, p.healedAt, PARTITIONS, end)
  return {
    name: p.name,
    runs: 1,
    acknowledged: ackedOf(p.acks).length,
    lost: p.lost,
    duplicated: p.duplicated,
    divergent: p.problems.length,
    firstAckMs: first,
    longestUnavailabilityMs: Math.max(first, stall),
    faultMs: Math.max(0, p.healedAt - p.faultAt),
    faultAcks: ackedOf(p.acks).filter((a) => a.t >= p.faultAt && a.t <= p.healedAt).length,
  }
}

function add(into: Row, r: Row): void {
  into.runs += r.runs
  into.acknowledged += r.acknowledged
  into.lost += r.lost
  into.duplicated += r.duplicated
  into.divergent += r.divergent
  into.firstAckMs = Math.max(into.firstAckMs, r.firstAckMs)
  into.longestUnavailabilityMs = Math.max(into.longestUnavailabilityMs, r.longestUnavailabilityMs)
  into.faultMs += r.faultMs
  into.faultAcks += r.faultAcks
}

/**
 * The table (a row per fault) and the verdict line, last; the problems above it. The "divergent"
 * column counts the other broken guarantees of each fault (see Phase.problems).
 */
export function verdictOf(
  phases: readonly Phase[],
  notes: readonly string[],
  end: number,
): { ok: boolean; lines: string[] } {
  const rows = new Map<string, Row>()
  const total = emptyRow('total')
  for (const p of phases) {
    const r = rowOf(p, end)
    const into = rows.get(p.name) ?? emptyRow(p.name)
    add(into, r)
    add(total, r)
    rows.set(p.name, into)
  }
  const list = [...rows.values()].sort((a, b) => a.name.localeCompare(b.name))
  const problems = phases.flatMap((p) => [...p.details, ...p.problems].map((l) => `${p.name}: ${l}`))
  const ok = phases.length > 0 && total.lost === 0 && total.duplicated === 0 && total.divergent === 0
  const none = { acknowledged: 0, lost: [], misplaced: [], duplicated: [], disorder: [] }
  const table = render({ rows: list, total, problems: none, ok })
  return { ok, lines: [...notes, ...problems, ...table.split('\n')] }
}
