// kafka-consumer-groups.sh --describe: offsets and lag (the default), --members [--verbose] and
// --state, printed as Kafka's ConsumerGroupCommand prints them.

import { formatMembers, formatOffsets, formatState, MISSING, type OffsetRow } from './format.ts'
import type { TopicPartitionRef } from './reset-plan.ts'
import { assignmentOf, byTopicPartition, type GroupService, LATEST, stateName, tpKey } from './service.ts'

export async function describeOffsets(svc: GroupService, groupIds: string[]): Promise<void> {
  const descriptions = await svc.describe(groupIds)
  for (const id of [...groupIds].sort()) {
    const d = descriptions.get(id)
    const state = stateName(d?.state ?? 'Dead')
    const committed = await svc.committed(id)
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
    if (!svc.shouldPrint(id, state, rows.length)) continue
    const ends = await svc.logOffsets(rows as TopicPartitionRef[], LATEST)
    svc.io.out(
      formatOffsets(
        rows.map((r) => {
          const end = ends.get(tpKey(r.topic!, r.partition!))
          return { ...r, logEndOffset: end === undefined || end < 0n ? null : end }
        }),
      ),
    )
  }
}

export async function describeMembers(
  svc: GroupService,
  groupIds: string[],
  verbose: boolean,
): Promise<void> {
  const descriptions = await svc.describe(groupIds)
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
    const known = svc.shouldPrint(id, state, rows.length)
    svc.io.out(formatMembers(rows, verbose, known))
  }
}

export async function describeState(svc: GroupService, groupIds: string[]): Promise<void> {
  const descriptions = await svc.describe(groupIds)
  const coordinators =
    groupIds.length === 0 ? [] : await svc.admin.findCoordinator({ keyType: 0, keys: groupIds })
  for (const id of [...groupIds].sort()) {
    const d = descriptions.get(id)
    const state = stateName(d?.state ?? 'Dead')
    if (!svc.shouldPrint(id, state, 1)) continue
    const c = coordinators.find((x) => x.key === id)
    svc.io.out(
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
