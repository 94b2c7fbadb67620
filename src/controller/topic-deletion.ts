// Topic deletion as Kafka's ZooKeeper-mode controller runs it (TopicDeletionManager, simplified):
// a broker that received DeleteTopics writes /admin/delete_topics/<t>; the controller marks the
// topic being deleted (no more elections for it), tells every live broker with UpdateMetadata that
// its partitions have leader -2 (LeaderDuringDelete, so they drop it from their metadata), sends
// StopReplica with deletePartition to every live replica, and once those have answered removes
// /brokers/topics/<t> (with its partition states), /config/topics/<t> and the admin node in one
// fenced multi. A name that is not a topic only has its admin node removed.
//
// Unlike Kafka, replicas on brokers that are down when the deletion runs are not waited for: a
// broker that comes back later still has the files of the deleted topic (it receives no
// LeaderAndIsr for it, so they are never served).

import type { ControllerContext, TopicPartition } from './controller-context.ts'
import type { ControllerZk } from './controller-zk.ts'
import type { RequestBatch } from './request-batch.ts'

/**
 * Starts deleting the topics named in /admin/delete_topics that are not being deleted yet; removes
 * the admin nodes of names that are not topics. Returns the topics whose deletion started: the
 * caller sends the batch and, when its StopReplica sends have settled, calls completeDeletion.
 */
export async function startDeletions(
  ctx: ControllerContext,
  zkw: ControllerZk,
  batch: RequestBatch,
  requested: readonly string[],
): Promise<string[]> {
  const started: string[] = []
  for (const name of requested) {
    if (!ctx.topics.has(name)) {
      await zkw.deleteTopicRequest(name)
      continue
    }
    if (ctx.topicsToDelete.has(name)) continue
    ctx.topicsToDelete.add(name)
    started.push(name)
    const partitions: TopicPartition[] = [...ctx.topics.get(name)!.assignment.keys()]
      .sort((a, b) => a - b)
      .map((partition) => ({ topic: name, partition }))
    batch.addUpdateMetadata(ctx.liveBrokers.keys(), partitions)
    for (const tp of partitions) for (const r of ctx.replicas(tp)) batch.addStopReplica(r, tp, true)
  }
  return started
}

/** Removes the znodes of topics whose replicas have been stopped, and forgets them. */
export async function completeDeletion(
  ctx: ControllerContext,
  zkw: ControllerZk,
  topics: readonly string[],
): Promise<void> {
  for (const t of topics) {
    if (!ctx.topicsToDelete.has(t)) continue
    await zkw.deleteTopic(t)
    ctx.removeTopic(t)
  }
}
