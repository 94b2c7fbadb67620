// The Kafka-named scripts in bin/ run from a shell against a real broker process, as a user would
// run them: the quickstart's commands (create with `--partition 1`, list, describe), console producer
// → console consumer round trips, configs --alter then --describe, offsets, delete-records, the
// producer perf test, kafka-dump-log.sh on the broker's own segment files, and the one-line errors.
// Every networked tool runs on @platformatic/kafka, so this is also an interop test.
// Consumer-group tools are in tools-groups.test.ts.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type BrokerProcess, REPO, startBrokerProcess } from '../support/broker-process.ts'

interface Result {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs bin/<script> with arguments (and standard input), as a shell user would. */
function sh(
  script: string,
  args: string[],
  opts: { input?: string; env?: Record<string, string> } = {},
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(REPO, 'bin', script), args, {
      cwd: REPO,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => {
      stdout += d
    })
    child.stderr.on('data', (d) => {
      stderr += d
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 30000)
    child.once('error', reject)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    child.stdin.end(opts.input ?? '')
  })
}

describe('bin/ tools against a broker process', () => {
  let b: BrokerProcess | undefined
  let bs = ''
  before(async () => {
    b = await startBrokerProcess()
    bs = b.bootstrap
  })
  after(async () => {
    await b?.stop()
    b?.cleanup()
  })

  it("runs the guide's topic commands and prints Kafka's output", async () => {
    const created = await sh('kafka-topics.sh', [
      '--create',
      '--topic',
      'quickstart-events',
      '--partition',
      '1',
      '--bootstrap-server',
      bs,
    ])
    assert.deepEqual(created, { code: 0, stdout: 'Created topic quickstart-events.\n', stderr: '' })

    const list = await sh('kafka-topics.sh', ['--list', '--bootstrap-server', bs])
    assert.equal(list.code, 0)
    assert.ok(list.stdout.split('\n').includes('quickstart-events'), list.stdout)

    const described = await sh('kafka-topics.sh', [
      '--describe',
      '--topic',
      'quickstart-events',
      '--bootstrap-server',
      bs,
    ])
    assert.equal(described.code, 0, described.stderr)
    const lines = described.stdout.split('\n')
    assert.match(
      lines[0],
      /^Topic: quickstart-events\tTopicId: [A-Za-z0-9_-]{22}\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: .*$/,
    )
    assert.equal(
      lines[1],
      '\tTopic: quickstart-events\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: ',
    )
    assert.equal(lines.length, 3)

    const again = await sh('kafka-topics.sh', [
      '--create',
      '--topic',
      'quickstart-events',
      '--bootstrap-server',
      bs,
    ])
    assert.equal(again.code, 1)
    assert.match(
      again.stdout,
      /^Error while executing topic command : Topic 'quickstart-events' already exists\.?\n$/,
    )
    const quiet = await sh('kafka-topics.sh', [
      '--create',
      '--if-not-exists',
      '--topic',
      'quickstart-events',
      '--bootstrap-server',
      bs,
    ])
    assert.deepEqual(quiet, { code: 0, stdout: '', stderr: '' })

    // The guide writes `kafka-topic.sh` (singular) twice: it runs kafka-topics.sh with a note.
    const typo = await sh('kafka-topic.sh', [
      '--describe',
      '--topic',
      'quickstart-events',
      '--bootstrap-server',
      bs,
    ])
    assert.equal(typo.code, 0, typo.stderr)
    assert.equal(typo.stdout, described.stdout)
    assert.equal(typo.stderr, 'Note: kafka-topic.sh is kafka-topics.sh (plural); running kafka-topics.sh.\n')
  })

  it('round-trips keys, values and headers from the console producer to the console consumer', async () => {
    await sh('kafka-topics.sh', [
      '--create',
      '--topic',
      'round-trip',
      '--partitions',
      '1',
      '--bootstrap-server',
      bs,
    ])
    // headers<TAB>key<TAB>value; null.marker turns the third line's headers into none.
    const input = 'h1:a\tk1\tfirst value\nh2:b,h3:c\tk2\tsecond\nNULL\tk3\t\n'
    const produced = await sh(
      'kafka-console-producer.sh',
      [
        '--topic',
        'round-trip',
        '--bootstrap-server',
        bs,
        '--property',
        'parse.key=true',
        '--property',
        'parse.headers=true',
        '--property',
        'null.marker=NULL',
      ],
      { input },
    )
    assert.deepEqual(produced, { code: 0, stdout: '', stderr: '' })

    const consumed = await sh('kafka-console-consumer.sh', [
      '--topic',
      'round-trip',
      '--partition',
      '0',
      '--offset',
      'earliest',
      '--bootstrap-server',
      bs,
      '--property',
      'print.key=true',
      '--property',
      'print.headers=true',
      '--property',
      'print.offset=true',
      '--max-messages',
      '3',
    ])
    assert.equal(consumed.code, 0, consumed.stderr)
    assert.equal(
      consumed.stdout,
      'Offset:0\th1:a\tk1\tfirst value\nOffset:1\th2:b,h3:c\tk2\tsecond\nOffset:2\tNO_HEADERS\tk3\t\n',
    )
    assert.equal(consumed.stderr, 'Processed a total of 3 messages\n')
  })

  it('keys with a custom separator, and --timeout-ms ends a quiet consumer', async () => {
    await sh(
      'kafka-console-producer.sh',
      [
        '--topic',
        'keyed',
        '--bootstrap-server',
        bs,
        '--property',
        'parse.key=true',
        '--property',
        'key.separator=:',
      ],
      {
        input: 'user1:login\nuser2:logout\n',
      },
    )
    const r = await sh('kafka-console-consumer.sh', [
      '--topic',
      'keyed',
      '--partition',
      '0',
      '--offset',
      '0',
      '--bootstrap-server',
      bs,
      '--property',
      'print.key=true',
      '--property',
      'key.separator=:',
      '--timeout-ms',
      '1500',
    ])
    assert.equal(r.code, 0)
    assert.equal(r.stdout, 'user1:login\nuser2:logout\n')
    assert.match(r.stderr, /TimeoutException\nProcessed a total of 2 messages\n$/)
  })

  it('alters a topic config and describes it back', async () => {
    const altered = await sh('kafka-configs.sh', [
      '--bootstrap-server',
      bs,
      '--entity-type',
      'topics',
      '--entity-name',
      'quickstart-events',
      '--alter',
      '--add-config',
      'retention.ms=86400000,cleanup.policy=[delete,compact]',
    ])
    assert.deepEqual(altered, {
      code: 0,
      stdout: 'Completed updating config for topic quickstart-events.\n',
      stderr: '',
    })
    const described = await sh('kafka-configs.sh', [
      '--bootstrap-server',
      bs,
      '--entity-type',
      'topics',
      '--entity-name',
      'quickstart-events',
      '--describe',
    ])
    assert.equal(described.code, 0, described.stderr)
    const lines = described.stdout.trimEnd().split('\n')
    assert.equal(lines[0], 'Dynamic configs for topic quickstart-events are:')
    assert.match(
      lines[1],
      /^ {2}cleanup\.policy=delete,compact sensitive=false synonyms=\{DYNAMIC_TOPIC_CONFIG:cleanup\.policy=delete,compact.*\}$/,
    )
    assert.match(
      lines[2],
      /^ {2}retention\.ms=86400000 sensitive=false synonyms=\{DYNAMIC_TOPIC_CONFIG:retention\.ms=86400000.*\}$/,
    )
    const topic = await sh('kafka-topics.sh', [
      '--describe',
      '--topic',
      'quickstart-events',
      '--bootstrap-server',
      bs,
    ])
    assert.match(topic.stdout, /\tConfigs: .*retention\.ms=86400000/)

    const deleted = await sh('kafka-configs.sh', [
      '--bootstrap-server',
      bs,
      '--entity-type',
      'topics',
      '--entity-name',
      'quickstart-events',
      '--alter',
      '--delete-config',
      'retention.ms',
    ])
    assert.equal(deleted.code, 0)
    const after = await sh('kafka-configs.sh', [
      '--bootstrap-server',
      bs,
      '--topic',
      'quickstart-events',
      '--describe',
    ])
    assert.ok(!after.stdout.includes('retention.ms'), after.stdout)
  })

  it('gets offsets, deletes records, and gets them again', async () => {
    await sh('kafka-console-producer.sh', ['--topic', 'trim', '--bootstrap-server', bs], {
      input: 'a\nb\nc\nd\n',
    })
    const latest = await sh('kafka-get-offsets.sh', ['--bootstrap-server', bs, '--topic', 'trim'])
    assert.deepEqual(latest, { code: 0, stdout: 'trim:0:4\n', stderr: '' })
    const json = join(b!.logDir, 'delete.json')
    writeFileSync(
      json,
      JSON.stringify({ partitions: [{ topic: 'trim', partition: 0, offset: 2 }], version: 1 }),
    )
    const deleted = await sh('kafka-delete-records.sh', [
      '--bootstrap-server',
      bs,
      '--offset-json-file',
      json,
    ])
    assert.deepEqual(deleted, {
      code: 0,
      stdout:
        'Executing records delete operation\nRecords delete operation completed:\npartition: trim-0\tlow_watermark: 2\n',
      stderr: '',
    })
    const earliest = await sh('kafka-get-offsets.sh', [
      '--bootstrap-server',
      bs,
      '--topic-partitions',
      'trim:0',
      '--time',
      '-2',
    ])
    assert.equal(earliest.stdout, 'trim:0:2\n')
  })

  it('adds partitions with --alter and deletes a topic', async () => {
    await sh('kafka-topics.sh', ['--create', '--topic', 'grow', '--bootstrap-server', bs])
    const grown = await sh('kafka-topics.sh', [
      '--alter',
      '--topic',
      'grow',
      '--partitions',
      '3',
      '--bootstrap-server',
      bs,
    ])
    assert.deepEqual(grown, { code: 0, stdout: '', stderr: '' })
    const d = await sh('kafka-topics.sh', ['--describe', '--topic', 'grow', '--bootstrap-server', bs])
    assert.match(d.stdout, /PartitionCount: 3/)
    const removed = await sh('kafka-topics.sh', ['--delete', '--topic', 'grow', '--bootstrap-server', bs])
    assert.deepEqual(removed, { code: 0, stdout: '', stderr: '' })
    const missing = await sh('kafka-topics.sh', ['--describe', '--topic', 'grow', '--bootstrap-server', bs])
    assert.deepEqual(missing, {
      code: 1,
      stdout: "Error while executing topic command : Topic 'grow' does not exist as expected\n",
      stderr: '',
    })
  })

  it('runs the producer perf test with progress lines and the summary', async () => {
    const r = await sh(
      'kafka-producer-perf-test.sh',
      [
        '--topic',
        'perf',
        '--num-records',
        '3000',
        '--record-size',
        '100',
        '--throughput',
        '2000',
        '--producer-props',
        `bootstrap.servers=${bs}`,
        'acks=1',
      ],
      { env: { SAMSA_PERF_REPORTING_INTERVAL_MS: '300' } },
    )
    assert.equal(r.code, 0, r.stderr)
    const lines = r.stdout.trimEnd().split('\n')
    const progress =
      /^\d+ records sent, \d+\.\d records\/sec \(\d+\.\d\d MB\/sec\), \d+\.\d ms avg latency, \d+\.\d ms max latency\.$/
    assert.ok(lines.length >= 2, r.stdout)
    for (const l of lines.slice(0, -1)) assert.match(l, progress)
    assert.match(
      lines[lines.length - 1],
      /^3000 records sent, \d+\.\d records\/sec \(\d+\.\d\d MB\/sec\), \d+\.\d\d ms avg latency, \d+\.\d\d ms max latency, \d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99\.9th\.$/,
    )
    const offsets = await sh('kafka-get-offsets.sh', ['--bootstrap-server', bs, '--topic', 'perf'])
    assert.equal(offsets.stdout, 'perf:0:3000\n')
  })

  it("dumps the broker's own segment files offline", async () => {
    const dir = join(b!.logDir, 'data', 'round-trip-0')
    const log = join(dir, readdirSync(dir).find((f) => f.endsWith('.log'))!)
    const r = await sh('kafka-dump-log.sh', ['--files', log, '--print-data-log'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^Dumping .*round-trip-0\/0+\.log\nLog starting offset: 0\n/)
    assert.match(
      r.stdout,
      /\| offset: 0 CreateTime: \d+ keySize: 2 valueSize: 11 sequence: \d+ headerKeys: \[h1\] key: k1 payload: first value\n/,
    )
    assert.match(r.stdout, /headerKeys: \[h2,h3\] key: k2 payload: second\n/)
  })

  it('answers a wrong flag with one line and exit 1, and names an unreachable broker', async () => {
    const wrong = await sh('kafka-topics.sh', ['--list', '--zookeeper', 'localhost:2181'])
    assert.deepEqual(wrong, { code: 1, stdout: '', stderr: 'zookeeper is not a recognized option\n' })

    const server = createServer()
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as { port: number }).port
    await new Promise<void>((r) => server.close(() => r()))
    const down = await sh(
      'kafka-console-producer.sh',
      ['--topic', 't', '--bootstrap-server', `127.0.0.1:${port}`],
      { input: 'x\n' },
    )
    assert.deepEqual(down, {
      code: 1,
      stdout: '',
      stderr: `Error: cannot connect to the broker at 127.0.0.1:${port} (connection refused). Is the server running?\n`,
    })
  })
})
