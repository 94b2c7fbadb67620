// kafka-reassign-partitions.sh: option checks in Kafka's order and words, the log-dir throttle
// refusal, the throttle configs a move map gives (as Kafka's tool computes them), the
// JSON files (parsing, --execute's checks, Kafka's output format), and whole runs of every action
// through @platformatic/kafka against an embedded standalone broker (port 0), where the only valid
// target is the node itself, as on a KRaft single node. The moving cluster is test/e2e/reassignment.

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { type RunningBroker, startBroker } from '../../../src/broker/broker.ts'
import { captureIo } from '../../../src/cli/common/io.ts'
import { runTool } from '../../../src/cli/main.ts'
import {
  checkExecuteTargets,
  formatReassignmentJson,
  parseGenerateArgs,
  parseReassignmentJson,
  parseTopicsJson,
} from '../../../src/cli/reassign-partitions/json.ts'
import { LOG_DIR_THROTTLE_UNSUPPORTED } from '../../../src/cli/reassign-partitions/options.ts'
import {
  followerThrottles,
  leaderThrottles,
  proposedMoveMap,
  reassigningBrokers,
} from '../../../src/cli/reassign-partitions/throttles.ts'
import { silentLogger } from '../../../src/common/logger.ts'

async function run(...argv: string[]) {
  const io = captureIo(new PassThrough(), { PATH: '' })
  const code = await runTool('reassign-partitions', argv, io)
  return { code, out: io.stdout(), err: io.stderr() }
}

describe('kafka-reassign-partitions.sh options', () => {
  it('usage for --help and no arguments, with the purpose', async () => {
    for (const argv of [['--help'], []]) {
      const r = await run(...argv)
      assert.equal(r.code, 1)
      assert.ok(r.err.startsWith('This tool helps to move topic partitions between replicas.'), r.err)
      for (const o of ['--generate', '--execute', '--verify', '--cancel', '--list', '--throttle'])
        assert.ok(r.err.includes(o), o)
    }
  })

  it("checks in Kafka's order and words", async () => {
    const cases: [string[], string][] = [
      [
        ['--bootstrap-server', 'h:1'],
        'Command must include exactly one action: --generate, --execute, --verify, --cancel, --list',
      ],
      [['--execute', '--verify', '--bootstrap-server', 'h:1'], 'Command must include exactly one action'],
      [['--execute'], 'Please specify --bootstrap-server'],
      [['--execute', '--bootstrap-server', 'h:1'], 'Missing required argument "[reassignment-json-file]"'],
      [
        ['--generate', '--bootstrap-server', 'h:1', '--broker-list', '1'],
        'Missing required argument "[topics-to-move-json-file]"',
      ],
      [
        ['--verify', '--bootstrap-server', 'h:1', '--reassignment-json-file', 'f', '--throttle', '10'],
        `Option "[throttle]" can't be used with action "[verify]"`,
      ],
      [
        ['--list', '--bootstrap-server', 'h:1', '--additional'],
        `Option "[additional]" can't be used with action "[list]"`,
      ],
    ]
    for (const [argv, message] of cases) {
      const r = await run(...argv)
      assert.equal(r.code, 1, argv.join(' '))
      assert.ok(r.err.startsWith(message), `${argv.join(' ')}: ${r.err.split('\n')[0]}`)
    }
  })

  it('refuses the log-dir throttle in one line rather than ignoring it', async () => {
    const r = await run(
      '--execute',
      '--bootstrap-server',
      'h:1',
      '--reassignment-json-file',
      'f',
      '--replica-alter-log-dirs-throttle',
      '1000',
    )
    assert.equal(r.code, 1)
    assert.equal(r.err, `${LOG_DIR_THROTTLE_UNSUPPORTED}\n`)
    assert.equal(r.out, '')
  })
})

describe('kafka-reassign-partitions.sh throttles', () => {
  it('throttles the sources as leaders and the new replicas as followers, on every broker involved', () => {
    const current = new Map([
      ['foo-0', { topic: 'foo', partition: 0, replicas: [1, 2] }],
      ['foo-1', { topic: 'foo', partition: 1, replicas: [2, 3] }],
      ['foo-10', { topic: 'foo', partition: 10, replicas: [1] }],
    ])
    // bar-0 is already moving (2 → 5 being added); with --additional it keeps its sources.
    const ongoing = [{ topic: 'bar', partition: 0, replicas: [2, 5], adding: [5], removing: [2] }]
    const map = proposedMoveMap(
      ongoing,
      [
        { topic: 'foo', partition: 0, replicas: [3, 4] },
        { topic: 'foo', partition: 1, replicas: [3, 2] },
        { topic: 'foo', partition: 10, replicas: [1, 4] },
      ],
      current,
    )
    assert.deepEqual(Object.fromEntries(leaderThrottles(map)), { bar: '0:2', foo: '0:1,0:2,10:1,1:2,1:3' })
    assert.deepEqual(Object.fromEntries(followerThrottles(map)), { bar: '0:5', foo: '0:3,0:4,10:4' })
    assert.deepEqual(reassigningBrokers(map), [1, 2, 3, 4, 5])
  })
})

describe('kafka-reassign-partitions.sh JSON', () => {
  it('reads the reassignment file and writes it back in Kafka form', () => {
    const parts = parseReassignmentJson(
      '{"version":1,"partitions":[{"topic":"b","partition":1,"replicas":[3,1]},{"topic":"a","partition":0,"replicas":[2],"log_dirs":["any"]}]}',
    )
    assert.deepEqual(parts, [
      { topic: 'b', partition: 1, replicas: [3, 1] },
      { topic: 'a', partition: 0, replicas: [2] },
    ])
    assert.equal(
      formatReassignmentJson(parts),
      '{"version":1,"partitions":[{"topic":"a","partition":0,"replicas":[2],"log_dirs":["any"]},{"topic":"b","partition":1,"replicas":[3,1],"log_dirs":["any","any"]}]}',
    )
    assert.deepEqual(parseTopicsJson('{"topics":[{"topic":"foo"},{"topic":"foo1"}],"version":1}'), [
      'foo',
      'foo1',
    ])
  })

  it('refuses what Kafka refuses, in its words, and log-dir moves', () => {
    const bad: [() => unknown, string][] = [
      [() => parseReassignmentJson('nope'), 'The input string is not a valid JSON'],
      [() => parseReassignmentJson('{"version":2}'), 'Not supported version field value 2'],
      [
        () => parseReassignmentJson('{"partitions":[{"topic":"a","replicas":[1]}]}'),
        'No such field exists: `partition`',
      ],
      [
        () =>
          parseReassignmentJson(
            '{"partitions":[{"topic":"a","partition":0,"replicas":[1,2],"log_dirs":["any"]}]}',
          ),
        'Size of replicas list [1, 2] is different from size of log dirs list [any] for partition a-0',
      ],
      [
        () =>
          parseReassignmentJson(
            '{"partitions":[{"topic":"a","partition":0,"replicas":[1],"log_dirs":["/d"]}]}',
          ),
        'Moving replicas between log directories is not supported by Samsa',
      ],
      [() => checkExecuteTargets([]), 'Partition reassignment list cannot be empty'],
      [
        () => checkExecuteTargets([{ topic: 'a', partition: 0, replicas: [] }]),
        'Partition replica list cannot be empty',
      ],
      [
        () =>
          checkExecuteTargets([
            { topic: 'a', partition: 0, replicas: [1] },
            { topic: 'a', partition: 0, replicas: [2] },
          ]),
        'Partition reassignment contains duplicate topic partitions: a-0',
      ],
      [
        () => checkExecuteTargets([{ topic: 'a', partition: 0, replicas: [1, 1, 2] }]),
        'Partition replica lists may not contain duplicate entries: a-0 contains multiple entries for 1',
      ],
      [() => parseGenerateArgs('1,2,1', ['a']), 'Broker list contains duplicate entries: 1'],
      [
        () => parseGenerateArgs('1,2', ['a', 'a']),
        'List of topics to reassign contains duplicate entries: a',
      ],
    ]
    for (const [fn, message] of bad) assert.throws(fn, (e: Error) => e.message.startsWith(message), message)
  })
})

describe('kafka-reassign-partitions.sh against a standalone broker', () => {
  let dir: string
  let broker: RunningBroker
  let bootstrap: string
  let id: number
  const file = (name: string, body: unknown) => {
    const p = join(dir, name)
    writeFileSync(p, JSON.stringify(body))
    return p
  }
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'samsa-reassign-cli-'))
    broker = await startBroker({
      port: 0,
      host: '127.0.0.1',
      logDirs: [join(dir, 'logs')],
      logger: silentLogger,
    })
    bootstrap = broker.bootstrap
    id = broker.nodeId
    const io = captureIo(new PassThrough(), { PATH: '' })
    const code = await runTool(
      'topics',
      ['--bootstrap-server', bootstrap, '--create', '--topic', 'r', '--partitions', '2'],
      io,
    )
    assert.equal(code, 0, io.stderr())
  })
  after(async () => {
    await broker?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('--generate prints the current and proposed assignments', async () => {
    const topics = file('topics.json', { topics: [{ topic: 'r' }], version: 1 })
    const r = await run(
      '--bootstrap-server',
      bootstrap,
      '--generate',
      '--topics-to-move-json-file',
      topics,
      '--broker-list',
      String(id),
    )
    assert.equal(r.code, 0, r.out + r.err)
    const json = `{"version":1,"partitions":[{"topic":"r","partition":0,"replicas":[${id}],"log_dirs":["any"]},{"topic":"r","partition":1,"replicas":[${id}],"log_dirs":["any"]}]}`
    assert.equal(
      r.out,
      `Current partition replica assignment\n${json}\n\nProposed partition reassignment configuration\n${json}\n`,
    )
    const missing = file('missing.json', { topics: [{ topic: 'nope' }] })
    const m = await run(
      '--bootstrap-server',
      bootstrap,
      '--generate',
      '--topics-to-move-json-file',
      missing,
      '--broker-list',
      String(id),
    )
    assert.equal(m.code, 1)
    assert.equal(
      m.out,
      'Error: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: This server does not host this topic-partition.\n',
    )
  })

  it('--execute, --verify, --list and --cancel', async () => {
    const plan = file('plan.json', {
      version: 1,
      partitions: [
        { topic: 'r', partition: 1, replicas: [id] },
        { topic: 'r', partition: 0, replicas: [id] },
      ],
    })
    const e = await run('--bootstrap-server', bootstrap, '--execute', '--reassignment-json-file', plan)
    assert.equal(e.code, 0, e.out + e.err)
    assert.equal(
      e.out,
      'Current partition replica assignment\n\n' +
        `{"version":1,"partitions":[{"topic":"r","partition":0,"replicas":[${id}],"log_dirs":["any"]},{"topic":"r","partition":1,"replicas":[${id}],"log_dirs":["any"]}]}\n\n` +
        'Save this to use as the --reassignment-json-file option during rollback\n' +
        'Successfully started partition reassignments for r-0,r-1\n',
    )
    const v = await run('--bootstrap-server', bootstrap, '--verify', '--reassignment-json-file', plan)
    assert.equal(v.code, 0)
    assert.equal(
      v.out,
      'Status of partition reassignment:\nReassignment of partition r-0 is completed.\nReassignment of partition r-1 is completed.\n' +
        `Clearing broker-level throttles on broker ${id}\nClearing topic-level throttles on topic r\n`,
    )
    const kept = await run(
      '--bootstrap-server',
      bootstrap,
      '--verify',
      '--reassignment-json-file',
      plan,
      '--preserve-throttles',
    )
    assert.equal(kept.out.includes('Clearing'), false)
    const l = await run('--bootstrap-server', bootstrap, '--list')
    assert.equal(l.out, 'No partition reassignments found.\n')
    const th = await run(
      '--bootstrap-server',
      bootstrap,
      '--execute',
      '--reassignment-json-file',
      plan,
      '--throttle',
      '1000',
    )
    assert.equal(th.code, 0, th.out + th.err)
    assert.ok(
      th.out.includes(
        'Save this to use as the --reassignment-json-file option during rollback\n' +
          'Warning: You must run --verify periodically, until the reassignment completes, to ensure the throttle is removed.\n' +
          'The inter-broker throttle limit was set to 1000 B/s\n' +
          'Successfully started partition reassignments for r-0,r-1\n',
      ),
      th.out,
    )
    const cio = captureIo(new PassThrough(), { PATH: '' })
    const described = await runTool(
      'configs',
      ['--bootstrap-server', bootstrap, '--describe', '--entity-type', 'topics', '--entity-name', 'r'],
      cio,
    )
    assert.equal(described, 0, cio.stderr())
    assert.match(cio.stdout(), new RegExp(`leader\\.replication\\.throttled\\.replicas=0:${id},1:${id} `))
    const c = await run('--bootstrap-server', bootstrap, '--cancel', '--reassignment-json-file', plan)
    assert.equal(
      c.out,
      'None of the specified partition reassignments are active.\n' +
        `Clearing broker-level throttles on broker ${id}\nClearing topic-level throttles on topic r\n`,
    )

    const other = file('other.json', {
      version: 1,
      partitions: [{ topic: 'r', partition: 0, replicas: [id + 1] }],
    })
    const v2 = await run('--bootstrap-server', bootstrap, '--verify', '--reassignment-json-file', other)
    assert.equal(
      v2.out,
      `Status of partition reassignment:\nThere is no active reassignment of partition r-0, but replica set is ${id} rather than ${id + 1}.\n` +
        `Clearing broker-level throttles on broker ${id}\nClearing topic-level throttles on topic r\n`,
    )
    const u = await run('--bootstrap-server', bootstrap, '--execute', '--reassignment-json-file', other)
    assert.equal(u.code, 1)
    assert.equal(u.out, `Error: Unknown broker id ${id + 1}\n`)
    const gone = file('gone.json', { version: 1, partitions: [{ topic: 'r', partition: 5, replicas: [id] }] })
    const g = await run('--bootstrap-server', bootstrap, '--execute', '--reassignment-json-file', gone)
    assert.equal(g.code, 1)
    assert.equal(
      g.out,
      'Error: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: Unable to find partition: r-5\n',
    )
  })
})
