// kafka-topics.sh --describe through DescribeTopicPartitions (KIP-966) against a broker process: a
// topic of 2,000 partitions (the check; creating it is most of this file's ~10 s) described
// with --partition-size-limit-per-response 500 takes 4 requests, and with a second topic after it a
// 5th whose cursor starts that topic (the limit ended exactly at the big topic's end). The requests
// are counted from the broker's debug log; every partition line is printed once, in order, with
// the Elr/LastKnownElr lists the API carries (empty: no ELR) instead of Metadata's N/A.

import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type BrokerProcess, REPO, startBrokerProcess } from '../support/broker-process.ts'
import { run, runOk } from '../support/e2e-clients.ts'

const TOPICS = join(REPO, 'bin/kafka-topics.sh')
const BIG = 2000

/** The broker's DescribeTopicPartitions debug lines: one per request served. */
const served = (b: BrokerProcess) =>
  b
    .output()
    .split('\n')
    .filter((l) => l.includes('DEBUG DescribeTopicPartitions: '))

async function waitFor(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const partitionLine = (topic: string, p: number) =>
  `\tTopic: ${topic}\tPartition: ${p}\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: `

describe('kafka-topics.sh --describe pages through DescribeTopicPartitions', () => {
  let b: BrokerProcess | undefined
  let bs = ''
  before(async () => {
    const level = process.env.SAMSA_LOG_LEVEL
    process.env.SAMSA_LOG_LEVEL = 'debug'
    try {
      b = await startBrokerProcess()
    } finally {
      if (level === undefined) delete process.env.SAMSA_LOG_LEVEL
      else process.env.SAMSA_LOG_LEVEL = level
    }
    bs = b.bootstrap
    await runOk(
      TOPICS,
      ['--create', '--topic', 'big', '--partitions', String(BIG), '--bootstrap-server', bs],
      {
        timeoutMs: 60000,
      },
    )
    await runOk(TOPICS, ['--create', '--topic', 'small', '--partitions', '3', '--bootstrap-server', bs])
  })
  after(async () => {
    await b?.stop()
    b?.cleanup()
  })

  it('describes 2,000 partitions in 4 requests of 500, each partition once and in order', async () => {
    const before = served(b!).length
    const r = await runOk(TOPICS, [
      '--describe',
      '--topic',
      'big',
      '--partition-size-limit-per-response',
      '500',
      '--bootstrap-server',
      bs,
    ])
    const lines = r.stdout.split('\n').filter((l) => l !== '')
    assert.match(
      lines[0]!,
      new RegExp(`^Topic: big\tTopicId: \\S{22}\tPartitionCount: ${BIG}\tReplicationFactor: 1\t`),
    )
    assert.deepEqual(
      lines.slice(1),
      Array.from({ length: BIG }, (_, p) => partitionLine('big', p)),
    )
    await waitFor('4 requests in the broker log', () => served(b!).length >= before + 4)
    const requests = served(b!).slice(before)
    assert.deepEqual(
      requests.map((l) => /cursor (\S+), next cursor (\S+)/.exec(l)?.slice(1)),
      [
        ['-', 'big:500'],
        ['big:500', 'big:1000'],
        ['big:1000', 'big:1500'],
        ['big:1500', '-'],
      ],
    )
  })

  it('moves to the next topic when a page ends exactly at a topic end (every topic, limit 500)', async () => {
    const before = served(b!).length
    const r = await runOk(TOPICS, [
      '--describe',
      '--partition-size-limit-per-response',
      '500',
      '--exclude-internal',
      '--bootstrap-server',
      bs,
    ])
    const partitions = r.stdout.split('\n').filter((l) => l.startsWith('\tTopic: '))
    assert.deepEqual(partitions, [
      ...Array.from({ length: BIG }, (_, p) => partitionLine('big', p)),
      ...[0, 1, 2].map((p) => partitionLine('small', p)),
    ])
    await waitFor('5 requests in the broker log', () => served(b!).length >= before + 5)
    const cursors = served(b!)
      .slice(before)
      .map((l) => /next cursor (\S+)/.exec(l)?.[1])
    assert.deepEqual(cursors, ['big:500', 'big:1000', 'big:1500', 'small:0', '-'])
  })

  it('reads Metadata for --topic-id (Elr N/A), as Kafka does', async () => {
    const byName = await runOk(TOPICS, ['--describe', '--topic', 'small', '--bootstrap-server', bs])
    const id = /TopicId: (\S+)/.exec(byName.stdout)![1]!
    const before = served(b!).length
    const r = await run(TOPICS, ['--describe', '--topic-id', id, '--bootstrap-server', bs])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(
      r.stdout.split('\n')[1],
      '\tTopic: small\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: N/A\tLastKnownElr: N/A',
    )
    assert.equal(served(b!).length, before)
  })
})
