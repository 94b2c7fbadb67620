// kafka-leader-election.sh options and their checks, in the order and words of Kafka's
// LeaderElectionCommand: --bootstrap-server and --election-type are required; exactly one of
// --topic (with --partition), --all-topic-partitions or --path-to-json-file says which partitions.
// Both names of the admin client config file are accepted: --admin.config (Kafka 3.x) and
// --command-config (the name Kafka 4.2 gives it), but not together.

import type { OptionDef } from '../args/option-parser.ts'
import { checkInvalid, parseCommandLine } from '../common/command.ts'
import { failExit } from '../common/exit.ts'

export const ELECTION_TYPES = ['PREFERRED', 'UNCLEAN'] as const
export type ElectionType = (typeof ELECTION_TYPES)[number]

/** The ElectionType byte of ElectLeaders v1+. */
export const ELECTION_TYPE_ID: Readonly<Record<ElectionType, number>> = { PREFERRED: 0, UNCLEAN: 1 }

export interface TopicPartition {
  topic: string
  partition: number
}

export const LEADER_ELECTION_OPTIONS: readonly OptionDef[] = [
  {
    name: 'bootstrap-server',
    help: 'A hostname and port for the broker to connect to, in the form host:port. Multiple comma separated URLs can be given. REQUIRED.',
    arg: 'required',
    describedAs: 'host:port',
  },
  {
    name: 'admin.config',
    help: 'Configuration properties files to pass to the admin client',
    arg: 'required',
    describedAs: 'config file',
  },
  {
    name: 'command-config',
    help: 'Config properties file to pass to the admin client.',
    arg: 'required',
    describedAs: 'Config file',
  },
  {
    name: 'path-to-json-file',
    help:
      'The JSON file with the list  of partition for which leader elections should be performed. This is an ' +
      'example format. \n{"partitions":\n\t[{"topic": "foo", "partition": 1},\n\t {"topic": "foobar", "partition": 2}]\n}\n' +
      'Not allowed if --all-topic-partitions or --topic flags are specified.',
    arg: 'required',
    describedAs: 'Path to JSON file',
  },
  {
    name: 'topic',
    help: 'Name of topic for which to perform an election. Not allowed if --path-to-json-file or --all-topic-partitions is specified.',
    arg: 'required',
    describedAs: 'topic name',
  },
  {
    name: 'partition',
    help: 'Partition id for which to perform an election. REQUIRED if --topic is specified.',
    arg: 'required',
    describedAs: 'partition id',
    type: 'Integer',
  },
  {
    name: 'all-topic-partitions',
    help:
      'Perform election on all of the eligible topic partitions based on the type of election (see the ' +
      '--election-type flag). Not allowed if --topic or --path-to-json-file is specified.',
  },
  {
    name: 'election-type',
    help:
      'Type of election to attempt. Possible values are "preferred" for preferred leader election or "unclean" ' +
      'for unclean leader election. If preferred election is selection, the election is only performed if the ' +
      'current leader is not the preferred leader for the topic partition. If unclean election is selected, the ' +
      'election is only performed if there are no leader for the topic partition. REQUIRED.',
    arg: 'required',
    describedAs: 'election type',
  },
]

export const PURPOSE =
  'This tool attempts to elect a new leader for a set of topic partitions. The type of elections supported are preferred replicas and unclean replicas.'

export interface LeaderElectionOptions {
  bootstrap: string
  electionType: ElectionType
  /** --topic with --partition; null with --all-topic-partitions or --path-to-json-file. */
  single: TopicPartition | null
  /** --path-to-json-file, as given. */
  jsonFile: string | null
  /** --admin.config or --command-config, as given. */
  configFile: string | null
}

/** Parses and checks the command line as LeaderElectionCommand does; ends the tool on any problem. */
export function parseLeaderElectionOptions(argv: readonly string[]): LeaderElectionOptions {
  const defs = LEADER_ELECTION_OPTIONS
  const opts = parseCommandLine(defs, argv, { purpose: PURPOSE })
  const missing = ['bootstrap-server', 'election-type'].filter((n) => !opts.has(n))
  if (missing.length > 0) failExit(`Missing required option(s): ${missing.join(', ')}`)
  checkInvalid(defs, opts, 'admin.config', ['command-config'])
  const scopes = ['topic', 'all-topic-partitions', 'path-to-json-file']
  if (scopes.filter((n) => opts.has(n)).length !== 1)
    failExit(`One and only one of the following options is required: ${scopes.join(', ')}`)
  if (opts.has('topic') && !opts.has('partition')) failExit('Missing required option(s): partition')
  if (!opts.has('topic') && opts.has('partition'))
    failExit('Option partition is only allowed if topic is used')
  const typeText = opts.value('election-type')!
  const electionType = parseElectionType(typeText)
  if (electionType === null) failExit(`Cannot parse argument '${typeText}' of option election-type`)
  return {
    bootstrap: opts.value('bootstrap-server')!,
    electionType,
    single: opts.has('topic') ? { topic: opts.value('topic')!, partition: opts.number('partition')! } : null,
    jsonFile: opts.value('path-to-json-file') ?? null,
    configFile: opts.value('admin.config') ?? opts.value('command-config') ?? null,
  }
}

/** `preferred`/`unclean` in any case (joptsimple's enum conversion), else null. */
export function parseElectionType(text: string): ElectionType | null {
  return ELECTION_TYPES.find((t) => t === text.toUpperCase()) ?? null
}

/** Kafka's TopicPartition.toString: `topic-partition`. */
export const partitionName = (tp: TopicPartition): string => `${tp.topic}-${tp.partition}`

/**
 * The --path-to-json-file contents: {"partitions": [{"topic": "foo", "partition": 1}, ...]}.
 * Problems are errors worded as Kafka's (an unparsable file reads as empty, as Kafka's Json does).
 */
export function parseElectionJson(text: string): TopicPartition[] {
  let js: unknown
  try {
    js = JSON.parse(text)
  } catch {
    throw new Error('Replica election data is empty')
  }
  if (js === null || typeof js !== 'object' || Array.isArray(js))
    throw new Error(`Expected JSON object, received ${JSON.stringify(js)}`)
  const list = (js as { partitions?: unknown }).partitions
  if (list === undefined) throw new Error('Replica election data is missing "partitions" field')
  if (!Array.isArray(list)) throw new Error(`Expected JSON array, received ${JSON.stringify(list)}`)
  const out: TopicPartition[] = []
  for (const entry of list) {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry))
      throw new Error(`Expected JSON object, received ${JSON.stringify(entry)}`)
    const e = entry as { topic?: unknown; partition?: unknown }
    if (e.topic === undefined) throw new Error('No such field exists: `topic`')
    if (typeof e.topic !== 'string')
      throw new Error(`Expected \`String\` value, received ${JSON.stringify(e.topic)}`)
    if (e.partition === undefined) throw new Error('No such field exists: `partition`')
    if (!Number.isInteger(e.partition))
      throw new Error(`Expected \`Int\` value, received ${JSON.stringify(e.partition)}`)
    out.push({ topic: e.topic, partition: e.partition as number })
  }
  const counts = new Map<string, number>()
  for (const tp of out) counts.set(partitionName(tp), (counts.get(partitionName(tp)) ?? 0) + 1)
  const dups = [...counts].filter(([, n]) => n > 1).map(([name]) => name)
  if (dups.length > 0)
    throw new Error(`Replica election data contains duplicate partitions: [${dups.join(', ')}]`)
  return out
}
