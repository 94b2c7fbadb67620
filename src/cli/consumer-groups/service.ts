// What every kafka-consumer-groups.sh action shares: the admin client calls (groups, committed
// offsets, log offsets, topic partitions) and Kafka's notes about a group's state.

import type { Admin, Group, GroupMember } from '@platformatic/kafka'
import { HELP_OPTIONS } from '../common/command.ts'
import type { Io } from '../common/io.ts'
import { kafkaErrorId, rawMetadata } from '../common/kafka.ts'
import { describeConsumerProtocolGroups } from './consumer-describe.ts'
import { GROUP_OPTIONS, type GroupCommandOptions } from './options.ts'
import type { TopicPartitionRef } from './reset-plan.ts'

export const ALL = [...GROUP_OPTIONS, ...HELP_OPTIONS]
export const EARLIEST = -2n
export const LATEST = -1n

/** A member's assigned partitions. */
export const assignmentOf = (m: GroupMember): TopicPartitionRef[] =>
  [...(m.assignments?.values() ?? [])].flatMap((a) =>
    a.partitions.map((partition: number) => ({ topic: a.topic, partition })),
  )

export const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`
export const byTopicPartition = (a: TopicPartitionRef, b: TopicPartitionRef) =>
  a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition

/** Kafka's state names (the client may use the enum spelling). */
export function stateName(s: string | undefined): string {
  const upper: Record<string, string> = {
    PREPARING_REBALANCE: 'PreparingRebalance',
    COMPLETING_REBALANCE: 'CompletingRebalance',
    STABLE: 'Stable',
    DEAD: 'Dead',
    EMPTY: 'Empty',
  }
  if (s === undefined || s === '') return 'Unknown'
  return upper[s] ?? s
}

export class GroupService {
  readonly admin: Admin
  readonly cmd: GroupCommandOptions
  readonly io: Io

  constructor(admin: Admin, cmd: GroupCommandOptions, io: Io) {
    this.admin = admin
    this.cmd = cmd
    this.io = io
  }

  printError(message: string): void {
    this.io.out(`\nError: ${message}\n`)
  }

  async listGroups(): Promise<{ id: string; type: string; state: string }[]> {
    // The client asks for classic groups only unless told otherwise; the tool shows both kinds.
    const groups = await this.admin.listGroups({ types: ['classic', 'consumer'] })
    return [...groups.values()]
      .filter((g) => g.protocolType === 'consumer' || g.protocolType === '')
      .map((g) => ({ id: g.id, type: g.groupType ?? 'classic', state: stateName(g.state) }))
  }

  async groupIds(): Promise<string[]> {
    return this.cmd.opts.has('all-groups')
      ? (await this.listGroups()).map((g) => g.id)
      : this.cmd.opts.values('group')
  }

  /** Consumer-protocol (KIP-848) groups by ConsumerGroupDescribe, the others by DescribeGroups. */
  async describe(groupIds: string[]): Promise<Map<string, Group>> {
    if (groupIds.length === 0) return new Map()
    const found = await describeConsumerProtocolGroups(this.admin, groupIds)
    const classic = groupIds.filter((id) => !found.has(id))
    if (classic.length === 0) return found
    try {
      for (const [id, g] of await this.admin.describeGroups({ groups: classic })) found.set(id, g)
    } catch (e) {
      if (kafkaErrorId(e) !== 'GROUP_ID_NOT_FOUND') throw e
    }
    return found
  }

  async committed(
    groupId: string,
  ): Promise<Map<string, { topic: string; partition: number; offset: bigint }>> {
    const out = new Map<string, { topic: string; partition: number; offset: bigint }>()
    let result: Awaited<ReturnType<Admin['listConsumerGroupOffsets']>>
    try {
      result = await this.admin.listConsumerGroupOffsets({ groups: [groupId] })
    } catch (e) {
      if (kafkaErrorId(e) === 'GROUP_ID_NOT_FOUND') return out
      throw e
    }
    for (const g of result) {
      for (const t of g.topics) {
        for (const p of t.partitions) {
          if (p.committedOffset >= 0n)
            out.set(tpKey(t.name, p.partitionIndex), {
              topic: t.name,
              partition: p.partitionIndex,
              offset: p.committedOffset,
            })
        }
      }
    }
    return out
  }

  /** Offsets by timestamp (EARLIEST, LATEST or a time); -1 means none. */
  async logOffsets(tps: readonly TopicPartitionRef[], timestamp: bigint): Promise<Map<string, bigint>> {
    const out = new Map<string, bigint>()
    if (tps.length === 0) return out
    const byTopic = new Map<string, number[]>()
    for (const tp of tps) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition])
    const result = await this.admin.listOffsets({
      topics: [...byTopic].map(([name, ps]) => ({
        name,
        partitions: ps.map((partitionIndex) => ({ partitionIndex, timestamp })),
      })),
    })
    for (const t of result) for (const p of t.partitions) out.set(tpKey(t.name, p.partitionIndex), p.offset)
    return out
  }

  /** Kafka's shouldPrintMemberState: notes about the state; whether there is a table to print. */
  shouldPrint(group: string, state: string, rows: number): boolean {
    switch (state) {
      case 'Dead':
        this.printError(`Consumer group '${group}' does not exist.`)
        break
      case 'Empty':
        this.io.err(`\nConsumer group '${group}' has no active members.\n`)
        break
      case 'PreparingRebalance':
      case 'CompletingRebalance':
      case 'Assigning':
      case 'Reconciling':
        this.io.err(`\nWarning: Consumer group '${group}' is rebalancing.\n`)
        break
      case 'Stable':
        break
      default:
        throw new Error(`Expected a valid consumer group state, but found '${state}'.`)
    }
    return state !== 'Dead' && rows > 0
  }

  async partitionsOfTopics(topics: string[]): Promise<TopicPartitionRef[]> {
    if (topics.length === 0) return []
    const md = await rawMetadata(this.admin, topics)
    const out: TopicPartitionRef[] = []
    for (const t of md.topics) {
      if (t.errorCode !== 0) throw new Error(`This server does not host this topic-partition. (${t.name})`)
      for (const p of t.partitions) out.push({ topic: t.name!, partition: p.partitionIndex })
    }
    return out
  }

  warn = (message: string) => this.io.err(`WARN ${message}\n`)
}
