// The two log layouts: Kafka's log4j text line (byte-exact, the shape users grep and tests match)
// and JSON lines (one parseable object per record, fields at the top level, errors as objects).

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { jsonLayout, log4jTimestamp, textLayout } from '../../../src/common/log-layout.ts'
import { createLogger, createRootLogger, LogLevel, type LogRecord } from '../../../src/common/logger.ts'

// 2026-12-06 14:31:52.836 in the machine's local time, as log4j's %d prints it.
const T = new Date(2026, 11, 6, 14, 31, 52, 836).getTime()
const rec = (over: Partial<LogRecord> = {}): LogRecord => ({
  time: T,
  level: LogLevel.info,
  logger: 'samsa.storage',
  msg: 'message',
  ...over,
})

describe('text layout (log4j [%d] %p %m (%c))', () => {
  it('prints exactly the Kafka line', () => {
    assert.equal(log4jTimestamp(new Date(2026, 0, 2, 3, 4, 5, 6).getTime()), '2026-01-02 03:04:05,006')
    assert.equal(textLayout(rec()), '[2026-12-06 14:31:52,836] INFO message (samsa.storage)')
    assert.equal(
      textLayout(rec({ level: LogLevel.trace, logger: 'samsa' })),
      '[2026-12-06 14:31:52,836] TRACE message (samsa)',
    )
  })

  it('appends fields as key=value, quoting values with spaces, quotes or =', () => {
    const line = textLayout(
      rec({
        level: LogLevel.debug,
        msg: 'Completed request',
        fields: {
          api: 'Produce',
          version: 9,
          clientId: 'my client',
          odd: 'a=b',
          none: null,
          gone: undefined,
          big: 2n ** 63n,
        },
      }),
    )
    assert.equal(
      line,
      '[2026-12-06 14:31:52,836] DEBUG Completed request api=Produce version=9 clientId="my client" odd="a=b" none=null big=9223372036854775808 (samsa.storage)',
    )
  })

  it("appends an error's stack after the message, as before", () => {
    const err = new Error('boom')
    assert.equal(
      textLayout(rec({ level: LogLevel.error, err })),
      `[2026-12-06 14:31:52,836] ERROR message: ${err.stack} (samsa.storage)`,
    )
    assert.equal(
      textLayout(rec({ level: LogLevel.error, err: 'plain' })),
      '[2026-12-06 14:31:52,836] ERROR message: plain (samsa.storage)',
    )
  })

  it('createLogger keeps its signature and line shape for injected sinks', () => {
    const lines: string[] = []
    const log = createLogger('samsa', LogLevel.info, (l) => lines.push(l))
    log.child('storage').info('loaded 3 logs')
    log.debug('hidden')
    log.error('failed', new Error('x'))
    assert.equal(lines.length, 2)
    assert.match(
      lines[0]!,
      /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\] INFO loaded 3 logs \(samsa\.storage\)$/,
    )
    assert.match(lines[1]!, /^\[[^\]]+\] ERROR failed: Error: x\n {4}at /)
    assert.match(lines[1]!, / \(samsa\)$/)
  })
})

describe('JSON layout', () => {
  it('writes time (ISO, UTC), level, logger, msg, then fields', () => {
    const line = jsonLayout(
      rec({ fields: { api: 'Fetch', correlationId: 7, clientId: null, n: 5n, skip: undefined } }),
    )
    assert.ok(!line.includes('\n'))
    assert.deepEqual(JSON.parse(line), {
      time: new Date(T).toISOString(),
      level: 'INFO',
      logger: 'samsa.storage',
      msg: 'message',
      api: 'Fetch',
      correlationId: 7,
      clientId: null,
      n: '5',
    })
    assert.deepEqual(Object.keys(JSON.parse(line)).slice(0, 4), ['time', 'level', 'logger', 'msg'])
  })

  it('never lets a field shadow the record keys', () => {
    const o = JSON.parse(
      jsonLayout(rec({ fields: { level: 'x', logger: 'y', msg: 'z', time: 1, err: 'e', ok: true } })),
    )
    assert.deepEqual(o, {
      time: new Date(T).toISOString(),
      level: 'INFO',
      logger: 'samsa.storage',
      msg: 'message',
      ok: true,
    })
  })

  it('writes an error as {type, message, code, stack}, on one line', () => {
    const err = Object.assign(new TypeError('bad "thing"\nsecond line'), { code: 'ERR_X' })
    const line = jsonLayout(rec({ level: LogLevel.error, err }))
    assert.ok(!line.includes('\n'))
    const o = JSON.parse(line)
    assert.equal(o.level, 'ERROR')
    assert.deepEqual(o.err, {
      type: 'TypeError',
      message: 'bad "thing"\nsecond line',
      code: 'ERR_X',
      stack: err.stack,
    })
    assert.deepEqual(JSON.parse(jsonLayout(rec({ err: 42 }))).err, { message: '42' })
  })

  it('is what createRootLogger writes with format json', () => {
    const lines: string[] = []
    const log = createRootLogger('samsa', { format: 'json', sink: (l) => lines.push(l), now: () => T })
    log.child('request').warn('slow', { ms: 12 })
    assert.deepEqual(
      lines.map((l) => JSON.parse(l)),
      [{ time: new Date(T).toISOString(), level: 'WARN', logger: 'samsa.request', msg: 'slow', ms: 12 }],
    )
  })
})
