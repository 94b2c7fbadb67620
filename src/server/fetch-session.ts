// KIP-227 incremental fetch sessions (Fetch v7+), with Kafka's semantics (FetchSession.scala):
//
//   request (sessionId, epoch)   meaning
//   (0, -1)                      full fetch, no session (and every Fetch below v7)
//   (0, 0)                       full fetch, create a session if the cache has room
//   (id, 0)                      close session id, full fetch, create a new session
//   (id, -1)                     close session id, full fetch, no new session
//   (id, n>0)                    incremental: the request lists only added/changed partitions,
//                                forgotten ones are removed; every session partition is read;
//                                the answer holds only partitions with news (records, a new
//                                high watermark or log start offset, an error, a diverging epoch)
//
// Errors: unknown id → FETCH_SESSION_ID_NOT_FOUND; wrong epoch → INVALID_FETCH_SESSION_EPOCH
// (also when another request of the session overtook this one while it waited); a session created
// with topic ids (v13+) used by an older version or the reverse → FETCH_SESSION_TOPIC_ID_ERROR.
// A new session starts at epoch 1; the epoch wraps from 2^31-1 to 1.
//
// The cache holds at most max.incremental.fetch.session.cache.slots sessions. When full, a new
// session takes the slot of a session unused for min.incremental.fetch.session.eviction.ms, or
// else of the least valuable one older than that (fewer partitions, not a follower's) if the new
// one is worth more; otherwise the fetch is answered without a session (sessionId 0), which
// clients handle by fetching in full again.
//
// Allocation: a fetch's context is an object with methods (no closures); a session keeps its
// partitions' fetch order as an array, rebuilt only when partitions are added, forgotten or
// reordered, and each partition's key, so an incremental fetch that changes nothing allocates
// only its answer's include flags.

import type { Clock } from '../common/clock.ts'
import type { Uuid } from '../common/ids.ts'
import { ErrorCode } from '../protocol/generated/error-codes.ts'

export const INVALID_SESSION_ID = 0
export const INITIAL_EPOCH = 0
export const FINAL_EPOCH = -1
const INT32_MAX = 2147483647

export function nextEpoch(epoch: number): number {
  if (epoch < 0) return FINAL_EPOCH
  return epoch === INT32_MAX ? 1 : epoch + 1
}

/** What a fetch asks of one partition (also what a session remembers of it). */
export interface SessionPartition {
  /** Topic name; null when the request names topics by id (v13+). */
  topic: string | null
  topicId: Uuid
  partition: number
  fetchOffset: bigint
  logStartOffset: bigint
  partitionMaxBytes: number
  currentLeaderEpoch: number
  lastFetchedEpoch: number
}

export interface ForgottenPartition {
  topic: string | null
  topicId: Uuid
  partition: number
}

/** The parts of a partition's answer the session compares with what it last sent. */
export interface SessionPartitionAnswer {
  errorCode: number
  highWatermark: bigint
  logStartOffset: bigint
  records: { length: number }
  divergingEpoch: unknown
}

export interface FetchContextResult {
  errorCode: number
  sessionId: number
  /** Which partitions (by index in `partitions`) go into the answer; null: all of them. */
  include: boolean[] | null
}

export interface FetchContext {
  /** A session error: answer with it and no partitions (partitions is then empty). */
  readonly errorCode: number
  /** The partitions to read, in answer order. */
  readonly partitions: readonly SessionPartition[]
  /** After reading (answers in `partitions` order): the session id, error and partitions to send. */
  complete(answers: readonly SessionPartitionAnswer[]): FetchContextResult
}

interface Cached {
  req: SessionPartition
  highWatermark: bigint
  logStartOffset: bigint
  /** Its key in the session's map (keyOf). */
  readonly key: string
}

class Session {
  readonly id: number
  readonly privileged: boolean
  readonly usesTopicIds: boolean
  readonly creationMs: number
  lastUsedMs: number
  epoch: number
  /** Insertion order is fetch order; partitions that returned data move to the end. */
  readonly partitions: Map<string, Cached>
  /** The map's values in order, and their requests; null once the map changed. */
  private ordered: Cached[] | null = null
  private requests: SessionPartition[] | null = null
  /** The map's last entry, when known (moving it to the end changes nothing). */
  private last: Cached | null = null

  constructor(
    id: number,
    privileged: boolean,
    usesTopicIds: boolean,
    now: number,
    parts: Map<string, Cached>,
  ) {
    this.id = id
    this.privileged = privileged
    this.usesTopicIds = usesTopicIds
    this.creationMs = now
    this.lastUsedMs = now
    this.epoch = nextEpoch(INITIAL_EPOCH)
    this.partitions = parts
    for (const c of parts.values()) this.last = c
  }

  add(c: Cached): void {
    this.partitions.set(c.key, c)
    this.last = c
    this.changed()
  }

  forget(key: string): void {
    const c = this.partitions.get(key)
    if (c === undefined) return
    this.partitions.delete(key)
    if (this.last === c) this.last = null
    this.changed()
  }

  /** The partitions in fetch order (an array the caller must not change). */
  order(): Cached[] {
    this.ordered ??= [...this.partitions.values()]
    return this.ordered
  }

  /** What the partitions ask, in fetch order (an array the caller must not change). */
  fetches(): SessionPartition[] {
    if (this.requests === null) {
      const order = this.order()
      const reqs = new Array<SessionPartition>(order.length)
      for (let i = 0; i < order.length; i++) reqs[i] = order[i]!.req
      this.requests = reqs
    }
    return this.requests
  }

  /** A partition was added or forgotten: the order is rebuilt when next asked. */
  changed(): void {
    this.ordered = null
    this.requests = null
  }

  /** A partition now asks something else (its place in the order is kept). */
  requestChanged(): void {
    this.requests = null
  }

  /** A partition that returned data goes to the end of the fetch order. */
  toEnd(c: Cached): void {
    if (this.last === c || this.partitions.get(c.key) !== c) return
    this.partitions.delete(c.key)
    this.partitions.set(c.key, c)
    this.last = c
    this.changed()
  }
}

const keyOf = (usesTopicIds: boolean, p: { topic: string | null; topicId: Uuid; partition: number }) =>
  usesTopicIds ? `${p.topicId}:${p.partition}` : `${p.topic}:${p.partition}`

export interface FetchSessionCacheOptions {
  clock: Clock
  /** max.incremental.fetch.session.cache.slots */
  maxEntries?: number
  /** min.incremental.fetch.session.eviction.ms */
  evictionMs?: number
  random?: () => number
}

export interface NewContextRequest {
  version: number
  sessionId: number
  sessionEpoch: number
  partitions: readonly SessionPartition[]
  forgotten: readonly ForgottenPartition[]
  /** A follower's fetch (its sessions are privileged). */
  isFollower: boolean
}

export class FetchSessionCache {
  private readonly clock: Clock
  readonly maxEntries: number
  readonly evictionMs: number
  private readonly random: () => number
  private readonly sessions = new Map<number, Session>()
  evictions = 0

  constructor(o: FetchSessionCacheOptions) {
    this.clock = o.clock
    this.maxEntries = o.maxEntries ?? 1000
    this.evictionMs = o.evictionMs ?? 120_000
    this.random = o.random ?? Math.random
  }

  get size(): number {
    return this.sessions.size
  }

  has(sessionId: number): boolean {
    return this.sessions.has(sessionId)
  }

  /** Partitions cached in a session (tests, metrics). */
  sessionPartitions(sessionId: number): SessionPartition[] {
    return [...(this.sessions.get(sessionId)?.partitions.values() ?? [])].map((c) => c.req)
  }

  newContext(r: NewContextRequest): FetchContext {
    const usesTopicIds = r.version >= 13
    const full = r.sessionEpoch === INITIAL_EPOCH || r.sessionEpoch === FINAL_EPOCH
    if (full) {
      if (r.sessionId !== INVALID_SESSION_ID) this.sessions.delete(r.sessionId)
      if (r.sessionEpoch === FINAL_EPOCH) return sessionless(r.partitions)
      return this.fullContext(r, usesTopicIds)
    }
    const s = this.sessions.get(r.sessionId)
    if (s === undefined) return errorContext(ErrorCode.FETCH_SESSION_ID_NOT_FOUND)
    if (s.epoch !== r.sessionEpoch) return errorContext(ErrorCode.INVALID_FETCH_SESSION_EPOCH)
    if (s.usesTopicIds !== usesTopicIds) return errorContext(ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR)
    for (const p of r.partitions) {
      const key = keyOf(usesTopicIds, p)
      const c = s.partitions.get(key)
      if (c === undefined) s.add({ req: p, highWatermark: -1n, logStartOffset: -1n, key })
      else {
        c.req = p
        s.requestChanged()
      }
    }
    for (const f of r.forgotten) s.forget(keyOf(usesTopicIds, f))
    if (s.partitions.size === 0) {
      this.sessions.delete(s.id)
      return sessionless(r.partitions)
    }
    s.lastUsedMs = this.clock.now()
    s.epoch = nextEpoch(s.epoch)
    return this.incrementalContext(s, r.sessionEpoch)
  }

  private fullContext(r: NewContextRequest, usesTopicIds: boolean): FetchContext {
    return new FullContext(this, r, usesTopicIds)
  }

  private incrementalContext(s: Session, requestEpoch: number): FetchContext {
    return new IncrementalContext(s, requestEpoch)
  }

  /** A new session's id, or INVALID_SESSION_ID when the cache has no room for it. */
  maybeCreate(privileged: boolean, usesTopicIds: boolean, parts: Map<string, Cached>): number {
    const now = this.clock.now()
    if (this.sessions.size >= this.maxEntries && !this.tryEvict(privileged, parts.size, now)) {
      return INVALID_SESSION_ID
    }
    let id = INVALID_SESSION_ID
    while (id === INVALID_SESSION_ID || this.sessions.has(id))
      id = 1 + Math.floor(this.random() * (INT32_MAX - 1))
    this.sessions.set(id, new Session(id, privileged, usesTopicIds, now, parts))
    return id
  }

  private tryEvict(privileged: boolean, size: number, now: number): boolean {
    let stalest: Session | null = null
    for (const s of this.sessions.values()) {
      if (stalest === null || s.lastUsedMs < stalest.lastUsedMs) stalest = s
    }
    if (stalest === null) return false
    if (now - stalest.lastUsedMs > this.evictionMs) return this.evict(stalest)
    // No stale session: the least valuable old enough one, if the new session is worth more.
    let victim: Session | null = null
    for (const s of this.sessions.values()) {
      const old = now - s.creationMs > this.evictionMs
      const evictable = privileged ? !s.privileged || old : old
      if (!evictable) continue
      if (victim === null || compareValue(s, victim) < 0) victim = s
    }
    if (victim === null) return false
    if (compareKeys(privileged, size, 0, victim) < 0) return false
    return this.evict(victim)
  }

  private evict(s: Session): boolean {
    this.sessions.delete(s.id)
    this.evictions++
    return true
  }
}

/** Orders sessions by (privileged, size, id): the smallest is the least valuable. */
function compareValue(a: Session, b: Session): number {
  return compareKeys(a.privileged, a.partitions.size, a.id, b)
}

function compareKeys(privileged: boolean, size: number, id: number, b: Session): number {
  if (privileged !== b.privileged) return privileged ? 1 : -1
  if (size !== b.partitions.size) return size - b.partitions.size
  return id - b.id
}

/** A full fetch that may start a session: the session is made from its answers. */
class FullContext implements FetchContext {
  readonly errorCode = ErrorCode.NONE
  readonly partitions: readonly SessionPartition[]
  private readonly cache: FetchSessionCache
  private readonly isFollower: boolean
  private readonly usesTopicIds: boolean

  constructor(cache: FetchSessionCache, r: NewContextRequest, usesTopicIds: boolean) {
    this.cache = cache
    this.partitions = r.partitions
    this.isFollower = r.isFollower
    this.usesTopicIds = usesTopicIds
  }

  complete(answers: readonly SessionPartitionAnswer[]): FetchContextResult {
    const parts = new Map<string, Cached>()
    for (let i = 0; i < this.partitions.length; i++) {
      const p = this.partitions[i]!
      const key = keyOf(this.usesTopicIds, p)
      parts.set(key, {
        req: p,
        highWatermark: answers[i]!.highWatermark,
        logStartOffset: answers[i]!.logStartOffset,
        key,
      })
    }
    const id = this.cache.maybeCreate(this.isFollower, this.usesTopicIds, parts)
    return { errorCode: ErrorCode.NONE, sessionId: id, include: null }
  }
}

/** An incremental fetch of a session: every session partition is read, those with news sent. */
class IncrementalContext implements FetchContext {
  readonly errorCode = ErrorCode.NONE
  readonly partitions: readonly SessionPartition[]
  private readonly session: Session
  private readonly cached: readonly Cached[]
  private readonly requestEpoch: number

  constructor(s: Session, requestEpoch: number) {
    this.session = s
    this.cached = s.order()
    this.partitions = s.fetches()
    this.requestEpoch = requestEpoch
  }

  complete(answers: readonly SessionPartitionAnswer[]): FetchContextResult {
    const s = this.session
    if (s.epoch !== nextEpoch(this.requestEpoch)) {
      return { errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH, sessionId: s.id, include: [] }
    }
    const cached = this.cached
    const include = new Array<boolean>(cached.length)
    for (let i = 0; i < cached.length; i++) {
      const c = cached[i]!
      const a = answers[i]!
      let news = a.records.length > 0 || a.divergingEpoch !== null
      if (c.highWatermark !== a.highWatermark) {
        news = true
        c.highWatermark = a.highWatermark
      }
      if (c.logStartOffset !== a.logStartOffset) {
        news = true
        c.logStartOffset = a.logStartOffset
      }
      if (a.errorCode !== ErrorCode.NONE) {
        news = true
        c.highWatermark = -1n
      }
      if (a.records.length > 0) s.toEnd(c)
      include[i] = news
    }
    return { errorCode: ErrorCode.NONE, sessionId: s.id, include }
  }
}

/** A session error: answered with it and no partitions. */
class ErrorContext implements FetchContext {
  readonly errorCode: number
  readonly partitions: readonly SessionPartition[] = NO_PARTITIONS
  constructor(errorCode: number) {
    this.errorCode = errorCode
  }
  complete(): FetchContextResult {
    return { errorCode: this.errorCode, sessionId: INVALID_SESSION_ID, include: [] }
  }
}

/** A fetch without a session (Fetch below v7, epoch -1, or a session that emptied). */
class Sessionless implements FetchContext {
  readonly errorCode = ErrorCode.NONE
  readonly partitions: readonly SessionPartition[]
  constructor(partitions: readonly SessionPartition[]) {
    this.partitions = partitions
  }
  complete(): FetchContextResult {
    return { errorCode: ErrorCode.NONE, sessionId: INVALID_SESSION_ID, include: null }
  }
}

const NO_PARTITIONS: readonly SessionPartition[] = Object.freeze([])

function errorContext(errorCode: number): FetchContext {
  return new ErrorContext(errorCode)
}

function sessionless(partitions: readonly SessionPartition[]): FetchContext {
  return new Sessionless(partitions)
}
