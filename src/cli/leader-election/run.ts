// kafka-leader-election.sh (Kafka's LeaderElectionCommand): asks the controller to elect the
// preferred (or, unclean, any live) replica as leader of the given partitions, or of all of them,
// and prints what it did. The request goes to the controller named in Metadata, as Kafka's admin
// client sends it; NOT_CONTROLLER (the controller moved) means ask Metadata again and retry.

import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type * as Kafka from '@platformatic/kafka'
import { ToolExit } from '../common/exit.ts'
import type { Io } from '../common/io.ts'
import {
  clientOptions,
  closeQuietly,
  ensureReachable,
  errorMessage,
  type KafkaModule,
  kafkaErrorId,
  loadKafka,
  parseBootstrap,
  rawMetadata,
} from '../common/kafka.ts'
import { loadProps } from '../common/props.ts'
import { ELECT_LEADERS_KEY, ELECT_LEADERS_MAX_VERSION, sendElectLeaders } from './elect-leaders-api.ts'
import {
  ELECTION_TYPE_ID,
  type ElectionType,
  parseElectionJson,
  parseLeaderElectionOptions,
  type TopicPartition,
} from './options.ts'
import { formatElectionResults, javaException, type PartitionElection } from './output.ts'

/** How long the controller may take (ElectLeaders TimeoutMs), as Kafka's tool allows 30 s. */
const ELECTION_TIMEOUT_MS = 30000
const NOT_CONTROLLER = 41
const TIMEOUT_MESSAGE = 'Timeout waiting for election results'

/** A top-level error of the whole request, named as Kafka names it. */
class ElectionRequestError extends Error {
  readonly errorName: string
  constructor(errorName: string, message: string) {
    super(message)
    this.name = 'ElectionRequestError'
    this.errorName = errorName
  }
}

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const o = parseLeaderElectionOptions(argv)
  let partitions: TopicPartition[] | null = o.single === null ? null : [o.single]
  if (o.jsonFile !== null) partitions = readJsonFile(o.jsonFile, io.cwd)
  const props = o.configFile === null ? new Map<string, string>() : loadProps(o.configFile, io.cwd)
  if (parseBootstrap(o.bootstrap) === null)
    throw new ToolExit(1, `Invalid url in bootstrap.servers: ${o.bootstrap}\n`)
  await ensureReachable(o.bootstrap)
  const k = await loadKafka()
  const options: Kafka.BaseOptions & { requestTimeout: number } = {
    ...clientOptions('adminclient-1', o.bootstrap, props),
    // The connection must outwait the controller, which answers within ELECTION_TIMEOUT_MS.
    requestTimeout: ELECTION_TIMEOUT_MS + 5000,
  }
  const admin = new k.Admin(options)
  try {
    const results = await electLeaders(
      k,
      admin,
      o.electionType,
      partitions,
      typeof options.retryDelay === 'number' ? options.retryDelay : 200,
    )
    const report = formatElectionResults(o.electionType, results)
    for (const line of report.stdout) io.out(`${line}\n`)
    if (report.failure === null) return 0
    io.err(`${report.failure}\n`)
    return 1
  } catch (e) {
    if (e instanceof ToolExit) throw e
    if (isTimeout(e)) {
      io.out(`${TIMEOUT_MESSAGE}\n`)
      io.err(`${TIMEOUT_MESSAGE}\n`)
      return 1
    }
    const name = e instanceof ElectionRequestError ? e.errorName : kafkaErrorId(e)
    if (name === 'CLUSTER_AUTHORIZATION_FAILED') {
      io.out('Not authorized to perform leader election\n')
      io.err('Not authorized to perform leader election\n')
      return 1
    }
    io.err(`${name !== null ? javaException(name, errorMessage(e)) : errorMessage(e)}\n`)
    return 1
  } finally {
    await closeQuietly(admin)
  }
}

function readJsonFile(path: string, cwd: string): TopicPartition[] {
  let text: string
  try {
    text = readFileSync(resolve(cwd, path), 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new ToolExit(
      1,
      `${code === 'ENOENT' ? `${path} (No such file or directory)` : (e as Error).message}\n`,
    )
  }
  try {
    return parseElectionJson(text)
  } catch (e) {
    throw new ToolExit(1, `${(e as Error).message}\n`)
  }
}

function isTimeout(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code
  return code === 'PLT_KFK_TIMEOUT' || (e instanceof Error && /timed out/i.test(e.message))
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function callback<T>(fn: (cb: (e: Error | null, v?: T) => void) => void): Promise<T> {
  return new Promise((ok, fail) => fn((e, v) => (e ? fail(e) : ok(v as T))))
}

/** Sends ElectLeaders to the controller (retrying while it moves) and names each partition's outcome. */
async function electLeaders(
  k: KafkaModule,
  admin: Kafka.Admin,
  type: ElectionType,
  partitions: readonly TopicPartition[] | null,
  retryDelayMs: number,
): Promise<PartitionElection[]> {
  const apis = await callback<{ apiKey: number; minVersion: number; maxVersion: number }[]>((cb) =>
    admin[k.kListApis](cb as never),
  )
  const api = apis.find((a) => a.apiKey === ELECT_LEADERS_KEY)
  const version = Math.min(api?.maxVersion ?? -1, ELECT_LEADERS_MAX_VERSION)
  if (api === undefined || version < api.minVersion)
    throw new ElectionRequestError('UNSUPPORTED_VERSION', 'The broker does not support ELECT_LEADERS')
  if (version === 0 && type !== 'PREFERRED')
    throw new ElectionRequestError(
      'UNSUPPORTED_VERSION',
      'API Version 0 only supports PREFERRED election type',
    )
  const deadline = Date.now() + ELECTION_TIMEOUT_MS
  for (;;) {
    const md = await rawMetadata(admin, [])
    const controller = md.brokers.find((b) => b.nodeId === md.controllerId)
    if (controller !== undefined) {
      const connection = await callback<Kafka.Connection>((cb) =>
        admin[k.kGetConnection]({ host: controller.host, port: controller.port }, cb),
      )
      const r = await sendElectLeaders(
        k,
        connection,
        version,
        ELECTION_TYPE_ID[type],
        partitions,
        Math.max(1, deadline - Date.now()),
      )
      const moved = r.errorCode === NOT_CONTROLLER || r.results.some((p) => p.errorCode === NOT_CONTROLLER)
      if (!moved) {
        if (r.errorCode !== 0)
          throw new ElectionRequestError(errorName(k, r.errorCode), describe(k, r.errorCode, null))
        return r.results.map((p) => ({
          topic: p.topic,
          partition: p.partitionId,
          error:
            p.errorCode === 0
              ? null
              : { name: errorName(k, p.errorCode), message: describe(k, p.errorCode, p.errorMessage) },
        }))
      }
    }
    if (Date.now() + retryDelayMs >= deadline)
      throw Object.assign(new Error(TIMEOUT_MESSAGE), { code: 'PLT_KFK_TIMEOUT' })
    await sleep(retryDelayMs)
  }
}

/** Kafka's error name for a code; codes it does not know are UNKNOWN_SERVER_ERROR, as in Java. */
function errorName(k: KafkaModule, code: number): string {
  return k.protocolErrorsCodesById[code] ?? 'UNKNOWN_SERVER_ERROR'
}

/** The broker's message when it sent one, else the error's standard description. */
function describe(k: KafkaModule, code: number, message: string | null): string {
  return message ?? k.protocolErrors[errorName(k, code)]?.message ?? `Error code ${code}`
}
