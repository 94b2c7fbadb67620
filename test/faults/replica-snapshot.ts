// The replica comparison after each nemesis of a fault run: every replica's batches below the high
// watermark (kafka-dump-log.sh over its segment files), taken while the ISR is known to be full
// and unchanged, so that a replica found behind the high watermark really was in the ISR then.
//
// Why the ISR is read again after the files: "full ISR" (ZooKeeper and metadata, nemeses.ts
// waitFullIsr) can be seen while a shrink is still on its way. A leader that asked the controller
// to drop a follower keeps counting that follower for its high watermark until the controller has
// written the smaller ISR (leader-isr.ts, maximal ISR); when its AlterPartition is held up (a
// one-way cut from the controller's broker to the leader delays its connection until the heal),
// the check may see the old full ISR, then the controller writes the shrink, the high watermark
// jumps past the dropped follower, and the dump of that follower (still catching up, correctly out
// of the ISR now) ends below it. That is how one 240 s run (seed 1383915058) reported broker 1 of
// faults-0 "behind the high watermark" with nothing wrong. Only a comparison during which every
// partition's state znode kept one version with a full ISR counts: then every replica was in the
// ISR, the leader's high watermark counted each of them (the leader never passes a member of the
// ISR it knows or is asking for), and a replica below it has lost acknowledged data. Otherwise it
// waits for a full ISR again and compares again (a few times).

import { connectZk } from '../../src/metadata/zk/zk-real.ts'
import { highWatermarks, liveBootstrap, replicaBatchesBelow } from '../e2e/replication-helpers.ts'
import type { TestCluster } from '../support/cluster.ts'
import { checkReplicas, type ReplicaSnapshot } from './checker.ts'
import { waitFullIsr } from './nemeses.ts'

/** One partition's state znode as read: ISR and data version (the partition epoch). */
export interface ZkPartitionState {
  partition: number
  isr: number[]
  version: number
}

/** Every partition's ISR and znode version in ZooKeeper. */
export async function zkPartitionStates(
  c: TestCluster,
  topic: string,
  partitions: number,
): Promise<ZkPartitionState[]> {
  const zk = await connectZk({ connect: c.connect, sessionTimeoutMs: 10000, connectionTimeoutMs: 10000 })
  try {
    const out: ZkPartitionState[] = []
    for (let p = 0; p < partitions; p++) {
      const node = await zk.getData(`/brokers/topics/${topic}/partitions/${p}/state`)
      const st = JSON.parse(node?.data?.toString() ?? '{}') as { isr?: number[] }
      out.push({ partition: p, isr: st.isr ?? [], version: node?.stat.version ?? -1 })
    }
    return out
  } finally {
    await zk.close()
  }
}

/**
 * The partitions whose state changed between two reads, or whose ISR was not all `replicas`
 * (empty: the ISR was full and stable in between). Pure, for the unit test.
 */
export function unsettled(
  before: readonly ZkPartitionState[],
  after: readonly ZkPartitionState[],
  replicas: number,
): string[] {
  const out: string[] = []
  for (const a of after) {
    const b = before.find((x) => x.partition === a.partition)
    if (b === undefined || b.version !== a.version)
      out.push(
        `p${a.partition} state changed (version ${b?.version ?? 'none'} -> ${a.version}, ISR [${a.isr}])`,
      )
    else if (a.isr.length !== replicas || b.isr.length !== replicas)
      out.push(`p${a.partition} ISR [${a.isr}] not full`)
  }
  return out
}

/** Every replica's batches below the HW, per partition (kafka-dump-log.sh). */
async function snapshot(
  c: TestCluster,
  topic: string,
  brokers: readonly number[],
): Promise<ReplicaSnapshot[]> {
  const hws = await highWatermarks(liveBootstrap(c), topic)
  const out: ReplicaSnapshot[] = []
  for (const [partition, hw] of hws) {
    out.push({ topic, partition, hw, batches: await replicaBatchesBelow(c, brokers, topic, partition, hw) })
  }
  return out
}

/**
 * The replicas' problems below the high watermark (checker.ts checkReplicas) from a comparison
 * made under a full, unchanged ISR; `log` hears of comparisons discarded because the ISR moved.
 */
export async function compareReplicas(
  c: TestCluster,
  o: { topic: string; partitions: number; brokers: readonly number[]; log(line: string): void },
  attempts = 4,
): Promise<string[]> {
  for (let attempt = 1; ; attempt++) {
    const before = await zkPartitionStates(c, o.topic, o.partitions)
    const problems = checkReplicas(await snapshot(c, o.topic, o.brokers))
    if (problems.length === 0) return problems
    const after = await zkPartitionStates(c, o.topic, o.partitions)
    const moved = unsettled(before, after, o.brokers.length)
    if (moved.length === 0 || attempt >= attempts) return problems
    o.log(
      `replica comparison discarded (the ISR moved while it ran: ${moved.join('; ')}; it saw ${problems.join('; ')}); comparing again under a full ISR`,
    )
    await waitFullIsr(c, o.topic, o.partitions, 60000)
  }
}
