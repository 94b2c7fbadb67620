// How a log record becomes one line. Two layouts:
// - text (the default): Kafka's log4j pattern `[%d] %p %m (%c)`, e.g.
//   `[2026-12-06 14:31:52,836] INFO message (samsa.storage)`, local time with milliseconds after a
//   comma. Users grep these lines and tests match them, so the shape never changes; fields follow the
//   message as ` key=value` (values with spaces, quotes or '=' JSON-quoted), an error follows as
//   `: <stack>`.
// - json: one JSON object per line for log shippers: {"time" (ISO 8601, UTC), "level", "logger",
//   "msg", then the fields as top-level keys, then "err": {type, message, code?, stack}}. Keys that
//   would shadow the first four are dropped from the fields; bigints are written as strings.
// Hand-written rather than pino: pino's value is its asynchronous JSON writer, but the text layout
// must stay byte-exact, both layouts must share one record and per-logger levels, and
// JSON.stringify of a small object is all a line costs here.

import { LEVEL_NAMES } from './log-level.ts'
import type { LogFields, LogRecord } from './logger.ts'

export type LogLayout = (r: LogRecord) => string

const pad = (n: number, w = 2): string => String(n).padStart(w, '0')

/** log4j's ISO8601 date format (`%d`): local time, `yyyy-MM-dd HH:mm:ss,SSS`. */
export function log4jTimestamp(ms: number): string {
  const d = new Date(ms)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())},${pad(d.getMilliseconds(), 3)}`
}

export const textLayout: LogLayout = (r) => {
  let m = r.msg
  if (r.fields !== undefined) m += textFields(r.fields)
  if (r.err !== undefined) m += `: ${errorText(r.err)}`
  return `[${log4jTimestamp(r.time)}] ${LEVEL_NAMES[r.level]} ${m} (${r.logger})`
}

const RESERVED = new Set(['time', 'level', 'logger', 'msg', 'err'])

export const jsonLayout: LogLayout = (r) => {
  const o: Record<string, unknown> = {
    time: new Date(r.time).toISOString(),
    level: LEVEL_NAMES[r.level],
    logger: r.logger,
    msg: r.msg,
  }
  if (r.fields !== undefined) {
    for (const k in r.fields) {
      const v = r.fields[k]
      if (v === undefined || RESERVED.has(k)) continue
      o[k] = typeof v === 'bigint' ? v.toString() : v
    }
  }
  if (r.err !== undefined) o.err = errorJson(r.err)
  return JSON.stringify(o)
}

function textFields(fields: LogFields): string {
  let s = ''
  for (const k in fields) {
    const v = fields[k]
    if (v === undefined) continue
    s += ` ${k}=${typeof v === 'string' && (v === '' || /[\s="]/.test(v)) ? JSON.stringify(v) : String(v)}`
  }
  return s
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.stack ?? err.message
  return String(err)
}

function errorJson(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: String(err) }
  const code = (err as { code?: unknown }).code
  return {
    type: err.name,
    message: err.message,
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    ...(err.stack === undefined ? {} : { stack: err.stack }),
  }
}
