// ReadHints (storage/log-read.ts): the ring of recent batch starts a log keeps for sequential
// readers — the newest hint for an offset wins, the oldest are forgotten past 32, clear forgets all.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ReadHints } from '../../../src/storage/log-read.ts'
import type { LogSegment } from '../../../src/storage/log-segment.ts'

const seg = (name: string) => ({ name }) as unknown as LogSegment

describe('ReadHints', () => {
  it('finds a hint by offset and misses one it never had', () => {
    const h = new ReadHints()
    assert.equal(h.get(0n), undefined)
    const a = seg('a')
    h.set(10n, a, 100)
    h.set(20n, a, 200)
    assert.deepEqual(h.get(10n), { seg: a, position: 100 })
    assert.deepEqual(h.get(20n), { seg: a, position: 200 })
    assert.equal(h.get(15n), undefined)
    assert.equal(h.get(-1n), undefined, 'unfilled slots match nothing')
  })

  it('the newest hint for an offset wins', () => {
    const h = new ReadHints()
    const a = seg('a')
    const b = seg('b')
    h.set(5n, a, 1)
    h.set(6n, a, 2)
    h.set(5n, b, 3)
    assert.deepEqual(h.get(5n), { seg: b, position: 3 })
  })

  it('keeps the last 32 hints, across the ring wrapping several times', () => {
    const h = new ReadHints()
    const a = seg('a')
    for (let i = 0; i < 100; i++) h.set(BigInt(i), a, i * 10)
    for (let i = 0; i < 68; i++) assert.equal(h.get(BigInt(i)), undefined, `hint ${i} forgotten`)
    for (let i = 68; i < 100; i++) assert.deepEqual(h.get(BigInt(i)), { seg: a, position: i * 10 })
  })

  it('clear forgets every hint, and hints set after it are found', () => {
    const h = new ReadHints()
    const a = seg('a')
    for (let i = 0; i < 40; i++) h.set(BigInt(i), a, i)
    h.clear()
    for (let i = 0; i < 40; i++) assert.equal(h.get(BigInt(i)), undefined)
    h.set(7n, a, 70)
    assert.deepEqual(h.get(7n), { seg: a, position: 70 })
    assert.equal(h.get(39n), undefined)
  })
})
