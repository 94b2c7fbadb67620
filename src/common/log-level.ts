// Kafka's log4j levels, in order of severity, and their names. Apart from logger.ts so the layouts
// can name levels without importing the logger (which imports them).

export const LogLevel = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, off: 5 } as const
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel]

/** log4j's names of the levels, indexed by LogLevel. */
export const LEVEL_NAMES = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'OFF'] as const

/** A level name as log4j spells it (any case; FATAL is ERROR, ALL is TRACE), or null. */
export function parseLogLevel(text: string): LogLevel | null {
  const t = text.trim().toUpperCase()
  if (t === 'FATAL') return LogLevel.error
  if (t === 'ALL') return LogLevel.trace
  const i = LEVEL_NAMES.indexOf(t as (typeof LEVEL_NAMES)[number])
  return i < 0 ? null : (i as LogLevel)
}
