// The share-partitions this broker leads, and the share sessions of the members fetching from it:
// the service behind ShareFetch and ShareAcknowledge.
//
// A share-partition is created on first use: its state is read through the persister from the
// share coordinator that leads its __share_group_state partition, here or on another broker
// (coordinator/share/share-persister.ts); without one it starts at the partition's high watermark (Kafka's
// share.auto.offset.reset=latest). After every change that acknowledges, releases or archives
// records the whole state is written back as a snapshot, and the client is answered only once
// that write is durable (a write that cannot reach the state leader fails the request).
// Acquisitions are not written (a lost acquisition is redelivered anyway).
//
// Who may call what: the share handlers call fetch/acknowledge/closeSession; the share group
// membership calls releaseMember when a member leaves.

import type { Clock } from '../common/clock.ts'
import type { TopicName, Uuid } from '../common/ids.ts'
import type { Logger } from '../common/logger.ts'
import type { ShareConfig } from '../coordinator/share/share-config.ts'
import type { SharePersister } from '../coordinator/share/share-persister.ts'
import type { SharePartitionKey } from '../coordinator/share/share-records.ts'
import { ErrorCode } from '../protocol/generated/error-codes.ts'
import { readBatches } from '../records/record-iterator.ts'
import type { ReplicaManager } from '../replication/replica-manager.ts'
import { type AcquiredRange, type LogBatchSpan, SharePartition } from './share-partition.ts'

export interface ShareFetchOutcome {
  readonly errorCode: number
  readonly records: Buffer | null
  readonly acquired: readonly AcquiredRange[]
  readonly leaderEpoch: number
}

export interface AckBatch {
  readonly firstOffset: bigint
  readonly lastOffset: bigint
  readonly acknowledgeTypes: readonly number[]
}

interface Entry {
  readonly key: SharePartitionKey
  sp: SharePartition | null
  loading: Promise<number> | null
  /** The partition's leader epoch when loaded: a change of leader in between reloads the state. */
  leaderEpoch: number
}

export interface SharePartitionsParams {
  readonly replicaManager: Pick<ReplicaManager, 'partitionById' | 'topicName' | 'fetch' | 'missingError'>
  readonly coordinator: Pick<SharePersister, 'readState' | 'writeState'>
  readonly config: ShareConfig
  readonly clock: Clock
  readonly logger: Logger
}

export class SharePartitions {
  private readonly p: SharePartitionsParams
  private readonly entries = new Map<string, Entry>()
  /** group \0 member -> the partitions in its share session ("topicId:partition"). */
  private readonly sessions = new Map<string, Set<string>>()

  constructor(p: SharePartitionsParams) {
    this.p = p
  }

  private entry(k: SharePartitionKey): Entry {
    const id = `${k.groupId}\0${k.topicId}\0${k.partition}`
    let e = this.entries.get(id)
    if (e === undefined) {
      e = { key: k, sp: null, loading: null, leaderEpoch: -1 }
      this.entries.set(id, e)
    }
    return e
  }

  /** The loaded share-partition, or an error code (the partition is not led here, state unreadable). */
  private async load(k: SharePartitionKey): Promise<{ e: Entry; sp: SharePartition } | number> {
    const topic = this.p.replicaManager.topicName(k.topicId)
    const part = this.p.replicaManager.partitionById(k.topicId, k.partition)
    if (topic === null || part === null)
      return this.p.replicaManager.missingError(topic, k.topicId, k.partition)
    const lead = part.leaderError()
    if (lead !== ErrorCode.NONE) return lead
    const e = this.entry(k)
    if (e.sp !== null && e.leaderEpoch !== part.leaderEpoch && e.loading === null) e.sp = null
    if (e.sp !== null) return { e, sp: e.sp }
    e.loading ??= (async () => {
      const read = await this.p.coordinator.readState(k)
      if (read.errorCode !== ErrorCode.NONE) return read.errorCode
      if (e.sp !== null) return ErrorCode.NONE
      const limits = {
        lockMs: this.p.config.lockMs,
        deliveryLimit: this.p.config.deliveryLimit,
        maxInFlight: this.p.config.maxInFlight,
      }
      const start = part.offsetSnapshot(-1).highWatermark
      e.sp = new SharePartition(start, limits, read.state ?? undefined)
      e.leaderEpoch = part.leaderEpoch
      return ErrorCode.NONE
    })().finally(() => {
      e.loading = null
    })
    const code = await e.loading
    if (code !== ErrorCode.NONE || e.sp === null)
      return code === ErrorCode.NONE ? ErrorCode.UNKNOWN_SERVER_ERROR : code
    return { e, sp: e.sp }
  }

  private async persist(e: Entry, sp: SharePartition, leaderEpoch: number): Promise<number> {
    const code = await this.p.coordinator.writeState(e.key, () => {
      const state = sp.persisted()
      return {
        // The state leader's share coordinator numbers the snapshots.
        snapshotEpoch: 0,
        stateEpoch: 0,
        leaderEpoch,
        startOffset: state.startOffset,
        stateBatches: state.stateBatches,
      }
    })
    if (code !== ErrorCode.NONE)
      this.p.logger.warn(`persisting share state of ${e.key.groupId} failed: ${code}`)
    return code
  }

  /** Adds partitions to (or, epoch 0, opens) a member's share session; forgets the given ones. */
  updateSession(groupId: string, memberId: string, epoch: number, add: string[], forget: string[]): number {
    const id = `${groupId}\0${memberId}`
    let s = this.sessions.get(id)
    if (epoch === 0) {
      s = new Set()
      this.sessions.set(id, s)
    } else if (s === undefined) return ErrorCode.SHARE_SESSION_NOT_FOUND
    for (const a of add) s.add(a)
    for (const f of forget) s.delete(f)
    return ErrorCode.NONE
  }

  sessionPartitions(groupId: string, memberId: string): string[] {
    return [...(this.sessions.get(`${groupId}\0${memberId}`) ?? [])]
  }

  /** The final epoch (-1): the session closes and the member's acquired records are released. */
  async closeSession(groupId: string, memberId: string): Promise<void> {
    this.sessions.delete(`${groupId}\0${memberId}`)
    await this.releaseMember(groupId, memberId)
  }

  async releaseMember(groupId: string, memberId: string): Promise<void> {
    for (const e of this.entries.values()) {
      if (e.key.groupId !== groupId || e.sp === null) continue
      if (e.sp.releaseMember(memberId)) await this.persist(e, e.sp, -1)
    }
  }

  async acknowledge(k: SharePartitionKey, memberId: string, batches: readonly AckBatch[]): Promise<number> {
    const loaded = await this.load(k)
    if (typeof loaded === 'number') return loaded
    const { e, sp } = loaded
    const now = this.p.clock.now()
    sp.expireLocks(now)
    let code: number = ErrorCode.NONE
    for (const b of batches) {
      const c = sp.acknowledge(memberId, b.firstOffset, b.lastOffset, b.acknowledgeTypes)
      if (c !== ErrorCode.NONE) code = c
    }
    const written = await this.persist(e, sp, -1)
    return code !== ErrorCode.NONE ? code : written
  }

  /** Acquires records for `memberId`: reads the log at the first available offset and locks what it can. */
  async fetch(
    k: SharePartitionKey,
    memberId: string,
    maxBytes: number,
    maxWaitMs: number,
  ): Promise<ShareFetchOutcome> {
    const none = (errorCode: number): ShareFetchOutcome => ({
      errorCode,
      records: null,
      acquired: [],
      leaderEpoch: -1,
    })
    const loaded = await this.load(k)
    if (typeof loaded === 'number') return none(loaded)
    const { e, sp } = loaded
    if (sp.expireLocks(this.p.clock.now())) await this.persist(e, sp, -1)
    // Records removed from the log (retention, DeleteRecords) are gone for the group too.
    const logStart = this.p.replicaManager
      .partitionById(k.topicId, k.partition)
      ?.offsetSnapshot(-1).logStartOffset
    if (logStart !== undefined && logStart > sp.startOffset) {
      sp.moveStartTo(logStart)
      await this.persist(e, sp, -1)
    }
    const topic = this.p.replicaManager.topicName(k.topicId) as TopicName
    const fetchOffset = sp.nextFetchOffset()
    const [r] = await this.p.replicaManager.fetch(
      {
        replicaId: -1,
        maxWaitMs: fetchOffset < sp.endOffset ? 0 : maxWaitMs,
        minBytes: 1,
        maxBytes,
        isolationLevel: 0,
      },
      [
        {
          topic,
          topicId: k.topicId,
          partition: k.partition,
          fetchOffset,
          partitionMaxBytes: maxBytes,
          currentLeaderEpoch: -1,
          lastFetchedEpoch: -1,
        },
      ],
    )
    const leaderEpoch = this.p.replicaManager.partitionById(k.topicId, k.partition)?.leaderEpoch ?? -1
    if (r.errorCode !== ErrorCode.NONE) return { ...none(r.errorCode), leaderEpoch }
    if (r.records.length === 0) return { errorCode: ErrorCode.NONE, records: null, acquired: [], leaderEpoch }
    const spans: LogBatchSpan[] = []
    for (const b of readBatches(r.records))
      spans.push({ first: b.baseOffset, last: b.lastOffset, control: b.isControl })
    const archivedBefore = sp.startOffset
    const acquired = sp.acquire(memberId, spans, this.p.config.maxFetchRecords, this.p.clock.now())
    if (sp.startOffset !== archivedBefore) await this.persist(e, sp, leaderEpoch)
    return {
      errorCode: ErrorCode.NONE,
      records: acquired.length > 0 ? r.records : null,
      acquired,
      leaderEpoch,
    }
  }

  /** A share-partition's state for describe tools and tests; null when not loaded here. */
  partition(k: SharePartitionKey): SharePartition | null {
    return this.entries.get(`${k.groupId}\0${k.topicId}\0${k.partition}`)?.sp ?? null
  }

  /** Start offsets of a group's loaded share-partitions (kafka-share-groups.sh --describe). */
  startOffsets(groupId: string): { topicId: Uuid; partition: number; startOffset: bigint }[] {
    const out: { topicId: Uuid; partition: number; startOffset: bigint }[] = []
    for (const e of this.entries.values())
      if (e.key.groupId === groupId && e.sp !== null)
        out.push({ topicId: e.key.topicId, partition: e.key.partition, startOffset: e.sp.startOffset })
    return out
  }
}
