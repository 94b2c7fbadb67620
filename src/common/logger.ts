// The broker's logging: named loggers (`samsa`, `samsa.storage`, `samsa.request.logger`, …) with
// Kafka's log4j levels, each line a structured record {time, level, logger, message, fields, error}
// rendered by a layout (common/log-layout.ts): Kafka's text layout `[%d] %p %m (%c)` by default,
// JSON lines on request. Lines go to stderr by default so stdout stays free for tools; tests
// inject a sink.
//
// Levels are per logger name, log4j-style: a logger's level is the one set for its own name or for
// the nearest dotted ancestor (`samsa.request.logger` → `samsa.request` → `samsa`), else the root
// level. Loggers share one LogLevels table and cache their resolved level until the table changes
// (a generation counter), so a disabled call costs one comparison and levels may change at run time.

import { jsonLayout, type LogLayout, textLayout } from './log-layout.ts'
import { LogLevel } from './log-level.ts'

export { LEVEL_NAMES, LogLevel, parseLogLevel } from './log-level.ts'

/** Structured context of one line (request logger: api, sizes, times). Kept flat and JSON-able. */
export type LogFields = Readonly<Record<string, string | number | boolean | bigint | null | undefined>>

/** One log line before layout. `time` is epoch milliseconds. */
export interface LogRecord {
  readonly time: number
  readonly level: LogLevel
  readonly logger: string
  readonly msg: string
  readonly fields?: LogFields
  readonly err?: unknown
}

export type LogSink = (line: string) => void
export type LogFormat = 'text' | 'json'

export interface Logger {
  trace(msg: string, fields?: LogFields): void
  debug(msg: string, fields?: LogFields): void
  info(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  error(msg: string, err?: unknown, fields?: LogFields): void
  child(name: string): Logger
  isEnabled(level: LogLevel): boolean
}

/** The root level and the per-name levels every logger of one tree reads. */
export class LogLevels {
  private rootLevel: LogLevel
  private readonly named = new Map<string, LogLevel>()
  /** Bumped on every change; loggers re-resolve their level when it moved. */
  generation = 0

  constructor(root: LogLevel = LogLevel.info, named?: ReadonlyMap<string, LogLevel>) {
    this.rootLevel = root
    if (named !== undefined) for (const [k, v] of named) this.named.set(k, v)
  }

  get root(): LogLevel {
    return this.rootLevel
  }

  setRoot(level: LogLevel): void {
    this.rootLevel = level
    this.generation++
  }

  /** Sets (or with null, clears) the level of one logger name and its descendants. */
  set(name: string, level: LogLevel | null): void {
    if (level === null) this.named.delete(name)
    else this.named.set(name, level)
    this.generation++
  }

  /** The configured per-name levels (for describing the settings). */
  entries(): ReadonlyMap<string, LogLevel> {
    return this.named
  }

  /** The effective level of `name`: its own, its nearest dotted ancestor's, else the root's. */
  levelOf(name: string): LogLevel {
    let n = name
    for (;;) {
      const l = this.named.get(n)
      if (l !== undefined) return l
      const dot = n.lastIndexOf('.')
      if (dot < 0) return this.rootLevel
      n = n.slice(0, dot)
    }
  }
}

export interface LoggerOptions {
  /** Levels shared by the whole tree; default: every logger at INFO. */
  levels?: LogLevels
  format?: LogFormat
  /** Custom layout (wins over `format`). */
  layout?: LogLayout
  sink?: LogSink
  /** Epoch ms; injectable for layout tests. */
  now?: () => number
}

interface Tree {
  readonly levels: LogLevels
  readonly layout: LogLayout
  readonly sink: LogSink
  readonly now: () => number
}

const stderrSink: LogSink = (line) => {
  process.stderr.write(`${line}\n`)
}

class NamedLogger implements Logger {
  private readonly tree: Tree
  private readonly name: string
  private level: LogLevel
  private generation: number

  constructor(tree: Tree, name: string) {
    this.tree = tree
    this.name = name
    this.level = tree.levels.levelOf(name)
    this.generation = tree.levels.generation
  }

  isEnabled(level: LogLevel): boolean {
    const levels = this.tree.levels
    if (levels.generation !== this.generation) {
      this.level = levels.levelOf(this.name)
      this.generation = levels.generation
    }
    return level >= this.level && level < LogLevel.off
  }

  trace(msg: string, fields?: LogFields): void {
    if (this.isEnabled(LogLevel.trace)) this.write(LogLevel.trace, msg, fields, undefined)
  }
  debug(msg: string, fields?: LogFields): void {
    if (this.isEnabled(LogLevel.debug)) this.write(LogLevel.debug, msg, fields, undefined)
  }
  info(msg: string, fields?: LogFields): void {
    if (this.isEnabled(LogLevel.info)) this.write(LogLevel.info, msg, fields, undefined)
  }
  warn(msg: string, fields?: LogFields): void {
    if (this.isEnabled(LogLevel.warn)) this.write(LogLevel.warn, msg, fields, undefined)
  }
  error(msg: string, err?: unknown, fields?: LogFields): void {
    if (this.isEnabled(LogLevel.error)) this.write(LogLevel.error, msg, fields, err)
  }

  child(name: string): Logger {
    return new NamedLogger(this.tree, `${this.name}.${name}`)
  }

  private write(level: LogLevel, msg: string, fields: LogFields | undefined, err: unknown): void {
    const t = this.tree
    t.sink(t.layout({ time: t.now(), level, logger: this.name, msg, fields, err }))
  }
}

/** The root of a logger tree with shared levels, layout and sink. */
export function createRootLogger(name = 'samsa', opts: LoggerOptions = {}): Logger {
  return new NamedLogger(
    {
      levels: opts.levels ?? new LogLevels(),
      layout: opts.layout ?? (opts.format === 'json' ? jsonLayout : textLayout),
      sink: opts.sink ?? stderrSink,
      now: opts.now ?? Date.now,
    },
    name,
  )
}

/** A text-layout logger tree whose every logger is at `level` (the original signature, kept). */
export function createLogger(
  name = 'samsa',
  level: LogLevel = LogLevel.info,
  sink: LogSink = stderrSink,
): Logger {
  return createRootLogger(name, { levels: new LogLevels(level), sink })
}

/** A logger that drops everything (tests, embedded use with logging off). */
export const silentLogger: Logger = createLogger('silent', LogLevel.off, () => {})
