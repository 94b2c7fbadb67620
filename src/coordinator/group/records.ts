// The records of __consumer_offsets, in Kafka's own format so that Kafka's tools (and Kafka itself,
// reading our log) understand them. Key and value are each an int16 schema version followed by the
// struct of that version:
//
//   key version 0 or 1   OffsetCommitKey { group, topic, partition }     value OffsetCommitValue v0-4
//   key version 2        GroupMetadataKey { group }                      value GroupMetadataValue v0-4
//   key version 3+       KIP-848 / share-group records (ignored here)
//   null value           tombstone: the key's offset or group is gone
//
// We write what Kafka 3.x-4.0 writes: offset keys v1, offset values v3 (v1 when the commit carries
// an explicit expire timestamp, OffsetCommit v2-4's retention time), group keys v2, group values v3.

import type { MessageCodec } from '../../protocol/codec.ts'
import { consumerProtocolSubscriptionCodec } from '../../protocol/generated/records/consumer-protocol-subscription.ts'
import { groupMetadataKeyCodec } from '../../protocol/generated/records/group-metadata-key.ts'
import {
  type GroupMetadataValue,
  groupMetadataValueCodec,
} from '../../protocol/generated/records/group-metadata-value.ts'
import { offsetCommitKeyCodec } from '../../protocol/generated/records/offset-commit-key.ts'
import {
  type OffsetCommitValue,
  offsetCommitValueCodec,
} from '../../protocol/generated/records/offset-commit-value.ts'
import { Reader } from '../../protocol/primitives/reader.ts'
import { Writer } from '../../protocol/primitives/writer.ts'
import type { CoordinatorRecord } from '../runtime/coordinator-log.ts'

export const OFFSET_KEY_VERSION = 1
export const GROUP_KEY_VERSION = 2
export const OFFSET_VALUE_VERSION = 3
/** The value version that carries expireTimestamp. */
export const OFFSET_VALUE_VERSION_WITH_EXPIRY = 1
export const GROUP_VALUE_VERSION = 3

export type RecordKey =
  | { readonly type: 'offset'; readonly group: string; readonly topic: string; readonly partition: number }
  | { readonly type: 'group'; readonly group: string }
  | { readonly type: 'other'; readonly version: number }

function versioned<T>(codec: MessageCodec<T>, version: number, msg: T): Buffer {
  const w = new Writer(2 + codec.size(msg, version, null))
  w.int16(version)
  codec.write(w, msg, version)
  return w.finish()
}

function readVersioned<T>(codec: MessageCodec<T>, buf: Buffer, what: string): T {
  const r = new Reader(buf)
  const version = r.int16()
  const v = Math.min(version, codec.maxVersion)
  if (r.error !== null || version < codec.minVersion) throw new Error(`${what}: unknown version ${version}`)
  // A newer value version than we know is read as our newest, as Kafka reads ahead-of-time data.
  const msg = codec.decode(r, v)
  const failure = r.error as Error | null
  if (failure !== null) throw new Error(`${what}: ${failure.message}`)
  return msg
}

export function offsetCommitKey(group: string, topic: string, partition: number): Buffer {
  return versioned(offsetCommitKeyCodec, OFFSET_KEY_VERSION, { group, topic, partition })
}

export function groupMetadataKey(group: string): Buffer {
  return versioned(groupMetadataKeyCodec, GROUP_KEY_VERSION, { group })
}

export function decodeKey(key: Buffer): RecordKey {
  if (key.length < 2) throw new Error(`record key of ${key.length} bytes`)
  const version = key.readInt16BE(0)
  if (version === 0 || version === 1) {
    const k = readVersioned(offsetCommitKeyCodec, key, 'OffsetCommitKey')
    return { type: 'offset', group: k.group, topic: k.topic, partition: k.partition }
  }
  if (version === 2)
    return { type: 'group', group: readVersioned(groupMetadataKeyCodec, key, 'GroupMetadataKey').group }
  return { type: 'other', version }
}

export interface OffsetRecordValue {
  readonly offset: bigint
  readonly leaderEpoch: number
  readonly metadata: string
  readonly commitTimestamp: number
  /** Only from OffsetCommit v2-4 with a retention time: the offset's own expiry. */
  readonly expireTimestamp: number | null
}

export function offsetCommitRecord(group: string, topic: string, partition: number, v: OffsetRecordValue) {
  const value: OffsetCommitValue = {
    offset: v.offset,
    leaderEpoch: v.leaderEpoch,
    metadata: v.metadata,
    commitTimestamp: BigInt(v.commitTimestamp),
    expireTimestamp: v.expireTimestamp === null ? -1n : BigInt(v.expireTimestamp),
  }
  const version = v.expireTimestamp === null ? OFFSET_VALUE_VERSION : OFFSET_VALUE_VERSION_WITH_EXPIRY
  return {
    key: offsetCommitKey(group, topic, partition),
    value: versioned(offsetCommitValueCodec, version, value),
  } satisfies CoordinatorRecord
}

export function decodeOffsetValue(value: Buffer): OffsetRecordValue {
  const v = readVersioned(offsetCommitValueCodec, value, 'OffsetCommitValue')
  return {
    offset: v.offset,
    leaderEpoch: v.leaderEpoch,
    metadata: v.metadata,
    commitTimestamp: Number(v.commitTimestamp),
    expireTimestamp: v.expireTimestamp < 0n ? null : Number(v.expireTimestamp),
  }
}

export function offsetTombstone(group: string, topic: string, partition: number): CoordinatorRecord {
  return { key: offsetCommitKey(group, topic, partition), value: null }
}

export function groupMetadataRecord(group: string, value: GroupMetadataValue): CoordinatorRecord {
  return {
    key: groupMetadataKey(group),
    value: versioned(groupMetadataValueCodec, GROUP_VALUE_VERSION, value),
  }
}

export function groupTombstone(group: string): CoordinatorRecord {
  return { key: groupMetadataKey(group), value: null }
}

export function decodeGroupValue(value: Buffer): GroupMetadataValue {
  return readVersioned(groupMetadataValueCodec, value, 'GroupMetadataValue')
}

/**
 * The topics of a consumer's subscription (ConsumerProtocolSubscription, JoinGroup metadata of
 * protocol type "consumer"), or null when the bytes are not one. Fields of versions newer than we
 * know are skipped, as Kafka's consumer protocol reads them.
 */
export function subscribedTopics(metadata: Buffer): string[] | null {
  if (metadata.length < 2) return null
  const r = new Reader(metadata)
  const version = r.int16()
  if (version < 0) return null
  const s = consumerProtocolSubscriptionCodec.decode(
    r,
    Math.min(version, consumerProtocolSubscriptionCodec.maxVersion),
  )
  return r.error === null ? s.topics : null
}
