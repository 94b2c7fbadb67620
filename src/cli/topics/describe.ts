// kafka-topics.sh --describe output, as Kafka's TopicCommand prints it:
//
//   Topic: t\tTopicId: <id>\tPartitionCount: 2\tReplicationFactor: 1\tConfigs: k=v,k2=v2
//   \tTopic: t\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: N/A\tLastKnownElr: N/A
//
// Configs lists the topic's non-default configs (source other than DEFAULT_CONFIG, so broker-wide
// settings from server.properties show too). Elr/LastKnownElr are the broker's lists when the
// partitions come from DescribeTopicPartitions (empty without ELR: `Elr: \tLastKnownElr: `), N/A
// when they come from Metadata (a broker without API 75, or --topic-id), as Kafka's tool prints.
// The report flags (--under-replicated-partitions, --unavailable-partitions,
// --under-min-isr-partitions, --at-min-isr-partitions; several may be given, a partition matching
// any of them is shown) print only matching partition lines and no topic line;
// --topics-with-overrides prints only topic lines of topics with overrides.

import type { ParsedOptions } from '../args/option-parser.ts'

export interface PartitionInfo {
  partition: number
  leader: number
  replicas: number[]
  isr: number[]
  /** From DescribeTopicPartitions; absent or null (Metadata): printed as N/A. */
  elr?: number[] | null
  lastKnownElr?: number[] | null
}

export interface TopicInfo {
  name: string
  /** Kafka's textual topic id, or the zero id. */
  topicId: string
  partitions: PartitionInfo[]
  /** Every config entry of the topic with its source, in the broker's order. */
  configs: { name: string; value: string | null; isDefault: boolean }[]
}

export interface DescribeFlags {
  underReplicated: boolean
  unavailable: boolean
  underMinIsr: boolean
  atMinIsr: boolean
  withOverrides: boolean
}

export function describeFlags(opts: ParsedOptions): DescribeFlags {
  return {
    underReplicated: opts.has('under-replicated-partitions'),
    unavailable: opts.has('unavailable-partitions'),
    underMinIsr: opts.has('under-min-isr-partitions'),
    atMinIsr: opts.has('at-min-isr-partitions'),
    withOverrides: opts.has('topics-with-overrides'),
  }
}

const ZERO_ID = 'AAAAAAAAAAAAAAAAAAAAAA'

export function topicLine(t: TopicInfo): string {
  const configs = t.configs
    .filter((c) => !c.isDefault)
    .map((c) => `${c.name}=${c.value}`)
    .join(',')
  const first = [...t.partitions].sort((a, b) => a.partition - b.partition)[0]
  let line = `Topic: ${t.name}`
  if (t.topicId !== ZERO_ID) line += `\tTopicId: ${t.topicId}`
  line += `\tPartitionCount: ${t.partitions.length}`
  line += `\tReplicationFactor: ${first === undefined ? 0 : first.replicas.length}`
  line += `\tConfigs: ${configs}`
  return line
}

/**
 * One partition line. The leader shows as `none` when there is none or when it is not among the
 * live brokers: Kafka's admin client only knows leaders it has a broker entry for.
 */
export function partitionLine(topic: string, p: PartitionInfo, liveBrokers?: ReadonlySet<number>): string {
  const leader = hasLeader(p, liveBrokers) ? String(p.leader) : 'none'
  return (
    `\tTopic: ${topic}\tPartition: ${p.partition}\tLeader: ${leader}` +
    `\tReplicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}` +
    `\tElr: ${p.elr == null ? 'N/A' : p.elr.join(',')}` +
    `\tLastKnownElr: ${p.lastKnownElr == null ? 'N/A' : p.lastKnownElr.join(',')}`
  )
}

function hasLeader(p: PartitionInfo, liveBrokers?: ReadonlySet<number>): boolean {
  return p.leader >= 0 && (liveBrokers === undefined || liveBrokers.has(p.leader))
}

/** The report flags given (any of them replaces the full listing by the matching partitions). */
export function isReporting(flags: DescribeFlags): boolean {
  return flags.underReplicated || flags.unavailable || flags.underMinIsr || flags.atMinIsr
}

/**
 * Whether a partition matches one of the report flags given, by Kafka's tests: under-replicated
 * when the ISR is smaller than the replica list; unavailable when it has no live leader; under min
 * ISR when it has no live leader or an ISR below the topic's effective min.insync.replicas; at min
 * ISR when the ISR size equals it.
 */
export function partitionMatches(
  p: PartitionInfo,
  flags: DescribeFlags,
  liveBrokers: ReadonlySet<number>,
  minIsr: number,
): boolean {
  const led = hasLeader(p, liveBrokers)
  return (
    (flags.underReplicated && p.isr.length < p.replicas.length) ||
    (flags.unavailable && !led) ||
    (flags.underMinIsr && (!led || p.isr.length < minIsr)) ||
    (flags.atMinIsr && p.isr.length === minIsr)
  )
}

/** The topic's effective min.insync.replicas (DescribeConfigs lists defaults too); 1 if absent. */
export function topicMinIsr(t: TopicInfo): number {
  const value = t.configs.find((c) => c.name === 'min.insync.replicas')?.value
  const n = value == null ? Number.NaN : Number.parseInt(value, 10)
  return Number.isNaN(n) ? 1 : n
}

/** The lines --describe prints for one topic under the given flags. */
export function describeLines(
  t: TopicInfo,
  flags: DescribeFlags,
  liveBrokers: ReadonlySet<number>,
): string[] {
  const reporting = isReporting(flags)
  const lines: string[] = []
  const sorted = [...t.partitions].sort((a, b) => a.partition - b.partition)
  if (!reporting && sorted.length > 0) {
    const hasOverride = t.configs.some((c) => !c.isDefault)
    if (!flags.withOverrides || hasOverride) lines.push(topicLine(t))
  }
  if (flags.withOverrides) return lines
  const minIsr = topicMinIsr(t)
  for (const p of sorted) {
    if (!reporting || partitionMatches(p, flags, liveBrokers, minIsr))
      lines.push(partitionLine(t.name, p, liveBrokers))
  }
  return lines
}
