// The follower's side of a KIP-227 fetch session with one leader (Kafka's FetchSessionHandler):
// what the leader remembers of our partitions, so that each Fetch names only the partitions that
// were added or whose fetch parameters changed, and forgets the ones we stopped fetching. The
// leader then reads every session partition and answers only those with news; a partition absent
// from an answer simply had nothing new.
//
// Session states, as the server reads them (server/fetch-session.ts):
//   no session yet, or after any error  → (0, 0) or (id, 0): a full fetch that (re)creates one
//   session id X, epoch n ≥ 1             → (X, n): incremental
// An answer with sessionId 0 to a full fetch means the leader kept no session (its cache is
// full), and to an incremental one that it closed the session (no partition left in it): the next
// fetch is full again. An error answer (FETCH_SESSION_ID_NOT_FOUND,
// INVALID_FETCH_SESSION_EPOCH, FETCH_SESSION_TOPIC_ID_ERROR, anything else) or a failed request
// drops the session: the next fetch is full and asks for a new one. Switching between topic ids
// (v13+) and names (older versions) starts a new session as well, as the leader would refuse it.

import type { FetchPartitionRequest } from './leader-endpoint.ts'

const INT32_MAX = 2147483647
const FETCH_SESSION_ID_NOT_FOUND = 70

/** One Fetch's session fields and the partitions to put on the wire. */
export interface SessionFetch {
  sessionId: number
  sessionEpoch: number
  /** A full fetch lists every partition; an incremental one the added and changed ones. */
  full: boolean
  send: FetchPartitionRequest[]
  forget: FetchPartitionRequest[]
  /** What the session holds once this request is answered without an error. */
  readonly next: Map<string, FetchPartitionRequest>
  readonly usesTopicIds: boolean
}

const keyOf = (p: FetchPartitionRequest) => `${p.topic}:${p.partition}`

const same = (a: FetchPartitionRequest, b: FetchPartitionRequest) =>
  a.fetchOffset === b.fetchOffset &&
  a.logStartOffset === b.logStartOffset &&
  a.partitionMaxBytes === b.partitionMaxBytes &&
  a.currentLeaderEpoch === b.currentLeaderEpoch &&
  a.lastFetchedEpoch === b.lastFetchedEpoch &&
  a.topicId === b.topicId

export class FetchSessionHandler {
  private sessionId = 0
  /** 0: the next fetch is full and creates a session. */
  private epoch = 0
  private usesTopicIds = false
  /** What the leader holds for us, by topic:partition. */
  private session = new Map<string, FetchPartitionRequest>()

  /** The session fields and partitions of the next Fetch, for the partitions to fetch now. */
  build(partitions: readonly FetchPartitionRequest[], usesTopicIds: boolean): SessionFetch {
    const next = new Map<string, FetchPartitionRequest>()
    for (const p of partitions) next.set(keyOf(p), p)
    if (this.epoch === 0 || usesTopicIds !== this.usesTopicIds) {
      // (0, 0) creates a session; (id, 0) closes ours and creates a new one.
      return {
        sessionId: this.sessionId,
        sessionEpoch: 0,
        full: true,
        send: [...partitions],
        forget: [],
        next,
        usesTopicIds,
      }
    }
    const send: FetchPartitionRequest[] = []
    for (const p of partitions) {
      const had = this.session.get(keyOf(p))
      if (had === undefined || !same(had, p)) send.push(p)
    }
    const forget: FetchPartitionRequest[] = []
    for (const [k, p] of this.session) if (!next.has(k)) forget.push(p)
    return {
      sessionId: this.sessionId,
      sessionEpoch: this.epoch,
      full: false,
      send,
      forget,
      next,
      usesTopicIds,
    }
  }

  /** The leader answered `sent` with this top-level error code and session id. */
  handleResponse(sent: SessionFetch, errorCode: number, sessionId: number): void {
    if (errorCode !== 0) {
      // The leader no longer knows our session: ask for a new one without naming the old.
      if (errorCode === FETCH_SESSION_ID_NOT_FOUND) this.sessionId = 0
      this.reset()
      return
    }
    if (sent.full) {
      if (sessionId === 0) {
        // No room in the leader's cache: stay sessionless, full fetches ask again.
        this.sessionId = 0
        this.epoch = 0
        this.session.clear()
        return
      }
      this.sessionId = sessionId
      this.epoch = 1
    } else if (sessionId !== this.sessionId) {
      // The leader closed the session (it does when the last partition is forgotten).
      this.sessionId = 0
      this.reset()
      return
    } else {
      this.epoch = this.epoch === INT32_MAX ? 1 : this.epoch + 1
    }
    this.usesTopicIds = sent.usesTopicIds
    this.session = sent.next
  }

  /** The request failed or its answer was unusable: the next fetch is full (a new session). */
  reset(): void {
    this.epoch = 0
    this.session.clear()
  }

  /** For tests and logs. */
  get state(): { sessionId: number; epoch: number; partitions: number } {
    return { sessionId: this.sessionId, epoch: this.epoch, partitions: this.session.size }
  }
}
