// The rate-limited log of misbehaving peers (network/abuse-log.ts): the first event per source is
// logged in full, the rest counted and summarised once per interval; quiet sources are forgotten;
// counters (per log and process-wide) count everything.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createLogger, LogLevel } from '../../../src/common/logger.ts'
import { AbuseLog, abuseCounters } from '../../../src/network/abuse-log.ts'

describe('AbuseLog', () => {
  it('logs the first event per source, then one count line per interval', () => {
    const lines: string[] = []
    const abuse = new AbuseLog(
      createLogger('t', LogLevel.info, (l) => lines.push(l)),
      3_600_000,
    )
    const before = abuseCounters().events
    try {
      for (let i = 0; i < 1000; i++) abuse.report('10.9.9.1', `bad frame ${i}`)
      abuse.report('10.9.9.2', 'unknown api key 999')
      assert.equal(lines.length, 2)
      assert.match(lines[0]!, /WARN bad frame 0 \(further events from 10\.9\.9\.1 are counted/)
      assert.match(lines[1]!, /unknown api key 999/)
      abuse.summarise()
      assert.equal(lines.length, 3)
      assert.match(
        lines[2]!,
        /999 more malformed, refused or failed connections from 10\.9\.9\.1 .*last: bad frame 999/,
      )
      assert.deepEqual(abuse.counters, { events: 1001, logged: 2, suppressed: 999 })
      assert.equal(abuseCounters().events - before, 1001)
      // A quiet interval: both sources are forgotten, so the next event is logged in full again.
      abuse.summarise()
      abuse.report('10.9.9.1', 'bad frame again')
      assert.match(lines.at(-1)!, /bad frame again/)
    } finally {
      abuse.stop()
    }
  })
})
