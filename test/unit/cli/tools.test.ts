// The tools' option handling, usage text, messages and exit codes, run in-process (no broker).

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { before, describe, it } from 'node:test'
import { captureIo } from '../../../src/cli/common/io.ts'
import { runTool, TOOLS, usage } from '../../../src/cli/main.ts'

async function run(tool: string, ...argv: string[]) {
  const io = captureIo(new PassThrough(), { PATH: '' })
  const code = await runTool(tool, argv, io)
  return { code, out: io.stdout(), err: io.stderr() }
}

/** A port nothing listens on. */
let closedPort = 0
before(async () => {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  closedPort = (server.address() as { port: number }).port
  await new Promise<void>((r) => server.close(() => r()))
})

describe('kafka-topics.sh options', () => {
  it('prints the usage with the purpose for --help and no arguments (exit 1, as Kafka)', async () => {
    const help = await run('topics', '--help')
    assert.equal(help.code, 1)
    assert.ok(help.err.startsWith('This tool helps to create, delete, describe, or change a topic.\nOption '))
    const empty = await run('topics')
    assert.equal(empty.code, 1)
    assert.ok(empty.err.startsWith('Create, delete, describe, or change a topic.\nOption '))
  })

  it('refuses a wrong flag with one line and exit 1', async () => {
    const r = await run('topics', '--list', '--zookeeper', 'localhost:2181')
    assert.deepEqual(r, { code: 1, out: '', err: 'zookeeper is not a recognized option\n' })
  })

  it('needs exactly one action', async () => {
    const r = await run('topics', '--list', '--describe', '--bootstrap-server', 'x:1')
    assert.equal(r.code, 1)
    assert.ok(
      r.err.startsWith(
        'Command must include exactly one action: --list, --describe, --create, --alter or --delete\nOption',
      ),
    )
  })

  it('needs --bootstrap-server, and --topic for --create (with the usage)', async () => {
    assert.deepEqual(await run('topics', '--list'), {
      code: 1,
      out: '',
      err: '--bootstrap-server must be specified\n',
    })
    const r = await run('topics', '--create', '--bootstrap-server', 'x:1')
    assert.equal(r.code, 1)
    assert.ok(r.err.startsWith('Missing required argument "[topic]"\nOption'))
  })

  it('refuses options that do not go with the action', async () => {
    const r = await run('topics', '--list', '--partitions', '2', '--bootstrap-server', 'x:1')
    assert.ok(r.err.startsWith('Option "[partitions]" can\'t be used with option "[list]"\n'))
    const alter = await run(
      'topics',
      '--alter',
      '--topic',
      't',
      '--config',
      'a=b',
      '--bootstrap-server',
      'x:1',
    )
    assert.ok(
      alter.err.startsWith(
        'Option combination "[[bootstrap-server], [config]]" can\'t be used with option "[alter]"',
      ),
    )
  })

  it('names the address when no broker answers', async () => {
    const r = await run('topics', '--list', '--bootstrap-server', `127.0.0.1:${closedPort}`)
    assert.deepEqual(r, {
      code: 1,
      out: '',
      err: `Error: cannot connect to the broker at 127.0.0.1:${closedPort} (connection refused). Is the server running?\n`,
    })
  })
})

describe("other tools' options", () => {
  it('console producer: missing --topic gives the line and the usage', async () => {
    const r = await run('console-producer', '--bootstrap-server', 'x:1')
    assert.equal(r.code, 1)
    assert.ok(r.err.startsWith('Missing required argument "[topic]"\nOption'))
    const bad = await run('console-producer', '--topic', 't', '--bootstrap-server', 'nope')
    assert.ok(bad.err.startsWith('Please provide valid host:port like host1:9091,host2:9092\n\nOption'))
  })

  it("console consumer: Kafka's argument checks", async () => {
    const both = await run('console-consumer', '--topic', 't', '--include', 'x', '--bootstrap-server', 'x:1')
    assert.ok(both.err.startsWith('Exactly one of --include/--topic is required. \n'))
    const offset = await run('console-consumer', '--topic', 't', '--offset', '3', '--bootstrap-server', 'x:1')
    assert.ok(offset.err.startsWith('The partition is required when offset is specified.\n'))
    const group = await run(
      'console-consumer',
      '--topic',
      't',
      '--partition',
      '0',
      '--group',
      'g',
      '--bootstrap-server',
      'x:1',
    )
    assert.ok(group.err.startsWith('Options group and partition cannot be specified together.\n'))
    const reset = await run(
      'console-consumer',
      '--topic',
      't',
      '--from-beginning',
      '--consumer-property',
      'auto.offset.reset=latest',
      '--bootstrap-server',
      'x:1',
    )
    assert.deepEqual(reset, {
      code: 1,
      out: '',
      err: "Can't simultaneously specify --from-beginning and 'auto.offset.reset=latest', please remove one option\n",
    })
    const wrong = await run(
      'console-consumer',
      '--topic',
      't',
      '--partition',
      '0',
      '--offset',
      'soon',
      '--bootstrap-server',
      'x:1',
    )
    assert.ok(
      wrong.err.startsWith(
        "The provided offset value 'soon' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.\n",
      ),
    )
  })

  it('consumer groups: one action and the right companions', async () => {
    const none = await run('consumer-groups', '--bootstrap-server', 'x:1')
    assert.ok(
      none.err.startsWith(
        'Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets\n',
      ),
    )
    const describe = await run('consumer-groups', '--describe', '--bootstrap-server', 'x:1')
    assert.ok(
      describe.err.startsWith('Option [describe] takes one of these options: [group], [all-groups]\n'),
    )
    const members = await run('consumer-groups', '--list', '--members', '--bootstrap-server', 'x:1')
    assert.deepEqual(members, {
      code: 1,
      out: '',
      err: 'Option(s) [members] are unavailable given other options on the command line\n',
    })
    const reset = await run(
      'consumer-groups',
      '--reset-offsets',
      '--group',
      'g',
      '--to-earliest',
      '--to-latest',
      '--bootstrap-server',
      'x:1',
    )
    assert.ok(reset.err.includes(`Option "[to-earliest]" can't be used with option "[to-latest]"`))
  })

  it("configs: Kafka's one-line argument errors", async () => {
    assert.deepEqual(await run('configs', '--describe', '--bootstrap-server', 'x:1'), {
      code: 1,
      out: '',
      err: 'At least one entity type must be specified\n',
    })
    const alter = await run(
      'configs',
      '--alter',
      '--entity-type',
      'topics',
      '--entity-name',
      't',
      '--bootstrap-server',
      'x:1',
    )
    assert.equal(
      alter.err,
      'At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter\n',
    )
    const type = await run('configs', '--describe', '--entity-type', 'planets', '--bootstrap-server', 'x:1')
    assert.match(type.err, /^Invalid entity type planets, the entity type must be one of topics, clients/)
    const broker = await run(
      'configs',
      '--describe',
      '--entity-type',
      'brokers',
      '--entity-name',
      'b1',
      '--bootstrap-server',
      'x:1',
    )
    assert.equal(broker.err, 'The entity name for brokers must be a valid integer broker id, but it is: b1\n')
  })

  it('get-offsets, delete-records and consumer-perf-test check their required options', async () => {
    const offsets = await run('get-offsets', '--topic', 't')
    assert.ok(offsets.err.startsWith('Missing required argument "[bootstrap-server]"\n'))
    const unknown = await run('get-offsets', '--bogus')
    assert.deepEqual(unknown, { code: 1, out: '', err: 'Error occurred: bogus is not a recognized option\n' })
    const del = await run('delete-records', '--bootstrap-server', 'x:1')
    assert.ok(del.err.startsWith('Missing required argument "[offset-json-file]"\n'))
    const perf = await run('consumer-perf-test', '--bootstrap-server', 'x:1', '--topic', 't')
    assert.ok(perf.err.startsWith('Missing required argument "[messages]"\n'))
  })

  it('zookeeper-server-start says how to install ZooKeeper when there is none', async () => {
    // ZOOKEEPER_HOME names an empty directory, so no ZooKeeper installed on this machine is used.
    const home = mkdtempSync(join(tmpdir(), 'samsa-no-zk-'))
    try {
      const io = captureIo(new PassThrough(), { PATH: '', ZOOKEEPER_HOME: home })
      const code = await runTool('zookeeper-server-start', ['config/zookeeper.properties'], io)
      assert.equal(code, 1)
      assert.equal(io.stdout(), '')
      assert.ok(
        io
          .stderr()
          .startsWith(
            `ZOOKEEPER_HOME is set to ${home}, but ${join(home, 'bin', 'zkServer.sh')} is not there.\n`,
          ),
        io.stderr(),
      )
      assert.match(io.stderr(), /sudo apt-get update && sudo apt-get install zookeeper/)
      assert.match(io.stderr(), /config\/standalone\.properties/)
    } finally {
      rmSync(home, { recursive: true, force: true })
    }
    const usageLine = await run('zookeeper-server-start')
    assert.deepEqual(usageLine, {
      code: 1,
      out: 'USAGE: zookeeper-server-start.sh [-daemon] zookeeper.properties\n',
      err: '',
    })
  })

  it('samsa lists its tools and refuses unknown ones', async () => {
    for (const [name, t] of Object.entries(TOOLS))
      assert.ok(usage().includes(`${name}`) && usage().includes(t.script))
    const r = await run('no-such-tool')
    assert.equal(r.code, 1)
    assert.ok(r.err.startsWith("samsa: unknown tool 'no-such-tool'\n"))
  })

  it('prints the version for --version (exit 0)', async () => {
    const r = await run('topics', '--version')
    assert.equal(r.code, 0)
    assert.match(r.out, /^\d+\.\d+\.\d+/)
  })
})
