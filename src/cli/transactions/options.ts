// kafka-transactions.sh's command line (Kafka's TransactionsCommand, argparse4j with subcommands):
//
//   kafka-transactions.sh [-h] [-v] [--command-config FILE] --bootstrap-server host:port COMMAND ...
//     list                                              transactions of the whole cluster
//     describe --transactional-id ID                     one transaction, at its coordinator
//     describe-producers --topic T --partition P [--broker-id B]
//     abort --topic T --partition P (--start-offset O | --producer-id I --producer-epoch E
//           --coordinator-epoch C)
//     find-hanging (--broker-id B | --topic T [--partition P]) [--max-transaction-timeout MINUTES]
//
// Options take `--name value` or `--name=value`; errors print the usage and
// `kafka-transactions.sh: error: <message>` on stderr and exit 1, as argparse does.

import { ToolExit } from '../common/exit.ts'

export const PROG = 'kafka-transactions.sh'
export const COMMANDS = ['list', 'describe', 'describe-producers', 'abort', 'find-hanging'] as const
export type TxnCommand = (typeof COMMANDS)[number]

/** Options each command takes (besides the global ones). */
const COMMAND_OPTIONS: Record<TxnCommand, readonly string[]> = {
  list: [],
  describe: ['--transactional-id'],
  'describe-producers': ['--topic', '--partition', '--broker-id'],
  abort: [
    '--topic',
    '--partition',
    '--start-offset',
    '--producer-id',
    '--producer-epoch',
    '--coordinator-epoch',
  ],
  'find-hanging': ['--broker-id', '--topic', '--partition', '--max-transaction-timeout'],
}
const GLOBAL_OPTIONS = ['--bootstrap-server', '--command-config']

export interface TxnToolOptions {
  readonly bootstrap: string
  readonly commandConfig: string | null
  readonly command: TxnCommand
  readonly transactionalId: string | null
  readonly topic: string | null
  readonly partition: number | null
  readonly brokerId: number | null
  readonly startOffset: bigint | null
  readonly producerId: bigint | null
  readonly producerEpoch: number | null
  readonly coordinatorEpoch: number | null
  /** find-hanging: minutes (Kafka's default 15, transaction.max.timeout.ms). */
  readonly maxTransactionTimeoutMinutes: number
}

export const USAGE = `usage: ${PROG} [-h] [-v] [--command-config FILE] --bootstrap-server host:port COMMAND ...\n`

export const HELP = `${USAGE}
This tool is used to analyze the transactional state of producers in the cluster. It can be used
to detect and recover from hanging transactions.

optional arguments:
  -h, --help             show this help message and exit
  -v, --version          show the version of this Kafka distribution and exit
  --command-config FILE  property file containing configs to be passed to admin client
  --bootstrap-server host:port
                         hostname and port for the broker to connect to, in the form \`host:port\`
                         (multiple comma-separated entries can be given)

commands:
  list                   list transactions
  describe               describe the state of an active transactional-id
      --transactional-id TRANSACTIONAL-ID
  describe-producers     describe the states of active producers for a topic partition
      --topic TOPIC --partition PARTITION [--broker-id BROKER-ID]
  abort                  abort a hanging transaction (requires administrative privileges)
      --topic TOPIC --partition PARTITION (--start-offset START-OFFSET |
      --producer-id PRODUCER-ID --producer-epoch PRODUCER-EPOCH --coordinator-epoch COORDINATOR-EPOCH)
  find-hanging           find hanging transactions
      (--broker-id BROKER-ID | --topic TOPIC [--partition PARTITION])
      [--max-transaction-timeout MAX-TRANSACTION-TIMEOUT]
`

function error(message: string): never {
  throw new ToolExit(1, `${USAGE}${PROG}: error: ${message}\n`)
}

function integer(name: string, v: string | undefined): number | null {
  if (v === undefined) return null
  if (!/^-?\d+$/.test(v)) error(`argument ${name}: could not convert '${v}' to Integer`)
  return Number(v)
}

function long(name: string, v: string | undefined): bigint | null {
  if (v === undefined) return null
  if (!/^-?\d+$/.test(v)) error(`argument ${name}: could not convert '${v}' to Long`)
  return BigInt(v)
}

/** Parses argv; -h/--help and -v/--version end the tool early (ToolExit with code 0). */
export function parseTxnOptions(argv: readonly string[], version: string): TxnToolOptions {
  const values = new Map<string, string>()
  let command: TxnCommand | null = null
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '-h' || a === '--help') throw new ToolExit(0, '', HELP)
    if (a === '-v' || a === '--version') throw new ToolExit(0, '', `${version}\n`)
    if (a.startsWith('--')) {
      const eq = a.indexOf('=')
      const name = eq < 0 ? a : a.slice(0, eq)
      const allowed = command === null ? GLOBAL_OPTIONS : COMMAND_OPTIONS[command]
      if (!allowed.includes(name)) error(`unrecognized arguments: '${a}'`)
      const value = eq < 0 ? argv[++i] : a.slice(eq + 1)
      if (value === undefined) error(`argument ${name}: expected one argument`)
      values.set(name, value)
      continue
    }
    if (command !== null) error(`unrecognized arguments: '${a}'`)
    if (!(COMMANDS as readonly string[]).includes(a))
      error(
        `argument COMMAND: invalid choice: '${a}' (choose from ${COMMANDS.map((c) => `'${c}'`).join(', ')})`,
      )
    command = a as TxnCommand
  }
  const bootstrap = values.get('--bootstrap-server')
  if (bootstrap === undefined) error('argument --bootstrap-server is required')
  if (command === null) error('too few arguments')
  const o: TxnToolOptions = {
    bootstrap,
    commandConfig: values.get('--command-config') ?? null,
    command,
    transactionalId: values.get('--transactional-id') ?? null,
    topic: values.get('--topic') ?? null,
    partition: integer('--partition', values.get('--partition')),
    brokerId: integer('--broker-id', values.get('--broker-id')),
    startOffset: long('--start-offset', values.get('--start-offset')),
    producerId: long('--producer-id', values.get('--producer-id')),
    producerEpoch: integer('--producer-epoch', values.get('--producer-epoch')),
    coordinatorEpoch: integer('--coordinator-epoch', values.get('--coordinator-epoch')),
    maxTransactionTimeoutMinutes:
      integer('--max-transaction-timeout', values.get('--max-transaction-timeout')) ?? 15,
  }
  const need = (name: string, v: unknown) => {
    if (v === null) error(`argument ${name} is required`)
  }
  switch (command) {
    case 'describe':
      need('--transactional-id', o.transactionalId)
      break
    case 'describe-producers':
      need('--topic', o.topic)
      need('--partition', o.partition)
      break
    case 'abort':
      need('--topic', o.topic)
      need('--partition', o.partition)
      if (o.startOffset === null) {
        if (o.producerId === null && o.producerEpoch === null && o.coordinatorEpoch === null)
          error('one of the arguments --start-offset --producer-id is required')
        need('--producer-id', o.producerId)
        need('--producer-epoch', o.producerEpoch)
        need('--coordinator-epoch', o.coordinatorEpoch)
      } else if (o.producerId !== null)
        error('argument --producer-id: not allowed with argument --start-offset')
      break
    case 'find-hanging':
      if (o.brokerId === null && o.topic === null)
        error('one of the arguments --broker-id --topic is required')
      if (o.brokerId !== null && o.topic !== null)
        error('argument --topic: not allowed with argument --broker-id')
      if (o.partition !== null && o.topic === null) error('--partition requires --topic')
      break
    default:
      break
  }
  return o
}
