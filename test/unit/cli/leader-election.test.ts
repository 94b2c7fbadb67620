// kafka-leader-election.sh: option checks in Kafka's words, the output lines, the JSON file, and the
// ElectLeaders request the tool sends through @platformatic/kafka, decoded and answered by a small
// fake controller built on Samsa's generated codecs (so both sides of the hand-built request are
// checked against Kafka's schemas). Loopback only, port 0.

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { captureIo } from '../../../src/cli/common/io.ts'
import { groupByTopic } from '../../../src/cli/leader-election/elect-leaders-api.ts'
import {
  parseElectionJson,
  parseElectionType,
  parseLeaderElectionOptions,
} from '../../../src/cli/leader-election/options.ts'
import { formatElectionResults, javaException } from '../../../src/cli/leader-election/output.ts'
import { runTool } from '../../../src/cli/main.ts'
import {
  decodeRequestBody,
  decodeRequestFrame,
  encodeResponseFrame,
  type RequestFrame,
} from '../../../src/protocol/frame.ts'
import { FrameReader } from '../../../src/protocol/frame-reader.ts'
import { API_TABLE, ApiKey } from '../../../src/protocol/generated/api-keys.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import type { ElectLeadersRequest } from '../../../src/protocol/generated/messages/elect-leaders.ts'

async function run(...argv: string[]) {
  const io = captureIo(new PassThrough(), { PATH: '' })
  const code = await runTool('leader-election', argv, io)
  return { code, out: io.stdout(), err: io.stderr() }
}

describe('kafka-leader-election.sh options', () => {
  it('prints the usage with the purpose for --help and no arguments (exit 1)', async () => {
    for (const argv of [['--help'], []]) {
      const r = await run(...argv)
      assert.equal(r.code, 1)
      assert.ok(
        r.err.startsWith('This tool attempts to elect a new leader for a set of topic partitions.'),
        r.err,
      )
      for (const o of ['--all-topic-partitions', '--election-type', '--path-to-json-file', '--admin.config'])
        assert.ok(r.err.includes(o), o)
    }
  })

  it("checks the options in Kafka's order and words, one line on stderr, exit 1", async () => {
    const cases: [string[], string][] = [
      [['--topic', 't'], 'Missing required option(s): bootstrap-server, election-type'],
      [['--bootstrap-server', 'h:1', '--topic', 't'], 'Missing required option(s): election-type'],
      [
        ['--bootstrap-server', 'h:1', '--election-type', 'preferred'],
        'One and only one of the following options is required: topic, all-topic-partitions, path-to-json-file',
      ],
      [
        [
          '--bootstrap-server',
          'h:1',
          '--election-type',
          'preferred',
          '--topic',
          't',
          '--all-topic-partitions',
        ],
        'One and only one of the following options is required: topic, all-topic-partitions, path-to-json-file',
      ],
      [
        ['--bootstrap-server', 'h:1', '--election-type', 'preferred', '--topic', 't'],
        'Missing required option(s): partition',
      ],
      [
        [
          '--bootstrap-server',
          'h:1',
          '--election-type',
          'preferred',
          '--all-topic-partitions',
          '--partition',
          '0',
        ],
        'Option partition is only allowed if topic is used',
      ],
      [
        ['--bootstrap-server', 'h:1', '--election-type', 'fastest', '--all-topic-partitions'],
        "Cannot parse argument 'fastest' of option election-type",
      ],
      [
        ['--bootstrap-server', 'h:1', '--election-type', 'preferred', '--topic', 't', '--partition', 'x'],
        "Cannot parse argument 'x' of option partition",
      ],
      [['--bogus'], 'bogus is not a recognized option'],
    ]
    for (const [argv, message] of cases) {
      const r = await run(...argv)
      assert.deepEqual(r, { code: 1, out: '', err: `${message}\n` }, argv.join(' '))
    }
  })

  it('refuses --admin.config together with --command-config', async () => {
    const r = await run(
      '--bootstrap-server',
      'h:1',
      '--election-type',
      'preferred',
      '--all-topic-partitions',
      '--admin.config',
      'a',
      '--command-config',
      'b',
    )
    assert.equal(r.code, 1)
    assert.ok(r.err.startsWith('Option "[admin.config]" can\'t be used with option "[command-config]"\n'))
  })

  it('reads the election type in any case, and the three ways to name partitions', () => {
    assert.equal(parseElectionType('Preferred'), 'PREFERRED')
    assert.equal(parseElectionType('UNCLEAN'), 'UNCLEAN')
    assert.equal(parseElectionType('unclean'), 'UNCLEAN')
    assert.equal(parseElectionType('dirty'), null)
    const single = parseLeaderElectionOptions([
      '--bootstrap-server',
      'h:1',
      '--election-type',
      'PREFERRED',
      '--topic',
      't',
      '--partition',
      '2',
    ])
    assert.deepEqual(single, {
      bootstrap: 'h:1',
      electionType: 'PREFERRED',
      single: { topic: 't', partition: 2 },
      jsonFile: null,
      configFile: null,
    })
    const all = parseLeaderElectionOptions([
      '--bootstrap-server',
      'h:1',
      '--election-type',
      'unclean',
      '--all-topic-partitions',
      '--admin.config',
      'a.properties',
    ])
    assert.deepEqual(all, {
      bootstrap: 'h:1',
      electionType: 'UNCLEAN',
      single: null,
      jsonFile: null,
      configFile: 'a.properties',
    })
    const json = parseLeaderElectionOptions([
      '--bootstrap-server',
      'h:1',
      '--election-type',
      'preferred',
      '--path-to-json-file',
      'p.json',
      '--command-config',
      'c',
    ])
    assert.equal(json.jsonFile, 'p.json')
    assert.equal(json.configFile, 'c')
  })

  it('reads the JSON file format, refusing what Kafka refuses', () => {
    assert.deepEqual(
      parseElectionJson(
        '{"partitions": [{"topic": "foo", "partition": 1}, {"topic": "foobar", "partition": 2}]}',
      ),
      [
        { topic: 'foo', partition: 1 },
        { topic: 'foobar', partition: 2 },
      ],
    )
    assert.deepEqual(parseElectionJson('{"partitions": []}'), [])
    const refused = (text: string, message: string) =>
      assert.throws(() => parseElectionJson(text), { message })
    refused('not json', 'Replica election data is empty')
    refused('{}', 'Replica election data is missing "partitions" field')
    refused('{"partitions": [{"partition": 1}]}', 'No such field exists: `topic`')
    refused('{"partitions": [{"topic": "a"}]}', 'No such field exists: `partition`')
    refused(
      '{"partitions": [{"topic": "a", "partition": 1}, {"topic": "a", "partition": 1}]}',
      'Replica election data contains duplicate partitions: [a-1]',
    )
  })

  it('ends with one line when the JSON file is missing', async () => {
    const r = await run(
      '--bootstrap-server',
      'h:1',
      '--election-type',
      'preferred',
      '--path-to-json-file',
      'no-such.json',
    )
    assert.deepEqual(r, { code: 1, out: '', err: 'no-such.json (No such file or directory)\n' })
  })
})

describe('kafka-leader-election.sh output', () => {
  it('prints elected, already-elected and failed partitions as Kafka does, sorted', () => {
    const r = formatElectionResults('PREFERRED', [
      { topic: 't', partition: 1, error: null },
      { topic: 'a', partition: 0, error: null },
      {
        topic: 't',
        partition: 0,
        error: { name: 'ELECTION_NOT_NEEDED', message: 'Leader election not needed for topic partition.' },
      },
      { topic: 't', partition: 10, error: null },
    ])
    assert.deepEqual(r, {
      stdout: [
        'Successfully completed leader election (PREFERRED) for partitions a-0, t-1, t-10',
        'Valid replica already elected for partitions t-0',
      ],
      failure: null,
    })
  })

  it('prints each failure with the Java exception and ends with the count', () => {
    const r = formatElectionResults('UNCLEAN', [
      {
        topic: 't',
        partition: 0,
        error: {
          name: 'ELIGIBLE_LEADERS_NOT_AVAILABLE',
          message: 'Eligible topic partition leaders are not available.',
        },
      },
      {
        topic: 'u',
        partition: 3,
        error: { name: 'UNKNOWN_TOPIC_OR_PARTITION', message: 'The partition 3 does not exist.' },
      },
    ])
    assert.deepEqual(r.stdout, [
      'Error completing leader election (UNCLEAN) for partition: t-0: org.apache.kafka.common.errors.EligibleLeadersNotAvailableException: Eligible topic partition leaders are not available.',
      'Error completing leader election (UNCLEAN) for partition: u-3: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: The partition 3 does not exist.',
    ])
    assert.equal(r.failure, '2 replica(s) could not be elected')
    assert.deepEqual(formatElectionResults('PREFERRED', []), { stdout: [], failure: null })
  })

  it("names Java's exception classes, including the irregular ones", () => {
    assert.equal(
      javaException('PREFERRED_LEADER_NOT_AVAILABLE', 'm'),
      'org.apache.kafka.common.errors.PreferredLeaderNotAvailableException: m',
    )
    assert.equal(
      javaException('INVALID_TOPIC_EXCEPTION', 'm'),
      'org.apache.kafka.common.errors.InvalidTopicException: m',
    )
    assert.equal(
      javaException('REQUEST_TIMED_OUT', 'm'),
      'org.apache.kafka.common.errors.TimeoutException: m',
    )
    assert.equal(
      javaException('CLUSTER_AUTHORIZATION_FAILED', 'm'),
      'org.apache.kafka.common.errors.ClusterAuthorizationException: m',
    )
  })

  it('groups requested partitions by topic in first-seen order', () => {
    assert.deepEqual(
      groupByTopic([
        { topic: 'b', partition: 1 },
        { topic: 'a', partition: 0 },
        { topic: 'b', partition: 0 },
      ]),
      [
        { topic: 'b', partitions: [1, 0] },
        { topic: 'a', partitions: [0] },
      ],
    )
  })
})

type Answer = (
  req: ElectLeadersRequest,
  n: number,
) => { errorCode: number; results: [string, number, number, string | null][] }

/** A one-node fake controller: ApiVersions, Metadata (itself, controller) and scripted ElectLeaders. */
class FakeController {
  readonly electRequests: { version: number; body: ElectLeadersRequest }[] = []
  private readonly server = net.createServer((s) => this.accept(s))
  private readonly sockets = new Set<net.Socket>()
  port = 0
  private readonly electMaxVersion: number
  private readonly answer: Answer
  constructor(electMaxVersion: number, answer: Answer) {
    this.electMaxVersion = electMaxVersion
    this.answer = answer
  }

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r))
    this.port = (this.server.address() as net.AddressInfo).port
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((r) => this.server.close(() => r()))
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket)
    socket.on('close', () => this.sockets.delete(socket))
    socket.on('error', () => {})
    const reader = new FrameReader()
    socket.on('data', (chunk) => {
      for (const f of reader.push(chunk)) socket.write(this.respond(decodeRequestFrame(f)))
    })
  }

  private respond(frame: RequestFrame): Buffer {
    const codec = API_TABLE[frame.apiKey]!.response
    const v = frame.apiVersion
    const resp = codec.defaults(v) as Record<string, unknown>
    if (frame.apiKey === ApiKey.ApiVersions) {
      resp.apiKeys = [
        { apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 4 },
        { apiKey: ApiKey.Metadata, minVersion: 0, maxVersion: 12 },
        { apiKey: ApiKey.ElectLeaders, minVersion: 0, maxVersion: this.electMaxVersion },
      ]
    } else if (frame.apiKey === ApiKey.Metadata) {
      resp.brokers = [{ nodeId: 7, host: '127.0.0.1', port: this.port, rack: null }]
      resp.controllerId = 7
      resp.clusterId = 'fake'
      resp.topics = []
    } else if (frame.apiKey === ApiKey.ElectLeaders) {
      const body = decodeRequestBody<ElectLeadersRequest>(frame)
      this.electRequests.push({ version: v, body })
      const a = this.answer(body, this.electRequests.length)
      resp.errorCode = a.errorCode
      const byTopic = new Map<
        string,
        { partitionId: number; errorCode: number; errorMessage: string | null }[]
      >()
      for (const [topic, partitionId, errorCode, errorMessage] of a.results)
        byTopic.set(topic, [...(byTopic.get(topic) ?? []), { partitionId, errorCode, errorMessage }])
      resp.replicaElectionResults = [...byTopic].map(([topic, partitionResult]) => ({
        topic,
        partitionResult,
      }))
    } else {
      throw new Error(`unexpected api ${frame.apiKey}`)
    }
    return encodeResponseFrame(codec, resp, v, frame.correlationId)
  }
}

describe('kafka-leader-election.sh against a fake controller', () => {
  let dir = ''
  const fakes: FakeController[] = []
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'samsa-election-'))
  })
  after(async () => {
    for (const f of fakes) await f.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const fake = async (max: number, answer: Answer) => {
    const f = new FakeController(max, answer)
    fakes.push(f)
    await f.start()
    return f
  }

  it('sends v2 with the election type and partitions, and prints the outcome per partition', async () => {
    const f = await fake(2, () => ({
      errorCode: 0,
      results: [
        ['t', 1, 0, null],
        ['t', 0, ErrorCode.ELECTION_NOT_NEEDED, null],
        ['u', 2, ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, 'Preferred replica 3 is not alive'],
      ],
    }))
    const file = join(dir, 'partitions.json')
    writeFileSync(
      file,
      JSON.stringify({
        partitions: [
          { topic: 't', partition: 1 },
          { topic: 'u', partition: 2 },
          { topic: 't', partition: 0 },
        ],
      }),
    )
    const r = await run(
      '--bootstrap-server',
      `127.0.0.1:${f.port}`,
      '--election-type',
      'preferred',
      '--path-to-json-file',
      file,
    )
    assert.equal(
      r.out,
      [
        'Successfully completed leader election (PREFERRED) for partitions t-1',
        'Valid replica already elected for partitions t-0',
        'Error completing leader election (PREFERRED) for partition: u-2: org.apache.kafka.common.errors.PreferredLeaderNotAvailableException: Preferred replica 3 is not alive',
        '',
      ].join('\n'),
    )
    assert.equal(r.err, '1 replica(s) could not be elected\n')
    assert.equal(r.code, 1)
    assert.equal(f.electRequests.length, 1)
    const { version, body } = f.electRequests[0]!
    assert.equal(version, 2)
    assert.equal(body.electionType, 0)
    assert.deepEqual(body.topicPartitions, [
      { topic: 't', partitions: [1, 0] },
      { topic: 'u', partitions: [2] },
    ])
    assert.ok(body.timeoutMs > 0 && body.timeoutMs <= 30000)
  })

  it('asks for all partitions with a null list, unclean as type 1, on v1', async () => {
    const f = await fake(1, () => ({ errorCode: 0, results: [['t', 0, 0, null]] }))
    const r = await run(
      '--bootstrap-server',
      `127.0.0.1:${f.port}`,
      '--election-type',
      'UNCLEAN',
      '--all-topic-partitions',
    )
    assert.deepEqual(r, {
      code: 0,
      out: 'Successfully completed leader election (UNCLEAN) for partitions t-0\n',
      err: '',
    })
    assert.equal(f.electRequests[0]!.version, 1)
    assert.equal(f.electRequests[0]!.body.electionType, 1)
    assert.equal(f.electRequests[0]!.body.topicPartitions, null)
  })

  it('uses v0 for a preferred election on an old broker, and refuses unclean there', async () => {
    const f = await fake(0, () => ({ errorCode: 0, results: [['t', 4, 0, null]] }))
    const ok = await run(
      '--bootstrap-server',
      `127.0.0.1:${f.port}`,
      '--election-type',
      'preferred',
      '--topic',
      't',
      '--partition',
      '4',
    )
    assert.deepEqual(ok, {
      code: 0,
      out: 'Successfully completed leader election (PREFERRED) for partitions t-4\n',
      err: '',
    })
    assert.equal(f.electRequests[0]!.version, 0)
    assert.deepEqual(f.electRequests[0]!.body.topicPartitions, [{ topic: 't', partitions: [4] }])
    const unclean = await run(
      '--bootstrap-server',
      `127.0.0.1:${f.port}`,
      '--election-type',
      'unclean',
      '--topic',
      't',
      '--partition',
      '4',
    )
    assert.equal(unclean.code, 1)
    assert.match(
      unclean.err,
      /UnsupportedVersionException: API Version 0 only supports PREFERRED election type/,
    )
    assert.equal(f.electRequests.length, 1)
  })

  it('asks again when the controller answers NOT_CONTROLLER (it moved)', async () => {
    const f = await fake(2, (_req, n) =>
      n === 1
        ? { errorCode: 0, results: [['t', 0, ErrorCode.NOT_CONTROLLER, null]] }
        : { errorCode: 0, results: [['t', 0, 0, null]] },
    )
    const r = await run(
      '--bootstrap-server',
      `127.0.0.1:${f.port}`,
      '--election-type',
      'preferred',
      '--topic',
      't',
      '--partition',
      '0',
    )
    assert.deepEqual(r, {
      code: 0,
      out: 'Successfully completed leader election (PREFERRED) for partitions t-0\n',
      err: '',
    })
    assert.equal(f.electRequests.length, 2)
  })

  it('reports a refused request: not authorized, or another top-level error', async () => {
    const denied = await fake(2, () => ({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, results: [] }))
    const r = await run(
      '--bootstrap-server',
      `127.0.0.1:${denied.port}`,
      '--election-type',
      'preferred',
      '--all-topic-partitions',
    )
    assert.deepEqual(r, {
      code: 1,
      out: 'Not authorized to perform leader election\n',
      err: 'Not authorized to perform leader election\n',
    })
    const broken = await fake(2, () => ({ errorCode: ErrorCode.INVALID_REQUEST, results: [] }))
    const b = await run(
      '--bootstrap-server',
      `127.0.0.1:${broken.port}`,
      '--election-type',
      'preferred',
      '--all-topic-partitions',
    )
    assert.equal(b.code, 1)
    assert.equal(b.out, '')
    assert.match(b.err, /^org\.apache\.kafka\.common\.errors\.InvalidRequestException: /)
  })
})
