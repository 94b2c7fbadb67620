// kafka-console-consumer.sh options and their checks, as Kafka's ConsoleConsumerOptions has them.

import type { OptionDef } from '../args/option-parser.ts'
import { checkRequired, HELP_OPTIONS, parseCommandLine } from '../common/command.ts'
import { ToolExit, usageExit } from '../common/exit.ts'
import { loadProps, parseKeyValueArgs } from '../common/props.ts'
import { type FormatterConfig, formatterConfig } from './message-formatter.ts'

const FORMATTER_PROPERTY_HELP =
  'The properties to initialize the message formatter. Default properties include: \n print.timestamp=true|false\n' +
  ' print.key=true|false\n print.offset=true|false\n print.epoch=true|false\n print.partition=true|false\n' +
  ' print.headers=true|false\n print.value=true|false\n key.separator=<key.separator>\n' +
  ' line.separator=<line.separator>\n headers.separator=<line.separator>\n null.literal=<null.literal>\n' +
  ' key.deserializer=<key.deserializer>\n value.deserializer=<value.deserializer>\n' +
  ' header.deserializer=<header.deserializer>\n\nUsers can also pass in customized properties for their ' +
  "formatter; more specifically, users can pass in properties keyed with 'key.deserializer.', " +
  "'value.deserializer.' and 'headers.deserializer.' prefixes to configure their deserializers."

export const CONSUMER_OPTIONS: readonly OptionDef[] = [
  { name: 'topic', help: 'The topic to consume on.', arg: 'required', describedAs: 'topic' },
  {
    name: 'include',
    help: 'Regular expression specifying list of topics to include for consumption.',
    arg: 'required',
    describedAs: 'Java regex (String)',
  },
  {
    name: 'partition',
    help: "The partition to consume from. Consumption starts from the end of the partition unless '--offset' is specified.",
    arg: 'required',
    describedAs: 'partition',
    type: 'Integer',
  },
  {
    name: 'offset',
    help: "The offset to consume from (a non-negative number), or 'earliest' which means from beginning, or 'latest' which means from end",
    arg: 'required',
    describedAs: 'consume offset',
    defaultValue: 'latest',
  },
  {
    name: 'consumer-property',
    help: 'A mechanism to pass user-defined properties in the form key=value to the consumer.',
    arg: 'required',
    describedAs: 'consumer_prop',
  },
  {
    name: 'consumer.config',
    help: 'Consumer config properties file. Note that [consumer-property] takes precedence over this config.',
    arg: 'required',
    describedAs: 'config file',
  },
  {
    name: 'formatter',
    help: 'The name of a class to use for formatting kafka messages for display.',
    arg: 'required',
    describedAs: 'class',
    defaultValue: 'org.apache.kafka.tools.consumer.DefaultMessageFormatter',
  },
  { name: 'property', help: FORMATTER_PROPERTY_HELP, arg: 'required', describedAs: 'prop' },
  {
    name: 'formatter-config',
    help: 'Config properties file to initialize the message formatter. Note that [property] takes precedence over this config.',
    arg: 'required',
    describedAs: 'config file',
  },
  {
    name: 'from-beginning',
    help: 'If the consumer does not already have an established offset to consume from, start with the earliest message present in the log rather than the latest message.',
  },
  {
    name: 'max-messages',
    help: 'The maximum number of messages to consume before exiting. If not set, consumption is continual.',
    arg: 'required',
    describedAs: 'num_messages',
    type: 'Integer',
  },
  {
    name: 'timeout-ms',
    help: 'If specified, exit if no message is available for consumption for the specified interval.',
    arg: 'required',
    describedAs: 'timeout_ms',
    type: 'Long',
  },
  {
    name: 'skip-message-on-error',
    help: 'If there is an error when processing a message, skip it instead of halt.',
  },
  {
    name: 'bootstrap-server',
    help: 'REQUIRED: The server(s) to connect to.',
    arg: 'required',
    describedAs: 'server to connect to',
  },
  { name: 'key-deserializer', arg: 'required', describedAs: 'deserializer for key' },
  { name: 'value-deserializer', arg: 'required', describedAs: 'deserializer for values' },
  {
    name: 'enable-systest-events',
    help: 'Log lifecycle events of the consumer in addition to logging consumed messages. (This is specific for system tests.)',
  },
  {
    name: 'isolation-level',
    help: 'Set to read_committed in order to filter out transactional messages which are not committed. Set to read_uncommitted to read all messages.',
    arg: 'required',
    defaultValue: 'read_uncommitted',
  },
  {
    name: 'group',
    help: 'The consumer group id of the consumer.',
    arg: 'required',
    describedAs: 'consumer group id',
  },
]

const FORMATTERS = new Set([
  'org.apache.kafka.tools.consumer.DefaultMessageFormatter',
  'kafka.tools.DefaultMessageFormatter',
])

/** Where to start in assign mode (--partition): an offset, or the earliest/latest one. */
export type StartOffset = bigint | 'earliest' | 'latest'

export interface ConsumerSettings {
  bootstrap: string
  topic: string | null
  include: string | null
  partition: number | null
  offset: StartOffset
  groupId: string
  /** No --group anywhere: a random group that commits nothing unless asked. */
  randomGroup: boolean
  autoCommit: boolean
  autoCommitIntervalMs: number
  autoOffsetReset: 'earliest' | 'latest' | 'none'
  readCommitted: boolean
  maxMessages: number
  timeoutMs: number
  skipMessageOnError: boolean
  systestEvents: boolean
  clientProps: Map<string, string>
  formatter: FormatterConfig
}

export function consumerSettings(
  argv: readonly string[],
  cwd = '.',
  warn: (m: string) => void = () => {},
): ConsumerSettings {
  const defs = CONSUMER_OPTIONS
  const all = [...defs, ...HELP_OPTIONS]
  const opts = parseCommandLine(defs, argv, {
    purpose: 'This tool helps to read data from Kafka topics and outputs it to standard output.',
    onOptionError: 'usage',
  })

  // checkRequiredArgs
  if (Number(opts.has('topic')) + Number(opts.has('include')) !== 1) {
    usageExit(all, 'Exactly one of --include/--topic is required. ')
  }
  if (opts.has('partition')) {
    if (!opts.has('topic')) usageExit(all, 'The topic is required when partition is specified.')
    if (opts.has('from-beginning') && opts.has('offset')) {
      usageExit(all, 'Options from-beginning and offset cannot be specified together.')
    }
  } else if (opts.has('offset')) {
    usageExit(all, 'The partition is required when offset is specified.')
  }
  checkRequired(defs, opts, 'bootstrap-server')

  // checkConsumerGroup
  const fileProps = opts.has('consumer.config')
    ? loadProps(opts.value('consumer.config')!, cwd)
    : new Map<string, string>()
  const extraProps = parseKeyValueArgs(opts.values('consumer-property'))
  const groups = new Set<string>()
  if (opts.has('group')) groups.add(opts.value('group')!)
  if (fileProps.has('group.id')) groups.add(fileProps.get('group.id')!)
  if (extraProps.has('group.id')) groups.add(extraProps.get('group.id')!)
  if (groups.size > 1) {
    usageExit(
      all,
      "The group ids provided in different places (directly using '--group', via '--consumer-property', or via " +
        `'--consumer.config') do not match. Detected group ids: ${[...groups].map((g) => `'${g}'`).join(', ')}`,
    )
  }
  if (groups.size > 0 && opts.has('partition'))
    usageExit(all, 'Options group and partition cannot be specified together.')

  // buildConsumerProps
  const props = new Map([...fileProps, ...extraProps])
  const fromBeginning = opts.has('from-beginning')
  const reset = props.get('auto.offset.reset')
  if (reset !== undefined && fromBeginning && reset !== 'earliest') {
    throw new ToolExit(
      1,
      `Can't simultaneously specify --from-beginning and 'auto.offset.reset=${reset}', please remove one option\n`,
    )
  }
  const autoOffsetReset = reset ?? (fromBeginning ? 'earliest' : 'latest')
  if (autoOffsetReset !== 'earliest' && autoOffsetReset !== 'latest' && autoOffsetReset !== 'none') {
    throw new ToolExit(
      1,
      `Invalid value ${autoOffsetReset} for configuration auto.offset.reset: String must be one of: latest, earliest, none\n`,
    )
  }
  if (!props.has('client.id')) props.set('client.id', 'console-consumer')
  const isolation =
    opts.has('isolation-level') || !props.has('isolation.level')
      ? opts.value('isolation-level')!
      : props.get('isolation.level')!
  if (isolation !== 'read_committed' && isolation !== 'read_uncommitted') {
    throw new ToolExit(
      1,
      `Invalid value ${isolation} for configuration isolation.level: String must be one of: read_committed, read_uncommitted\n`,
    )
  }
  const randomGroup = groups.size === 0
  const groupId = randomGroup ? `console-consumer-${Math.floor(Math.random() * 100000)}` : [...groups][0]
  const autoCommitProp = props.get('enable.auto.commit')
  const autoCommit =
    autoCommitProp === undefined ? !randomGroup : autoCommitProp.trim().toLowerCase() === 'true'

  // parseOffset
  let offset: StartOffset = fromBeginning ? 'earliest' : 'latest'
  if (opts.has('offset')) {
    const raw = opts.value('offset')!
    const lower = raw.toLowerCase()
    if (lower === 'earliest' || lower === 'latest') offset = lower
    else if (/^[+-]?\d+$/.test(raw) && BigInt(raw) >= 0n && BigInt(raw) < 2n ** 63n) offset = BigInt(raw)
    else {
      usageExit(
        all,
        `The provided offset value '${raw}' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.`,
      )
    }
  }

  const timeout = opts.has('timeout-ms') ? Number(opts.value('timeout-ms')) : -1

  // buildFormatter
  const formatterClass = opts.value('formatter')!
  if (!FORMATTERS.has(formatterClass)) usageExit(all, formatterClass)
  const formatterProps = opts.has('formatter-config')
    ? loadProps(opts.value('formatter-config')!, cwd)
    : new Map<string, string>()
  if (opts.value('key-deserializer')) formatterProps.set('key.deserializer', opts.value('key-deserializer')!)
  if (opts.value('value-deserializer'))
    formatterProps.set('value.deserializer', opts.value('value-deserializer')!)
  for (const [k, v] of parseKeyValueArgs(opts.values('property'))) formatterProps.set(k, v)

  return {
    bootstrap: opts.value('bootstrap-server')!,
    topic: opts.value('topic') ?? null,
    include: opts.value('include') ?? null,
    partition: opts.has('partition') ? Number(opts.value('partition')) : null,
    offset,
    groupId,
    randomGroup,
    autoCommit,
    autoCommitIntervalMs: Number(props.get('auto.commit.interval.ms') ?? 5000),
    autoOffsetReset,
    readCommitted: isolation === 'read_committed',
    maxMessages: opts.has('max-messages') ? Number(opts.value('max-messages')) : -1,
    timeoutMs: timeout >= 0 ? timeout : Number.POSITIVE_INFINITY,
    skipMessageOnError: opts.has('skip-message-on-error'),
    systestEvents: opts.has('enable-systest-events'),
    clientProps: props,
    formatter: formatterConfig(formatterProps, warn),
  }
}
