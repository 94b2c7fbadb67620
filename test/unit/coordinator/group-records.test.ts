// __consumer_offsets records in Kafka's byte layout, and Kafka's group -> partition mapping.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { groupPartition, javaStringHashCode } from '../../../src/coordinator/group/group-partition.ts'
import {
  decodeGroupValue,
  decodeKey,
  decodeOffsetValue,
  groupMetadataKey,
  groupMetadataRecord,
  offsetCommitKey,
  offsetCommitRecord,
  subscribedTopics,
} from '../../../src/coordinator/group/records.ts'
import { subscription } from './group-fixture.ts'

describe('__consumer_offsets records', () => {
  it('writes offset keys as version 1 (group, topic, partition) and group keys as version 2', () => {
    const expected = Buffer.concat([
      Buffer.from([0, 1]),
      Buffer.from([0, 2]),
      Buffer.from('g1'),
      Buffer.from([0, 3]),
      Buffer.from('top'),
      Buffer.from([0, 0, 0, 7]),
    ])
    assert.deepEqual(offsetCommitKey('g1', 'top', 7), expected)
    assert.deepEqual(groupMetadataKey('g1'), Buffer.concat([Buffer.from([0, 2, 0, 2]), Buffer.from('g1')]))
    assert.deepEqual(decodeKey(expected), { type: 'offset', group: 'g1', topic: 'top', partition: 7 })
    // Version 0 offset keys (old Kafka) read the same way; KIP-848 keys are recognised as other.
    const v0 = Buffer.from(expected)
    v0.writeInt16BE(0, 0)
    assert.equal(decodeKey(v0).type, 'offset')
    assert.deepEqual(decodeKey(Buffer.from([0, 3, 0, 0])), { type: 'other', version: 3 })
  })

  it('writes offset values as version 3, or 1 when an expire timestamp is set', () => {
    const base = { offset: 42n, leaderEpoch: 5, metadata: 'm', commitTimestamp: 1000, expireTimestamp: null }
    const v3 = offsetCommitRecord('g', 't', 0, base).value!
    assert.equal(v3.readInt16BE(0), 3)
    // offset int64, leaderEpoch int32, metadata string, commitTimestamp int64
    assert.equal(v3.length, 2 + 8 + 4 + 2 + 1 + 8)
    assert.deepEqual(decodeOffsetValue(v3), base)
    const withExpiry = { ...base, leaderEpoch: -1, expireTimestamp: 5000 }
    const v1 = offsetCommitRecord('g', 't', 0, withExpiry).value!
    assert.equal(v1.readInt16BE(0), 1)
    assert.deepEqual(decodeOffsetValue(v1), withExpiry)
  })

  it('round-trips group metadata values (version 3) with members and assignments', () => {
    const value = {
      protocolType: 'consumer',
      generation: 4,
      protocol: 'range',
      leader: 'm1',
      currentStateTimestamp: 123n,
      members: [
        {
          memberId: 'm1',
          groupInstanceId: 'i1',
          clientId: 'c',
          clientHost: '/10.0.0.1',
          rebalanceTimeout: 300000,
          sessionTimeout: 45000,
          subscription: Buffer.from([1, 2]),
          assignment: Buffer.from([3]),
        },
      ],
    }
    const rec = groupMetadataRecord('g', value)
    assert.equal(rec.value!.readInt16BE(0), 3)
    assert.deepEqual(decodeGroupValue(rec.value!), value)
  })

  it('reads the topics of a consumer subscription of any version, and refuses other bytes', () => {
    assert.deepEqual(subscribedTopics(subscription(['a', 'b'])), ['a', 'b'])
    const v0 = Buffer.concat([
      Buffer.from([0, 0, 0, 0, 0, 1, 0, 1]),
      Buffer.from('x'),
      Buffer.from([0xff, 0xff, 0xff, 0xff]),
    ])
    assert.deepEqual(subscribedTopics(v0), ['x'])
    assert.equal(subscribedTopics(Buffer.from('connect metadata')), null)
    assert.equal(subscribedTopics(Buffer.alloc(1)), null)
  })
})

describe('group partition', () => {
  it("uses Java's String.hashCode", () => {
    assert.equal(javaStringHashCode(''), 0)
    assert.equal(javaStringHashCode('hello'), 99162322)
    assert.equal(javaStringHashCode('Aa'), javaStringHashCode('BB'))
    assert.equal(javaStringHashCode('polygenelubricants'), -2147483648)
    // Over UTF-16 code units (a surrogate pair counts twice), as s[0]*31^(n-1) + ... mod 2^32.
    const reference = (s: string) => {
      let h = 0n
      for (let i = 0; i < s.length; i++) h += BigInt(s.charCodeAt(i)) * 31n ** BigInt(s.length - 1 - i)
      return Number(BigInt.asIntN(32, h))
    }
    for (const s of ['é€😀', 'consumer-group-1', 'x'.repeat(100)])
      assert.equal(javaStringHashCode(s), reference(s))
  })

  it("maps a group to abs(hash) % partitions with Kafka's abs (x & 0x7fffffff)", () => {
    assert.equal(groupPartition('polygenelubricants', 50), 0)
    assert.equal(groupPartition('hello', 50), 99162322 % 50)
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 1000 }), (g, n) => {
        const p = groupPartition(g, n)
        return Number.isInteger(p) && p >= 0 && p < n && p === (javaStringHashCode(g) & 0x7fffffff) % n
      }),
    )
  })
})
