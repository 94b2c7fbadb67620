// The JSON files of kafka-reassign-partitions.sh, read and written as Kafka's ReassignPartitionsCommand
// does (version 1 only):
//   reassignment: {"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2],"log_dirs":["any","any"]}]}
//   topics to move: {"version":1,"topics":[{"topic":"t"}]}
// and the checks of --execute on the first, in Kafka's words. Output JSON has Kafka's key order and
// partitions sorted by topic, then partition. log_dirs other than "any" would move replicas between
// a broker's log directories (AlterReplicaLogDirs), which Samsa does not do: refused.

export interface PartitionTarget {
  topic: string
  partition: number
  replicas: number[]
}

export const partitionName = (p: { topic: string; partition: number }): string => `${p.topic}-${p.partition}`

export const byPartition = (
  a: { topic: string; partition: number },
  b: { topic: string; partition: number },
) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition)

/** A problem worded as Kafka's tool words it; `terse` ones print without the `Error: ` prefix. */
export class ReassignError extends Error {
  readonly terse: boolean
  constructor(message: string, terse = false) {
    super(message)
    this.name = 'ReassignError'
    this.terse = terse
  }
}

export const LOG_DIRS_UNSUPPORTED =
  'Moving replicas between log directories is not supported by Samsa: "log_dirs" may only hold "any".'

function parseVersioned(text: string): Record<string, unknown> {
  let js: unknown
  try {
    js = JSON.parse(text)
  } catch {
    throw new ReassignError('The input string is not a valid JSON')
  }
  if (js === null || typeof js !== 'object' || Array.isArray(js))
    throw new ReassignError(`Expected JSON object, received ${JSON.stringify(js)}`)
  const o = js as Record<string, unknown>
  const version = o.version ?? 1
  if (version !== 1) throw new ReassignError(`Not supported version field value ${JSON.stringify(version)}`)
  return o
}

function array(v: unknown): unknown[] {
  if (!Array.isArray(v)) throw new ReassignError(`Expected JSON array, received ${JSON.stringify(v)}`)
  return v
}

function object(v: unknown): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new ReassignError(`Expected JSON object, received ${JSON.stringify(v)}`)
  return v as Record<string, unknown>
}

function field(o: Record<string, unknown>, name: string): unknown {
  if (!(name in o)) throw new ReassignError(`No such field exists: \`${name}\``)
  return o[name]
}

function int(v: unknown): number {
  if (!Number.isInteger(v)) throw new ReassignError(`Expected \`Int\` value, received ${JSON.stringify(v)}`)
  return v as number
}

function str(v: unknown): string {
  if (typeof v !== 'string')
    throw new ReassignError(`Expected \`String\` value, received ${JSON.stringify(v)}`)
  return v
}

/** The reassignment file: partitions and their target replicas (log_dirs must be "any"). */
export function parseReassignmentJson(text: string): PartitionTarget[] {
  const o = parseVersioned(text)
  if (o.partitions === undefined) return []
  return array(o.partitions).map((raw) => {
    const p = object(raw)
    const topic = str(field(p, 'topic'))
    const partition = int(field(p, 'partition'))
    const replicas = array(field(p, 'replicas')).map(int)
    const logDirs = p.log_dirs === undefined ? replicas.map(() => 'any') : array(p.log_dirs).map(str)
    if (logDirs.length !== replicas.length)
      throw new ReassignError(
        `Size of replicas list [${replicas.join(', ')}] is different from size of log dirs list [${logDirs.join(', ')}] for partition ${topic}-${partition}`,
      )
    if (logDirs.some((d) => d !== 'any')) throw new ReassignError(LOG_DIRS_UNSUPPORTED)
    return { topic, partition, replicas }
  })
}

/** The topics-to-move file: topic names in file order. */
export function parseTopicsJson(text: string): string[] {
  const o = parseVersioned(text)
  if (o.topics === undefined) return []
  return array(o.topics).map((t) => str(field(object(t), 'topic')))
}

function duplicates<T>(list: readonly T[]): T[] {
  const seen = new Set<T>()
  const dup = new Set<T>()
  for (const x of list) (seen.has(x) ? dup : seen).add(x)
  return [...dup]
}

/** --execute's checks of the file (Kafka's parseExecuteAssignmentArgs). */
export function checkExecuteTargets(targets: readonly PartitionTarget[]): void {
  if (targets.length === 0) throw new ReassignError('Partition reassignment list cannot be empty')
  if (targets.some((t) => t.replicas.length === 0))
    throw new ReassignError('Partition replica list cannot be empty')
  const dupParts = duplicates(targets.map(partitionName))
  if (dupParts.length > 0)
    throw new ReassignError(
      `Partition reassignment contains duplicate topic partitions: ${dupParts.join(',')}`,
    )
  const dupReplicas = targets
    .map((t) => ({ name: partitionName(t), dups: duplicates(t.replicas) }))
    .filter((d) => d.dups.length > 0)
  if (dupReplicas.length > 0)
    throw new ReassignError(
      `Partition replica lists may not contain duplicate entries: ${dupReplicas
        .map((d) => `${d.name} contains multiple entries for ${d.dups.join(',')}`)
        .join('. ')}`,
    )
}

/** --generate's checks of the broker list and topics (Kafka's parseGenerateAssignmentArgs). */
export function parseGenerateArgs(brokerList: string, topics: readonly string[]): number[] {
  const brokers = brokerList.split(',').map((s) => {
    const n = Number(s.trim())
    if (s.trim() === '' || !Number.isInteger(n)) throw new ReassignError(`For input string: "${s}"`)
    return n
  })
  const dupBrokers = duplicates(brokers)
  if (dupBrokers.length > 0)
    throw new ReassignError(`Broker list contains duplicate entries: ${dupBrokers.join(',')}`)
  const dupTopics = duplicates(topics)
  if (dupTopics.length > 0)
    throw new ReassignError(`List of topics to reassign contains duplicate entries: ${dupTopics.join(',')}`)
  return brokers
}

/** Kafka's formatAsReassignmentJson: one line, every replica's log dir "any". */
export function formatReassignmentJson(parts: readonly PartitionTarget[]): string {
  const partitions = [...parts].sort(byPartition).map((p) => ({
    topic: p.topic,
    partition: p.partition,
    replicas: p.replicas,
    log_dirs: p.replicas.map(() => 'any'),
  }))
  return JSON.stringify({ version: 1, partitions })
}
