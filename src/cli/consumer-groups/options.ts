// kafka-consumer-groups.sh options and their checks, as Kafka's ConsumerGroupCommandOptions.

import type { OptionDef, ParsedOptions } from '../args/option-parser.ts'
import { checkInvalid, checkRequired, HELP_OPTIONS, parseCommandLine } from '../common/command.ts'
import { usageExit } from '../common/exit.ts'

const NL = '\n'

export const GROUP_OPTIONS: readonly OptionDef[] = [
  {
    name: 'bootstrap-server',
    help: 'REQUIRED: The server(s) to connect to.',
    arg: 'required',
    describedAs: 'server to connect to',
  },
  {
    name: 'group',
    help: 'The consumer group we wish to act on.',
    arg: 'required',
    describedAs: 'consumer group',
  },
  {
    name: 'topic',
    help:
      'The topic whose consumer group information should be deleted or topic whose should be included in the reset ' +
      'offset process. In `reset-offsets` case, partitions can be specified using this format: `topic1:0,1,2`, where ' +
      '0,1,2 are the partition to be included in the process. Reset-offsets also supports multiple topic inputs.',
    arg: 'required',
    describedAs: 'topic',
  },
  { name: 'all-topics', help: 'Consider all topics assigned to a group in the `reset-offsets` process.' },
  { name: 'list', help: 'List all consumer groups.' },
  {
    name: 'describe',
    help: 'Describe consumer group and list offset lag (number of messages not yet processed) related to given group.',
  },
  { name: 'all-groups', help: 'Apply to all consumer groups.' },
  {
    name: 'delete',
    help: 'Pass in groups to delete topic partition offsets and ownership information over the entire consumer group. For instance --group g1 --group g2',
  },
  {
    name: 'timeout',
    help: 'The timeout that can be set for some use cases. For example, it can be used when describing the group to specify the maximum amount of time in milliseconds to wait before the group stabilizes (when the group is just created, or is going through some changes).',
    arg: 'required',
    describedAs: 'timeout (ms)',
    type: 'Long',
    defaultValue: '5000',
  },
  {
    name: 'command-config',
    help: 'Property file containing configs to be passed to Admin Client and Consumer.',
    arg: 'required',
    describedAs: 'command config property file',
  },
  {
    name: 'reset-offsets',
    help:
      `Reset offsets of consumer group. Supports one consumer group at the time, and instances should be inactive${NL}` +
      'Has 2 execution options: --dry-run (the default) to plan which offsets to reset, and --execute to update the ' +
      `offsets. Additionally, the --export option is used to export the results to a CSV format.${NL}` +
      'You must choose one of the following reset specifications: --to-datetime, --by-duration, --to-earliest, ' +
      `--to-latest, --shift-by, --from-file, --to-current, --to-offset.${NL}` +
      "To define the scope use --all-topics or --topic. One scope must be specified unless you use '--from-file'.",
  },
  {
    name: 'delete-offsets',
    help: 'Delete offsets of consumer group. Supports one consumer group at the time, and multiple topics.',
  },
  {
    name: 'dry-run',
    help: 'Only show results without executing changes on Consumer Groups. Supported operations: reset-offsets.',
  },
  { name: 'execute', help: 'Execute operation. Supported operations: reset-offsets.' },
  { name: 'export', help: 'Export operation execution to a CSV file. Supported operations: reset-offsets.' },
  {
    name: 'to-offset',
    help: 'Reset offsets to a specific offset.',
    arg: 'required',
    describedAs: 'offset',
    type: 'Long',
  },
  {
    name: 'from-file',
    help: 'Reset offsets to values defined in CSV file.',
    arg: 'required',
    describedAs: 'path to CSV file',
  },
  {
    name: 'to-datetime',
    help: "Reset offsets to offset from datetime. Format: 'YYYY-MM-DDTHH:mm:SS.sss'",
    arg: 'required',
    describedAs: 'datetime',
  },
  {
    name: 'by-duration',
    help: "Reset offsets to offset by duration from current timestamp. Format: 'PnDTnHnMnS'",
    arg: 'required',
    describedAs: 'duration',
  },
  { name: 'to-earliest', help: 'Reset offsets to earliest offset.' },
  { name: 'to-latest', help: 'Reset offsets to latest offset.' },
  { name: 'to-current', help: 'Reset offsets to current offset.' },
  {
    name: 'shift-by',
    help: "Reset offsets shifting current offset by 'n', where 'n' can be positive or negative.",
    arg: 'required',
    describedAs: 'number-of-offsets',
    type: 'Long',
  },
  {
    name: 'members',
    help: `Describe members of the group. This option may be used with '--describe' and '--bootstrap-server' options only.${NL}Example: --bootstrap-server localhost:9092 --describe --group group1 --members`,
    availableIf: ['describe'],
  },
  {
    name: 'verbose',
    help: `Provide additional information, if any, when describing the group. This option may be used with '--offsets'/'--members'/'--state' and '--bootstrap-server' options only.${NL}Example: --bootstrap-server localhost:9092 --describe --group group1 --members --verbose`,
    availableIf: ['describe'],
  },
  {
    name: 'offsets',
    help: `Describe the group and list all topic partitions in the group along with their offset lag. This is the default sub-action of and may be used with '--describe' and '--bootstrap-server' options only.${NL}Example: --bootstrap-server localhost:9092 --describe --group group1 --offsets`,
    availableIf: ['describe'],
  },
  {
    name: 'state',
    help:
      `When specified with '--describe', includes the state of the group.${NL}Example: --bootstrap-server localhost:9092 --describe --group group1 --state${NL}` +
      `When specified with '--list', it displays the state of all groups. It can also be used to list groups with specific states.${NL}` +
      `Example: --bootstrap-server localhost:9092 --list --state stable,empty${NL}` +
      "This option may be used with '--describe', '--list' and '--bootstrap-server' options only.",
    arg: 'optional',
    availableIf: ['describe', 'list'],
  },
  {
    name: 'type',
    help:
      `When specified with '--list', it displays the types of all the groups. It can also be used to list groups with specific types.${NL}` +
      `Example: --bootstrap-server localhost:9092 --list --type classic,consumer${NL}This option may be used with the '--list' option only.`,
    arg: 'optional',
    availableIf: ['list'],
  },
]

export const RESET_SCENARIOS = [
  'to-offset',
  'shift-by',
  'to-datetime',
  'by-duration',
  'to-earliest',
  'to-latest',
  'to-current',
  'from-file',
] as const

export type GroupAction = 'list' | 'describe' | 'delete' | 'reset-offsets' | 'delete-offsets'

export interface GroupCommandOptions {
  action: GroupAction
  opts: ParsedOptions
}

export function parseGroupOptions(
  argv: readonly string[],
  warn: (text: string) => void,
): GroupCommandOptions {
  const defs = GROUP_OPTIONS
  const all = [...defs, ...HELP_OPTIONS]
  const opts = parseCommandLine(defs, argv, {
    purpose:
      'This tool helps to list all consumer groups, describe a consumer group, delete consumer group info, or reset consumer group offsets.',
  })
  checkRequired(defs, opts, 'bootstrap-server')
  const scope = '[group], [all-groups]'
  if (opts.has('describe')) {
    if (!opts.has('group') && !opts.has('all-groups'))
      usageExit(all, `Option [describe] takes one of these options: ${scope}`)
    if (['members', 'offsets', 'state'].filter((o) => opts.has(o)).length > 1) {
      usageExit(all, 'Option [describe] takes at most one of these options: [members], [offsets], [state]')
    }
    if (opts.has('state') && opts.value('state') !== undefined) {
      usageExit(all, 'Option [describe] does not take a value for [state]')
    }
  }
  if (opts.has('delete')) {
    if (!opts.has('group') && !opts.has('all-groups'))
      usageExit(all, `Option [delete] takes one of these options: ${scope}`)
    if (opts.has('topic'))
      usageExit(all, 'The consumer does not support topic-specific offset deletion from a consumer group.')
  }
  if (opts.has('delete-offsets')) {
    if (!opts.has('group') || !opts.has('topic'))
      usageExit(all, 'Option [delete-offsets] takes the following options: [group], [topic]')
  }
  if (opts.has('reset-offsets')) {
    if (opts.has('dry-run') && opts.has('execute'))
      usageExit(all, 'Option [reset-offsets] only accepts one of [execute] and [dry-run]')
    if (!opts.has('dry-run') && !opts.has('execute')) {
      warn(
        'WARN: No action will be performed as the --execute option is missing. In a future major release, the default ' +
          'behavior of this command will be to prompt the user before executing the reset rather than doing a dry run. ' +
          'You should add the --dry-run option explicitly if you are scripting this command and want to keep the ' +
          'current default behavior without prompting.\n',
      )
    }
    if (!opts.has('group') && !opts.has('all-groups'))
      usageExit(all, `Option [reset-offsets] takes one of these options: ${scope}`)
    for (const s of RESET_SCENARIOS)
      checkInvalid(
        defs,
        opts,
        s,
        RESET_SCENARIOS.filter((o) => o !== s),
      )
  }
  checkInvalid(defs, opts, 'group', ['all-groups'])
  checkInvalid(defs, opts, 'group', ['list'])
  checkInvalid(defs, opts, 'topic', ['list', 'describe'])

  const actions = (['list', 'describe', 'delete', 'reset-offsets', 'delete-offsets'] as const).filter((a) =>
    opts.has(a),
  )
  if (actions.length !== 1) {
    usageExit(
      all,
      'Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets',
    )
  }
  return { action: actions[0], opts }
}
