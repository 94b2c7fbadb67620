// kafka-transactions.sh without a broker: its command line (argparse-style errors, help, version)
// and the table it prints. Its requests are tested against a broker in test/e2e/transactions.test.ts.

import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { describe, it } from 'node:test'
import { captureIo } from '../../../src/cli/common/io.ts'
import { runTool } from '../../../src/cli/main.ts'
import { parseTxnOptions } from '../../../src/cli/transactions/options.ts'
import { table } from '../../../src/cli/transactions/run.ts'

async function run(...argv: string[]) {
  const io = captureIo(new PassThrough(), { PATH: '' })
  const code = await runTool('transactions', argv, io)
  return { code, out: io.stdout(), err: io.stderr() }
}

describe('kafka-transactions.sh options', () => {
  it('parses global options before the command and the command options after it', () => {
    const l = parseTxnOptions(['--bootstrap-server', 'h:1', 'list'], 'v')
    assert.deepEqual(
      [l.bootstrap, l.command, l.commandConfig, l.maxTransactionTimeoutMinutes],
      ['h:1', 'list', null, 15],
    )
    const a = parseTxnOptions(
      ['--bootstrap-server', 'h:1', 'abort', '--topic', 't', '--partition', '2', '--start-offset', '40'],
      'v',
    )
    assert.deepEqual([a.topic, a.partition, a.startOffset], ['t', 2, 40n])
    const d = parseTxnOptions(
      ['--command-config=c.properties', '--bootstrap-server=h:1', 'describe', '--transactional-id', 'tx'],
      'v',
    )
    assert.deepEqual([d.command, d.transactionalId, d.commandConfig], ['describe', 'tx', 'c.properties'])
  })

  it('refuses what argparse refuses, with the usage line and exit 1', async () => {
    const cases: [string[], RegExp][] = [
      [['list'], /argument --bootstrap-server is required/],
      [['--bootstrap-server', 'h:1'], /too few arguments/],
      [['--bootstrap-server', 'h:1', 'hang'], /invalid choice: 'hang'/],
      [['--bootstrap-server', 'h:1', 'describe'], /argument --transactional-id is required/],
      [['--bootstrap-server', 'h:1', 'list', '--transactional-id', 'x'], /unrecognized arguments/],
      [
        ['--bootstrap-server', 'h:1', 'describe-producers', '--topic', 't'],
        /argument --partition is required/,
      ],
      [
        ['--bootstrap-server', 'h:1', 'abort', '--topic', 't', '--partition', '0'],
        /one of the arguments --start-offset/,
      ],
      [
        ['--bootstrap-server', 'h:1', 'abort', '--topic', 't', '--partition', 'x'],
        /could not convert 'x' to Integer/,
      ],
      [['--bootstrap-server', 'h:1', 'find-hanging'], /one of the arguments --broker-id --topic is required/],
    ]
    for (const [argv, message] of cases) {
      const r = await run(...argv)
      assert.equal(r.code, 1, argv.join(' '))
      assert.match(r.err, /^usage: kafka-transactions\.sh /)
      assert.match(r.err, message)
    }
    const help = await run('--help')
    assert.equal(help.code, 0)
    assert.match(help.out, /describe the state of an active transactional-id/)
  })

  it('prints tables with columns padded to their widest cell', () => {
    assert.equal(
      table(
        ['TransactionalId', 'Coordinator'],
        [
          ['a-much-longer-id', '1'],
          ['b', '2'],
        ],
      ),
      'TransactionalId \tCoordinator\na-much-longer-id\t1\nb               \t2\n',
    )
  })
})
