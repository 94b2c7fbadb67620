// Which partition of __consumer_offsets coordinates a group, computed exactly as Kafka does
// (`Utils.abs(groupId.hashCode()) % offsets.topic.num.partitions`, where Utils.abs is
// `x & 0x7fffffff`), so a group keeps its partition number when moving between Kafka and Samsa.

/** Java's String.hashCode over UTF-16 code units, with int32 overflow. */
export function javaStringHashCode(s: string): number {
  let h = 0
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0
  return h
}

export function groupPartition(groupId: string, numPartitions: number): number {
  return (javaStringHashCode(groupId) & 0x7fffffff) % numPartitions
}
