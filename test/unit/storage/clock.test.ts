import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ManualClock, sleep, systemClock } from '../../../src/common/clock.ts'

describe('ManualClock', () => {
  it('fires due timers in time order, including ones scheduled while firing', () => {
    const c = new ManualClock(1000)
    const fired: string[] = []
    c.setTimeout(() => fired.push('b@30'), 30)
    c.setTimeout(() => {
      fired.push('a@10')
      c.setTimeout(() => fired.push('c@15'), 5)
    }, 10)
    const cancelled = c.setTimeout(() => fired.push('never'), 20)
    cancelled.cancel()
    c.advance(20)
    assert.deepEqual(fired, ['a@10', 'c@15'])
    assert.equal(c.now(), 1020)
    assert.equal(c.pending(), 1)
    c.advance(10)
    assert.deepEqual(fired, ['a@10', 'c@15', 'b@30'])
    assert.equal(c.pending(), 0)
  })

  it('advanceAsync lets async work started by a timer finish', async () => {
    const c = new ManualClock()
    let done = false
    const p = sleep(c, 100).then(async () => {
      await Promise.resolve()
      done = true
    })
    await c.advanceAsync(99)
    assert.equal(done, false)
    await c.advanceAsync(1)
    assert.equal(done, true)
    await p
  })
})

describe('systemClock', () => {
  it('reads the wall clock and runs timers', async () => {
    const before = Date.now()
    assert.ok(Math.abs(systemClock.now() - before) < 1000)
    await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 1))
  })
})
