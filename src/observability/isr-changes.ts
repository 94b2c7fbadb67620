// ISR shrinks and expands of the partitions this broker leads (Kafka's IsrShrinksPerSec and
// IsrExpandsPerSec, kafka_server_replicamanager_isrshrinks_total / _isrexpands_total), counted from
// the metadata images as they are published: an ISR change becomes visible there once the
// controller accepted it, which is when Kafka's leader counts it too. One pass over the
// partitions per metadata change, nothing on the request path.

import type { MetadataImage } from '../metadata/image.ts'

export interface IsrChanges {
  shrinks: number
  expands: number
}

/**
 * Counts, over the partitions led by `nodeId` in both images with the same leader epoch or a
 * newer one, the ISR changes from `prev` to `next`: a partition whose ISR lost members shrank,
 * one that gained members expanded (both when it did both).
 */
export function isrChanges(prev: MetadataImage, next: MetadataImage, nodeId: number): IsrChanges {
  const out = { shrinks: 0, expands: 0 }
  for (const [name, t] of next.topics) {
    const before = prev.topics.get(name)
    if (before === undefined || before.topicId !== t.topicId) continue
    for (const p of t.partitions) {
      if (p.leader !== nodeId) continue
      const q = before.partitions[p.partition]
      if (q === undefined || q.leader !== nodeId || q.isr === p.isr) continue
      let lost = false
      for (const r of q.isr) if (!p.isr.includes(r)) lost = true
      let gained = false
      for (const r of p.isr) if (!q.isr.includes(r)) gained = true
      if (lost) out.shrinks++
      if (gained) out.expands++
    }
  }
  return out
}
