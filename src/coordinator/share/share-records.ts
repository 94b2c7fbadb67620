// The records of __share_group_state, in the layout of Kafka's share coordinator so its tools can
// read our log: key = int16 version (0: ShareSnapshotKey, 1: ShareUpdateKey) + { GroupId compact
// string, TopicId uuid, Partition int32, tagged fields }; value = int16 version 0 +
// { SnapshotEpoch int32, StateEpoch int32, LeaderEpoch int32, StartOffset int64,
//   StateBatches compact array of { FirstOffset int64, LastOffset int64, DeliveryState int8,
//   DeliveryCount int16, tagged fields }, tagged fields }.
// The schemas are not in the shared protocol directory, so this small codec is written by hand.
// Samsa writes snapshots only (each holds the whole state of a share-partition); it reads updates
// too, applying their batches over the snapshot.

import type { Uuid } from '../../common/ids.ts'
import { Reader } from '../../protocol/primitives/reader.ts'
import { compactStringSize, uvarintSize, Writer } from '../../protocol/primitives/writer.ts'
import type { PersistedState, StateBatch } from '../../share/share-partition.ts'
import type { CoordinatorRecord } from '../runtime/coordinator-log.ts'

export const SHARE_SNAPSHOT_KEY_VERSION = 0
export const SHARE_UPDATE_KEY_VERSION = 1

export interface SharePartitionKey {
  readonly groupId: string
  readonly topicId: Uuid
  readonly partition: number
}

export interface ShareStateValue extends PersistedState {
  readonly snapshotEpoch: number
  readonly stateEpoch: number
  readonly leaderEpoch: number
}

/** The key Kafka hashes to pick the __share_group_state partition: "group:topicId:partition". */
export function coordinatorKeyOf(k: SharePartitionKey): string {
  return `${k.groupId}:${k.topicId}:${k.partition}`
}

export function encodeShareKey(k: SharePartitionKey, version = SHARE_SNAPSHOT_KEY_VERSION): Buffer {
  const w = new Writer(2 + compactStringSize(k.groupId) + 16 + 4 + 1)
  w.int16(version)
  w.compactString(k.groupId)
  w.uuid(k.topicId)
  w.int32(k.partition)
  w.uvarint(0)
  return w.finish()
}

export function decodeShareKey(key: Buffer): { version: number; key: SharePartitionKey } | null {
  const r = new Reader(key)
  const version = r.int16()
  if (version !== SHARE_SNAPSHOT_KEY_VERSION && version !== SHARE_UPDATE_KEY_VERSION) return null
  const groupId = r.compactString()
  const topicId = r.uuid()
  const partition = r.int32()
  if (r.error !== null) throw new Error(`ShareSnapshotKey: ${r.error.message}`)
  return { version, key: { groupId, topicId, partition } }
}

const BATCH_SIZE = 8 + 8 + 1 + 2 + 1

export function encodeShareValue(v: ShareStateValue): Buffer {
  const n = v.stateBatches.length
  const w = new Writer(2 + 4 + 4 + 4 + 8 + uvarintSize(n + 1) + n * BATCH_SIZE + 1)
  w.int16(0)
  w.int32(v.snapshotEpoch)
  w.int32(v.stateEpoch)
  w.int32(v.leaderEpoch)
  w.int64(v.startOffset)
  w.uvarint(n + 1)
  for (const b of v.stateBatches) {
    w.int64(b.firstOffset)
    w.int64(b.lastOffset)
    w.int8(b.deliveryState)
    w.int16(b.deliveryCount)
    w.uvarint(0)
  }
  w.uvarint(0)
  return w.finish()
}

export function decodeShareValue(value: Buffer): ShareStateValue {
  const r = new Reader(value)
  r.int16()
  const snapshotEpoch = r.int32()
  const stateEpoch = r.int32()
  const leaderEpoch = r.int32()
  const startOffset = r.int64()
  const n = r.uvarint() - 1
  const stateBatches: StateBatch[] = []
  for (let i = 0; i < n && r.error === null; i++) {
    const firstOffset = r.int64()
    const lastOffset = r.int64()
    const deliveryState = r.int8()
    const deliveryCount = r.int16()
    skipTagged(r)
    stateBatches.push({ firstOffset, lastOffset, deliveryState, deliveryCount })
  }
  if (r.error !== null) throw new Error(`ShareSnapshotValue: ${r.error.message}`)
  return { snapshotEpoch, stateEpoch, leaderEpoch, startOffset, stateBatches }
}

function skipTagged(r: Reader): void {
  const count = r.uvarint()
  for (let i = 0; i < count && r.error === null; i++) {
    r.uvarint()
    r.skip(r.uvarint())
  }
}

export function shareSnapshotRecord(k: SharePartitionKey, v: ShareStateValue): CoordinatorRecord {
  return { key: encodeShareKey(k), value: encodeShareValue(v) }
}

export function shareTombstone(k: SharePartitionKey): CoordinatorRecord {
  return { key: encodeShareKey(k), value: null }
}
