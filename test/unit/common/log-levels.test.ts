// Per-logger levels, log4j's way: a name's own level, else its nearest dotted ancestor's, else the
// root's; changes reach loggers created earlier. And the request logger (samsa.request.logger) of
// the dispatcher: one DEBUG line per served request with its fields, nothing when it is off.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  createRootLogger,
  type Logger,
  LogLevel,
  LogLevels,
  parseLogLevel,
} from '../../../src/common/logger.ts'
import { encodeRequestFrame } from '../../../src/protocol/frame.ts'
import { apiVersionsRequestCodec } from '../../../src/protocol/generated/messages/api-versions.ts'
import { Dispatcher } from '../../../src/server/dispatcher.ts'
import { apiVersionsHandler } from '../../../src/server/handlers/api-versions.ts'
import { Registry } from '../../../src/server/registry.ts'

function tree(levels: LogLevels): { log: Logger; lines: string[] } {
  const lines: string[] = []
  return { log: createRootLogger('samsa', { levels, format: 'json', sink: (l) => lines.push(l) }), lines }
}
const loggers = (lines: string[]) => lines.map((l) => JSON.parse(l) as { logger: string; level: string })

describe('per-logger levels', () => {
  it('uses the own name, else the nearest dotted ancestor, else the root', () => {
    const levels = new LogLevels(
      LogLevel.info,
      new Map([
        ['samsa.request.logger', LogLevel.debug],
        ['samsa.controller', LogLevel.warn],
      ]),
    )
    assert.equal(levels.levelOf('samsa.request.logger'), LogLevel.debug)
    assert.equal(levels.levelOf('samsa.request'), LogLevel.info)
    assert.equal(levels.levelOf('samsa.controller.election'), LogLevel.warn)
    // A dash is not a dot: samsa.controller-channel is not under samsa.controller.
    assert.equal(levels.levelOf('samsa.controller-channel'), LogLevel.info)

    const { log, lines } = tree(levels)
    const request = log.child('request')
    request.child('logger').debug('one request')
    request.debug('hidden')
    log.child('storage').debug('hidden')
    log.child('controller').info('hidden')
    log.child('controller').warn('shown')
    assert.deepEqual(
      loggers(lines).map((r) => `${r.level} ${r.logger}`),
      ['DEBUG samsa.request.logger', 'WARN samsa.controller'],
    )
  })

  it('applies a change to loggers created before it', () => {
    const levels = new LogLevels(LogLevel.info)
    const { log, lines } = tree(levels)
    const storage = log.child('storage')
    assert.equal(storage.isEnabled(LogLevel.debug), false)
    levels.set('samsa.storage', LogLevel.debug)
    assert.equal(storage.isEnabled(LogLevel.debug), true)
    storage.debug('now shown')
    levels.set('samsa.storage', null)
    levels.setRoot(LogLevel.off)
    storage.error('hidden')
    assert.equal(storage.isEnabled(LogLevel.error), false)
    assert.equal(lines.length, 1)
  })

  it("OFF silences even ERROR and nothing is ever enabled 'at' OFF", () => {
    const { log, lines } = tree(new LogLevels(LogLevel.trace, new Map([['samsa.quiet', LogLevel.off]])))
    log.child('quiet').error('x', new Error('y'))
    assert.equal(log.isEnabled(LogLevel.off), false)
    assert.equal(log.isEnabled(LogLevel.trace), true)
    assert.equal(lines.length, 0)
  })

  it('parses log4j level names', () => {
    assert.equal(parseLogLevel('debug'), LogLevel.debug)
    assert.equal(parseLogLevel(' WARN '), LogLevel.warn)
    assert.equal(parseLogLevel('FATAL'), LogLevel.error)
    assert.equal(parseLogLevel('ALL'), LogLevel.trace)
    assert.equal(parseLogLevel('OFF'), LogLevel.off)
    assert.equal(parseLogLevel('verbose'), null)
  })
})

describe('request logger (dispatcher)', () => {
  const registry = new Registry([apiVersionsHandler])
  const services = { apiRanges: () => registry.ranges() }
  // The dispatcher takes the frame after its size prefix.
  const frame = encodeRequestFrame(
    apiVersionsRequestCodec,
    { clientSoftwareName: 't', clientSoftwareVersion: '1' },
    3,
    42,
    'my-client',
  ).subarray(4)
  const conn = { id: 7, remote: '127.0.0.1:5555', listener: 'PLAINTEXT', principal: 'User:alice' }

  it('logs one DEBUG line per served request with its fields', async () => {
    const { log, lines } = tree(
      new LogLevels(LogLevel.info, new Map([['samsa.request.logger', LogLevel.debug]])),
    )
    const d = new Dispatcher(registry, services, log.child('request'))
    const out = await d.dispatch(frame, conn)
    assert.ok(out !== null)
    const responseBytes = out.reduce((n, c) => n + c.length, 0)
    assert.equal(lines.length, 1)
    const r = JSON.parse(lines[0]!)
    assert.ok(typeof r.totalTimeMs === 'number' && r.totalTimeMs >= 0)
    delete r.totalTimeMs
    delete r.time
    assert.deepEqual(r, {
      level: 'DEBUG',
      logger: 'samsa.request.logger',
      msg: 'Completed request',
      api: 'ApiVersions',
      version: 3,
      correlationId: 42,
      clientId: 'my-client',
      connection: 7,
      remote: '127.0.0.1:5555',
      listener: 'PLAINTEXT',
      principal: 'User:alice',
      requestBytes: frame.length,
      responseBytes,
    })
  })

  it('logs nothing when the request logger is above DEBUG', async () => {
    const { log, lines } = tree(
      new LogLevels(LogLevel.debug, new Map([['samsa.request.logger', LogLevel.warn]])),
    )
    const d = new Dispatcher(registry, services, log.child('request'))
    await d.dispatch(frame, conn)
    assert.deepEqual(lines, [])
  })
})
