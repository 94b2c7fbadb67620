// TxnOffsetCommit: v0-4 (flexible 3+). Commits group offsets inside a transaction: written to the
// group's __consumer_offsets partition as a transactional batch of the producer, and visible to
// OffsetFetch only once the transaction's commit marker reaches that partition (dropped on abort).
// v3+ carries the consumer's generation, member id and group.instance.id (KIP-447), checked as
// Kafka does (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID); older versions are not
// checked against the group. Partitions of unknown topics answer UNKNOWN_TOPIC_OR_PARTITION.
// Not implemented: ACLs; checking that AddOffsetsToTxn came first (the transaction's marker must
// reach the partition, so a client that skipped it would see its offsets stay pending).

import type { TopicName } from '../../common/ids.ts'
import type { GroupCoordinator } from '../../coordinator/group/group-coordinator.ts'
import type { MetadataStore } from '../../metadata/store.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type TxnOffsetCommitRequest,
  type TxnOffsetCommitResponse,
  txnOffsetCommitRequestCodec,
  txnOffsetCommitResponseCodec,
} from '../../protocol/generated/messages/txn-offset-commit.ts'
import { AclOperation } from '../../security/acl-types.ts'
import { type Authorizing, callerOf, topicChecker } from '../../security/authorizer-check.ts'
import type { Handler } from '../handler.ts'

export interface TxnOffsetCommitServices extends Authorizing {
  readonly metadata: Pick<MetadataStore, 'image'>
  readonly groupCoordinator: Pick<GroupCoordinator, 'txnCommitOffsets'>
}

const errorOf = (req: TxnOffsetCommitRequest, errorCode: number): TxnOffsetCommitResponse => ({
  throttleTimeMs: 0,
  topics: req.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
  })),
})

export const txnOffsetCommitHandler: Handler<
  TxnOffsetCommitRequest,
  TxnOffsetCommitResponse,
  TxnOffsetCommitServices
> = {
  apiKey: 28,
  minVersion: 0,
  maxVersion: 4,
  request: txnOffsetCommitRequestCodec,
  response: txnOffsetCommitResponseCodec,
  async handle(ctx, req, s) {
    const version = ctx.apiVersion
    if (req.groupId === '') return errorOf(req, ErrorCode.INVALID_GROUP_ID)
    const image = s.metadata.image()
    const known = (topic: string, partition: number) =>
      image.topics.get(topic)?.partitions[partition] !== undefined
    // With an authorizer (transactional id WRITE and group READ are checked before this handler,
    // broker/authorizer-wiring.ts): READ on each topic, else TOPIC_AUTHORIZATION_FAILED for it.
    const caller = callerOf(s.authorizer, ctx.connection)
    const readable = caller === null ? null : topicChecker(caller, AclOperation.READ)
    const answers = new Map<string, number>()
    const topics = req.topics
      .filter((t) => {
        if (readable === null || readable(t.name)) return true
        for (const p of t.partitions)
          answers.set(`${p.partitionIndex}:${t.name}`, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
        return false
      })
      .map((t) => ({
        name: t.name,
        partitions: t.partitions
          .filter((p) => known(t.name, p.partitionIndex))
          .map((p) => ({
            partition: p.partitionIndex,
            offset: p.committedOffset,
            leaderEpoch: version >= 2 ? p.committedLeaderEpoch : -1,
            metadata: p.committedMetadata,
          })),
      }))
      .filter((t) => t.partitions.length > 0)
    if (topics.length > 0) {
      const r = await s.groupCoordinator.txnCommitOffsets({
        groupId: req.groupId,
        producerId: req.producerId,
        producerEpoch: req.producerEpoch,
        generationId: version >= 3 ? req.generationId : -1,
        memberId: version >= 3 ? req.memberId : '',
        groupInstanceId: version >= 3 ? req.groupInstanceId : null,
        topics,
      })
      for (const t of r)
        for (const p of t.partitions) answers.set(`${p.partitionIndex}:${t.name}`, p.errorCode)
    }
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name as TopicName,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: answers.get(`${p.partitionIndex}:${t.name}`) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        })),
      })),
    }
  },
  errorResponse: (req, _version, errorCode) => errorOf(req, errorCode),
}
