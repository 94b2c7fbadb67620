// kafka-topics.sh --describe output, as Kafka's TopicCommand prints it:
//
//   Topic: t\tTopicId: <id>\tPartitionCount: 2\tReplicationFactor: 1\tConfigs: k=v,k2=v2
//   \tTopic: t\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: N/A\tLastKnownElr: N/A
//
// Configs lists the topic's non-default configs (source other than DEFAULT_CONFIG, so broker-wide
// settings from server.properties show too). Elr/LastKnownElr are N/A because the partitions come
// from Metadata, which does not carry them (Kafka's tool prints the same against such a broker).
// The report flags (--under-replicated-partitions, ...) print only matching partition lines and no
// topic line; --topics-with-overrides prints only topic lines of topics with overrides.

import type { ParsedOptions } from '../args/option-parser.ts'

export interface PartitionInfo {
  partition: number
  leader: number
  replicas: number[]
  isr: number[]
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

export function partitionLine(topic: string, p: PartitionInfo): string {
  return (
    `\tTopic: ${topic}\tPartition: ${p.partition}\tLeader: ${p.leader >= 0 ? p.leader : 'none'}` +
    `\tReplicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}\tElr: N/A\tLastKnownElr: N/A`
  )
}

/** The lines --describe prints for one topic under the given flags. */
export function describeLines(
  t: TopicInfo,
  flags: DescribeFlags,
  liveBrokers: ReadonlySet<number>,
): string[] {
  const reporting = flags.underReplicated || flags.unavailable || flags.underMinIsr || flags.atMinIsr
  const lines: string[] = []
  const sorted = [...t.partitions].sort((a, b) => a.partition - b.partition)
  if (!reporting && sorted.length > 0) {
    const hasOverride = t.configs.some((c) => !c.isDefault)
    if (!flags.withOverrides || hasOverride) lines.push(topicLine(t))
  }
  if (flags.withOverrides) return lines
  const minIsrEntry = t.configs.find((c) => c.name === 'min.insync.replicas')
  const minIsr = Number(minIsrEntry?.value ?? '1')
  for (const p of sorted) {
    const hasLeader = p.leader >= 0
    const show =
      !reporting ||
      (flags.underReplicated && p.replicas.length - p.isr.length > 0) ||
      (flags.unavailable && (!hasLeader || !liveBrokers.has(p.leader))) ||
      (flags.underMinIsr && (!hasLeader || p.isr.length < minIsr)) ||
      (flags.atMinIsr && p.isr.length === minIsr)
    if (show) lines.push(partitionLine(t.name, p))
  }
  return lines
}
