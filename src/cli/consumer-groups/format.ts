// kafka-consumer-groups.sh tables, formatted as Kafka's ConsumerGroupCommand prints them (printf
// with left-aligned columns; each table starts with an empty line).

import { left } from '../common/format.ts'

export const MISSING = '-'

export interface OffsetRow {
  group: string
  topic: string | null
  partition: number | null
  currentOffset: bigint | null
  logEndOffset: bigint | null
  consumerId: string
  host: string
  clientId: string
}

export const lag = (r: OffsetRow): bigint | null =>
  r.currentOffset !== null && r.currentOffset !== -1n && r.logEndOffset !== null
    ? r.logEndOffset - r.currentOffset
    : null

const opt = (v: string | number | bigint | null): string => (v === null ? MISSING : String(v))

/** --describe [--offsets]: header and rows; the text starts with "\n" and ends with "\n". */
export function formatOffsets(rows: readonly OffsetRow[]): string {
  let g = 15
  let t = 15
  let c = 15
  let h = 15
  for (const r of rows) {
    g = Math.max(g, r.group.length)
    t = Math.max(t, opt(r.topic).length)
    c = Math.max(c, r.consumerId.length)
    h = Math.max(h, r.host.length)
  }
  const line = (cols: string[]) =>
    `\n${left(cols[0], g)} ${left(cols[1], t)} ${left(cols[2], 10)} ${left(cols[3], 15)} ${left(cols[4], 15)} ` +
    `${left(cols[5], 15)} ${left(cols[6], c)} ${left(cols[7], h)} ${cols[8]}`
  let out = line([
    'GROUP',
    'TOPIC',
    'PARTITION',
    'CURRENT-OFFSET',
    'LOG-END-OFFSET',
    'LAG',
    'CONSUMER-ID',
    'HOST',
    'CLIENT-ID',
  ])
  for (const r of rows) {
    out += line([
      r.group,
      opt(r.topic),
      opt(r.partition),
      opt(r.currentOffset),
      opt(r.logEndOffset),
      opt(lag(r)),
      r.consumerId,
      r.host,
      r.clientId,
    ])
  }
  return `${out}\n`
}

export interface MemberRow {
  group: string
  consumerId: string
  groupInstanceId: string
  host: string
  clientId: string
  /** Assigned partitions, as topic and partition. */
  assignment: { topic: string; partition: number }[]
}

/** --describe --members [--verbose]. */
export function formatMembers(rows: readonly MemberRow[], verbose: boolean, known: boolean): string {
  let g = 15
  let c = 15
  let gi = 17
  let h = 15
  let cl = 15
  let withInstance = false
  if (known) {
    for (const r of rows) {
      g = Math.max(g, r.group.length)
      c = Math.max(c, r.consumerId.length)
      gi = Math.max(gi, r.groupInstanceId.length)
      h = Math.max(h, r.host.length)
      cl = Math.max(cl, r.clientId.length)
      withInstance ||= r.groupInstanceId !== ''
    }
  }
  const cells = (cols: string[]) =>
    withInstance
      ? `${left(cols[0], g)} ${left(cols[1], c)} ${left(cols[2], gi)} ${left(cols[3], h)} ${left(cols[4], cl)} ${left(cols[5], 15)} `
      : `${left(cols[0], g)} ${left(cols[1], c)} ${left(cols[3], h)} ${left(cols[4], cl)} ${left(cols[5], 15)} `
  let out = `\n${cells(['GROUP', 'CONSUMER-ID', 'GROUP-INSTANCE-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS'])}`
  if (verbose) out += 'ASSIGNMENT'
  out += '\n'
  for (const r of rows) {
    out += cells([r.group, r.consumerId, r.groupInstanceId, r.host, r.clientId, String(r.assignment.length)])
    if (verbose) {
      if (r.assignment.length === 0) out += MISSING
      else {
        const byTopic = new Map<string, number[]>()
        for (const a of r.assignment) byTopic.set(a.topic, [...(byTopic.get(a.topic) ?? []), a.partition])
        out += [...byTopic.entries()]
          .map(([topic, ps]) => `${topic}(${ps.map(String).sort().join(',')})`)
          .sort()
          .join(', ')
      }
    }
    out += '\n'
  }
  return out
}

export interface StateRow {
  group: string
  /** `host:port  (id)` of the coordinator. */
  coordinator: string
  assignmentStrategy: string
  state: string
  members: number
}

/** --describe --state. */
export function formatState(r: StateRow): string {
  const w = Math.max(25, r.coordinator.length)
  const line = (cols: string[]) =>
    `\n${left(cols[0], w)} ${left(cols[1], 25)} ${left(cols[2], 20)} ${left(cols[3], 15)} ${cols[4]}`
  return (
    line(['GROUP', 'COORDINATOR (ID)', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS']) +
    line([r.group, r.coordinator, r.assignmentStrategy, r.state, String(r.members)]) +
    '\n'
  )
}

export interface ResetRow {
  group: string
  topic: string
  partition: number
  offset: bigint
}

/** --reset-offsets result table (dry run or executed). `groups` is how many groups were planned. */
export function formatResetPlan(rows: readonly ResetRow[], groups: number): string {
  const line = (cols: string[]) =>
    `\n${left(cols[0], 30)} ${left(cols[1], 30)} ${left(cols[2], 10)} ${left(cols[3], 15)}`
  let out = groups > 0 ? line(['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET']) : ''
  for (const r of rows) out += line([r.group, r.topic, String(r.partition), String(r.offset)])
  return `${out}\n`
}

/** --list --state/--type: GROUP, then TYPE and/or STATE columns. */
export function formatGroupListing(
  groups: readonly { id: string; type: string; state: string }[],
  withType: boolean,
  withState: boolean,
): string {
  const width = Math.max(15, ...groups.map((g) => g.id.length)) + 10
  const line = (id: string, type: string, state: string) => {
    let s = left(id, width)
    if (withType) s += ` ${left(type, 20)}`
    if (withState) s += ` ${left(state, 20)}`
    return `${s}\n`
  }
  return line('GROUP', 'TYPE', 'STATE') + groups.map((g) => line(g.id, g.type, g.state)).join('')
}
