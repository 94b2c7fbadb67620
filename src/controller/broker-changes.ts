// What the controller does when /brokers/ids changes (Kafka's BrokerChange: onBrokerFailure and
// onBrokerStartup). A broker whose znode vanished failed; a new id started; an id whose znode has a
// new czxid restarted, which counts as failed then started (its requests carry the new epoch).
//
// Failure: partitions it led get a new leader (offline election), it leaves every ISR (leader -1
// where it was the last one), and every live broker learns which replicas are offline.
// Startup: the other brokers learn the broker list, the new broker gets the full metadata and a
// LeaderAndIsr for every partition it hosts, and partitions waiting for a live replica (offline or
// never created) get a leader.

import type { Logger } from '../common/logger.ts'
import type { ControllerChannel } from './controller-channel.ts'
import type { ControllerContext, LiveBroker } from './controller-context.ts'
import type { PartitionOps } from './partition-ops.ts'
import type { RequestBatch } from './request-batch.ts'

export interface BrokerChangeDeps {
  readonly ctx: ControllerContext
  readonly ops: PartitionOps
  readonly channel: ControllerChannel
  readonly log: Logger
  readonly batch: () => RequestBatch
}

/** Brings the context from its live brokers to `fresh` (the current /brokers/ids). */
export async function applyBrokerChange(
  d: BrokerChangeDeps,
  fresh: ReadonlyMap<number, LiveBroker>,
): Promise<void> {
  const { ctx } = d
  const dead = [...ctx.liveBrokers.keys()].filter((id) => !fresh.has(id))
  const born = [...fresh.keys()].filter((id) => !ctx.liveBrokers.has(id))
  const bounced = [...fresh]
    .filter(([id, b]) => ctx.liveBrokers.has(id) && ctx.liveBrokers.get(id)!.epoch !== b.epoch)
    .map(([id]) => id)
  const byId = (a: number, b: number) => a - b
  const failed = [...dead, ...bounced].sort(byId)
  const started = [...born, ...bounced].sort(byId)
  if (failed.length > 0) {
    d.log.info(`Brokers failed: [${failed.join(',')}]`)
    for (const id of failed) {
      ctx.liveBrokers.delete(id)
      ctx.shuttingDown.delete(id)
      d.channel.removeBroker(id)
    }
    await onBrokersFailed(d, failed)
  }
  if (started.length > 0) {
    d.log.info(`Brokers started: [${started.join(',')}]`)
    for (const id of started) {
      const b = fresh.get(id)!
      ctx.liveBrokers.set(id, b)
      d.channel.addBroker(b.reg)
    }
    await onBrokersStarted(d, started)
  }
}

async function onBrokersFailed(d: BrokerChangeDeps, ids: readonly number[]): Promise<void> {
  const { ctx, ops } = d
  // New leaders go out before the ISR changes: clients find them one ZooKeeper pass sooner.
  const leaders = d.batch()
  await ops.electOffline(ops.offlinePartitions(), leaders)
  leaders.send()
  const batch = d.batch()
  for (const id of ids) await ops.removeFromIsr(id, ctx.activePartitions(id), batch)
  // Partitions whose state did not change still have new offline replicas to show.
  const hosted = ctx
    .activePartitions()
    .filter((tp) => ctx.state(tp) !== undefined && ctx.replicas(tp).some((r) => ids.includes(r)))
  batch.addUpdateMetadata(ctx.liveBrokers.keys(), hosted)
  batch.send()
}

async function onBrokersStarted(d: BrokerChangeDeps, ids: readonly number[]): Promise<void> {
  const { ctx, ops } = d
  const withState = ctx.allPartitions().filter((tp) => ctx.state(tp) !== undefined)
  const toExisting = d.batch()
  toExisting.addUpdateMetadata(
    [...ctx.liveBrokers.keys()].filter((id) => !ids.includes(id)),
    [],
  )
  toExisting.send()
  const toNew = d.batch()
  toNew.addUpdateMetadata(ids, withState)
  toNew.send()
  const batch = d.batch()
  for (const id of ids)
    for (const tp of withState)
      if (ctx.replicas(tp).includes(id) && !ctx.topicsToDelete.has(tp.topic)) batch.addLeaderAndIsr([id], tp)
  await ops.initNewPartitions(ops.newPartitions(), batch)
  await ops.electOffline(ops.offlinePartitions(), batch)
  batch.send()
}
