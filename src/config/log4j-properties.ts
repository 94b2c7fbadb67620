// Reads the logger levels of a log4j properties file, the way Kafka users configure logging
// (config/log4j.properties, `log4j.logger.kafka.request.logger=DEBUG`). Only levels are taken:
// every line goes to the broker's one output (stderr; bin/kafka-server-start.sh -daemon sends it
// to logs/samsaServer.out), so appenders, layouts and additivity are accepted and ignored.
//
// Understood keys (log4j 1 syntax, as Kafka up to 3.x ships it):
//   log4j.rootLogger=LEVEL[, appender...]        (also log4j.rootCategory)
//   log4j.logger.<name>=LEVEL[, appender...]     (also log4j.category.<name>)
// and the level lines of the log4j2 properties syntax (Kafka 4):
//   rootLogger.level=LEVEL   rootLogger=LEVEL[, appender...]
//   logger.<id>.name=<name>  logger.<id>.level=LEVEL
// Names are Samsa's (samsa, samsa.storage, samsa.request.logger, …) or Kafka's where one of ours
// corresponds (KAFKA_LOGGER_NAMES). Anything else produces one warning and is skipped: a logging
// file never stops the broker.

import { type LogLevel, parseLogLevel } from '../common/log-level.ts'
import { parseProperties } from './properties.ts'

/** Kafka's logger names → the Samsa logger that logs the same things. */
export const KAFKA_LOGGER_NAMES: ReadonlyMap<string, string> = new Map([
  ['kafka', 'samsa'],
  ['org.apache.kafka', 'samsa'],
  ['kafka.request.logger', 'samsa.request.logger'],
  ['kafka.controller', 'samsa.controller'],
  ['org.apache.kafka.controller', 'samsa.controller'],
  ['kafka.authorizer.logger', 'samsa.authorizer'],
  ['org.apache.zookeeper', 'samsa.zookeeper'],
  ['kafka.network', 'samsa.network'],
  ['kafka.log', 'samsa.storage'],
  ['kafka.coordinator.group', 'samsa.group-coordinator'],
  ['kafka.coordinator.transaction', 'samsa.txn-coordinator'],
  ['kafka.server.ReplicaFetcherManager', 'samsa.replica-fetcher'],
  ['kafka.server.ReplicaFetcherThread', 'samsa.replica-fetcher'],
])

/**
 * Kafka names in Kafka's own shipped file with no separate Samsa logger: skipped without a
 * warning, so that file loads quietly. (Samsa logs state changes under samsa.controller and the
 * cleaner under samsa.storage.)
 */
const KAFKA_NAMES_WITHOUT_EQUIVALENT = new Set([
  'kafka.network.RequestChannel$',
  'state.change.logger',
  'kafka.log.LogCleaner',
  'org.apache.kafka.storage.internals.log.LogCleaner',
  'org.apache.kafka.raft',
  'org.apache.kafka.metadata',
])

export interface Log4jLevels {
  /** rootLogger's level, when the file sets one. */
  readonly root: LogLevel | null
  /** Samsa logger name → level, in file order (a later line for the same name wins). */
  readonly levels: ReadonlyMap<string, LogLevel>
  /** One line per problem, `source:line: …`; each problem once. */
  readonly warnings: readonly string[]
}

/** The Samsa name for a logger name of the file; null: known, skip quietly; undefined: unknown. */
export function samsaLoggerName(name: string): string | null | undefined {
  if (name === 'samsa' || name.startsWith('samsa.')) return name
  const mapped = KAFKA_LOGGER_NAMES.get(name)
  if (mapped !== undefined) return mapped
  return KAFKA_NAMES_WITHOUT_EQUIVALENT.has(name) ? null : undefined
}

export function parseLog4jProperties(text: string, source: string): Log4jLevels {
  const warnings: string[] = []
  const warned = new Set<string>()
  const warn = (key: string, line: number, message: string) => {
    if (warned.has(key)) return
    warned.add(key)
    warnings.push(`${source}:${line}: ${message}`)
  }
  let pairs: ReturnType<typeof parseProperties>
  try {
    pairs = parseProperties(text)
  } catch (e) {
    return { root: null, levels: new Map(), warnings: [`${source}: ${(e as Error).message}; file ignored`] }
  }
  let root: LogLevel | null = null
  const levels = new Map<string, LogLevel>()
  /** log4j2 `logger.<id>.name` / `.level`, joined once the whole file is read. */
  const v2 = new Map<string, { name?: string; level?: string; line: number }>()

  const levelOf = (key: string, value: string, line: number): LogLevel | null => {
    const first = value.split(',')[0]!.trim()
    if (first === '') return null // `log4j.rootLogger=, A`: appenders only, level unchanged
    const l = parseLogLevel(first)
    if (l === null)
      warn(
        key,
        line,
        `${key}: unknown level '${first}' (expected TRACE, DEBUG, INFO, WARN, ERROR or OFF); line ignored`,
      )
    return l
  }
  const setNamed = (key: string, name: string, level: LogLevel, line: number) => {
    const s = samsaLoggerName(name)
    if (s === null) return
    if (s === undefined) {
      warn(
        key,
        line,
        `${key}: no Samsa logger corresponds to '${name}' (use samsa.* names, docs/observability.md); line ignored`,
      )
      return
    }
    levels.set(s, level)
  }

  for (const { key, value, line } of pairs) {
    if (
      key === 'log4j.rootLogger' ||
      key === 'log4j.rootCategory' ||
      key === 'rootLogger' ||
      key === 'rootLogger.level'
    ) {
      root = levelOf(key, value, line) ?? root
    } else if (key.startsWith('log4j.logger.') || key.startsWith('log4j.category.')) {
      const name = key.slice(key.indexOf('.', 'log4j.'.length) + 1)
      const l = levelOf(key, value, line)
      if (l !== null) setNamed(key, name, l, line)
    } else if (key.startsWith('logger.')) {
      const m = /^logger\.([^.]+)\.(name|level|additivity|appenderRef\..*|filter\..*|type)$/.exec(key)
      if (m === null) warn(key, line, `${key}: not understood; line ignored`)
      else if (m[2] === 'name' || m[2] === 'level') {
        const e = v2.get(m[1]!) ?? { line }
        e[m[2]] = value.trim()
        v2.set(m[1]!, e)
      }
    } else if (!isIgnoredKey(key)) {
      warn(key, line, `${key}: not understood (Samsa reads logger levels only); line ignored`)
    }
  }
  for (const [id, e] of v2) {
    if (e.name === undefined || e.level === undefined) {
      warn(`logger.${id}`, e.line, `logger.${id}: needs both .name and .level; ignored`)
      continue
    }
    const l = levelOf(`logger.${id}.level`, e.level, e.line)
    if (l !== null) setNamed(`logger.${id}`, e.name, l, e.line)
  }
  return { root, levels, warnings }
}

/** Appender/layout/additivity and log4j2 housekeeping keys: meaningful to log4j, not to us. */
function isIgnoredKey(key: string): boolean {
  return (
    key.startsWith('log4j.appender.') ||
    key.startsWith('log4j.additivity.') ||
    key === 'log4j.threshold' ||
    key === 'log4j.debug' ||
    key.startsWith('appender.') ||
    key.startsWith('appenders') ||
    key.startsWith('rootLogger.') ||
    key.startsWith('property.') ||
    key.startsWith('filter.') ||
    key === 'status' ||
    key === 'name' ||
    key === 'dest' ||
    key === 'monitorInterval' ||
    key === 'loggers'
  )
}

/**
 * The file named by KAFKA_LOG4J_OPTS (`-Dlog4j.configuration=file:PATH`, Kafka ≤ 3.x, or
 * `-Dlog4j2.configurationFile=PATH`, Kafka 4), without a `file:` prefix; null when it names none.
 */
export function log4jFileFromOpts(opts: string | undefined): string | null {
  if (opts === undefined) return null
  const m = /-Dlog4j2?\.configuration(?:File)?=(?:"([^"]*)"|(\S+))/.exec(opts)
  if (m === null) return null
  const raw = m[1] ?? m[2]!
  return raw.replace(/^file:(\/\/(?=\/))?/, '')
}
