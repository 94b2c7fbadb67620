// The broker's logging settings (Samsa extensions; Kafka configures logging outside server.properties,
// through KAFKA_LOG4J_OPTS, and that is honoured too). `samsa.log.format` picks the layout (Kafka's
// text or JSON lines), `samsa.log4j.properties` a log4j properties file with per-logger levels.
// The process reads them once, before the broker starts, so the startup lines already follow them
// (loggingSetup): the config values when given, else the environment:
//   SAMSA_LOG_FORMAT=json|text            the layout
//   KAFKA_LOG4J_OPTS=-Dlog4j.configuration=file:PATH   the levels file (set by bin/kafka-server-start.sh
//                                         to config/log4j.properties when unset, as Kafka's does)
//   SAMSA_LOG_LEVEL=debug|…               the root level, over the file's rootLogger
// A logging problem is a warning, never a failed start.

import { LogLevel, parseLogLevel } from '../common/log-level.ts'
import { createRootLogger, type LogFormat, type Logger, LogLevels } from '../common/logger.ts'
import { type ConfigDefinition, define, oneOf } from './config-def.ts'
import type { ConfigInput } from './config-input.ts'
import { log4jFileFromOpts, parseLog4jProperties } from './log4j-properties.ts'

export const LOG_FORMAT_KEY = 'samsa.log.format'
export const LOG4J_FILE_KEY = 'samsa.log4j.properties'
/** Kafka's kafka.request.logger: one line per request at DEBUG (server/dispatcher.ts). */
export const REQUEST_LOGGER = 'samsa.request.logger'

/**
 * Levels in force unless the file names the logger itself: the request logger stays at WARN, as in
 * Kafka's shipped file, so a DEBUG root level (SAMSA_LOG_LEVEL=debug) does not add a line per request.
 */
const DEFAULT_LEVELS: ReadonlyMap<string, LogLevel> = new Map([[REQUEST_LOGGER, LogLevel.warn]])

export const LOG4J_DEFS: readonly ConfigDefinition[] = [
  define(
    LOG_FORMAT_KEY,
    'string',
    'text',
    "Samsa extension: the layout of the broker's log lines. text: Kafka's log4j layout " +
      '`[yyyy-MM-dd HH:mm:ss,SSS] LEVEL message (logger)`; json: one JSON object per line with time, ' +
      'level, logger, msg and structured fields. When not set, the SAMSA_LOG_FORMAT environment variable ' +
      'decides. Read at startup only.',
    { validator: oneOf('text', 'json'), importance: 'low' },
  ),
  define(
    LOG4J_FILE_KEY,
    'string',
    '',
    'Samsa extension: path of a log4j properties file giving logger levels (log4j.rootLogger=LEVEL, ' +
      'log4j.logger.NAME=LEVEL; Samsa names or the Kafka names that correspond, such as ' +
      'kafka.request.logger). Empty: the file named by KAFKA_LOG4J_OPTS (-Dlog4j.configuration=file:PATH), ' +
      'if any. Appenders are ignored: lines go to standard error. Read at startup only.',
    { importance: 'low' },
  ),
]

export interface LoggingSetup {
  readonly format: LogFormat
  readonly root: LogLevel
  readonly levels: ReadonlyMap<string, LogLevel>
  /** The levels file read, if any. */
  readonly file: string | null
  /** Problems to log as warnings once the logger exists. */
  readonly warnings: readonly string[]
}

/**
 * The logging of a broker process from its config inputs (file then overrides: the last value of a
 * key wins) and environment. `read` reads the levels file (throws when it cannot).
 */
export function loggingSetup(
  inputs: readonly ConfigInput[],
  env: Readonly<Record<string, string | undefined>>,
  read: (path: string) => string,
): LoggingSetup {
  const warnings: string[] = []
  const last = (key: string): string | undefined => {
    let v: string | undefined
    for (const i of inputs) if (i.key === key) v = i.value.trim()
    return v
  }

  let format: LogFormat = 'text'
  const configured = last(LOG_FORMAT_KEY)
  // An invalid config value is refused by the config check itself; text meanwhile.
  if (configured !== undefined) format = configured === 'json' ? 'json' : 'text'
  else if (env.SAMSA_LOG_FORMAT !== undefined && env.SAMSA_LOG_FORMAT !== '') {
    const e = env.SAMSA_LOG_FORMAT.trim().toLowerCase()
    if (e === 'json' || e === 'text') format = e
    else warnings.push(`SAMSA_LOG_FORMAT=${env.SAMSA_LOG_FORMAT}: expected text or json; using text`)
  }

  let file: string | null = last(LOG4J_FILE_KEY) || null
  if (file === null) file = log4jFileFromOpts(env.KAFKA_LOG4J_OPTS)
  let root: LogLevel = LogLevel.info
  let levels: ReadonlyMap<string, LogLevel> = DEFAULT_LEVELS
  if (file !== null) {
    if (/\.(xml|ya?ml|json)$/i.test(file)) {
      warnings.push(`${file}: only log4j .properties files are read; logging defaults used`)
      file = null
    } else {
      let text: string | null = null
      try {
        text = read(file)
      } catch (e) {
        warnings.push(`${file}: cannot read the log4j file (${(e as Error).message}); logging defaults used`)
        file = null
      }
      if (text !== null && file !== null) {
        const parsed = parseLog4jProperties(text, file)
        warnings.push(...parsed.warnings)
        if (parsed.root !== null) root = parsed.root
        levels = new Map([...DEFAULT_LEVELS, ...parsed.levels])
      }
    }
  }
  const envLevel = env.SAMSA_LOG_LEVEL
  if (envLevel !== undefined && envLevel !== '') {
    const l = parseLogLevel(envLevel)
    if (l === null) warnings.push(`SAMSA_LOG_LEVEL=${envLevel}: not a log level; ignored`)
    else root = l
  }
  return { format, root, levels, file, warnings }
}

/** The `samsa` root logger of a setup (to stderr); its warnings are logged first, on samsa.log4j. */
export function brokerLogger(setup: LoggingSetup): Logger {
  const log = createRootLogger('samsa', {
    format: setup.format,
    levels: new LogLevels(setup.root, setup.levels),
  })
  const l4j = log.child('log4j')
  for (const w of setup.warnings) l4j.warn(w)
  return log
}
