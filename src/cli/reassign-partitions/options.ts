// kafka-reassign-partitions.sh options and their checks, in the order and words of Kafka 3.x's
// ReassignPartitionsCommand: exactly one action, --bootstrap-server, the action's required
// options, then any option the action does not take. --throttle sets replication throttles (KIP-73)
// as Kafka's tool does (run.ts, throttles.ts); Samsa has no moves between log directories, so
// --replica-alter-log-dirs-throttle is refused with one line (its default, -1, means no throttle
// and is accepted), never silently ignored. The removed --zookeeper is not offered (Kafka 3.0
// dropped it too).

import type { OptionDef } from '../args/option-parser.ts'
import { HELP_OPTIONS, parseCommandLine } from '../common/command.ts'
import { failExit, usageExit } from '../common/exit.ts'

export const ACTIONS = ['generate', 'execute', 'verify', 'cancel', 'list'] as const
export type Action = (typeof ACTIONS)[number]

export const REASSIGN_OPTIONS: readonly OptionDef[] = [
  {
    name: 'bootstrap-server',
    help: 'the server(s) to use for bootstrapping. REQUIRED.',
    arg: 'required',
    describedAs: 'Server(s) to use for bootstrapping',
  },
  {
    name: 'command-config',
    help: 'Property file containing configs to be passed to Admin Client.',
    arg: 'required',
    describedAs: 'Admin client property file',
  },
  {
    name: 'generate',
    help:
      'Generate a candidate partition reassignment configuration. Note that this only generates a candidate ' +
      'assignment, it does not execute it.',
  },
  { name: 'execute', help: 'Kick off the reassignment as specified by the --reassignment-json-file option.' },
  {
    name: 'verify',
    help:
      'Verify if the reassignment completed as specified by the --reassignment-json-file option. If there is a ' +
      'throttle engaged for the replicas specified, and the rebalance has completed, the throttle will be removed',
  },
  {
    name: 'reassignment-json-file',
    help:
      'The JSON file with the partition reassignment configuration. The format to use is - \n' +
      '{"partitions":\n\t[{"topic": "foo",\n\t  "partition": 1,\n\t  "replicas": [1,2,3],\n\t  "log_dirs": ["dir1","dir2","dir3"] }],\n"version":1\n}\n' +
      'Note that "log_dirs" is optional. When it is specified, its length must equal the length of the replicas ' +
      'list. The value in this list can be either "any" or the absolution path of the log directory on the broker. ' +
      'If absolute log directory path is specified, the replica will be moved to the specified log directory on the broker.',
    arg: 'required',
    describedAs: 'manual assignment json file path',
  },
  {
    name: 'topics-to-move-json-file',
    help:
      'Generate a reassignment configuration to move the partitions of the specified topics to the list of brokers ' +
      'specified by the --broker-list option. The format to use is - \n{"topics":\n\t[{"topic": "foo"},{"topic": "foo1"}],\n"version":1\n}',
    arg: 'required',
    describedAs: 'topics to reassign json file path',
  },
  {
    name: 'broker-list',
    help:
      'The list of brokers to which the partitions need to be reassigned in the form "0,1,2". This is required ' +
      'if --topics-to-move-json-file is used to generate reassignment configuration',
    arg: 'required',
    describedAs: 'brokerlist',
  },
  { name: 'disable-rack-aware', help: 'Disable rack aware replica assignment' },
  {
    name: 'throttle',
    help:
      'The movement of partitions between brokers will be throttled to this value (bytes/sec). Given with ' +
      '--execute; to change the rate of moves in progress, run --execute again with --additional. --verify ' +
      'removes the throttle once every move is done.',
    arg: 'required',
    describedAs: 'throttle',
    type: 'Long',
    defaultValue: '-1',
  },
  {
    name: 'replica-alter-log-dirs-throttle',
    help:
      'The movement of replicas between log directories on the same broker will be throttled to this value ' +
      '(bytes/sec). Not supported by Samsa: it does not move replicas between log directories.',
    arg: 'required',
    describedAs: 'replicaAlterLogDirsThrottle',
    type: 'Long',
    defaultValue: '-1',
  },
  {
    name: 'timeout',
    help: 'The maximum time in ms to wait for log directory replica assignment to begin.',
    arg: 'required',
    describedAs: 'timeout',
    type: 'Long',
    defaultValue: '10000',
  },
  {
    name: 'additional',
    help:
      'Execute this reassignment in addition to any other ongoing ones. This option can also be used to change ' +
      'the throttle of an ongoing reassignment.',
  },
  { name: 'preserve-throttles', help: 'Do not modify broker or topic throttles.' },
  { name: 'cancel', help: 'Cancel an active reassignment.' },
  { name: 'list', help: 'List all active partition reassignments.' },
]

export const PURPOSE = 'This tool helps to move topic partitions between replicas.'

const REQUIRED: Readonly<Record<Action, readonly string[]>> = {
  verify: ['reassignment-json-file'],
  generate: ['topics-to-move-json-file', 'broker-list'],
  execute: ['reassignment-json-file'],
  cancel: ['reassignment-json-file'],
  list: [],
}

const PERMITTED: Readonly<Record<Action, readonly string[]>> = {
  verify: ['bootstrap-server', 'command-config', 'preserve-throttles'],
  generate: ['bootstrap-server', 'broker-list', 'command-config', 'disable-rack-aware'],
  execute: [
    'additional',
    'bootstrap-server',
    'command-config',
    'throttle',
    'replica-alter-log-dirs-throttle',
    'timeout',
  ],
  cancel: ['bootstrap-server', 'command-config', 'preserve-throttles', 'timeout'],
  list: ['bootstrap-server', 'command-config'],
}

export interface ReassignOptions {
  action: Action
  bootstrap: string
  configFile: string | null
  reassignmentFile: string | null
  topicsFile: string | null
  brokerList: string | null
  rackAware: boolean
  additional: boolean
  /** --throttle in bytes/s; -1n: none. */
  interBrokerThrottle: bigint
  preserveThrottles: boolean
}

export const LOG_DIR_THROTTLE_UNSUPPORTED =
  'Samsa does not move replicas between log directories: remove --replica-alter-log-dirs-throttle.'

/** Parses and checks the command line as ReassignPartitionsCommand does; ends the tool on any problem. */
export function parseReassignOptions(argv: readonly string[]): ReassignOptions {
  const defs = REASSIGN_OPTIONS
  const all = [...defs, ...HELP_OPTIONS]
  const opts = parseCommandLine(defs, argv, { purpose: PURPOSE })
  const given = ACTIONS.filter((a) => opts.has(a))
  if (given.length !== 1)
    usageExit(all, `Command must include exactly one action: ${ACTIONS.map((a) => `--${a}`).join(', ')}`)
  const action = given[0]!
  if (!opts.has('bootstrap-server')) usageExit(all, 'Please specify --bootstrap-server')
  for (const n of REQUIRED[action]) if (!opts.has(n)) usageExit(all, `Missing required argument "[${n}]"`)
  for (const n of opts.order)
    if (n !== action && !REQUIRED[action].includes(n) && !PERMITTED[action].includes(n))
      usageExit(all, `Option "[${n}]" can't be used with action "[${action}]"`)
  if (
    opts.has('replica-alter-log-dirs-throttle') &&
    (opts.bigint('replica-alter-log-dirs-throttle') ?? -1n) >= 0n
  )
    failExit(LOG_DIR_THROTTLE_UNSUPPORTED)
  return {
    action,
    bootstrap: opts.value('bootstrap-server')!,
    configFile: opts.value('command-config') ?? null,
    reassignmentFile: opts.value('reassignment-json-file') ?? null,
    topicsFile: opts.value('topics-to-move-json-file') ?? null,
    brokerList: opts.value('broker-list') ?? null,
    rackAware: !opts.has('disable-rack-aware'),
    additional: opts.has('additional'),
    interBrokerThrottle: opts.has('throttle') ? (opts.bigint('throttle') ?? -1n) : -1n,
    preserveThrottles: opts.has('preserve-throttles'),
  }
}
