// kafka-producer-perf-test.sh (Kafka's ProducerPerformance): sends --num-records records of
// --record-size random uppercase letters (or payloads from --payload-file, or increasing numbers
// with --payload-monotonic), throttled to --throughput records/s (-1: no limit), prints a progress
// line every 5 seconds and Kafka's summary with latency percentiles.
//
// Records are handed to @platformatic/kafka in batches of up to batch.size bytes (16384 by default)
// with several batches in flight, which is how Kafka's producer groups them on the wire; a record's
// latency runs from the moment the tool produced it to the acknowledgement of its batch.
// SAMSA_PERF_REPORTING_INTERVAL_MS changes the 5-second progress interval (for tests).

import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { MessageToProduce, Producer } from '@platformatic/kafka'
import { type ArgParserSpec, argparseError, parseArgs, single } from '../args/argparse.ts'
import { ToolExit } from '../common/exit.ts'
import type { Io } from '../common/io.ts'
import { clientOptions, closeQuietly, ensureReachable, errorMessage, loadKafka } from '../common/kafka.ts'
import { isTrue, loadProps } from '../common/props.ts'
import { ProducerStats, Throttler } from './stats.ts'

export const PRODUCER_PERF_SPEC: ArgParserSpec = {
  prog: 'producer-performance',
  description:
    'This tool is used to verify the producer performance. To enable transactions, you can specify a transaction id or ' +
    'set a transaction duration using --transaction-duration-ms. There are three ways to specify the transaction id: set ' +
    'transaction.id=<id> via --producer-props, set transaction.id=<id> in the config file via --producer.config, or use ' +
    '--transaction-id <id>.',
  groups: {
    'either --record-size or --payload-file must be specified but not both.':
      'either --record-size or --payload-file must be specified but not both.',
  },
  args: [
    { name: 'topic', metavar: 'TOPIC', help: 'produce messages to this topic', required: true },
    {
      name: 'num-records',
      metavar: 'NUM-RECORDS',
      help: 'number of messages to produce',
      required: true,
      type: 'Long',
    },
    {
      name: 'record-size',
      metavar: 'RECORD-SIZE',
      help: 'message size in bytes. Note that you must provide exactly one of --record-size or --payload-file or --payload-monotonic.',
      type: 'Integer',
      group: 'either --record-size or --payload-file must be specified but not both.',
    },
    {
      name: 'payload-file',
      metavar: 'PAYLOAD-FILE',
      help: 'file to read the message payloads from. This works only for UTF-8 encoded text files. Payloads will be read from this file and a payload will be randomly selected when sending messages. Note that you must provide exactly one of --record-size or --payload-file or --payload-monotonic.',
      group: 'either --record-size or --payload-file must be specified but not both.',
    },
    {
      name: 'payload-monotonic',
      help: 'payload is monotonically increasing integer. Note that you must provide exactly one of --record-size or --payload-file or --payload-monotonic.',
      group: 'either --record-size or --payload-file must be specified but not both.',
    },
    {
      name: 'payload-delimiter',
      metavar: 'PAYLOAD-DELIMITER',
      help: 'provides delimiter to be used when --payload-file is provided. Defaults to new line. Note that this parameter will be ignored if --payload-file is not provided.',
      defaultValue: '\\n',
    },
    {
      name: 'throughput',
      metavar: 'THROUGHPUT',
      help: 'throttle maximum message throughput to *approximately* THROUGHPUT messages/sec. Set this to -1 to disable throttling.',
      required: true,
      type: 'Double',
    },
    {
      name: 'producer-props',
      metavar: 'PROP-NAME=PROP-VALUE',
      help: 'kafka producer related configuration properties like bootstrap.servers,client.id etc. These configs take precedence over those passed via --producer.config.',
      nargs: 'many',
    },
    { name: 'producer.config', metavar: 'CONFIG-FILE', help: 'producer config properties file.' },
    { name: 'print-metrics', help: 'print out metrics at the end of the test.' },
    {
      name: 'transactional-id',
      metavar: 'TRANSACTIONAL-ID',
      help: 'The transactional id to use. This config takes precedence over the transactional.id specified via --producer.config or --producer-props. Note that if the transactional id is not specified while --transaction-duration-ms is provided, the default value for the transactional id will be performance-producer- followed by a random uuid.',
    },
    {
      name: 'transaction-duration-ms',
      metavar: 'TRANSACTION-DURATION',
      help: 'The max age of each transaction. The commitTransaction will be called after this time has elapsed. The value should be greater than 0. If the transactional id is specified via --producer-props, --producer.config, or --transactional-id but --transaction-duration-ms is not specified, the default value will be 3000.',
      type: 'Long',
    },
  ],
}

interface PerfConfig {
  topic: string
  numRecords: number
  recordSize: number | null
  payloads: Buffer[]
  monotonic: boolean
  throughput: number
  props: Map<string, string>
  transactionalId: string | null
  transactionDurationMs: number
}

function perfConfig(argv: readonly string[], io: Io): PerfConfig {
  const spec = PRODUCER_PERF_SPEC
  const ns = parseArgs(spec, argv)
  const numRecords = Number(single(ns, spec, 'num-records'))
  const recordSize = ns.has('record-size') ? Number(single(ns, spec, 'record-size')) : null
  if (numRecords <= 0) argparseError(spec, '--num-records should be greater than zero')
  if (recordSize !== null && recordSize <= 0) argparseError(spec, '--record-size should be greater than zero')
  const producerProps = ns.get('producer-props')
  const configFile = single(ns, spec, 'producer.config')
  if (producerProps === undefined && configFile === undefined) {
    argparseError(spec, 'Either --producer-props or --producer.config must be specified.')
  }
  const durationArg = ns.has('transaction-duration-ms')
    ? Number(single(ns, spec, 'transaction-duration-ms'))
    : null
  if (durationArg !== null && durationArg <= 0)
    argparseError(spec, '--transaction-duration-ms should be greater than zero')

  const props = configFile === undefined ? new Map<string, string>() : loadProps(configFile, io.cwd)
  for (const p of Array.isArray(producerProps) ? producerProps : []) {
    const pieces = p.split('=')
    if (pieces.length !== 2) throw new ToolExit(1, `Invalid property: ${p}\n`)
    props.set(pieces[0], pieces[1])
  }
  if (!props.has('client.id')) props.set('client.id', 'perf-producer-client')

  let payloads: Buffer[] = []
  const payloadFile = single(ns, spec, 'payload-file')
  if (payloadFile !== undefined) {
    const path = resolve(io.cwd, payloadFile)
    io.out(`Reading payloads from: ${path}\n`)
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch {
      text = ''
    }
    if (text.length === 0) throw new ToolExit(1, 'File does not exist or empty file provided.\n')
    const delimiter =
      single(ns, spec, 'payload-delimiter') === '\\n' ? '\n' : single(ns, spec, 'payload-delimiter')!
    payloads = text.split(delimiter).map((s) => Buffer.from(s, 'utf8'))
    io.out(`Number of messages read: ${payloads.length}\n`)
  }
  const txArg = single(ns, spec, 'transactional-id')
  const transactional = durationArg !== null || txArg !== undefined || props.has('transactional.id')
  return {
    topic: single(ns, spec, 'topic')!,
    numRecords,
    recordSize,
    payloads,
    monotonic: ns.has('payload-monotonic'),
    throughput: Number(single(ns, spec, 'throughput')),
    props,
    transactionalId: transactional
      ? (txArg ?? props.get('transactional.id') ?? `performance-producer-${crypto.randomUUID()}`)
      : null,
    transactionDurationMs: durationArg ?? 3000,
  }
}

function acks(v: string | undefined): number {
  if (v === undefined || v === 'all' || v === '-1') return -1
  return Number(v)
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const c = perfConfig(argv, io)
  const bootstrap = c.props.get('bootstrap.servers')
  if (bootstrap === undefined || bootstrap.trim() === '') {
    throw new ToolExit(1, 'Missing required configuration "bootstrap.servers" which has no default value.\n')
  }
  await ensureReachable(bootstrap)
  const k = await loadKafka()
  const ack = acks(c.props.get('acks'))
  const idempotence = c.props.has('enable.idempotence')
    ? isTrue(c.props.get('enable.idempotence'))
    : ack === -1
  const producer: Producer = new k.Producer({
    ...clientOptions('perf-producer-client', bootstrap, c.props),
    acks: ack,
    idempotent: idempotence || c.transactionalId !== null,
    compression: (c.props.get('compression.type') ?? 'none') as 'none',
    autocreateTopics: true,
  })
  const batchBytes = Number(c.props.get('batch.size') ?? 16384)
  const lingerMs = Number(c.props.get('linger.ms') ?? 5)
  // Idempotent producers keep one request in flight per connection in this client.
  const maxInFlight = Math.max(1, Number(c.props.get('max.in.flight.requests.per.connection') ?? 5))
  const reportingInterval = Number(io.env.SAMSA_PERF_REPORTING_INTERVAL_MS ?? 5000)
  const stats = new ProducerStats(c.numRecords, reportingInterval, (l) => io.out(`${l}\n`))
  const startMs = Date.now()
  const throttler = new Throttler(c.throughput, startMs)
  const inflight = new Set<Promise<void>>()
  let failed: unknown = null
  let transaction: Awaited<ReturnType<Producer['beginTransaction']>> | null = null
  let transactionStart = 0

  let batch: MessageToProduce[] = []
  let batchStarts: number[] = []
  let batchSize = 0
  let lastFlush = Date.now()
  const flush = async () => {
    if (batch.length === 0) return
    const messages = batch
    const starts = batchStarts
    batch = []
    batchStarts = []
    batchSize = 0
    lastFlush = Date.now()
    while (inflight.size >= maxInFlight) await Promise.race(inflight)
    const sent = (transaction ?? producer).send({ messages }).then(
      () => {
        const now = Date.now()
        for (let i = 0; i < messages.length; i++)
          stats.record(now - starts[i], messages[i].value?.length ?? 0, now)
      },
      (e) => {
        failed ??= e
        io.err(`${errorMessage(e)}\n`)
      },
    )
    const tracked = sent.finally(() => inflight.delete(tracked))
    inflight.add(tracked)
  }
  const drain = async () => {
    await flush()
    await Promise.all(inflight)
  }

  let payload: Buffer
  try {
    for (let i = 0; i < c.numRecords && failed === null; i++) {
      if (c.payloads.length > 0) payload = c.payloads[Math.floor(Math.random() * c.payloads.length)]
      else if (c.recordSize !== null) {
        payload = Buffer.allocUnsafe(c.recordSize)
        for (let j = 0; j < payload.length; j++) payload[j] = 65 + Math.floor(Math.random() * 26)
      } else payload = Buffer.from(String(i))
      if (c.transactionalId !== null && transaction === null) {
        transaction = await producer.beginTransaction({})
        transactionStart = Date.now()
      }
      const sendStartMs = Date.now()
      batch.push({ topic: c.topic, value: payload })
      batchStarts.push(sendStartMs)
      batchSize += payload.length
      if (batchSize >= batchBytes || sendStartMs - lastFlush >= lingerMs) await flush()
      if (transaction !== null && c.transactionDurationMs <= sendStartMs - transactionStart) {
        await drain()
        await transaction.commit()
        transaction = null
      }
      if (throttler.shouldThrottle(i, sendStartMs)) {
        await flush()
        const ms = throttler.throttleMs()
        if (ms > 0) await sleep(Math.min(ms, 1 << 30))
      }
    }
    await drain()
    if (transaction !== null) await transaction.commit()
  } finally {
    await closeQuietly(producer)
  }
  if (failed !== null && stats.count === 0) return 1
  stats.printTotal()
  return 0
}
