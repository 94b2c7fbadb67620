import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { type BrokerConfig, parseBrokerConfig } from '../../../src/config/broker-config.ts'
import {
  formatProblem,
  inputsFromObject,
  inputsFromProperties,
  parseServerArgs,
} from '../../../src/config/config-input.ts'

const FILE = 'server.properties'

function ok(text: string, overrides: string[] = []): BrokerConfig {
  const r = parseBrokerConfig(inputsFromProperties(text, FILE), parseServerArgs(overrides).overrides)
  if (!r.ok) assert.fail(`unexpected errors: ${r.errors.map(formatProblem).join(' | ')}`)
  return r.config
}

function errors(text: string, overrides: string[] = []): string[] {
  const r = parseBrokerConfig(inputsFromProperties(text, FILE), parseServerArgs(overrides).overrides)
  assert.equal(r.ok, false, 'expected errors')
  return r.ok ? [] : r.errors.map(formatProblem)
}

function warnings(text: string): string[] {
  return parseBrokerConfig(inputsFromProperties(text, FILE)).warnings.map(formatProblem)
}

describe('parseBrokerConfig: defaults', () => {
  it("gives Kafka's defaults for an empty file", () => {
    const c = ok('')
    assert.equal(c.nodeId, -1)
    assert.deepEqual(c.processRoles, [])
    assert.equal(c.numPartitions, 1)
    assert.equal(c.defaultReplicationFactor, 1)
    assert.equal(c.autoCreateTopicsEnable, true)
    assert.equal(c.deleteTopicEnable, true)
    assert.equal(c.messageMaxBytes, 1048588)
    assert.equal(c.socketRequestMaxBytes, 104857600)
    assert.equal(c.connectionsMaxIdleMs, 600000)
    assert.equal(c.maxConnections, 2147483647)
    assert.equal(c.logRetentionMs, 168 * 3600000)
    assert.equal(c.logRetentionBytes, -1)
    assert.equal(c.logSegmentBytes, 1073741824)
    assert.equal(c.logRollMs, 168 * 3600000)
    assert.equal(c.logRollJitterMs, 0)
    assert.equal(c.logFlushIntervalMs, c.logFlushSchedulerIntervalMs)
    assert.equal(c.values.get('log.flush.interval.messages')?.text, '9223372036854775807')
    assert.deepEqual(c.logCleanupPolicy, ['delete'])
    assert.equal(c.offsetsTopicNumPartitions, 50)
    // Kafka's default is 3; on a single broker (no zookeeper.connect) it is 1 unless set.
    assert.equal(c.values.get('offsets.topic.replication.factor')?.value, 3)
    assert.equal(c.offsetsTopicReplicationFactor, 1)
    assert.equal(c.groupInitialRebalanceDelayMs, 3000)
    assert.equal(c.transactionalIdExpirationMs, 604800000)
    assert.equal(c.zookeeperConnectionTimeoutMs, 18000)
    assert.deepEqual(c.listeners, [
      { listenerName: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: null, port: 9092 },
    ])
    assert.deepEqual(c.advertisedListeners, c.listeners)
    assert.deepEqual(c.logDirs, ['/tmp/samsa-logs'])
  })

  const parseFile = (path: string) => {
    const text = readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8')
    const r = parseBrokerConfig(inputsFromProperties(text, path))
    assert.equal(r.ok, true, r.ok ? '' : r.errors.map(formatProblem).join('\n'))
    assert.deepEqual(r.warnings, [])
    if (!r.ok) assert.fail('errors')
    return r.config
  }

  it("parses config/server.properties (Kafka 3.1's ZooKeeper broker) with no errors and no warnings", () => {
    const c = parseFile('config/server.properties')
    assert.equal(c.nodeId, 0)
    assert.deepEqual(c.processRoles, [])
    assert.equal(c.static.has('node.id'), false)
    assert.equal(c.zookeeperConnect, 'localhost:2181')
    assert.equal(c.zookeeperConnectionTimeoutMs, 18000)
    assert.deepEqual(c.logDirs, ['/tmp/samsa-logs'])
    // listeners is commented out, as Kafka ships it: the default, every interface on 9092.
    assert.deepEqual(c.listeners, [
      { listenerName: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: null, port: 9092 },
    ])
    assert.equal(c.numPartitions, 1)
    assert.equal(c.offsetsTopicReplicationFactor, 1)
    assert.equal(c.transactionStateLogReplicationFactor, 1)
    assert.equal(c.transactionStateLogMinIsr, 1)
    assert.equal(c.groupInitialRebalanceDelayMs, 0)
  })

  it('parses config/standalone.properties: one broker, no ZooKeeper', () => {
    const c = parseFile('config/standalone.properties')
    assert.equal(c.nodeId, 1)
    assert.deepEqual(c.processRoles, ['broker'])
    assert.equal(c.zookeeperConnect, null)
    assert.deepEqual(c.logDirs, ['/tmp/samsa-logs'])
    assert.deepEqual(c.listeners, [
      { listenerName: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: 'localhost', port: 9092 },
    ])
    assert.equal(c.offsetsTopicReplicationFactor, 1)
  })

  it('parses config/cluster/server-{1,2,3}.properties: one cluster, distinct ids, ports and log dirs', () => {
    const brokers = [1, 2, 3].map((i) => parseFile(`config/cluster/server-${i}.properties`))
    assert.deepEqual(
      brokers.map((c) => c.nodeId),
      [1, 2, 3],
    )
    assert.deepEqual(
      brokers.map((c) => c.listeners.map((l) => `${l.host}:${l.port}`)),
      [['localhost:9092'], ['localhost:9093'], ['localhost:9094']],
    )
    assert.deepEqual(
      brokers.map((c) => c.logDirs),
      [['/tmp/samsa-logs-1'], ['/tmp/samsa-logs-2'], ['/tmp/samsa-logs-3']],
    )
    for (const c of brokers) {
      assert.equal(c.zookeeperConnect, 'localhost:2181')
      assert.deepEqual(c.processRoles, [])
    }
    // Apart from identity, port and log dir, the three files say the same.
    const rest = (c: BrokerConfig) =>
      [...c.static].filter(([k]) => !['broker.id', 'listeners', 'log.dirs'].includes(k))
    assert.deepEqual(rest(brokers[1]!), rest(brokers[0]!))
    assert.deepEqual(rest(brokers[2]!), rest(brokers[0]!))
  })

  it('an empty zookeeper.connect (--override zookeeper.connect=) means no ZooKeeper', () => {
    const file = 'broker.id=0\nzookeeper.connect=localhost:2181\n'
    assert.equal(ok(file).zookeeperConnect, 'localhost:2181')
    const off = ok(file, ['--override', 'zookeeper.connect='])
    assert.equal(off.zookeeperConnect, null)
    // ... and the single-broker defaults of the internal topics apply again.
    assert.equal(off.offsetsTopicReplicationFactor, 1)
    assert.equal(ok(file).offsetsTopicReplicationFactor, 3)
    assert.equal(ok('zookeeper.connect=  \n').zookeeperConnect, null)
    assert.equal(ok('').zookeeperConnect, null)
  })

  it('refuses broker.id and node.id that differ, as Kafka does', () => {
    assert.equal(ok('broker.id=2\nnode.id=2\n').nodeId, 2)
    const e = errors('broker.id=0\nzookeeper.connect=localhost:2181\n', ['--override', 'node.id=1'])
    assert.equal(e.length, 1)
    assert.match(e[0]!, /You must set `node.id` to the same value as `broker.id`\./)
  })
})

describe('parseBrokerConfig: precedence', () => {
  it('log.retention.ms > log.retention.minutes > log.retention.hours', () => {
    assert.equal(ok('log.retention.hours=2').logRetentionMs, 2 * 3600000)
    assert.equal(ok('log.retention.hours=2\nlog.retention.minutes=3').logRetentionMs, 3 * 60000)
    assert.equal(ok('log.retention.hours=2\nlog.retention.minutes=3\nlog.retention.ms=4').logRetentionMs, 4)
    assert.equal(ok('log.retention.minutes=3\nlog.retention.ms=4').logRetentionMs, 4)
  })

  it('maps any negative retention to -1 and refuses zero', () => {
    assert.equal(ok('log.retention.ms=-5').logRetentionMs, -1)
    assert.equal(ok('log.retention.hours=-1').logRetentionMs, -1)
    assert.deepEqual(errors('log.retention.ms=0'), [
      `${FILE}:1: log.retention.ms must be unlimited (-1) or, greater than or equal to 1`,
    ])
    assert.equal(
      errors('log.retention.minutes=0')[0],
      `${FILE}:1: log.retention.ms must be unlimited (-1) or, greater than or equal to 1`,
    )
  })

  it('log.roll.ms > log.roll.hours, log.roll.jitter.ms > log.roll.jitter.hours', () => {
    assert.equal(ok('log.roll.hours=5').logRollMs, 5 * 3600000)
    assert.equal(ok('log.roll.hours=5\nlog.roll.ms=77').logRollMs, 77)
    assert.equal(ok('log.roll.jitter.hours=2').logRollJitterMs, 2 * 3600000)
    assert.equal(ok('log.roll.jitter.hours=2\nlog.roll.jitter.ms=9').logRollJitterMs, 9)
    assert.deepEqual(errors('log.roll.jitter.ms=-1'), [
      `${FILE}:1: log.roll.jitter.ms must be greater than or equal to 0`,
    ])
    assert.deepEqual(errors('log.roll.ms=0'), [
      `${FILE}:1: Invalid value 0 for configuration log.roll.ms: Value must be at least 1`,
    ])
  })

  it('log.flush.interval.ms falls back to log.flush.scheduler.interval.ms', () => {
    assert.equal(ok('log.flush.scheduler.interval.ms=123').logFlushIntervalMs, 123)
    assert.equal(ok('log.flush.scheduler.interval.ms=123\nlog.flush.interval.ms=7').logFlushIntervalMs, 7)
  })

  it('node.id and broker.id are one setting', () => {
    assert.equal(ok('node.id=4').nodeId, 4)
    assert.equal(ok('broker.id=5').nodeId, 5)
    assert.equal(ok('broker.id=6\nnode.id=6').nodeId, 6)
    assert.deepEqual(errors('broker.id=6\nnode.id=7'), [
      `${FILE}:2: You must set \`node.id\` to the same value as \`broker.id\`.`,
    ])
  })

  it('log.dirs > log.dir, comma lists with spaces', () => {
    assert.deepEqual(ok('log.dir=/a').logDirs, ['/a'])
    assert.deepEqual(ok('log.dir=/a\nlog.dirs=/b , /c,,').logDirs, ['/b', '/c'])
    assert.deepEqual(errors('log.dirs= , '), [
      `${FILE}:1: At least one log directory must be defined via log.dirs or log.dir.`,
    ])
  })

  it('--override wins over the file, and errors name it', () => {
    const c = ok('num.partitions=2', ['--override', 'num.partitions=9', '--override=log.dirs=/x'])
    assert.equal(c.numPartitions, 9)
    assert.deepEqual(c.logDirs, ['/x'])
    assert.deepEqual(errors('num.partitions=2', ['--override', 'num.partitions=nine']), [
      '--override: Invalid value nine for configuration num.partitions: Not a number of type INT',
    ])
  })

  it('dynamic per-broker > dynamic cluster default > static', () => {
    const inputs = inputsFromObject({ 'log.retention.ms': 1000, 'message.max.bytes': 10 })
    const both = parseBrokerConfig(inputs, [], {
      dynamicDefault: new Map([
        ['log.retention.ms', '2000'],
        ['message.max.bytes', '20'],
      ]),
      dynamicBroker: new Map([['log.retention.ms', '3000']]),
    })
    assert.ok(both.ok)
    assert.equal(both.config.logRetentionMs, 3000)
    assert.equal(both.config.messageMaxBytes, 20)
    assert.equal(both.config.static.get('log.retention.ms'), '1000')
  })
})

describe('parseBrokerConfig: errors are one line each, in Kafka words', () => {
  it('names the key, the value and the expected form', () => {
    const text = [
      'num.partitions=abc',
      'auto.create.topics.enable=yes',
      'log.retention.bytes=99999999999999999999',
      'log.message.timestamp.type=Wallclock',
      'log.cleanup.policy=delete,shred',
      'num.io.threads=0',
      'log.cleaner.min.cleanable.ratio=1.5',
      'cluster.id=short',
    ].join('\n')
    assert.deepEqual(errors(text), [
      `${FILE}:1: Invalid value abc for configuration num.partitions: Not a number of type INT`,
      `${FILE}:2: Invalid value yes for configuration auto.create.topics.enable: Expected value to be either true or false`,
      `${FILE}:3: Invalid value 99999999999999999999 for configuration log.retention.bytes: Not a number of type LONG`,
      `${FILE}:4: Invalid value Wallclock for configuration log.message.timestamp.type: String must be one of: CreateTime, LogAppendTime`,
      `${FILE}:5: Invalid value shred for configuration log.cleanup.policy: String must be one of: compact, delete`,
      `${FILE}:6: Invalid value 0 for configuration num.io.threads: Value must be at least 1`,
      `${FILE}:7: Invalid value 1.5 for configuration log.cleaner.min.cleanable.ratio: Value must be no more than 1`,
      `${FILE}:8: Invalid value short for configuration cluster.id: Expected a 22-character base64url Uuid (as written by kafka-storage random-uuid)`,
    ])
  })

  it('every error message is a single line', () => {
    const all = errors('num.partitions=\nlisteners=nonsense\nprocess.roles=queen\nsocket.request.max.bytes=0')
    assert.equal(all.length, 4)
    for (const line of all) assert.ok(!line.includes('\n'), line)
  })

  it('reads values the way Kafka does: trimmed, signed, booleans in any case', () => {
    const c = ok(
      'num.partitions=  +7  \nauto.create.topics.enable=FALSE\nlog.cleaner.min.cleanable.ratio=0.25d',
    )
    assert.equal(c.numPartitions, 7)
    assert.equal(c.values.get('num.partitions')?.text, '7')
    assert.equal(c.autoCreateTopicsEnable, false)
    assert.equal(c.logCleanerMinCleanableRatio, 0.25)
  })
})

describe('parseBrokerConfig: warnings', () => {
  it('warns about unknown keys, with a hint for near misses', () => {
    assert.deepEqual(warnings('num.partiton=3\nlog_retention_hours=5\nmy.custom.thing=1'), [
      `${FILE}:1: These configurations '[num.partiton]' were supplied but are not used yet. Did you mean 'num.partitions'?`,
      `${FILE}:2: These configurations '[log_retention_hours]' were supplied but are not used yet. Did you mean 'log.retention.hours'?`,
      `${FILE}:3: These configurations '[my.custom.thing]' were supplied but are not used yet.`,
    ])
  })

  it('warns about a key set twice and about shadowed synonyms', () => {
    assert.deepEqual(warnings('num.partitions=1\nnum.partitions=2'), [
      `${FILE}:2: Configuration num.partitions is set more than once; the earlier value (line 1) is ignored.`,
    ])
    assert.deepEqual(warnings('log.retention.hours=1\nlog.retention.ms=5\nlog.dir=/a\nlog.dirs=/b'), [
      `${FILE}:1: Configuration log.retention.hours is ignored because log.retention.ms is set.`,
      `${FILE}:3: Configuration log.dir is ignored because log.dirs is set.`,
    ])
  })
})

describe('parseBrokerConfig: listeners', () => {
  it('parses several listeners with their protocols, IPv6 hosts and wildcard hosts', () => {
    const c = ok(
      'listeners=PLAINTEXT://:9092,internal://[::1]:9093,EXT://0.0.0.0:0\n' +
        'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,INTERNAL:SSL,EXT:PLAINTEXT\n' +
        'advertised.listeners=PLAINTEXT://broker1:9092,INTERNAL://[::1]:9093',
    )
    assert.deepEqual(c.listeners, [
      { listenerName: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: null, port: 9092 },
      { listenerName: 'INTERNAL', securityProtocol: 'SSL', host: '::1', port: 9093 },
      { listenerName: 'EXT', securityProtocol: 'PLAINTEXT', host: '0.0.0.0', port: 0 },
    ])
    assert.deepEqual(
      c.advertisedListeners.map((e) => [e.listenerName, e.host, e.port]),
      [
        ['PLAINTEXT', 'broker1', 9092],
        ['INTERNAL', '::1', 9093],
      ],
    )
  })

  it('leaves controller listeners out (Kafka combined-mode files load)', () => {
    const c = ok(
      'process.roles=broker,controller\nnode.id=1\ncontroller.quorum.voters=1@localhost:9093\n' +
        'listeners=PLAINTEXT://:9092,CONTROLLER://:9093\ncontroller.listener.names=CONTROLLER\n' +
        'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    )
    assert.deepEqual(
      c.listeners.map((e) => e.listenerName),
      ['PLAINTEXT'],
    )
    assert.deepEqual(c.processRoles, ['broker', 'controller'])
  })

  it("refuses what Kafka refuses, in Kafka's words", () => {
    assert.deepEqual(errors('listeners=PLAINTEXT:/bad'), [
      `${FILE}:1: Error creating broker listeners from 'PLAINTEXT:/bad': Unable to parse PLAINTEXT:/bad to a broker endpoint`,
    ])
    assert.deepEqual(errors('listeners=FOO://:1'), [
      `${FILE}:1: Error creating broker listeners from 'FOO://:1': No security protocol defined for listener FOO`,
    ])
    assert.match(errors('listeners=PLAINTEXT://:1,SSL://:1')[0]!, /Each listener must have a different port/)
    assert.match(
      errors('listeners=PLAINTEXT://:1,PLAINTEXT://:2')[0]!,
      /Each listener must have a different name/,
    )
    assert.deepEqual(errors('advertised.listeners=PLAINTEXT://0.0.0.0:9092'), [
      `${FILE}:1: advertised.listeners cannot use the nonroutable meta-address 0.0.0.0. Use a routable IP address.`,
    ])
    assert.match(
      errors('advertised.listeners=SSL://h:1')[0]!,
      /must be equal to or a subset of the ones defined in listeners/,
    )
    assert.deepEqual(errors('listener.security.protocol.map=PLAINTEXT:TLS'), [
      `${FILE}:1: Invalid security protocol \`TLS\` defined in listener.security.protocol.map`,
    ])
    assert.match(errors('listeners=PLAINTEXT://:70000')[0]!, /a port is between 0 and 65535/)
  })

  it('allows port 0 several times and the same port on IPv4 and IPv6', () => {
    assert.equal(ok('listeners=PLAINTEXT://:0,SSL://:0').listeners.length, 2)
    assert.equal(ok('listeners=PLAINTEXT://127.0.0.1:9,SSL://[::1]:9').listeners.length, 2)
  })
})

describe('parseBrokerConfig: process.roles', () => {
  it('accepts broker, refuses controller-only, unknown and duplicate roles', () => {
    assert.deepEqual(ok('process.roles=broker\nnode.id=1').processRoles, ['broker'])
    assert.deepEqual(errors('process.roles=controller\nnode.id=1'), [
      `${FILE}:1: Samsa runs as a broker: process.roles must include 'broker' (found: controller)`,
    ])
    assert.deepEqual(errors('process.roles=broker,queen'), [
      `${FILE}:1: Invalid value queen for configuration process.roles: String must be one of: broker, controller`,
    ])
    assert.deepEqual(errors('process.roles=broker,broker'), [
      `${FILE}:1: Duplicate role names found in \`process.roles\`: [broker, broker]`,
    ])
    assert.match(errors('process.roles=broker')[0]!, /Missing configuration `node.id` which is required/)
  })
})

describe('parseServerArgs', () => {
  it('reads -daemon, the file and overrides; refuses overrides without =', () => {
    const a = parseServerArgs(['-daemon', 'config/server.properties', '--override', 'a=b=c', '--override=x='])
    assert.equal(a.daemon, true)
    assert.deepEqual(a.positionals, ['config/server.properties'])
    assert.deepEqual(
      a.overrides.map((o) => [o.key, o.value]),
      [
        ['a', 'b=c'],
        ['x', ''],
      ],
    )
    assert.deepEqual(a.errors, [])
    const bad = parseServerArgs(['--override', 'novalue', '--bogus', '--override'])
    assert.equal(bad.errors.length, 3)
    assert.match(formatProblem(bad.errors[0]!), /Invalid command line properties: novalue/)
  })
})
