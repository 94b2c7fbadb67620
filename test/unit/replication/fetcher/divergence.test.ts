// divergenceTruncationOffset: each of Kafka's truncation rules for a diverging epoch.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { divergenceTruncationOffset } from '../../../../src/replication/fetcher/divergence.ts'
import { MemoryFollowerLog } from './memory-follower-log.ts'

/** Epoch 0 at 0-9, epoch 2 at 10-19, epoch 4 at 20-24. */
function follower(): MemoryFollowerLog {
  const log = new MemoryFollowerLog('t', 0)
  const recs = (n: number) => Array.from({ length: n }, (_, i) => ({ value: `v${i}` }))
  log.write(recs(10), 0)
  log.write(recs(10), 2)
  log.write(recs(5), 4)
  return log
}

describe('divergenceTruncationOffset', () => {
  it('keeps the fetch offset when the leader has no end offset', () => {
    assert.equal(divergenceTruncationOffset(follower(), 25n, { epoch: -1, endOffset: -1n }), 25n)
  })
  it('takes the leader offset (capped by the LEO) when it comes without an epoch', () => {
    assert.equal(divergenceTruncationOffset(follower(), 25n, { epoch: -1, endOffset: 12n }), 12n)
    assert.equal(divergenceTruncationOffset(follower(), 25n, { epoch: -1, endOffset: 40n }), 25n)
  })
  it('takes min(ours, the leader’s) when both have the epoch', () => {
    assert.equal(divergenceTruncationOffset(follower(), 25n, { epoch: 2, endOffset: 15n }), 15n)
    assert.equal(divergenceTruncationOffset(follower(), 25n, { epoch: 2, endOffset: 30n }), 20n)
    assert.equal(divergenceTruncationOffset(follower(), 25n, { epoch: 4, endOffset: 22n }), 22n)
  })
  it('stops at the end of our older epoch when we never had the leader’s', () => {
    assert.equal(divergenceTruncationOffset(follower(), 25n, { epoch: 3, endOffset: 23n }), 20n)
    assert.equal(divergenceTruncationOffset(follower(), 25n, { epoch: 1, endOffset: 8n }), 10n)
  })
  it('takes the leader offset when our epoch cache has nothing to say', () => {
    const log = new MemoryFollowerLog('t', 0)
    log.write([{ value: 'a' }, { value: 'b' }, { value: 'c' }], -1)
    assert.equal(divergenceTruncationOffset(log, 3n, { epoch: 2, endOffset: 1n }), 1n)
    assert.equal(divergenceTruncationOffset(log, 3n, { epoch: 2, endOffset: 9n }), 3n)
  })
  it('truncates to our first epoch start when the leader’s epoch is older than all of ours', () => {
    // The epoch cache answers (requested epoch, start of our first epoch), as Kafka's does.
    const log = new MemoryFollowerLog('t', 0)
    log.write([{ value: 'a' }, { value: 'b' }, { value: 'c' }], 5)
    assert.equal(divergenceTruncationOffset(log, 3n, { epoch: 2, endOffset: 1n }), 0n)
  })
})
