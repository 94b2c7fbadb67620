// kafka-consumer-groups.sh: list, describe (offsets and lag, members, state), delete groups, reset
// and delete committed offsets, through the admin client, printing what Kafka's
// ConsumerGroupCommand prints. As in Kafka, a failure after the options were accepted is reported as
// `Error: Executing consumer group command failed due to ...` and the exit code stays 0.

import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Admin, Group, GroupMember } from '@platformatic/kafka'
import { HELP_OPTIONS } from '../common/command.ts'
import { ToolExit, usageExit } from '../common/exit.ts'
import type { Io } from '../common/io.ts'
import { closeQuietly, errorMessage, kafkaErrorId, openAdmin, rawMetadata } from '../common/kafka.ts'
import { loadProps } from '../common/props.ts'
import {
  formatGroupListing,
  formatMembers,
  formatOffsets,
  formatResetPlan,
  formatState,
  MISSING,
  type OffsetRow,
  type ResetRow,
} from './format.ts'
import { GROUP_OPTIONS, type GroupCommandOptions, parseGroupOptions } from './options.ts'
import {
  clampOffset,
  exportCsv,
  IllegalArgument,
  parseDateTime,
  parseDuration,
  parseResetCsv,
  parseTopicPartitions,
  type TopicPartitionRef,
} from './reset-plan.ts'

const ALL = [...GROUP_OPTIONS, ...HELP_OPTIONS]
const EARLIEST = -2n
const LATEST = -1n

const VALID_STATES = [
  'PreparingRebalance',
  'CompletingRebalance',
  'Stable',
  'Dead',
  'Empty',
  'Assigning',
  'Reconciling',
]
const VALID_TYPES = ['consumer', 'classic', 'share', 'streams']

/** A member's assigned partitions. */
const assignmentOf = (m: GroupMember): TopicPartitionRef[] =>
  [...(m.assignments?.values() ?? [])].flatMap((a) =>
    a.partitions.map((partition: number) => ({ topic: a.topic, partition })),
  )

const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`
const byTopicPartition = (a: TopicPartitionRef, b: TopicPartitionRef) =>
  a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition

/** Kafka's state names (the client may use the enum spelling). */
function stateName(s: string | undefined): string {
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

class GroupService {
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
    const groups = await this.admin.listGroups()
    return [...groups.values()]
      .filter((g) => g.protocolType === 'consumer' || g.protocolType === '')
      .map((g) => ({ id: g.id, type: g.groupType ?? 'classic', state: stateName(g.state) }))
  }

  async groupIds(): Promise<string[]> {
    return this.cmd.opts.has('all-groups')
      ? (await this.listGroups()).map((g) => g.id)
      : this.cmd.opts.values('group')
  }

  async describe(groupIds: string[]): Promise<Map<string, Group>> {
    if (groupIds.length === 0) return new Map()
    try {
      return await this.admin.describeGroups({ groups: groupIds })
    } catch (e) {
      if (kafkaErrorId(e) === 'GROUP_ID_NOT_FOUND') return new Map()
      throw e
    }
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

  async describeOffsets(groupIds: string[]): Promise<void> {
    const descriptions = await this.describe(groupIds)
    for (const id of [...groupIds].sort()) {
      const d = descriptions.get(id)
      const state = stateName(d?.state ?? 'Dead')
      const committed = await this.committed(id)
      const rows: Omit<OffsetRow, 'logEndOffset'>[] = []
      const assigned = new Set<string>()
      const members = [...(d?.members.values() ?? [])]
        .map((m) => ({
          m,
          tps: assignmentOf(m),
        }))
        .filter((x) => x.tps.length > 0)
        .sort((a, b) => b.tps.length - a.tps.length)
      for (const { m, tps } of members) {
        for (const tp of tps.sort(byTopicPartition)) {
          assigned.add(tpKey(tp.topic, tp.partition))
          rows.push({
            group: id,
            topic: tp.topic,
            partition: tp.partition,
            currentOffset: committed.get(tpKey(tp.topic, tp.partition))?.offset ?? null,
            consumerId: m.id,
            host: m.clientHost,
            clientId: m.clientId,
          })
        }
      }
      const unassigned = [...committed.values()]
        .filter((c) => !assigned.has(tpKey(c.topic, c.partition)))
        .sort(byTopicPartition)
      for (const c of unassigned) {
        rows.push({
          group: id,
          topic: c.topic,
          partition: c.partition,
          currentOffset: c.offset,
          consumerId: MISSING,
          host: MISSING,
          clientId: MISSING,
        })
      }
      if (!this.shouldPrint(id, state, rows.length)) continue
      const ends = await this.logOffsets(rows as TopicPartitionRef[], LATEST)
      this.io.out(
        formatOffsets(
          rows.map((r) => {
            const end = ends.get(tpKey(r.topic!, r.partition!))
            return { ...r, logEndOffset: end === undefined || end < 0n ? null : end }
          }),
        ),
      )
    }
  }

  async describeMembers(groupIds: string[], verbose: boolean): Promise<void> {
    const descriptions = await this.describe(groupIds)
    for (const id of [...groupIds].sort()) {
      const d = descriptions.get(id)
      const state = stateName(d?.state ?? 'Dead')
      const rows = [...(d?.members.values() ?? [])].map((m) => ({
        group: id,
        consumerId: m.id,
        groupInstanceId: m.groupInstanceId ?? '',
        host: m.clientHost,
        clientId: m.clientId,
        assignment: assignmentOf(m),
      }))
      const known = this.shouldPrint(id, state, rows.length)
      this.io.out(formatMembers(rows, verbose, known))
    }
  }

  async describeState(groupIds: string[]): Promise<void> {
    const descriptions = await this.describe(groupIds)
    const coordinators =
      groupIds.length === 0 ? [] : await this.admin.findCoordinator({ keyType: 0, keys: groupIds })
    for (const id of [...groupIds].sort()) {
      const d = descriptions.get(id)
      const state = stateName(d?.state ?? 'Dead')
      if (!this.shouldPrint(id, state, 1)) continue
      const c = coordinators.find((x) => x.key === id)
      this.io.out(
        formatState({
          group: id,
          coordinator: c === undefined ? MISSING : `${c.host}:${c.port}  (${c.nodeId})`,
          assignmentStrategy: d?.protocol ?? '',
          state,
          members: d?.members.size ?? 0,
        }),
      )
    }
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

  async partitionsToReset(groupId: string): Promise<TopicPartitionRef[]> {
    const { opts } = this.cmd
    if (opts.has('all-topics')) return [...(await this.committed(groupId)).values()]
    if (opts.has('topic')) {
      const args = opts.values('topic')
      const specified = args.filter((a) => a.includes(':')).flatMap(parseTopicPartitions)
      return [...specified, ...(await this.partitionsOfTopics(args.filter((a) => !a.includes(':'))))]
    }
    if (!opts.has('from-file'))
      usageExit(ALL, 'One of the reset scopes should be defined: --all-topics, --topic.')
    return []
  }

  warn = (message: string) => this.io.err(`WARN ${message}\n`)

  async checkRange(
    requested: Map<string, { tp: TopicPartitionRef; offset: bigint }>,
  ): Promise<Map<string, bigint>> {
    const tps = [...requested.values()].map((r) => r.tp)
    const starts = await this.logOffsets(tps, EARLIEST)
    const ends = await this.logOffsets(tps, LATEST)
    const out = new Map<string, bigint>()
    for (const [key, { tp, offset }] of requested) {
      const end = ends.get(key)
      if (end === undefined)
        throw new Error(
          `Unexpected non-existing offset value for topic partition ${tp.topic}-${tp.partition}`,
        )
      out.set(key, clampOffset(tp, offset, starts.get(key) ?? null, end, this.warn))
    }
    return out
  }

  async prepareOffsets(groupId: string, tps: TopicPartitionRef[]): Promise<Map<string, bigint>> {
    const { opts } = this.cmd
    const keyed = (offsetOf: (tp: TopicPartitionRef) => bigint) =>
      new Map(tps.map((tp) => [tpKey(tp.topic, tp.partition), { tp, offset: offsetOf(tp) }]))
    const fromLog = async (timestamp: bigint, what: string) => {
      const offsets = await this.logOffsets(tps, timestamp)
      const out = new Map<string, bigint>()
      const missing: TopicPartitionRef[] = []
      for (const tp of tps) {
        const o = offsets.get(tpKey(tp.topic, tp.partition))
        if (o === undefined)
          usageExit(ALL, `Error getting ${what} of topic partition: ${tp.topic}-${tp.partition}`)
        if (o < 0n && timestamp >= 0n) missing.push(tp)
        else out.set(tpKey(tp.topic, tp.partition), o)
      }
      for (const tp of missing) {
        this.io.out(
          `\nWarn: Partition ${tp.partition} from topic ${tp.topic} is empty. Falling back to latest known offset.\n`,
        )
      }
      if (missing.length > 0) {
        const ends = await this.logOffsets(missing, LATEST)
        for (const tp of missing)
          out.set(tpKey(tp.topic, tp.partition), ends.get(tpKey(tp.topic, tp.partition)) ?? 0n)
      }
      return out
    }
    if (opts.has('to-offset')) {
      const offset = opts.bigint('to-offset')!
      return this.checkRange(keyed(() => offset))
    }
    if (opts.has('to-earliest')) return fromLog(EARLIEST, 'starting offset')
    if (opts.has('to-latest')) return fromLog(LATEST, 'ending offset')
    if (opts.has('shift-by')) {
      const shift = opts.bigint('shift-by')!
      const current = await this.committed(groupId)
      return this.checkRange(
        keyed((tp) => {
          const c = current.get(tpKey(tp.topic, tp.partition))
          if (c === undefined) {
            throw new IllegalArgument(
              `Cannot shift offset for partition ${tp.topic}-${tp.partition} since there is no current committed offset`,
            )
          }
          return c.offset + shift
        }),
      )
    }
    if (opts.has('to-datetime'))
      return fromLog(BigInt(parseDateTime(opts.value('to-datetime')!)), 'offset by timestamp')
    if (opts.has('by-duration')) {
      return fromLog(BigInt(Date.now() - parseDuration(opts.value('by-duration')!)), 'offset by timestamp')
    }
    if (opts.has('from-file')) {
      const text = readFileText(opts.value('from-file')!, this.io.cwd)
      const groups = opts.values('group')
      const plan = parseResetCsv(text, groups.length === 1 ? groups[0] : null).filter(
        (e) => e.group === groupId,
      )
      if (plan.length === 0) {
        this.printError(`No reset plan for group ${groupId} found`)
        return new Map()
      }
      return this.checkRange(
        new Map(plan.map((e) => [tpKey(e.topic, e.partition), { tp: e, offset: e.offset }])),
      )
    }
    if (opts.has('to-current')) {
      const current = await this.committed(groupId)
      const out = new Map<string, bigint>()
      const without = tps.filter((tp) => !current.has(tpKey(tp.topic, tp.partition)))
      for (const tp of tps) {
        const c = current.get(tpKey(tp.topic, tp.partition))
        if (c !== undefined) out.set(tpKey(tp.topic, tp.partition), c.offset)
      }
      const ends = await this.logOffsets(without, LATEST)
      for (const tp of without)
        out.set(tpKey(tp.topic, tp.partition), ends.get(tpKey(tp.topic, tp.partition)) ?? 0n)
      return out
    }
    usageExit(
      ALL,
      "Option '[reset-offsets]' requires one of the following scenarios: [[to-offset], [shift-by], [to-datetime], [by-duration], [to-earliest], [to-latest], [to-current], [from-file]]",
    )
  }

  async resetOffsets(): Promise<void> {
    const { opts } = this.cmd
    const groupIds = await this.groupIds()
    const descriptions = await this.describe(groupIds)
    const rows: ResetRow[] = []
    let planned = 0
    for (const id of groupIds) {
      const state = stateName(descriptions.get(id)?.state ?? 'Dead')
      planned++
      if (state !== 'Empty' && state !== 'Dead') {
        this.printError(
          `Assignments can only be reset if the group '${id}' is inactive, but the current state is ${state}.`,
        )
        continue
      }
      const tps = await this.partitionsToReset(id)
      const prepared = await this.prepareOffsets(id, tps)
      const plan = [...prepared].map(([key, offset]) => {
        const [topic, partition] = key.split('\u0000')
        return { group: id, topic, partition: Number(partition), offset }
      })
      if (opts.has('execute')) {
        const byTopic = new Map<string, { partition: number; offset: bigint }[]>()
        for (const p of plan)
          byTopic.set(p.topic, [
            ...(byTopic.get(p.topic) ?? []),
            { partition: p.partition, offset: p.offset },
          ])
        if (byTopic.size > 0) {
          await this.admin.alterConsumerGroupOffsets({
            groupId: id,
            topics: [...byTopic].map(([name, partitionOffsets]) => ({ name, partitionOffsets })),
          })
        }
      }
      rows.push(...plan.sort(byTopicPartition))
    }
    if (opts.has('export')) this.io.out(`${exportCsv(rows, opts.values('group').length === 1)}\n`)
    else this.io.out(formatResetPlan(rows, planned))
  }

  async deleteGroups(): Promise<void> {
    const groupIds = await this.groupIds()
    const ok: string[] = []
    const failed: [string, string][] = []
    for (const g of groupIds) {
      try {
        await this.admin.deleteGroups({ groups: [g] })
        ok.push(g)
      } catch (e) {
        failed.push([g, errorMessage(e)])
      }
    }
    if (failed.length === 0) {
      this.io.out(`Deletion of requested consumer groups ('${ok.join(', ')}') was successful.\n`)
      return
    }
    this.printError('Deletion of some consumer groups failed:')
    for (const [g, why] of failed) this.io.out(`* Group '${g}' could not be deleted due to: ${why}\n`)
    if (ok.length > 0)
      this.io.out(`\nThese consumer groups were deleted successfully: '${ok.join("'")}', '\n`)
  }

  async deleteOffsets(): Promise<void> {
    const { opts } = this.cmd
    const groupId = opts.value('group')!
    const topics = opts.values('topic')
    const partitions: TopicPartitionRef[] = topics
      .filter((t) => t.includes(':'))
      .flatMap(parseTopicPartitions)
    const status = new Map<string, { tp: TopicPartitionRef; error: string | null }>()
    for (const t of topics.filter((x) => !x.includes(':'))) {
      try {
        partitions.push(...(await this.partitionsOfTopics([t])))
      } catch (e) {
        status.set(tpKey(t, -1), { tp: { topic: t, partition: -1 }, error: errorMessage(e) })
      }
    }
    const byTopic = new Map<string, number[]>()
    for (const tp of partitions)
      byTopic.set(tp.topic, [...new Set([...(byTopic.get(tp.topic) ?? []), tp.partition])])
    let topLevel: string | null = null
    let topMessage = ''
    try {
      await this.admin.deleteConsumerGroupOffsets({
        groupId,
        topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
      })
    } catch (e) {
      topLevel = kafkaErrorId(e) ?? 'UNKNOWN_SERVER_ERROR'
      topMessage = errorMessage(e)
    }
    for (const tp of partitions)
      status.set(tpKey(tp.topic, tp.partition), { tp, error: topLevel === null ? null : topMessage })
    switch (topLevel) {
      case null:
        this.io.out(`Request succeed for deleting offsets with topic ${topics.join(', ')} group ${groupId}\n`)
        break
      case 'INVALID_GROUP_ID':
        this.printError(`'${groupId}' is not valid.`)
        break
      case 'GROUP_ID_NOT_FOUND':
        this.printError(`'${groupId}' does not exist.`)
        break
      case 'GROUP_AUTHORIZATION_FAILED':
        this.printError(`Access to '${groupId}' is not authorized.`)
        break
      case 'NON_EMPTY_GROUP':
        this.printError(
          `Deleting offsets of a consumer group '${groupId}' is forbidden if the group is not empty.`,
        )
        break
      case 'GROUP_SUBSCRIBED_TO_TOPIC':
      case 'TOPIC_AUTHORIZATION_FAILED':
      case 'UNKNOWN_TOPIC_OR_PARTITION':
        this.printError('Encounter some partition level error, see the follow-up details:')
        break
      default:
        this.printError(`Encounter some unknown error: ${topLevel}`)
    }
    const line = (a: string, b: string, c: string) => `\n${a.padEnd(30)} ${b.padEnd(15)} ${c.padEnd(15)}`
    let out = line('TOPIC', 'PARTITION', 'STATUS')
    for (const { tp, error } of [...status.values()].sort((a, b) =>
      `${a.tp.topic}${a.tp.partition}` < `${b.tp.topic}${b.tp.partition}` ? -1 : 1,
    )) {
      out += line(
        tp.topic,
        tp.partition >= 0 ? String(tp.partition) : 'Not Provided',
        error === null ? 'Successful' : `Error: :${error}`,
      )
    }
    this.io.out(`${out}\n`)
  }
}

function readFileText(path: string, cwd: string): string {
  return readFileSync(resolve(cwd, path), 'utf8')
}

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const cmd = parseGroupOptions(argv, (t) => io.err(t))
  const { opts } = cmd
  const props = opts.has('command-config')
    ? loadProps(opts.value('command-config')!, io.cwd)
    : new Map<string, string>()
  props.set('request.timeout.ms', props.get('request.timeout.ms') ?? opts.value('timeout')!)
  const admin = await openAdmin('adminclient-1', opts.value('bootstrap-server')!, props)
  const service = new GroupService(admin, cmd, io)
  try {
    switch (cmd.action) {
      case 'list': {
        const withType = opts.has('type')
        const withState = opts.has('state')
        if (!withType && !withState) {
          for (const g of await service.listGroups()) io.out(`${g.id}\n`)
          break
        }
        const states = parseFilter(opts.value('state'), VALID_STATES, true)
        const types = parseFilter(opts.value('type'), VALID_TYPES, false)
        const groups = (await service.listGroups()).filter(
          (g) =>
            (states.length === 0 || states.includes(g.state.toLowerCase())) &&
            (types.length === 0 || types.includes(g.type.toLowerCase())),
        )
        io.out(formatGroupListing(groups, withType, withState))
        break
      }
      case 'describe': {
        const ids = await service.groupIds()
        if (opts.has('members')) await service.describeMembers(ids, opts.has('verbose'))
        else if (opts.has('state')) await service.describeState(ids)
        else await service.describeOffsets(ids)
        break
      }
      case 'delete':
        await service.deleteGroups()
        break
      case 'reset-offsets':
        await service.resetOffsets()
        break
      case 'delete-offsets':
        await service.deleteOffsets()
        break
    }
  } catch (e) {
    if (e instanceof ToolExit) throw e
    if (e instanceof IllegalArgument) usageExit(ALL, e.message)
    service.printError(`Executing consumer group command failed due to ${errorMessage(e)}`)
  } finally {
    await closeQuietly(admin)
  }
  return 0
}

/** --state / --type lists (`stable,empty`), lower-cased; unknown names end the tool as Kafka's does. */
function parseFilter(value: string | undefined, valid: readonly string[], isState: boolean): string[] {
  if (value === undefined || value === '') return []
  const parsed = value.split(',').map((s) => s.trim().toLowerCase())
  const known = new Set(valid.map((v) => v.toLowerCase()))
  if (parsed.some((p) => !known.has(p))) {
    const message = isState
      ? `Invalid state list '${value}'. Valid states are: ${valid.join(', ')}`
      : `Invalid types list '${value}'. Valid types are: ${valid.join(', ')}`
    usageExit(ALL, message)
  }
  return parsed
}
