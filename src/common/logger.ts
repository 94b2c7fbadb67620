// A small leveled logger in Kafka's log4j layout: `[2026-11-25 19:22:41,123] INFO message (logger)`.
// Lines go to stderr by default so stdout stays free for tools. Tests inject a sink.

export const LogLevel = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, off: 5 } as const
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel]
const NAMES = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']

export type LogSink = (line: string) => void

export interface Logger {
  trace(msg: string): void
  debug(msg: string): void
  info(msg: string): void
  warn(msg: string): void
  error(msg: string, err?: unknown): void
  child(name: string): Logger
  isEnabled(level: LogLevel): boolean
}

function stamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())},${p(d.getMilliseconds(), 3)}`
}

export function createLogger(
  name = 'samsa',
  level: LogLevel = LogLevel.info,
  sink: LogSink = (line) => process.stderr.write(`${line}\n`),
): Logger {
  const log = (lvl: LogLevel, msg: string) => {
    if (lvl >= level) sink(`[${stamp(new Date())}] ${NAMES[lvl]} ${msg} (${name})`)
  }
  return {
    trace: (m) => log(LogLevel.trace, m),
    debug: (m) => log(LogLevel.debug, m),
    info: (m) => log(LogLevel.info, m),
    warn: (m) => log(LogLevel.warn, m),
    error: (m, err) => log(LogLevel.error, err === undefined ? m : `${m}: ${errorText(err)}`),
    child: (child) => createLogger(`${name}.${child}`, level, sink),
    isEnabled: (lvl) => lvl >= level,
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.stack ?? err.message
  return String(err)
}

/** A logger that drops everything (tests, embedded use with logging off). */
export const silentLogger: Logger = createLogger('silent', LogLevel.off, () => {})
