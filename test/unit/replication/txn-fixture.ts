// Shared fixture of the transaction tests (transactions*.test.ts): one partition 'txn' on a
// ReplicaManager over the memory Fs, transactional batches, markers through the local writer,
// fetches, and the data values a consumer would see.

import type { TopicName } from '../../../src/common/ids.ts'
import { buildBatch } from '../../../src/records/builder.ts'
import { batchRecords } from '../../../src/records/record-iterator.ts'
import type { FetchPartitionResult } from '../../../src/replication/fetch-reader.ts'
import { localTxnMarkerWriter } from '../../../src/replication/txn-markers.ts'
import { splitBatches } from '../../../src/storage/batch-scan.ts'
import type { Env } from './helpers.ts'

export const T = 'txn'

export function txnBatch(pid: bigint, seq: number, n: number, tag: string, epoch = 0): Buffer {
  const records = Array.from({ length: n }, (_, i) => ({
    key: `k${i}`,
    value: `${tag}-${i}`,
    timestamp: 1_700_000_000_000 + i,
  }))
  return buildBatch(records, {
    producerId: pid,
    producerEpoch: epoch,
    baseSequence: seq,
    transactional: true,
  })
}

export async function produce(env: Env, records: Buffer, transactionalId: string | null = 'tx') {
  const [o] = await env.rm.appendRecords({
    apiVersion: 9,
    acks: -1,
    transactionalId,
    topics: [{ name: T as TopicName, partitionData: [{ index: 0, records }] }],
  })
  return o
}

export function marker(
  env: Env,
  pid: bigint,
  commit: boolean,
  o: { epoch?: number; coordinatorEpoch?: number } = {},
) {
  return localTxnMarkerWriter(env.rm, { clock: env.clock }).write({
    producerId: pid,
    producerEpoch: o.epoch ?? 0,
    coordinatorEpoch: o.coordinatorEpoch ?? 5,
    commit,
    partitions: [{ topic: T, partition: 0 }],
  })
}

export async function fetch(
  env: Env,
  from: bigint,
  isolationLevel: number,
  maxWaitMs = 0,
): Promise<FetchPartitionResult> {
  const [r] = await env.rm.fetch(
    { replicaId: -1, maxWaitMs, minBytes: 1, maxBytes: 1 << 20, isolationLevel },
    [
      {
        topic: T,
        topicId: env.topics.get(T)!.topicId,
        partition: 0,
        fetchOffset: from,
        partitionMaxBytes: 1 << 20,
        currentLeaderEpoch: -1,
        lastFetchedEpoch: -1,
      },
    ],
  )
  return r
}

export const part = (env: Env) => env.rm.partition(T, 0)!
/** Values of the data records (control batches skipped, as consumers skip them). */
export function values(r: FetchPartitionResult): (string | null)[] {
  const out: (string | null)[] = []
  for (const b of splitBatches(r.records).batches) {
    const bytes = r.records.subarray(b.position, b.position + b.size)
    if ((bytes.readInt16BE(21) & 0x20) !== 0) continue
    for (const rec of batchRecords(bytes)) out.push(rec.value === null ? null : rec.value.toString())
  }
  return out
}
