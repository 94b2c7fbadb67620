// `listeners`, `advertised.listeners` and `listener.security.protocol.map`, parsed as Kafka parses
// them. A listener is `NAME://host:port`: NAME is upper-cased, the host may be an IPv6 literal in
// brackets, an empty host means "all interfaces" (null here), port 0 means "any free port".

import { isIP } from 'node:net'
import { ConfigError, invalidValue } from './config-def.ts'

export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL'
const PROTOCOLS: readonly string[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL']

export interface Endpoint {
  /** Upper-cased listener name, e.g. PLAINTEXT or INTERNAL. */
  readonly listenerName: string
  readonly securityProtocol: SecurityProtocol
  /** null: bind every interface (advertised: the broker substitutes its host name). */
  readonly host: string | null
  readonly port: number
}

const csv = (s: string): string[] => s.split(/\s*,\s*/).filter((x) => x !== '')

/** `NAME:PROTOCOL,...` → map from upper-cased name to protocol. */
export function parseSecurityProtocolMap(key: string, text: string): Map<string, SecurityProtocol> {
  const map = new Map<string, SecurityProtocol>()
  for (const entry of csv(text.trim())) {
    const parts = entry.split(/\s*:\s*/)
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '')
      throw invalidValue(key, text, 'Expected comma-separated NAME:PROTOCOL pairs')
    const protocol = parts[1]!.toUpperCase()
    if (!PROTOCOLS.includes(protocol))
      throw new ConfigError(key, `Invalid security protocol \`${parts[1]}\` defined in ${key}`)
    map.set(parts[0]!.toUpperCase(), protocol as SecurityProtocol)
  }
  return map
}

// Kafka's pattern: ^(.*)://\[?([0-9a-zA-Z\-%._:]*)\]?:(-?[0-9]+)
const ENDPOINT_RE = /^(.*):\/\/\[?([0-9a-zA-Z\-%._:]*)\]?:(-?[0-9]+)$/

/**
 * Parses a listener list. `requireDistinctPorts` is true for `listeners` (two sockets cannot share
 * a port unless one is IPv4 and the other IPv6) and false for `advertised.listeners`.
 */
export function parseListeners(
  key: string,
  text: string,
  protocols: ReadonlyMap<string, SecurityProtocol>,
  requireDistinctPorts: boolean,
): Endpoint[] {
  const fail = (reason: string) =>
    new ConfigError(key, `Error creating broker listeners from '${text}': ${reason}`)
  const endpoints: Endpoint[] = []
  for (const entry of csv(text.trim())) {
    const m = ENDPOINT_RE.exec(entry)
    if (!m) throw fail(`Unable to parse ${entry} to a broker endpoint`)
    const listenerName = m[1]!.toUpperCase()
    const port = Number(m[3])
    if (!Number.isSafeInteger(port) || port < 0 || port > 65535)
      throw fail(`Invalid port ${m[3]} in ${entry}: a port is between 0 and 65535`)
    const securityProtocol = protocols.get(listenerName)
    if (securityProtocol === undefined)
      throw fail(`No security protocol defined for listener ${listenerName}`)
    endpoints.push({ listenerName, securityProtocol, host: m[2] === '' ? null : m[2]!, port })
  }
  const names = new Set(endpoints.map((e) => e.listenerName))
  if (names.size !== endpoints.length)
    throw new ConfigError(key, `Each listener must have a different name, listeners: ${text}`)
  if (requireDistinctPorts) {
    const byPort = new Map<number, Endpoint[]>()
    for (const e of endpoints) {
      if (e.port === 0) continue
      byPort.set(e.port, [...(byPort.get(e.port) ?? []), e])
    }
    for (const [port, group] of byPort) {
      if (group.length === 1) continue
      const families = group.map((e) => (e.host === null ? 0 : isIP(e.host)))
      const oneOfEach = group.length === 2 && families.includes(4) && families.includes(6)
      if (!oneOfEach)
        throw new ConfigError(
          key,
          `Each listener must have a different port unless exactly one listener has an IPv4 address and the other IPv6 address, listeners: ${text}, port: ${port}`,
        )
    }
  }
  return endpoints
}

/** The text form of an endpoint, as Kafka logs it: `NAME://host:port`, IPv6 hosts in brackets. */
export function endpointString(e: Endpoint): string {
  const host = e.host === null ? '' : e.host.includes(':') ? `[${e.host}]` : e.host
  return `${e.listenerName}://${host}:${e.port}`
}
