// The `samsa` command: `samsa <tool> [options]`, where <tool> is a Kafka tool's name without the
// `kafka-` prefix and `.sh` suffix (`samsa topics --list ...` is `kafka-topics.sh --list ...`). The
// Kafka-named scripts in bin/ call this. Each tool module exports run(argv, io) → exit code; tools
// are imported on demand so each command loads only what it uses.

import { ToolExit } from './common/exit.ts'
import type { Io } from './common/io.ts'
import { processIo } from './common/io.ts'
import { VERSION } from './common/version.ts'

type ToolRun = (argv: readonly string[], io: Io) => Promise<number>

interface ToolEntry {
  script: string
  summary: string
  load: () => Promise<{ run: ToolRun }>
}

export const TOOLS: Readonly<Record<string, ToolEntry>> = {
  topics: {
    script: 'kafka-topics.sh',
    summary: 'Create, delete, describe, or change a topic.',
    load: () => import('./topics/run.ts'),
  },
  'console-producer': {
    script: 'kafka-console-producer.sh',
    summary: 'Read lines from standard input and publish them to a topic.',
    load: () => import('./console/producer.ts'),
  },
  'console-consumer': {
    script: 'kafka-console-consumer.sh',
    summary: 'Read messages from topics and write them to standard output.',
    load: () => import('./console/consumer.ts'),
  },
  'consumer-groups': {
    script: 'kafka-consumer-groups.sh',
    summary: 'List, describe, delete consumer groups, reset or delete their offsets.',
    load: () => import('./consumer-groups/run.ts'),
  },
  'share-groups': {
    script: 'kafka-share-groups.sh',
    summary: 'List and describe share groups.',
    load: () => import('./share-groups/run.ts'),
  },
  configs: {
    script: 'kafka-configs.sh',
    summary: 'Describe and alter topic and broker configs.',
    load: () => import('./configs/run.ts'),
  },
  'get-offsets': {
    script: 'kafka-get-offsets.sh',
    summary: 'Get the offsets of topic partitions (earliest, latest, by time).',
    load: () => import('./offsets/get.ts'),
  },
  'delete-records': {
    script: 'kafka-delete-records.sh',
    summary: 'Delete the records of partitions up to given offsets.',
    load: () => import('./records/delete.ts'),
  },
  'producer-perf-test': {
    script: 'kafka-producer-perf-test.sh',
    summary: 'Measure producer throughput and latency.',
    load: () => import('./perf/producer.ts'),
  },
  'consumer-perf-test': {
    script: 'kafka-consumer-perf-test.sh',
    summary: 'Measure consumer throughput.',
    load: () => import('./perf/consumer.ts'),
  },
  'leader-election': {
    script: 'kafka-leader-election.sh',
    summary: 'Elect the preferred (or, unclean, any live) replica as leader of partitions.',
    load: () => import('./leader-election/run.ts'),
  },
  'reassign-partitions': {
    script: 'kafka-reassign-partitions.sh',
    summary: 'Move partition replicas between brokers: generate, execute, verify, cancel, list.',
    load: () => import('./reassign-partitions/run.ts'),
  },
  acls: {
    script: 'kafka-acls.sh',
    summary: 'Add, remove and list ACLs.',
    load: () => import('./acls/run.ts'),
  },
  transactions: {
    script: 'kafka-transactions.sh',
    summary: 'List and describe transactions.',
    load: () => import('./transactions/run.ts'),
  },
  features: {
    script: 'kafka-features.sh',
    summary: 'Describe the supported and finalized features of the cluster.',
    load: () => import('./features/run.ts'),
  },
  'dump-log': {
    script: 'kafka-dump-log.sh',
    summary: 'Print the contents of log segment and index files (offline).',
    load: () => import('./log/dump.ts'),
  },
  'zookeeper-server-start': {
    script: 'zookeeper-server-start.sh',
    summary: 'Start an Apache ZooKeeper server with a zookeeper.properties file.',
    load: () => import('./zookeeper/start.ts'),
  },
  'zookeeper-server-stop': {
    script: 'zookeeper-server-stop.sh',
    summary: 'Stop the Apache ZooKeeper server started with zookeeper-server-start.',
    load: () => import('./zookeeper/stop.ts'),
  },
}

export function usage(): string {
  const width = Math.max(...Object.keys(TOOLS).map((k) => k.length))
  const lines = Object.entries(TOOLS).map(
    ([name, t]) => `  ${name.padEnd(width)}  ${t.summary} (${t.script})`,
  )
  return `Usage: samsa <tool> [options]\n\nTools:\n${lines.join('\n')}\n\nRun 'samsa <tool> --help' for a tool's options.\n`
}

/** Runs a tool and returns its exit code; everything it prints goes through io. */
export async function runTool(name: string, argv: readonly string[], io: Io): Promise<number> {
  const tool = TOOLS[name]
  if (tool === undefined) {
    io.err(`samsa: unknown tool '${name}'\n${usage()}`)
    return 1
  }
  try {
    const { run } = await tool.load()
    return await run(argv, io)
  } catch (e) {
    if (e instanceof ToolExit) {
      if (e.stdout !== '') io.out(e.stdout)
      if (e.stderr !== '') io.err(e.stderr)
      return e.code
    }
    io.err(`Error: ${e instanceof Error ? e.message : String(e)}\n`)
    if (io.env.SAMSA_DEBUG) io.err(`${e instanceof Error ? e.stack : ''}\n`)
    return 1
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  const io = processIo()
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage())
    return name === undefined ? 1 : 0
  }
  if (name === '--version' || name === 'version') {
    io.out(`${VERSION}\n`)
    return 0
  }
  return runTool(name, rest, io)
}

/** Exits once standard output and error are flushed (clients may keep sockets open). */
export function exitWhenFlushed(code: number): void {
  process.exitCode = code
  let pending = 2
  const done = () => {
    if (--pending === 0) process.exit(code)
  }
  process.stdout.write('', done)
  process.stderr.write('', done)
}
