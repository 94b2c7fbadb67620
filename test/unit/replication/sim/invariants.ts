// What the replication simulation checks after every step, and how it reads the replicas:
// (a) no two replicas differ below the smaller of their high watermarks (after an unclean election,
//     only among replicas that hold data of that epoch or later: the others may still carry the
//     divergent history that election gave up, until they truncate);
// (b) every batch acknowledged with acks=all (NONE) is at its offset, same bytes, on every live
//     replica in the controller's ISR, unless deleted (below that replica's log start); batches
//     acknowledged before an unclean election are exempt (that election is allowed to lose them);
// (c) a leader's high watermark never goes back within one leader epoch;
// (e) every live member of the controller's ISR holds at least the leader's high watermark (the
//     leader the controller names, once it leads that epoch): a leader never commits past a replica
//     the controller would elect, and an ISR member never truncates below it;
// (d) (convergence, see converged()) all replicas end with identical logs.

import { BatchOffsets } from '../../../../src/records/batch-header.ts'
import type { Partition } from '../../../../src/replication/partition.ts'
import { splitBatches } from '../../../../src/storage/batch-scan.ts'
import type { SimCluster } from './cluster.ts'

export interface BatchView {
  base: bigint
  last: bigint
  epoch: number
  /** The whole batch as stored. */
  bytes: Buffer
}

export interface ReplicaView {
  id: number
  leo: bigint
  hw: bigint
  logStart: bigint
  latestEpoch: number
  batches: BatchView[]
}

/** Everything below the log end of a replica, batch by batch. */
export async function replicaView(id: number, part: Partition): Promise<ReplicaView> {
  const log = part.log
  const leo = log.logEndOffset
  const hw = log.highWatermark
  const logStart = log.logStartOffset
  const batches: BatchView[] = []
  let offset = logStart
  while (offset < leo) {
    const r = await log.readRecords(offset, 1 << 20, { maxOffset: leo })
    const { batches: found } = splitBatches(r.records)
    if (found.length === 0) break
    for (const b of found)
      batches.push({
        base: b.baseOffset,
        last: b.lastOffset,
        epoch: b.partitionLeaderEpoch,
        bytes: Buffer.from(r.records.subarray(b.position, b.position + b.size)),
      })
    offset = found[found.length - 1]!.lastOffset + 1n
  }
  return { id, leo, hw, logStart, latestEpoch: log.epochCache.latestEpoch, batches }
}

/** The content of a client batch, independent of the offsets and epoch the leader gave it. */
export const payloadOf = (batch: Buffer): Buffer => batch.subarray(BatchOffsets.attributes)

export interface AckedBatch {
  topic: string
  partition: number
  base: bigint
  /** The batch as the client sent it. */
  sent: Buffer
  /** The controller's unclean generation when the batch was sent and when it was acknowledged. */
  generation: number
  what: string
}

export class InvariantChecker {
  readonly acked: AckedBatch[] = []
  private readonly leaderHw = new Map<string, bigint>()
  private readonly sim: SimCluster
  checks = 0

  constructor(sim: SimCluster) {
    this.sim = sim
  }

  /** Views of the live replicas of each partition. */
  async views(): Promise<Map<string, ReplicaView[]>> {
    const out = new Map<string, ReplicaView[]>()
    for (const st of this.sim.controller.partitions) {
      const list: ReplicaView[] = []
      for (const id of st.replicas) {
        const part = this.sim.partition(id, st.topic, st.partition)
        if (part !== null && !part.log.isOffline) list.push(await replicaView(id, part))
      }
      out.set(`${st.topic}-${st.partition}`, list)
    }
    return out
  }

  async check(): Promise<void> {
    this.checks++
    const views = await this.views()
    const ctl = this.sim.controller
    for (const st of ctl.partitions) {
      const key = `${st.topic}-${st.partition}`
      const list = views.get(key)!
      // (a)
      const since = ctl.lastUncleanEpoch.get(key)
      const current = list.filter((v) => since === undefined || v.latestEpoch >= since)
      for (let i = 0; i < current.length; i++)
        for (let j = i + 1; j < current.length; j++) agreeBelowHw(key, current[i]!, current[j]!)
      // (b)
      for (const a of this.acked) {
        if (a.topic !== st.topic || a.partition !== st.partition || a.generation !== ctl.uncleanGeneration)
          continue
        for (const id of st.isr) {
          const v = list.find((x) => x.id === id)
          if (v === undefined) continue
          if (a.base < v.logStart) continue // deleted (DeleteRecords), not lost
          const b = v.batches.find((x) => x.base === a.base)
          if (b === undefined || !payloadOf(b.bytes).equals(payloadOf(a.sent)))
            throw new Error(
              `(b) ${key}: acknowledged ${a.what} at offset ${a.base} is ${b === undefined ? 'missing' : 'different'} on ISR member ${id} (log end ${v.leo}, hw ${v.hw}, isr [${st.isr}])`,
            )
        }
      }
      // (c)
      for (const id of st.replicas) {
        const part = this.sim.partition(id, st.topic, st.partition)
        if (part === null || !part.isLeader) continue
        const k = `${id}/${key}/${part.leaderEpoch}`
        const hw = part.highWatermark
        const before = this.leaderHw.get(k)
        if (before !== undefined && hw < before)
          throw new Error(
            `(c) ${key}: leader ${id}'s high watermark went from ${before} to ${hw} in epoch ${part.leaderEpoch}`,
          )
        this.leaderHw.set(k, hw)
      }
      // (e)
      const lead = this.sim.partition(st.leader, st.topic, st.partition)
      if (lead?.isLeader && lead.leaderEpoch === st.leaderEpoch) {
        const hw = lead.highWatermark
        for (const id of st.isr) {
          const v = list.find((x) => x.id === id)
          if (v !== undefined && v.leo < hw)
            throw new Error(
              `(e) ${key}: ISR member ${id} ends at ${v.leo}, below leader ${st.leader}'s high watermark ${hw} (isr [${st.isr}], partition epoch ${st.partitionEpoch})`,
            )
        }
      }
    }
  }
}

const minBig = (a: bigint, b: bigint): bigint => (b < a ? b : a)

function agreeBelowHw(key: string, x: ReplicaView, y: ReplicaView): void {
  const bound = minBig(x.hw, y.hw)
  const from = -minBig(-x.logStart, -y.logStart)
  // A batch holding the log start may survive on one replica and not on another (a replica that
  // started over at a log start inside a batch): compare whole batches from the log start on.
  const below = (v: ReplicaView) => v.batches.filter((b) => b.base >= from && b.base < bound)
  const bx = below(x)
  const by = below(y)
  const n = Math.max(bx.length, by.length)
  for (let i = 0; i < n; i++) {
    const a = bx[i]
    const b = by[i]
    if (
      a === undefined ||
      b === undefined ||
      a.base !== b.base ||
      a.epoch !== b.epoch ||
      !a.bytes.equals(b.bytes)
    )
      throw new Error(
        `(a) ${key}: replicas ${x.id} and ${y.id} differ below ${bound} at batch ${i} (` +
          `${x.id}: ${a === undefined ? 'none' : `${a.base}..${a.last}@${a.epoch}`}, ` +
          `${y.id}: ${b === undefined ? 'none' : `${b.base}..${b.last}@${b.epoch}`}; ` +
          `hw ${x.hw}/${y.hw}, leo ${x.leo}/${y.leo})`,
      )
  }
}

/**
 * (d): one leader, every replica live, in the ISR, at the same log end and high watermark, and the
 * same batches, byte for byte.
 */
export async function converged(sim: SimCluster, checker: InvariantChecker): Promise<string | null> {
  const views = await checker.views()
  for (const st of sim.controller.partitions) {
    const key = `${st.topic}-${st.partition}`
    const list = views.get(key)!
    if (st.leader < 0) return `${key} has no leader`
    if (list.length !== st.replicas.length) return `${key}: only ${list.length} replicas live`
    if (st.isr.length !== st.replicas.length) return `${key}: ISR is [${st.isr}]`
    const lead = list.find((v) => v.id === st.leader)!
    // Log starts need not agree (DeleteRecords answers before every replica moved its own, and a
    // replica that missed it may lead later): compare whole batches from the highest one.
    let from = 0n
    for (const v of list) if (v.logStart > from) from = v.logStart
    const kept = (v: ReplicaView) => v.batches.filter((b) => b.base >= from)
    const leading = kept(lead)
    for (const v of list) {
      if (v.leo !== lead.leo || v.hw !== lead.leo)
        return `${key}: replica ${v.id} at leo ${v.leo} hw ${v.hw}, leader ${lead.id} at ${lead.leo}`
      const mine = kept(v)
      if (mine.length !== leading.length) return `${key}: replica ${v.id} batch count differs from ${from}`
      for (let i = 0; i < mine.length; i++)
        if (!mine[i]!.bytes.equals(leading[i]!.bytes))
          return `${key}: replica ${v.id} differs from leader ${lead.id} at batch ${mine[i]!.base}`
    }
  }
  return null
}
