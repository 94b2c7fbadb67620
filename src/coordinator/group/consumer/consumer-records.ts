// The KIP-848 records of a consumer group in __consumer_offsets, in Kafka 4.0's format (key =
// int16 version + key struct of that version; value = int16 version 0 + flexible struct; null value =
// tombstone), and the one function that applies them to memory:
//
//   key v3 ConsumerGroupMetadata             { epoch }                       the group epoch
//   key v4 ConsumerGroupPartitionMetadata    { topics }                      subscribed topics
//   key v5 ConsumerGroupMemberMetadata       { instance, subscription, ... } per member
//   key v6 ConsumerGroupTargetAssignmentMetadata { assignmentEpoch }
//   key v7 ConsumerGroupTargetAssignmentMember   { topicPartitions }         per member
//   key v8 ConsumerGroupCurrentMemberAssignment  { epochs, state, assigned, pending } per member
//
// Operations emit these records and apply them at once with applyConsumerRecord; loading a
// partition applies the same records in log order, so both paths build the same state.

import type { Uuid } from '../../../common/ids.ts'
import type { MessageCodec } from '../../../protocol/codec.ts'
import { consumerGroupCurrentMemberAssignmentKeyCodec } from '../../../protocol/generated/records/consumer-group-current-member-assignment-key.ts'
import { consumerGroupCurrentMemberAssignmentValueCodec } from '../../../protocol/generated/records/consumer-group-current-member-assignment-value.ts'
import { consumerGroupMemberMetadataKeyCodec } from '../../../protocol/generated/records/consumer-group-member-metadata-key.ts'
import { consumerGroupMemberMetadataValueCodec } from '../../../protocol/generated/records/consumer-group-member-metadata-value.ts'
import { consumerGroupMetadataKeyCodec } from '../../../protocol/generated/records/consumer-group-metadata-key.ts'
import { consumerGroupMetadataValueCodec } from '../../../protocol/generated/records/consumer-group-metadata-value.ts'
import { consumerGroupPartitionMetadataKeyCodec } from '../../../protocol/generated/records/consumer-group-partition-metadata-key.ts'
import { consumerGroupPartitionMetadataValueCodec } from '../../../protocol/generated/records/consumer-group-partition-metadata-value.ts'
import { consumerGroupTargetAssignmentMemberKeyCodec } from '../../../protocol/generated/records/consumer-group-target-assignment-member-key.ts'
import { consumerGroupTargetAssignmentMemberValueCodec } from '../../../protocol/generated/records/consumer-group-target-assignment-member-value.ts'
import { consumerGroupTargetAssignmentMetadataKeyCodec } from '../../../protocol/generated/records/consumer-group-target-assignment-metadata-key.ts'
import { consumerGroupTargetAssignmentMetadataValueCodec } from '../../../protocol/generated/records/consumer-group-target-assignment-metadata-value.ts'
import { Reader } from '../../../protocol/primitives/reader.ts'
import { Writer } from '../../../protocol/primitives/writer.ts'
import type { CoordinatorRecord } from '../../runtime/coordinator-log.ts'
import {
  type Assignment,
  ConsumerGroup,
  type ConsumerMember,
  fromTopicPartitions,
  newMember,
  type SubscribedTopic,
  toTopicPartitions,
} from './consumer-group.ts'

export const ConsumerKey = {
  Metadata: 3,
  PartitionMetadata: 4,
  MemberMetadata: 5,
  TargetMetadata: 6,
  TargetMember: 7,
  CurrentAssignment: 8,
} as const

export function isConsumerKeyVersion(version: number): boolean {
  return version >= ConsumerKey.Metadata && version <= ConsumerKey.CurrentAssignment
}

function encode<T>(codec: MessageCodec<T>, version: number, msg: T): Buffer {
  const w = new Writer(2 + codec.size(msg, version, null))
  w.int16(version)
  codec.write(w, msg, version)
  return w.finish()
}

function decode<T>(codec: MessageCodec<T>, buf: Buffer, what: string): T {
  const r = new Reader(buf)
  const version = r.int16()
  if (r.error !== null || version < codec.minVersion) throw new Error(`${what}: unknown version ${version}`)
  // A newer version than ours is read as our newest (its extra fields are tagged or trailing).
  const msg = codec.decode(r, Math.min(version, codec.maxVersion))
  const failure = r.error as Error | null
  if (failure !== null) throw new Error(`${what}: ${failure.message}`)
  return msg
}

const wire = (a: Assignment) => toTopicPartitions(a).map((t) => ({ ...t, topicId: t.topicId as Uuid }))

const groupKey = (codec: MessageCodec<{ groupId: string }>, v: number, groupId: string) =>
  encode(codec, v, { groupId })
const memberKey = (
  codec: MessageCodec<{ groupId: string; memberId: string }>,
  v: number,
  groupId: string,
  memberId: string,
) => encode(codec, v, { groupId, memberId })

export function groupEpochRecord(groupId: string, epoch: number | null): CoordinatorRecord {
  return {
    key: groupKey(consumerGroupMetadataKeyCodec, ConsumerKey.Metadata, groupId),
    value: epoch === null ? null : encode(consumerGroupMetadataValueCodec, 0, { epoch }),
  }
}

export function partitionMetadataRecord(
  groupId: string,
  topics: ReadonlyMap<string, SubscribedTopic> | null,
): CoordinatorRecord {
  return {
    key: groupKey(consumerGroupPartitionMetadataKeyCodec, ConsumerKey.PartitionMetadata, groupId),
    value:
      topics === null
        ? null
        : encode(consumerGroupPartitionMetadataValueCodec, 0, {
            topics: [...topics]
              .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
              .map(([topicName, t]) => ({
                topicId: t.topicId as Uuid,
                topicName,
                numPartitions: t.numPartitions,
                partitionMetadata: [],
              })),
          }),
  }
}

export function memberMetadataRecord(
  groupId: string,
  memberId: string,
  m: ConsumerMember | null,
): CoordinatorRecord {
  return {
    key: memberKey(consumerGroupMemberMetadataKeyCodec, ConsumerKey.MemberMetadata, groupId, memberId),
    value:
      m === null
        ? null
        : encode(consumerGroupMemberMetadataValueCodec, 0, {
            instanceId: m.instanceId,
            rackId: m.rackId,
            clientId: m.clientId,
            clientHost: m.clientHost,
            subscribedTopicNames: [...m.subscribedTopicNames],
            subscribedTopicRegex: m.subscribedTopicRegex,
            rebalanceTimeoutMs: m.rebalanceTimeoutMs,
            serverAssignor: m.serverAssignor,
            classicMemberMetadata: null,
          }),
  }
}

export function targetMetadataRecord(groupId: string, assignmentEpoch: number | null): CoordinatorRecord {
  return {
    key: groupKey(consumerGroupTargetAssignmentMetadataKeyCodec, ConsumerKey.TargetMetadata, groupId),
    value:
      assignmentEpoch === null
        ? null
        : encode(consumerGroupTargetAssignmentMetadataValueCodec, 0, { assignmentEpoch }),
  }
}

export function targetMemberRecord(
  groupId: string,
  memberId: string,
  a: Assignment | null,
): CoordinatorRecord {
  return {
    key: memberKey(consumerGroupTargetAssignmentMemberKeyCodec, ConsumerKey.TargetMember, groupId, memberId),
    value:
      a === null
        ? null
        : encode(consumerGroupTargetAssignmentMemberValueCodec, 0, { topicPartitions: wire(a) }),
  }
}

export function currentAssignmentRecord(
  groupId: string,
  memberId: string,
  m: Pick<
    ConsumerMember,
    'memberEpoch' | 'previousMemberEpoch' | 'state' | 'assigned' | 'pendingRevocation'
  > | null,
): CoordinatorRecord {
  return {
    key: memberKey(
      consumerGroupCurrentMemberAssignmentKeyCodec,
      ConsumerKey.CurrentAssignment,
      groupId,
      memberId,
    ),
    value:
      m === null
        ? null
        : encode(consumerGroupCurrentMemberAssignmentValueCodec, 0, {
            memberEpoch: m.memberEpoch,
            previousMemberEpoch: m.previousMemberEpoch,
            state: m.state,
            assignedPartitions: wire(m.assigned),
            partitionsPendingRevocation: wire(m.pendingRevocation),
          }),
  }
}

export interface ConsumerRecordKey {
  readonly version: number
  readonly groupId: string
  readonly memberId: string
}

export function decodeConsumerKey(key: Buffer): ConsumerRecordKey {
  const version = key.readInt16BE(0)
  switch (version) {
    case ConsumerKey.Metadata:
      return {
        version,
        memberId: '',
        ...decode(consumerGroupMetadataKeyCodec, key, 'ConsumerGroupMetadataKey'),
      }
    case ConsumerKey.PartitionMetadata:
      return {
        version,
        memberId: '',
        ...decode(consumerGroupPartitionMetadataKeyCodec, key, 'PartitionMetadataKey'),
      }
    case ConsumerKey.TargetMetadata:
      return {
        version,
        memberId: '',
        ...decode(consumerGroupTargetAssignmentMetadataKeyCodec, key, 'TargetAssignmentMetadataKey'),
      }
    case ConsumerKey.MemberMetadata:
      return { version, ...decode(consumerGroupMemberMetadataKeyCodec, key, 'MemberMetadataKey') }
    case ConsumerKey.TargetMember:
      return {
        version,
        ...decode(consumerGroupTargetAssignmentMemberKeyCodec, key, 'TargetAssignmentMemberKey'),
      }
    case ConsumerKey.CurrentAssignment:
      return {
        version,
        ...decode(consumerGroupCurrentMemberAssignmentKeyCodec, key, 'CurrentMemberAssignmentKey'),
      }
    default:
      throw new Error(`not a consumer group record key: version ${version}`)
  }
}

/**
 * Applies one record to `groups` (creating the group or member it names, as Kafka's replay does).
 * A ConsumerGroupMetadata tombstone removes the group.
 */
export function applyConsumerRecord(
  groups: Map<string, ConsumerGroup>,
  key: Buffer,
  value: Buffer | null,
): void {
  const k = decodeConsumerKey(key)
  let group = groups.get(k.groupId)
  if (group === undefined) {
    if (value === null) return
    group = new ConsumerGroup(k.groupId)
    groups.set(k.groupId, group)
  }
  const member = (): ConsumerMember => {
    let m = group.members.get(k.memberId)
    if (m === undefined) {
      m = newMember(k.memberId)
      group.members.set(k.memberId, m)
    }
    return m
  }
  switch (k.version) {
    case ConsumerKey.Metadata:
      if (value === null) groups.delete(k.groupId)
      else
        group.groupEpoch = decode(consumerGroupMetadataValueCodec, value, 'ConsumerGroupMetadataValue').epoch
      return
    case ConsumerKey.PartitionMetadata: {
      const topics = new Map<string, SubscribedTopic>()
      if (value !== null)
        for (const t of decode(consumerGroupPartitionMetadataValueCodec, value, 'PartitionMetadataValue')
          .topics)
          topics.set(t.topicName, { topicId: t.topicId, numPartitions: t.numPartitions })
      group.subscribedTopics = topics
      return
    }
    case ConsumerKey.TargetMetadata:
      group.assignmentEpoch =
        value === null
          ? 0
          : decode(consumerGroupTargetAssignmentMetadataValueCodec, value, 'TargetMetadataValue')
              .assignmentEpoch
      return
    case ConsumerKey.TargetMember:
      if (value === null) group.target.delete(k.memberId)
      else
        group.target.set(
          k.memberId,
          fromTopicPartitions(
            decode(consumerGroupTargetAssignmentMemberValueCodec, value, 'TargetMemberValue').topicPartitions,
          ),
        )
      return
    case ConsumerKey.MemberMetadata: {
      if (value === null) {
        group.members.delete(k.memberId)
        return
      }
      const v = decode(consumerGroupMemberMetadataValueCodec, value, 'MemberMetadataValue')
      const m = member()
      m.instanceId = v.instanceId
      m.rackId = v.rackId
      m.clientId = v.clientId
      m.clientHost = v.clientHost
      m.subscribedTopicNames = v.subscribedTopicNames
      m.subscribedTopicRegex = v.subscribedTopicRegex
      m.rebalanceTimeoutMs = v.rebalanceTimeoutMs
      m.serverAssignor = v.serverAssignor
      return
    }
    case ConsumerKey.CurrentAssignment: {
      const m = group.members.get(k.memberId) ?? (value === null ? undefined : member())
      if (m === undefined) return
      if (value === null) {
        m.memberEpoch = 0
        m.previousMemberEpoch = 0
        m.state = 0
        m.assigned = new Map()
        m.pendingRevocation = new Map()
        return
      }
      const v = decode(consumerGroupCurrentMemberAssignmentValueCodec, value, 'CurrentMemberAssignmentValue')
      m.memberEpoch = v.memberEpoch
      m.previousMemberEpoch = v.previousMemberEpoch
      m.state = v.state
      m.assigned = fromTopicPartitions(v.assignedPartitions)
      m.pendingRevocation = fromTopicPartitions(v.partitionsPendingRevocation)
      return
    }
  }
}
