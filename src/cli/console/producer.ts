// kafka-console-producer.sh: each line of standard input becomes a record (see line-reader.ts),
// sent with @platformatic/kafka. As Kafka's ConsoleProducer: asynchronous by default (records are
// grouped until --batch-size bytes or --timeout ms of quiet), one at a time with --sync; a '>'
// prompt when reading from a terminal; failed sends are reported and the tool goes on.

import { createInterface } from 'node:readline'
import type { MessageToProduce, Producer } from '@platformatic/kafka'
import type { OptionDef } from '../args/option-parser.ts'
import { checkRequired, HELP_OPTIONS, parseCommandLine } from '../common/command.ts'
import { usageExit } from '../common/exit.ts'
import type { Io } from '../common/io.ts'
import {
  clientOptions,
  closeQuietly,
  ensureReachable,
  errorMessage,
  loadKafka,
  parseBootstrap,
} from '../common/kafka.ts'
import { isTrue, loadProps, parseKeyValueArgs } from '../common/props.ts'
import { type LineReaderConfig, LineReaderError, lineReaderConfig, parseLine } from './line-reader.ts'

const PROPERTY_HELP =
  'A mechanism to pass user-defined properties in the form key=value to the message reader. This allows ' +
  'custom configuration for a user-defined message reader.\nDefault properties include:\n parse.key=false\n ' +
  'parse.headers=false\n ignore.error=false\n key.separator=\\t\n headers.delimiter=\\t\n headers.separator=,\n ' +
  'headers.key.separator=:\n null.marker=   When set, any fields (key, value and headers) equal to this will ' +
  'be replaced by null\nDefault parsing pattern when:\n parse.headers=true and parse.key=true:\n  ' +
  '"h1:v1,h2:v2...\\tkey\\tvalue"\n parse.key=true:\n  "key\\tvalue"\n parse.headers=true:\n  "h1:v1,h2:v2...\\tvalue"'

export const PRODUCER_OPTIONS: readonly OptionDef[] = [
  {
    name: 'topic',
    help: 'REQUIRED: The topic name to produce messages to.',
    arg: 'required',
    describedAs: 'topic',
  },
  {
    name: 'bootstrap-server',
    help: 'REQUIRED unless --broker-list(deprecated) is specified. The server(s) to connect to. The broker list string in the form HOST1:PORT1,HOST2:PORT2.',
    arg: 'required',
    describedAs: 'server to connect to',
  },
  {
    name: 'broker-list',
    help: 'DEPRECATED, use --bootstrap-server instead; ignored if --bootstrap-server is specified.  The broker list string in the form HOST1:PORT1,HOST2:PORT2.',
    arg: 'required',
    describedAs: 'broker-list',
  },
  {
    name: 'sync',
    help: 'If set message send requests to the brokers are synchronously, one at a time as they arrive.',
  },
  {
    name: 'compression-codec',
    help: "The compression codec: either 'none', 'gzip', 'snappy', 'lz4', or 'zstd'.If specified without value, then it defaults to 'gzip'",
    arg: 'optional',
    describedAs: 'compression-codec',
  },
  {
    name: 'batch-size',
    help: 'Number of messages to send in a single batch if they are not being sent synchronously. please note that this option will be replaced if max-partition-memory-bytes is also set',
    arg: 'required',
    describedAs: 'size',
    type: 'Integer',
    defaultValue: '16384',
  },
  {
    name: 'message-send-max-retries',
    help: 'Brokers can fail receiving the message for multiple reasons, and being unavailable transiently is just one of them. This property specifies the number of retries before the producer give up and drop this message. This is the option to control `retries` in producer configs.',
    arg: 'required',
    type: 'Integer',
    defaultValue: '3',
  },
  {
    name: 'retry-backoff-ms',
    help: 'Before each retry, the producer refreshes the metadata of relevant topics. Since leader election takes a bit of time, this property specifies the amount of time that the producer waits before refreshing the metadata. This is the option to control `retry.backoff.ms` in producer configs.',
    arg: 'required',
    type: 'Long',
    defaultValue: '100',
  },
  {
    name: 'timeout',
    help: 'If set and the producer is running in asynchronous mode, this gives the maximum amount of time a message will queue awaiting sufficient batch size. The value is given in ms. This is the option to control `linger.ms` in producer configs.',
    arg: 'required',
    describedAs: 'timeout_ms',
    type: 'Long',
    defaultValue: '1000',
  },
  {
    name: 'request-required-acks',
    help: 'The required `acks` of the producer requests',
    arg: 'required',
    describedAs: 'request required acks',
    defaultValue: '-1',
  },
  {
    name: 'request-timeout-ms',
    help: 'The ack timeout of the producer requests. Value must be non-negative and non-zero.',
    arg: 'required',
    describedAs: 'request timeout ms',
    type: 'Integer',
    defaultValue: '1500',
  },
  {
    name: 'metadata-expiry-ms',
    help: "The period of time in milliseconds after which we force a refresh of metadata even if we haven't seen any leadership changes. This is the option to control `metadata.max.age.ms` in producer configs.",
    arg: 'required',
    describedAs: 'metadata expiration interval',
    type: 'Long',
    defaultValue: '300000',
  },
  {
    name: 'max-block-ms',
    help: 'The max time that the producer will block for during a send request.',
    arg: 'required',
    describedAs: 'max block on send',
    type: 'Long',
    defaultValue: '60000',
  },
  {
    name: 'max-memory-bytes',
    help: 'The total memory used by the producer to buffer records waiting to be sent to the server. This is the option to control `buffer.memory` in producer configs.',
    arg: 'required',
    describedAs: 'total memory in bytes',
    type: 'Long',
    defaultValue: '33554432',
  },
  {
    name: 'max-partition-memory-bytes',
    help: 'The buffer size allocated for a partition. When records are received which are smaller than this size the producer will attempt to optimistically group them together until this size is reached. This is the option to control `batch.size` in producer configs.',
    arg: 'required',
    describedAs: 'memory in bytes per partition',
    type: 'Integer',
    defaultValue: '16384',
  },
  {
    name: 'line-reader',
    help: 'The class name of the class to use for reading lines from standard in. By default each line is read as a separate message.',
    arg: 'required',
    describedAs: 'reader_class',
    defaultValue: 'org.apache.kafka.tools.LineMessageReader',
  },
  {
    name: 'socket-buffer-size',
    help: 'The size of the tcp RECV size. This is the option to control `send.buffer.bytes` in producer configs.',
    arg: 'required',
    describedAs: 'size',
    type: 'Integer',
    defaultValue: '102400',
  },
  { name: 'property', help: PROPERTY_HELP, arg: 'required', describedAs: 'prop' },
  {
    name: 'reader-config',
    help: 'Config properties file for the message reader. Note that [property] takes precedence over this config.',
    arg: 'required',
    describedAs: 'config file',
  },
  {
    name: 'producer-property',
    help: 'A mechanism to pass user-defined properties in the form key=value to the producer. ',
    arg: 'required',
    describedAs: 'producer_prop',
  },
  {
    name: 'producer.config',
    help: 'Producer config properties file. Note that [producer-property] takes precedence over this config.',
    arg: 'required',
    describedAs: 'config file',
  },
]

const LINE_READER_CLASSES = new Set([
  'org.apache.kafka.tools.LineMessageReader',
  'kafka.tools.LineMessageReader',
])

export interface ProducerSettings {
  topic: string
  bootstrap: string
  sync: boolean
  compression: string
  acks: number
  idempotent: boolean
  lingerMs: number
  batchBytes: number
  retries: number
  retryBackoffMs: number
  requestTimeoutMs: number
  clientProps: Map<string, string>
  reader: LineReaderConfig
}

function acksValue(v: string): number {
  const t = v.trim().toLowerCase()
  if (t === 'all' || t === '-1') return -1
  if (t === '0' || t === '1') return Number(t)
  throw new Error(`Invalid value ${v} for configuration acks: String must be one of: all, -1, 0, 1`)
}

/** Checks the command line as ConsoleProducerOptions does and works out the producer settings. */
export function producerSettings(argv: readonly string[], cwd = '.'): ProducerSettings {
  const defs = PRODUCER_OPTIONS
  const all = [...defs, ...HELP_OPTIONS]
  const opts = parseCommandLine(defs, argv, {
    purpose: 'This tool helps to read data from standard input and publish it to Kafka.',
    onOptionError: 'usage',
  })
  checkRequired(defs, opts, 'topic')
  const bootstrap = opts.value('bootstrap-server') ?? opts.value('broker-list')
  if (bootstrap === undefined || bootstrap.trim() === '')
    usageExit(all, 'Error while validating the bootstrap address\n')
  if (parseBootstrap(bootstrap) === null)
    usageExit(all, 'Please provide valid host:port like host1:9091,host2:9092\n')
  const readerClass = opts.value('line-reader')!
  if (!LINE_READER_CLASSES.has(readerClass))
    usageExit(
      all,
      `Unknown line reader class ${readerClass}: only the default LineMessageReader is available`,
    )

  const readerProps = opts.has('reader-config')
    ? loadProps(opts.value('reader-config')!, cwd)
    : new Map<string, string>()
  for (const [k, v] of parseKeyValueArgs(opts.values('property'))) readerProps.set(k, v)

  const props = opts.has('producer.config')
    ? loadProps(opts.value('producer.config')!, cwd)
    : new Map<string, string>()
  for (const [k, v] of parseKeyValueArgs(opts.values('producer-property'))) props.set(k, v)
  if (!props.has('client.id')) props.set('client.id', 'console-producer')
  // Kafka's maybeMergeOptions: an explicit option wins, else a property file/--producer-property
  // value, else the option's default.
  const merged = (key: string, option: string): string =>
    opts.has(option) || !props.has(key) ? opts.value(option)! : props.get(key)!
  const codec = opts.has('compression-codec')
    ? opts.value('compression-codec') || 'gzip'
    : (props.get('compression.type') ?? 'none')
  if (!['none', 'gzip', 'snappy', 'lz4', 'zstd'].includes(codec)) {
    throw new Error(
      `Invalid value ${codec} for configuration compression.type: String must be one of: none, gzip, snappy, lz4, zstd`,
    )
  }
  const acks = acksValue(merged('acks', 'request-required-acks'))
  const batchBytes = Number(
    opts.has('max-partition-memory-bytes')
      ? opts.value('max-partition-memory-bytes')
      : merged('batch.size', 'batch-size'),
  )
  const idempotenceProp = props.get('enable.idempotence')
  const idempotent = idempotenceProp === undefined ? acks === -1 : isTrue(idempotenceProp)
  return {
    topic: opts.value('topic')!,
    bootstrap,
    sync: opts.has('sync'),
    compression: codec,
    acks,
    idempotent,
    lingerMs: Number(merged('linger.ms', 'timeout')),
    batchBytes,
    retries: Number(merged('retries', 'message-send-max-retries')),
    retryBackoffMs: Number(merged('retry.backoff.ms', 'retry-backoff-ms')),
    requestTimeoutMs: Number(merged('request.timeout.ms', 'request-timeout-ms')),
    clientProps: props,
    reader: lineReaderConfig(readerProps),
  }
}

const bytes = (s: string | null): Buffer | undefined => (s === null ? undefined : Buffer.from(s, 'utf8'))

export async function run(argv: readonly string[], io: Io): Promise<number> {
  let s: ProducerSettings
  try {
    s = producerSettings(argv, io.cwd)
  } catch (e) {
    if (e instanceof LineReaderError) {
      io.err(`org.apache.kafka.common.KafkaException: ${e.message}\n`)
      return 1
    }
    throw e
  }
  await ensureReachable(s.bootstrap)
  const k = await loadKafka()
  const base = clientOptions('console-producer', s.bootstrap, s.clientProps)
  const producer: Producer = new k.Producer({
    ...base,
    timeout: s.requestTimeoutMs,
    retries: s.idempotent ? base.retries : s.retries,
    retryDelay: s.retryBackoffMs,
    idempotent: s.idempotent,
    acks: s.acks,
    compression: s.compression as 'none',
    autocreateTopics: true,
  })

  const prompt = io.stdinIsTTY && process.stdout.isTTY === true
  let failed = false
  let pending: MessageToProduce[] = []
  let pendingBytes = 0
  let timer: NodeJS.Timeout | undefined
  let chain: Promise<void> = Promise.resolve()

  const report = (batch: MessageToProduce[], e: unknown) => {
    const first = batch[0]
    const key = first.key === undefined ? 'null' : `${first.key.length} bytes`
    const value = first.value === undefined ? 'null' : `${first.value.length} bytes`
    io.err(
      `ERROR Error when sending message to topic ${s.topic} with key: ${key}, value: ${value} with error: ${errorMessage(e)}\n`,
    )
  }
  const send = async (batch: MessageToProduce[]) => {
    try {
      await producer.send({ messages: batch })
    } catch (e) {
      report(batch, e)
    }
  }
  const flush = () => {
    clearTimeout(timer)
    timer = undefined
    if (pending.length === 0) return
    const batch = pending
    pending = []
    pendingBytes = 0
    chain = chain.then(() => send(batch))
  }

  const lines = createInterface({ input: io.stdin, crlfDelay: Number.POSITIVE_INFINITY, terminal: false })
  const stop = () => lines.close()
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  let lineNumber = 0
  try {
    if (prompt) io.out('>')
    for await (const line of lines) {
      lineNumber++
      const r = parseLine(s.reader, line, lineNumber)
      const message: MessageToProduce = {
        topic: s.topic,
        key: bytes(r.key),
        value: bytes(r.value),
        headers: new Map(r.headers.map(([hk, hv]) => [Buffer.from(hk), bytes(hv) as Buffer])),
      }
      if (s.sync) {
        await send([message])
      } else {
        pending.push(message)
        pendingBytes += (message.value?.length ?? 0) + (message.key?.length ?? 0)
        if (pendingBytes >= s.batchBytes) flush()
        else timer ??= setTimeout(flush, s.lingerMs)
        // Keep memory bounded when input arrives faster than it can be sent.
        if (pending.length === 0) await chain
      }
      if (prompt) io.out('>')
    }
  } catch (e) {
    if (!(e instanceof LineReaderError)) throw e
    io.err(`org.apache.kafka.common.KafkaException: ${e.message}\n`)
    failed = true
  } finally {
    process.removeListener('SIGINT', stop)
    process.removeListener('SIGTERM', stop)
    flush()
    await chain
    await closeQuietly(producer)
  }
  return failed ? 1 : 0
}
