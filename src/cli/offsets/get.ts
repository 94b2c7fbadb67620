// kafka-get-offsets.sh (Kafka's GetOffsetShell): prints `topic:partition:offset` for every
// partition matching --topic/--partitions or --topic-partitions, at --time (latest, earliest,
// max-timestamp, or a timestamp). Lines are sorted as Kafka sorts them: by `topic-partition` text.

import type { OptionDef } from '../args/option-parser.ts'
import { checkRequired, HELP_OPTIONS, parseCommandLine } from '../common/command.ts'
import { ToolExit, usageExit } from '../common/exit.ts'
import { IncludeList } from '../common/include-list.ts'
import type { Io } from '../common/io.ts'
import { closeQuietly, errorMessage, openAdmin, parseBootstrap, rawMetadata } from '../common/kafka.ts'
import { loadProps } from '../common/props.ts'

const USAGE_TEXT = 'An interactive shell for getting topic-partition offsets.'
const TOPIC_PARTITION_PATTERN = '([^:,]*)(?::(?:([0-9]*)|(?:([0-9]*)-([0-9]*))))?'

export const GET_OFFSETS_OPTIONS: readonly OptionDef[] = [
  {
    name: 'bootstrap-server',
    help: 'REQUIRED. The server(s) to connect to in the form HOST1:PORT1,HOST2:PORT2.',
    arg: 'required',
    describedAs: 'HOST1:PORT1,...,HOST3:PORT3',
  },
  {
    name: 'topic-partitions',
    help:
      `Comma separated list of topic-partition patterns to get the offsets for, with the format of '${TOPIC_PARTITION_PATTERN}'. ` +
      'The first group is an optional regex for the topic name, if omitted, it matches any topic name. The section after ' +
      "':' describes a 'partition' pattern, which can be: a number, a range in the format of 'NUMBER-NUMBER' (lower " +
      "inclusive, upper exclusive), an inclusive lower bound in the format of 'NUMBER-', an exclusive upper bound in the " +
      "format of '-NUMBER' or may be omitted to accept all partitions.",
    arg: 'required',
    describedAs: 'topic1:1,topic2:0-3,topic3,topic4:5-,topic5:-3',
  },
  {
    name: 'topic',
    help: 'The topic to get the offsets for. It also accepts a regular expression. If not present, all authorized topics are queried. Cannot be used if --topic-partitions is present.',
    arg: 'required',
    describedAs: 'topic',
  },
  {
    name: 'partitions',
    help: 'Comma separated list of partition ids to get the offsets for. If not present, all partitions of the authorized topics are queried. Cannot be used if --topic-partitions is present.',
    arg: 'required',
    describedAs: 'partition ids',
  },
  {
    name: 'time',
    help: 'timestamp of the offsets before that. [Note: No offset is returned, if the timestamp greater than recently committed record timestamp is given.]',
    arg: 'required',
    describedAs:
      '<timestamp> / -1 or latest / -2 or earliest / -3 or max-timestamp / -4 or earliest-local / -5 or latest-tiered',
    defaultValue: 'latest',
  },
  {
    name: 'command-config',
    help: 'Property file containing configs to be passed to Admin Client.',
    arg: 'required',
    describedAs: 'config file',
  },
  {
    name: 'exclude-internal-topics',
    help: 'By default, internal topics are included. If specified, internal topics are excluded.',
  },
]

class TerseError extends Error {}

const NAMED_TIMES: Record<string, bigint> = {
  latest: -1n,
  earliest: -2n,
  'max-timestamp': -3n,
  'earliest-local': -4n,
  'latest-tiered': -5n,
}

export function parseTime(text: string): bigint {
  if (Object.hasOwn(NAMED_TIMES, text)) return NAMED_TIMES[text]
  if (!/^[+-]?\d+$/.test(text)) {
    throw new TerseError(
      `Malformed time argument ${text}. Please use -1 or latest / -2 or earliest / -3 or max-timestamp / -4 or earliest-local / -5 or latest-tiered, or a specified long format timestamp`,
    )
  }
  return BigInt(text)
}

export interface TopicPartitionFilter {
  topicAllowed(topic: string): boolean
  partitionAllowed(topic: string, partition: number): boolean
}

/** --topic-partitions: a list of `topicRegex:partitionSpec` rules, any of which may match. */
export function topicPartitionFilter(spec: string): TopicPartitionFilter {
  const rules = spec.split(',').map((rule) => {
    const m = new RegExp(`^${TOPIC_PARTITION_PATTERN}$`).exec(rule)
    if (m === null) throw new TerseError(`Invalid rule specification: ${rule}`)
    const g = (i: number) => (m[i] !== undefined && m[i] !== '' ? m[i] : null)
    const topic = new IncludeList(g(1) ?? '.*')
    let allowed: (p: number) => boolean
    if (g(2) !== null) {
      const only = Number(g(2))
      allowed = (p) => p === only
    } else {
      const lower = g(3) !== null ? Number(g(3)) : 0
      const upper = g(4) !== null ? Number(g(4)) : 2147483647
      allowed = (p) => p >= lower && p < upper
    }
    return { topic, allowed }
  })
  return {
    topicAllowed: (t) => rules.some((r) => r.topic.matches(t)),
    partitionAllowed: (t, p) => rules.some((r) => r.topic.matches(t) && r.allowed(p)),
  }
}

/** --topic and --partitions. */
export function topicAndPartitionsFilter(
  topic: string | undefined,
  partitions: string | undefined,
): TopicPartitionFilter {
  const list = new IncludeList(topic ?? '.*')
  let set: Set<number> | null = null
  if (partitions !== undefined && partitions !== '') {
    const parts = partitions.split(',')
    if (parts.some((p) => !/^[+-]?\d+$/.test(p))) {
      throw new TerseError(
        `--partitions expects a comma separated list of numeric partition ids, but received: ${partitions}`,
      )
    }
    set = new Set(parts.map(Number))
  }
  return {
    topicAllowed: (t) => list.matches(t),
    partitionAllowed: (t, p) => list.matches(t) && (set === null || set.has(p)),
  }
}

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const defs = GET_OFFSETS_OPTIONS
  const opts = parseCommandLine(defs, argv, {
    purpose: USAGE_TEXT,
    emptyMessage: USAGE_TEXT,
    optionErrorPrefix: 'Error occurred: ',
  })
  checkRequired(defs, opts, 'bootstrap-server')
  const bootstrap = opts.value('bootstrap-server')!
  if (bootstrap.trim() === '')
    usageExit([...defs, ...HELP_OPTIONS], 'Error while validating the bootstrap address\n')
  if (parseBootstrap(bootstrap) === null) {
    usageExit([...defs, ...HELP_OPTIONS], 'Please provide valid host:port like host1:9091,host2:9092\n')
  }
  let admin: Awaited<ReturnType<typeof openAdmin>> | undefined
  try {
    if (opts.has('topic-partitions') && (opts.has('topic') || opts.has('partitions'))) {
      throw new TerseError('--topic-partitions cannot be used with --topic or --partitions')
    }
    const exclude = opts.has('exclude-internal-topics')
    const time = parseTime(opts.value('time')!)
    const filter = opts.has('topic-partitions')
      ? topicPartitionFilter(opts.value('topic-partitions')!)
      : topicAndPartitionsFilter(opts.value('topic'), opts.value('partitions'))
    const props = opts.has('command-config')
      ? loadProps(opts.value('command-config')!, io.cwd)
      : new Map<string, string>()
    props.set('client.id', 'GetOffsetShell')
    admin = await openAdmin('GetOffsetShell', bootstrap, props)
    const topics = (await admin.listTopics({ includeInternals: !exclude })).filter((t) =>
      filter.topicAllowed(t),
    )
    const md = topics.length === 0 ? { topics: [] } : await rawMetadata(admin, topics)
    const partitions = md.topics.flatMap((t) =>
      t.partitions
        .map((p) => ({ topic: t.name!, partition: p.partitionIndex }))
        .filter((tp) => filter.partitionAllowed(tp.topic, tp.partition)),
    )
    if (partitions.length === 0)
      throw new TerseError('Could not match any topic-partitions with the specified filters')
    const byTopic = new Map<string, number[]>()
    for (const tp of partitions) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition])
    const result = await admin.listOffsets({
      topics: [...byTopic].map(([name, ps]) => ({
        name,
        partitions: ps.map((partitionIndex) => ({ partitionIndex, timestamp: time })),
      })),
    })
    const lines = result
      .flatMap((t) =>
        t.partitions
          .filter((p) => p.offset !== -1n)
          .map((p) => ({
            key: `${t.name}-${p.partitionIndex}`,
            line: `${t.name}:${p.partitionIndex}:${p.offset}`,
          })),
      )
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    for (const l of lines) io.out(`${l.line}\n`)
    return 0
  } catch (e) {
    if (e instanceof ToolExit) throw e
    io.err(`Error occurred: ${e instanceof TerseError ? e.message : errorMessage(e)}\n`)
    return 1
  } finally {
    await closeQuietly(admin)
  }
}
