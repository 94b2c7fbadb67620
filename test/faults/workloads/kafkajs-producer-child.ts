// The kafkajs side of the fault workloads, run as its own process by kafkajs-producer.ts (same node
// binary): idempotent acks=-1 kafkajs 2.2.4 producers writing records k-<i>/v-<i> (the format of
// replication_client.py's stream, so checker.ts reads both), with i taken from a range of its own
// (`firstI`) so that records of different producers never collide.
//
// One "lane" per partition, each with its own kafkajs producer (own producer id, one request in
// flight: kafkajs' idempotent producer keeps sequence numbers per broker lock and rolls them back
// on a failed request, which is only safe with one outstanding batch per partition). A lane sends a
// batch of `batch` records to its partition, waits for the outcome, and sends the next: a dead
// leader stalls only its own partition, so the harness sees per-partition unavailability.
//
// kafkajs retries a failed send (dead leader, NOT_LEADER, NOT_ENOUGH_REPLICAS, lost coordinator)
// with exponential backoff; by default forever for an idempotent producer. Here `retries` bounds
// it (about 1 s apart once backed off), so a long outage turns into failed outcomes, each carrying
// what kafkajs reported, instead of a silent stall; and `deliveryTimeoutMs` bounds a send whose
// attempts hang (a leader cut off answers nothing until requestTimeout): its records are reported
// unknown. After either, the lane starts a new producer (a new producer id), since the old one's
// sequence numbers may no longer match the log (kafkajs rolls them back on a failed request).
//
// Input: argv[2] is a JSON document (KafkajsChildArgs). Stdin: JSON lines {"bootstrap": "h:p,..."}
// replace the seed brokers (restarted brokers come back on new ports). SIGTERM: stop sending, wait
// up to drainMs for the batches in flight, report the rest as unknown, exit 0.
// Output, one JSON line each: {"sent":i0,"n":k,"p":p} before a batch goes out;
// {"i","p","offset"} acked; {"i","error","reason"} failed; {"i","unknown":true[,"reason"]} given up
// after deliveryTimeoutMs or still in flight at the end; {"restart":lane,"reason"} a new producer;
// {"done":{...}} last.

import kafkajs, { type Message, type Producer, type RecordMetadata } from 'kafkajs'

const { Kafka, logLevel, Partitioners } = kafkajs

export interface KafkajsChildArgs {
  bootstrap: string
  topic: string
  partitions: number[]
  firstI: number
  batch: number
  pauseMs: number
  retries: number
  ackTimeoutMs: number
  deliveryTimeoutMs: number
  requestTimeoutMs: number
  drainMs: number
  clientId: string
}

const a = JSON.parse(process.argv[2] ?? '{}') as KafkajsChildArgs
let seeds = a.bootstrap.split(',')
let next = a.firstI
let stopping = false
let finished = false
const counts = { sent: 0, acked: 0, failed: 0, unknown: 0, restarts: 0 }
/** Per lane (partition): the batch in flight, if any. */
const inFlight = new Map<number, { first: number; n: number }>()

const print = (o: object) => {
  if (!finished) process.stdout.write(`${JSON.stringify(o)}\n`)
}
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

// kafkajs' own complaints (retries, reconnections) go to stderr for the harness's report.
const logCreator =
  () =>
  ({ namespace, label, log }: { namespace: string; label: string; log: { message: string } }) => {
    process.stderr.write(`${new Date().toISOString()} ${label} [${namespace}] ${log.message}\n`)
  }

const kafka = new Kafka({
  clientId: a.clientId,
  // A function, so that a new seed list (stdin) is used the next time kafkajs needs a seed.
  brokers: () => seeds,
  connectionTimeout: 3000,
  requestTimeout: a.requestTimeoutMs,
  logLevel: logLevel.WARN,
  logCreator,
})

/** The error code and a readable chain of what kafkajs reported. */
function explain(e: unknown): { error: number; reason: string } {
  const parts: string[] = []
  let code = -1
  let cur: unknown = e
  for (let depth = 0; cur instanceof Error && depth < 4; depth++) {
    const x = cur as Error & { type?: string; code?: number; retryCount?: number }
    if (typeof x.code === 'number' && code === -1) code = x.code
    const extra = [x.type, x.retryCount === undefined ? undefined : `after ${x.retryCount} retries`]
      .filter(Boolean)
      .join(', ')
    parts.push(`${x.name}${extra ? ` (${extra})` : ''}: ${x.message}`)
    cur = x.cause === cur ? undefined : x.cause
  }
  return { error: code, reason: parts.length > 0 ? parts.join(' <- ') : String(e) }
}

async function newProducer(): Promise<Producer> {
  for (;;) {
    const p = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: a.retries, initialRetryTime: 100, maxRetryTime: 1000 },
    })
    try {
      await p.connect()
      return p
    } catch (e) {
      process.stderr.write(`connect failed: ${explain(e).reason}\n`)
      await p.disconnect().catch(() => {})
      if (stopping) throw e
      await sleep(500)
    }
  }
}

/** A send's outcome, or "late" when it had none within deliveryTimeoutMs. */
async function deliver(producer: Producer, messages: Message[]): Promise<RecordMetadata[] | 'late'> {
  const sending = producer.send({ topic: a.topic, acks: -1, timeout: a.ackTimeoutMs, messages })
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<'late'>((r) => {
    timer = setTimeout(() => r('late'), a.deliveryTimeoutMs)
  })
  // An abandoned send still settles later; its rejection must not crash the process.
  sending.catch(() => {})
  try {
    return await Promise.race([sending, late])
  } finally {
    clearTimeout(timer)
  }
}

async function lane(partition: number): Promise<void> {
  let producer = await newProducer()
  while (!stopping) {
    const first = next
    next += a.batch
    const messages: Message[] = []
    for (let i = first; i < first + a.batch; i++) messages.push({ key: `k-${i}`, value: `v-${i}`, partition })
    inFlight.set(partition, { first, n: a.batch })
    print({ sent: first, n: a.batch, p: partition })
    counts.sent += a.batch
    let failure: { error?: number; unknown?: true; reason: string } | undefined
    try {
      const md = await deliver(producer, messages)
      if (md === 'late') {
        // kafkajs is still retrying (a leader that answers nothing): the outcome is unknown, and
        // this producer is left to its retries while a new one takes over the lane.
        failure = { unknown: true, reason: `no outcome within ${a.deliveryTimeoutMs} ms` }
        counts.unknown += a.batch
      } else {
        const r = md.find((x) => x.partition === partition)
        if (r === undefined || r.errorCode !== 0 || r.baseOffset === undefined)
          throw new Error(`no result for partition ${partition}: ${JSON.stringify(md)}`)
        const base = Number(r.baseOffset)
        for (let j = 0; j < a.batch; j++) print({ i: first + j, p: partition, offset: base + j })
        counts.acked += a.batch
      }
    } catch (e) {
      failure = explain(e)
      counts.failed += a.batch
    }
    if (failure !== undefined) for (let j = 0; j < a.batch; j++) print({ i: first + j, ...failure })
    inFlight.delete(partition)
    if (failure !== undefined && !stopping) {
      counts.restarts++
      print({ restart: partition, reason: failure.reason })
      const old = producer
      if (failure.unknown) void old.disconnect().catch(() => {})
      else await old.disconnect().catch(() => {})
      producer = await newProducer()
    } else if (a.pauseMs > 0) await sleep(a.pauseMs)
  }
  await producer.disconnect().catch(() => {})
}

function finish(): never {
  for (const { first, n } of inFlight.values()) {
    for (let j = 0; j < n; j++) print({ i: first + j, unknown: true })
    counts.unknown += n
  }
  print({ done: counts })
  finished = true
  process.exit(0)
}

let buf = ''
process.stdin.on('data', (d: Buffer) => {
  buf += d.toString()
  for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
    const m = JSON.parse(buf.slice(0, nl)) as { bootstrap?: string }
    buf = buf.slice(nl + 1)
    if (m.bootstrap) seeds = m.bootstrap.split(',')
  }
})
process.stdin.on('error', () => {})
// The harness gone (its end of the pipe closed): stop as on SIGTERM rather than run on unseen.
process.stdin.on('end', () => shutdown())

const lanes = Promise.allSettled(a.partitions.map(lane))
function shutdown(): void {
  if (stopping) return
  stopping = true
  void Promise.race([lanes, sleep(a.drainMs)]).then(finish)
}
process.once('SIGTERM', shutdown)
const results = await lanes
for (const r of results)
  if (r.status === 'rejected') process.stderr.write(`lane stopped: ${explain(r.reason).reason}\n`)
finish()
