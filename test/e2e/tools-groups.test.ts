// The consumer-group side of the bin/ tools against a real broker process: the guide's console
// consumer (a group member), consumer-groups --describe lag after a partial consume, --reset-offsets
// --to-earliest --execute, --list/--state/--members/--delete, and the consumer perf test. They need
// the broker's group coordinator.

import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type BrokerProcess, REPO, startBrokerProcess } from '../support/broker-process.ts'

interface Result {
  code: number | null
  stdout: string
  stderr: string
}

function start(
  script: string,
  args: string[],
  input = '',
): { child: ChildProcess; result: Promise<Result>; stdout: () => string } {
  const child = spawn(join(REPO, 'bin', script), args, { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d) => {
    stdout += d
  })
  child.stderr!.on('data', (d) => {
    stderr += d
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), 40000)
  const result = new Promise<Result>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
  child.stdin!.end(input)
  return { child, result, stdout: () => stdout }
}

const sh = (script: string, args: string[], input = '') => start(script, args, input).result

async function until(check: () => boolean, what: string, ms = 20000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

const row = (line: string) => line.trim().split(/\s+/)

describe('consumer-group tools against a broker process', () => {
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

  it("consumes the guide's events with the console consumer from the beginning", async () => {
    await sh('kafka-topics.sh', ['--create', '--topic', 'quickstart-events', '--bootstrap-server', bs])
    const produced = await sh(
      'kafka-console-producer.sh',
      ['--topic', 'quickstart-events', '--bootstrap-server', bs],
      'This is my first event\nThis is my second event\n',
    )
    assert.equal(produced.code, 0, produced.stderr)
    const consumed = await sh('kafka-console-consumer.sh', [
      '--topic',
      'quickstart-events',
      '--from-beginning',
      '--bootstrap-server',
      bs,
      '--max-messages',
      '2',
    ])
    assert.deepEqual(consumed, {
      code: 0,
      stdout: 'This is my first event\nThis is my second event\n',
      stderr: 'Processed a total of 2 messages\n',
    })
  })

  it('shows the lag of a group after a partial consume, resets it to the earliest offset, lists and deletes it', async () => {
    await sh('kafka-topics.sh', ['--create', '--topic', 'lag', '--partitions', '1', '--bootstrap-server', bs])
    await sh(
      'kafka-console-producer.sh',
      ['--topic', 'lag', '--bootstrap-server', bs],
      'm0\nm1\nm2\nm3\nm4\nm5\nm6\nm7\nm8\nm9\n',
    )
    const partial = await sh('kafka-console-consumer.sh', [
      '--topic',
      'lag',
      '--group',
      'lag-group',
      '--from-beginning',
      '--bootstrap-server',
      bs,
      '--max-messages',
      '4',
    ])
    assert.equal(partial.stdout, 'm0\nm1\nm2\nm3\n')

    const described = await sh('kafka-consumer-groups.sh', [
      '--bootstrap-server',
      bs,
      '--describe',
      '--group',
      'lag-group',
    ])
    assert.equal(described.code, 0)
    assert.equal(described.stderr, "\nConsumer group 'lag-group' has no active members.\n")
    const lines = described.stdout.split('\n')
    assert.equal(lines[0], '')
    assert.deepEqual(row(lines[1]), [
      'GROUP',
      'TOPIC',
      'PARTITION',
      'CURRENT-OFFSET',
      'LOG-END-OFFSET',
      'LAG',
      'CONSUMER-ID',
      'HOST',
      'CLIENT-ID',
    ])
    assert.deepEqual(row(lines[2]), ['lag-group', 'lag', '0', '4', '10', '6', '-', '-', '-'])

    const reset = await sh('kafka-consumer-groups.sh', [
      '--bootstrap-server',
      bs,
      '--reset-offsets',
      '--group',
      'lag-group',
      '--topic',
      'lag',
      '--to-earliest',
      '--execute',
    ])
    assert.equal(reset.code, 0, reset.stderr)
    const resetLines = reset.stdout.split('\n')
    assert.deepEqual(row(resetLines[1]), ['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'])
    assert.deepEqual(row(resetLines[2]), ['lag-group', 'lag', '0', '0'])
    const afterReset = await sh('kafka-consumer-groups.sh', [
      '--bootstrap-server',
      bs,
      '--describe',
      '--group',
      'lag-group',
    ])
    assert.deepEqual(row(afterReset.stdout.split('\n')[2]), [
      'lag-group',
      'lag',
      '0',
      '0',
      '10',
      '10',
      '-',
      '-',
      '-',
    ])

    const list = await sh('kafka-consumer-groups.sh', ['--bootstrap-server', bs, '--list'])
    assert.ok(list.stdout.split('\n').includes('lag-group'), list.stdout)
    const state = await sh('kafka-consumer-groups.sh', [
      '--bootstrap-server',
      bs,
      '--describe',
      '--group',
      'lag-group',
      '--state',
    ])
    assert.match(
      state.stdout,
      /^\nGROUP +COORDINATOR \(ID\) +ASSIGNMENT-STRATEGY +STATE +#MEMBERS\nlag-group +\S+:\d+ {2}\(1\) +Empty +0\n$/,
    )

    const deleted = await sh('kafka-consumer-groups.sh', [
      '--bootstrap-server',
      bs,
      '--delete',
      '--group',
      'lag-group',
    ])
    assert.equal(deleted.stdout, "Deletion of requested consumer groups ('lag-group') was successful.\n")
  })

  it('describes an active member while a console consumer runs', async () => {
    await sh('kafka-console-producer.sh', ['--topic', 'live', '--bootstrap-server', bs], 'one\n')
    const consumer = start('kafka-console-consumer.sh', [
      '--topic',
      'live',
      '--group',
      'live-group',
      '--from-beginning',
      '--bootstrap-server',
      bs,
    ])
    try {
      await until(() => consumer.stdout() === 'one\n', 'the consumer to print its record')
      const members = await sh('kafka-consumer-groups.sh', [
        '--bootstrap-server',
        bs,
        '--describe',
        '--group',
        'live-group',
        '--members',
      ])
      const lines = members.stdout.split('\n')
      assert.deepEqual(row(lines[1]), ['GROUP', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS'])
      const [group, consumerId, , clientId, partitions] = row(lines[2])
      assert.equal(group, 'live-group')
      assert.ok(consumerId.length > 0 && consumerId !== '-')
      assert.equal(clientId, 'console-consumer')
      assert.equal(partitions, '1')
    } finally {
      consumer.child.kill('SIGTERM')
    }
    const done = await consumer.result
    assert.equal(done.code, 0)
    assert.equal(done.stderr, 'Processed a total of 1 messages\n')
  })

  it('runs the consumer perf test and prints its summary', async () => {
    await sh('kafka-producer-perf-test.sh', [
      '--topic',
      'perf-c',
      '--num-records',
      '500',
      '--record-size',
      '100',
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${bs}`,
    ])
    const r = await sh('kafka-consumer-perf-test.sh', [
      '--bootstrap-server',
      bs,
      '--topic',
      'perf-c',
      '--messages',
      '500',
    ])
    assert.equal(r.code, 0, r.stderr)
    const [header, summary] = r.stdout.trimEnd().split('\n')
    assert.equal(
      header,
      'start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec',
    )
    const fields = summary.split(', ')
    assert.equal(fields.length, 10)
    assert.match(fields[0], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3}$/)
    assert.equal(fields[2], '0.0477')
    assert.equal(fields[4], '500')
  })
})
