// kafka-consumer-groups.sh --reset-offsets: plans new committed offsets for inactive groups
// (--to-earliest, --to-latest, --to-offset, --shift-by, --to-datetime, --by-duration, --to-current,
// --from-file) over --topic or --all-topics, prints the plan, and commits it with --execute.

import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { usageExit } from '../common/exit.ts'
import { formatResetPlan, type ResetRow } from './format.ts'
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
import { ALL, byTopicPartition, EARLIEST, type GroupService, LATEST, stateName, tpKey } from './service.ts'

function readFileText(path: string, cwd: string): string {
  return readFileSync(resolve(cwd, path), 'utf8')
}

export async function partitionsToReset(svc: GroupService, groupId: string): Promise<TopicPartitionRef[]> {
  const { opts } = svc.cmd
  if (opts.has('all-topics')) return [...(await svc.committed(groupId)).values()]
  if (opts.has('topic')) {
    const args = opts.values('topic')
    const specified = args.filter((a) => a.includes(':')).flatMap(parseTopicPartitions)
    return [...specified, ...(await svc.partitionsOfTopics(args.filter((a) => !a.includes(':'))))]
  }
  if (!opts.has('from-file'))
    usageExit(ALL, 'One of the reset scopes should be defined: --all-topics, --topic.')
  return []
}

export async function checkRange(
  svc: GroupService,
  requested: Map<string, { tp: TopicPartitionRef; offset: bigint }>,
): Promise<Map<string, bigint>> {
  const tps = [...requested.values()].map((r) => r.tp)
  const starts = await svc.logOffsets(tps, EARLIEST)
  const ends = await svc.logOffsets(tps, LATEST)
  const out = new Map<string, bigint>()
  for (const [key, { tp, offset }] of requested) {
    const end = ends.get(key)
    if (end === undefined)
      throw new Error(`Unexpected non-existing offset value for topic partition ${tp.topic}-${tp.partition}`)
    out.set(key, clampOffset(tp, offset, starts.get(key) ?? null, end, svc.warn))
  }
  return out
}

export async function prepareOffsets(
  svc: GroupService,
  groupId: string,
  tps: TopicPartitionRef[],
): Promise<Map<string, bigint>> {
  const { opts } = svc.cmd
  const keyed = (offsetOf: (tp: TopicPartitionRef) => bigint) =>
    new Map(tps.map((tp) => [tpKey(tp.topic, tp.partition), { tp, offset: offsetOf(tp) }]))
  const fromLog = async (timestamp: bigint, what: string) => {
    const offsets = await svc.logOffsets(tps, timestamp)
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
      svc.io.out(
        `\nWarn: Partition ${tp.partition} from topic ${tp.topic} is empty. Falling back to latest known offset.\n`,
      )
    }
    if (missing.length > 0) {
      const ends = await svc.logOffsets(missing, LATEST)
      for (const tp of missing)
        out.set(tpKey(tp.topic, tp.partition), ends.get(tpKey(tp.topic, tp.partition)) ?? 0n)
    }
    return out
  }
  if (opts.has('to-offset')) {
    const offset = opts.bigint('to-offset')!
    return checkRange(
      svc,
      keyed(() => offset),
    )
  }
  if (opts.has('to-earliest')) return fromLog(EARLIEST, 'starting offset')
  if (opts.has('to-latest')) return fromLog(LATEST, 'ending offset')
  if (opts.has('shift-by')) {
    const shift = opts.bigint('shift-by')!
    const current = await svc.committed(groupId)
    return checkRange(
      svc,
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
    const text = readFileText(opts.value('from-file')!, svc.io.cwd)
    const groups = opts.values('group')
    const plan = parseResetCsv(text, groups.length === 1 ? groups[0] : null).filter(
      (e) => e.group === groupId,
    )
    if (plan.length === 0) {
      svc.printError(`No reset plan for group ${groupId} found`)
      return new Map()
    }
    return checkRange(
      svc,
      new Map(plan.map((e) => [tpKey(e.topic, e.partition), { tp: e, offset: e.offset }])),
    )
  }
  if (opts.has('to-current')) {
    const current = await svc.committed(groupId)
    const out = new Map<string, bigint>()
    const without = tps.filter((tp) => !current.has(tpKey(tp.topic, tp.partition)))
    for (const tp of tps) {
      const c = current.get(tpKey(tp.topic, tp.partition))
      if (c !== undefined) out.set(tpKey(tp.topic, tp.partition), c.offset)
    }
    const ends = await svc.logOffsets(without, LATEST)
    for (const tp of without)
      out.set(tpKey(tp.topic, tp.partition), ends.get(tpKey(tp.topic, tp.partition)) ?? 0n)
    return out
  }
  usageExit(
    ALL,
    "Option '[reset-offsets]' requires one of the following scenarios: [[to-offset], [shift-by], [to-datetime], [by-duration], [to-earliest], [to-latest], [to-current], [from-file]]",
  )
}

export async function resetOffsets(svc: GroupService): Promise<void> {
  const { opts } = svc.cmd
  const groupIds = await svc.groupIds()
  const descriptions = await svc.describe(groupIds)
  const rows: ResetRow[] = []
  let planned = 0
  for (const id of groupIds) {
    const state = stateName(descriptions.get(id)?.state ?? 'Dead')
    planned++
    if (state !== 'Empty' && state !== 'Dead') {
      svc.printError(
        `Assignments can only be reset if the group '${id}' is inactive, but the current state is ${state}.`,
      )
      continue
    }
    const tps = await partitionsToReset(svc, id)
    const prepared = await prepareOffsets(svc, id, tps)
    const plan = [...prepared].map(([key, offset]) => {
      const [topic, partition] = key.split('\u0000')
      return { group: id, topic, partition: Number(partition), offset }
    })
    if (opts.has('execute')) {
      const byTopic = new Map<string, { partition: number; offset: bigint }[]>()
      for (const p of plan)
        byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), { partition: p.partition, offset: p.offset }])
      if (byTopic.size > 0) {
        await svc.admin.alterConsumerGroupOffsets({
          groupId: id,
          topics: [...byTopic].map(([name, partitionOffsets]) => ({ name, partitionOffsets })),
        })
      }
    }
    rows.push(...plan.sort(byTopicPartition))
  }
  if (opts.has('export')) svc.io.out(`${exportCsv(rows, opts.values('group').length === 1)}\n`)
  else svc.io.out(formatResetPlan(rows, planned))
}
