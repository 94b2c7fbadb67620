// kafka-transactions.sh (Kafka's TransactionsCommand): `list` asks every broker for the
// transactions it coordinates (ListTransactions) and prints them as one table; `describe` finds the
// transactional id's coordinator (FindCoordinator key type 1) and prints its DescribeTransactions
// answer; describe-producers, abort and find-hanging are in producers.ts. Requests go through
// @platformatic/kafka's connections with its own API codecs.

import type * as Kafka from '@platformatic/kafka'
import { ToolExit } from '../common/exit.ts'
import type { Io } from '../common/io.ts'
import {
  closeQuietly,
  errorMessage,
  type KafkaModule,
  loadKafka,
  openAdmin,
  parseBootstrap,
  rawMetadata,
} from '../common/kafka.ts'
import { loadProps } from '../common/props.ts'
import { VERSION } from '../common/version.ts'
import { PROG, parseTxnOptions, USAGE } from './options.ts'
import { abort, CommandError, type Ctx, describeProducers, findHanging } from './producers.ts'

const TRANSACTION_KEY_TYPE = 1

/** Kafka's ToolsUtils.prettyPrintTable: columns padded to their widest cell. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('\t')
      .trimEnd()
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`
}

function callback<T>(fn: (cb: (e: Error | null, v?: T) => void) => void): Promise<T> {
  return new Promise((ok, fail) => fn((e, v) => (e ? fail(e) : ok(v as T))))
}

/** A response even when the client rejected it for carrying error codes. */
async function answerOf<T>(p: Promise<T>): Promise<T> {
  try {
    return await p
  } catch (e) {
    const response = (e as { response?: T }).response
    if (response !== undefined) return response
    throw e
  }
}

async function connectionTo(k: KafkaModule, admin: Kafka.Admin, host: string, port: number) {
  return callback<Kafka.Connection>((cb) => admin[k.kGetConnection]({ host, port }, cb))
}

async function list(k: KafkaModule, admin: Kafka.Admin, io: Io): Promise<number> {
  const md = await rawMetadata(admin, [])
  const rows: string[][] = []
  for (const b of [...md.brokers].sort((a, c) => a.nodeId - c.nodeId)) {
    const connection = await connectionTo(k, admin, b.host, b.port)
    const r = await answerOf(k.listTransactionsV0.api.async(connection, [], [], -1n, null))
    if (r.errorCode !== 0) {
      io.err(
        `Failed to list transactions of broker ${b.nodeId}: ${k.protocolErrorsCodesById[r.errorCode] ?? r.errorCode}\n`,
      )
      return 1
    }
    for (const t of r.transactionStates)
      rows.push([t.transactionalId, String(b.nodeId), String(t.producerId), t.transactionState])
  }
  io.out(table(['TransactionalId', 'Coordinator', 'ProducerId', 'TransactionState'], rows))
  return 0
}

async function describe(k: KafkaModule, admin: Kafka.Admin, id: string, io: Io): Promise<number> {
  const [coordinator] = await admin.findCoordinator({ keyType: TRANSACTION_KEY_TYPE as never, keys: [id] })
  const connection = await connectionTo(k, admin, coordinator.host, coordinator.port)
  const r = await answerOf(k.describeTransactionsV0.api.async(connection, [id]))
  const t = r.transactionStates[0]
  if (t === undefined || t.errorCode !== 0) {
    const name =
      t === undefined
        ? 'UNKNOWN_SERVER_ERROR'
        : (k.protocolErrorsCodesById[t.errorCode] ?? String(t.errorCode))
    io.err(`Failed to describe transactional id ${id}: ${name}\n`)
    return 1
  }
  const start = t.transactionStartTimeMs < 0n ? 'None' : String(t.transactionStartTimeMs)
  const duration =
    t.transactionStartTimeMs < 0n ? 'None' : String(BigInt(Date.now()) - t.transactionStartTimeMs)
  const partitions = t.topics.flatMap((tp) => tp.partitions.map((p) => `${tp.topic}-${p}`)).join(',')
  io.out(
    table(
      [
        'CoordinatorId',
        'TransactionalId',
        'ProducerId',
        'ProducerEpoch',
        'TransactionState',
        'TransactionTimeoutMs',
        'CurrentTransactionStartTimeMs',
        'TransactionDurationMs',
        'TopicPartitions',
      ],
      [
        [
          String(coordinator.nodeId),
          t.transactionalId,
          String(t.producerId),
          String(t.producerEpoch),
          t.transactionState,
          String(t.transactionTimeoutMs),
          start,
          duration,
          partitions,
        ],
      ],
    ),
  )
  return 0
}

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const o = parseTxnOptions(argv, VERSION)
  if (parseBootstrap(o.bootstrap) === null)
    throw new ToolExit(1, `${USAGE}${PROG}: error: invalid bootstrap server ${o.bootstrap}\n`)
  const props = o.commandConfig === null ? new Map<string, string>() : loadProps(o.commandConfig, io.cwd)
  const admin = await openAdmin('adminclient-1', o.bootstrap, props)
  try {
    const k = await loadKafka()
    const ctx: Ctx = {
      k,
      admin,
      io,
      table,
      answerOf,
      connectionTo: (host, port) => connectionTo(k, admin, host, port),
    }
    switch (o.command) {
      case 'list':
        return await list(k, admin, io)
      case 'describe':
        return await describe(k, admin, o.transactionalId!, io)
      case 'describe-producers':
        return await describeProducers(ctx, o)
      case 'abort':
        return await abort(ctx, o)
      case 'find-hanging':
        return await findHanging(ctx, o)
    }
  } catch (e) {
    if (e instanceof ToolExit) throw e
    if (e instanceof CommandError) {
      io.err(`${e.message}\n`)
      return 1
    }
    io.err(`${errorMessage(e)}\n`)
    return 1
  } finally {
    await closeQuietly(admin)
  }
}
