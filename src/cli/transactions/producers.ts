// kafka-transactions.sh's producer-side commands (Kafka's TransactionsCommand):
// - describe-producers: DescribeProducers to the partition's leader (or --broker-id), one table
//   row per active producer;
// - abort: ends a hanging transaction on one partition with an abort marker, written by
//   WriteTxnMarkers sent to the partition leader (as Kafka's Admin.abortTransaction does); with
//   --start-offset the producer, epoch and coordinator epoch are looked up with DescribeProducers;
// - find-hanging: producers with a transaction open longer than --max-transaction-timeout minutes
//   on the partitions of a broker (or a topic), that their coordinator does not know as an ongoing
//   transaction on that partition (ListTransactions by producer id, then DescribeTransactions).
// @platformatic/kafka ships DescribeProducers and the transaction listings but no WriteTxnMarkers:
// that one is built with its createAPI, Writer and Reader (see leader-election/elect-leaders-api.ts).

import type * as Kafka from '@platformatic/kafka'
import type { Io } from '../common/io.ts'
import { type KafkaModule, type RawMetadata, rawMetadata } from '../common/kafka.ts'
import type { TxnToolOptions } from './options.ts'

export interface ProducerState {
  producerId: bigint
  producerEpoch: number
  lastSequence: number
  lastTimestamp: bigint
  coordinatorEpoch: number
  currentTxnStartOffset: bigint
}

export interface Ctx {
  readonly k: KafkaModule
  readonly admin: Kafka.Admin
  readonly io: Io
  table(headers: readonly string[], rows: readonly (readonly string[])[]): string
  connectionTo(host: string, port: number): Promise<Kafka.Connection>
  answerOf<T>(p: Promise<T>): Promise<T>
}

class CommandError extends Error {}

const errorName = (k: KafkaModule, code: number) => k.protocolErrorsCodesById[code] ?? String(code)

function brokerConnection(c: Ctx, md: RawMetadata, id: number) {
  const b = md.brokers.find((x) => x.nodeId === id)
  if (b === undefined) throw new CommandError(`Broker ${id} is not in the cluster metadata`)
  return c.connectionTo(b.host, b.port)
}

function leaderOf(md: RawMetadata, topic: string, partition: number): number {
  const p = md.topics.find((t) => t.name === topic)?.partitions.find((x) => x.partitionIndex === partition)
  if (p === undefined) throw new CommandError(`Topic partition ${topic}-${partition} does not exist`)
  if (p.leaderId < 0) throw new CommandError(`Topic partition ${topic}-${partition} has no leader`)
  return p.leaderId
}

/** The active producers of partitions, asked of one broker. */
async function producersOn(
  c: Ctx,
  md: RawMetadata,
  brokerId: number,
  topics: { name: string; partitionIndexes: number[] }[],
): Promise<{ topic: string; partition: number; producers: ProducerState[] }[]> {
  const connection = await brokerConnection(c, md, brokerId)
  const r = await c.answerOf(c.k.describeProducersV0.api.async(connection, topics))
  const out: { topic: string; partition: number; producers: ProducerState[] }[] = []
  for (const t of r.topics)
    for (const p of t.partitions) {
      if (p.errorCode !== 0)
        throw new CommandError(
          `Failed to describe producers of ${t.name}-${p.partitionIndex}: ${errorName(c.k, p.errorCode)}`,
        )
      out.push({ topic: t.name, partition: p.partitionIndex, producers: p.activeProducers })
    }
  return out
}

export async function describeProducers(c: Ctx, o: TxnToolOptions): Promise<number> {
  const md = await rawMetadata(c.admin, [o.topic!])
  const broker = o.brokerId ?? leaderOf(md, o.topic!, o.partition!)
  const [r] = await producersOn(c, md, broker, [{ name: o.topic!, partitionIndexes: [o.partition!] }])
  c.io.out(
    c.table(
      [
        'ProducerId',
        'ProducerEpoch',
        'LatestCoordinatorEpoch',
        'LastSequence',
        'LastTimestamp',
        'CurrentTransactionStartOffset',
      ],
      r.producers.map((p) => [
        String(p.producerId),
        String(p.producerEpoch),
        p.coordinatorEpoch < 0 ? 'None' : String(p.coordinatorEpoch),
        String(p.lastSequence),
        String(p.lastTimestamp),
        p.currentTxnStartOffset < 0n ? 'None' : String(p.currentTxnStartOffset),
      ]),
    ),
  )
  return 0
}

function writeMarkersApi(
  k: KafkaModule,
  marker: {
    producerId: bigint
    producerEpoch: number
    coordinatorEpoch: number
    topic: string
    partition: number
  },
) {
  const write = () => {
    const w = k.Writer.create()
    w.appendArray(
      [marker],
      (w, m) => {
        w.appendInt64(m.producerId).appendInt16(m.producerEpoch).appendBoolean(false)
        w.appendArray(
          [m],
          (w, t) => {
            w.appendString(t.topic, true).appendArray([t.partition], (w, p) => w.appendInt32(p), true, false)
          },
          true,
          true,
        )
        w.appendInt32(m.coordinatorEpoch)
      },
      true,
      true,
    )
    w.appendTaggedFields()
    return w
  }
  const read = (_c: number, _a: number, _v: number, r: Kafka.Reader) => {
    const codes: number[] = []
    r.readArray(
      (r) => {
        r.readInt64()
        r.readArray(
          (r) => {
            r.readString(true)
            r.readArray(
              (r) => {
                r.readInt32()
                codes.push(r.readInt16())
              },
              true,
              true,
            )
          },
          true,
          true,
        )
      },
      true,
      true,
    )
    return codes
  }
  return k.createAPI<[], number[]>(27, 1, write, read, true, true)
}

export async function abort(c: Ctx, o: TxnToolOptions): Promise<number> {
  const topic = o.topic!
  const partition = o.partition!
  const md = await rawMetadata(c.admin, [topic])
  const leader = leaderOf(md, topic, partition)
  let spec = {
    producerId: o.producerId,
    producerEpoch: o.producerEpoch,
    coordinatorEpoch: o.coordinatorEpoch,
  }
  if (o.startOffset !== null) {
    const [r] = await producersOn(c, md, leader, [{ name: topic, partitionIndexes: [partition] }])
    const p = r.producers.find((x) => x.currentTxnStartOffset === o.startOffset)
    if (p === undefined)
      throw new CommandError(
        `Could not find any open transactions starting at offset ${o.startOffset} on partition ${topic}-${partition}`,
      )
    spec = {
      producerId: p.producerId,
      producerEpoch: p.producerEpoch,
      coordinatorEpoch: Math.max(p.coordinatorEpoch, 0),
    }
  }
  const connection = await brokerConnection(c, md, leader)
  const codes = await c.answerOf(
    writeMarkersApi(c.k, {
      producerId: spec.producerId!,
      producerEpoch: spec.producerEpoch!,
      coordinatorEpoch: spec.coordinatorEpoch!,
      topic,
      partition,
    }).async(connection),
  )
  const bad = codes.find((x) => x !== 0)
  if (bad !== undefined) throw new CommandError(`Failed to abort the transaction: ${errorName(c.k, bad)}`)
  return 0
}

export async function findHanging(c: Ctx, o: TxnToolOptions): Promise<number> {
  const md = await rawMetadata(c.admin, o.topic === null ? null : [o.topic])
  // Partitions by leader: those the broker leads, or those of the topic.
  const byLeader = new Map<number, Map<string, number[]>>()
  for (const t of md.topics) {
    if (t.name === null) continue
    for (const p of t.partitions) {
      if (o.brokerId !== null && p.leaderId !== o.brokerId) continue
      if (o.partition !== null && p.partitionIndex !== o.partition) continue
      if (p.leaderId < 0) continue
      const topics = byLeader.get(p.leaderId) ?? new Map<string, number[]>()
      topics.set(t.name, [...(topics.get(t.name) ?? []), p.partitionIndex])
      byLeader.set(p.leaderId, topics)
    }
  }
  const now = BigInt(Date.now())
  const maxMs = BigInt(o.maxTransactionTimeoutMinutes) * 60000n
  const candidates: { topic: string; partition: number; p: ProducerState }[] = []
  for (const [leader, topics] of byLeader) {
    const asked = [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes }))
    for (const r of await producersOn(c, md, leader, asked))
      for (const p of r.producers)
        if (p.currentTxnStartOffset >= 0n && now - p.lastTimestamp > maxMs)
          candidates.push({ topic: r.topic, partition: r.partition, p })
  }
  const hanging = []
  for (const cand of candidates) if (!(await knownOngoing(c, md, cand))) hanging.push(cand)
  c.io.out(
    c.table(
      [
        'Topic',
        'Partition',
        'ProducerId',
        'ProducerEpoch',
        'CoordinatorEpoch',
        'StartOffset',
        'LastTimestamp',
        'Duration(min)',
      ],
      hanging.map((h) => [
        h.topic,
        String(h.partition),
        String(h.p.producerId),
        String(h.p.producerEpoch),
        String(h.p.coordinatorEpoch),
        String(h.p.currentTxnStartOffset),
        String(h.p.lastTimestamp),
        String((now - h.p.lastTimestamp) / 60000n),
      ]),
    ),
  )
  return 0
}

/** Does a coordinator hold this producer's ongoing transaction on this partition? */
async function knownOngoing(
  c: Ctx,
  md: RawMetadata,
  cand: { topic: string; partition: number; p: ProducerState },
): Promise<boolean> {
  for (const b of md.brokers) {
    const connection = await c.connectionTo(b.host, b.port)
    const listed = await c.answerOf(
      c.k.listTransactionsV0.api.async(connection, [], [cand.p.producerId], -1n, null),
    )
    for (const t of listed.transactionStates) {
      const d = await c.answerOf(c.k.describeTransactionsV0.api.async(connection, [t.transactionalId]))
      const s = d.transactionStates[0]
      if (s === undefined || s.errorCode !== 0 || s.transactionState !== 'Ongoing') continue
      if (s.topics.some((x) => x.topic === cand.topic && x.partitions.includes(cand.partition))) return true
    }
  }
  return false
}

export { CommandError }
