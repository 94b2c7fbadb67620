// kafka-consumer-perf-test.sh (Kafka's ConsumerPerformance): a consumer group member reads
// --messages records from --topic (from the earliest offset unless --from-latest) and prints
// Kafka's CSV-like report:
//
//   start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
//   2024-01-01 10:00:00:000, 2024-01-01 10:00:01:500, 9.5367, 6.3578, 10000, 6666.6667, 120, 1380, 6.9107, 7246.3768
//
// With --show-detailed-stats a line per --reporting-interval instead of the summary.
// Stops early (with Kafka's warning) after --timeout ms without records.

import type { Consumer } from '@platformatic/kafka'
import type { OptionDef } from '../args/option-parser.ts'
import { checkRequired, parseCommandLine } from '../common/command.ts'
import { ToolExit } from '../common/exit.ts'
import { fixed } from '../common/format.ts'
import type { Io } from '../common/io.ts'
import { clientOptions, closeQuietly, ensureReachable, errorMessage, loadKafka } from '../common/kafka.ts'
import { loadProps } from '../common/props.ts'

export const CONSUMER_PERF_OPTIONS: readonly OptionDef[] = [
  {
    name: 'bootstrap-server',
    help: 'REQUIRED: The server(s) to connect to.',
    arg: 'required',
    describedAs: 'server to connect to',
  },
  { name: 'topic', help: 'REQUIRED: The topic to consume from.', arg: 'required', describedAs: 'topic' },
  { name: 'group', help: 'The group id to consume on.', arg: 'required', describedAs: 'gid' },
  {
    name: 'fetch-size',
    help: 'The amount of data to fetch in a single request.',
    arg: 'required',
    describedAs: 'size',
    type: 'Integer',
    defaultValue: '1048576',
  },
  {
    name: 'from-latest',
    help: 'If the consumer does not already have an established offset to consume from, start with the latest message present in the log rather than the earliest message.',
  },
  {
    name: 'socket-buffer-size',
    help: 'The size of the tcp RECV size.',
    arg: 'required',
    describedAs: 'size',
    type: 'Integer',
    defaultValue: '2097152',
  },
  {
    name: 'consumer.config',
    help: 'Consumer config properties file.',
    arg: 'required',
    describedAs: 'config file',
  },
  { name: 'print-metrics', help: 'Print out the metrics.' },
  {
    name: 'show-detailed-stats',
    help: 'If set, stats are reported for each reporting interval as configured by reporting-interval',
  },
  {
    name: 'timeout',
    help: 'The maximum allowed time in milliseconds between returned records.',
    arg: 'optional',
    describedAs: 'milliseconds',
    type: 'Long',
    defaultValue: '10000',
  },
  {
    name: 'messages',
    help: 'REQUIRED: The number of messages to send or consume',
    arg: 'required',
    describedAs: 'count',
    type: 'Long',
  },
  {
    name: 'reporting-interval',
    help: 'Interval in milliseconds at which to print progress info.',
    arg: 'required',
    describedAs: 'interval_ms',
    type: 'Long',
    defaultValue: '5000',
  },
  {
    name: 'date-format',
    help: 'The date format to use for formatting the time field. See java.text.SimpleDateFormat for options.',
    arg: 'required',
    describedAs: 'date format',
    defaultValue: 'yyyy-MM-dd HH:mm:ss:SSS',
  },
  { name: 'hide-header', help: 'If set, skips printing the header for the stats' },
]

/** Java SimpleDateFormat for the usual letters (y M d H h m s S a E), local time; 'text' quoted. */
export function formatDate(pattern: string, ms: number): string {
  const d = new Date(ms)
  const pad = (n: number, w: number) => String(n).padStart(w, '0')
  let out = ''
  let i = 0
  while (i < pattern.length) {
    const ch = pattern[i]
    if (ch === "'") {
      const end = pattern.indexOf("'", i + 1)
      const lit = pattern.slice(i + 1, end === -1 ? undefined : end)
      out += lit === '' ? "'" : lit
      i = end === -1 ? pattern.length : end + 1
      continue
    }
    if (!/[A-Za-z]/.test(ch)) {
      out += ch
      i++
      continue
    }
    let n = 1
    while (pattern[i + n] === ch) n++
    i += n
    switch (ch) {
      case 'y':
        out += n === 2 ? pad(d.getFullYear() % 100, 2) : pad(d.getFullYear(), n)
        break
      case 'M':
        out += pad(d.getMonth() + 1, n)
        break
      case 'd':
        out += pad(d.getDate(), n)
        break
      case 'H':
        out += pad(d.getHours(), n)
        break
      case 'h':
        out += pad(d.getHours() % 12 || 12, n)
        break
      case 'm':
        out += pad(d.getMinutes(), n)
        break
      case 's':
        out += pad(d.getSeconds(), n)
        break
      case 'S':
        out += pad(d.getMilliseconds(), n)
        break
      case 'a':
        out += d.getHours() < 12 ? 'AM' : 'PM'
        break
      case 'E':
        out += d.toLocaleDateString('en-US', { weekday: n >= 4 ? 'long' : 'short' })
        break
      default:
        throw new Error(`Illegal pattern character '${ch}'`)
    }
  }
  return out
}

const MB = 1024 * 1024

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const defs = CONSUMER_PERF_OPTIONS
  const opts = parseCommandLine(defs, argv, {
    purpose: 'This tool is used to verify the consumer performance.',
    onOptionError: 'usage',
  })
  checkRequired(defs, opts, 'topic', 'messages', 'bootstrap-server')
  const reportingInterval = Number(opts.value('reporting-interval'))
  if (reportingInterval <= 0) throw new ToolExit(1, 'Reporting interval must be greater than 0.\n')
  const dateFormat = opts.value('date-format')!
  try {
    formatDate(dateFormat, 0)
  } catch (e) {
    throw new ToolExit(1, `${(e as Error).message}\n`)
  }
  const detailed = opts.has('show-detailed-stats')
  const numMessages = Number(opts.value('messages'))
  const timeoutMs = Number(opts.value('timeout') ?? 10000)
  const props = opts.has('consumer.config')
    ? loadProps(opts.value('consumer.config')!, io.cwd)
    : new Map<string, string>()
  if (!props.has('client.id')) props.set('client.id', 'perf-consumer-client')
  const groupId = opts.value('group') ?? `perf-consumer-${Math.floor(Math.random() * 100000)}`
  const bootstrap = opts.value('bootstrap-server')!

  if (!opts.has('hide-header')) {
    const extra = ', rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec'
    io.out(
      detailed
        ? `time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec${extra}\n`
        : `start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec${extra}\n`,
    )
  }
  await ensureReachable(bootstrap)
  const k = await loadKafka()
  const consumer: Consumer = new k.Consumer({
    ...clientOptions('perf-consumer-client', bootstrap, props),
    groupId,
    autocommit: false,
    maxBytesPerPartition: Number(opts.value('fetch-size')),
    maxWaitTime: 500,
    isolationLevel: 0,
  })
  const startMs = Date.now()
  let joinStart = startMs
  let joinTimeMs = 0
  let joinTimeInRound = 0
  consumer.on('consumer:group:rebalance', () => {
    joinStart = Date.now()
  })
  consumer.on('consumer:group:join', () => {
    const elapsed = Date.now() - joinStart
    joinTimeMs += elapsed
    joinTimeInRound += elapsed
  })
  let messagesRead = 0
  let bytesRead = 0
  let lastMessages = 0
  let lastBytes = 0
  let lastReport = startMs
  let lastConsumed = startMs
  let code = 0
  try {
    const stream = await consumer.consume({
      topics: [opts.value('topic')!],
      autocommit: false,
      mode: 'committed',
      fallbackMode: opts.has('from-latest') ? 'latest' : 'earliest',
      maxWaitTime: 500,
    })
    const iterator = stream[Symbol.asyncIterator]()
    const idle = () =>
      new Promise<null>((r) => setTimeout(() => r(null), Math.max(0, lastConsumed + timeoutMs - Date.now())))
    while (messagesRead < numMessages) {
      const next = await Promise.race([iterator.next(), idle()])
      const now = Date.now()
      if (next === null) {
        if (now - lastConsumed > timeoutMs) break
        continue
      }
      if (next.done === true) break
      lastConsumed = now
      const m = next.value
      messagesRead++
      bytesRead += (m.key?.length ?? 0) + (m.value?.length ?? 0)
      if (now - lastReport >= reportingInterval) {
        if (detailed) {
          const elapsed = now - lastReport
          const fetchMs = elapsed - joinTimeInRound
          const intervalMb = (bytesRead - lastBytes) / MB
          io.out(
            `${formatDate(dateFormat, now)}, 0, ${fixed(bytesRead / MB, 4)}, ${fixed((1000 * intervalMb) / elapsed, 4)}, ` +
              `${messagesRead}, ${fixed(((messagesRead - lastMessages) / elapsed) * 1000, 4)}, ${joinTimeInRound}, ${fetchMs}, ` +
              `${fixed(fetchMs <= 0 ? 0 : (1000 * intervalMb) / fetchMs, 4)}, ` +
              `${fixed(fetchMs <= 0 ? 0 : (1000 * (messagesRead - lastMessages)) / fetchMs, 4)}\n`,
          )
        }
        joinTimeInRound = 0
        lastReport = now
        lastMessages = messagesRead
        lastBytes = bytesRead
      }
    }
    await closeQuietly(stream)
  } catch (e) {
    io.err(`${errorMessage(e)}\n`)
    code = 1
  } finally {
    await closeQuietly(consumer)
  }
  if (code !== 0) return code
  const endMs = Date.now()
  if (messagesRead < numMessages) {
    io.out(
      `WARNING: Exiting before consuming the expected number of messages: timeout (${timeoutMs} ms) exceeded. You can use the --timeout option to increase the timeout.\n`,
    )
  }
  if (!detailed) {
    const elapsedSec = (endMs - startMs) / 1000
    const fetchTimeMs = endMs - startMs - joinTimeMs
    const mb = bytesRead / MB
    io.out(
      `${formatDate(dateFormat, startMs)}, ${formatDate(dateFormat, endMs)}, ${fixed(mb, 4)}, ${fixed(mb / elapsedSec, 4)}, ` +
        `${messagesRead}, ${fixed(messagesRead / elapsedSec, 4)}, ${joinTimeMs}, ${fetchTimeMs}, ` +
        `${fixed(mb / (fetchTimeMs / 1000), 4)}, ${fixed(messagesRead / (fetchTimeMs / 1000), 4)}\n`,
    )
  }
  return 0
}
