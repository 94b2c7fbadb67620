// Glue between the tools and @platformatic/kafka, the third-party client every networked tool is
// built on (so each tool test is also an interop test against a client that is not ours). The
// client is imported lazily: option errors and usage text come back without paying for its load.
//
// Client settings come from Kafka's client property names (--command-config, --producer.config,
// --producer-property ...): client.id, request.timeout.ms, retries, retry.backoff.ms,
// security.protocol (SSL/SASL_SSL turn TLS on), the PEM ssl.truststore.location (CA certificates),
// ssl.keystore.location (key + certificate chain for mutual TLS, ssl.key.password for an encrypted
// key), ssl.endpoint.identification.algorithm (empty: no host name check), sasl.mechanism and the
// username/password of sasl.jaas.config. Other Java client properties are accepted and ignored, as
// Kafka ignores unknown ones; a store that cannot be read is a one-line error.

import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import type { ConnectionOptions } from 'node:tls'
import type * as Kafka from '@platformatic/kafka'
import { ToolExit } from './exit.ts'

export type KafkaModule = typeof Kafka

let loaded: Promise<KafkaModule> | undefined

export function loadKafka(): Promise<KafkaModule> {
  loaded ??= import('@platformatic/kafka')
  return loaded
}

export interface HostPort {
  host: string
  port: number
}

const HOST_PORT = /^\[?([0-9a-zA-Z\-%._:]*)\]?:([0-9]+)$/

/** Splits `HOST1:PORT1,HOST2:PORT2`; null when an entry has no valid port (as Kafka's check). */
export function parseBootstrap(list: string): HostPort[] | null {
  const entries = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  if (entries.length === 0) return null
  const out: HostPort[] = []
  for (const e of entries) {
    const m = HOST_PORT.exec(e)
    if (m === null) return null
    const port = Number(m[2])
    if (port > 65535) return null
    out.push({ host: m[1], port })
  }
  return out
}

/** Kafka's message for a --bootstrap-server that does not parse. */
export const INVALID_BOOTSTRAP = 'Please provide valid host:port like host1:9091,host2:9092\n'

const jaasValue = (jaas: string, key: string): string | undefined =>
  new RegExp(`${key}\\s*=\\s*"([^"]*)"`).exec(jaas)?.[1]

/** Base options of a @platformatic/kafka client from a bootstrap list and Kafka client properties. */
export function clientOptions(
  defaultClientId: string,
  bootstrap: string,
  props: ReadonlyMap<string, string> = new Map(),
): Kafka.BaseOptions {
  const hosts = parseBootstrap(bootstrap) ?? []
  const opts: Kafka.BaseOptions = {
    clientId: props.get('client.id') || defaultClientId,
    bootstrapBrokers: hosts.map((h) => `${h.host.includes(':') ? `[${h.host}]` : h.host}:${h.port}`),
    retries: 5,
    retryDelay: 200,
  }
  const timeout = Number(props.get('request.timeout.ms'))
  if (Number.isFinite(timeout) && timeout > 0) opts.timeout = timeout
  const retries = Number(props.get('retries'))
  if (props.has('retries') && Number.isFinite(retries) && retries >= 0) opts.retries = Math.min(retries, 100)
  const backoff = Number(props.get('retry.backoff.ms'))
  if (props.has('retry.backoff.ms') && Number.isFinite(backoff) && backoff >= 0) opts.retryDelay = backoff
  const protocol = (props.get('security.protocol') ?? 'PLAINTEXT').toUpperCase()
  if (protocol === 'SSL' || protocol === 'SASL_SSL') opts.tls = tlsOptions(props)
  if (protocol.startsWith('SASL_')) {
    const jaas = props.get('sasl.jaas.config') ?? ''
    opts.sasl = {
      mechanism: (props.get('sasl.mechanism') ?? 'GSSAPI') as 'PLAIN',
      username: jaasValue(jaas, 'username'),
      password: jaasValue(jaas, 'password'),
    }
  }
  return opts
}

/** TLS client options from Kafka's ssl.* client properties (PEM stores only, as the broker's). */
function tlsOptions(props: ReadonlyMap<string, string>): ConnectionOptions {
  const read = (key: string): string => {
    const path = props.get(key)!
    try {
      return readFileSync(path, 'utf8')
    } catch (e) {
      throw new ToolExit(1, `Error: cannot read ${key}=${path} (${(e as NodeJS.ErrnoException).code ?? e})\n`)
    }
  }
  const tls: ConnectionOptions = {}
  for (const key of ['ssl.truststore.type', 'ssl.keystore.type']) {
    const type = (props.get(key) ?? 'PEM').toUpperCase()
    if (props.has(key) && type !== 'PEM')
      throw new ToolExit(1, `Error: ${key}=${type} is not supported by the tools; use PEM stores\n`)
  }
  if (props.get('ssl.truststore.location')) tls.ca = read('ssl.truststore.location')
  if (props.get('ssl.keystore.location')) {
    const pem = read('ssl.keystore.location')
    tls.key = pem
    tls.cert = pem
    if (props.get('ssl.key.password')) tls.passphrase = props.get('ssl.key.password')
  }
  if (
    props.has('ssl.endpoint.identification.algorithm') &&
    props.get('ssl.endpoint.identification.algorithm') === ''
  )
    tls.checkServerIdentity = () => undefined
  return tls
}

function reason(code: string | undefined, message: string): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'unknown host'
    case 'ETIMEDOUT':
      return 'timed out'
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable'
    default:
      return message
  }
}

/** The one line printed when no bootstrap server can be reached. */
export function unreachableMessage(bootstrap: string, why: string): string {
  return `Error: cannot connect to the broker at ${bootstrap} (${why}). Is the server running?`
}

function tryConnect(h: HostPort, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect({ host: h.host, port: h.port })
    const done = (result: string | null) => {
      socket.removeAllListeners()
      socket.on('error', () => {})
      socket.destroy()
      resolve(result)
    }
    socket.setTimeout(timeoutMs, () => done('timed out'))
    socket.once('connect', () => done(null))
    socket.once('error', (e: NodeJS.ErrnoException) => done(reason(e.code, e.message)))
  })
}

/**
 * Succeeds when at least one bootstrap server accepts a TCP connection; otherwise ends the tool
 * with one line naming the address, rather than letting the client retry for a minute.
 */
export async function ensureReachable(bootstrap: string, timeoutMs = 5000): Promise<void> {
  const hosts = parseBootstrap(bootstrap)
  if (hosts === null) throw new ToolExit(1, INVALID_BOOTSTRAP)
  const results = await Promise.all(hosts.map((h) => tryConnect(h, timeoutMs)))
  if (results.some((r) => r === null)) return
  throw new ToolExit(1, `${unreachableMessage(bootstrap, results[0] ?? 'unknown error')}\n`)
}

interface ErrorLike {
  message?: string
  code?: string
  apiId?: string
  serverErrorMessage?: string | null
  errors?: unknown[]
  cause?: unknown
}

/** The first Kafka protocol error inside an error tree (the client nests them), else null. */
export function findProtocolError(e: unknown): ErrorLike | null {
  const seen = new Set<unknown>()
  const walk = (x: unknown): ErrorLike | null => {
    if (x === null || typeof x !== 'object' || seen.has(x)) return null
    seen.add(x)
    const err = x as ErrorLike
    if (typeof err.apiId === 'string') return err
    for (const inner of err.errors ?? []) {
      const found = walk(inner)
      if (found !== null) return found
    }
    return walk(err.cause)
  }
  return walk(e)
}

function findNetworkCode(e: unknown): string | undefined {
  const seen = new Set<unknown>()
  const walk = (x: unknown): string | undefined => {
    if (x === null || typeof x !== 'object' || seen.has(x)) return undefined
    seen.add(x)
    const err = x as ErrorLike
    if (typeof err.code === 'string' && /^E[A-Z]+$/.test(err.code)) return err.code
    for (const inner of err.errors ?? []) {
      const found = walk(inner)
      if (found !== undefined) return found
    }
    return walk(err.cause)
  }
  return walk(e)
}

/** Kafka's error id (e.g. TOPIC_ALREADY_EXISTS) inside an error, or null. */
export function kafkaErrorId(e: unknown): string | null {
  return findProtocolError(e)?.apiId ?? null
}

/**
 * The message Kafka's Java client would show for an error: the broker's own error message when it
 * sent one, else the error's standard description.
 */
export function errorMessage(e: unknown): string {
  const p = findProtocolError(e)
  if (p !== null) return p.serverErrorMessage || p.message || String(p.apiId)
  const net = findNetworkCode(e)
  if (net !== undefined) return `connection failed (${reason(net, net)})`
  if (e instanceof Error) {
    const inner = (e as ErrorLike).errors
    if (Array.isArray(inner) && inner.length > 0) return errorMessage(inner[0])
    return e.message
  }
  return String(e)
}

/** Kafka's textual topic id: the 16 bytes in URL-safe base64 without padding. */
export function kafkaUuid(hex: string): string {
  const clean = hex.replaceAll('-', '')
  if (!/^[0-9a-fA-F]{32}$/.test(clean)) return hex
  return Buffer.from(clean, 'hex').toString('base64url')
}

export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'

export interface RawPartition {
  partitionIndex: number
  errorCode: number
  leaderId: number
  leaderEpoch: number
  replicaNodes: number[]
  isrNodes: number[]
  offlineReplicas: number[]
}

export interface RawTopic {
  errorCode: number
  name: string | null
  topicId: string
  isInternal: boolean
  partitions: RawPartition[]
}

export interface RawMetadata {
  brokers: { nodeId: number; host: string; port: number; rack: string | null }[]
  clusterId: string | null
  controllerId: number
  topics: RawTopic[]
}

/**
 * Sends one request of the named API (at the newest version both sides support) to a bootstrap
 * broker and returns the decoded response; for requests any broker answers, where the client's own
 * routing does not fit (the cluster-wide broker config resource, internal topics' metadata).
 */
export async function rawRequest<T>(client: Kafka.Base, api: string, ...args: unknown[]): Promise<T> {
  const k = await loadKafka()
  const connection = await new Promise<Kafka.Connection>((resolve, reject) => {
    client[k.kGetBootstrapConnection]((e, c) => (e ? reject(e) : resolve(c as Kafka.Connection)))
  })
  const fn = await new Promise<Kafka.API<unknown[], unknown>>((resolve, reject) => {
    client[k.kGetApi](api, (e, a) => (e ? reject(e) : resolve(a as Kafka.API<unknown[], unknown>)))
  })
  return (await fn.async(connection, ...args)) as T
}

/**
 * A Metadata request exactly as asked (null: all topics), internal topics included: the client's
 * own metadata() hides internal topics, which kafka-topics.sh --describe shows.
 */
export async function rawMetadata(client: Kafka.Base, topics: string[] | null): Promise<RawMetadata> {
  try {
    return await rawRequest<RawMetadata>(client, 'Metadata', topics, false, false)
  } catch (e) {
    // @platformatic/kafka rejects a response that carries any error code; an offline partition
    // (LEADER_NOT_AVAILABLE) is still a valid answer that kafka-topics.sh must describe.
    const response = (e as { response?: unknown }).response as RawMetadata | undefined
    if (response !== undefined && Array.isArray(response.topics)) return response
    throw e
  }
}

/** An admin client for a tool, after checking that the bootstrap servers answer at all. */
export async function openAdmin(
  clientId: string,
  bootstrap: string,
  props: ReadonlyMap<string, string> = new Map(),
): Promise<Kafka.Admin> {
  await ensureReachable(bootstrap)
  const k = await loadKafka()
  return new k.Admin(clientOptions(clientId, bootstrap, props))
}

/** Closes a client, ignoring errors (the tool's result is already decided). */
export async function closeQuietly(client: { close(): Promise<void> } | undefined): Promise<void> {
  if (client === undefined) return
  try {
    await client.close()
  } catch {}
}
