// The state of one share-partition (KIP-932): which records of a topic partition a share group has
// handed out, to whom, how often, and which are done. It lives on the partition's leader and is
// the single writer of that state; time is passed in, never read, so tests drive it directly.
//
// Offsets below `startOffset` are done (acknowledged or archived). Offsets in [startOffset,
// endOffset) are "in flight" and each has an entry; offsets at or above `endOffset` have never been
// handed out (implicitly available, delivery count 0). A record is acquired by one member at a
// time, for a lock of `lockMs`; the member accepts it (done), releases it (available again) or
// rejects it (archived: never delivered again). A released record or one whose lock expired goes
// back to available, unless it has been delivered `deliveryLimit` times: then it is archived.
// The start offset moves up over done records, so the in-flight set stays small.

import { ErrorCode } from '../protocol/generated/error-codes.ts'

/** Kafka's RecordState numbering (the persisted DeliveryState uses 0, 2, 4). */
export const RecordState = { Available: 0, Acquired: 1, Acknowledged: 2, Archived: 4 } as const
export type RecordState = (typeof RecordState)[keyof typeof RecordState]

/** ShareFetch/ShareAcknowledge AcknowledgeTypes: 0 is a gap (no record at that offset). */
export const AckType = { Gap: 0, Accept: 1, Release: 2, Reject: 3 } as const

interface InFlight {
  state: RecordState
  deliveryCount: number
  memberId: string | null
  lockExpiresAt: number
}

/** An acquired range as ShareFetch reports it. */
export interface AcquiredRange {
  readonly firstOffset: bigint
  readonly lastOffset: bigint
  readonly deliveryCount: number
}

/** A batch of the log as read: its offsets and whether it is a control batch. */
export interface LogBatchSpan {
  readonly first: bigint
  readonly last: bigint
  readonly control: boolean
}

/** A range of offsets with one persisted state: the StateBatches of ShareSnapshot/ShareUpdate. */
export interface StateBatch {
  readonly firstOffset: bigint
  readonly lastOffset: bigint
  readonly deliveryState: number
  readonly deliveryCount: number
}

export interface PersistedState {
  readonly startOffset: bigint
  readonly stateBatches: readonly StateBatch[]
}

export interface SharePartitionLimits {
  readonly lockMs: number
  readonly deliveryLimit: number
  /** At most this many records in flight (group.share.partition.max.record.locks). */
  readonly maxInFlight: number
}

export class SharePartition {
  startOffset: bigint
  endOffset: bigint
  private readonly inflight = new Map<bigint, InFlight>()
  private readonly limits: SharePartitionLimits

  constructor(startOffset: bigint, limits: SharePartitionLimits, restored?: PersistedState) {
    this.limits = limits
    this.startOffset = restored?.startOffset ?? startOffset
    this.endOffset = this.startOffset
    for (const b of restored?.stateBatches ?? []) {
      for (let o = b.firstOffset; o <= b.lastOffset; o++) {
        if (o < this.startOffset) continue
        // A record whose last allowed delivery was in flight when the state was written is done.
        let state = b.deliveryState === RecordState.Acquired ? RecordState.Available : b.deliveryState
        if (state === RecordState.Available && b.deliveryCount >= limits.deliveryLimit)
          state = RecordState.Archived
        this.inflight.set(o, {
          state: state as RecordState,
          deliveryCount: b.deliveryCount,
          memberId: null,
          lockExpiresAt: 0,
        })
        if (o >= this.endOffset) this.endOffset = o + 1n
      }
    }
    this.advanceStart()
  }

  /** Where the next read of the log should start: the first available in-flight record, or the end. */
  nextFetchOffset(): bigint {
    for (let o = this.startOffset; o < this.endOffset; o++) {
      if (this.inflight.get(o)?.state === RecordState.Available) return o
    }
    return this.endOffset
  }

  /** Records currently acquired (locked) by anyone. */
  acquiredCount(): number {
    let n = 0
    for (const e of this.inflight.values()) if (e.state === RecordState.Acquired) n++
    return n
  }

  /**
   * Acquires for `memberId` the available records among `batches` (as read from the log at
   * nextFetchOffset()), at most `maxRecords`. Control batches are archived on the way.
   */
  acquire(
    memberId: string,
    batches: readonly LogBatchSpan[],
    maxRecords: number,
    now: number,
  ): AcquiredRange[] {
    const out: { firstOffset: bigint; lastOffset: bigint; deliveryCount: number }[] = []
    let taken = 0
    outer: for (const b of batches) {
      for (let o = b.first; o <= b.last; o++) {
        if (o < this.startOffset) continue
        if (taken >= maxRecords) break outer
        let e = this.inflight.get(o)
        if (e === undefined) {
          if (o < this.endOffset) continue // a gap inside the in-flight range (compacted away)
          if (this.endOffset - this.startOffset >= BigInt(this.limits.maxInFlight)) break outer
          e = { state: RecordState.Available, deliveryCount: 0, memberId: null, lockExpiresAt: 0 }
          this.inflight.set(o, e)
          // Offsets skipped between the old end and this one do not exist in the log.
          this.endOffset = o + 1n
        }
        if (b.control) {
          if (e.state === RecordState.Available) e.state = RecordState.Archived
          continue
        }
        if (e.state !== RecordState.Available) continue
        e.state = RecordState.Acquired
        e.deliveryCount++
        e.memberId = memberId
        e.lockExpiresAt = now + this.limits.lockMs
        taken++
        const last = out[out.length - 1]
        if (last !== undefined && last.lastOffset === o - 1n && last.deliveryCount === e.deliveryCount)
          last.lastOffset = o
        else out.push({ firstOffset: o, lastOffset: o, deliveryCount: e.deliveryCount })
      }
    }
    this.advanceStart()
    return out
  }

  /**
   * Applies one acknowledgement batch of `memberId`: one type for the whole range, or one per
   * offset. All-or-nothing: any record not acquired by this member fails the batch with
   * INVALID_RECORD_STATE (a lock that expired, a record never acquired, another member's record).
   */
  acknowledge(memberId: string, first: bigint, last: bigint, types: readonly number[]): number {
    if (last < first || types.length === 0) return ErrorCode.INVALID_REQUEST
    const count = Number(last - first + 1n)
    if (types.length !== 1 && types.length !== count) return ErrorCode.INVALID_REQUEST
    for (let i = 0; i < count; i++) {
      const type = types.length === 1 ? types[0] : types[i]
      if (type < AckType.Gap || type > AckType.Reject) return ErrorCode.INVALID_REQUEST
      const e = this.inflight.get(first + BigInt(i))
      if (type === AckType.Gap && e === undefined) continue
      if (e === undefined || e.state !== RecordState.Acquired || e.memberId !== memberId)
        return ErrorCode.INVALID_RECORD_STATE
    }
    for (let i = 0; i < count; i++) {
      const type = types.length === 1 ? types[0] : types[i]
      const e = this.inflight.get(first + BigInt(i))
      if (e === undefined) continue
      if (type === AckType.Accept) this.finish(e, RecordState.Acknowledged)
      else if (type === AckType.Release) this.makeAvailable(e)
      else this.finish(e, RecordState.Archived)
    }
    this.advanceStart()
    return ErrorCode.NONE
  }

  /** Locks that ran out: their records are available again (or archived at the limit). */
  expireLocks(now: number): boolean {
    let changed = false
    for (const e of this.inflight.values()) {
      if (e.state === RecordState.Acquired && e.lockExpiresAt <= now) {
        this.makeAvailable(e)
        changed = true
      }
    }
    if (changed) this.advanceStart()
    return changed
  }

  /** The member left (session closed or removed from the group): release what it holds. */
  releaseMember(memberId: string): boolean {
    let changed = false
    for (const e of this.inflight.values()) {
      if (e.state === RecordState.Acquired && e.memberId === memberId) {
        this.makeAvailable(e)
        changed = true
      }
    }
    if (changed) this.advanceStart()
    return changed
  }

  /** The state to persist: acquired records are stored as available (a new leader re-delivers). */
  persisted(): PersistedState {
    const batches: StateBatch[] = []
    for (let o = this.startOffset; o < this.endOffset; o++) {
      const e = this.inflight.get(o)
      if (e === undefined) continue
      const state = e.state === RecordState.Acquired ? RecordState.Available : e.state
      const last = batches[batches.length - 1]
      if (
        last !== undefined &&
        last.lastOffset === o - 1n &&
        last.deliveryState === state &&
        last.deliveryCount === e.deliveryCount
      ) {
        batches[batches.length - 1] = { ...last, lastOffset: o }
      } else
        batches.push({ firstOffset: o, lastOffset: o, deliveryState: state, deliveryCount: e.deliveryCount })
    }
    return { startOffset: this.startOffset, stateBatches: batches }
  }

  /**
   * The log no longer has the records before `offset` (retention, DeleteRecords): they are gone
   * for the group too, in flight or not.
   */
  moveStartTo(offset: bigint): void {
    if (offset <= this.startOffset) return
    for (const o of [...this.inflight.keys()]) if (o < offset) this.inflight.delete(o)
    this.startOffset = offset
    if (this.endOffset < offset) this.endOffset = offset
    this.advanceStart()
  }

  /** The state of one offset, for tests and describe tools. */
  stateOf(offset: bigint): { state: RecordState; deliveryCount: number } {
    if (offset < this.startOffset) return { state: RecordState.Acknowledged, deliveryCount: 0 }
    const e = this.inflight.get(offset)
    return e === undefined
      ? { state: RecordState.Available, deliveryCount: 0 }
      : { state: e.state, deliveryCount: e.deliveryCount }
  }

  private makeAvailable(e: InFlight): void {
    if (e.deliveryCount >= this.limits.deliveryLimit) this.finish(e, RecordState.Archived)
    else {
      e.state = RecordState.Available
      e.memberId = null
      e.lockExpiresAt = 0
    }
  }

  private finish(e: InFlight, state: RecordState): void {
    e.state = state
    e.memberId = null
    e.lockExpiresAt = 0
  }

  private advanceStart(): void {
    while (this.startOffset < this.endOffset) {
      const e = this.inflight.get(this.startOffset)
      if (e !== undefined && e.state !== RecordState.Acknowledged && e.state !== RecordState.Archived) break
      this.inflight.delete(this.startOffset)
      this.startOffset++
    }
  }
}
