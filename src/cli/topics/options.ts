// kafka-topics.sh options and their checks, as Kafka's TopicCommand has them. Not offered: the removed
// --delete-config.
//
// --partition-size-limit-per-response (Kafka 3.8+) makes `--partition`, the quickstart guide's
// spelling of --partitions, ambiguous for joptsimple, so Kafka 3.8+ refuses the guide's command. We
// keep the guide working: a prefix of `partition` names --partitions (see `guideSpelling`); longer
// prefixes (`--partition-size…`) name the limit (PARTITION_LIMIT_OPTION).

import { TOPIC_DEFS } from '../../config/topic-defs.ts'
import { type OptionDef, OptionParser, type ParsedOptions } from '../args/option-parser.ts'
import { checkInvalid, checkRequired, HELP_OPTIONS, parseCommandLine } from '../common/command.ts'
import { ToolExit, usageExit } from '../common/exit.ts'
import { javaSplit } from '../common/props.ts'

const ALTER_CONFIGS_HINT = ' (To alter topic configurations, the kafka-configs tool can be used.)'

export const TOPIC_OPTIONS: readonly OptionDef[] = [
  {
    name: 'bootstrap-server',
    help: 'REQUIRED: The Kafka server to connect to.',
    arg: 'required',
    describedAs: 'server to connect to',
  },
  {
    name: 'command-config',
    help: 'Property file containing configs to be passed to Admin Client.',
    arg: 'required',
    describedAs: 'command config property file',
  },
  { name: 'list', help: 'List all available topics.' },
  { name: 'create', help: 'Create a new topic.' },
  { name: 'delete', help: 'Delete a topic.' },
  { name: 'alter', help: `Alter the number of partitions and replica assignment.${ALTER_CONFIGS_HINT}` },
  { name: 'describe', help: 'List details for the given topics.' },
  {
    name: 'topic',
    help:
      'The topic to create, alter, describe or delete. It also accepts a regular expression, except for ' +
      "--create option. Put topic name in double quotes and use the '\\' prefix to escape regular expression " +
      'symbols; e.g. "test\\.topic".',
    arg: 'required',
    describedAs: 'topic',
  },
  { name: 'topic-id', help: 'The topic-id to describe.', arg: 'required', describedAs: 'topic-id' },
  {
    name: 'config',
    help:
      'A topic configuration override for the topic being created. The following is a list of valid ' +
      `configurations: \n${TOPIC_DEFS.map((d) => `\t${d.name}`).join('\n')}\nSee the Kafka documentation for full ` +
      `details on the topic configs. It is supported only in combination with --create.${ALTER_CONFIGS_HINT}`,
    arg: 'required',
    describedAs: 'name=value',
  },
  {
    name: 'partitions',
    help:
      'The number of partitions for the topic being created or altered. If not supplied with --create, the ' +
      'topic uses the cluster default. (WARNING: If partitions are increased for a topic that has a key, the ' +
      'partition logic or ordering of the messages will be affected).',
    arg: 'required',
    describedAs: '# of partitions',
    type: 'Integer',
  },
  {
    name: 'replication-factor',
    help:
      'The replication factor for each partition in the topic being created. If not supplied, the topic ' +
      'uses the cluster default.',
    arg: 'required',
    describedAs: 'replication factor',
    type: 'Integer',
  },
  {
    name: 'replica-assignment',
    help: 'A list of manual partition-to-broker assignments for the topic being created or altered.',
    arg: 'required',
    describedAs:
      'broker_id_for_part1_replica1 : broker_id_for_part1_replica2 , broker_id_for_part2_replica1 : ' +
      'broker_id_for_part2_replica2 , ...',
  },
  {
    name: 'under-replicated-partitions',
    help: 'If set when describing topics, only show under-replicated partitions.',
  },
  {
    name: 'unavailable-partitions',
    help: 'If set when describing topics, only show partitions whose leader is not available.',
  },
  {
    name: 'under-min-isr-partitions',
    help: 'If set when describing topics, only show partitions whose isr count is less than the configured minimum.',
  },
  {
    name: 'at-min-isr-partitions',
    help: 'If set when describing topics, only show partitions whose isr count is equal to the configured minimum.',
  },
  {
    name: 'topics-with-overrides',
    help: 'If set when describing topics, only show topics that have overridden configs.',
  },
  {
    name: 'if-exists',
    help: 'If set when altering or deleting or describing topics, the action will only execute if the topic exists.',
  },
  {
    name: 'if-not-exists',
    help: 'If set when creating topics, the action will only execute if the topic does not already exist.',
  },
  {
    name: 'exclude-internal',
    help: 'Exclude internal topics when listing or describing topics. By default, the internal topics are included.',
  },
]

/**
 * Kept out of TOPIC_OPTIONS so that a parser over those alone still reads `--partition` as
 * --partitions; parseTopicOptions adds it after `guideSpelling`.
 */
export const PARTITION_LIMIT_OPTION: OptionDef = {
  name: 'partition-size-limit-per-response',
  help: 'The most partitions one DescribeTopicPartitions response may carry when describing topics.',
  arg: 'required',
  describedAs: 'maximum number of partitions per response',
  type: 'Integer',
}

/** Every option of kafka-topics.sh. */
export const TOPIC_COMMAND_OPTIONS: readonly OptionDef[] = [...TOPIC_OPTIONS, PARTITION_LIMIT_OPTION]

const ACTIONS = ['create', 'list', 'alter', 'describe', 'delete'] as const
export type TopicAction = (typeof ACTIONS)[number]

const REPORTS = [
  'under-replicated-partitions',
  'under-min-isr-partitions',
  'at-min-isr-partitions',
  'unavailable-partitions',
] as const

export interface TopicCommandOptions {
  action: TopicAction
  opts: ParsedOptions
  bootstrap: string
}

/** Parses and checks the command line as TopicCommandOptions does; ends the tool on any problem. */
export function parseTopicOptions(argv: readonly string[]): TopicCommandOptions {
  const defs = TOPIC_COMMAND_OPTIONS
  const all = [...defs, ...HELP_OPTIONS]
  const opts = parseCommandLine(defs, guideSpelling(argv), {
    purpose: 'This tool helps to create, delete, describe, or change a topic.',
    emptyMessage: 'Create, delete, describe, or change a topic.',
  })
  const given = ACTIONS.filter((a) => opts.has(a))
  if (given.length !== 1) {
    usageExit(
      all,
      'Command must include exactly one action: --list, --describe, --create, --alter or --delete',
    )
  }
  const action = given[0]

  // Required arguments.
  if (!opts.has('bootstrap-server')) throw new ToolExit(1, '--bootstrap-server must be specified\n')
  if (action === 'describe' && opts.has('if-exists')) {
    if (!opts.has('topic') && !opts.has('topic-id'))
      usageExit(all, '--topic or --topic-id is required to describe a topic')
  }
  if (action !== 'list' && action !== 'describe') checkRequired(defs, opts, 'topic')
  if (action === 'alter') {
    if (opts.has('config')) {
      usageExit(
        all,
        `Option combination "[[bootstrap-server], [config]]" can't be used with option "[alter]"${ALTER_CONFIGS_HINT}`,
      )
    }
    checkRequired(defs, opts, 'partitions')
  }

  // Invalid combinations.
  const others = (...allowed: string[]) => ACTIONS.filter((a) => !allowed.includes(a))
  checkInvalid(defs, opts, 'config', others('alter', 'create'))
  checkInvalid(defs, opts, 'partitions', others('alter', 'create'))
  checkInvalid(defs, opts, 'replication-factor', others('create'))
  checkInvalid(defs, opts, 'replica-assignment', others('alter', 'create'))
  if (action === 'create')
    checkInvalid(defs, opts, 'replica-assignment', ['partitions', 'replication-factor'])
  for (const r of REPORTS) checkInvalid(defs, opts, r, [...others('describe'), 'topics-with-overrides'])
  checkInvalid(defs, opts, 'topics-with-overrides', [...others('describe'), ...REPORTS])
  checkInvalid(defs, opts, 'if-exists', others('alter', 'delete', 'describe'))
  checkInvalid(defs, opts, 'if-not-exists', others('create'))
  checkInvalid(defs, opts, 'exclude-internal', others('list', 'describe'))

  return { action, opts, bootstrap: opts.value('bootstrap-server') ?? '' }
}

/**
 * The command line with any prefix of `partition` used as an option name (`--partition 1`,
 * `-partition=1`) spelled `--partitions`; values of options are left alone.
 */
export function guideSpelling(argv: readonly string[]): string[] {
  const parser = new OptionParser([...TOPIC_COMMAND_OPTIONS, ...HELP_OPTIONS])
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]
    out.push(token)
    if (token === '--') {
      out.push(...argv.slice(i + 1))
      break
    }
    const m = /^--?([^=]+)(=.*)?$/.exec(token)
    if (m === null) continue
    const [, name, inline] = m
    if ('partition'.startsWith(name)) {
      out[out.length - 1] = `--partitions${inline ?? ''}`
      if (inline === undefined && i + 1 < argv.length) out.push(argv[++i])
    } else if (inline === undefined && parser.resolve(name)?.arg === 'required' && i + 1 < argv.length) {
      out.push(argv[++i])
    }
  }
  return out
}

/**
 * Kafka's parseReplicaAssignment: `1:2,3:4` → partition 0 on brokers [1, 2], partition 1 on [3, 4].
 * Every partition must have the same number of replicas and no broker twice.
 */
export function parseReplicaAssignment(text: string): number[][] {
  const out: number[][] = []
  for (const [i, part] of text.split(',').entries()) {
    const brokers = part.split(':').map((s) => {
      const t = s.trim()
      if (!/^[+-]?\d+$/.test(t)) throw new Error(`For input string: "${t}"`)
      return Number(t)
    })
    const dup = [...new Set(brokers.filter((b, j) => brokers.indexOf(b) !== j))]
    if (dup.length > 0) {
      throw new Error(`Partition replica lists may not contain duplicate entries: ${dup.join(',')}`)
    }
    out.push(brokers)
    if (brokers.length !== out[0].length) {
      throw new Error(`Partition ${i} has different replication factor: [${brokers.join(', ')}]`)
    }
  }
  return out
}

/** Kafka's parsing of --config: `name=value`, blanks around '=' ignored, exactly one '='. */
export function parseTopicConfigs(values: readonly string[]): Map<string, string> {
  const props = new Map<string, string>()
  for (const v of values) {
    const parts = javaSplit(v, /\s*=\s*/)
    if (parts.length !== 2) {
      throw new Error(
        'requirement failed: Invalid topic config: all configs to be added must be in the format "key=val".',
      )
    }
    props.set(parts[0].trim(), parts[1].trim())
  }
  for (const name of props.keys()) {
    if (!TOPIC_DEFS.some((d) => d.name === name)) throw new Error(`Unknown topic config name: ${name}`)
  }
  return props
}
