// Reading logger levels from log4j properties files (log4j 1 syntax as Kafka ≤ 3.x ships it, the
// level lines of log4j2's), Kafka's logger names mapped to Samsa's, warnings instead of failures,
// and how a broker process picks its logging (config keys, KAFKA_LOG4J_OPTS, SAMSA_LOG_FORMAT,
// SAMSA_LOG_LEVEL). The shipped config/log4j.properties loads without a warning.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { LogLevel } from '../../../src/common/logger.ts'
import { parseBrokerConfig } from '../../../src/config/broker-config.ts'
import { loggingSetup, REQUEST_LOGGER } from '../../../src/config/broker-defs-log4j.ts'
import { inputsFromObject } from '../../../src/config/config-input.ts'
import { log4jFileFromOpts, parseLog4jProperties } from '../../../src/config/log4j-properties.ts'

const REPO = join(import.meta.dirname, '../../..')

// The lines of a Kafka 3.x broker's log4j.properties that carry levels, appenders and additivity.
const KAFKA_STYLE = `
log4j.rootLogger=INFO, stdout, kafkaAppender
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.appender.kafkaAppender=org.apache.log4j.DailyRollingFileAppender
log4j.appender.kafkaAppender.File=\${kafka.logs.dir}/server.log
log4j.logger.org.apache.zookeeper=WARN
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.kafka.request.logger=DEBUG, requestAppender
log4j.additivity.kafka.request.logger=false
log4j.logger.kafka.network.RequestChannel$=WARN, requestAppender
log4j.logger.kafka.controller=TRACE, controllerAppender
log4j.additivity.kafka.controller=false
log4j.logger.kafka.log.LogCleaner=INFO, cleanerAppender
log4j.logger.state.change.logger=INFO, stateChangeAppender
log4j.logger.kafka.authorizer.logger=INFO, authorizerAppender
`

describe('log4j properties', () => {
  it("reads a Kafka-style file quietly, mapping Kafka's names to Samsa's", () => {
    const r = parseLog4jProperties(KAFKA_STYLE, 'log4j.properties')
    assert.deepEqual(r.warnings, [])
    assert.equal(r.root, LogLevel.info)
    assert.deepEqual(
      [...r.levels],
      [
        ['samsa.zookeeper', LogLevel.warn],
        ['samsa', LogLevel.info],
        ['samsa.request.logger', LogLevel.debug],
        ['samsa.controller', LogLevel.trace],
        ['samsa.authorizer', LogLevel.info],
      ],
    )
  })

  it('takes samsa.* names as they are; a later line for a name wins', () => {
    const r = parseLog4jProperties(
      'log4j.rootLogger=warn\nlog4j.logger.samsa.storage=DEBUG\nlog4j.category.samsa.storage=error\nlog4j.logger.samsa.request.logger=debug, x\n',
      'f',
    )
    assert.equal(r.root, LogLevel.warn)
    assert.deepEqual(
      [...r.levels],
      [
        ['samsa.storage', LogLevel.error],
        ['samsa.request.logger', LogLevel.debug],
      ],
    )
  })

  it('warns once per unknown key, unknown name or bad level, and keeps the rest', () => {
    const r = parseLog4jProperties(
      [
        'log4j.rootLogger=LOUD, stdout',
        'log4j.logger.kafka.server.KafkaApis=DEBUG',
        'log4j.logger.kafka.server.KafkaApis=TRACE',
        'whatever.key=1',
        'whatever.key=2',
        'log4j.logger.samsa.storage=DEBUG',
        'log4j.rootLogger=, stdout',
      ].join('\n'),
      'my.properties',
    )
    assert.equal(r.root, null)
    assert.deepEqual([...r.levels], [['samsa.storage', LogLevel.debug]])
    assert.equal(r.warnings.length, 3)
    assert.match(r.warnings[0]!, /^my\.properties:1: log4j\.rootLogger: unknown level 'LOUD'/)
    assert.match(
      r.warnings[1]!,
      /^my\.properties:2: .*no Samsa logger corresponds to 'kafka\.server\.KafkaApis'/,
    )
    assert.match(r.warnings[2]!, /^my\.properties:4: whatever\.key: not understood/)
  })

  it('reads the level lines of the log4j2 properties syntax', () => {
    const r = parseLog4jProperties(
      [
        'status=warn',
        'appender.console.type=Console',
        'rootLogger.level=ERROR',
        'rootLogger.appenderRefs=console',
        'logger.req.name=kafka.request.logger',
        'logger.req.level=DEBUG',
        'logger.req.additivity=false',
        'logger.half.name=samsa.storage',
      ].join('\n'),
      'log4j2.properties',
    )
    assert.equal(r.root, LogLevel.error)
    assert.deepEqual([...r.levels], [['samsa.request.logger', LogLevel.debug]])
    assert.equal(r.warnings.length, 1)
    assert.match(r.warnings[0]!, /logger\.half: needs both \.name and \.level/)
  })

  it('survives a syntax error with one warning', () => {
    const r = parseLog4jProperties('log4j.rootLogger=\\uZZZZ\n', 'bad.properties')
    assert.equal(r.root, null)
    assert.equal(r.warnings.length, 1)
    assert.match(r.warnings[0]!, /^bad\.properties: .*file ignored$/)
  })

  it('finds the file in KAFKA_LOG4J_OPTS', () => {
    assert.equal(
      log4jFileFromOpts('-Dlog4j.configuration=file:/etc/kafka/log4j.properties'),
      '/etc/kafka/log4j.properties',
    )
    assert.equal(
      log4jFileFromOpts('-Xmx1g -Dlog4j2.configurationFile=/opt/l.properties -Dx=y'),
      '/opt/l.properties',
    )
    assert.equal(
      log4jFileFromOpts('-Dlog4j.configuration="file:/dir with space/l.properties"'),
      '/dir with space/l.properties',
    )
    assert.equal(log4jFileFromOpts('-Dlog4j.configuration=file:///etc/l.properties'), '/etc/l.properties')
    assert.equal(log4jFileFromOpts('-Xmx1g'), null)
    assert.equal(log4jFileFromOpts(undefined), null)
  })

  it('the shipped config/log4j.properties loads without a warning, request logger at WARN', () => {
    const r = parseLog4jProperties(
      readFileSync(join(REPO, 'config/log4j.properties'), 'utf8'),
      'config/log4j.properties',
    )
    assert.deepEqual(r.warnings, [])
    assert.equal(r.root, LogLevel.info)
    assert.deepEqual([...r.levels], [[REQUEST_LOGGER, LogLevel.warn]])
  })
})

describe('loggingSetup (broker process)', () => {
  const files: Record<string, string> = {
    '/a.properties': 'log4j.rootLogger=DEBUG\nlog4j.logger.kafka.request.logger=DEBUG\n',
    '/b.properties': 'log4j.rootLogger=ERROR\n',
  }
  const read = (p: string) => {
    const t = files[p]
    if (t === undefined) throw new Error(`ENOENT: ${p}`)
    return t
  }
  const inputs = (o: Record<string, string>) => inputsFromObject(o)

  it('defaults: text, INFO, the request logger at WARN, no warnings', () => {
    const s = loggingSetup([], {}, read)
    assert.equal(s.format, 'text')
    assert.equal(s.root, LogLevel.info)
    assert.deepEqual([...s.levels], [[REQUEST_LOGGER, LogLevel.warn]])
    assert.deepEqual(s.warnings, [])
  })

  it('the config keys win over the environment; the last input of a key wins', () => {
    const env = { SAMSA_LOG_FORMAT: 'text', KAFKA_LOG4J_OPTS: '-Dlog4j.configuration=file:/b.properties' }
    const s = loggingSetup(
      [
        ...inputs({ 'samsa.log.format': 'text', 'samsa.log4j.properties': '/b.properties' }),
        ...inputs({ 'samsa.log.format': 'json', 'samsa.log4j.properties': '/a.properties' }),
      ],
      env,
      read,
    )
    assert.equal(s.format, 'json')
    assert.equal(s.file, '/a.properties')
    assert.equal(s.root, LogLevel.debug)
    assert.equal(s.levels.get(REQUEST_LOGGER), LogLevel.debug)
  })

  it('falls back to SAMSA_LOG_FORMAT and KAFKA_LOG4J_OPTS; SAMSA_LOG_LEVEL sets the root', () => {
    const s = loggingSetup(
      [],
      {
        SAMSA_LOG_FORMAT: 'JSON',
        KAFKA_LOG4J_OPTS: '-Dlog4j.configuration=file:/b.properties',
        SAMSA_LOG_LEVEL: 'trace',
      },
      read,
    )
    assert.equal(s.format, 'json')
    assert.equal(s.file, '/b.properties')
    assert.equal(s.root, LogLevel.trace)
    assert.deepEqual(s.warnings, [])
  })

  it('turns every problem into a warning and keeps the defaults', () => {
    const s = loggingSetup(
      inputs({ 'samsa.log4j.properties': '/missing.properties' }),
      { SAMSA_LOG_FORMAT: 'xml', SAMSA_LOG_LEVEL: 'loud' },
      read,
    )
    assert.equal(s.format, 'text')
    assert.equal(s.root, LogLevel.info)
    assert.equal(s.file, null)
    assert.equal(s.warnings.length, 3)
    assert.match(s.warnings.join('\n'), /SAMSA_LOG_FORMAT=xml/)
    assert.match(s.warnings.join('\n'), /\/missing\.properties: cannot read/)
    assert.match(s.warnings.join('\n'), /SAMSA_LOG_LEVEL=loud/)
    const y = loggingSetup(
      [],
      { KAFKA_LOG4J_OPTS: '-Dlog4j2.configurationFile=/etc/kafka/log4j2.yaml' },
      read,
    )
    assert.match(y.warnings[0]!, /only log4j \.properties files are read/)
  })

  it('the broker config accepts the keys and refuses a bad format', () => {
    const base = { 'node.id': '1', 'log.dirs': '/tmp/x' }
    const ok = parseBrokerConfig(
      inputs({ ...base, 'samsa.log.format': 'json', 'samsa.log4j.properties': '/a' }),
      [],
    )
    assert.ok(ok.ok, ok.ok ? '' : JSON.stringify(ok.errors))
    const bad = parseBrokerConfig(inputs({ ...base, 'samsa.log.format': 'yaml' }), [])
    assert.equal(bad.ok, false)
    assert.match(JSON.stringify(bad.errors), /samsa\.log\.format/)
  })
})
