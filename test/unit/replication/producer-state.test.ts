import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { MemoryFs } from '../../../src/common/memory-fs.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  decrementSequence,
  incrementSequence,
  inSequence,
} from '../../../src/replication/producer-state/producer-entry.ts'
import { ProducerIdAllocator } from '../../../src/replication/producer-state/producer-id-allocator.ts'
import {
  loadSnapshotEntries,
  toSnapshotEntries,
} from '../../../src/replication/producer-state/producer-state-loader.ts'
import {
  ProducerStateManager,
  type SequenceCheck,
} from '../../../src/replication/producer-state/producer-state-manager.ts'
import {
  CorruptSnapshotError,
  decodeSnapshot,
  encodeSnapshot,
  loadLatestSnapshot,
  snapshotFileName,
  writeSnapshot,
} from '../../../src/replication/producer-state/snapshot-file.ts'

/** Checks and writes one batch at `offset`; returns the check result. */
function append(
  m: ProducerStateManager,
  pid: bigint,
  epoch: number,
  seq: number,
  count: number,
  offset: bigint,
): SequenceCheck {
  const u = m.begin(0)
  const c = u.check(pid, epoch, seq, count - 1)
  if (c.kind === 'append') {
    c.meta.firstOffset = offset
    c.meta.lastOffset = offset + BigInt(count - 1)
    c.meta.timestamp = 1000n
    u.commit(offset + BigInt(count))
  }
  return c
}

describe('sequence arithmetic', () => {
  it('wraps at int32 max like the Java producer', () => {
    assert.equal(incrementSequence(2147483647, 1), 0)
    assert.equal(incrementSequence(2147483640, 10), 2)
    assert.equal(decrementSequence(2, 10), 2147483640)
    assert.ok(inSequence(2147483647, 0))
    assert.ok(!inSequence(5, 7))
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2147483647 }), fc.integer({ min: 0, max: 100000 }), (s, d) => {
        assert.equal(decrementSequence(incrementSequence(s, d), d), s)
      }),
    )
  })
})

describe('ProducerStateManager', () => {
  it('accepts a new producer at any sequence, then requires the next one', () => {
    const m = new ProducerStateManager()
    assert.equal(append(m, 7n, 0, 42, 3, 0n).kind, 'append')
    assert.equal(append(m, 7n, 0, 45, 2, 3n).kind, 'append')
    const gap = append(m, 7n, 0, 48, 1, 5n)
    assert.equal(gap.kind, 'error')
    assert.equal(gap.kind === 'error' && gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
  })

  it('answers a duplicate in the five-batch window with its original offsets', () => {
    const m = new ProducerStateManager()
    let offset = 0n
    for (let i = 0; i < 6; i++) {
      assert.equal(append(m, 1n, 0, i * 2, 2, offset).kind, 'append')
      offset += 2n
    }
    // Batch 0 (seq 0-1) left the window; batches 1..5 are in it.
    const u = m.begin(0)
    const dup = u.check(1n, 0, 4, 1)
    assert.equal(dup.kind, 'duplicate')
    assert.equal(dup.kind === 'duplicate' && dup.meta.firstOffset, 4n)
    assert.equal(dup.kind === 'duplicate' && dup.meta.lastOffset, 5n)
    const old = u.check(1n, 0, 0, 1)
    assert.equal(old.kind === 'error' && old.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
    // A partial overlap is not a duplicate.
    const overlap = u.check(1n, 0, 4, 2)
    assert.equal(overlap.kind === 'error' && overlap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
  })

  it('fences older epochs and requires sequence 0 for a new epoch', () => {
    const m = new ProducerStateManager()
    assert.equal(append(m, 3n, 5, 0, 1, 0n).kind, 'append')
    const older = append(m, 3n, 4, 1, 1, 1n)
    assert.equal(older.kind === 'error' && older.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH)
    const badBump = append(m, 3n, 6, 9, 1, 1n)
    assert.equal(badBump.kind === 'error' && badBump.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
    assert.equal(append(m, 3n, 6, 0, 1, 1n).kind, 'append')
    assert.equal(m.get(3n)?.epoch, 6)
    assert.equal(m.get(3n)?.batches.length, 1)
  })

  it('stages checks: nothing changes until commit, batches of one group chain', () => {
    const m = new ProducerStateManager()
    const u = m.begin(0)
    assert.equal(u.check(9n, 0, 0, 4).kind, 'append')
    assert.equal(u.check(9n, 0, 5, 4).kind, 'append')
    const gap = u.check(9n, 0, 20, 0)
    assert.equal(gap.kind, 'error')
    assert.equal(m.get(9n), undefined)
    const dupInGroup = u.check(9n, 0, 0, 4)
    assert.equal(dupInGroup.kind, 'duplicate')
  })

  it('forgets producers whose data is gone and idle ones', () => {
    const m = new ProducerStateManager({ expirationMs: 1000 })
    append(m, 1n, 0, 0, 5, 0n)
    append(m, 2n, 0, 0, 5, 5n)
    m.truncateHead(5n)
    assert.equal(m.get(1n), undefined)
    assert.ok(m.get(2n))
    assert.equal(m.removeExpired(999), 0)
    assert.equal(m.removeExpired(1000), 1)
    assert.equal(m.producers.size, 0)
    // Unknown again: any sequence is accepted (KIP-360).
    assert.equal(append(m, 2n, 0, 77, 1, 10n).kind, 'append')
  })
})

describe('producer snapshot files', () => {
  it('use Kafka layout: int16 version, CRC-32C over bytes 6.., 46-byte entries', () => {
    const buf = encodeSnapshot([
      {
        producerId: 5n,
        epoch: 2,
        lastSequence: 9,
        lastOffset: 100n,
        offsetDelta: 4,
        timestamp: 1234n,
        coordinatorEpoch: -1,
        currentTxnFirstOffset: -1n,
      },
    ])
    assert.equal(buf.length, 2 + 4 + 4 + 46)
    assert.equal(buf.readInt16BE(0), 1)
    assert.equal(buf.readInt32BE(6), 1)
    assert.equal(buf.readBigInt64BE(10), 5n)
    const rows = decodeSnapshot(buf)
    assert.equal(rows[0].lastOffset, 100n)
    buf[20] ^= 1
    assert.throws(() => decodeSnapshot(buf), CorruptSnapshotError)
  })

  it('round-trip the whole five-batch window', () => {
    const m = new ProducerStateManager()
    let offset = 0n
    for (let i = 0; i < 7; i++) {
      append(m, 11n, 3, i * 3, 3, offset)
      offset += 3n
    }
    append(m, 12n, 0, 0, 1, offset)
    const rows = decodeSnapshot(encodeSnapshot(toSnapshotEntries(m)))
    assert.equal(rows.length, 6)
    const back = new ProducerStateManager()
    loadSnapshotEntries(back, rows, 0)
    assert.deepEqual(back.get(11n)?.batches, m.get(11n)?.batches)
    assert.equal(back.get(11n)?.epoch, 3)
    assert.deepEqual(back.get(12n)?.batches, m.get(12n)?.batches)
  })

  it('skip snapshots past the log end and corrupt ones, deleting them', async () => {
    const fs = new MemoryFs()
    await fs.mkdir('/p')
    await writeSnapshot(fs, '/p', 10n, [])
    await writeSnapshot(fs, '/p', 20n, [])
    await writeSnapshot(fs, '/p', 30n, [])
    const f = await fs.open(`/p/${snapshotFileName(20n)}`, 'rw')
    await f.write(Buffer.from([0xff]), 3)
    await f.close()
    const got = await loadLatestSnapshot(fs, '/p', 25n)
    assert.equal(got?.offset, 10n)
    assert.deepEqual((await fs.readdir('/p')).sort(), [snapshotFileName(10n)])
  })
})

describe('ProducerIdAllocator', () => {
  it('never hands out an id twice, across restarts', async () => {
    const fs = new MemoryFs()
    const a = new ProducerIdAllocator({ fs, logDir: '/d', brokerId: 1, blockSize: 3n })
    const first = await Promise.all([a.generate(), a.generate(), a.generate(), a.generate()])
    assert.deepEqual(first, [0n, 1n, 2n, 3n])
    const block = JSON.parse((await fs.readFile('/d/producer-id-block.json')).toString())
    assert.deepEqual(block, { version: 1, broker: 1, block_start: '3', block_end: '5' })
    const b = new ProducerIdAllocator({ fs, logDir: '/d', brokerId: 1, blockSize: 3n })
    assert.equal(await b.generate(), 6n)
  })
})
