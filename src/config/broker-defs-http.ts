// The broker's HTTP listener (Samsa extension, no Kafka equivalent): where /metrics, /healthz,
// /readyz and the web console (/) are served. `samsa.http.listeners`; empty (the default) means no
// HTTP listener. `samsa.http.console.*` shape the console (docs/observability.md).
// Kept apart from the Kafka-named tables so the extension is easy to find; the value is checked at
// startup like every other key, so a bad value is a one-line error naming it.

import { type ConfigDefinition, define, oneOf, rule } from './config-def.ts'

export const HTTP_LISTENERS_KEY = 'samsa.http.listeners'
export const CONSOLE_READ_ONLY_KEY = 'samsa.http.console.read.only'
export const CONSOLE_AUTH_KEY = 'samsa.http.console.auth'

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
      '/healthz, /readyz and the web console (/). Empty: no HTTP listener. Port 0 picks a free port (the start line says which). ' +
      'Read at startup only.',
    {
      validator: rule('http://HOST:PORT or empty', (v) => {
        const r = parseHttpListener(String(v))
        return typeof r === 'string' ? r : null
      }),
      importance: 'low',
    },
  ),
  define(
    CONSOLE_READ_ONLY_KEY,
    'boolean',
    false,
    'Samsa extension: when true the web console on the HTTP listener only shows; every request that ' +
      'would change something (create/delete topics, add partitions, alter configs, produce) answers 403. ' +
      'Read at startup only.',
    { importance: 'low' },
  ),
  define(
    CONSOLE_AUTH_KEY,
    'string',
    'none',
    'Samsa extension: authentication of the web console and its /api/ (not of /metrics, /healthz, /readyz). ' +
      "none: open; basic: HTTP basic auth against the broker's SASL users (SCRAM credentials of the user " +
      "store, and PLAIN users of the listeners' JAAS configs). Read at startup only.",
    { validator: oneOf('none', 'basic'), importance: 'low' },
  ),
]
