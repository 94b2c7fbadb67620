// Names of everything on disk, as Kafka spells them.
//
//   <log.dir>/
//     .kafka_cleanshutdown               written last on clean shutdown, removed at startup
//     recovery-point-offset-checkpoint   per partition: offset below which data is fsynced
//     log-start-offset-checkpoint        per partition: log start offset
//     replication-offset-checkpoint      per partition: high watermark
//     cleaner-offset-checkpoint          per partition: first offset not yet compacted
//     <topic>-<partition>/
//       00000000000000000000.log         record batches v2, back to back, exactly as appended
//       00000000000000000000.index       offset index
//       00000000000000000000.timeindex   time index
//       00000000000000000000.txnindex    aborted transactions (only once the segment has one)
//       leader-epoch-checkpoint
//       partition.metadata               topic id
//     <topic>-<partition>.<uuid>-delete/ a deleted partition waiting for removal
//
// Segment files are named by their base offset, zero-padded to 20 digits. Suffixes mark a
// file's state: `.deleted` (removal scheduled), `.cleaned` (compaction output being written),
// `.swap` (compaction output complete, replacing older segments).

export const LOG_SUFFIX = '.log'
export const INDEX_SUFFIX = '.index'
export const TIME_INDEX_SUFFIX = '.timeindex'
export const TXN_INDEX_SUFFIX = '.txnindex'
export const DELETED_SUFFIX = '.deleted'
export const CLEANED_SUFFIX = '.cleaned'
export const SWAP_SUFFIX = '.swap'
export const TMP_SUFFIX = '.tmp'
export const DELETE_DIR_SUFFIX = '-delete'

export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown'
export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint'
export const LOG_START_OFFSET_CHECKPOINT = 'log-start-offset-checkpoint'
export const HIGH_WATERMARK_CHECKPOINT = 'replication-offset-checkpoint'
export const CLEANER_OFFSET_CHECKPOINT = 'cleaner-offset-checkpoint'
export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint'
export const PARTITION_METADATA_FILE = 'partition.metadata'

/** The 20-digit, zero-padded file name stem of a base offset. */
export function offsetFileStem(offset: bigint): string {
  return offset.toString().padStart(20, '0')
}

export const logFileName = (base: bigint): string => offsetFileStem(base) + LOG_SUFFIX
export const indexFileName = (base: bigint): string => offsetFileStem(base) + INDEX_SUFFIX
export const timeIndexFileName = (base: bigint): string => offsetFileStem(base) + TIME_INDEX_SUFFIX
export const txnIndexFileName = (base: bigint): string => offsetFileStem(base) + TXN_INDEX_SUFFIX

const SEGMENT_FILE = /^(\d{20})\.(log|index|timeindex|txnindex)((?:\.deleted|\.cleaned|\.swap)?)$/

export interface SegmentFileName {
  baseOffset: bigint
  kind: 'log' | 'index' | 'timeindex' | 'txnindex'
  /** '' for a live file, else '.deleted' | '.cleaned' | '.swap'. */
  state: string
}

/** Parses a segment file name; null for anything else. */
export function parseSegmentFileName(name: string): SegmentFileName | null {
  const m = SEGMENT_FILE.exec(name)
  if (m === null) return null
  return { baseOffset: BigInt(m[1]), kind: m[2] as SegmentFileName['kind'], state: m[3] }
}

export interface TopicPartition {
  topic: string
  partition: number
}

export const tpKey = (topic: string, partition: number): string => `${topic}-${partition}`

/** The partition directory name, `<topic>-<partition>`. */
export const partitionDirName = (tp: TopicPartition): string => tpKey(tp.topic, tp.partition)

/**
 * Parses `<topic>-<partition>`; null for anything else (including `-delete`, `-future` and
 * `-stray` directories and names whose topic part is not a legal topic name).
 */
export function parsePartitionDirName(name: string): TopicPartition | null {
  const dash = name.lastIndexOf('-')
  if (dash <= 0) return null
  const topic = name.slice(0, dash)
  const digits = name.slice(dash + 1)
  if (!/^\d+$/.test(digits) || !/^[a-zA-Z0-9._-]+$/.test(topic)) return null
  const partition = Number(digits)
  return partition <= 2147483647 ? { topic, partition } : null
}

/** Kafka's name for a partition directory that is being deleted. */
export function deletedDirName(tp: TopicPartition, uniqueId: string): string {
  return `${partitionDirName(tp)}.${uniqueId}${DELETE_DIR_SUFFIX}`
}
