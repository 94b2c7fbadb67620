import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseArgs } from '../../../src/cli/args/argparse.ts'
import { ToolExit } from '../../../src/cli/common/exit.ts'
import { fixed } from '../../../src/cli/common/format.ts'
import { IncludeList } from '../../../src/cli/common/include-list.ts'
import { parseBootstrap } from '../../../src/cli/common/kafka.ts'
import { parseKeyValueArgs } from '../../../src/cli/common/props.ts'
import { parseAddConfig } from '../../../src/cli/configs/options.ts'
import { configLine } from '../../../src/cli/configs/run.ts'
import { parseTime, topicAndPartitionsFilter, topicPartitionFilter } from '../../../src/cli/offsets/get.ts'
import { formatDate } from '../../../src/cli/perf/consumer.ts'
import { PRODUCER_PERF_SPEC } from '../../../src/cli/perf/producer.ts'
import { ProducerStats, percentiles, Throttler } from '../../../src/cli/perf/stats.ts'
import { parseOffsetJson } from '../../../src/cli/records/delete.ts'

describe('kafka-configs.sh', () => {
  it('prints config entries with their synonyms', () => {
    assert.equal(
      configLine({
        name: 'retention.ms',
        value: '1000',
        isSensitive: false,
        synonyms: [
          { name: 'retention.ms', value: '1000', source: 1 },
          { name: 'log.retention.hours', value: '168', source: 5 },
        ],
      }),
      '  retention.ms=1000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=1000, DEFAULT_CONFIG:log.retention.hours=168}',
    )
    assert.equal(
      configLine({ name: 'ssl.key.password', value: null, isSensitive: true, synonyms: [] }),
      '  ssl.key.password=null sensitive=true synonyms={}',
    )
  })

  it('reads --add-config with bracketed lists', () => {
    assert.deepEqual(
      [...parseAddConfig('a=1, b = [x,y] ,c=')],
      [
        ['a', '1'],
        ['b', 'x,y'],
        ['c', ''],
      ],
    )
    assert.throws(() => parseAddConfig('a'), /must be in the format "key=val"/)
    assert.throws(() => parseAddConfig('a b=1'), /Invalid character found for config key: a b/)
  })
})

describe('kafka-get-offsets.sh', () => {
  it('reads --time names and numbers', () => {
    assert.equal(parseTime('earliest'), -2n)
    assert.equal(parseTime('max-timestamp'), -3n)
    assert.equal(parseTime('1700000000000'), 1700000000000n)
    assert.throws(() => parseTime('yesterday'), /Malformed time argument yesterday/)
  })

  it('filters partitions by --topic-partitions rules', () => {
    const f = topicPartitionFilter('t.*:1,other:2-4,:5-')
    assert.equal(f.partitionAllowed('topic', 1), true)
    assert.equal(f.partitionAllowed('topic', 0), false)
    assert.equal(f.partitionAllowed('other', 3), true)
    assert.equal(f.partitionAllowed('other', 4), false)
    assert.equal(f.partitionAllowed('anything', 7), true)
    assert.equal(f.topicAllowed('x'), true)
    const g = topicAndPartitionsFilter('a|b', '0,2')
    assert.equal(g.partitionAllowed('b', 2), true)
    assert.equal(g.partitionAllowed('c', 2), false)
    assert.throws(
      () => topicAndPartitionsFilter(undefined, '1,x'),
      /numeric partition ids, but received: 1,x/,
    )
  })
})

describe('kafka-delete-records.sh offset JSON', () => {
  it('reads the partitions and refuses duplicates and other versions', () => {
    assert.deepEqual(parseOffsetJson('{"partitions":[{"topic":"t","partition":1,"offset":5}],"version":1}'), [
      { topic: 't', partition: 1, offset: 5n },
    ])
    assert.throws(
      () =>
        parseOffsetJson(
          '{"partitions":[{"topic":"t","partition":1,"offset":5},{"topic":"t","partition":1,"offset":6}]}',
        ),
      /duplicate topic partitions: t-1/,
    )
    assert.throws(
      () => parseOffsetJson('{"version":2,"partitions":[]}'),
      /Not supported version field value 2/,
    )
    assert.throws(() => parseOffsetJson('nope'), /not a valid JSON/)
  })
})

describe('perf tools', () => {
  it("prints progress windows and Kafka's summary", () => {
    let now = 0
    const lines: string[] = []
    const stats = new ProducerStats(
      10,
      1000,
      (l) => lines.push(l),
      () => now,
    )
    for (let i = 0; i < 10; i++) {
      now = (i + 1) * 200
      stats.record(i + 1, 1024 * 1024, now)
    }
    now = 2000
    stats.printTotal()
    assert.deepEqual(lines, [
      '5 records sent, 5.0 records/sec (5.00 MB/sec), 3.0 ms avg latency, 5.0 ms max latency.',
      '5 records sent, 5.0 records/sec (5.00 MB/sec), 8.0 ms avg latency, 10.0 ms max latency.',
      '10 records sent, 5.0 records/sec (5.00 MB/sec), 5.50 ms avg latency, 10.00 ms max latency, 6 ms 50th, 10 ms 95th, 10 ms 99th, 10 ms 99.9th.',
    ])
  })

  it('picks percentiles as Kafka does', () => {
    assert.deepEqual(percentiles(Int32Array.from([5, 1, 3, 2, 4]), 5, [0.5, 0.95]), [3, 5])
  })

  it('throttles to the target throughput', () => {
    const t = new Throttler(100, 0)
    assert.equal(t.shouldThrottle(10, 50), true)
    assert.equal(t.shouldThrottle(10, 1000), false)
    assert.equal(new Throttler(-1, 0).shouldThrottle(1e9, 1), false)
    assert.equal(t.throttleMs(), 10)
  })

  it('formats dates as SimpleDateFormat does', () => {
    const d = new Date(2024, 0, 2, 3, 4, 5, 6).getTime()
    assert.equal(formatDate('yyyy-MM-dd HH:mm:ss:SSS', d), '2024-01-02 03:04:05:006')
    assert.equal(formatDate("yy/M/d 'at' h a", d), '24/1/2 at 3 AM')
  })

  it('formats numbers as Java printf does', () => {
    assert.equal(fixed(0.125, 2), '0.13')
    assert.equal(fixed(2.5, 0), '3')
    assert.equal(fixed(1 / 3, 4), '0.3333')
    assert.equal(fixed(Number.NaN, 1), 'NaN')
  })

  it('reports producer-perf-test argument errors in argparse style', () => {
    const fail = (argv: string[]) => {
      try {
        parseArgs(PRODUCER_PERF_SPEC, argv)
      } catch (e) {
        assert.ok(e instanceof ToolExit)
        assert.equal(e.code, 1)
        const lines = e.stderr.trimEnd().split('\n')
        assert.ok(lines[0].startsWith('usage: producer-performance [-h] --topic TOPIC'))
        return lines[lines.length - 1]
      }
      assert.fail('expected an error')
    }
    assert.equal(fail(['--topic', 't']), 'producer-performance: error: argument --num-records is required')
    assert.equal(
      fail([
        '--topic',
        't',
        '--num-records',
        '1',
        '--throughput',
        '-1',
        '--record-size',
        '1',
        '--payload-monotonic',
      ]),
      'producer-performance: error: argument --payload-monotonic: not allowed with argument --record-size',
    )
    assert.equal(
      fail(['--topic', 't', '--num-records', 'x']),
      "producer-performance: error: argument --num-records: could not convert 'x' to Long",
    )
    assert.match(fail(['--p', 'x']), /ambiguous option: --p could match --payload-file, --payload-monotonic/)
    const ns = parseArgs(PRODUCER_PERF_SPEC, [
      '--topic',
      't',
      '--num-rec',
      '5',
      '--throughput',
      '-1',
      '--payload-monotonic',
      '--producer-props',
      'a=1',
      'b=2',
    ])
    assert.deepEqual(ns.get('producer-props'), ['a=1', 'b=2'])
    assert.deepEqual(ns.get('num-records'), ['5'])
  })
})

describe('shared helpers', () => {
  it('parses bootstrap lists as Kafka validates them', () => {
    assert.deepEqual(parseBootstrap('a:1, b:2'), [
      { host: 'a', port: 1 },
      { host: 'b', port: 2 },
    ])
    assert.deepEqual(parseBootstrap('[::1]:9092'), [{ host: '::1', port: 9092 }])
    assert.equal(parseBootstrap('localhost'), null)
    assert.equal(parseBootstrap(''), null)
  })

  it('reads key=value arguments', () => {
    assert.deepEqual(
      [...parseKeyValueArgs(['a=1', 'b=x=y', 'c', 'd='])],
      [
        ['a', '1'],
        ['b', 'x=y'],
        ['c', ''],
        ['d', ''],
      ],
    )
  })

  it("matches topic patterns as Kafka's IncludeList", () => {
    const l = new IncludeList('"foo.*, bar"')
    assert.equal(l.matches('foo1'), true)
    assert.equal(l.matches('bar'), true)
    assert.equal(l.matches('xbar'), false)
    assert.equal(new IncludeList('.*').isTopicAllowed('__consumer_offsets', true), false)
  })
})
