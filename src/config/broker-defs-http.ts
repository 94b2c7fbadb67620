// The broker's HTTP listener (Samsa extension, no Kafka equivalent): where /metrics, /healthz and
// /readyz are served. One key, `samsa.http.listeners`; empty (the default) means no HTTP listener.
// Kept apart from the Kafka-named tables so the extension is easy to find; the value is checked at
// startup like every other key, so a bad value is a one-line error naming it.

import { type ConfigDefinition, define, rule } from './config-def.ts'

export const HTTP_LISTENERS_KEY = 'samsa.http.listeners'

/** One HTTP listener: host '' binds every interface, port 0 picks a free port. */
export interface HttpListener {
  readonly host: string
  readonly port: number
}

const HTTP_URL_RE = /^http:\/\/(\[[0-9A-Fa-f:.]+\]|[^:/\s[\]]*):(\d+)\/?$/

/**
 * Parses `http://HOST:PORT` (one listener; IPv6 hosts in brackets; an empty host binds all
 * interfaces). '' (or blank) is "no listener". Returns the listener or the reason it is refused.
 */
export function parseHttpListener(text: string): HttpListener | null | string {
  const t = text.trim()
  if (t === '') return null
  if (t.includes(',')) return 'only one HTTP listener is supported'
  const m = HTTP_URL_RE.exec(t)
  if (m === null) return `expected http://HOST:PORT (https is not supported)`
  const port = Number(m[2])
  if (!Number.isSafeInteger(port) || port > 65535)
    return `invalid port ${m[2]}: a port is between 0 and 65535`
  const host = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : m[1]!
  return { host, port }
}

export const HTTP_DEFS: readonly ConfigDefinition[] = [
  define(
    HTTP_LISTENERS_KEY,
    'string',
    '',
    'Samsa extension: http://HOST:PORT of the HTTP listener serving /metrics (Prometheus text format), ' +
      '/healthz and /readyz. Empty: no HTTP listener. Port 0 picks a free port (the start line says which). ' +
      'Read at startup only.',
    {
      validator: rule('http://HOST:PORT or empty', (v) => {
        const r = parseHttpListener(String(v))
        return typeof r === 'string' ? r : null
      }),
      importance: 'low',
    },
  ),
]
