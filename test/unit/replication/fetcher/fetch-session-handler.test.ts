// The follower's fetch session bookkeeping (KIP-227, client side): which partitions each Fetch
// names, which it forgets, and when the session starts over with a full fetch.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Uuid } from '../../../../src/common/ids.ts'
import { FetchSessionHandler } from '../../../../src/replication/fetcher/fetch-session-handler.ts'
import type { FetchPartitionRequest } from '../../../../src/replication/fetcher/leader-endpoint.ts'

const p = (partition: number, fetchOffset: bigint, o: Partial<FetchPartitionRequest> = {}) => ({
  topic: 't',
  topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' as Uuid,
  partition,
  fetchOffset,
  lastFetchedEpoch: 0,
  currentLeaderEpoch: 3,
  logStartOffset: 0n,
  partitionMaxBytes: 1 << 20,
  ...o,
})
const names = (xs: readonly FetchPartitionRequest[]) => xs.map((x) => `${x.partition}@${x.fetchOffset}`)

describe('FetchSessionHandler', () => {
  it('full fetch first, then only added and changed partitions, forgetting removed ones', () => {
    const h = new FetchSessionHandler()
    const first = h.build([p(0, 10n), p(1, 20n)], true)
    assert.deepEqual([first.sessionId, first.sessionEpoch, first.full], [0, 0, true])
    assert.deepEqual(names(first.send), ['0@10', '1@20'])
    h.handleResponse(first, 0, 77)
    const second = h.build([p(0, 10n), p(1, 25n)], true)
    assert.deepEqual([second.sessionId, second.sessionEpoch, second.full], [77, 1, false])
    assert.deepEqual(names(second.send), ['1@25'])
    assert.deepEqual(second.forget, [])
    h.handleResponse(second, 0, 77)
    // A new leader epoch is a change; partition 1 no longer fetched is forgotten; 2 is added.
    const third = h.build([p(0, 10n, { currentLeaderEpoch: 4 }), p(2, 0n)], true)
    assert.equal(third.sessionEpoch, 2)
    assert.deepEqual(names(third.send), ['0@10', '2@0'])
    assert.deepEqual(names(third.forget), ['1@25'])
    h.handleResponse(third, 0, 77)
    assert.deepEqual(h.state, { sessionId: 77, epoch: 3, partitions: 2 })
  })

  it('starts over with a full fetch after an error, a failed request or a closed session', () => {
    const h = new FetchSessionHandler()
    const open = () => {
      const f = h.build([p(0, 1n)], true)
      h.handleResponse(f, 0, 5)
    }
    open()
    // INVALID_FETCH_SESSION_EPOCH: close ours and ask for a new one, (5, 0).
    h.handleResponse(h.build([p(0, 2n)], true), 71, 0)
    const afterEpochError = h.build([p(0, 2n)], true)
    assert.deepEqual([afterEpochError.sessionId, afterEpochError.sessionEpoch], [5, 0])
    assert.deepEqual(names(afterEpochError.send), ['0@2'])
    // FETCH_SESSION_ID_NOT_FOUND: the leader forgot it, so (0, 0).
    open()
    h.handleResponse(h.build([p(0, 2n)], true), 70, 0)
    assert.deepEqual([h.build([p(0, 2n)], true).sessionId, h.build([p(0, 2n)], true).sessionEpoch], [0, 0])
    // A request that failed on the wire.
    open()
    h.reset()
    assert.equal(h.build([p(0, 2n)], true).full, true)
    // An incremental answer with session id 0: the leader closed the session.
    open()
    h.handleResponse(h.build([], true), 0, 0)
    assert.deepEqual([h.build([p(0, 2n)], true).sessionId, h.build([p(0, 2n)], true).sessionEpoch], [0, 0])
    // A full fetch answered without a session (the leader's cache is full): full again next time.
    const f = h.build([p(0, 2n)], true)
    h.handleResponse(f, 0, 0)
    assert.equal(h.build([p(0, 2n)], true).full, true)
  })

  it('switching between topic ids and names starts a new session', () => {
    const h = new FetchSessionHandler()
    const f = h.build([p(0, 1n)], true)
    h.handleResponse(f, 0, 9)
    const byName = h.build([p(0, 1n, { topicId: 'AAAAAAAAAAAAAAAAAAAAAA' as Uuid })], false)
    assert.deepEqual([byName.full, byName.sessionId, byName.sessionEpoch], [true, 9, 0])
  })
})
