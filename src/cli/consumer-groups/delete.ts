// kafka-consumer-groups.sh --delete (whole groups) and --delete-offsets (a group's offsets of some
// topics or partitions), with Kafka's messages.

import { errorMessage, kafkaErrorId } from '../common/kafka.ts'
import { parseTopicPartitions, type TopicPartitionRef } from './reset-plan.ts'
import { type GroupService, tpKey } from './service.ts'

export async function deleteGroups(svc: GroupService): Promise<void> {
  const groupIds = await svc.groupIds()
  const ok: string[] = []
  const failed: [string, string][] = []
  for (const g of groupIds) {
    try {
      await svc.admin.deleteGroups({ groups: [g] })
      ok.push(g)
    } catch (e) {
      failed.push([g, errorMessage(e)])
    }
  }
  if (failed.length === 0) {
    svc.io.out(`Deletion of requested consumer groups ('${ok.join(', ')}') was successful.\n`)
    return
  }
  svc.printError('Deletion of some consumer groups failed:')
  for (const [g, why] of failed) svc.io.out(`* Group '${g}' could not be deleted due to: ${why}\n`)
  if (ok.length > 0) svc.io.out(`\nThese consumer groups were deleted successfully: '${ok.join("'")}', '\n`)
}

export async function deleteOffsets(svc: GroupService): Promise<void> {
  const { opts } = svc.cmd
  const groupId = opts.value('group')!
  const topics = opts.values('topic')
  const partitions: TopicPartitionRef[] = topics.filter((t) => t.includes(':')).flatMap(parseTopicPartitions)
  const status = new Map<string, { tp: TopicPartitionRef; error: string | null }>()
  for (const t of topics.filter((x) => !x.includes(':'))) {
    try {
      partitions.push(...(await svc.partitionsOfTopics([t])))
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
    await svc.admin.deleteConsumerGroupOffsets({
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
      svc.io.out(`Request succeed for deleting offsets with topic ${topics.join(', ')} group ${groupId}\n`)
      break
    case 'INVALID_GROUP_ID':
      svc.printError(`'${groupId}' is not valid.`)
      break
    case 'GROUP_ID_NOT_FOUND':
      svc.printError(`'${groupId}' does not exist.`)
      break
    case 'GROUP_AUTHORIZATION_FAILED':
      svc.printError(`Access to '${groupId}' is not authorized.`)
      break
    case 'NON_EMPTY_GROUP':
      svc.printError(
        `Deleting offsets of a consumer group '${groupId}' is forbidden if the group is not empty.`,
      )
      break
    case 'GROUP_SUBSCRIBED_TO_TOPIC':
    case 'TOPIC_AUTHORIZATION_FAILED':
    case 'UNKNOWN_TOPIC_OR_PARTITION':
      svc.printError('Encounter some partition level error, see the follow-up details:')
      break
    default:
      svc.printError(`Encounter some unknown error: ${topLevel}`)
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
  svc.io.out(`${out}\n`)
}
