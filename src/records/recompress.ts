// Rebuilds a produced record batch with another compression codec: what Kafka's broker does when a
// topic's compression.type (or the broker's) names a codec other than the one the producer used
// ('producer', the default, keeps batches as sent and never comes here).
//
// As Kafka's LogValidator does on this path: the records are decompressed and decoded (so a batch
// whose records do not decode is refused as corrupt), then written into a new batch with the target
// codec, offset deltas 0..n-1, base timestamp = the first record's, max timestamp = the largest,
// and a new CRC. The producer's idempotence and transaction fields (producer id, epoch, base
// sequence, transactional flag) and the partition leader epoch are kept, so sequence checks and
// transactions work on the rebuilt batch as on the original. Keys, values, headers, timestamps and
// record attributes are copied unchanged. Compression levels are the codecs' defaults.
//
// Batches this module built are remembered (weakly) so that produce validation can tell a zstd
// batch the broker made from one a producer sent with a Produce version that may not carry zstd.

import { BatchHeader, type Compression } from './batch-header.ts'
import { buildBatch, type RecordInput } from './builder.ts'
import { iterateRecords } from './record-iterator.ts'

const rebuilt = new WeakSet<Buffer>()

/** Whether `buf` is a batch recompressBatch made (not one a client sent). */
export function isBrokerCompressed(buf: Buffer): boolean {
  return rebuilt.has(buf)
}

/**
 * The batch at the start of `batch` (one whole v2 batch, base offset 0, as a producer sends it)
 * rebuilt with `codec`. Throws a SamsaError (CorruptBatch or Compression) when its CRC is wrong or
 * its records do not decompress or decode.
 */
export function recompressBatch(batch: Buffer, codec: Compression): Buffer {
  const h = new BatchHeader(batch, 0)
  const records: RecordInput[] = []
  for (const r of iterateRecords(batch, 0)) {
    records.push({
      key: r.key,
      value: r.value,
      headers: r.headers,
      timestamp: r.timestamp,
      attributes: r.attributes,
    })
  }
  const out = buildBatch(records, {
    baseOffset: h.baseOffset,
    partitionLeaderEpoch: h.partitionLeaderEpoch,
    compression: codec,
    producerId: h.producerId,
    producerEpoch: h.producerEpoch,
    baseSequence: h.baseSequence,
    transactional: h.isTransactional,
  })
  rebuilt.add(out)
  return out
}
