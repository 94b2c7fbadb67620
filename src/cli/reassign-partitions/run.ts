// kafka-reassign-partitions.sh (Kafka 3.x's ReassignPartitionsCommand) on @platformatic/kafka:
//   --generate  current and proposed assignments of the topics, over the given brokers (Kafka's
//               placement, metadata/assign-replicas.ts, rack-aware unless --disable-rack-aware)
//   --execute   prints the current assignment (for rollback), starts the moves
//   --verify    one status line per partition of the file
//   --cancel    cancels the moves of the file's partitions that are in progress
//   --list      the moves in progress
// Output and messages are Kafka's; as in Kafka, failures go to standard output (a terse line, or
// `Error: ` and the message) with exit 1. Replication throttles (--throttle, cleared by --verify and
// --cancel unless --preserve-throttles) are throttles.ts. Not done: log-dir moves (refused, json.ts,
// options.ts), so --cancel does not print Kafka's "None of the specified partition moves are active.".

import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type * as Kafka from '@platformatic/kafka'
import { assignReplicas } from '../../metadata/assign-replicas.ts'
import { ToolExit } from '../common/exit.ts'
import type { Io } from '../common/io.ts'
import {
  clientOptions,
  closeQuietly,
  ensureReachable,
  errorMessage,
  kafkaErrorId,
  loadKafka,
  parseBootstrap,
  type RawMetadata,
  rawMetadata,
} from '../common/kafka.ts'
import { loadProps } from '../common/props.ts'
import { javaException } from '../leader-election/output.ts'
import { ApiError, ControllerApi } from './controller-api.ts'
import {
  byPartition,
  checkExecuteTargets,
  formatReassignmentJson,
  type PartitionTarget,
  parseGenerateArgs,
  parseReassignmentJson,
  parseTopicsJson,
  partitionName,
  ReassignError,
} from './json.ts'
import { parseReassignOptions, type ReassignOptions } from './options.ts'
import { clearThrottles, proposedMoveMap, setThrottles, VERIFY_WARNING } from './throttles.ts'

const EXISTING =
  'Cannot execute because there is an existing partition assignment.  Use --additional to override this and ' +
  'create a new partition assignment in addition to the existing one. The --additional flag can also be used to ' +
  'change the throttle by resubmitting the current reassignment.'

const NOT_HOSTED = 'This server does not host this topic-partition.'

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const o = parseReassignOptions(argv)
  const props = o.configFile === null ? new Map<string, string>() : loadProps(o.configFile, io.cwd)
  if (parseBootstrap(o.bootstrap) === null)
    throw new ToolExit(1, `Invalid url in bootstrap.servers: ${o.bootstrap}\n`)
  let admin: Kafka.Admin | undefined
  try {
    const files = readFiles(o, io.cwd)
    await ensureReachable(o.bootstrap)
    const k = await loadKafka()
    admin = new k.Admin(clientOptions('reassign-partitions-tool', o.bootstrap, props))
    const api = new ControllerApi(k, admin)
    for (const line of await act(o, files, admin, api)) io.out(`${line}\n`)
    return 0
  } catch (e) {
    if (e instanceof ToolExit) throw e
    if (e instanceof ReassignError && e.terse) io.out(`${e.message}\n`)
    else if (e instanceof ReassignError) io.out(`Error: ${e.message}\n`)
    else {
      const name = e instanceof ApiError ? e.errorName : kafkaErrorId(e)
      io.out(`Error: ${name !== null ? javaException(name, errorMessage(e)) : errorMessage(e)}\n`)
    }
    return 1
  } finally {
    await closeQuietly(admin)
  }
}

interface Files {
  targets: PartitionTarget[]
  topics: string[]
  brokers: number[]
}

function read(path: string, cwd: string): string {
  try {
    return readFileSync(resolve(cwd, path), 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new ReassignError(code === 'ENOENT' ? `${path} (No such file or directory)` : (e as Error).message)
  }
}

function readFiles(o: ReassignOptions, cwd: string): Files {
  const files: Files = { targets: [], topics: [], brokers: [] }
  if (o.reassignmentFile !== null) files.targets = parseReassignmentJson(read(o.reassignmentFile, cwd))
  if (o.action === 'execute') checkExecuteTargets(files.targets)
  if (o.action === 'generate') {
    files.topics = parseTopicsJson(read(o.topicsFile!, cwd))
    files.brokers = parseGenerateArgs(o.brokerList!, files.topics)
  }
  return files
}

async function act(o: ReassignOptions, f: Files, admin: Kafka.Admin, api: ControllerApi): Promise<string[]> {
  switch (o.action) {
    case 'generate':
      return generate(admin, f.topics, f.brokers, o.rackAware)
    case 'execute':
      return execute(admin, api, f.targets, o.additional, o.interBrokerThrottle)
    case 'verify':
      return verify(admin, api, f.targets, o.preserveThrottles)
    case 'cancel':
      return cancel(admin, api, f.targets, o.preserveThrottles)
    case 'list':
      return list(api)
  }
}

/** Current replicas of the partitions (or every partition of the topics), by `topic-partition`. */
async function currentReplicas(
  admin: Kafka.Admin,
  topics: readonly string[],
): Promise<{ md: RawMetadata; replicas: Map<string, PartitionTarget> }> {
  const md = await rawMetadata(admin, [...new Set(topics)])
  const replicas = new Map<string, PartitionTarget>()
  for (const name of new Set(topics)) {
    const t = md.topics.find((x) => x.name === name)
    if (t === undefined || t.errorCode !== 0 || t.partitions.length === 0)
      throw new ApiErrorLike('UNKNOWN_TOPIC_OR_PARTITION', NOT_HOSTED)
    for (const p of t.partitions)
      replicas.set(`${name}-${p.partitionIndex}`, {
        topic: name,
        partition: p.partitionIndex,
        replicas: p.replicaNodes,
      })
  }
  return { md, replicas }
}

/** A Java-named failure raised by the tool itself (Kafka's admin client would raise it). */
class ApiErrorLike extends Error {
  readonly errorName: string
  constructor(errorName: string, message: string) {
    super(javaException(errorName, message))
    this.errorName = errorName
  }
}

async function generate(
  admin: Kafka.Admin,
  topics: readonly string[],
  brokerIds: readonly number[],
  rackAware: boolean,
): Promise<string[]> {
  const { md, replicas } = await currentReplicas(admin, topics)
  const brokers = md.brokers
    .filter((b) => brokerIds.includes(b.nodeId))
    .map((b) => ({ id: b.nodeId, rack: rackAware ? b.rack : null }))
  const rackless = brokers.filter((b) => b.rack === null).length
  if (rackAware && rackless !== 0 && rackless !== brokers.length)
    throw new ReassignError(
      'Not all brokers have rack information. Add --disable-rack-aware in command line to make replica assignment without rack information.',
    )
  const current = [...replicas.values()]
  const proposed: PartitionTarget[] = []
  for (const topic of [...new Set(topics)]) {
    const parts = current.filter((p) => p.topic === topic)
    const placed = assignReplicas({
      brokers,
      numPartitions: parts.length,
      replicationFactor: parts[0]!.replicas.length,
    })
    if (!(placed instanceof Map)) throw new ReassignError(placed.error)
    for (const [partition, r] of placed) proposed.push({ topic, partition, replicas: r })
  }
  return [
    'Current partition replica assignment',
    formatReassignmentJson(current),
    '',
    'Proposed partition reassignment configuration',
    formatReassignmentJson(proposed),
  ]
}

async function execute(
  admin: Kafka.Admin,
  api: ControllerApi,
  targets: readonly PartitionTarget[],
  additional: boolean,
  throttle: bigint,
): Promise<string[]> {
  const ongoing = await api.list(null)
  if (!additional && ongoing.length > 0) throw new ReassignError(EXISTING, true)
  const { md, replicas } = await currentReplicas(
    admin,
    targets.map((t) => t.topic),
  )
  const known = new Set(md.brokers.map((b) => b.nodeId))
  const unknown = targets.flatMap((t) => t.replicas).find((id) => !known.has(id))
  if (unknown !== undefined) throw new ReassignError(`Unknown broker id ${unknown}`)
  const current = targets.map((t) => {
    const c = replicas.get(partitionName(t))
    if (c === undefined)
      throw new ApiErrorLike('UNKNOWN_TOPIC_OR_PARTITION', `Unable to find partition: ${partitionName(t)}`)
    return c
  })
  const out = [
    'Current partition replica assignment',
    '',
    formatReassignmentJson(current),
    '',
    'Save this to use as the --reassignment-json-file option during rollback',
  ]
  if (throttle >= 0n) {
    out.push(VERIFY_WARNING)
    out.push(await setThrottles(admin, proposedMoveMap(ongoing, targets, replicas), throttle))
  }
  const answer = await api.alter(targets)
  const failures = failuresOf(answer, targets)
  if (failures.length > 0)
    throw new ReassignError(
      `${out.join('\n')}\nError reassigning partition(s):\n${failures.join('\n')}`,
      true,
    )
  const names = [...targets].sort(byPartition).map(partitionName)
  out.push(
    `Successfully started partition reassignment${names.length === 1 ? '' : 's'} for ${names.join(',')}`,
  )
  return out
}

/** `t-0: message` for every partition the controller refused (a top-level error names them all). */
function failuresOf(
  answer: Awaited<ReturnType<ControllerApi['alter']>>,
  asked: readonly { topic: string; partition: number }[],
): string[] {
  const k = (code: number, message: string | null) => message ?? `Error code ${code}`
  if (answer.errorCode !== 0)
    return [...asked]
      .sort(byPartition)
      .map((p) => `${partitionName(p)}: ${k(answer.errorCode, answer.errorMessage)}`)
  const out: { topic: string; partition: number; text: string }[] = []
  for (const t of answer.responses)
    for (const p of t.partitions)
      if (p.errorCode !== 0)
        out.push({ topic: t.name, partition: p.partitionIndex, text: k(p.errorCode, p.errorMessage) })
  return out.sort(byPartition).map((p) => `${partitionName(p)}: ${p.text}`)
}

async function verify(
  admin: Kafka.Admin,
  api: ControllerApi,
  targets: readonly PartitionTarget[],
  preserveThrottles: boolean,
): Promise<string[]> {
  // Kafka lists every reassignment: throttles are cleared only once none at all is in progress.
  const all = await api.list(null)
  const wanted = new Set(targets.map(partitionName))
  const ongoing = new Map(all.filter((o) => wanted.has(partitionName(o))).map((o) => [partitionName(o), o]))
  const settled = targets.filter((t) => !ongoing.has(partitionName(t)))
  const { replicas } =
    settled.length === 0
      ? { replicas: new Map<string, PartitionTarget>() }
      : await currentReplicas(
          admin,
          settled.map((t) => t.topic),
        )
  const lines = ['Status of partition reassignment:']
  for (const t of [...targets].sort(byPartition)) {
    const name = partitionName(t)
    if (ongoing.has(name)) {
      lines.push(`Reassignment of partition ${name} is still in progress.`)
      continue
    }
    const current = replicas.get(name)
    if (current === undefined)
      throw new ApiErrorLike('UNKNOWN_TOPIC_OR_PARTITION', `Unable to find partition: ${name}`)
    if (current.replicas.join(',') === t.replicas.join(','))
      lines.push(`Reassignment of partition ${name} is completed.`)
    else
      lines.push(
        `There is no active reassignment of partition ${name}, but replica set is ${current.replicas.join(',')} rather than ${t.replicas.join(',')}.`,
      )
  }
  if (all.length === 0 && !preserveThrottles) lines.push(...(await clearAll(admin, targets)))
  return lines
}

async function clearAll(admin: Kafka.Admin, targets: readonly PartitionTarget[]): Promise<string[]> {
  const md = await rawMetadata(admin, [])
  return clearThrottles(
    admin,
    md.brokers.map((b) => b.nodeId),
    targets,
  )
}

async function cancel(
  admin: Kafka.Admin,
  api: ControllerApi,
  targets: readonly PartitionTarget[],
  preserveThrottles: boolean,
): Promise<string[]> {
  const lines = await cancelMoves(api, targets)
  if (!preserveThrottles) lines.push(...(await clearAll(admin, targets)))
  return lines
}

async function cancelMoves(api: ControllerApi, targets: readonly PartitionTarget[]): Promise<string[]> {
  const active = (await api.list(targets)).filter((o) => o.adding.length > 0 || o.removing.length > 0)
  if (active.length === 0) return ['None of the specified partition reassignments are active.']
  const answer = await api.alter(
    active.map((a) => ({ topic: a.topic, partition: a.partition, replicas: null })),
  )
  const failures = failuresOf(answer, active)
  if (failures.length > 0)
    throw new ReassignError(
      `Error cancelling partition reassignment${failures.length === 1 ? '' : 's'} for:\n${failures.join('\n')}`,
      true,
    )
  const names = active.map(partitionName)
  return [
    `Successfully cancelled partition reassignment${names.length === 1 ? '' : 's'} for: ${names.join(',')}`,
  ]
}

async function list(api: ControllerApi): Promise<string[]> {
  const ongoing = await api.list(null)
  if (ongoing.length === 0) return ['No partition reassignments found.']
  return [
    'Current partition reassignments:',
    ...ongoing.map(
      (o) =>
        `${partitionName(o)}: replicas: ${o.replicas.join(',')}.` +
        (o.adding.length === 0 ? '' : ` adding: ${o.adding.join(',')}.`) +
        (o.removing.length === 0 ? '' : ` removing: ${o.removing.join(',')}.`),
    ),
  ]
}
