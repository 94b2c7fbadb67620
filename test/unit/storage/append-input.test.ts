// The append path's input handling (storage/append-input.ts): finding the batches in a leader's
// or a follower's buffers, assigning a leader's offsets, and grouping the bytes into write chunks.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { BatchOffsets } from '../../../src/records/batch-header.ts'
import { assignLeaderOffsets, chunksOf, parseIncoming } from '../../../src/storage/append-input.ts'
import { StorageError } from '../../../src/storage/storage-error.ts'
import { makeBatch } from '../../support/storage-helpers.ts'

/** A batch of `n` records whose header says it starts at `base` with leader epoch `epoch`. */
function batchAt(n: number, base: bigint, epoch: number, ts = 1000): Buffer {
  const b = makeBatch(n, { ts })
  b.writeBigInt64BE(base, BatchOffsets.baseOffset)
  b.writeInt32BE(epoch, BatchOffsets.partitionLeaderEpoch)
  return b
}

describe('parseIncoming', () => {
  it("reads a follower's batches with their offsets and epochs, across buffers", () => {
    const a = batchAt(3, 10n, 4, 500)
    const b = batchAt(2, 13n, 5, 700)
    const c = batchAt(1, 15n, 5, 900)
    const got = parseIncoming([Buffer.concat([a, b]), c], true)
    assert.deepEqual(
      got.map((x) => [x.pos, x.size, x.baseOffset, x.lastOffset, x.lastOffsetDelta, x.epoch, x.recordsCount]),
      [
        [0, a.length, 10n, 12n, 2, 4, 3],
        [a.length, b.length, 13n, 14n, 1, 5, 2],
        [0, c.length, 15n, 15n, 0, 5, 1],
      ],
    )
    assert.deepEqual(
      got.map((x) => x.maxTimestamp),
      [502n, 701n, 900n],
    )
  })

  it("ignores a follower's partial batch at the end and refuses a leader's", () => {
    const a = batchAt(2, 0n, 1)
    const b = batchAt(2, 2n, 1)
    const cut = Buffer.concat([a, b]).subarray(0, a.length + b.length - 5)
    assert.equal(parseIncoming([cut], true).length, 1)
    assert.throws(
      () => parseIncoming([cut], false),
      (err: unknown) => {
        assert.ok(err instanceof StorageError)
        assert.match(err.message, new RegExp(`partial batch at byte ${a.length}`))
        return true
      },
    )
  })

  it("leaves a leader's offsets to assignLeaderOffsets, which numbers batches from the log end", () => {
    const a = batchAt(3, 77n, 9)
    const b = batchAt(1, 77n, 9)
    const got = parseIncoming([a, b], false)
    assert.deepEqual(
      got.map((x) => [x.baseOffset, x.lastOffset, x.epoch, x.lastOffsetDelta]),
      [
        [-1n, -1n, -1, 2],
        [-1n, -1n, -1, 0],
      ],
    )
    assignLeaderOffsets(got, 100n, 6, -1n)
    assert.deepEqual(
      got.map((x) => [x.baseOffset, x.lastOffset, x.epoch]),
      [
        [100n, 102n, 6],
        [103n, 103n, 6],
      ],
    )
    assert.equal(a.readBigInt64BE(BatchOffsets.baseOffset), 100n)
    assert.equal(b.readBigInt64BE(BatchOffsets.baseOffset), 103n)
    assert.equal(b.readInt32BE(BatchOffsets.partitionLeaderEpoch), 6)
  })

  it('finds nothing in empty input', () => {
    assert.deepEqual(parseIncoming([Buffer.alloc(0)], false), [])
    assert.deepEqual(parseIncoming([], true), [])
  })
})

describe('chunksOf', () => {
  it('writes a buffer holding exactly its batches as it is', () => {
    const buf = Buffer.concat([batchAt(2, 0n, 0), batchAt(1, 2n, 0)])
    const chunks = chunksOf(parseIncoming([buf], true))
    assert.equal(chunks.length, 1)
    assert.equal(chunks[0], buf)
  })

  it('merges back-to-back batches and cuts views where they are not', () => {
    const a = batchAt(1, 0n, 0)
    const b = batchAt(1, 1n, 0)
    const c = batchAt(1, 2n, 0)
    const d = batchAt(1, 3n, 0)
    const first = Buffer.concat([a, b, c])
    const second = Buffer.concat([d, Buffer.alloc(7)])
    const all = parseIncoming([first, second], true)
    // [a, c] from the first buffer are not back to back, then d from the second.
    const chunks = chunksOf([all[0], all[2], all[3]])
    assert.deepEqual(chunks, [a, c, d])
    assert.notEqual(chunks[2], second)
    assert.equal(chunks[2].buffer, second.buffer)
    // a and b are back to back: one view of both.
    assert.deepEqual(chunksOf([all[0], all[1]]), [Buffer.concat([a, b])])
  })
})
